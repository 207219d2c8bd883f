package testrun

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/loopback"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/upstream"
)

// closedURL is a loopback address that refuses connections (see internal/loopback).
func closedURL(t *testing.T) *url.URL {
	return &url.URL{Scheme: "http", Host: loopback.RefusedAddr(t)}
}

// gatewayDown answers as mockloop's proxy engine does for an upstream it cannot reach.
var gatewayDown = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(upstream.HeaderError, "upstream http://127.0.0.1:9: connection refused (1 attempt in 1ms)")
	problem.Write(w, problem.Details{Status: http.StatusBadGateway, Detail: "upstream http://127.0.0.1:9: connection refused (1 attempt in 1ms)"})
})

const kindPlan = `cases:
  - {name: list, operation: listPets}
  - {name: one, operation: getPet, path_params: {petId: "1"}}
  - {name: other, operation: getPet, path_params: {petId: "2"}}
`

func TestRunFailureKinds(t *testing.T) {
	mockSide := &HandlerSide{Label: SideMock, Handler: answers(map[string]string{
		"/pets": `200 [{"id":1}]`, "/pets/1": `200 {"id":1}`, "/pets/2": `200 {"id":2}`,
	})}
	slow := make(chan struct{})
	defer close(slow)
	tests := []struct {
		name  string
		live  Side
		kinds []FailureKind // per case; "" for a pass
		want  []string      // in the failures of the first failing case
	}{
		{"differences and status are failures",
			&HandlerSide{Label: SideLive, Handler: answers(map[string]string{"/pets": `200 [{"id":1}]`, "/pets/1": `200 {"id":9}`, "/pets/2": `500 {}`})},
			[]FailureKind{"", KindFailure, KindFailure}, []string{"1 difference between mock and live"}},
		{"the proxy engine answering for an unreachable upstream is an error",
			&HandlerSide{Label: SideLive, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/pets/1" {
					gatewayDown(w, r)
					return
				}
				answers(map[string]string{"/pets": `200 [{"id":1}]`, "/pets/2": `200 {"id":2}`}).ServeHTTP(w, r)
			})},
			[]FailureKind{"", KindError, ""}, []string{"live: request failed: upstream http://127.0.0.1:9: connection refused"}},
		{"a timeout is an error and does not stop the run",
			&HandlerSide{Label: SideLive, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/pets" {
					select {
					case <-slow:
					case <-r.Context().Done():
					}
					return
				}
				answers(map[string]string{"/pets/1": `200 {"id":1}`, "/pets/2": `200 {"id":7}`}).ServeHTTP(w, r)
			})},
			[]FailureKind{KindError, "", KindFailure}, []string{"live: request failed: no answer within 50ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Run(context.Background(), boundPlan(t, kindPlan), Options{Mock: mockSide, Live: tt.live, Concurrency: 1, Timeout: 50 * time.Millisecond})
			errs := 0
			first := -1
			for i, want := range tt.kinds {
				r := rep.Cases[i]
				if r.FailureKind != want {
					t.Errorf("case %s: kind %q, want %q (failures %q)", r.Name, r.FailureKind, want, r.Failures)
				}
				if want == KindError {
					errs++
					if len(r.Differences) != 0 || r.Live == nil || r.Live.Error == "" {
						t.Errorf("case %s: an error has no differences and says why the side did not answer: %+v", r.Name, r)
					}
				}
				if want != "" && first < 0 {
					first = i
				}
			}
			if rep.Summary.Errors != errs || rep.Incomplete || rep.Aborted != "" {
				t.Errorf("summary %+v, incomplete %v, aborted %q", rep.Summary, rep.Incomplete, rep.Aborted)
			}
			got := strings.Join(rep.Cases[first].Failures, "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("failures %q lack %q", got, w)
				}
			}
		})
	}
}

func TestRunAbortsWhenASideIsUnreachable(t *testing.T) {
	mockSide := &HandlerSide{Label: SideMock, Handler: answers(map[string]string{
		"/pets": `200 [{"id":1}]`, "/pets/1": `200 {"id":1}`, "/pets/2": `200 {"id":2}`,
	})}
	t.Run("from the start", func(t *testing.T) {
		down := closedURL(t)
		live := &HTTPSide{Label: SideLive, Base: down, Client: &http.Client{}}
		rep := Run(context.Background(), boundPlan(t, kindPlan), Options{Mock: mockSide, Live: live, Concurrency: 1, Repeat: 2})
		if rep.Cases[0].FailureKind != KindError || !strings.Contains(rep.Cases[0].Failures[0], "live: request failed") {
			t.Errorf("first case = %+v", rep.Cases[0])
		}
		wantWhy := "the live side is unreachable: dial tcp " + down.Host
		if !strings.HasPrefix(rep.Aborted, wantWhy) || !rep.Incomplete || rep.Interrupted {
			t.Errorf("aborted %q (want %q...), incomplete %v, interrupted %v", rep.Aborted, wantWhy, rep.Incomplete, rep.Interrupted)
		}
		for _, r := range rep.Cases[1:] {
			if r.Outcome != OutcomeSkip || r.Reason != "not run: "+rep.Aborted {
				t.Errorf("case %s: %s %q, want skipped, not run", r.DisplayName(), r.Outcome, r.Reason)
			}
		}
		if rep.Summary != (Summary{Total: 6, Failed: 1, Errors: 1, Skipped: 5}) {
			t.Errorf("summary = %+v", rep.Summary)
		}
	})
	t.Run("mid-run", func(t *testing.T) {
		srv := httptest.NewServer(answers(map[string]string{"/pets": `200 [{"id":2}]`, "/pets/1": `200 {"id":1}`}))
		base, _ := url.Parse(srv.URL)
		live := &HTTPSide{Label: SideLive, Base: base, Client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}
		stopped := false
		rep := Run(context.Background(), boundPlan(t, kindPlan), Options{Mock: mockSide, Live: live, Concurrency: 1, Progress: func() {
			if !stopped { // after the first case: the live API goes away
				stopped = true
				srv.Close()
			}
		}})
		outcomes := []Outcome{rep.Cases[0].Outcome, rep.Cases[1].Outcome, rep.Cases[2].Outcome}
		if outcomes[0] != OutcomeFail || rep.Cases[0].FailureKind != KindFailure || outcomes[1] != OutcomeFail || rep.Cases[1].FailureKind != KindError || outcomes[2] != OutcomeSkip {
			t.Errorf("outcomes %v, kinds %q %q", outcomes, rep.Cases[0].FailureKind, rep.Cases[1].FailureKind)
		}
		if !rep.Incomplete || !strings.Contains(rep.Aborted, "the live side is unreachable") || rep.Summary.Errors != 1 || rep.Summary.Failed != 2 {
			t.Errorf("aborted %q, incomplete %v, summary %+v", rep.Aborted, rep.Incomplete, rep.Summary)
		}
	})
	t.Run("the last case: nothing left to skip, the run is complete", func(t *testing.T) {
		down := closedURL(t)
		live := &HTTPSide{Label: SideLive, Base: down, Client: &http.Client{}}
		rep := Run(context.Background(), boundPlan(t, "cases:\n  - {name: list, operation: listPets}\n"), Options{Mock: mockSide, Live: live})
		if rep.Incomplete || rep.Aborted != "" || rep.Summary.Errors != 1 {
			t.Errorf("aborted %q, incomplete %v, summary %+v", rep.Aborted, rep.Incomplete, rep.Summary)
		}
	})
}

func TestSummaryKeepsKindsConsistent(t *testing.T) {
	tests := []struct {
		name string
		in   CaseResult
		want FailureKind
	}{
		{"a failure without a kind (an older report)", CaseResult{Outcome: OutcomeFail}, KindFailure},
		{"an error stays one", CaseResult{Outcome: OutcomeFail, FailureKind: KindError}, KindError},
		{"a run a baseline turned into a pass", CaseResult{Outcome: OutcomePass, FailureKind: KindFailure}, ""},
		{"a skipped run", CaseResult{Outcome: OutcomeSkip, FailureKind: KindError}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Summary
			r := tt.in
			s.add(&r)
			if r.FailureKind != tt.want {
				t.Errorf("kind %q, want %q", r.FailureKind, tt.want)
			}
			if wantErrs := map[bool]int{true: 1}[tt.want == KindError]; s.Errors != wantErrs {
				t.Errorf("errors = %d, want %d", s.Errors, wantErrs)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	down := closedURL(t)
	_, dialErr := http.Get(down.String())
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", dialErr, true},
		{"dns", &url.Error{Op: "Get", URL: "http://x.invalid/?key=secret", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Name: "x.invalid", Err: "no such host"}}}, true},
		{"egress proxy", &net.OpError{Op: "proxyconnect", Net: "tcp", Err: context.DeadlineExceeded}, true},
		{"reset after connecting", &url.Error{Op: "Get", URL: "http://x/", Err: &net.OpError{Op: "read", Err: context.Canceled}}, false},
		{"timeout", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cause, got := unreachable(tt.err)
			if got != tt.want {
				t.Fatalf("unreachable(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if strings.Contains(cause, "secret") {
				t.Errorf("cause %q carries the request URL", cause)
			}
		})
	}
}

// TestMergeKeepsKindsAndIncompleteness: shards merged keep their errors, and a shard that
// aborted makes the merged run incomplete with its reason.
func TestMergeKeepsKindsAndIncompleteness(t *testing.T) {
	const why = "the live side is unreachable: dial tcp 127.0.0.1:9: connect: connection refused"
	a := &Report{Schema: SchemaVersion, Spec: "s.yaml", Mode: "hybrid", Shard: "1/2",
		Cases: []CaseResult{{Name: "a", Outcome: OutcomeFail, FailureKind: KindFailure}}}
	b := &Report{Schema: SchemaVersion, Spec: "s.yaml", Mode: "hybrid", Shard: "2/2", Aborted: why, Incomplete: true,
		Cases: []CaseResult{{Name: "b", Outcome: OutcomeFail, FailureKind: KindError}, {Name: "d", Outcome: OutcomeSkip, Reason: "not run: " + why}}}
	m, err := Merge([]string{"a.json", "b.json"}, []*Report{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Summary != (Summary{Total: 3, Failed: 2, Errors: 1, Skipped: 1}) || !m.Incomplete || m.Aborted != why {
		t.Errorf("summary %+v, incomplete %v, aborted %q", m.Summary, m.Incomplete, m.Aborted)
	}
	// A report written before failure_kind existed merges as failures; one interrupted as
	// incomplete.
	old := &Report{Schema: SchemaVersion, Spec: "s.yaml", Mode: "hybrid", Interrupted: true,
		Cases: []CaseResult{{Name: "x", Outcome: OutcomeFail}}}
	m, err = Merge([]string{"old.json"}, []*Report{old})
	if err != nil {
		t.Fatal(err)
	}
	if m.Cases[0].FailureKind != KindFailure || m.Summary.Errors != 0 || !m.Incomplete {
		t.Errorf("old report merged: %+v incomplete %v", m.Cases[0], m.Incomplete)
	}
}
