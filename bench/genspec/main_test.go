package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/spec"
)

// serveOptions are the mock engine options `mockloop serve` uses by default.
var serveOptions = mock.Options{ValidateRequests: true, CheckSecurity: true}

func load(tb testing.TB, ops int, opts spec.Options) *spec.Document {
	tb.Helper()
	doc, err := spec.LoadData(context.Background(), fmt.Sprintf("generated-%d.json", ops), nil, Generate(ops), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

// requests are GET requests for every GetPaths path, with the credential the document asks for.
func requests(ops int) []*http.Request {
	var out []*http.Request
	for _, p := range GetPaths(ops) {
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+p, nil)
		r.Header.Set("Authorization", "Bearer bench")
		r.Header.Set("Accept", "application/json")
		out = append(out, r)
	}
	return out
}

func TestGenerate(t *testing.T) {
	for _, ops := range []int{1, 2, 3, 4, 5, 6, 10, 3000} {
		t.Run(fmt.Sprintf("ops=%d", ops), func(t *testing.T) {
			doc := load(t, ops, spec.Options{NoCache: true})
			if len(doc.Operations) != ops {
				t.Fatalf("%d operations, want %d", len(doc.Operations), ops)
			}
			if ops >= 3 && len(doc.Warnings) != 0 { // below 3, the shared ItemId and NotFound are unused
				t.Errorf("warnings: %v", doc.Warnings)
			}
			if ops >= 3 && ops <= 10 {
				if problems := doc.Validate(context.Background()); len(problems) != 0 {
					t.Errorf("Validate: %v", problems)
				}
			}
			e := mock.New(doc, serveOptions)
			reqs := requests(ops)
			if want := (ops + 4) / 5; len(reqs) < want {
				t.Fatalf("%d GET paths, want at least %d", len(reqs), want)
			}
			for _, r := range reqs {
				m := doc.Find(r.Method, r.URL.EscapedPath())
				if m.Operation == nil || m.Operation.Method != http.MethodGet {
					t.Fatalf("%s routes to %v", r.URL, m)
				}
				w := httptest.NewRecorder()
				e.Respond(w, r, m)
				if w.Code != http.StatusOK || w.Body.Len() == 0 {
					t.Fatalf("%s: %d %q", r.URL, w.Code, w.Body.String())
				}
			}
		})
	}
}

// discard is a ResponseWriter that keeps nothing, so that the benchmark measures the server.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkRouteAndAnswer is the hot path on generated documents of 10 and 3,000 operations:
// route the request (spec.Document.Find) and answer it (mock.Engine.Respond, with request
// validation and the security check on), the requests spread over every GET operation. The
// work per request is the same at both sizes: the ratio of the two is how mockloop's per-request
// cost grows with the document. "ops=3000/paths=4" sends the 10-operation document's requests to
// the 3,000-operation one: the size of the document alone, without the spread of the requests
// over 1,200 operations (whose state then no longer fits the CPU's caches).
func BenchmarkRouteAndAnswer(b *testing.B) {
	for _, bc := range []struct {
		name     string
		ops      int
		pathsOps int // the document size whose GET paths are requested
	}{
		{"ops=10", 10, 10},
		{"ops=3000", 3000, 3000},
		{"ops=3000/paths=4", 3000, 10},
	} {
		b.Run(bc.name, func(b *testing.B) {
			doc := load(b, bc.ops, spec.Options{NoCache: true})
			e := mock.New(doc, serveOptions)
			reqs := requests(bc.pathsOps)
			w := &discard{h: http.Header{}}
			for _, r := range reqs { // first answers fill the caches, as a warm server has
				e.Respond(w, r, doc.Find(r.Method, r.URL.EscapedPath()))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := reqs[i%len(reqs)]
				i++
				w.h = http.Header{}
				e.Respond(w, r, doc.Find(r.Method, r.URL.EscapedPath()))
				if w.code != http.StatusOK {
					b.Fatalf("%s: status %d", r.URL, w.code)
				}
			}
		})
	}
}

// BenchmarkLoadAndIndex is the cold path on a generated 3,000-operation document: load (parse,
// resolve, index, warnings) and prepare the mock engine, fresh and from the load cache. It
// reports the heap a loaded, prepared and warm (every GET answered once) document keeps per
// operation.
func BenchmarkLoadAndIndex(b *testing.B) {
	const ops = 3000
	data := Generate(ops)
	for _, bc := range []struct {
		name string
		opts spec.Options
	}{
		{"fresh", spec.Options{NoCache: true}},
		{"cached", spec.Options{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.Setenv("XDG_CACHE_HOME", b.TempDir())
			b.Setenv("MOCKLOOP_NO_CACHE", "")
			b.Setenv("MOCKLOOP_CACHE_ALL", "")
			if _, err := spec.LoadData(context.Background(), "generated.json", nil, data, bc.opts); err != nil {
				b.Fatal(err) // the cached case: writes the entry
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				doc, err := spec.LoadData(context.Background(), "generated.json", nil, data, bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				mock.New(doc, serveOptions)
			}
			b.ReportMetric(float64(retainedPerOperation(b, data, bc.opts))/ops, "heap-B/spec-op")
		})
	}
}

// retainedPerOperation is the heap a loaded, prepared and warm document of data keeps alive.
func retainedPerOperation(b *testing.B, data []byte, opts spec.Options) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	doc, err := spec.LoadData(context.Background(), "generated.json", nil, data, opts)
	if err != nil {
		b.Fatal(err)
	}
	e := mock.New(doc, serveOptions)
	w := &discard{h: http.Header{}}
	for _, r := range requests(len(doc.Operations)) {
		e.Respond(w, r, doc.Find(r.Method, r.URL.EscapedPath()))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(e)
	runtime.KeepAlive(doc)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}
