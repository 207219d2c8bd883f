package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/route"
	"github.com/mockloop/mockloop/internal/spec"
)

const fixtureSpec = `openapi: 3.0.3
info: {title: Fixture, version: 1.2.3}
paths:
  /pets:
    get:
      operationId: listPets
      responses: {'200': {description: ok}}
    post:
      operationId: createPet
      responses: {'201': {description: created}}
  /pets/{id}:
    get:
      operationId: getPet
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
`

func loadFixture(t testing.TB) *spec.Document {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fixture.yaml")
	if err := os.WriteFile(path, []byte(fixtureSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := spec.Load(context.Background(), path, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// fakeMock answers {"mock":"GET /pets"}; status 500 for id=boom, 404 for id=missing, and it reads
// POST bodies (413 when the body limit trips).
type fakeMock struct{}

func (fakeMock) Respond(w http.ResponseWriter, r *http.Request, m spec.Match) {
	if r.Method == http.MethodPost {
		if _, err := io.ReadAll(r.Body); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				return
			}
		}
	}
	status := http.StatusOK
	switch m.PathParams["id"] {
	case "boom":
		status = http.StatusInternalServerError
	case "missing":
		status = http.StatusNotFound
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Set-Cookie", "session=s3cr3t")
	w.WriteHeader(status)
	io.WriteString(w, `{"mock":"`+m.Operation.Key()+`"}`)
}

// fakeLive records what it was asked and answers {"live":"/path"}, or fails when fail is set.
type fakeLive struct {
	mu      sync.Mutex
	headers []http.Header
	ops     []*spec.Operation
	fail    string // cause passed to fallback
	midBody string // the answer breaks after its first bytes: the error returned
}

func (l *fakeLive) Forward(w http.ResponseWriter, r *http.Request, m spec.Match, fallback func(string)) error {
	l.mu.Lock()
	l.headers = append(l.headers, r.Header.Clone())
	l.ops = append(l.ops, m.Operation)
	l.mu.Unlock()
	if l.fail != "" {
		if fallback != nil {
			fallback(l.fail)
			return nil
		}
		w.WriteHeader(http.StatusBadGateway)
		return nil
	}
	// What an upstream might send under mockloop's own names must not survive.
	w.Header().Set(HeaderMode, "upstream")
	w.Header().Set("Content-Type", "application/json")
	if l.midBody != "" {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, `{"live":`)
		return errors.New(l.midBody)
	}
	io.WriteString(w, `{"live":"`+r.URL.Path+`"}`)
	return nil
}

// fakeDecider sends POST to the mock under rule "writes-mock", everything else live with
// fallback.
type fakeDecider struct{}

func (fakeDecider) Decide(r *http.Request, op *spec.Operation) route.Decision {
	if r.Method == http.MethodPost {
		return route.Decision{Mode: plugin.ModeMock, Rule: "writes-mock"}
	}
	return route.Decision{Mode: plugin.ModeProxy, Fallback: true}
}

func (fakeDecider) Stats() []route.RuleStat {
	return []route.RuleStat{{Rule: "writes-mock", Pattern: "/**", Method: "POST", Mode: plugin.ModeMock, Priority: 1, Hits: 3}}
}

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Doc == nil {
		cfg.Doc = loadFixture(t)
	}
	if cfg.Mock == nil {
		cfg.Mock = fakeMock{}
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func do(s http.Handler, method, target string, header map[string]string, body string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	r.RemoteAddr, r.Host = "127.0.0.1:40000", "localhost:8000"
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestServeRouting(t *testing.T) {
	tests := []struct {
		name      string
		mode      plugin.Mode
		live      string // fakeLive.fail
		noLive    bool
		noOver    bool
		method    string
		target    string
		header    map[string]string
		status    int
		side      string // X-Mockloop-Mode
		rule      string
		fallback  string
		bodyHas   string
		allow     string
		forwarded int // requests that reached the live side
	}{
		{name: "mock answers a spec operation", mode: plugin.ModeMock, method: "GET", target: "/pets", status: 200, side: "mock", bodyHas: `"mock":"GET /pets"`},
		{name: "mock path params", mode: plugin.ModeMock, method: "GET", target: "/pets/missing", status: 404, side: "mock", bodyHas: "GET /pets/{id}"},
		{name: "unknown path is 404 problem", mode: plugin.ModeMock, method: "GET", target: "/nope", status: 404, side: "mock", bodyHas: "no operation in the spec matches GET /nope"},
		{name: "undeclared method is 405 with Allow", mode: plugin.ModeMock, method: "DELETE", target: "/pets", status: 405, side: "mock", allow: "GET, HEAD, POST", bodyHas: "DELETE is not declared"},
		{name: "proxy forwards", mode: plugin.ModeProxy, method: "GET", target: "/pets", status: 200, side: "proxy", bodyHas: `"live":"/pets"`, forwarded: 1},
		{name: "proxy forwards paths not in the spec", mode: plugin.ModeProxy, method: "GET", target: "/other/thing", status: 200, side: "proxy", bodyHas: `"live":"/other/thing"`, forwarded: 1},
		{name: "proxy failure without fallback", mode: plugin.ModeProxy, live: "connection refused", method: "GET", target: "/pets", status: 502, side: "proxy", forwarded: 1},
		{name: "hybrid rule sends POST to mock", mode: plugin.ModeHybrid, method: "POST", target: "/pets", status: 200, side: "mock", rule: "writes-mock", bodyHas: "POST /pets"},
		{name: "hybrid default goes live", mode: plugin.ModeHybrid, method: "GET", target: "/pets/1", status: 200, side: "proxy", bodyHas: `"live":"/pets/1"`, forwarded: 1},
		{name: "hybrid fallback to mock", mode: plugin.ModeHybrid, live: "upstream timed out", method: "GET", target: "/pets/1", status: 200, side: "mock", fallback: "upstream timed out", bodyHas: "GET /pets/{id}", forwarded: 1},
		{name: "override mock in proxy mode", mode: plugin.ModeProxy, method: "GET", target: "/pets", header: map[string]string{HeaderMode: "mock"}, status: 200, side: "mock", bodyHas: "GET /pets"},
		{name: "override proxy in mock mode", mode: plugin.ModeMock, method: "GET", target: "/pets", header: map[string]string{HeaderMode: "Proxy"}, status: 200, side: "proxy", forwarded: 1},
		{name: "override proxy without live is 409", mode: plugin.ModeMock, noLive: true, method: "GET", target: "/pets", header: map[string]string{HeaderMode: "proxy"}, status: 409, side: "mock", bodyHas: "no target configured"},
		{name: "bad override is 400", mode: plugin.ModeMock, method: "GET", target: "/pets", header: map[string]string{HeaderMode: "both"}, status: 400, side: "mock", bodyHas: `got \"both\"`},
		{name: "override off is ignored and stripped", mode: plugin.ModeProxy, noOver: true, method: "GET", target: "/pets", header: map[string]string{HeaderMode: "mock"}, status: 200, side: "proxy", forwarded: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := &fakeLive{fail: tt.live}
			cfg := Config{Mode: tt.mode, Live: live, Decider: fakeDecider{}, NoModeOverride: tt.noOver}
			if tt.noLive {
				cfg.Live, cfg.Decider = nil, nil
			}
			s := newTestServer(t, cfg)
			w := do(s, tt.method, tt.target, tt.header, "")
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d (body %s)", w.Code, tt.status, w.Body)
			}
			if got := w.Header().Values(HeaderMode); len(got) != 1 || got[0] != tt.side {
				t.Errorf("%s = %q, want [%s]", HeaderMode, got, tt.side)
			}
			if got := w.Header().Get(HeaderRule); got != tt.rule {
				t.Errorf("%s = %q, want %q", HeaderRule, got, tt.rule)
			}
			if got := w.Header().Get(HeaderFallback); got != tt.fallback {
				t.Errorf("%s = %q, want %q", HeaderFallback, got, tt.fallback)
			}
			if !strings.Contains(w.Body.String(), tt.bodyHas) {
				t.Errorf("body %s does not contain %s", w.Body, tt.bodyHas)
			}
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if len(live.headers) != tt.forwarded {
				t.Fatalf("forwarded %d requests, want %d", len(live.headers), tt.forwarded)
			}
			for _, h := range live.headers {
				if v, ok := h[HeaderMode]; ok {
					t.Errorf("%s reached the live side: %q", HeaderMode, v)
				}
			}
		})
	}
}

func TestNewServerRefuses(t *testing.T) {
	doc := loadFixture(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "no doc", cfg: Config{Mock: fakeMock{}}, want: "no spec document"},
		{name: "no mock", cfg: Config{Doc: doc}, want: "no mock engine"},
		{name: "bad mode", cfg: Config{Doc: doc, Mock: fakeMock{}, Mode: "live"}, want: `invalid mode "live"`},
		{name: "proxy without live", cfg: Config{Doc: doc, Mock: fakeMock{}, Mode: plugin.ModeProxy}, want: "no live side configured"},
		{name: "hybrid without rules", cfg: Config{Doc: doc, Mock: fakeMock{}, Mode: plugin.ModeHybrid, Live: &fakeLive{}}, want: "no route rules"},
		{name: "bad log format", cfg: Config{Doc: doc, Mock: fakeMock{}, Log: io.Discard, LogFormat: "xml"}, want: `invalid log format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServer(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestMaxBody(t *testing.T) {
	s := newTestServer(t, Config{MaxBodyBytes: 10})
	w := do(s, "POST", "/pets", nil, "0123456789abcdef")
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "at most 10") {
		t.Errorf("16-byte body with a 10-byte limit: %d %s, want 413 from the server", w.Code, w.Body)
	}
	// Without a Content-Length the limit trips while the body is read.
	r := httptest.NewRequest("POST", "/pets", io.MultiReader(strings.NewReader("0123456789"), strings.NewReader("abcdef")))
	r.ContentLength = -1
	rw := httptest.NewRecorder()
	s.ServeHTTP(rw, r)
	if rw.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("streamed 16-byte body: status %d, want 413 from the reader", rw.Code)
	}
	if w := do(s, "POST", "/pets", nil, "0123"); w.Code != http.StatusOK {
		t.Errorf("4-byte body: status %d, want 200", w.Code)
	}
}

func TestCORS(t *testing.T) {
	s := newTestServer(t, Config{CORS: true})
	t.Run("preflight", func(t *testing.T) {
		w := do(s, "OPTIONS", "/pets", map[string]string{
			"Origin": "http://app.test", "Access-Control-Request-Method": "post",
			"Access-Control-Request-Headers": "content-type, x-trace",
		}, "")
		if w.Code != http.StatusNoContent {
			t.Fatalf("status %d, want 204", w.Code)
		}
		want := map[string]string{
			"Access-Control-Allow-Origin":      "http://app.test",
			"Access-Control-Allow-Headers":     "content-type, x-trace",
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Max-Age":           "86400",
		}
		for k, v := range want {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if got := w.Header().Get("Access-Control-Allow-Methods"); !strings.HasPrefix(got, "POST") {
			t.Errorf("Access-Control-Allow-Methods = %q, want POST first", got)
		}
	})
	t.Run("simple request", func(t *testing.T) {
		w := do(s, "GET", "/pets", nil, "")
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
		}
		if got := w.Header().Get("Access-Control-Expose-Headers"); !strings.Contains(got, HeaderMode) {
			t.Errorf("Access-Control-Expose-Headers = %q, want it to list %s", got, HeaderMode)
		}
	})
	t.Run("live answers get ours, not the upstream's", func(t *testing.T) {
		s := newTestServer(t, Config{CORS: true, Mode: plugin.ModeProxy, Live: corsLive{}})
		w := do(s, "GET", "/pets", map[string]string{"Origin": "http://app.test"}, "")
		if got := w.Header().Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != "http://app.test" {
			t.Errorf("Access-Control-Allow-Origin = %q, want [http://app.test]", got)
		}
		if got := w.Header().Values("Vary"); len(got) != 1 {
			t.Errorf("Vary = %q, want Origin once", got)
		}
	})
	t.Run("off", func(t *testing.T) {
		s := newTestServer(t, Config{})
		w := do(s, "OPTIONS", "/pets", map[string]string{"Access-Control-Request-Method": "GET"}, "")
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("without --cors a preflight is an ordinary request: status %d, ACAO %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"))
		}
	})
}

// syncBuffer is a bytes.Buffer safe to read while the logger writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestRequestLog(t *testing.T) {
	tests := []struct {
		name   string
		format LogFormat
		want   []string
	}{
		{name: "text", format: LogText, want: []string{
			` GET /pets?limit=2&api_key=***&Token=*** 200 `,
			`ms mock` + "\n",
			` GET /pets/1 200 `,
		}},
		{name: "json", format: LogJSON, want: []string{
			`"method":"GET","path":"/pets","query":"limit=2&api_key=***&Token=***","status":200`,
			`"side":"mock"`,
			`"operation":"GET /pets/{id}"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf syncBuffer
			s := newTestServer(t, Config{Log: &buf, LogFormat: tt.format})
			do(s, "GET", "/pets?limit=2&api_key=k3y&Token=t0k", map[string]string{"Authorization": "Bearer b34rer"}, "")
			do(s, "GET", "/pets/1", nil, "")
			s.Close()
			out := buf.String()
			if n := strings.Count(out, "\n"); n != 2 {
				t.Errorf("%d lines, want 2:\n%s", n, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("log does not contain %q:\n%s", w, out)
				}
			}
			for _, secret := range []string{"k3y", "t0k", "b34rer"} {
				if strings.Contains(out, secret) {
					t.Errorf("log leaks %q:\n%s", secret, out)
				}
			}
			if tt.format == LogText && !strings.HasPrefix(out, time.Now().UTC().Format("2006-01-02T")) {
				t.Errorf("line does not start with an RFC 3339 UTC time: %q", out)
			}
		})
	}
}

func TestRequestLogFallbackLine(t *testing.T) {
	var buf syncBuffer
	s := newTestServer(t, Config{Mode: plugin.ModeHybrid, Live: &fakeLive{fail: "upstream reset"}, Decider: fakeDecider{}, Log: &buf})
	do(s, "GET", "/pets/1", nil, "")
	do(s, "POST", "/pets", nil, "{}")
	s.Close()
	out := buf.String()
	for _, want := range []string{` GET /pets/1 200 `, ` mock fallback="upstream reset"`, ` POST /pets 200 `, ` mock rule="writes-mock"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not contain %q:\n%s", want, out)
		}
	}
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", w.Body, err)
	}
	return v
}

func TestRing(t *testing.T) {
	r := newRing(3)
	add := func(paths ...string) {
		for _, p := range paths {
			r.add(&entry{path: p})
		}
	}
	paths := func(es []entry) string {
		var out []string
		for _, e := range es {
			out = append(out, e.path)
		}
		return strings.Join(out, " ")
	}
	add("/a", "/b", "/c", "/d") // no log writer: the oldest is overwritten
	if recent := r.recent(10, func(*entry) bool { return true }); paths(recent) != "/d /c /b" {
		t.Fatalf("recent = %q, want the newest 3, newest first", paths(recent))
	}

	r.setLogging(true)
	add("/e", "/f")
	if got := r.take(nil, 1); paths(got) != "/e" {
		t.Fatalf("take(1) = %q", paths(got))
	}
	add("/g", "/h") // the ring now holds /f /g /h, none taken: the next add must wait
	added := make(chan struct{})
	go func() {
		add("/i")
		close(added)
	}()
	select {
	case <-added:
		t.Fatal("add overwrote an entry the log writer had not taken")
	case <-time.After(50 * time.Millisecond):
	}
	if got := r.take(nil, 10); paths(got) != "/f /g /h" {
		t.Fatalf("take = %q", paths(got))
	}
	<-added
	if got := r.take(nil, 10); paths(got) != "/i" {
		t.Fatalf("take after the wait = %q", paths(got))
	}
	r.setLogging(false)
	add("/j", "/k", "/l", "/m") // no writer: never waits
}

// TestRingConcurrent adds from many goroutines to a small ring while a log writer takes: every
// entry is taken exactly once, and each goroutine's entries in the order it added them.
func TestRingConcurrent(t *testing.T) {
	r := newRing(4)
	r.setLogging(true)
	const writers, each = 8, 300
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r.add(&entry{path: strconv.Itoa(w), status: i})
			}
		}()
	}
	next := make([]int, writers) // the status expected next from each writer
	for got := 0; got < writers*each; {
		select {
		case <-r.wake:
		case <-time.After(10 * time.Second):
			t.Fatalf("took %d of %d entries: the writers are stuck", got, writers*each)
		}
		for _, e := range r.take(nil, 3) {
			w, _ := strconv.Atoi(e.path)
			if e.status != next[w] {
				t.Fatalf("writer %d: took entry %d, want %d", w, e.status, next[w])
			}
			next[w]++
			got++
		}
		select { // more may be waiting without a new nudge: look again
		case r.wake <- struct{}{}:
		default:
		}
	}
	wg.Wait()
	if rest := r.take(nil, 10); len(rest) != 0 {
		t.Errorf("%d entries left after all were taken", len(rest))
	}
}

func TestAppendLatency(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{42 * time.Microsecond, "0.042ms"},
		{1500 * time.Microsecond, "1.5ms"},
		{999 * time.Millisecond, "999.0ms"},
		{1234 * time.Millisecond, "1.23s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := string(appendLatency(nil, tt.d)); got != tt.want {
				t.Errorf("appendLatency(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

// TestRequestLogKeepsUp sends more requests than the ring holds in one go: every one is logged.
func TestRequestLogKeepsUp(t *testing.T) {
	var buf syncBuffer
	s := newTestServer(t, Config{Log: &buf, RequestBuffer: 200})
	const n = 5000
	for range n {
		do(s, "GET", "/pets", nil, "")
	}
	s.Close()
	out := buf.String()
	if got := strings.Count(out, "\n"); got != n {
		t.Errorf("%d lines for %d requests (%q)", got, n, out[strings.LastIndex(out[:len(out)-1], "\n")+1:])
	}
}

// corsLive is an upstream with its own, stricter CORS headers.
type corsLive struct{}

func (corsLive) Forward(w http.ResponseWriter, r *http.Request, m spec.Match, fallback func(string)) error {
	w.Header().Set("Access-Control-Allow-Origin", "https://only.example")
	w.Header().Set("Vary", "Origin")
	w.WriteHeader(http.StatusOK)
	return nil
}
