package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// answerFor answers one operation with a fixed body.
type answerFor struct {
	op, body string
}

func (a answerFor) Answer(w http.ResponseWriter, r *http.Request, m spec.Match) bool {
	if m.Operation.ID != a.op {
		return false
	}
	io.WriteString(w, a.body)
	return true
}

type observed struct {
	mu sync.Mutex
	xs []*Exchange
}

func (o *observed) ObserveLive(x *Exchange) {
	o.mu.Lock()
	o.xs = append(o.xs, x)
	o.mu.Unlock()
}

// stamp is a step that marks the answers it let through, and answers /pets/teapot itself.
type stamp struct{}

func (stamp) Around(w http.ResponseWriter, r *http.Request, m spec.Match, next func(http.ResponseWriter, *http.Request)) {
	if m.PathParams["id"] == "teapot" {
		w.WriteHeader(http.StatusTeapot)
		return
	}
	w.Header().Set("X-Step", m.Operation.ID)
	next(w, r)
}

func TestExtensionPoints(t *testing.T) {
	obs := &observed{}
	live := &fakeLive{}
	s, err := NewServer(Config{
		Doc: loadFixture(t), Mock: fakeMock{}, Live: live, Mode: plugin.ModeMock,
		Answerers:     []Answerer{answerFor{"getPet", "first"}, answerFor{"getPet", "second"}},
		LiveObservers: []LiveObserver{obs},
		ObserveBody:   8,
		Steps:         []Step{stamp{}},
		Admin: []AdminRoute{
			{Name: "health", Methods: "GET", Public: true, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })},
			{Name: "things", Methods: "GET, DELETE", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Method+" "+r.URL.Path) })},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	do := func(method, target, remote string, body string, h ...string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.RemoteAddr, r.Host = remote, "127.0.0.1:8000"
		for i := 0; i+1 < len(h); i += 2 {
			r.Header.Set(h[i], h[i+1])
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}

	t.Run("answerers before the engine, first wins", func(t *testing.T) {
		w := do("GET", "/pets/7", "127.0.0.1:1", "")
		if w.Body.String() != "first" || w.Header().Get("X-Step") != "getPet" || w.Header().Get(HeaderMode) != "mock" {
			t.Errorf("got %q, step %q, mode %q", w.Body.String(), w.Header().Get("X-Step"), w.Header().Get(HeaderMode))
		}
		if w := do("GET", "/pets", "127.0.0.1:1", ""); !strings.Contains(w.Body.String(), `"mock":"GET /pets"`) {
			t.Errorf("an operation no answerer takes reaches the engine: %q", w.Body.String())
		}
	})
	t.Run("a step may answer itself", func(t *testing.T) {
		if w := do("GET", "/pets/teapot", "127.0.0.1:1", ""); w.Code != http.StatusTeapot {
			t.Errorf("status %d", w.Code)
		}
		if got := s.Status().Requests.Mock["4xx"]; got != 1 {
			t.Errorf("the step's answer is counted: 4xx = %d", got)
		}
	})
	t.Run("live observers see live answers with bounded bodies", func(t *testing.T) {
		do("POST", "/pets", "127.0.0.1:1", "a long request body", HeaderMode, "proxy")
		obs.mu.Lock()
		defer obs.mu.Unlock()
		if len(obs.xs) != 1 {
			t.Fatalf("%d exchanges observed", len(obs.xs))
		}
		x := obs.xs[0]
		if x.Operation == nil || x.Operation.ID != "createPet" || x.Status != 200 || string(x.Body) != `{"live":` ||
			string(x.RequestBody) != "" || !x.Truncated || x.Header.Get(HeaderMode) != "proxy" {
			t.Errorf("exchange = %+v (body %q)", x, x.Body)
		}
	})
	t.Run("admin routes: public ones answer anyone, the others follow the access rule", func(t *testing.T) {
		if w := do("GET", "/__mockloop/health", "192.0.2.1:1", ""); w.Code != 200 || w.Body.String() != "ok" {
			t.Errorf("public route from another host: %d %q", w.Code, w.Body.String())
		}
		if w := do("GET", "/__mockloop/things/a", "192.0.2.1:1", ""); w.Code != http.StatusForbidden {
			t.Errorf("protected route from another host: %d", w.Code)
		}
		if w := do("DELETE", "/__mockloop/things/a", "127.0.0.1:1", ""); w.Code != 200 || w.Body.String() != "DELETE /__mockloop/things/a" {
			t.Errorf("protected route from loopback: %d %q", w.Code, w.Body.String())
		}
		if w := do("PUT", "/__mockloop/things", "127.0.0.1:1", ""); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, DELETE" {
			t.Errorf("method not allowed: %d %q", w.Code, w.Header().Get("Allow"))
		}
		if w := do("GET", "/__mockloop/nothing", "127.0.0.1:1", ""); w.Code != 404 || !strings.Contains(w.Body.String(), "health, things") {
			t.Errorf("unknown: %d %s", w.Code, w.Body.String())
		}
	})
}
