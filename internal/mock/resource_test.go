package mock

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/spec"
)

func TestParsePreferSimulation(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want Prefer
	}{
		{"milliseconds", []string{"delay=300"}, Prefer{Delay: 300 * time.Millisecond, DelaySet: true}},
		{"fractional milliseconds", []string{"delay=2.5"}, Prefer{Delay: 2500 * time.Microsecond, DelaySet: true}},
		{"a duration, any case", []string{"DELAY=1.5S"}, Prefer{Delay: 1500 * time.Millisecond, DelaySet: true}},
		{"quoted", []string{`delay="10"`}, Prefer{Delay: 10 * time.Millisecond, DelaySet: true}},
		{"negative is invalid", []string{"delay=-5"}, Prefer{Delay: -1, DelaySet: true}},
		{"words are invalid", []string{"delay=soon"}, Prefer{Delay: -1, DelaySet: true}},
		{"beyond a day is invalid", []string{"delay=90000000"}, Prefer{Delay: -1, DelaySet: true}},
		{"fault lower-cased", []string{"fault=RESET"}, Prefer{Fault: "reset"}},
		{"with the mock's preferences", []string{"code=404; fault=status, delay=0", "Dynamic=TRUE"},
			Prefer{Code: "404", Fault: "status", DelaySet: true, Dynamic: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParsePrefer(tt.in); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func resourcesDoc(t testing.TB) (*spec.Document, *Engine) {
	doc := loadSpec(t, "testdata/resources.yaml")
	return doc, New(doc, Options{ValidateRequests: true, CheckSecurity: true})
}

func TestRefuseAndRespondAs(t *testing.T) {
	doc, e := resourcesDoc(t)
	req := func(method, target, body string, h ...string) (*http.Request, spec.Match) {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(h); i += 2 {
			r.Header.Set(h[i], h[i+1])
		}
		return r, doc.Find(method, r.URL.Path)
	}
	t.Run("refuse writes the engine's refusals", func(t *testing.T) {
		for _, tt := range []struct {
			name, method, target, body string
			h                          []string
			want                       int
		}{
			{"missing credential", "DELETE", "/users/1", "", nil, 401},
			{"bad path parameter", "GET", "/users/abc", "", nil, 400},
			{"body against the schema", "POST", "/users", `{"name":""}`, nil, 422},
			{"acceptable", "POST", "/users", `{"name":"Ann"}`, nil, 0},
			{"acceptable with credential", "DELETE", "/users/1", "", []string{"X-Key", "k"}, 0},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r, m := req(tt.method, tt.target, tt.body, tt.h...)
				w := httptest.NewRecorder()
				refused := e.Refuse(w, r, m)
				if refused != (tt.want != 0) || (refused && w.Code != tt.want) {
					t.Fatalf("refused %v, status %d; want %d", refused, w.Code, tt.want)
				}
				if !refused && w.Body.Len() != 0 {
					t.Errorf("wrote %q when accepting", w.Body.String())
				}
				if tt.body != "" && !refused {
					if got := readAll(t, r); got != tt.body {
						t.Errorf("body not put back: %q", got)
					}
				}
			})
		}
	})
	t.Run("respond as a declared status", func(t *testing.T) {
		r, m := req("GET", "/users/9", "")
		w := httptest.NewRecorder()
		if !e.RespondAs(w, r, m, 404, "") || w.Code != 404 || !strings.Contains(w.Body.String(), "no such user") {
			t.Errorf("got %d %s", w.Code, w.Body)
		}
	})
	t.Run("respond as a named example", func(t *testing.T) {
		r, m := req("GET", "/users/9", "")
		w := httptest.NewRecorder()
		if !e.RespondAs(w, r, m, 0, "ann") || w.Code != 200 || !strings.Contains(w.Body.String(), `"Ann"`) {
			t.Errorf("got %d %s", w.Code, w.Body)
		}
	})
	t.Run("undeclared status or example writes nothing", func(t *testing.T) {
		r, m := req("GET", "/users/9", "")
		for _, c := range []struct {
			status  int
			example string
		}{{409, ""}, {0, "nobody"}, {200, "nobody"}} {
			w := httptest.NewRecorder()
			if e.RespondAs(w, r, m, c.status, c.example) || w.Body.Len() != 0 || len(w.Header()) != 0 {
				t.Errorf("%d %q: answered %d %s", c.status, c.example, w.Code, w.Body)
			}
		}
	})
}

func readAll(t *testing.T, r *http.Request) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func TestSuccessAndSchemas(t *testing.T) {
	doc, e := resourcesDoc(t)
	op := func(id string) *spec.Operation {
		for _, o := range doc.Operations {
			if o.ID == id {
				return o
			}
		}
		t.Fatalf("no operation %s", id)
		return nil
	}
	t.Run("a wrapped list with a required header", func(t *testing.T) {
		s := e.Success(op("listUsers"))
		if s.Status != 200 || s.ContentType != "application/json" || s.Header.Get("X-Total") == "" {
			t.Fatalf("success = %+v", s)
		}
		if s.Body.Type() != "object" || s.Body.Property("data").Type() != "array" || s.Body.Property("data").MaxItems() != 50 {
			t.Errorf("body shape: %s, data %s max %d", s.Body.Type(), s.Body.Property("data").Type(), s.Body.Property("data").MaxItems())
		}
		if got := strings.Join(s.Body.Properties(), ","); got != "data,total" {
			t.Errorf("properties %s", got)
		}
		if len(s.Examples) != 1 {
			t.Errorf("examples %v", s.Examples)
		}
		if item := s.Body.Property("data").Items(); item.Property("id").Type() != "integer" || item.Property("id").Format() != "int64" {
			t.Errorf("item id: %s %s", item.Property("id").Type(), item.Property("id").Format())
		}
	})
	t.Run("no 2xx, no JSON body", func(t *testing.T) {
		if s := e.Success(op("deleteUser")); s.Status != 204 || s.ContentType != "" || s.Body.Defined() {
			t.Errorf("success = %+v", s)
		}
	})
	t.Run("complete adds required values that conform, and only those", func(t *testing.T) {
		user := e.Success(op("createUser")).Body
		obj := map[string]any{"name": "Ann", "password": "pw"}
		user.Complete(obj, 1)
		if _, ok := obj["id"]; !ok {
			t.Errorf("no id: %v", obj)
		}
		if _, ok := obj["created"]; !ok {
			t.Errorf("no created: %v", obj)
		}
		if obj["name"] != "Ann" || len(obj) != 4 {
			t.Errorf("completed %v", obj)
		}
		user.ResponseView(obj)
		if _, ok := obj["password"]; ok || !user.Conforms(obj) {
			t.Errorf("response view %v conforms %v", obj, user.Conforms(obj))
		}
		if user.Conforms(map[string]any{"name": "Ann"}) {
			t.Error("an object without its required properties conforms")
		}
	})
	t.Run("request body and generation", func(t *testing.T) {
		body := e.RequestBody(op("createUser"))
		if !body.Defined() || body.Type() != "object" {
			t.Fatalf("request body %+v", body)
		}
		if e.RequestBody(op("getUser")).Defined() {
			t.Error("a GET has a request body")
		}
		v := e.Success(op("getUser")).Body.Generate(3)
		if !e.Success(op("getUser")).Body.Conforms(v) {
			t.Errorf("generated %v does not conform", v)
		}
		var zero Schema
		if zero.Defined() || zero.Type() != "" || zero.Generate(1) != nil || !zero.Conforms(5) || zero.MaxItems() != -1 {
			t.Error("the zero schema is not 'no schema'")
		}
	})
}
