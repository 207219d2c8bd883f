package shadow

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// BenchmarkSharedSpecsCompareOne is the background work of one sampled request on the petstore
// spec (from /work/shared/specs), a live answer as bench/load.sh's upstream gives it: queueing,
// the mock's answer and the comparison.
func BenchmarkSharedSpecsCompareOne(b *testing.B) {
	const path = "../../../shared/specs/petstore-3.0.json"
	if _, err := os.Stat(path); err != nil {
		b.Skip("shared specs not found: " + path)
	}
	doc, err := spec.Load(context.Background(), path, spec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	sh, err := New(Options{Doc: doc, Rate: 1})
	if err != nil {
		b.Fatal(err)
	}
	engine := stackEngine(b, doc)
	sh.engine.Store(engine)
	m := doc.Find("GET", "/pet/findByStatus")
	if m.Operation == nil {
		b.Fatal("no operation")
	}
	req := httptest.NewRequest("GET", "/pet/findByStatus?status=available", nil)
	x := &server.Exchange{Operation: m.Operation, Request: req, Status: 200, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: bytes.Repeat([]byte("x"), 444)}
	req.Header.Set("Authorization", "Bearer bench")
	b.ReportAllocs()
	for b.Loop() {
		sh.ObserveLive(x)
		j := <-sh.queue
		sh.compare(j)
		sh.pending.Add(-1)
	}
}
