package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

func ms(n float64) plugin.Duration {
	return plugin.Duration{Duration: time.Duration(n * float64(time.Millisecond))}
}

func rate(f float64) *float64 { return &f }

func mustNew(t testing.TB, o Options) *Simulator {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// samples draws n latencies the way Around does.
func samples(s *Simulator, d *distribution, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		_, _, u1, u2 := s.draw()
		out[i] = float64(d.sample(u1, u2)) / float64(time.Millisecond)
	}
	return out
}

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func stddev(xs []float64) float64 {
	m, sum := mean(xs), 0.0
	for _, x := range xs {
		sum += (x - m) * (x - m)
	}
	return math.Sqrt(sum / float64(len(xs)-1))
}

func median(xs []float64) float64 {
	c := slices.Clone(xs)
	slices.Sort(c)
	return c[len(c)/2]
}

func logs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Log(x)
	}
	return out
}

// TestLatencyDistributions checks each distribution's statistics over many draws with a fixed
// seed, within tolerances far wider than the sampling error at that size (so the test cannot
// flake, yet catches a wrong formula: a swapped bound, a sigma off by a factor, a mean that is
// not a median).
func TestLatencyDistributions(t *testing.T) {
	const n = 50000
	tests := []struct {
		name    string
		latency plugin.Latency
		check   func(t *testing.T, xs []float64)
	}{
		{"fixed", plugin.Latency{Fixed: ms(200)}, func(t *testing.T, xs []float64) {
			if slices.Min(xs) != 200 || slices.Max(xs) != 200 {
				t.Errorf("fixed 200ms drew %g to %g", slices.Min(xs), slices.Max(xs))
			}
		}},
		{"uniform", plugin.Latency{Uniform: []plugin.Duration{ms(100), ms(300)}}, func(t *testing.T, xs []float64) {
			if lo, hi := slices.Min(xs), slices.Max(xs); lo < 100 || hi > 300 || lo > 101 || hi < 299 {
				t.Errorf("range %g to %g, want all of [100, 300]", lo, hi)
			}
			if m := mean(xs); math.Abs(m-200) > 2 {
				t.Errorf("mean %g, want 200 ± 2", m)
			}
			if sd, want := stddev(xs), 200/math.Sqrt(12); math.Abs(sd-want) > 1.5 {
				t.Errorf("stddev %g, want %g ± 1.5", sd, want)
			}
			below := 0
			for _, x := range xs {
				if x < 150 {
					below++
				}
			}
			if share := float64(below) / n; math.Abs(share-0.25) > 0.01 {
				t.Errorf("%g below 150ms, want 0.25 ± 0.01", share)
			}
		}},
		{"lognormal", plugin.Latency{Lognormal: &plugin.Lognormal{Median: ms(80), Sigma: 0.4}}, func(t *testing.T, xs []float64) {
			if m := median(xs); math.Abs(m-80) > 1.5 {
				t.Errorf("median %g, want 80 ± 1.5", m)
			}
			if m, want := mean(xs), 80*math.Exp(0.4*0.4/2); math.Abs(m-want) > 1.5 {
				t.Errorf("mean %g, want %g ± 1.5", m, want)
			}
			ls := logs(xs)
			if m := mean(ls); math.Abs(m-math.Log(80)) > 0.01 {
				t.Errorf("mean of log %g, want %g ± 0.01", m, math.Log(80))
			}
			if sd := stddev(ls); math.Abs(sd-0.4) > 0.01 {
				t.Errorf("stddev of log %g, want 0.4 ± 0.01", sd)
			}
			if slices.Min(xs) <= 0 {
				t.Errorf("a latency of %g", slices.Min(xs))
			}
		}},
		{"lognormal without spread", plugin.Latency{Lognormal: &plugin.Lognormal{Median: ms(50)}}, func(t *testing.T, xs []float64) {
			if math.Abs(slices.Min(xs)-50) > 1e-6 || math.Abs(slices.Max(xs)-50) > 1e-6 {
				t.Errorf("sigma 0 drew %g to %g", slices.Min(xs), slices.Max(xs))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, Options{Latency: &tt.latency, Seed: 42, Seeded: true})
			tt.check(t, samples(s, s.latency, n))
		})
	}
}

func TestFaultRateAndSeed(t *testing.T) {
	const n = 100000
	count := func(seed uint64) (int, []bool) {
		s := mustNew(t, Options{Fault: &plugin.Fault{Rate: rate(0.05)}, Seed: seed, Seeded: true})
		failed, first := 0, []bool{}
		for i := 0; i < n; i++ {
			_, u, _, _ := s.draw()
			hit := u < s.fault.rate
			if hit {
				failed++
			}
			if i < 64 {
				first = append(first, hit)
			}
		}
		return failed, first
	}
	failed, a := count(7)
	if share := float64(failed) / n; math.Abs(share-0.05) > 0.003 {
		t.Errorf("%g of requests failed, want 0.05 ± 0.003", share)
	}
	if _, b := count(7); !slices.Equal(a, b) {
		t.Error("the same seed gave other faults")
	}
	_, c := count(8)
	_, d := count(9)
	if slices.Equal(a, c) && slices.Equal(a, d) {
		t.Error("other seeds gave the same faults")
	}
}

const fixture = `openapi: 3.0.3
info: {title: sim, version: "1"}
paths:
  /pets/{id}:
    get:
      operationId: getPet
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
    put:
      operationId: putPet
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
  /store/orders:
    post:
      operationId: createOrder
      responses: {'201': {description: ok}}
`

// answerMock answers every request 200 {"answered": "<operationId>"}.
type answerMock struct{}

func (answerMock) Respond(w http.ResponseWriter, r *http.Request, m spec.Match) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"answered":"`+m.Operation.ID+`"}`)
}

// answerLive is a live side answering 200 {"live": true}.
type answerLive struct{}

func (answerLive) Forward(w http.ResponseWriter, r *http.Request, _ spec.Match, _ func(string)) error {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"live":true}`)
	return nil
}

type harness struct {
	srv    *server.Server
	sim    *Simulator
	url    string
	client *http.Client
}

func newHarness(t *testing.T, o Options, mode plugin.Mode) *harness {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sim.yaml")
	if err := os.WriteFile(path, []byte(fixture), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := spec.Load(context.Background(), path, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sim := mustNew(t, o)
	srv, err := server.NewServer(server.Config{Doc: doc, Mock: answerMock{}, Live: answerLive{}, Mode: mode,
		Steps: []server.Step{sim}, Admin: []server.AdminRoute{sim.Admin()}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &harness{srv: srv, sim: sim, url: hs.URL,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
}

type result struct {
	status  int
	header  http.Header
	body    string
	err     error
	elapsed time.Duration
}

func (h *harness) do(t *testing.T, method, path string, header ...string) result {
	t.Helper()
	return h.doWith(t, h.client, method, path, header...)
}

func (h *harness) doWith(t *testing.T, c *http.Client, method, path string, header ...string) result {
	t.Helper()
	req, err := http.NewRequest(method, h.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return result{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: string(data), err: err, elapsed: time.Since(start)}
}

// TestFaultKinds sends requests through a real HTTP client for each kind of fault and checks
// what the client sees, and that the server still logs and counts each request.
func TestFaultKinds(t *testing.T) {
	tests := []struct {
		kind  string
		fault plugin.Fault
		check func(t *testing.T, r result)
	}{
		{"reset", plugin.Fault{Kind: "reset"}, func(t *testing.T, r result) {
			if !errors.Is(r.err, syscall.ECONNRESET) {
				t.Errorf("want a connection reset, got %v (status %d)", r.err, r.status)
			}
		}},
		{"empty", plugin.Fault{Kind: "empty"}, func(t *testing.T, r result) {
			if r.err == nil || !errors.Is(r.err, io.EOF) {
				t.Errorf("want the connection closed without a response (EOF), got %v (status %d)", r.err, r.status)
			}
		}},
		{"malformed", plugin.Fault{Kind: "malformed"}, func(t *testing.T, r result) {
			if r.err == nil || !strings.Contains(r.err.Error(), "malformed HTTP") {
				t.Errorf("want a malformed response, got %v (status %d)", r.err, r.status)
			}
		}},
		{"timeout held until its cap", plugin.Fault{Kind: "timeout", After: ms(150)}, func(t *testing.T, r result) {
			if r.err == nil || !errors.Is(r.err, io.EOF) || r.elapsed < 150*time.Millisecond {
				t.Errorf("want the connection closed after at least 150ms, got %v after %s", r.err, r.elapsed)
			}
		}},
		{"status", plugin.Fault{Kind: "status", Status: 503}, func(t *testing.T, r result) {
			if r.err != nil || r.status != 503 || r.header.Get("Content-Type") != "application/problem+json" ||
				r.header.Get(server.HeaderSimulation) != "fault=status 503" || !strings.Contains(r.body, "simulated fault") {
				t.Errorf("got %v %d %v %s", r.err, r.status, r.header, r.body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			h := newHarness(t, Options{Fault: &tt.fault}, plugin.ModeMock)
			tt.check(t, h.do(t, "GET", "/pets/1"))
			wantStatus := "other"
			if tt.fault.Kind == "status" {
				wantStatus = "5xx"
			}
			deadline := time.Now().Add(5 * time.Second)
			for h.srv.Status().Requests.Mock[wantStatus] != 1 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond) // a dropped request is logged when its handler returns
			}
			if got := h.srv.Status().Requests.Mock[wantStatus]; got != 1 {
				t.Errorf("the request is counted under %s: %v", wantStatus, h.srv.Status().Requests)
			}
			if got := h.sim.Counts().Faults[tt.fault.Kind]; got != 1 {
				t.Errorf("faults counted: %v", h.sim.Counts())
			}
			if r := h.do(t, "GET", "/__mockloop/status"); r.err != nil || r.status != 200 || r.header.Get(server.HeaderSimulation) != "" {
				t.Errorf("the admin API is affected: %v %d", r.err, r.status)
			}
		})
	}
	t.Run("timeout until the client gives up", func(t *testing.T) {
		h := newHarness(t, Options{}, plugin.ModeMock)
		impatient := &http.Client{Timeout: 100 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
		r := h.doWith(t, impatient, "GET", "/pets/1", "Prefer", "fault=timeout")
		var te interface{ Timeout() bool }
		if !errors.As(r.err, &te) || !te.Timeout() || r.elapsed < 100*time.Millisecond {
			t.Errorf("want a client timeout, got %v after %s", r.err, r.elapsed)
		}
	})
	t.Run("a shutdown lets a held request go", func(t *testing.T) {
		h := newHarness(t, Options{Fault: &plugin.Fault{Kind: "timeout", After: plugin.Duration{Duration: time.Hour}}}, plugin.ModeMock)
		done := make(chan result, 1)
		go func() { done <- h.do(t, "GET", "/pets/1") }()
		time.Sleep(50 * time.Millisecond)
		h.srv.Drain()
		if r := <-done; !errors.Is(r.err, io.EOF) {
			t.Errorf("want the held connection closed, got %v %d", r.err, r.status)
		}
	})
}

func TestPreferAndRules(t *testing.T) {
	o := Options{
		Latency: &plugin.Latency{Fixed: ms(1)},
		Rules: []plugin.SimulationRule{
			{Operation: "getPet", Condition: "'X-Slow' in request.headers", Latency: &plugin.Latency{Fixed: ms(120)}},
			{Pattern: "/pets/*", Method: "PUT", Fault: &plugin.Fault{Status: 500}},
			{Name: "orders", Pattern: "/store/**", Fault: &plugin.Fault{Kind: "status", Status: 502}, Latency: &plugin.Latency{Fixed: ms(0)}},
		},
		Seed: 1, Seeded: true,
	}
	h := newHarness(t, o, plugin.ModeMock)
	tests := []struct {
		name       string
		method     string
		path       string
		header     []string
		wantStatus int
		wantSim    string
		minElapsed time.Duration
	}{
		{"the global latency", "GET", "/pets/1", nil, 200, "delay=1ms", time.Millisecond},
		{"a rule by operation and condition", "GET", "/pets/1", []string{"X-Slow", "1"}, 200, "delay=120ms", 120 * time.Millisecond},
		{"Prefer delay over the rule", "GET", "/pets/1", []string{"X-Slow", "1", "Prefer", "delay=300"}, 200, "delay=300ms", 300 * time.Millisecond},
		{"Prefer delay=0 turns latency off", "GET", "/pets/1", []string{"Prefer", "delay=0"}, 200, "", 0},
		{"a rule's fault, the global latency still applies", "PUT", "/pets/1", nil, 500, "delay=1ms, fault=status 500", time.Millisecond},
		{"a later rule for another path", "POST", "/store/orders", nil, 502, "fault=status 502", 0},
		{"Prefer fault by status code, any case", "GET", "/pets/1", []string{"Prefer", "FAULT=418; delay=0"}, 418, "fault=status 418", 0},
		{"Prefer fault=status is a 503", "GET", "/pets/1", []string{"Prefer", "fault=Status, delay=0"}, 503, "fault=status 503", 0},
		{"a path in no operation is delayed too", "GET", "/nowhere", nil, 404, "delay=1ms", time.Millisecond},
		{"a bad Prefer delay", "GET", "/pets/1", []string{"Prefer", "delay=soon"}, 400, "", 0},
		{"a bad Prefer fault", "GET", "/pets/1", []string{"Prefer", "fault=explode"}, 400, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(t, tt.method, tt.path, tt.header...)
			if r.err != nil {
				t.Fatal(r.err)
			}
			got := strings.Join(r.header.Values(server.HeaderSimulation), ", ")
			if r.status != tt.wantStatus || got != tt.wantSim {
				t.Errorf("got %d %q (%s), want %d %q", r.status, got, r.body, tt.wantStatus, tt.wantSim)
			}
			if r.elapsed < tt.minElapsed { // a lower bound only: speed is never asserted
				t.Errorf("answered after %s, want at least %s", r.elapsed, tt.minElapsed)
			}
		})
	}
	t.Run("the admin report", func(t *testing.T) {
		r := h.do(t, "GET", "/__mockloop/simulation")
		var rep Report
		if err := json.Unmarshal([]byte(r.body), &rep); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		if rep.Seed != 1 || rep.Latency != "1ms" || len(rep.Rules) != 3 || rep.Rules[2].Rule != "orders" ||
			rep.Rules[0].Rule != "#1 getPet" || rep.Rules[1].Rule != "#2 PUT /pets/*" || rep.Rules[1].Fault != "1:500" {
			t.Errorf("report %s", r.body)
		}
		if rep.Rules[0].Hits != 1 || rep.Rules[2].Hits != 1 || rep.Delayed == 0 || rep.Faults["status"] != 4 {
			t.Errorf("counts %s", r.body)
		}
		var st server.Status
		if err := json.Unmarshal([]byte(h.do(t, "GET", "/__mockloop/status").body), &st); err != nil || st.Features["simulation"] == nil {
			t.Errorf("status features: %v %v", st.Features, err)
		}
	})
}

func TestLiveAnswers(t *testing.T) {
	h := newHarness(t, Options{Latency: &plugin.Latency{Fixed: ms(50)}}, plugin.ModeProxy)
	r := h.do(t, "GET", "/pets/1")
	if r.err != nil || r.body != `{"live":true}` || r.header.Get(server.HeaderSimulation) != "delay=50ms" ||
		r.header.Get(server.HeaderMode) != "proxy" || r.elapsed < 50*time.Millisecond {
		t.Errorf("got %v %q %v after %s", r.err, r.body, r.header, r.elapsed)
	}
	if r := h.do(t, "GET", "/pets/1", "Prefer", "fault=reset"); !errors.Is(r.err, syscall.ECONNRESET) {
		t.Errorf("a live answer reset: %v %d", r.err, r.status)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"condition", Options{Rules: []plugin.SimulationRule{{Name: "slow", Condition: "request.nope", Latency: &plugin.Latency{}}}},
			`simulation.rules[0] (slow): condition "request.nope"`},
		{"pattern", Options{Rules: []plugin.SimulationRule{{Pattern: "x", Latency: &plugin.Latency{}}}}, `simulation.rules[0] (#1 x): pattern`},
		{"no effect", Options{Rules: []plugin.SimulationRule{{Pattern: "/x"}}}, "give a latency, a fault or both"},
		{"fault", Options{Fault: &plugin.Fault{Rate: rate(3)}}, "simulation: fault: rate 3"},
		{"latency", Options{Latency: &plugin.Latency{Uniform: []plugin.Duration{ms(2), ms(1)}}}, "simulation: latency: uniform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// BenchmarkAround is the cost of the step on a request with nothing to simulate (what serve
// pays on every request), and with a latency of 0 drawn from a rule.
func BenchmarkAround(b *testing.B) {
	r := httptest.NewRequest("GET", "/pets/1", nil)
	m := spec.Match{Operation: &spec.Operation{ID: "getPet", Method: "GET", Path: "/pets/{id}"}}
	next := func(http.ResponseWriter, *http.Request) {}
	w := httptest.NewRecorder()
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"idle", Options{}},
		{"rule", Options{Rules: []plugin.SimulationRule{{Operation: "getPet", Latency: &plugin.Latency{}}}}},
	} {
		s := mustNew(b, c.o)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Around(w, r, m, next)
			}
		})
	}
}
