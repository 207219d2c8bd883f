package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
	"github.com/mockloop/mockloop/internal/testrun"
)

// BenchmarkTestRunGitHub runs the generated plan of every GitHub REST operation (1,223) in
// hybrid mode against two loopback servers (each the `mockloop serve` handler in mock mode),
// with strict validation of both answers and the comparison of every pair. The spec is loaded
// and the plan generated once, outside the timing. Profile it (-cpuprofile) and split the
// samples by their root: net/http.(*conn).serve is the servers, testrun.Run the runner.
func BenchmarkSharedSpecsTestRunGitHub(b *testing.B) {
	const path = "../../../shared/specs/api.github.com.json"
	if _, err := os.Stat(path); err != nil {
		b.Skip("skipped: the sibling shared specs (" + path + ") are not present")
	}
	doc, err := spec.Load(context.Background(), path, spec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	newServer := func() *url.URL {
		h, err := stack.Build(doc, stack.Settings{Mode: plugin.ModeMock}, stack.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s := httptest.NewServer(h)
		b.Cleanup(s.Close)
		b.Cleanup(h.Close)
		u, _ := url.Parse(s.URL)
		return u
	}
	mockURL, liveURL := newServer(), newServer()
	engine := mock.New(doc, mock.Options{ValidateRequests: true, CheckSecurity: true})
	plan, err := testrun.Generate(doc, engine, spec.Filter{})
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{}
	opts := testrun.Options{
		Mock:        &testrun.HTTPSide{Label: testrun.SideMock, Base: mockURL, Client: client, Header: http.Header{server.HeaderMode: {"mock"}}},
		Live:        &testrun.HTTPSide{Label: testrun.SideLive, Base: liveURL, Client: client},
		Validator:   engine,
		Validation:  testrun.ValidationStrict,
		Concurrency: 4,
	}
	b.ResetTimer()
	for b.Loop() {
		rep := testrun.Run(context.Background(), plan, opts)
		if rep.Summary.Total != len(plan.Cases) {
			b.Fatalf("ran %d of %d cases", rep.Summary.Total, len(plan.Cases))
		}
	}
	b.ReportMetric(float64(len(plan.Cases)), "cases/op")
}
