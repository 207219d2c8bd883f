package shadow

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// BenchmarkCompareOne is the background work of one sampled request on the petstore spec
// (from /work/shared/specs): the mock's answer and the comparison.
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
	engine := stackEngine(&testing.T{}, doc)
	sh.engine.Store(engine)
	m := doc.Find("GET", "/pet/findByStatus")
	if m.Operation == nil {
		b.Fatal("no operation")
	}
	req := httptest.NewRequest("GET", "/pet/findByStatus?status=available", nil)
	x := &server.Exchange{Operation: m.Operation, Request: req, Status: 200, Body: []byte(`[{"id":1,"name":"x","photoUrls":[],"status":"available"}]`)}
	b.ReportAllocs()
	for b.Loop() {
		sh.ObserveLive(x)
		j := <-sh.queue
		sh.compare(j)
		sh.pending.Add(-1)
	}
	_ = compare.KindChanged
}
