package upstream

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/loopback"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// echoed is what the echo upstream reports about the request it received.
type echoed struct {
	Method  string              `json:"method"`
	Host    string              `json:"host"`
	Path    string              `json:"path"`
	RawPath string              `json:"raw_path"` // as sent, escaped
	Query   string              `json:"query"`
	Header  map[string][]string `json:"header"`
	Body    string              `json:"body"`
	Proto   int                 `json:"proto"`
	Cookies map[string]string   `json:"cookies"`
}

func echoHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e := echoed{Method: r.Method, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Header: r.Header, Body: string(body), Proto: r.ProtoMajor, Cookies: map[string]string{}}
	for _, c := range r.Cookies() {
		e.Cookies[c.Name] = c.Value
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(e)
}

// fwFront serves f on a loopback server, forwarding every request with the given fallback.
func fwFront(t testing.TB, f *Forwarder, fallback func(string)) *httptest.Server {
	t.Helper()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.Forward(w, r, spec.Match{}, fallback)
	}))
	t.Cleanup(func() { front.Close(); f.Close() })
	return front
}

func fwNew(t testing.TB, cfg ForwardConfig) *Forwarder {
	t.Helper()
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = time.Millisecond
	}
	f, err := NewForwarder(cfg)
	if err != nil {
		t.Fatalf("NewForwarder: %v", err)
	}
	return f
}

func fwGet(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, body
}

func decodeEcho(t testing.TB, body []byte) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("echo answer %q: %v", body, err)
	}
	return e
}

func TestForwardRewrite(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer up.Close()
	tests := []struct {
		name, target, path, wantPath, wantQuery string
	}{
		{"base path joined", up.URL + "/v2", "/pets?limit=3", "/v2/pets", "limit=3"},
		{"base path with slash", up.URL + "/v2/", "/pets/1", "/v2/pets/1", ""},
		{"no base path", up.URL, "/pets", "/pets", ""},
		{"target query kept", up.URL + "/v1?tenant=a", "/x?b=1", "/v1/x", "tenant=a&b=1"},
		{"base path already given", up.URL + "/v2", "/v2/pets", "/v2/pets", ""},
		{"base path alone", up.URL + "/v2/", "/v2", "/v2", ""},
		{"only a name prefix", up.URL + "/v2", "/v2x/pets", "/v2/v2x/pets", ""},
		{"escaped segment kept", up.URL + "/v2", "/files/a%2Fb", "/v2/files/a/b", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			front := fwFront(t, fwNew(t, ForwardConfig{Target: tt.target}), nil)
			req, _ := http.NewRequest(http.MethodPost, front.URL+tt.path, strings.NewReader("hello"))
			req.Header.Set("X-Mockloop-Mode", "proxy")
			req.Header.Set("Connection", "X-Drop-Me")
			req.Header.Set("X-Drop-Me", "1")
			req.Header.Set("X-Keep", "kept")
			resp, body := fwGet(t, req)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			e := decodeEcho(t, body)
			if e.Path != tt.wantPath || e.Query != tt.wantQuery {
				t.Errorf("upstream got %s?%s, want %s?%s", e.Path, e.Query, tt.wantPath, tt.wantQuery)
			}
			if e.Method != "POST" || e.Body != "hello" {
				t.Errorf("upstream got %s with body %q", e.Method, e.Body)
			}
			h := http.Header(e.Header)
			if h.Get("X-Mockloop-Mode") != "" || h.Get("X-Drop-Me") != "" {
				t.Errorf("control or hop-by-hop header forwarded: %v", h)
			}
			if h.Get("X-Keep") != "kept" || h.Get("X-Forwarded-For") != "127.0.0.1" || h.Get("X-Forwarded-Proto") != "http" {
				t.Errorf("headers: %v", h)
			}
			if want := strings.TrimPrefix(up.URL, "http://"); e.Host != want {
				t.Errorf("upstream Host %q, want %q", e.Host, want)
			}
		})
	}
}

func TestForwardNoOpenProxy(t *testing.T) {
	var evilHits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { evilHits.Add(1) }))
	defer evil.Close()
	up := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer up.Close()
	front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL}), nil)
	evilHost := strings.TrimPrefix(evil.URL, "http://")

	tests := []struct{ name, raw, wantPath string }{
		{"absolute-form request line", "GET " + evil.URL + "/steal HTTP/1.1\r\nHost: " + evilHost + "\r\nConnection: close\r\n\r\n", "/steal"},
		{"foreign Host header", "GET /steal HTTP/1.1\r\nHost: " + evilHost + "\r\nConnection: close\r\n\r\n", "/steal"},
		{"absolute https form", "GET https://" + evilHost + "/x HTTP/1.1\r\nHost: " + evilHost + "\r\nConnection: close\r\n\r\n", "/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tt.raw); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if e := decodeEcho(t, body); e.Path != tt.wantPath {
				t.Errorf("target got path %q, want %q", e.Path, tt.wantPath)
			}
		})
	}
	if n := evilHits.Load(); n != 0 {
		t.Errorf("the foreign host received %d requests", n)
	}
}

// clientCreds are the client's own credentials, which must never reach the upstream.
func clientCreds(req *http.Request) {
	req.Header.Set("Authorization", "Bearer client-own-token")
	req.Header.Set("X-API-Key", "client-own-key")
	req.Header.Set("X-Sig", "client-own-sig")
	req.AddCookie(&http.Cookie{Name: "api_key", Value: "client-own-cookie"})
	req.AddCookie(&http.Cookie{Name: "theme", Value: "dark"})
	q := req.URL.Query()
	q.Set("api_key", "client-own-query")
	q.Set("sig", "client-own-sigq")
	req.URL.RawQuery = q.Encode()
}

func TestForwardAuthInjection(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer up.Close()
	env := map[string]string{"API_KEY": "s3cret-env-key", "SIG": "sig-from-env"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name  string
		auth  plugin.Auth
		check func(t *testing.T, e echoed)
	}{
		{"api_key header default name", plugin.Auth{AuthType: "api_key", Credentials: map[string]string{"api_key": "${API_KEY}"}},
			func(t *testing.T, e echoed) {
				if got := http.Header(e.Header).Get("X-Api-Key"); got != "s3cret-env-key" {
					t.Errorf("X-API-Key = %q", got)
				}
			}},
		{"api_key header custom name", plugin.Auth{AuthType: "api_key", Location: "header", Name: "x-token", Credentials: map[string]string{"api_key": "lit-key-1"}},
			func(t *testing.T, e echoed) {
				if got := http.Header(e.Header).Get("X-Token"); got != "lit-key-1" {
					t.Errorf("X-Token = %q", got)
				}
			}},
		{"api_key query", plugin.Auth{AuthType: "api_key", Location: "query", Name: "api_key", Credentials: map[string]string{"api_key": "q-key&=1"}},
			func(t *testing.T, e echoed) {
				q, _ := url.ParseQuery(e.Query)
				if got := q["api_key"]; len(got) != 1 || got[0] != "q-key&=1" {
					t.Errorf("query api_key = %q", got)
				}
			}},
		{"api_key cookie", plugin.Auth{AuthType: "api_key", Location: "cookie", Credentials: map[string]string{"api_key": "cookie-key"}},
			func(t *testing.T, e echoed) {
				if e.Cookies["api_key"] != "cookie-key" || e.Cookies["theme"] != "dark" {
					t.Errorf("cookies = %v", e.Cookies)
				}
			}},
		{"bearer_token", plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "tok-123"}},
			func(t *testing.T, e echoed) {
				if got := http.Header(e.Header).Get("Authorization"); got != "Bearer tok-123" {
					t.Errorf("Authorization = %q", got)
				}
			}},
		{"basic_auth", plugin.Auth{AuthType: "basic_auth", Credentials: map[string]string{"username": "ann", "password": "pw-9"}},
			func(t *testing.T, e echoed) {
				r := &http.Request{Header: http.Header(e.Header)}
				if u, p, ok := r.BasicAuth(); !ok || u != "ann" || p != "pw-9" {
					t.Errorf("basic auth = %q %q %v", u, p, ok)
				}
			}},
		{"custom header and query", plugin.Auth{AuthType: "custom", Credentials: map[string]string{"header.X-Sig": "v1 ${SIG}", "query.sig": "${SIG}"}},
			func(t *testing.T, e echoed) {
				if got := http.Header(e.Header).Get("X-Sig"); got != "v1 sig-from-env" {
					t.Errorf("X-Sig = %q", got)
				}
				q, _ := url.ParseQuery(e.Query)
				if got := q["sig"]; len(got) != 1 || got[0] != "sig-from-env" {
					t.Errorf("query sig = %q", got)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := tt.auth
			front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL, Auth: &auth, LookupEnv: lookup}), nil)
			req, _ := http.NewRequest(http.MethodGet, front.URL+"/pets", nil)
			clientCreds(req)
			resp, body := fwGet(t, req)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			e := decodeEcho(t, body)
			tt.check(t, e)
			dump, _ := json.Marshal(e)
			// Client credentials of a name the configuration sets, and any Authorization, must
			// not arrive; the others are the client's business.
			for _, own := range []string{"client-own-token"} {
				if bytes.Contains(dump, []byte(own)) {
					t.Errorf("client credential %q reached the upstream: %s", own, dump)
				}
			}
			switch {
			case auth.AuthType == "api_key" && auth.Location == "query":
				if bytes.Contains(dump, []byte("client-own-query")) {
					t.Errorf("client api_key query reached the upstream: %s", dump)
				}
			case auth.AuthType == "api_key" && auth.Location == "cookie":
				if bytes.Contains(dump, []byte("client-own-cookie")) {
					t.Errorf("client api_key cookie reached the upstream: %s", dump)
				}
			case auth.AuthType == "api_key" && auth.Name == "":
				if bytes.Contains(dump, []byte("client-own-key")) {
					t.Errorf("client X-API-Key reached the upstream: %s", dump)
				}
			case auth.AuthType == "custom":
				if bytes.Contains(dump, []byte("client-own-sig")) || bytes.Contains(dump, []byte("client-own-sigq")) {
					t.Errorf("client custom credential reached the upstream: %s", dump)
				}
			}
		})
	}
}

func TestNewForwarderErrors(t *testing.T) {
	lookup := func(k string) (string, bool) { return "", false }
	tests := []struct {
		name string
		cfg  ForwardConfig
		want string
	}{
		{"no target", ForwardConfig{}, "no target URL"},
		{"relative target", ForwardConfig{Target: "/api"}, "must be absolute"},
		{"ftp target", ForwardConfig{Target: "ftp://x"}, "must be absolute"},
		{"user info", ForwardConfig{Target: "http://u:p@x"}, "user info"},
		{"unset env", ForwardConfig{Target: "http://x", Auth: &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${API_TOKEN}"}}}, "environment variable API_TOKEN is not set"},
		{"missing credential", ForwardConfig{Target: "http://x", Auth: &plugin.Auth{AuthType: "basic_auth", Credentials: map[string]string{"password": "p"}}}, "credentials username is required"},
		{"unknown credential", ForwardConfig{Target: "http://x", Auth: &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "t", "tokn": "t"}}}, `credentials key "tokn" is not used by bearer_token`},
		{"unknown type", ForwardConfig{Target: "http://x", Auth: &plugin.Auth{AuthType: "kerberos"}}, `auth_type "kerberos": want`},
		{"bad location", ForwardConfig{Target: "http://x", Auth: &plugin.Auth{AuthType: "api_key", Location: "body", Credentials: map[string]string{"api_key": "k"}}}, "location"},
		{"custom bad key", ForwardConfig{Target: "http://x", Auth: &plugin.Auth{AuthType: "custom", Credentials: map[string]string{"X-Sig": "k"}}}, "header.<Name>"},
		{"oauth2 nothing", ForwardConfig{Target: "http://x", Auth: &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"client_id": "c"}}}, "oauth2 needs access_token"},
		{"oauth2 no token URL anywhere", ForwardConfig{Target: "http://x", Auth: &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"client_id": "c", "client_secret": "s"}}}, "no access_token, and no token URL to obtain one"},
		{"oauth2 bad token_url", ForwardConfig{Target: "http://x", Auth: &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"token_url": "/t", "refresh_token": "r"}}}, "want an http:// or https:// URL"},
		{"endpoint bad proxy_url", ForwardConfig{Target: "http://x", Endpoints: []plugin.Endpoint{{Path: "/a", ProxyURL: "nope"}}}, "endpoint 1"},
		{"endpoint duplicate", ForwardConfig{Target: "http://x", Endpoints: []plugin.Endpoint{{Path: "/a", Method: "get"}, {Path: "/a", Method: "GET"}}}, "duplicate"},
		{"negative retry", ForwardConfig{Target: "http://x", RetryCount: -1}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.LookupEnv = lookup
			_, err := NewForwarder(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// tokenServer is an oauth2 token endpoint issuing tok-1, tok-2, ... and counting requests.
type tokenServer struct {
	*httptest.Server
	calls atomic.Int64
	mu    sync.Mutex
	grant []string
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.calls.Add(1)
		_ = r.ParseForm()
		ts.mu.Lock()
		ts.grant = append(ts.grant, r.PostForm.Get("grant_type"))
		ts.mu.Unlock()
		if id, secret, ok := r.BasicAuth(); r.PostForm.Get("grant_type") == "client_credentials" && (!ok || id != "cid" || secret != "csecret-xyz") {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":3600,"refresh_token":"refresh-%d"}`, n, n)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// authUpstream accepts only "Bearer <valid>" and echoes otherwise answers 401.
func authUpstream(valid func(string) bool, hits *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		echoHandler(w, r)
	})
}

func TestForwardOAuth2(t *testing.T) {
	tests := []struct {
		name       string
		creds      map[string]string
		wantGrant  string
		wantTokens int64
	}{
		{"expired access token refreshed on 401", map[string]string{"access_token": "old", "refresh_token": "r-0"}, "refresh_token", 1},
		{"no access token: client_credentials", map[string]string{"client_id": "cid", "client_secret": "csecret-xyz"}, "client_credentials", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t)
			var hits atomic.Int64
			up := httptest.NewServer(authUpstream(func(tok string) bool { return strings.HasPrefix(tok, "tok-") }, &hits))
			defer up.Close()
			creds := map[string]string{"token_url": ts.URL + "/token"}
			for k, v := range tt.creds {
				creds[k] = v
			}
			front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL, Auth: &plugin.Auth{AuthType: "oauth2", Credentials: creds}}), nil)
			req, _ := http.NewRequest(http.MethodPost, front.URL+"/pets", strings.NewReader(`{"name":"rex"}`))
			resp, body := fwGet(t, req)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if e := decodeEcho(t, body); e.Body != `{"name":"rex"}` || http.Header(e.Header).Get("Authorization") != "Bearer tok-1" {
				t.Errorf("retried request: body %q, auth %q", e.Body, http.Header(e.Header).Get("Authorization"))
			}
			if n := ts.calls.Load(); n != tt.wantTokens {
				t.Errorf("token requests = %d, want %d", n, tt.wantTokens)
			}
			if ts.grant[0] != tt.wantGrant {
				t.Errorf("grant = %s, want %s", ts.grant[0], tt.wantGrant)
			}
			// A second request uses the cached token: no new token request.
			resp, _ = fwGet(t, mustReq(t, http.MethodGet, front.URL+"/pets"))
			if resp.StatusCode != 200 || ts.calls.Load() != tt.wantTokens {
				t.Errorf("second request: status %d, token requests %d", resp.StatusCode, ts.calls.Load())
			}
		})
	}

	t.Run("still 401 after refresh is passed through, one retry only", func(t *testing.T) {
		ts := newTokenServer(t)
		var hits atomic.Int64
		up := httptest.NewServer(authUpstream(func(string) bool { return false }, &hits))
		defer up.Close()
		front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL, Auth: &plugin.Auth{AuthType: "oauth2",
			Credentials: map[string]string{"access_token": "old", "refresh_token": "r", "token_url": ts.URL}}}), nil)
		resp, _ := fwGet(t, mustReq(t, http.MethodGet, front.URL+"/pets"))
		if resp.StatusCode != 401 || hits.Load() != 2 || ts.calls.Load() != 1 {
			t.Errorf("status %d, upstream hits %d, token requests %d; want 401, 2, 1", resp.StatusCode, hits.Load(), ts.calls.Load())
		}
	})

	t.Run("token endpoint failure is a 502 naming it", func(t *testing.T) {
		ts := newTokenServer(t)
		var hits atomic.Int64
		up := httptest.NewServer(authUpstream(func(string) bool { return true }, &hits))
		defer up.Close()
		front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL, Auth: &plugin.Auth{AuthType: "oauth2",
			Credentials: map[string]string{"client_id": "cid", "client_secret": "wrong-secret", "token_url": ts.URL}}}), nil)
		resp, body := fwGet(t, mustReq(t, http.MethodGet, front.URL+"/pets"))
		if resp.StatusCode != 502 || !strings.Contains(string(body), "token endpoint answered 401: invalid_client") || hits.Load() != 0 {
			t.Errorf("status %d, body %s, upstream hits %d", resp.StatusCode, body, hits.Load())
		}
		if strings.Contains(string(body), "wrong-secret") {
			t.Errorf("secret in answer: %s", body)
		}
	})
}

func TestForwardOAuth2ConcurrentShareOneRefresh(t *testing.T) {
	const n = 16
	ts := newTokenServer(t)
	// The upstream holds every request until all n have arrived with the old token, so all of
	// them get their 401 while the same token is current.
	var arrived atomic.Int64
	all := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer old" {
			if arrived.Add(1) == n {
				close(all)
			}
			select {
			case <-all:
			case <-r.Context().Done():
			}
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		echoHandler(w, r)
	}))
	defer up.Close()
	front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL, Auth: &plugin.Auth{AuthType: "oauth2",
		Credentials: map[string]string{"access_token": "old", "refresh_token": "r", "token_url": ts.URL}}}), nil)
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(front.URL + "/pets")
			if err != nil {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("request %d: status %d", i, s)
		}
	}
	if c := ts.calls.Load(); c != 1 {
		t.Errorf("token requests = %d, want 1 shared by %d requests", c, n)
	}
}

func mustReq(t testing.TB, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestForwardEndpoints(t *testing.T) {
	main := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "main") }))
	defer main.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "other") }))
	defer other.Close()
	f := fwNew(t, ForwardConfig{Target: main.URL, Endpoints: []plugin.Endpoint{
		{Path: "/pets/{id}", Method: "GET", ProxyURL: other.URL},
		{Path: "/stores/**", ProxyURL: other.URL},
	}})
	opGet := &spec.Operation{Method: "GET", Path: "/pets/{id}"}
	opDel := &spec.Operation{Method: "DELETE", Path: "/pets/{id}"}
	tests := []struct {
		name, method, path string
		op                 *spec.Operation
		want               string
	}{
		{"operation match", "GET", "/pets/1", opGet, "other"},
		{"other method", "DELETE", "/pets/1", opDel, "main"},
		{"glob without operation", "PATCH", "/stores/9/items", nil, "other"},
		{"template without operation", "GET", "/pets/7", nil, "other"},
		{"no match", "GET", "/users", nil, "main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			f.Forward(rec, httptest.NewRequest(tt.method, tt.path, nil), spec.Match{Operation: tt.op}, nil)
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("answered by %q, want %q", got, tt.want)
			}
		})
	}
}

// problemOf decodes a problem+json answer.
func problemOf(t testing.TB, resp *http.Response, body []byte) (int, string) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, body %s", ct, body)
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	return p.Status, p.Detail
}

// closedPort is the URL of a loopback port that refuses connections (see internal/loopback).
func closedPort(t testing.TB) string { return "http://" + loopback.RefusedAddr(t) }

func TestForwardFaults(t *testing.T) {
	base := runtime.NumGoroutine()

	var slowHits, flakyHits, postHits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		slowHits.Add(1)
		<-r.Context().Done()
	})
	mux.HandleFunc("/stall-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if flakyHits.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok after retries")
	})
	mux.HandleFunc("/post503", func(w http.ResponseWriter, r *http.Request) {
		postHits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a part")
		_ = buf.Flush()
		conn.Close()
	})
	mux.HandleFunc("/reset-before", func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			conn.Close()
		}
	})
	up := httptest.NewServer(mux)
	tlsUp := httptest.NewUnstartedServer(http.HandlerFunc(echoHandler))
	tlsUp.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failure is the point
	tlsUp.StartTLS()

	timeout := 300 * time.Millisecond
	f := fwNew(t, ForwardConfig{Target: up.URL, Timeout: timeout, RetryCount: 3})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.Forward(w, r, spec.Match{}, nil) }))
	refused := fwNew(t, ForwardConfig{Target: closedPort(t), RetryCount: 1})
	frontRefused := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { refused.Forward(w, r, spec.Match{}, nil) }))
	badTLS := fwNew(t, ForwardConfig{Target: tlsUp.URL})
	frontTLS := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { badTLS.Forward(w, r, spec.Match{}, nil) }))

	problemCases := []struct {
		name, url, method string
		wantStatus        int
		wantDetail        []string
	}{
		{"refused", frontRefused.URL + "/x", "GET", 502, []string{strings.TrimPrefix(refused.base.up.origin, ""), "connection refused"}},
		{"slow headers past timeout", front.URL + "/slow", "GET", 504, []string{up.URL, "no answer within 300ms"}},
		{"reset before answer", front.URL + "/reset-before", "GET", 502, []string{up.URL}},
		{"bad TLS", frontTLS.URL + "/x", "GET", 502, []string{tlsUp.URL, "TLS: certificate signed by an unknown authority"}},
	}
	for _, tt := range problemCases {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fwGet(t, mustReq(t, tt.method, tt.url))
			status, detail := problemOf(t, resp, body)
			t.Logf("%d %s", status, detail)
			if resp.StatusCode != tt.wantStatus || status != tt.wantStatus {
				t.Errorf("status %d (%d), want %d: %s", resp.StatusCode, status, tt.wantStatus, body)
			}
			for _, want := range tt.wantDetail {
				if !strings.Contains(detail, want) {
					t.Errorf("detail %q does not contain %q", detail, want)
				}
			}
			// The forwarder's own answer says so: a test run tells it from the API's.
			if got := resp.Header.Get(HeaderError); got != detail {
				t.Errorf("%s = %q, want the detail %q", HeaderError, got, detail)
			}
		})
	}
	if n := slowHits.Load(); n != 4 {
		t.Errorf("slow upstream hit %d times, want 1 + 3 retries", n)
	}

	t.Run("503 then success with retries", func(t *testing.T) {
		resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/flaky"))
		if resp.StatusCode != 200 || string(body) != "ok after retries" || flakyHits.Load() != 3 {
			t.Errorf("status %d body %q hits %d", resp.StatusCode, body, flakyHits.Load())
		}
	})
	t.Run("POST is not retried", func(t *testing.T) {
		resp, _ := fwGet(t, mustReq(t, "POST", front.URL+"/post503"))
		if resp.StatusCode != 503 || postHits.Load() != 1 {
			t.Errorf("status %d hits %d, want 503 passed through after 1 try", resp.StatusCode, postHits.Load())
		}
		if h := resp.Header.Get(HeaderError); h != "" {
			t.Errorf("the upstream's own 503 carries %s: %q", HeaderError, h)
		}
	})
	// Broken bodies that reached the client only in part are cut (the fault matrix covers
	// those); these broke before anything reached it, so the client gets a problem.
	t.Run("reset mid-body before anything was sent is a 502", func(t *testing.T) {
		resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/reset"))
		if status, detail := problemOf(t, resp, body); status != 502 || !strings.Contains(detail, "answered 200, then the connection closed mid-body after 11 bytes") {
			t.Errorf("%d %s", status, detail)
		}
	})
	t.Run("stalled body before anything was sent is a 504", func(t *testing.T) {
		resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/stall-body"))
		if status, detail := problemOf(t, resp, body); status != 504 || !strings.Contains(detail, "answered 200, then its body stalled: nothing for 300ms after 7 bytes") {
			t.Errorf("%d %s", status, detail)
		}
	})

	front.Close()
	frontRefused.Close()
	frontTLS.Close()
	up.Close()
	tlsUp.Close()
	for _, fw := range []*Forwarder{f, refused, badTLS} {
		fw.Close()
	}
	http.DefaultClient.CloseIdleConnections()
	waitGoroutines(t, base)
}

// waitGoroutines fails when the goroutine count does not come back to base (a leak). It polls:
// servers and transports stop their goroutines asynchronously.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base+1 {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d, baseline %d\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// zeroReader produces n bytes without holding them.
type zeroReader struct{ n int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

func TestForwardHugeBodyStreams(t *testing.T) {
	size := int64(200 << 20)
	if testing.Short() {
		size = 32 << 20
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.Copy(io.Discard, r.Body) // the upload streams too
		w.Header().Set("X-Upload-Size", fmt.Sprint(in))
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = io.Copy(w, &zeroReader{n: size})
	}))
	defer up.Close()
	front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL, RetryCount: 2}), nil)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	req, _ := http.NewRequest(http.MethodPut, front.URL+"/blob", &zeroReader{n: 8 << 20})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil || got != size {
		t.Fatalf("read %d bytes (%v), want %d", got, err, size)
	}
	if resp.Header.Get("X-Upload-Size") != fmt.Sprint(8<<20) {
		t.Errorf("upload arrived with %s bytes", resp.Header.Get("X-Upload-Size"))
	}
	// Allocation counts everything in this process (client, proxy, upstream). Streaming needs a
	// few buffers plus the 1 MiB replay buffer; holding the answer would need its whole size.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(size/4) {
		t.Errorf("allocated %d MB to stream %d MB: the body is being held", alloc>>20, size>>20)
	}
}

func TestForwardHTTP2(t *testing.T) {
	up := httptest.NewUnstartedServer(http.HandlerFunc(echoHandler))
	up.EnableHTTP2 = true
	up.StartTLS()
	defer up.Close()
	pool := x509.NewCertPool()
	pool.AddCert(up.Certificate())
	front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL, TLSClientConfig: &tls.Config{RootCAs: pool}}), nil)
	resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/h2"))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if e := decodeEcho(t, body); e.Proto != 2 || e.Header["X-Forwarded-Proto"][0] != "http" {
		t.Errorf("upstream saw HTTP/%d", e.Proto)
	}
}

func TestForwardFallback(t *testing.T) {
	var hits atomic.Int64
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer down.Close()
	tests := []struct {
		name, target string
		retries      int
		wantCause    string
		wantHits     int64
	}{
		{"refused", closedPort(t), 0, "connection refused", 0},
		{"502 after retries", down.URL, 2, "upstream answered 502", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			f := fwNew(t, ForwardConfig{Target: tt.target, RetryCount: tt.retries})
			defer f.Close()
			rec := httptest.NewRecorder()
			var cause string
			f.Forward(rec, httptest.NewRequest("GET", "/pets", nil), spec.Match{}, func(c string) {
				cause = c
				rec.Header().Set("X-Mockloop-Fallback", c)
				rec.WriteHeader(200)
				_, _ = io.WriteString(rec, "mock answer")
			})
			if !strings.Contains(cause, tt.wantCause) {
				t.Errorf("cause %q, want %q", cause, tt.wantCause)
			}
			if rec.Body.String() != "mock answer" || rec.Code != 200 || rec.Header().Get("Content-Type") != "" {
				t.Errorf("the live side wrote something: %d %v %q", rec.Code, rec.Header(), rec.Body)
			}
			if hits.Load() != tt.wantHits {
				t.Errorf("upstream hits %d, want %d", hits.Load(), tt.wantHits)
			}
		})
	}
	t.Run("success does not fall back", func(t *testing.T) {
		up := httptest.NewServer(http.HandlerFunc(echoHandler))
		defer up.Close()
		f := fwNew(t, ForwardConfig{Target: up.URL})
		defer f.Close()
		rec := httptest.NewRecorder()
		f.Forward(rec, httptest.NewRequest("GET", "/pets", nil), spec.Match{}, func(string) { t.Error("fallback called") })
		if rec.Code != 200 {
			t.Errorf("status %d", rec.Code)
		}
	})
}

// TestForwardSecretsNeverPrinted runs failing and succeeding requests with secrets in every auth
// location and greps everything printed (answers, causes, logs) for them.
func TestForwardSecretsNeverPrinted(t *testing.T) {
	secrets := map[string]string{"KEY": "sk_live_AAAA1111", "TOKEN": "tok_BBBB2222", "PASS": "pw_CCCC3333", "CS": "cs_DDDD4444", "RT": "rt_EEEE5555"}
	lookup := func(k string) (string, bool) { v, ok := secrets[k]; return v, ok }
	var logs bytes.Buffer
	logger := log.New(&logs, "", 0)
	var out bytes.Buffer
	ts := newTokenServer(t)
	refusedURL := closedPort(t)
	reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
		_ = buf.Flush()
		conn.Close()
	}))
	defer reset.Close()
	auths := []plugin.Auth{
		{AuthType: "api_key", Location: "query", Name: "key", Credentials: map[string]string{"api_key": "${KEY}"}},
		{AuthType: "api_key", Location: "cookie", Credentials: map[string]string{"api_key": "${KEY}"}},
		{AuthType: "bearer_token", Credentials: map[string]string{"token": "${TOKEN}"}},
		{AuthType: "basic_auth", Credentials: map[string]string{"username": "u", "password": "${PASS}"}},
		{AuthType: "custom", Credentials: map[string]string{"query.sig": "${KEY}", "header.X-Sig": "${TOKEN}"}},
		{AuthType: "oauth2", Credentials: map[string]string{"client_id": "cid", "client_secret": "${CS}", "token_url": ts.URL}},
		{AuthType: "oauth2", Credentials: map[string]string{"refresh_token": "${RT}", "token_url": refusedURL + "/token?x=${KEY}"}},
	}
	for _, target := range []string{refusedURL, reset.URL} {
		for _, a := range auths {
			for _, fb := range []bool{false, true} {
				a := a
				f := fwNew(t, ForwardConfig{Target: target, Auth: &a, LookupEnv: lookup, ErrorLog: logger, RetryCount: 1})
				front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var fallback func(string)
					if fb {
						fallback = func(c string) { fmt.Fprintln(&out, c); w.WriteHeader(299) }
					}
					f.Forward(w, r, spec.Match{}, fallback)
				}))
				resp, err := http.Get(front.URL + "/pets?q=1")
				if err != nil {
					fmt.Fprintln(&out, err)
				} else {
					b, err := io.ReadAll(resp.Body)
					fmt.Fprintln(&out, resp.Status, resp.Header, string(b), err)
					resp.Body.Close()
				}
				front.Close()
				f.Close()
			}
		}
	}
	// The auth-status report must not print them either.
	for _, a := range auths {
		st := InspectAuth(context.Background(), &a, lookup, InspectOptions{Refresh: true})
		j, _ := json.Marshal(st)
		out.Write(j)
	}
	all := out.String() + logs.String()
	if !strings.Contains(all, "connection refused") {
		t.Fatalf("the run printed no failures; output:\n%s", all)
	}
	for name, v := range secrets {
		if strings.Contains(all, v) {
			t.Errorf("secret %s printed:\n%s", name, all)
		}
	}
}

func TestSafeError(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "http://h/x?api_key=SECRET", Err: io.ErrUnexpectedEOF}
	if got := safeError(fmt.Errorf("wrap: %w", err)); strings.Contains(got, "SECRET") {
		t.Errorf("safeError = %q", got)
	}
}

func TestBackoff(t *testing.T) {
	for n := range 10 {
		d := backoff(n, 10*time.Millisecond, 80*time.Millisecond)
		want := min(10*time.Millisecond<<n, 80*time.Millisecond)
		if d < want/2 || d > want {
			t.Errorf("backoff(%d) = %s, want in [%s, %s]", n, d, want/2, want)
		}
	}
}

// cpuTime is the user+system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkForward compares the forwarder with a bare httputil.ReverseProxy to the same upstream,
// in the same run: go test -bench Forward -benchtime 2000x ./internal/proxy
func BenchmarkForward(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 200)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	}))
	defer up.Close()
	target, _ := url.Parse(up.URL)
	bareTransport := &http.Transport{MaxIdleConnsPerHost: 256, ForceAttemptHTTP2: true}
	bare := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.SetXForwarded() }, Transport: bareTransport}
	f, err := NewForwarder(ForwardConfig{Target: up.URL, RetryCount: 2,
		Auth: &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "t"}}})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	run := func(b *testing.B, h http.Handler) {
		front := httptest.NewServer(h)
		defer front.Close()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
		b.ReportAllocs()
		b.SetParallelism(8) // 8 clients per CPU: measure throughput, not one request's latency
		before := cpuTime()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := client.Get(front.URL + "/pets/1")
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
		b.StopTimer()
		// CPU time of the whole process (client, proxy and upstream) per request: unlike wall
		// time it hardly moves when other work shares the machine.
		b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op")
	}
	// The same bare proxy with a buffer pool: isolates what the forwarder adds (auth, retries
	// bookkeeping, timers) from the pool it also uses.
	pooled := &httputil.ReverseProxy{Rewrite: bare.Rewrite, Transport: &http.Transport{MaxIdleConnsPerHost: 256, ForceAttemptHTTP2: true}, BufferPool: bufferPool{}}
	b.Run("bare", func(b *testing.B) { run(b, bare) })
	b.Run("bare-pooled", func(b *testing.B) { run(b, pooled) })
	b.Run("forwarder", func(b *testing.B) {
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.Forward(w, r, spec.Match{}, nil) }))
	})
	// As serve runs it: its logger at info (each attempt is a debug line, not written), and a
	// fallback, so that the answer is held back until it is sure to start.
	logged, err := NewForwarder(ForwardConfig{Target: up.URL, RetryCount: 2,
		Auth:   &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "t"}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		b.Fatal(err)
	}
	defer logged.Close()
	b.Run("forwarder-logged", func(b *testing.B) {
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { logged.Forward(w, r, spec.Match{}, nil) }))
	})
	b.Run("forwarder-logged-fallback", func(b *testing.B) {
		fallback := func(string) { b.Error("the fallback answered") }
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { logged.Forward(w, r, spec.Match{}, fallback) }))
	})
}

func TestForwardRetryBodies(t *testing.T) {
	var hits atomic.Int64
	var mu sync.Mutex
	var bodies []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(b)
	}))
	defer up.Close()
	tests := []struct {
		name, method, body string
		cfg                ForwardConfig
		wantStatus         int
		wantHits           int64
	}{
		{"POST marked retryable is replayed", "POST", `{"a":1}`,
			ForwardConfig{Endpoints: []plugin.Endpoint{{Path: "/orders", Method: "POST", RetryCount: 2, Retryable: true}}}, 200, 2},
		{"POST not marked is not retried", "POST", `{"a":1}`, ForwardConfig{RetryCount: 2}, 503, 1},
		{"PUT body within the replay limit", "PUT", strings.Repeat("p", 100), ForwardConfig{RetryCount: 2}, 200, 2},
		{"PUT body over the replay limit streams, no retry", "PUT", strings.Repeat("p", 100), ForwardConfig{RetryCount: 2, MaxReplayBody: 10}, 503, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			mu.Lock()
			bodies = nil
			mu.Unlock()
			cfg := tt.cfg
			cfg.Target = up.URL
			front := fwFront(t, fwNew(t, cfg), nil)
			req, _ := http.NewRequest(tt.method, front.URL+"/orders", strings.NewReader(tt.body))
			resp, body := fwGet(t, req)
			if resp.StatusCode != tt.wantStatus || hits.Load() != tt.wantHits {
				t.Fatalf("status %d, hits %d; want %d, %d", resp.StatusCode, hits.Load(), tt.wantStatus, tt.wantHits)
			}
			if tt.wantStatus == 200 && string(body) != tt.body {
				t.Errorf("answer %q, want the body echoed", body)
			}
			mu.Lock()
			defer mu.Unlock()
			for i, b := range bodies {
				if b != tt.body {
					t.Errorf("attempt %d sent body %q, want %q", i+1, b, tt.body)
				}
			}
		})
	}
}

func TestForwardUpgrade(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "want Upgrade: echo", http.StatusBadRequest)
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		_ = buf.Flush()
		line, _ := buf.ReadString('\n')
		_, _ = io.WriteString(conn, "echo: "+line)
	}))
	defer up.Close()
	front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL, Timeout: time.Minute}), nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	_, _ = io.WriteString(conn, "ping\n")
	if line, err := br.ReadString('\n'); err != nil || line != "echo: ping\n" {
		t.Errorf("through the upgraded connection: %q, %v", line, err)
	}
}

func TestForwardStreamsEvents(t *testing.T) {
	gotFirst := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		// The second event is sent only once the client has the first: a proxy that buffers
		// the stream never delivers it.
		select {
		case <-gotFirst:
		case <-time.After(10 * time.Second):
		}
		_, _ = io.WriteString(w, "data: second\n\n")
	}))
	defer up.Close()
	front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL}), nil)
	resp, err := http.Get(front.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line != "data: first\n" {
		t.Fatalf("first event: %q, %v", line, err)
	}
	close(gotFirst)
	rest, _ := io.ReadAll(br)
	if string(rest) != "\ndata: second\n\n" {
		t.Errorf("rest of the stream: %q", rest)
	}
}

func TestForwardBodyTooLarge(t *testing.T) {
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer up.Close()
	for _, tt := range []struct {
		name    string
		retries int
	}{{"buffered for retries", 1}, {"streamed", 0}} {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			f := fwNew(t, ForwardConfig{Target: up.URL, RetryCount: tt.retries})
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Body = http.MaxBytesReader(w, r.Body, 10) // as serve's --max-body does
				f.Forward(w, r, spec.Match{}, func(string) { t.Error("a client error must not fall back") })
			}))
			defer front.Close()
			req, _ := http.NewRequest("PUT", front.URL+"/x", strings.NewReader(strings.Repeat("b", 100)))
			resp, body := fwGet(t, req)
			if status, detail := problemOf(t, resp, body); status != 413 || !strings.Contains(detail, "larger than 10 bytes") {
				t.Errorf("status %d %q", status, detail)
			}
			if tt.retries > 0 && hits.Load() != 0 {
				t.Errorf("upstream hits %d, want none", hits.Load())
			}
		})
	}
}

// TestForwardTokenEndpointEchoHidesDerivedSecrets: a token endpoint that echoes the request it
// got (Basic auth header, form body) into its error must not carry the client secret, in any of
// its forms, into the 502 the proxy's client sees.
func TestForwardTokenEndpointEchoHidesDerivedSecrets(t *testing.T) {
	const id, secret = "my client", "s3cr3t+/=value"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		desc := "got " + r.Header.Get("Authorization") + " and " + string(body)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": desc})
	}))
	defer echo.Close()
	var hits atomic.Int64
	up := httptest.NewServer(authUpstream(func(string) bool { return true }, &hits))
	defer up.Close()
	front := fwFront(t, fwNew(t, ForwardConfig{Target: up.URL, Auth: &plugin.Auth{AuthType: "oauth2",
		Credentials: map[string]string{"client_id": id, "client_secret": secret, "token_url": echo.URL}}}), nil)
	resp, body := fwGet(t, mustReq(t, http.MethodGet, front.URL+"/pets"))
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "invalid_request") {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
	for _, leak := range []string{secret, url.QueryEscape(secret), basic} {
		if strings.Contains(string(body), leak) {
			t.Errorf("the 502 carries %q: %s", leak, body)
		}
	}
}
