package shadow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

const secret = "s3cr3t-live-token"

// liveShop drifts on GET /items/{id} (name) and agrees with the spec on GET /status, which
// it answers only with the key the proxy injects.
func liveShop(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/status" && r.Header.Get("X-Api-Key") != secret:
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/status":
			io.WriteString(w, `{"ok":true,"token":"none"}`)
		case strings.HasPrefix(r.URL.Path, "/items/"):
			fmt.Fprintf(w, `{"id":7,"name":"Gadget","price":100,"session":"%s"}`, secret)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// proxy serves the spec in proxy mode to live, shadowed.
func proxy(t *testing.T, live string, opts Options) (*httptest.Server, *Shadow) {
	t.Helper()
	doc, err := spec.Load(context.Background(), "testdata/shop.yaml", spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Doc = doc
	sh, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	p := &plugin.Plugin{Name: "shop", Spec: "testdata/shop.yaml", Mode: plugin.ModeProxy, TargetURL: live,
		Auth: &plugin.Auth{AuthType: plugin.AuthAPIKey, Location: "header", Name: "X-Api-Key", Credentials: map[string]string{"api_key": secret}}}
	set, err := stack.Resolve(p, stack.Flags{}, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	st, err := stack.Build(doc, set, stack.Options{LiveObservers: []server.LiveObserver{sh}, Admin: []server.AdminRoute{sh.AdminRoute()}})
	if err != nil {
		t.Fatal(err)
	}
	sh.Start(st.Mock, st.Redact)
	srv := httptest.NewServer(st)
	t.Cleanup(func() { srv.Close(); sh.Close(); st.Close() })
	return srv, sh
}

func drift(t *testing.T, base string, query string) Report {
	t.Helper()
	resp, err := http.Get(base + "/__mockloop/drift" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET drift: %s", resp.Status)
	}
	var rep Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestShadowUnderLoad: clients get the live answers; at the default rate a tenth of each
// operation's requests are compared, and only the drifting operation reports drift, its
// example with the secret hidden.
func TestShadowUnderLoad(t *testing.T) {
	live := liveShop(t)
	srv, sh := proxy(t, live.URL, Options{})
	const perOp = 200
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 2*perOp; i += 8 {
				path := "/items/7"
				if i%2 == 1 {
					path = "/status"
				}
				resp, err := http.Get(srv.URL + path)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Header.Get(server.HeaderMode) != "proxy" || (path == "/items/7" && !strings.Contains(string(body), "Gadget")) {
					errs <- fmt.Errorf("%s: %s %s", path, resp.Status, body)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	settle(t, sh, 40)
	rep := drift(t, srv.URL, "")
	if rep.Sampled != 40 || rep.Compared != 40 || rep.Dropped != 0 || rep.Rate != DefaultRate || len(rep.Operations) != 2 {
		t.Fatalf("report = %+v", rep)
	}
	items, status := rep.Operations[0], rep.Operations[1]
	if items.Operation != "GET /items/{id}" || items.Requests != perOp || items.Compared != 20 || items.WithDifferences != 20 || items.DifferenceShare != 1 {
		t.Errorf("items = %+v", items)
	}
	if status.Operation != "GET /status" || status.Compared != 20 || status.WithDifferences != 0 || len(status.Locations) != 0 {
		t.Errorf("status (the mock gets a placeholder for the injected key) = %+v", status)
	}
	locs := map[string]LocReport{}
	for _, l := range items.Locations {
		locs[l.Location] = l
	}
	if l := locs["$.name"]; l.Count != 20 || l.Kinds[compare.KindChanged] != 20 || string(l.Latest.Mock) != `"Widget"` || string(l.Latest.Live) != `"Gadget"` || l.Latest.Request != "GET /items/7" {
		t.Errorf("$.name = %+v", l)
	}
	if l := locs["$.session"]; string(l.Latest.Live) != `"***"` || l.Latest.Kind != compare.KindExtra {
		t.Errorf("$.session, a secret value and a secret-looking name = %+v", l)
	}
	if len(items.Locations) != 2 {
		t.Errorf("locations = %+v", items.Locations)
	}
	// One operation, by operationId; then a reset.
	if one := drift(t, srv.URL, "?operation=status"); len(one.Operations) != 1 || one.Operations[0].Operation != "GET /status" {
		t.Errorf("?operation = %+v", one.Operations)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/__mockloop/drift", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	resp.Body.Close()
	if after := drift(t, srv.URL, ""); after.Compared != 0 || len(after.Operations) != 0 {
		t.Errorf("after reset = %+v", after)
	}
}

func TestShadowBounds(t *testing.T) {
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":8,"a":1,"b":2,"c":3,"d":"`+strings.Repeat("x", 3000)+`"}`)
	}))
	defer live.Close()
	srv, sh := proxy(t, live.URL, Options{Rate: 1, MaxLocations: 2})
	for range 3 {
		resp, err := http.Get(srv.URL + "/items/7")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	settle(t, sh, 3)
	items := drift(t, srv.URL, "?limit=0").Operations[0]
	// id, a, b, c, d, name, price differ: two kept, the others counted.
	if items.Compared != 3 || len(items.Locations) != 2 || items.OtherLocations != 15 {
		t.Errorf("bounded locations: %+v", items)
	}
	for _, l := range items.Locations {
		if len(l.Latest.Live) > maxExampleValue+64 {
			t.Errorf("%s: example of %d bytes", l.Location, len(l.Latest.Live))
		}
	}
	if resp, _ := http.Get(srv.URL + "/__mockloop/drift?limit=x"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad limit: %s", resp.Status)
	}
}

// TestSampling: the share is exact per operation, the first request always in, and a full
// queue drops (never waits).
func TestSampling(t *testing.T) {
	doc, err := spec.Load(context.Background(), "testdata/shop.yaml", spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		rate float64
		n    int
		want int64
	}{{0.1, 25, 3}, {0.1, 10, 1}, {1, 7, 7}, {0.5, 9, 5}, {0.001, 1, 1}} {
		sh, err := New(Options{Doc: doc, Rate: tt.rate, Queue: 1000})
		if err != nil {
			t.Fatal(err)
		}
		sh.engine.Store(stackEngine(t, doc)) // queue only: no background goroutine
		for range tt.n {
			observe(sh, doc.Operations[0])
		}
		if got := sh.sampled.Load(); got != tt.want {
			t.Errorf("rate %v, %d requests: %d sampled, want %d", tt.rate, tt.n, got, tt.want)
		}
	}
	sh, _ := New(Options{Doc: doc, Rate: 1, Queue: 1})
	sh.engine.Store(stackEngine(t, doc))
	for range 3 {
		observe(sh, doc.Operations[0])
	}
	if sh.dropped.Load() != 2 || len(sh.queue) != 1 {
		t.Errorf("full queue: dropped %d, queued %d", sh.dropped.Load(), len(sh.queue))
	}
	for _, bad := range []float64{-0.1, 1.5} {
		if _, err := New(Options{Doc: doc, Rate: bad}); err == nil {
			t.Errorf("rate %v: no error", bad)
		}
	}
	if _, err := New(Options{Doc: doc, Comparison: compare.Config{IgnoreFields: []string{"$.a["}}}); err == nil {
		t.Errorf("bad comparison: no error")
	}
}

func stackEngine(t testing.TB, doc *spec.Document) *mock.Engine {
	t.Helper()
	st, err := stack.Build(doc, stack.Settings{Mode: plugin.ModeMock}, stack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st.Mock
}

// settle waits until n requests were sampled (ObserveLive runs after the client has its answer)
// and compared.
func settle(t *testing.T, sh *Shadow, n int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for sh.sampled.Load() < n {
		select {
		case <-ctx.Done():
			t.Fatalf("%d sampled, want %d", sh.sampled.Load(), n)
		case <-time.After(time.Millisecond):
		}
	}
	if err := sh.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// observe is what the server does with one live answer of op: ask the sampler, then hand it
// the exchange if it wants it.
func observe(sh *Shadow, op *spec.Operation) {
	r := httptest.NewRequest("GET", "/items/7", nil)
	if sh.WantsLive(r, spec.Match{Operation: op}) {
		sh.ObserveLive(&server.Exchange{Operation: op, Request: r, Status: 200})
	}
}
