package override

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

type fixture struct {
	doc    *spec.Document
	engine *mock.Engine
	store  *Store
	srv    *server.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	doc, err := spec.Load(context.Background(), "testdata/pets.yaml", spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{doc: doc, engine: mock.New(doc, mock.Options{ValidateRequests: true, CheckSecurity: true})}
	f.store = New(doc, f.engine)
	f.srv, err = server.NewServer(server.Config{Doc: doc, Mock: f.engine,
		Answerers: []server.Answerer{f.store}, Admin: []server.AdminRoute{f.store.Admin()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) do(t *testing.T, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.RemoteAddr, r.Host = "127.0.0.1:1", "localhost"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

// valid checks an answer against the spec.
func (f *fixture) valid(t *testing.T, method, path string, w *httptest.ResponseRecorder) []string {
	t.Helper()
	m := f.doc.Find(method, path)
	var out []string
	for _, it := range f.engine.ValidateResponse(m.Operation, nil, w.Code, w.Header(), w.Body.Bytes()) {
		out = append(out, it.String())
	}
	return out
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		ov    plugin.Override
		calls []string // "STATUS BODY" of successive GET answers; BODY "*" is anything
		sim   []string // X-Mockloop-Simulation of each
		warns int
	}{
		{"one answer", "getPet", plugin.Override{OverrideResponse: plugin.OverrideResponse{Body: map[string]any{"id": 9, "name": "Nine"}}},
			[]string{`200 {"id":9,"name":"Nine"}`, `200 {"id":9,"name":"Nine"}`}, []string{"override=getPet", "override=getPet"}, 0},
		{"a named example", "getPet", plugin.Override{OverrideResponse: plugin.OverrideResponse{Example: "tom"}},
			[]string{`200 {"id":2,"name":"Tom"}`}, []string{"override=getPet"}, 0},
		{"an example under a status", "getPet", plugin.Override{OverrideResponse: plugin.OverrideResponse{Status: 404, Example: "gone"}},
			[]string{`404 {"message":"gone"}`}, []string{"override=getPet"}, 0},
		{"a sequence, the last repeats", "getPet", plugin.Override{Responses: []plugin.OverrideResponse{{Status: 503}, {Example: "rex"}}},
			[]string{"503 ", `200 {"id":1,"name":"Rex"}`, `200 {"id":1,"name":"Rex"}`}, []string{"override=getPet 1/2", "override=getPet 2/2", "override=getPet 2/2"}, 0},
		{"a cycle", "getPet", plugin.Override{Responses: []plugin.OverrideResponse{{Status: 503}, {Example: "tom"}}, Cycle: true},
			[]string{"503 ", `200 {"id":2,"name":"Tom"}`, "503 "}, []string{"override=getPet 1/2", "override=getPet 2/2", "override=getPet 1/2"}, 0},
		{"times, then the engine again", "getPet", plugin.Override{OverrideResponse: plugin.OverrideResponse{Status: 503}, Times: 2},
			[]string{"503 ", "503 ", `200 *`}, []string{"override=getPet", "override=getPet", ""}, 0},
		{"a body that violates the schema is served, with a warning", "getPet",
			plugin.Override{OverrideResponse: plugin.OverrideResponse{Body: map[string]any{"id": "nine"}}},
			[]string{`200 {"id":"nine"}`}, []string{"override=getPet"}, 2},
		{"an undeclared status is served, with a warning", "getPet", plugin.Override{OverrideResponse: plugin.OverrideResponse{Status: 418}},
			[]string{"418 "}, []string{"override=getPet"}, 1},
		{"text when Content-Type says so", "listPets",
			plugin.Override{OverrideResponse: plugin.OverrideResponse{Status: 500, Headers: map[string]string{"content-type": "text/plain", "Retry-After": "3"}, Body: "oops"}},
			[]string{"500 oops"}, []string{"override=listPets"}, 1},
		{"an operation without operationId, by METHOD /template", "GET /health", plugin.Override{OverrideResponse: plugin.OverrideResponse{Status: 503}},
			[]string{"503 "}, []string{"override=GET /health"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			warns, err := f.store.Set(tt.op, tt.ov)
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) != tt.warns {
				t.Errorf("warnings %v, want %d", warns, tt.warns)
			}
			if got := f.store.Status().SchemaViolations; got != tt.warns {
				t.Errorf("status counts %d violations", got)
			}
			op := f.store.Operation(tt.op)
			path := strings.ReplaceAll(op.Path, "{id}", "7")
			for i, want := range tt.calls {
				w := f.do(t, op.Method, path, "")
				got := w.Result().Status[:3] + " " + strings.TrimSpace(w.Body.String())
				if wantStatus, wantBody, _ := strings.Cut(want, " "); got != want && !(wantBody == "*" && strings.HasPrefix(got, wantStatus)) {
					t.Errorf("answer %d = %q, want %q", i+1, got, want)
				}
				if sim := w.Header().Get(server.HeaderSimulation); sim != tt.sim[i] {
					t.Errorf("answer %d says %q, want %q", i+1, sim, tt.sim[i])
				}
				if w.Header().Get(server.HeaderMode) != "mock" {
					t.Errorf("answer %d: mode header %q", i+1, w.Header().Get(server.HeaderMode))
				}
				if tt.warns == 0 {
					if probs := f.valid(t, op.Method, path, w); len(probs) > 0 {
						t.Errorf("answer %d does not validate: %v", i+1, probs)
					}
				}
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		id   string
		ov   plugin.Override
		is   error
		want string
	}{
		{"unknown operation", "nope", plugin.Override{}, ErrUnknownOperation, `no such operation "nope"`},
		{"unknown example", "getPet", plugin.Override{OverrideResponse: plugin.OverrideResponse{Example: "felix"}}, ErrInvalid, `GET /pets/{id} declares no example "felix"`},
		{"example under another status", "getPet", plugin.Override{OverrideResponse: plugin.OverrideResponse{Status: 404, Example: "rex"}}, ErrInvalid, "for status 404"},
		{"checks of the plugin file", "getPet", plugin.Override{Cycle: true}, ErrInvalid, "cycle applies to responses only"},
		{"in a sequence", "getPet", plugin.Override{Responses: []plugin.OverrideResponse{{}, {Example: "x"}}}, ErrInvalid, `for getPet: responses[1]: GET /pets/{id} declares no example "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.store.Set(tt.id, tt.ov)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %v %q", err, tt.is, tt.want)
			}
		})
	}
	if len(f.store.List()) != 0 {
		t.Error("a failed Set left an override")
	}
}

func TestAdminAPI(t *testing.T) {
	f := newFixture(t)
	steps := []struct {
		name, method, target, body string
		want                       int
		check                      func(t *testing.T, body string)
	}{
		{"set", "PUT", "/__mockloop/overrides/getPet", `{"status": 503, "headers": {"Retry-After": "1"}, "body": {"message": "down", "n": 12345678901234567890}}`, 200,
			func(t *testing.T, body string) {
				var v View
				if err := json.Unmarshal([]byte(body), &v); err != nil || v.Operation != "GET /pets/{id}" || v.OperationID != "getPet" || v.Override.Status != 503 {
					t.Errorf("%v %s", err, body)
				}
			}},
		{"served, numbers exact", "GET", "/pets/1", "", 503, func(t *testing.T, body string) {
			if !strings.Contains(body, `"n":12345678901234567890`) {
				t.Errorf("body %s", body)
			}
		}},
		{"a sequence with a bad answer warns", "PUT", "/__mockloop/overrides/listPets", `{"responses": [{"body": [{"id": "x"}]}, {"status": 204}], "times": 3}`, 200,
			func(t *testing.T, body string) {
				if !strings.Contains(body, `"location": "responses[0].body[0].id"`) || !strings.Contains(body, `"location": "responses[1].status"`) || !strings.Contains(body, `"remaining": 3`) {
					t.Errorf("warnings: %s", body)
				}
			}},
		{"list in document order", "GET", "/__mockloop/overrides", "", 200, func(t *testing.T, body string) {
			var l ListBody
			if err := json.Unmarshal([]byte(body), &l); err != nil || len(l.Overrides) != 2 || l.Overrides[0].OperationID != "listPets" {
				t.Errorf("%v %s", err, body)
			}
		}},
		{"status counts", "GET", "/__mockloop/status", "", 200, func(t *testing.T, body string) {
			if !strings.Contains(body, `"active": 2`) || !strings.Contains(body, `"schema_violations": 3`) || !strings.Contains(body, `"answered": 1`) {
				t.Errorf("status %s", body)
			}
		}},
		{"show one", "GET", "/__mockloop/overrides/getPet", "", 200, func(t *testing.T, body string) {
			if !strings.Contains(body, `"answered": 1`) {
				t.Errorf("%s", body)
			}
		}},
		{"unknown keys", "PUT", "/__mockloop/overrides/getPet", `{"staus": 200}`, 400, contains(`unknown field \"staus\"`)},
		{"not JSON", "PUT", "/__mockloop/overrides/getPet", `status: 200`, 400, contains("Invalid override")},
		{"invalid", "PUT", "/__mockloop/overrides/getPet", `{"status": 42}`, 400, contains("status 42: want 200 to 599")},
		{"unknown operation", "PUT", "/__mockloop/overrides/nope", `{}`, 404, contains(`no such operation \"nope\"`)},
		{"PUT needs an operation", "PUT", "/__mockloop/overrides", `{}`, 405, contains("sets one operation's override")},
		{"remove one", "DELETE", "/__mockloop/overrides/getPet", "", 200, contains(`"removed": 1`)},
		{"removed: the engine answers", "GET", "/pets/1", "", 200, func(t *testing.T, body string) {
			if strings.Contains(body, "down") {
				t.Errorf("still overridden: %s", body)
			}
		}},
		{"remove one not set", "DELETE", "/__mockloop/overrides/getPet", "", 404, contains("no override for getPet")},
		{"clear", "DELETE", "/__mockloop/overrides", "", 200, contains(`"removed": 1`)},
		{"empty list", "GET", "/__mockloop/overrides", "", 200, contains(`"overrides": []`)},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			w := f.do(t, st.method, st.target, st.body)
			if w.Code != st.want {
				t.Fatalf("status %d, want %d: %s", w.Code, st.want, w.Body)
			}
			st.check(t, w.Body.String())
		})
	}
}

func contains(s string) func(t *testing.T, body string) {
	return func(t *testing.T, body string) {
		t.Helper()
		if !strings.Contains(body, s) {
			t.Errorf("body %s, want %q in it", body, s)
		}
	}
}

// TestConcurrentAnswers runs a counted sequence from many goroutines: every answer is one of
// the sequence, and exactly Times answers are overridden (run with -race).
func TestConcurrentAnswers(t *testing.T) {
	f := newFixture(t)
	if _, err := f.store.Set("getPet", plugin.Override{Responses: []plugin.OverrideResponse{{Status: 500}, {Status: 503}}, Cycle: true, Times: 50}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(f.srv)
	defer hs.Close()
	results := make(chan int, 100)
	for range 100 {
		go func() {
			resp, err := http.Get(hs.URL + "/pets/1")
			if err != nil {
				results <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			results <- resp.StatusCode
		}()
	}
	counts := map[int]int{}
	for range 100 {
		counts[<-results]++
	}
	if counts[500] != 25 || counts[503] != 25 || counts[200] != 50 {
		t.Errorf("answers %v, want 25 x 500, 25 x 503, 50 x 200", counts)
	}
}
