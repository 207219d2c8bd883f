package stack

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// cpuTime is the user+system CPU time the process has used: unlike wall time it hardly moves
// when other work shares the machine, and it counts the request log's writer goroutine too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkServeLogged is the handler `mockloop serve` runs in mock mode, as serve builds it
// (the idle simulation step and overrides, request validation, the security check, metrics,
// the ring buffer) with its request log written to a file, answering from every core at once:
// the in-process half of bench/load.sh's mock ratio. "quiet" is the same without the log,
// "fixed-body" a bare handler writing the same bytes (the floor). cpu-ns/op is the process's
// CPU time per request (the log writer's included).
func BenchmarkServeLogged(b *testing.B) {
	doc, err := spec.Load(context.Background(), "testdata/pets.yaml", spec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	set, err := Resolve(nil, Flags{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	set.Spec, set.Mode = "testdata/pets.yaml", plugin.ModeMock
	const target = "/v1/pets?limit=2"
	newRequest := func() *http.Request {
		r := httptest.NewRequest("GET", target, nil)
		r.RemoteAddr, r.Host = "127.0.0.1:40000", "localhost"
		r.Header.Set("Accept", "application/json")
		r.Header.Set("User-Agent", "bench")
		return r
	}
	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		b.SetParallelism(4)
		before := cpuTime()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			r := newRequest()
			w := &nopWriter{h: http.Header{}}
			for pb.Next() {
				clear(w.h)
				h.ServeHTTP(w, r)
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op")
	}
	build := func(b *testing.B, log io.Writer) *Stack {
		st, err := Build(doc, set, Options{Simulation: &Simulation{}, Log: log})
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	b.Run("logged", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "requests.log"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		st := build(b, f)
		defer st.Close()
		run(b, st)
	})
	b.Run("quiet", func(b *testing.B) {
		st := build(b, nil)
		defer st.Close()
		run(b, st)
	})
	b.Run("fixed-body", func(b *testing.B) {
		st := build(b, nil)
		w := httptest.NewRecorder()
		st.ServeHTTP(w, newRequest())
		st.Close()
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		body, ct := w.Body.Bytes(), w.Header().Get("Content-Type")
		length := strconv.Itoa(len(body))
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Content-Length", length)
			w.Write(body)
		}))
	})
}
