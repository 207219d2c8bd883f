package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// nopWriter is a ResponseWriter that keeps nothing, so the benchmark measures the handler.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

func benchServe(b *testing.B, s http.Handler, r *http.Request) {
	b.ReportAllocs()
	w := &nopWriter{h: http.Header{}}
	for b.Loop() {
		clear(w.h)
		s.ServeHTTP(w, r)
	}
}

// BenchmarkServeMock is the in-process serve path of issue 3's benchmark: GET
// /pet/findByStatus on petstore, answered by the real mock engine through the Server (routing,
// request validation, security check, headers, counters, ring buffer, request log).
func BenchmarkServeMock(b *testing.B) {
	doc, err := spec.Load(context.Background(), "../../../shared/specs/petstore-3.0.json", spec.Options{})
	if err != nil {
		b.Skipf("petstore spec not available: %v", err)
	}
	engine := mock.New(doc, mock.Options{ValidateRequests: true, CheckSecurity: true})
	s, err := NewServer(Config{Doc: doc, Mock: engine, Log: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := httptest.NewRequest("GET", "/v2/pet/findByStatus?status=available", nil)
	r.Header.Set("Authorization", "Bearer x")
	r.RemoteAddr = "127.0.0.1:40000"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	b.Run("server", func(b *testing.B) { benchServe(b, s, r) })
	// What a bare handler writing the same bytes costs: the floor.
	body := w.Body.Bytes()
	length := strconv.Itoa(len(body))
	b.Run("fixed-body", func(b *testing.B) {
		benchServe(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", length)
			w.Write(body)
		}), r)
	})
	b.Run("server-no-validation", func(b *testing.B) {
		engine := mock.New(doc, mock.Options{})
		s, err := NewServer(Config{Doc: doc, Mock: engine, Log: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchServe(b, s, r)
	})
	b.Run("engine-only", func(b *testing.B) {
		m := doc.Find(r.Method, r.URL.Path)
		b.ReportAllocs()
		w := &nopWriter{h: http.Header{}}
		for b.Loop() {
			clear(w.h)
			engine.Respond(w, r, m)
		}
	})
}

// BenchmarkServeOverhead is the Server's own cost around a mock that writes a fixed body.
func BenchmarkServeOverhead(b *testing.B) {
	s := newTestServer(b, Config{Log: io.Discard})
	r := httptest.NewRequest("GET", "/pets/1?x=1", nil)
	r.RemoteAddr = "127.0.0.1:40000"
	benchServe(b, s, r)
}

// BenchmarkMetricsObserve counts requests spread over 3,000 operations, as a server on a
// large spec does: finding an operation's counters must not cost more as the spec grows.
func BenchmarkMetricsObserve(b *testing.B) {
	const n = 3000
	var text strings.Builder
	text.WriteString("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n")
	for i := range n {
		fmt.Fprintf(&text, "  /r%d:\n    get:\n      responses: {'200': {description: ok}}\n", i)
	}
	doc, err := spec.LoadData(context.Background(), "gen.yaml", nil, []byte(text.String()), spec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := NewMetrics(doc.Operations)
	i := 0
	for b.Loop() {
		m.observe(doc.Operations[i%len(doc.Operations)], plugin.ModeMock, 200, time.Millisecond, false)
		i += 7
	}
}
