package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
)

func TestAdminStatus(t *testing.T) {
	s := newTestServer(t, Config{
		Mode: plugin.ModeHybrid, Live: &fakeLive{}, Decider: fakeDecider{}, PluginName: "pets",
		Target: "https://user:pw@api.test/v2?api_key=k3y&region=eu#frag",
	})
	do(s, "GET", "/pets", nil, "")
	do(s, "POST", "/pets", nil, "{}")
	do(s, "GET", "/nope", map[string]string{HeaderMode: "mock"}, "")
	w := do(s, "GET", "/__mockloop/status", nil, "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %s: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	st := decode[Status](t, w)
	if st.Mode != plugin.ModeHybrid || st.Plugin != "pets" || !st.Live || !st.ModeOverride {
		t.Errorf("mode/plugin/live/override = %s/%s/%v/%v", st.Mode, st.Plugin, st.Live, st.ModeOverride)
	}
	if st.Spec.Title != "Fixture" || st.Spec.Version != "1.2.3" || st.Spec.Operations != 3 || st.Spec.OpenAPI != "3.0.3" {
		t.Errorf("spec = %+v", st.Spec)
	}
	if st.Target != "https://user:***@api.test/v2?api_key=***&region=eu" {
		t.Errorf("target = %q, want the password, secret and fragment hidden", st.Target)
	}
	if st.Requests.Total != 3 || st.Requests.Proxy["2xx"] != 1 || st.Requests.Mock["2xx"] != 1 || st.Requests.Mock["4xx"] != 1 {
		t.Errorf("requests = %+v", st.Requests)
	}
	if len(st.Rules) != 1 || st.Rules[0].Rule != "writes-mock" || st.Rules[0].Hits != 3 {
		t.Errorf("rules = %+v", st.Rules)
	}
	if strings.Contains(w.Body.String(), "k3y") || strings.Contains(w.Body.String(), "pw@") {
		t.Errorf("status leaks a secret: %s", w.Body)
	}
}

func TestAdminMode(t *testing.T) {
	tests := []struct {
		name    string
		noLive  bool
		target  string
		body    string
		status  int
		mode    plugin.Mode // after the request
		bodyHas string
	}{
		{name: "json body", target: "/__mockloop/mode", body: `{"mode":"proxy"}`, status: 200, mode: plugin.ModeProxy, bodyHas: `"previous": "mock"`},
		{name: "query", target: "/__mockloop/mode?mode=hybrid", status: 200, mode: plugin.ModeHybrid},
		{name: "bad mode", target: "/__mockloop/mode?mode=live", status: 400, mode: plugin.ModeMock, bodyHas: `invalid mode \"live\"`},
		{name: "bad body", target: "/__mockloop/mode", body: `mode=proxy`, status: 400, mode: plugin.ModeMock, bodyHas: "send {"},
		{name: "no live side", noLive: true, target: "/__mockloop/mode", body: `{"mode":"proxy"}`, status: 409, mode: plugin.ModeMock, bodyHas: "no live side configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Live: &fakeLive{}, Decider: fakeDecider{}}
			if tt.noLive {
				cfg = Config{}
			}
			s := newTestServer(t, cfg)
			w := do(s, "PUT", tt.target, nil, tt.body)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.bodyHas) {
				t.Errorf("PUT %s: %d %s, want %d containing %s", tt.target, w.Code, w.Body, tt.status, tt.bodyHas)
			}
			if s.Mode() != tt.mode {
				t.Errorf("mode = %s, want %s", s.Mode(), tt.mode)
			}
			if got := decode[ModeBody](t, do(s, "GET", "/__mockloop/mode", nil, "")); got.Mode != tt.mode {
				t.Errorf("GET mode = %s, want %s", got.Mode, tt.mode)
			}
			// The switch takes effect for the next request.
			side := "mock"
			if tt.mode != plugin.ModeMock {
				side = "proxy"
			}
			if got := do(s, "GET", "/pets", nil, "").Header().Get(HeaderMode); got != side {
				t.Errorf("after the switch %s = %s, want %s", HeaderMode, got, side)
			}
		})
	}
}

func TestAdminAccess(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		remote string
		auth   string
		status int
	}{
		{name: "loopback v4", remote: "127.0.0.1:5000", status: 200},
		{name: "loopback v6", remote: "[::1]:5000", status: 200},
		{name: "other host refused", remote: "192.0.2.7:5000", status: 403},
		{name: "token from other host", token: "t0ken", remote: "192.0.2.7:5000", auth: "Bearer t0ken", status: 200},
		{name: "token missing", token: "t0ken", remote: "127.0.0.1:5000", status: 401},
		{name: "token wrong", token: "t0ken", remote: "127.0.0.1:5000", auth: "Bearer t0kem", status: 401},
		{name: "token wrong scheme", token: "t0ken", remote: "127.0.0.1:5000", auth: "Basic t0ken", status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Config{AdminToken: tt.token})
			r := newRequest("GET", "/__mockloop/status")
			r.RemoteAddr = tt.remote
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := serve(s, r)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if strings.Contains(w.Body.String(), "t0ken") {
				t.Errorf("answer leaks the token: %s", w.Body)
			}
		})
	}
}

func TestAdminRouting(t *testing.T) {
	s := newTestServer(t, Config{})
	tests := []struct {
		method, target string
		status         int
		allow          string
	}{
		{"GET", "/__mockloop/nothing", 404, ""},
		{"POST", "/__mockloop/status", 405, "GET"},
		{"DELETE", "/__mockloop/mode", 405, "GET, PUT"},
		{"GET", "/__mockloop/metrics/", 200, ""},
		{"HEAD", "/__mockloop/requests", 200, ""},
		{"GET", "/__mockloop/requests?limit=0", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := do(s, tt.method, tt.target, nil, "")
			if w.Code != tt.status || w.Header().Get("Allow") != tt.allow {
				t.Errorf("%d Allow %q, want %d %q", w.Code, w.Header().Get("Allow"), tt.status, tt.allow)
			}
		})
	}
	if got := decode[Status](t, do(s, "GET", "/__mockloop/status", nil, "")); got.Requests.Total != 0 {
		t.Errorf("admin requests were counted: %d", got.Requests.Total)
	}
}

func TestAdminRequests(t *testing.T) {
	s := newTestServer(t, Config{RequestBuffer: 4, RedactHeaders: []string{"X-Custom"}, RedactQuery: []string{"sesame"}})
	secrets := map[string]string{
		"Authorization": "Bearer b34rer", "Cookie": "sid=c00kie", "X-Custom": "cust0m",
		"X-Auth-Token": "t0k3n", "Accept": "application/json",
	}
	do(s, "GET", "/pets?limit=1", nil, "")
	do(s, "GET", "/pets/1?sesame=0pen&limit=3", secrets, "")
	do(s, "POST", "/pets", nil, "{}")
	do(s, "GET", "/pets/boom", nil, "")
	do(s, "DELETE", "/pets/2", nil, "")

	all := decode[RequestsBody](t, do(s, "GET", "/__mockloop/requests", nil, ""))
	if all.Capacity != 4 || len(all.Requests) != 4 {
		t.Fatalf("capacity %d, %d requests, want 4 and 4 (the oldest dropped)", all.Capacity, len(all.Requests))
	}
	if all.Requests[0].Method != "DELETE" || all.Requests[0].Status != 405 || all.Requests[3].Path != "/pets/1" {
		t.Errorf("not newest first: %+v", all.Requests)
	}
	tests := []struct {
		query string
		paths []string
	}{
		{"limit=2", []string{"/pets/2", "/pets/boom"}},
		{"method=post", []string{"/pets"}},
		{"path=/pets/{id}", []string{"/pets/boom", "/pets/1"}},
		{"path=/pets/1", []string{"/pets/1"}},
		{"path=/pets/*&method=GET", []string{"/pets/boom", "/pets/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := decode[RequestsBody](t, do(s, "GET", "/__mockloop/requests?"+tt.query, nil, ""))
			var paths []string
			for _, r := range got.Requests {
				paths = append(paths, r.Path)
			}
			if strings.Join(paths, " ") != strings.Join(tt.paths, " ") {
				t.Errorf("paths %v, want %v", paths, tt.paths)
			}
		})
	}
	w := do(s, "GET", "/__mockloop/requests?path=/pets/1", nil, "")
	rec := decode[RequestsBody](t, w).Requests[0]
	for _, h := range []string{"Authorization", "Cookie", "X-Custom", "X-Auth-Token"} {
		if rec.RequestHeaders[h] != "***" {
			t.Errorf("request header %s = %q, want ***", h, rec.RequestHeaders[h])
		}
	}
	if rec.RequestHeaders["Accept"] != "application/json" || rec.ResponseHeaders["Set-Cookie"] != "***" {
		t.Errorf("headers = %v / %v", rec.RequestHeaders, rec.ResponseHeaders)
	}
	if rec.Query != "sesame=***&limit=3" || rec.Operation != "GET /pets/{id}" || rec.Side != plugin.ModeMock {
		t.Errorf("record = %+v", rec)
	}
	for _, v := range secrets {
		if v != "application/json" && strings.Contains(w.Body.String(), strings.TrimPrefix(v, "Bearer ")) {
			t.Errorf("requests leak %q", v)
		}
	}
}

func TestAdminMetrics(t *testing.T) {
	s := newTestServer(t, Config{Mode: plugin.ModeProxy, Live: &fakeLive{}})
	for range 3 {
		do(s, "GET", "/pets", map[string]string{HeaderMode: "mock"}, "")
	}
	do(s, "GET", "/pets/missing", map[string]string{HeaderMode: "mock"}, "")
	do(s, "GET", "/pets/boom", map[string]string{HeaderMode: "mock"}, "")
	do(s, "GET", "/elsewhere", nil, "")
	s.Metrics().AddViolations(s.cfg.Doc.Operations[0], 2)

	got := decode[MetricsBody](t, do(s, "GET", "/__mockloop/metrics", nil, "")).Operations
	byOp := map[string]OperationMetrics{}
	for _, m := range got {
		byOp[m.Operation] = m
	}
	if len(got) != 3 || got[len(got)-1].Operation != "other" {
		t.Fatalf("operations %+v, want GET /pets, GET /pets/{id}, other", got)
	}
	if m := byOp["GET /pets"]; m.Count != 3 || m.Errors4xx != 0 || m.Errors5xx != 0 || m.Violations != 2 || m.OperationID != "listPets" || m.P50Ms <= 0 || m.P99Ms < m.P50Ms {
		t.Errorf("GET /pets = %+v", m)
	}
	if m := byOp["GET /pets/{id}"]; m.Count != 2 || m.Errors4xx != 1 || m.Errors5xx != 1 {
		t.Errorf("GET /pets/{id} = %+v", m)
	}
	if m := byOp["other"]; m.Count != 1 {
		t.Errorf("other = %+v", m)
	}
}

func newRequest(method, target string) *http.Request {
	r, _ := http.NewRequest(method, "http://mockloop.localhost"+target, nil)
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestProbes: health and ready answer any client, token or not, and hold no data.
func TestProbes(t *testing.T) {
	for _, token := range []string{"", "t0ken"} {
		s := newTestServer(t, Config{AdminToken: token})
		for _, path := range []string{"/__mockloop/health", "/__mockloop/ready"} {
			r := newRequest("GET", path)
			r.RemoteAddr = "192.0.2.7:5000"
			w := serve(s, r)
			if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "{\n  \"status\": \"ok\"\n}" {
				t.Errorf("token %q: %s: %d %q", token, path, w.Code, w.Body.String())
			}
		}
	}
}

// TestPrometheus: the metrics in the Prometheus text format, by content negotiation and at
// their own path, with counts by operation, side and class, and a latency histogram.
func TestPrometheus(t *testing.T) {
	live := &fakeLive{}
	s := newTestServer(t, Config{Live: live, Mode: plugin.ModeMock})
	serve(s, newRequest("GET", "/pets"))
	serve(s, newRequest("GET", "/pets/missing"))
	r := newRequest("GET", "/pets")
	r.Header.Set(HeaderMode, "proxy")
	serve(s, r)
	for _, tt := range []struct{ path, accept string }{
		{"/__mockloop/metrics/prometheus", ""},
		{"/__mockloop/metrics", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"},
	} {
		r := newRequest("GET", tt.path)
		r.RemoteAddr = "127.0.0.1:1"
		r.Header.Set("Accept", tt.accept)
		w := serve(s, r)
		body := w.Body.String()
		for _, want := range []string{
			`mockloop_requests_total{class="2xx",operation="GET /pets",side="mock"} 1`,
			`mockloop_requests_total{class="2xx",operation="GET /pets",side="live"} 1`,
			`mockloop_requests_total{class="4xx",operation="GET /pets/{id}",side="mock"} 1`,
			`mockloop_request_duration_seconds_bucket{operation="GET /pets",le="+Inf"} 2`,
			`mockloop_request_duration_seconds_count{operation="GET /pets"} 2`,
			"# TYPE mockloop_requests_total counter",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s (Accept %q): no %q in\n%s", tt.path, tt.accept, want, body)
			}
		}
	}
	// JSON stays the default.
	r = newRequest("GET", "/__mockloop/metrics")
	r.RemoteAddr = "127.0.0.1:1"
	if w := serve(s, r); !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Errorf("default metrics: %s", w.Header().Get("Content-Type"))
	}
}
