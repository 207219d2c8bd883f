package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// TestForwardProxyURLTemplate: the guide's EndpointConfig writes proxy_url as a full URL
// template; the path parameters fill it, escaped, and the request's query follows.
func TestForwardProxyURLTemplate(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer up.Close()
	other := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer other.Close()
	f := fwNew(t, ForwardConfig{Target: up.URL + "/api/v2", Endpoints: []plugin.Endpoint{
		{Path: "/users/{id}", Method: "GET", ProxyURL: other.URL + "/people/{id}/profile?view=full", Timeout: plugin.Duration{Duration: 15 * time.Second}},
		{Path: "/files/{name}.json", ProxyURL: other.URL + "/blobs/{name}"},
		{Path: "/legacy/**", ProxyURL: other.URL + "/old"},
	}})
	defer f.Close()
	userOp := &spec.Operation{Method: "GET", Path: "/users/{id}"}
	tests := []struct {
		name     string
		target   string
		match    spec.Match
		wantHost string
		wantRaw  string // the path as the upstream received it, escaped
		wantQ    string
	}{
		{"template filled from the operation", "/users/42?x=1", spec.Match{Operation: userOp, PathParams: map[string]string{"id": "42"}}, other.URL, "/people/42/profile", "view=full&x=1"},
		{"a value is escaped inside its segment", "/users/a%2Fb", spec.Match{Operation: userOp, PathParams: map[string]string{"id": "a/b"}}, other.URL, "/people/a%2Fb/profile", "view=full"},
		{"without an operation, from the request path", "/users/7", spec.Match{}, other.URL, "/people/7/profile", "view=full"},
		{"a template inside a segment", "/files/report.json", spec.Match{}, other.URL, "/blobs/report", ""},
		{"a base proxy_url joins the path", "/legacy/a/b", spec.Match{}, other.URL, "/old/legacy/a/b", ""},
		{"other paths go to the target", "/pets", spec.Match{}, up.URL, "/api/v2/pets", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f.Forward(w, r, tt.match, nil)
			}))
			defer probe.Close()
			resp, body := fwGet(t, mustReq(t, "GET", probe.URL+tt.target))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			e := decodeEcho(t, body)
			if "http://"+e.Host != tt.wantHost || e.Query != tt.wantQ {
				t.Errorf("upstream %s ?%s, want %s ?%s", e.Host, e.Query, tt.wantHost, tt.wantQ)
			}
			if got := e.RawPath; got != tt.wantRaw {
				t.Errorf("path %q, want %q", got, tt.wantRaw)
			}
		})
	}
}

func TestForwardProxyURLTemplateErrors(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"https://api.example.com/users/{userId}", "{userId} is not a parameter"},
		{"https://{id}.example.com/x", "placeholders may appear in the URL's path only"},
		{"ftp://h/users/{id}", "must start with http:// or https://"},
	} {
		_, err := NewForwarder(ForwardConfig{Target: "http://x", Endpoints: []plugin.Endpoint{{Path: "/users/{id}", ProxyURL: tt.url}}})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "endpoint 1") {
			t.Errorf("%s: err = %v, want %q", tt.url, err, tt.want)
		}
	}
}

// TestForwardRefusesEscapes: dot segments and CONNECT never reach the upstream.
func TestForwardRefusesEscapes(t *testing.T) {
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); echoHandler(w, r) }))
	defer up.Close()
	front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL + "/api/v2"}), nil)
	tests := []struct{ name, line string }{
		{"dot dot", "GET /../admin HTTP/1.1"},
		{"encoded dot dot", "GET /%2e%2e/admin HTTP/1.1"},
		{"mixed case encoding", "GET /pets/%2E%2e/%2e%2E/secret HTTP/1.1"},
		{"encoded slash and dots", "GET /pets%2f..%2f..%2fsecret HTTP/1.1"},
		{"single dot", "GET /./pets HTTP/1.1"},
		{"tomcat params", "GET /..;/admin HTTP/1.1"},
		{"backslash", "GET /pets\\..\\admin HTTP/1.1"},
		{"CONNECT", "CONNECT evil.example:443 HTTP/1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "%s\r\nHost: x\r\nConnection: close\r\n\r\n", tt.line)
			data, _ := io.ReadAll(conn)
			status := strings.SplitN(string(data), " ", 3)
			if len(status) < 2 || (status[1] != "400" && status[1] != "405") {
				t.Errorf("answer %q", data)
			}
			if tt.name == "CONNECT" && !strings.Contains(string(data), "not an open proxy") {
				t.Errorf("answer %q", data)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the upstream got %d requests", n)
	}
	// A dot inside a name is no dot segment.
	resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/files/..hidden/a.b"))
	if resp.StatusCode != 200 || decodeEcho(t, body).Path != "/api/v2/files/..hidden/a.b" {
		t.Errorf("status %d: %s", resp.StatusCode, body)
	}
}

// closingUpstream answers /prime normally (leaving a reused connection behind) and closes
// the connection without an answer on every other request, which makes Go's transport try a
// request on a reused connection again by itself.
func closingUpstream(t *testing.T, hits *atomic.Int64) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/prime" {
			io.WriteString(w, "ok")
			return
		}
		hits.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(up.Close)
	return up
}

// TestForwardRetryBudget: retry_count N is at most N+1 requests at the upstream, counting the
// try Go's transport adds by itself on a reused connection.
func TestForwardRetryBudget(t *testing.T) {
	for _, retries := range []int{0, 1, 2} {
		t.Run(fmt.Sprintf("retry_count %d", retries), func(t *testing.T) {
			var hits atomic.Int64
			up := closingUpstream(t, &hits)
			f := fwNew(t, ForwardConfig{Target: up.URL, RetryCount: retries})
			front := fwFront(t, f, nil)
			if resp, _ := fwGet(t, mustReq(t, "GET", front.URL+"/prime")); resp.StatusCode != 200 {
				t.Fatal("prime failed")
			}
			resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/x"))
			if resp.StatusCode != 502 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got := hits.Load(); got != int64(retries+1) {
				t.Errorf("upstream got %d requests, want %d", got, retries+1)
			}
			var p struct {
				Detail string `json:"detail"`
				Errors []struct{ Location, Message string }
			}
			json.Unmarshal(body, &p)
			if len(p.Errors) != retries+1 || !strings.Contains(p.Detail, fmt.Sprintf("(%s in ", plural(retries+1, "attempt"))) {
				t.Errorf("problem %s", body)
			}
		})
	}
}

// TestForwardProblemListsAttempts: a 504 after retries says which upstream, how many attempts,
// how long each took and the last error.
func TestForwardProblemListsAttempts(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer up.Close()
	front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL + "/v1?api_key=target-secret", Timeout: 100 * time.Millisecond, RetryCount: 2}), nil)
	resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/slow?x=1"))
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Errors []struct {
			Location string `json:"location"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 504 || !strings.HasPrefix(p.Detail, "upstream "+up.URL+": no answer within 100ms (3 attempts in ") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	if len(p.Errors) != 3 {
		t.Fatalf("errors %+v", p.Errors)
	}
	for i, e := range p.Errors {
		if e.Location != fmt.Sprintf("attempt %d", i+1) || !strings.HasPrefix(e.Message, "GET "+up.URL+"/v1/slow: no answer within 100ms after 1") {
			t.Errorf("attempt %d: %+v", i+1, e)
		}
	}
	if strings.Contains(string(body), "target-secret") {
		t.Errorf("a secret in the problem: %s", body)
	}
}

// slowReader hands out its data in pieces with a pause before each.
type slowReader struct {
	parts []string
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.parts) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	n := copy(p, s.parts[0])
	s.parts = s.parts[1:]
	return n, nil
}

// TestForwardUploadTimeNotCounted: a client that uploads slowly is not an upstream that
// answers slowly; an upstream that does not take the body still times out.
func TestForwardUploadTimeNotCounted(t *testing.T) {
	done := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ignore" {
			// Neither reads the body nor answers (and so does not notice the client leaving).
			<-done
			return
		}
		echoHandler(w, r)
	}))
	defer up.Close()
	defer close(done)
	timeout := 150 * time.Millisecond
	front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL, Timeout: timeout}), nil)

	body := &slowReader{parts: []string{"a", "b", "c", "d", "e", "f"}, pause: 80 * time.Millisecond} // 480ms in all
	req, _ := http.NewRequest(http.MethodPost, front.URL+"/upload", body)
	resp, got := fwGet(t, req)
	if resp.StatusCode != 200 || decodeEcho(t, got).Body != "abcdef" {
		t.Errorf("slow upload: status %d: %s", resp.StatusCode, got)
	}

	req, _ = http.NewRequest(http.MethodPost, front.URL+"/ignore", strings.NewReader("x"))
	req.ContentLength = -1 // streamed, not buffered
	start := time.Now()
	resp, got = fwGet(t, req)
	if resp.StatusCode != 504 {
		t.Errorf("an upstream that never answers: status %d after %s: %s", resp.StatusCode, time.Since(start), got)
	}
}

// resetAfter declares a body 1000 bytes longer than the n bytes it sends, then resets the connection.
func resetAfter(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Upstream: yes\r\nContent-Length: %d\r\n\r\n%s", n+1000, strings.Repeat("x", n))
		buf.Flush()
		time.Sleep(50 * time.Millisecond) // let what was sent be read before the RST
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		conn.Close()
	}
}

// TestForwardMidAnswerFailure: a body that breaks after the headers is reported to the caller
// (status sent, cause) without a fallback, and with one falls back while nothing has reached
// the client.
func TestForwardMidAnswerFailure(t *testing.T) {
	small := httptest.NewServer(resetAfter(18))
	defer small.Close()
	big := httptest.NewServer(resetAfter(200 << 10)) // past what is held back
	defer big.Close()

	t.Run("nothing sent yet, no fallback: a 502 naming it", func(t *testing.T) {
		f := fwNew(t, ForwardConfig{Target: small.URL})
		defer f.Close()
		rec := httptest.NewRecorder()
		if err := f.Forward(rec, httptest.NewRequest("GET", "/pets", nil), spec.Match{}, nil); err != nil {
			t.Fatal(err)
		}
		status, detail := problemOf(t, rec.Result(), rec.Body.Bytes())
		if status != 502 || !strings.Contains(detail, "answered 200, then the connection was reset mid-body after 18 bytes") || rec.Header().Get("X-Upstream") != "" {
			t.Errorf("%d %q %v", status, detail, rec.Header())
		}
	})
	t.Run("part sent, no fallback: the caller learns what was sent", func(t *testing.T) {
		f := fwNew(t, ForwardConfig{Target: big.URL})
		defer f.Close()
		rec := httptest.NewRecorder()
		err := f.Forward(rec, httptest.NewRequest("GET", "/pets", nil), spec.Match{}, nil)
		var mid *MidAnswerError
		// How much arrives before the RST depends on the kernel: past what is held back.
		if !errors.As(err, &mid) || mid.Status != 200 || !strings.Contains(mid.Cause, "mid-body after ") {
			t.Fatalf("err = %#v", err)
		}
		if rec.Code != 200 || rec.Body.Len() < holdLimit {
			t.Errorf("client got %d with %d bytes", rec.Code, rec.Body.Len())
		}
	})
	t.Run("fallback before anything reached the client", func(t *testing.T) {
		f := fwNew(t, ForwardConfig{Target: small.URL})
		defer f.Close()
		rec := httptest.NewRecorder()
		var cause string
		err := f.Forward(rec, httptest.NewRequest("GET", "/pets", nil), spec.Match{}, func(c string) {
			cause = c
			rec.WriteHeader(200)
			io.WriteString(rec, "mock answer")
		})
		if err != nil || !strings.Contains(cause, "mid-body after 18 bytes") {
			t.Fatalf("err %v, cause %q", err, cause)
		}
		if rec.Body.String() != "mock answer" || rec.Header().Get("X-Upstream") != "" {
			t.Errorf("the live answer leaked into the fallback: %v %q", rec.Header(), rec.Body)
		}
	})
	t.Run("too late to fall back", func(t *testing.T) {
		f := fwNew(t, ForwardConfig{Target: big.URL})
		defer f.Close()
		rec := httptest.NewRecorder()
		err := f.Forward(rec, httptest.NewRequest("GET", "/pets", nil), spec.Match{}, func(string) { t.Error("fallback after bytes were sent") })
		var mid *MidAnswerError
		if !errors.As(err, &mid) || mid.Status != 200 || rec.Body.Len() < holdLimit {
			t.Errorf("err %v, client got %d bytes", err, rec.Body.Len())
		}
	})
	t.Run("a good answer is held and sent whole", func(t *testing.T) {
		up := httptest.NewServer(http.HandlerFunc(echoHandler))
		defer up.Close()
		f := fwNew(t, ForwardConfig{Target: up.URL})
		defer f.Close()
		rec := httptest.NewRecorder()
		if err := f.Forward(rec, httptest.NewRequest("GET", "/pets", nil), spec.Match{}, func(string) { t.Error("fallback") }); err != nil {
			t.Fatal(err)
		}
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || decodeEcho(t, rec.Body.Bytes()).Path != "/pets" {
			t.Errorf("%d %v %s", rec.Code, rec.Header(), rec.Body)
		}
	})
}

// TestForwardLogNoSecrets: at debug, every attempt, retry, token request and fallback is a
// line, and no line holds a secret in any form.
func TestForwardLogNoSecrets(t *testing.T) {
	ts := newTokenServer(t)
	var flaky atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
			w.WriteHeader(401)
			return
		}
		if flaky.Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		echoHandler(w, r)
	}))
	defer up.Close()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			flaky.Store(0)
			var logs bytes.Buffer
			h := slog.Handler(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			if format == "json" {
				h = slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})
			}
			env := map[string]string{"RT": "rt-secret-9", "CS": "csecret-xyz"}
			f := fwNew(t, ForwardConfig{Target: up.URL + "/v1?key=target-key-secret", RetryCount: 2, Logger: slog.New(h),
				LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
				Auth: &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"access_token": "at-secret-1", "refresh_token": "${RT}",
					"client_id": "cid", "client_secret": "${CS}", "token_url": ts.URL}}})
			front := fwFront(t, f, nil)
			resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/pets?api_key=client-key"))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			out := logs.String()
			for _, want := range []string{"upstream attempt", "answered 401", "oauth2 token obtained", "upstream retry", "answered 503", "backoff", "answered 200"} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q:\n%s", want, out)
				}
			}
			for _, secret := range []string{"at-secret-1", "rt-secret-9", "csecret-xyz", "target-key-secret", "tok-1", "refresh-1", "Y2lkOmNzZWNyZXQteHl6"} {
				if strings.Contains(out, secret) {
					t.Errorf("log holds %q:\n%s", secret, out)
				}
			}
		})
	}
}

// TestForwardOAuth2TokenURLFromSpec: the guide's OAuth2 form (no token URL) refreshes at the
// token endpoint of the spec's security scheme; without one, the 401 is passed on and said.
func TestForwardOAuth2TokenURLFromSpec(t *testing.T) {
	var tokens atomic.Int64
	var hits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		n := tokens.Add(1)
		r.ParseForm()
		if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != "your-refresh-token" {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"fresh-%d","token_type":"bearer","expires_in":3600}`, n)
	})
	mux.Handle("/", authUpstream(func(tok string) bool { return strings.HasPrefix(tok, "fresh-") }, &hits))
	up := httptest.NewServer(mux)
	defer up.Close()
	guide := map[string]string{"access_token": "your-access-token", "refresh_token": "your-refresh-token",
		"client_id": "your-client-id", "client_secret": "your-client-secret"}

	t.Run("from the spec", func(t *testing.T) {
		tokens.Store(0)
		flows := []spec.OAuth2Flow{{Scheme: "oauth", Flow: "authorizationCode", TokenURL: "/oauth/token"}}
		var logs bytes.Buffer
		f := fwNew(t, ForwardConfig{Target: up.URL, Auth: &plugin.Auth{AuthType: "oauth2", Credentials: guide}, OAuth2Flows: flows,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		front := fwFront(t, f, nil)
		resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/users/1"))
		if resp.StatusCode != 200 || tokens.Load() != 1 {
			t.Errorf("status %d after %d token requests: %s", resp.StatusCode, tokens.Load(), body)
		}
		if !strings.Contains(logs.String(), `from="the spec's security scheme \"oauth\" (authorizationCode flow)"`) {
			t.Errorf("log:\n%s", logs.String())
		}
	})
	t.Run("nowhere: the 401 is passed on and said once", func(t *testing.T) {
		var logs bytes.Buffer
		f := fwNew(t, ForwardConfig{Target: up.URL, Auth: &plugin.Auth{AuthType: "oauth2", Credentials: guide},
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		front := fwFront(t, f, nil)
		for range 2 {
			if resp, _ := fwGet(t, mustReq(t, "GET", front.URL+"/users/1")); resp.StatusCode != 401 {
				t.Errorf("status %d", resp.StatusCode)
			}
		}
		if n := strings.Count(logs.String(), "cannot be refreshed: no token URL"); n != 1 {
			t.Errorf("%d warnings:\n%s", n, logs.String())
		}
	})
}

func TestOAuth2Refresh(t *testing.T) {
	flows := []spec.OAuth2Flow{
		{Scheme: "oauth", Flow: "authorizationCode", TokenURL: "https://auth.example.com/token", RefreshURL: "https://auth.example.com/refresh"},
		{Scheme: "oauth", Flow: "clientCredentials", TokenURL: "https://auth.example.com/cc"},
	}
	tests := []struct {
		name     string
		creds    map[string]string
		flows    []spec.OAuth2Flow
		possible bool
		required bool
		want     string // the token URL, or a part of the problem
	}{
		{"guide form with the spec", map[string]string{"access_token": "a", "refresh_token": "r", "client_id": "i", "client_secret": "s"}, flows, true, true, "https://auth.example.com/refresh"},
		{"client credentials with the spec", map[string]string{"client_id": "i", "client_secret": "s"}, flows, true, true, "https://auth.example.com/cc"},
		{"plugin token_url wins", map[string]string{"refresh_token": "r", "token_url": "https://own/t"}, flows, true, true, "https://own/t"},
		{"guide form without a token URL", map[string]string{"access_token": "a", "refresh_token": "r"}, nil, false, true, "no token URL: the plugin has no token_url and the spec has no OAuth2 security scheme"},
		{"access token only", map[string]string{"access_token": "a"}, flows, false, false, "no refresh_token and no client_id/client_secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := OAuth2Refresh(&plugin.Auth{AuthType: "oauth2", Credentials: tt.creds}, tt.flows, nil)
			if rs.Possible != tt.possible || rs.Required != tt.required {
				t.Errorf("%+v", rs)
			}
			if got := rs.TokenURL + rs.Problem; !strings.Contains(got, tt.want) {
				t.Errorf("%+v, want %q", rs, tt.want)
			}
		})
	}
}

// TestInspectAuthSpendsNoRefreshToken: auth-status uses a refresh token only when asked.
func TestInspectAuthSpendsNoRefreshToken(t *testing.T) {
	ts := newTokenServer(t)
	a := &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"access_token": "a", "refresh_token": "r", "client_id": "cid", "client_secret": "csecret-xyz"}}
	flows := []spec.OAuth2Flow{{Scheme: "o", Flow: "authorizationCode", TokenURL: ts.URL}}
	st := InspectAuth(context.Background(), a, nil, InspectOptions{Flows: flows})
	if ts.calls.Load() != 0 || st.Token != nil || st.TokenSkipped == "" || !st.OK() || !st.Refresh.Possible {
		t.Errorf("without --refresh: %d token requests, %+v", ts.calls.Load(), st)
	}
	st = InspectAuth(context.Background(), a, nil, InspectOptions{Flows: flows, Refresh: true})
	if ts.calls.Load() != 1 || st.Token == nil || !st.Token.OK || !st.OK() {
		t.Errorf("with --refresh: %d token requests, %+v", ts.calls.Load(), st)
	}
	st = InspectAuth(context.Background(), a, nil, InspectOptions{})
	if st.OK() || st.Refresh.Possible || !strings.Contains(st.Refresh.Problem, "no token URL") {
		t.Errorf("no token URL anywhere: %+v", st.Refresh)
	}
}
