package shadow

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

// BenchmarkProxyShadow is the client's throughput through serve in proxy mode over loopback,
// without shadowing and shadowing at the default rate and at every request: what --shadow
// costs the client. Compare the req/s of the sub-benchmarks of one run:
//
//	go test ./internal/shadow -run XXX -bench ProxyShadow -benchtime 5s -count 3
func BenchmarkProxyShadow(b *testing.B) {
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":7,"name":"Gadget","price":100,"tags":["a","b","c"],"updated_at":"2026-01-01T00:00:00Z"}`)
	}))
	defer live.Close()
	doc, err := spec.Load(context.Background(), "testdata/shop.yaml", spec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		rate float64 // 0: no shadow
	}{{"off", 0}, {"rate=0.1", DefaultRate}, {"rate=1", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			set, err := stack.Resolve(&plugin.Plugin{Name: "b", Mode: plugin.ModeProxy, TargetURL: live.URL}, stack.Flags{}, func(string) (string, bool) { return "", false })
			if err != nil {
				b.Fatal(err)
			}
			var so stack.Options
			var sh *Shadow
			if bc.rate > 0 {
				sh, err = New(Options{Doc: doc, Rate: bc.rate})
				if err != nil {
					b.Fatal(err)
				}
				so.LiveObservers, so.Admin = []server.LiveObserver{sh}, []server.AdminRoute{sh.AdminRoute()}
			}
			st, err := stack.Build(doc, set, so)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			if sh != nil {
				sh.Start(st.Mock, st.Redact)
				defer sh.Close()
			}
			srv := httptest.NewServer(st)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			url := srv.URL + "/items/7"
			b.SetParallelism(8)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			if sh != nil {
				rep := sh.Snapshot(1)
				b.ReportMetric(float64(rep.Compared), "compared")
				b.ReportMetric(float64(rep.Dropped), "dropped")
			}
		})
	}
}
