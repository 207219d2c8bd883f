package testrun

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// BenchmarkRunOverhead measures the runner's own cost per case: building the requests, calling
// two in-memory sides that answer a fixed body, recording results and computing metrics (no
// validation, no comparison).
func BenchmarkRunOverhead(b *testing.B) {
	doc := loadSpec(b)
	fixed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":1,"name":"Rex","tag":"dog"}`)
	})
	p := &Plan{}
	for i := range 1000 {
		p.Cases = append(p.Cases, &Case{Name: fmt.Sprint("c", i), Operation: "getPet", PathParams: map[string]string{"petId": fmt.Sprint(i)}, Query: map[string]Values{"q": {"x"}}})
	}
	if err := p.Bind(doc); err != nil {
		b.Fatal(err)
	}
	opts := Options{Mock: &HandlerSide{Label: SideMock, Handler: fixed}, Live: &HandlerSide{Label: SideLive, Handler: fixed}, Concurrency: 4}
	b.ReportAllocs()
	for b.Loop() {
		rep := Run(context.Background(), p, opts)
		if rep.Summary.Passed != len(p.Cases) {
			b.Fatalf("%+v", rep.Summary)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(p.Cases)), "ns/case")
}
