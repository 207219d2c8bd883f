package upstream

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// fakeClock is a rotation clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// credUpstream is a loopback live API that checks the credential: it answers 200 when
// credential(r) is the value the test expects now, else 401, and keeps what it saw.
type credUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	want string
	seen []string
}

func newCredUpstream(t *testing.T, credential func(*http.Request) string) *credUpstream {
	u := &credUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := credential(r)
		u.mu.Lock()
		u.seen = append(u.seen, got)
		ok := got == u.want
		u.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *credUpstream) expect(v string) {
	u.mu.Lock()
	u.want = v
	u.mu.Unlock()
}

// writeSecret replaces a secret file: in place (truncate and write, as an editor or `echo >`
// does) or by an atomic rename (as Docker and Kubernetes secret updates do).
func writeSecret(t *testing.T, path, value string, rename bool) {
	t.Helper()
	if !rename {
		if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// rotatingForwarder forwards to target with auth, its rotation clock at clock, its lines in
// logs.
func rotatingForwarder(t *testing.T, target string, auth *plugin.Auth, clock *fakeClock, logs io.Writer) *Forwarder {
	t.Helper()
	f, err := NewForwarder(ForwardConfig{Target: target, Auth: auth, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	if f.auth.rot == nil {
		t.Fatal("a credential file is not watched")
	}
	f.auth.rot.now = clock.Now
	f.auth.rot.next.Store(clock.Now().Add(f.auth.rot.every).UnixNano())
	return f
}

func forwardStatus(t *testing.T, f *Forwarder) int {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := f.Forward(rec, httptest.NewRequest("GET", "/pets", nil), spec.Match{}, nil); err != nil {
		t.Fatal(err)
	}
	return rec.Code
}

// TestRotatedSecretFile: a running forwarder picks up a credential file that changed, for
// every kind of credential, at most once per check interval; the old and the new value are
// both redacted.
func TestRotatedSecretFile(t *testing.T) {
	basic := func(r *http.Request) string { _, p, _ := r.BasicAuth(); return p }
	tests := []struct {
		name       string
		auth       func(file string) *plugin.Auth
		credential func(*http.Request) string
		sent       func(v string) string // what the upstream sees for the secret v
	}{
		{"api_key in a header", func(file string) *plugin.Auth {
			return &plugin.Auth{AuthType: "api_key", Location: "header", Name: "X-API-Key", Credentials: map[string]string{"api_key": "${file:" + file + "}"}}
		}, func(r *http.Request) string { return r.Header.Get("X-API-Key") }, func(v string) string { return v }},
		{"api_key in the query", func(file string) *plugin.Auth {
			return &plugin.Auth{AuthType: "api_key", Location: "query", Name: "key", Credentials: map[string]string{"api_key": "${file:" + file + "}"}}
		}, func(r *http.Request) string { return r.URL.Query().Get("key") }, func(v string) string { return v }},
		{"bearer token", func(file string) *plugin.Auth {
			return &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${file:" + file + "}"}}
		}, func(r *http.Request) string { return r.Header.Get("Authorization") }, func(v string) string { return "Bearer " + v }},
		{"basic auth password", func(file string) *plugin.Auth {
			return &plugin.Auth{AuthType: "basic_auth", Credentials: map[string]string{"username": "ann", "password": "${file:" + file + "}"}}
		}, basic, func(v string) string { return v }},
		{"custom header template", func(file string) *plugin.Auth {
			return &plugin.Auth{AuthType: "custom", Credentials: map[string]string{"header.X-Sig": "v1 ${file:" + file + "}", "query.sig": "${file:" + file + "}"}}
		}, func(r *http.Request) string { return r.Header.Get("X-Sig") + "|" + r.URL.Query().Get("sig") }, func(v string) string { return "v1 " + v + "|" + v }},
	}
	for _, tt := range tests {
		for _, rename := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, rename %v", tt.name, rename), func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "secret")
				const v1, v2 = "first-SECRET-value-1111", "second-SECRET-value-22"
				writeSecret(t, file, v1, false)
				up := newCredUpstream(t, tt.credential)
				clock := &fakeClock{now: time.Unix(1_000_000, 0)}
				var logs bytes.Buffer
				f := rotatingForwarder(t, up.URL, tt.auth(file), clock, &logs)

				up.expect(tt.sent(v1))
				if got := forwardStatus(t, f); got != 200 {
					t.Fatalf("before the rotation: %d (seen %q)", got, up.seen)
				}
				writeSecret(t, file, v2, rename)
				up.expect(tt.sent(v2))
				// Within the check interval the old credential is still sent.
				clock.Add(rotationCheckEvery / 2)
				if got := forwardStatus(t, f); got != 401 {
					t.Fatalf("within the interval: %d, want the old credential (seen %q)", got, up.seen)
				}
				clock.Add(rotationCheckEvery / 2)
				if got := forwardStatus(t, f); got != 200 {
					t.Fatalf("after the interval: %d, want the new credential (seen %q)", got, up.seen)
				}
				for _, v := range []string{v1, v2} {
					text, want := "x "+v, "x ***"
					if tt.name == "basic auth password" { // the Authorization header's form too
						text, want = text+" "+base64.StdEncoding.EncodeToString([]byte("ann:"+v)), want+" ***"
					}
					if got := f.Redact(text); got != want {
						t.Errorf("Redact(%q) = %q, want %q", text, got, want)
					}
				}
				if !strings.Contains(logs.String(), "credentials reloaded") {
					t.Errorf("no reload line:\n%s", logs.String())
				}
				if strings.Contains(logs.String(), v1) || strings.Contains(logs.String(), v2) {
					t.Errorf("a secret in the log:\n%s", logs.String())
				}
			})
		}
	}
}

// TestRotationKeepsLastGood: a file removed mid-rotation, or caught empty, keeps the last
// good credential; the failure is logged once; the next good file is picked up.
func TestRotationKeepsLastGood(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	const v1, v3 = "token-ONE-aaaaaaaa", "token-THREE-cccccc"
	writeSecret(t, file, v1, false)
	up := newCredUpstream(t, func(r *http.Request) string { return r.Header.Get("Authorization") })
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	var logs bytes.Buffer
	f := rotatingForwarder(t, up.URL, &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${file:" + file + "}"}}, clock, &logs)
	up.expect("Bearer " + v1)
	step := func(what string, want int) {
		t.Helper()
		clock.Add(rotationCheckEvery)
		if got := forwardStatus(t, f); got != want {
			t.Fatalf("%s: %d, want %d (seen %q)", what, got, want, up.seen)
		}
	}
	step("before", 200)
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	step("file removed: the last good token", 200)
	step("still removed", 200)
	if n := strings.Count(logs.String(), "cannot be read again"); n != 1 {
		t.Errorf("%d failure lines, want 1:\n%s", n, logs.String())
	}
	writeSecret(t, file, "", false)
	step("file empty (half written): the last good token", 200)
	if n := strings.Count(logs.String(), "cannot be read again"); n != 1 {
		t.Errorf("%d failure lines, want still 1:\n%s", n, logs.String())
	}
	writeSecret(t, file, v3, false)
	up.expect("Bearer " + v3)
	step("the new file", 200)
	if !strings.Contains(logs.String(), "credentials reloaded") {
		t.Errorf("no reload line:\n%s", logs.String())
	}
	// Failing again after a success is logged again.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	step("removed again", 200)
	if n := strings.Count(logs.String(), "cannot be read again"); n != 2 {
		t.Errorf("%d failure lines, want 2:\n%s", n, logs.String())
	}
	for _, v := range []string{v1, v3} {
		if strings.Contains(logs.String(), v) {
			t.Errorf("secret %q in the log:\n%s", v, logs.String())
		}
		if got := f.Redact(v); got != "***" {
			t.Errorf("Redact(%q) = %q", v, got)
		}
	}
}

// TestRotatedClientSecret: for oauth2, a new client_secret means new tokens, obtained with it;
// the token of the old secret is no longer sent.
func TestRotatedClientSecret(t *testing.T) {
	file := filepath.Join(t.TempDir(), "client_secret")
	writeSecret(t, file, "old-CLIENT-secret-1", false)
	var current atomic.Value
	current.Store("old-CLIENT-secret-1")
	var tokens atomic.Int64
	var mu sync.Mutex
	issuedWith := map[string]string{} // token → the secret it was issued for
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != "cid" || secret != current.Load().(string) {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		tok := fmt.Sprintf("tok-%d", tokens.Add(1))
		mu.Lock()
		issuedWith[tok] = secret
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":3600}`, tok)
	}))
	defer tokenSrv.Close()
	// The API accepts tokens issued for the current client secret only (the old one revoked).
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s := issuedWith[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		mu.Unlock()
		if s == "" || s != current.Load().(string) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer api.Close()
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	var logs bytes.Buffer
	f := rotatingForwarder(t, api.URL, &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{
		"client_id": "cid", "client_secret": "${file:" + file + "}", "token_url": tokenSrv.URL}}, clock, &logs)

	if got := forwardStatus(t, f); got != 200 || tokens.Load() != 1 {
		t.Fatalf("first: %d, %d tokens", got, tokens.Load())
	}
	writeSecret(t, file, "new-CLIENT-secret-22", true)
	current.Store("new-CLIENT-secret-22")
	clock.Add(rotationCheckEvery)
	if got := forwardStatus(t, f); got != 200 || tokens.Load() != 2 {
		t.Fatalf("after the rotation: %d, %d tokens (want a new token, obtained with the new secret)", got, tokens.Load())
	}
	clock.Add(rotationCheckEvery)
	if got := forwardStatus(t, f); got != 200 || tokens.Load() != 2 {
		t.Fatalf("then: %d, %d tokens (the new token is kept)", got, tokens.Load())
	}
	writeSecret(t, file, "new-CLIENT-secret-22", true) // the same secret written again
	clock.Add(rotationCheckEvery)
	if got := forwardStatus(t, f); got != 200 || tokens.Load() != 2 {
		t.Fatalf("rewritten unchanged: %d, %d tokens (the token is kept)", got, tokens.Load())
	}
	if n := strings.Count(logs.String(), "credentials reloaded"); n != 1 {
		t.Errorf("%d reload lines, want 1:\n%s", n, logs.String())
	}
	for _, v := range []string{"old-CLIENT-secret-1", "new-CLIENT-secret-22", "tok-1", "tok-2"} {
		if got := f.Redact("<" + v + ">"); got != "<***>" {
			t.Errorf("Redact(%q) = %q", v, got)
		}
		if strings.Contains(logs.String(), v) {
			t.Errorf("%q in the log:\n%s", v, logs.String())
		}
	}
}

// TestRotationInvalidTokenURL: credentials that read but do not work (an oauth2 token_url that
// is no URL) are refused like an unreadable file: the last good ones are kept.
func TestRotationInvalidTokenURL(t *testing.T) {
	ts := newTokenServer(t)
	file := filepath.Join(t.TempDir(), "token_url")
	writeSecret(t, file, ts.URL, false)
	var hits atomic.Int64
	api := httptest.NewServer(authUpstream(func(s string) bool { return strings.HasPrefix(s, "tok-") }, &hits))
	defer api.Close()
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	var logs bytes.Buffer
	f := rotatingForwarder(t, api.URL, &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{
		"client_id": "cid", "client_secret": "csecret-xyz", "token_url": "${file:" + file + "}"}}, clock, &logs)
	if got := forwardStatus(t, f); got != 200 {
		t.Fatalf("first: %d", got)
	}
	writeSecret(t, file, "not a url", false)
	clock.Add(rotationCheckEvery)
	if got := forwardStatus(t, f); got != 200 || ts.calls.Load() != 1 {
		t.Fatalf("after a bad rotation: %d, %d token requests", got, ts.calls.Load())
	}
	if !strings.Contains(logs.String(), "cannot be read again") || !strings.Contains(logs.String(), "token_url") {
		t.Errorf("log:\n%s", logs.String())
	}
}

// TestRotationConcurrent: requests while the file rotates never see half a generation (the
// race detector checks the swaps) and each carries one of the values written.
func TestRotationConcurrent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	writeSecret(t, file, "key-0", false)
	var bad atomic.Int64
	var seen sync.Map // the values the upstream received
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, b := r.Header.Get("X-A"), r.Header.Get("X-B")
		if a != b || !strings.HasPrefix(a, "key-") {
			bad.Add(1)
		}
		seen.Store(a, true)
	}))
	defer up.Close()
	f, err := NewForwarder(ForwardConfig{Target: up.URL, Auth: &plugin.Auth{AuthType: "custom",
		Credentials: map[string]string{"header.X-A": "${file:" + file + "}", "header.X-B": "${file:" + file + "}"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.auth.rot.every = 0 // check at every request
	f.auth.rot.next.Store(0)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			writeSecret(t, file, fmt.Sprintf("key-%d", i), true)
			_ = f.Redact("key-1")
		}
	})
	var clients sync.WaitGroup
	for range 4 {
		clients.Go(func() {
			for range 50 {
				rec := httptest.NewRecorder()
				if err := f.Forward(rec, httptest.NewRequest("GET", "/x", nil), spec.Match{}, nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
	clients.Wait()
	close(stop)
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d requests carried mismatched or missing credentials", bad.Load())
	}
	n := 0
	seen.Range(func(any, any) bool { n++; return true })
	if n < 2 {
		t.Errorf("the requests saw %d credential values: the rotation was never picked up (the test proves nothing)", n)
	}
}

// TestNoFileNoRotation: credentials without file references are never checked.
func TestNoFileNoRotation(t *testing.T) {
	f, err := NewForwarder(ForwardConfig{Target: "http://127.0.0.1:9", Auth: &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${T}"}},
		LookupEnv: func(string) (string, bool) { return "t", true }})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.auth.rot != nil {
		t.Error("a rotation without credential files")
	}
}

// BenchmarkInjectorRefresh is what rotation costs a request: nothing to check (the common
// case: an atomic load), and a due check that stats one unchanged file.
func BenchmarkInjectorRefresh(b *testing.B) {
	file := filepath.Join(b.TempDir(), "key")
	if err := os.WriteFile(file, []byte("k"), 0o600); err != nil {
		b.Fatal(err)
	}
	in, err := newInjector(&plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${file:" + file + "}"}}, nil, nil, "", "")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("not due", func(b *testing.B) {
		in.rot.next.Store(time.Now().Add(time.Hour).UnixNano())
		for b.Loop() {
			in.refresh()
		}
	})
	b.Run("due, unchanged", func(b *testing.B) {
		in.rot.every = 0
		in.rot.next.Store(0)
		for b.Loop() {
			in.refresh()
		}
	})
}

// BenchmarkForwardFileCredential compares a forwarded request whose credential comes from a
// file (watched for rotation) with one whose credential is a literal (the baseline).
func BenchmarkForwardFileCredential(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer up.Close()
	file := filepath.Join(b.TempDir(), "token")
	if err := os.WriteFile(file, []byte("file-token\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, tt := range []struct{ name, token string }{{"literal", "literal-token"}, {"file", "${file:" + file + "}"}} {
		b.Run(tt.name, func(b *testing.B) {
			f, err := NewForwarder(ForwardConfig{Target: up.URL, Auth: &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": tt.token}}})
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				if err := f.Forward(rec, httptest.NewRequest("GET", "/pets", nil), spec.Match{}, nil); err != nil || rec.Code != 200 {
					b.Fatal(err, rec.Code)
				}
			}
		})
	}
}
