package state

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/mock"
)

// FuzzStatefulBodies sends arbitrary bodies to create, replace and merge, with request
// validation off (serve --no-validate-requests) so that they reach the store: nothing
// panics, nothing answers 5xx, and a read afterwards answers what the spec accepts.
func FuzzStatefulBodies(f *testing.F) {
	for _, s := range []string{`{"name":"Rex"}`, `{"id":"x","name":5}`, `{"id":1e400}`, `[]`, `null`, `{"tag":null}`, `{"name":{"a":[1,{}]}}`, `{}{}`, `{"id":-1,"name":"a"}`} {
		f.Add(s, "POST")
		f.Add(s, "PATCH")
	}
	fx := newFixtureWith(f, "testdata/crud.yaml", Options{MaxResources: 5}, mock.Options{})
	f.Fuzz(func(t *testing.T, body, method string) {
		target := "/api/pets"
		switch method {
		case "PUT", "PATCH":
			target = "/api/pets/1"
		case "POST":
		default:
			return
		}
		for _, tgt := range []string{"/api/pets", target} {
			m := "POST"
			if tgt != "/api/pets" {
				m = method
			}
			r := httptest.NewRequest(m, tgt, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			fx.srv.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("%s %s %q: %d %s", m, tgt, body, w.Code, w.Body)
			}
		}
		r := httptest.NewRequest("GET", "/api/pets", nil)
		w := httptest.NewRecorder()
		fx.srv.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("list: %d %s", w.Code, w.Body)
		}
	})
}
