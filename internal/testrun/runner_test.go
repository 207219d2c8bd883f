package testrun

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
)

// bodyValidator flags any body containing "invalid".
type bodyValidator struct{}

func (bodyValidator) ValidateResponse(op *spec.Operation, r *http.Request, status int, h http.Header, body []byte) []problem.Item {
	if bytes.Contains(body, []byte("invalid")) {
		return []problem.Item{{Location: "/body", Message: "invalid value"}}
	}
	return nil
}

// answers maps a request path to status and body.
func answers(m map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := m[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		status, body, _ := strings.Cut(a, " ")
		var code int
		fmt.Sscan(status, &code)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, body)
	})
}

func boundPlan(t *testing.T, text string) *Plan {
	t.Helper()
	p, err := Parse([]byte(text), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Bind(loadSpec(t)); err != nil {
		t.Fatal(err)
	}
	return p
}

const runPlan = `comparison:
  ignore_fields: [plan]
cases:
  - name: same
    operation: listPets
  - name: differs
    operation: getPet
    path_params: {petId: "1"}
    comparison: {ignore_fields: [case]}
  - name: wrong status
    operation: getPet
    path_params: {petId: "404"}
  - name: invalid body
    operation: getPet
    path_params: {petId: "bad"}
`

func TestRun(t *testing.T) {
	mockSide := &HandlerSide{Label: SideMock, Handler: answers(map[string]string{
		"/pets": `200 [{"id":1}]`, "/pets/1": `200 {"id":1}`, "/pets/404": `404 {}`, "/pets/bad": `200 "invalid"`,
	})}
	live := httptest.NewServer(answers(map[string]string{
		"/v1/pets": `200 [{"id":1}]`, "/v1/pets/1": `200 {"id":2}`, "/v1/pets/404": `404 {}`, "/v1/pets/bad": `200 "invalid"`,
	}))
	defer live.Close()
	base, _ := url.Parse(live.URL + "/v1")
	liveSide := &HTTPSide{Label: SideLive, Base: base, Client: live.Client()}

	tests := []struct {
		name       string
		validation Validation
		outcomes   []Outcome
		warnings   int
	}{
		{"strict", ValidationStrict, []Outcome{OutcomePass, OutcomeFail, OutcomeFail, OutcomeFail}, 0},
		{"soft", ValidationSoft, []Outcome{OutcomePass, OutcomeFail, OutcomeFail, OutcomePass}, 1},
		{"off", ValidationOff, []Outcome{OutcomePass, OutcomeFail, OutcomeFail, OutcomePass}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var progress atomic.Int32
			rep := Run(context.Background(), boundPlan(t, runPlan), Options{
				Mock: mockSide, Live: liveSide, Validator: bodyValidator{},
				Validation: tt.validation, Concurrency: 3,
				Plugin:   compare.Config{IgnoreFields: []string{"plugin"}},
				Flags:    compare.Config{IgnoreFields: []string{"flag"}, StrictArrays: compare.Bool(true)},
				Progress: func() { progress.Add(1) },
			})
			if len(rep.Cases) != 4 || progress.Load() != 4 {
				t.Fatalf("%d results, %d progress calls", len(rep.Cases), progress.Load())
			}
			for i, want := range tt.outcomes {
				if got := rep.Cases[i].Outcome; got != want {
					t.Errorf("case %s: outcome %s, want %s (failures %q)", rep.Cases[i].Name, got, want, rep.Cases[i].Failures)
				}
			}
			differs := rep.Cases[1]
			if len(differs.Differences) != 1 || differs.Differences[0].Location != "$.id" || string(differs.Differences[0].Live) != "2" {
				t.Errorf("differences = %+v", differs.Differences)
			}
			if differs.Failures[0] != "1 difference between mock and live" {
				t.Errorf("failures = %q", differs.Failures)
			}
			ws := rep.Cases[2].Failures
			if len(ws) != 2 || ws[0] != "mock: status 404, want 200" || ws[1] != "live: status 404, want 200" {
				t.Errorf("wrong status failures = %q", ws)
			}
			if rep.Summary.Warnings != tt.warnings {
				t.Errorf("warnings = %d, want %d", rep.Summary.Warnings, tt.warnings)
			}
			if rep.Cases[1].Mock.Status != 200 || rep.Cases[1].Live.Status != 200 || rep.Cases[1].Operation != "GET /pets/{petId}" || rep.Cases[1].Path != "/pets/1" {
				t.Errorf("case result = %+v", rep.Cases[1])
			}
			if m := rep.Metrics; m == nil || len(m.Operations) != 2 || m.Mock.Count != 4 || m.Live.Count != 4 {
				t.Errorf("metrics = %+v", m)
			}
			if tt.name == "strict" {
				if got := rep.Cases[3].Failures; len(got) != 2 || !strings.HasPrefix(got[0], "mock: response does not conform to the spec: /body: invalid value") {
					t.Errorf("invalid body failures = %q", got)
				}
			}
		})
	}
}

func TestCaseComparisonMergesLayers(t *testing.T) {
	p := boundPlan(t, "comparison: {ignore_fields: [plan], tolerance: 0.5}\ncases:\n  - name: a\n    operation: getPet\n    path_params: {petId: '1'}\n    comparison: {ignore_fields: [case], tolerance: 0.2, strict_arrays: true}\n")
	opts := Options{
		Plugin: compare.Config{IgnoreFields: []string{"plugin", "plan"}, Tolerance: compare.Tolerance{Default: compare.Number(0.9)}},
		Flags:  compare.Config{IgnoreFields: []string{"flag"}, CompareHeaders: compare.HeadersAll, StrictArrays: compare.Bool(false)},
	}
	got := caseComparison(p, p.Cases[0], opts)
	if strings.Join(got.IgnoreFields, ",") != "plugin,plan,case,flag" || got.Tolerance.DefaultValue() != 0.2 ||
		got.CompareHeaders != compare.HeadersAll || got.StrictArrays == nil || *got.StrictArrays {
		t.Errorf("merged = %+v", got)
	}
	if err := CheckComparisons(p, opts); err != nil {
		t.Errorf("CheckComparisons: %v", err)
	}
	p.Cases[0].Comparison.IgnoreFields = []string{"$.a["}
	if err := CheckComparisons(p, opts); err == nil || !strings.Contains(err.Error(), `case "a"`) {
		t.Errorf("CheckComparisons with a bad pattern: %v", err)
	}
}

func TestRunRepeatFailFastAndCancel(t *testing.T) {
	calls := atomic.Int32{}
	slow := make(chan struct{})
	side := &HandlerSide{Label: SideMock, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path == "/pets/slow" {
			select {
			case <-slow:
			case <-r.Context().Done():
			}
		}
		if r.URL.Path == "/pets/fail" {
			w.WriteHeader(500)
		}
	})}
	plan := "cases:\n  - {name: a, operation: listPets}\n  - {name: b, operation: getPet, path_params: {petId: fail}}\n  - {name: c, operation: listPets, expect: {status: 200}}\n"

	t.Run("repeat", func(t *testing.T) {
		rep := Run(context.Background(), boundPlan(t, plan), Options{Mock: side, Repeat: 3, Concurrency: 2})
		if len(rep.Cases) != 9 || rep.Cases[3].Name != "a" || rep.Cases[3].Iteration != 2 || rep.Cases[3].DisplayName() != "a #2" {
			t.Fatalf("cases = %d, [3] = %+v", len(rep.Cases), rep.Cases[3])
		}
		if rep.Summary != (Summary{Total: 9, Passed: 6, Failed: 3}) {
			t.Errorf("summary = %+v", rep.Summary)
		}
		if rep.Metrics.Operations[0].Mock.Count != 6 || rep.Metrics.Operations[1].Mock.Errors != 3 {
			t.Errorf("metrics = %+v / %+v", rep.Metrics.Operations[0].Mock, rep.Metrics.Operations[1].Mock)
		}
	})
	t.Run("fail fast", func(t *testing.T) {
		rep := Run(context.Background(), boundPlan(t, plan), Options{Mock: side, Repeat: 5, Concurrency: 1, FailFast: true})
		if rep.Summary.Failed != 1 || rep.Summary.Passed != 1 || rep.Summary.Skipped != 13 || rep.Interrupted {
			t.Errorf("summary = %+v interrupted=%v", rep.Summary, rep.Interrupted)
		}
		if r := rep.Cases[2]; r.Outcome != OutcomeSkip || !strings.Contains(r.Reason, "fail-fast") {
			t.Errorf("case c = %+v", r)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		p := boundPlan(t, "cases:\n  - {name: a, operation: listPets}\n  - {name: slow, operation: getPet, path_params: {petId: slow}}\n  - {name: c, operation: listPets}\n")
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		var once atomic.Bool
		rep := Run(ctx, p, Options{Mock: side, Concurrency: 1, Progress: func() {
			if once.CompareAndSwap(false, true) {
				close(started)
				go cancel()
			}
		}})
		<-started
		if !rep.Interrupted || rep.Cases[0].Outcome != OutcomePass || rep.Cases[1].Outcome != OutcomeSkip || rep.Cases[2].Outcome != OutcomeSkip {
			t.Errorf("interrupted=%v outcomes %s %s %s", rep.Interrupted, rep.Cases[0].Outcome, rep.Cases[1].Outcome, rep.Cases[2].Outcome)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		p := boundPlan(t, "cases:\n  - {name: slow, operation: getPet, path_params: {petId: slow}}\n")
		rep := Run(context.Background(), p, Options{Mock: side, Timeout: 20 * time.Millisecond})
		r := rep.Cases[0]
		if r.Outcome != OutcomeFail || r.Mock.Error == "" || !strings.Contains(r.Failures[0], "no answer within 20ms") {
			t.Errorf("result = %+v", r)
		}
	})
	close(slow)
}

func TestGenerate(t *testing.T) {
	doc := loadSpec(t)
	engine := mock.New(doc, mock.Options{ValidateRequests: true, CheckSecurity: true})
	tests := []struct {
		name   string
		filter []string
		want   []string
	}{
		{"all", nil, []string{"listPets", "createPet", "getPet", "GET /store/inventory"}},
		{"tag", []string{"pets"}, []string{"listPets", "createPet"}},
		{"operationId", []string{"getPet"}, []string{"getPet"}},
		{"method glob", []string{"GET /pets*"}, []string{"listPets", "getPet"}},
		{"path glob", []string{"/store/*"}, []string{"GET /store/inventory"}},
		{"any method", []string{"* /pets"}, []string{"listPets", "createPet"}},
		{"two", []string{"store", "createPet"}, []string{"createPet", "GET /store/inventory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			filter, err := spec.ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Generate(doc, engine, filter)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range p.Cases {
				names = append(names, c.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("cases = %v, want %v", names, tt.want)
			}
		})
	}
	if _, err := Generate(doc, engine, mustFilter(t, "nothing")); err == nil || !strings.Contains(err.Error(), "no operation of pets.yaml matches nothing") {
		t.Errorf("error = %v", err)
	}

	// The generated plan survives a round trip through YAML and passes against the mock.
	p, err := Generate(doc, engine, spec.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Cases[1].Expect.Status != 200 || p.Cases[3].Expect.Status != 0 || p.Cases[2].PathParams["petId"] == "" {
		t.Errorf("generated = %+v %+v %+v", p.Cases[1], p.Cases[2], p.Cases[3])
	}
	var buf bytes.Buffer
	if err := p.Marshal(&buf); err != nil {
		t.Fatal(err)
	}
	q, err := Parse(buf.Bytes(), "generated.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if err := q.Bind(doc); err != nil {
		t.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		engine.Respond(w, r, doc.Find(r.Method, r.URL.Path))
	})
	rep := Run(context.Background(), q, Options{Mock: &HandlerSide{Label: SideMock, Handler: handler}, Validator: engine, Validation: ValidationStrict})
	if !rep.Summary.OK() {
		for _, c := range rep.Cases {
			t.Errorf("%s: %s %q", c.Name, c.Outcome, c.Failures)
		}
	}
}

// An operation that answers only 101 (a WebSocket upgrade) gets no case: the mock answers it
// 501 and a comparison of two upgrades is not an HTTP comparison. Generate says so.
func TestGenerateLeavesOutUpgrades(t *testing.T) {
	const src = `openapi: 3.0.3
info: {title: ws, version: "1"}
paths:
  /ws:
    get:
      operationId: connect
      responses:
        '101': {description: switching to WebSocket}
  /health:
    get:
      operationId: health
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
`
	doc, err := spec.LoadData(context.Background(), "ws.yaml", nil, []byte(src), spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	engine := mock.New(doc, mock.Options{})
	p, err := Generate(doc, engine, spec.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Cases) != 1 || p.Cases[0].Name != "health" {
		t.Errorf("cases = %+v, want health only", p.Cases)
	}
	want := "GET /ws: answers 101 Switching Protocols, a protocol upgrade the test runner cannot compare"
	if len(p.LeftOut) != 1 || p.LeftOut[0] != want {
		t.Errorf("left out = %q, want %q", p.LeftOut, want)
	}
	if _, err := Generate(doc, engine, mustFilter(t, "connect")); err == nil || !strings.Contains(err.Error(), "ws.yaml: no operation to test (GET /ws: answers 101") {
		t.Errorf("error = %v", err)
	}
}

func TestHTTPSideJoinsBasePath(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery+" "+r.Header.Get("X-Mockloop-Mode")+" "+r.Header.Get("Cookie"))
		w.Header().Set("X-Seen", "1")
		w.WriteHeader(201)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	tests := []struct{ base, want string }{
		{srv.URL, "GET /refs/heads%2Fmain?n=1&n=2 mock sid=abc"},
		{srv.URL + "/v2/", "GET /v2/refs/heads%2Fmain?n=1&n=2 mock sid=abc"},
		{srv.URL + "/a%20b", "GET /a%20b/refs/heads%2Fmain?n=1&n=2 mock sid=abc"},
	}
	c := &Case{Name: "x", Method: "get", Path: "/refs/{ref}", PathParams: map[string]string{"ref": "heads/main"},
		Query: map[string]Values{"n": {"1", "2"}}, Cookies: map[string]string{"sid": "abc"}}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			got = nil
			base, _ := url.Parse(tt.base)
			side := &HTTPSide{Label: SideLive, Base: base, Client: srv.Client(), Header: http.Header{"X-Mockloop-Mode": {"mock"}}}
			req, err := c.NewRequest(placeholderBase)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := side.Do(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != 201 || string(resp.Body) != "ok" || resp.Header.Get("X-Seen") != "1" {
				t.Errorf("response = %+v", resp)
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("server saw %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHandlerSide(t *testing.T) {
	side := &HandlerSide{Label: SideMock, Header: http.Header{"X-Extra": {"1"}}, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s %s %s", r.Method, r.RequestURI, r.Header.Get("X-Extra"), r.Header.Get("Content-Type"), b)
	})}
	c := &Case{Name: "x", Method: "POST", Path: "/a b", Body: map[string]any{"k": 1}}
	req, err := c.NewRequest(placeholderBase)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := side.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || string(resp.Body) != `POST /a%20b 1 application/json {"k":1}` {
		t.Errorf("response = %d %q", resp.Status, resp.Body)
	}
}

func mustFilter(t *testing.T, patterns ...string) spec.Filter {
	t.Helper()
	f, err := spec.ParseFilter(patterns)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// panicValidator stands for a bug in an engine.
type panicValidator struct{}

func (panicValidator) ValidateResponse(*spec.Operation, *http.Request, int, http.Header, []byte) []problem.Item {
	panic("validator bug")
}

// TestRunRecoversPanics: a panic in a side's handler or in the checks fails that case, naming
// the operation; the other cases still run.
func TestRunRecoversPanics(t *testing.T) {
	p := boundPlan(t, "cases:\n  - name: boom\n    operation: getPet\n    path_params: {petId: '1'}\n  - name: fine\n    operation: listPets\n")
	panicky := &HandlerSide{Label: SideMock, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pets/1" {
			panic("handler bug")
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[]`)
	})}
	rep := Run(context.Background(), p, Options{Mock: panicky})
	if got := rep.Cases[0]; got.Outcome != OutcomeFail || !strings.Contains(strings.Join(got.Failures, " "), "internal error serving GET /pets/1: handler bug") {
		t.Errorf("panicking handler: %+v", got)
	}
	if rep.Cases[1].Outcome != OutcomePass {
		t.Errorf("the next case: %+v", rep.Cases[1])
	}
	rep = Run(context.Background(), p, Options{Mock: panicky, Validator: panicValidator{}, Validation: ValidationStrict})
	if got := rep.Cases[1]; got.Outcome != OutcomeFail || !strings.Contains(got.Failures[0], "internal error running GET /pets: validator bug") {
		t.Errorf("panicking validator: %+v", got)
	}
}
