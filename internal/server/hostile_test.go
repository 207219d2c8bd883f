package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/spec"
)

// blockingAnswerer reads the body of POST /pets and waits on release before answering, so a
// test can hold a body "in validation".
type blockingAnswerer struct {
	entered chan struct{}
	release chan struct{}
}

func (a *blockingAnswerer) Answer(w http.ResponseWriter, r *http.Request, m spec.Match) bool {
	if r.Method != http.MethodPost {
		return false
	}
	_, _ = io.ReadAll(r.Body)
	a.entered <- struct{}{}
	<-a.release
	w.WriteHeader(http.StatusCreated)
	return true
}

func TestBodyGate(t *testing.T) {
	a := &blockingAnswerer{entered: make(chan struct{}, 4), release: make(chan struct{})}
	s := newTestServer(t, Config{MaxBodyBytes: 1000, BodyBudget: 100, BodyWait: 50 * time.Millisecond, Answerers: []Answerer{a}})
	body := strings.Repeat("x", 80)

	var wg sync.WaitGroup
	var first *httptest.ResponseRecorder
	wg.Add(1)
	go func() { defer wg.Done(); first = do(s, "POST", "/pets", nil, body) }()
	<-a.entered // the first body holds 80 of the 100 bytes of budget

	if w := do(s, "POST", "/pets", nil, body); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" ||
		!strings.Contains(w.Body.String(), "up to 100 bytes at once") {
		t.Errorf("a second body over the budget: %d %q (Retry-After %q), want 503 saying why", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	// 4 bytes fit beside the first body: it goes in at once (and waits for release too).
	var small *httptest.ResponseRecorder
	wg.Add(1)
	go func() { defer wg.Done(); small = do(s, "POST", "/pets", nil, "tiny") }()
	select {
	case <-a.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("a body that fits beside the first did not get in")
	}
	if w := do(s, "GET", "/pets", nil, ""); w.Code != http.StatusOK {
		t.Errorf("a request without a body waits for nothing: %d", w.Code)
	}
	close(a.release)
	wg.Wait()
	if first.Code != http.StatusCreated || small.Code != http.StatusCreated {
		t.Errorf("first body: %d, small body: %d, want 201", first.Code, small.Code)
	}
	if w := do(s, "POST", "/pets", nil, body); w.Code != http.StatusCreated {
		t.Errorf("after the first body left: %d, want 201", w.Code)
	}
}

func TestBodyGateWeights(t *testing.T) {
	tests := []struct {
		name          string
		budget, limit int64
		length        int64
		noBody        bool
		want          int64
	}{
		{name: "no body", budget: 100, limit: 50, noBody: true, want: 0},
		{name: "empty body", budget: 100, limit: 50, length: 0, want: 0},
		{name: "known length", budget: 100, limit: 50, length: 20, want: 20},
		{name: "over the limit weighs the limit", budget: 100, limit: 50, length: 70, want: 50},
		{name: "unknown length weighs the limit", budget: 100, limit: 50, length: -1, want: 50},
		{name: "never more than the budget", budget: 100, limit: -1, length: 500, want: 100},
		{name: "unlimited and unknown", budget: 100, limit: -1, length: -1, want: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newBodyGate(tt.budget, tt.limit, 0)
			r := httptest.NewRequest("POST", "/", strings.NewReader("x"))
			if tt.noBody {
				r.Body = http.NoBody
			}
			r.ContentLength = tt.length
			if got := g.weight(r); got != tt.want {
				t.Errorf("weight = %d, want %d", got, tt.want)
			}
		})
	}
	if g := newBodyGate(0, 10<<20, 0); g.budget != 10<<20 {
		t.Errorf("default budget = %d, want the body limit", g.budget)
	}
	if g := newBodyGate(0, 1000, 0); g.budget != minBodyBudget {
		t.Errorf("default budget for a small limit = %d, want %d", g.budget, minBodyBudget)
	}
}

type failingBody struct{}

func (failingBody) Read([]byte) (int, error) { return 0, errors.New("i/o timeout") }

func TestBodyReadFailureClosesConnection(t *testing.T) {
	s := newTestServer(t, Config{})
	r := httptest.NewRequest("POST", "/pets", failingBody{})
	r.RemoteAddr, r.Host = "127.0.0.1:40000", "localhost"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if got := w.Header().Get("Connection"); got != "close" {
		t.Errorf("Connection = %q after a failed body read, want close (else the rest of the body is read as a new request)", got)
	}
	if w := do(s, "POST", "/pets", nil, "{}"); w.Header().Get("Connection") != "" {
		t.Errorf("a body read that succeeds keeps the connection: Connection = %q", w.Header().Get("Connection"))
	}
}

func TestBoundHeader(t *testing.T) {
	small := http.Header{"Accept": {"application/json"}, "User-Agent": {"curl/8"}}
	if got := boundHeader(small); reflect.ValueOf(got).UnsafePointer() != reflect.ValueOf(small).UnsafePointer() {
		t.Error("headers within the bound are copied; want the map itself")
	}
	big := http.Header{
		"Authorization": {"Bearer " + strings.Repeat("s", 2000)},
		"X-Big":         {strings.Repeat("h", 900<<10)},
		"Accept":        {"application/json"},
	}
	for i := range 40 {
		big["X-Many-"+string(rune('A'+i%26))+string(rune('a'+i/26))] = []string{strings.Repeat("v", 400)}
	}
	got := boundHeader(big)
	size := 0
	for k, vs := range got {
		for _, v := range vs {
			size += len(k) + len(v)
		}
	}
	if size > maxLoggedHeaders+200 {
		t.Errorf("bounded headers hold %d bytes, want about %d", size, maxLoggedHeaders)
	}
	if v := got.Get("X-Big"); !strings.HasSuffix(v, truncMark(900<<10)) || len(v) > maxLoggedValue+40 {
		t.Errorf("X-Big = %.60q... (%d bytes), want it cut and marked", v, len(v))
	}
	if got.Get("Accept") != "application/json" {
		t.Errorf("short headers are kept: Accept = %q", got.Get("Accept"))
	}
	if !strings.Contains(got.Get("X-Mockloop-Truncated"), "left out") {
		t.Errorf("the headers left out are not counted: %q", got.Get("X-Mockloop-Truncated"))
	}
	if len(big["X-Big"][0]) != 900<<10 {
		t.Error("the request's own headers were modified")
	}

	// Through the server: the ring keeps the bound, and a cut secret is still masked.
	s := newTestServer(t, Config{})
	do(s, "GET", "/pets?"+strings.Repeat("a=1&", 2000)+"api_key=k3y", map[string]string{"X-Big": big["X-Big"][0], "Authorization": big["Authorization"][0]}, "")
	w := do(s, "GET", "/__mockloop/requests", nil, "")
	var recs struct {
		Requests []RequestRecord `json:"requests"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &recs); err != nil || len(recs.Requests) == 0 {
		t.Fatalf("requests: %v %s", err, w.Body)
	}
	rec := recs.Requests[len(recs.Requests)-1]
	if n := len(w.Body.String()); n > 16<<10 {
		t.Errorf("/__mockloop/requests is %d bytes for one request with 900 KB of headers", n)
	}
	if rec.RequestHeaders["Authorization"] != "***" {
		t.Errorf("Authorization = %.40q, want ***", rec.RequestHeaders["Authorization"])
	}
	if !strings.Contains(rec.Query, "truncated") || len(rec.Query) > maxLoggedURL+40 {
		t.Errorf("query = %.80q... (%d bytes), want it cut and marked", rec.Query, len(rec.Query))
	}
}

func TestTextLogEscapes(t *testing.T) {
	var buf syncBuffer
	s := newTestServer(t, Config{Log: &buf})
	for _, target := range []string{
		"/pets/a%0a2026-01-01T00:00:00Z%20GET%20/admin%20200%201ms%20mock",
		"/pets/%1b%5b31mred%1b%5b0m",
		"/pets/caf%C3%A9",
		"/pets/%E2%80%AEevil",
		"/pets/%ff",
	} {
		do(s, "GET", target, nil, "")
	}
	s.Close()
	out := buf.String()
	if n := strings.Count(out, "\n"); n != 5 {
		t.Errorf("%d lines for 5 requests (a path forged a line):\n%s", n, out)
	}
	if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, '\u202e') {
		t.Errorf("an escape or bidi character reached the log: %q", out)
	}
	for _, want := range []string{"/pets/a%0A2026-01-01T00:00:00Z%20GET%20/admin", "/pets/%1B[31mred%1B[0m", "/pets/café ", "/pets/%E2%80%AEevil", "/pets/%FF "} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not contain %q:\n%s", want, out)
		}
	}
}

func TestAdminHostCheck(t *testing.T) {
	tests := []struct {
		name, host, token, auth, path string
		want                          int
	}{
		{name: "localhost", host: "localhost:8000", path: "status", want: 200},
		{name: "IPv4", host: "127.0.0.1:8000", path: "status", want: 200},
		{name: "IPv6", host: "[::1]:8000", path: "status", want: 200},
		{name: "a .localhost name", host: "app.localhost", path: "status", want: 200},
		{name: "any IP literal", host: "192.168.1.20:8000", path: "status", want: 200},
		{name: "a rebound name", host: "evil.example:8000", path: "status", want: 403},
		{name: "a rebound name may switch nothing", host: "attacker.test", path: "mode", want: 403},
		{name: "probes answer any Host", host: "evil.example", path: "health", want: 200},
		{name: "readiness too", host: "evil.example", path: "ready", want: 200},
		{name: "the token opens other names", host: "mockloop.internal", token: "t0k", auth: "Bearer t0k", path: "status", want: 200},
		{name: "without it they stay closed", host: "mockloop.internal", token: "t0k", path: "status", want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Config{AdminToken: tt.token})
			r := httptest.NewRequest("GET", AdminPrefix+tt.path, nil)
			r.RemoteAddr, r.Host = "127.0.0.1:40000", tt.host
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("Host %s: %d %s, want %d", tt.host, w.Code, w.Body, tt.want)
			}
			if w.Code == 403 && !strings.Contains(w.Body.String(), "--admin-token") {
				t.Errorf("the refusal does not say how to open it: %s", w.Body)
			}
		})
	}
}

func TestAdminCORS(t *testing.T) {
	origin := map[string]string{"Origin": "http://app.test"}
	for _, tt := range []struct {
		name, token string
		wantMethods string
	}{
		{name: "no token: read only", wantMethods: "GET, HEAD"},
		{name: "token: the token decides", token: "t0k", wantMethods: "PUT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Config{CORS: true, AdminToken: tt.token})
			pre := do(s, "OPTIONS", "/__mockloop/mode", map[string]string{"Origin": "http://app.test", "Access-Control-Request-Method": "PUT"}, "")
			if pre.Code != http.StatusNoContent {
				t.Fatalf("admin preflight: %d", pre.Code)
			}
			if got := pre.Header().Get("Access-Control-Allow-Methods"); !strings.Contains(got, tt.wantMethods) ||
				(tt.token == "" && strings.Contains(got, "PUT")) {
				t.Errorf("Access-Control-Allow-Methods = %q, want %q", got, tt.wantMethods)
			}
			if got := pre.Header().Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("admin preflight allows credentials: %q", got)
			}
		})
	}
	s := newTestServer(t, Config{CORS: true})
	w := do(s, "GET", "/__mockloop/status", origin, "")
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "http://app.test" || w.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("admin answer: %d, ACAO %q, ACAC %q; want the origin, no credentials", w.Code,
			w.Header().Get("Access-Control-Allow-Origin"), w.Header().Get("Access-Control-Allow-Credentials"))
	}
	if w := do(s, "GET", "/pets", origin, ""); w.Header().Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("the API itself still allows credentials: ACAC %q", w.Header().Get("Access-Control-Allow-Credentials"))
	}
}
