package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

func loadPets(t *testing.T) *spec.Document {
	t.Helper()
	doc, err := spec.Load(context.Background(), "testdata/pets.yaml", spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// seen is what a fake upstream received.
type seen struct {
	Path, Key string
}

func fakeUpstream(t *testing.T) (*httptest.Server, chan seen) {
	got := make(chan seen, 4)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{Path: r.URL.Path, Key: r.Header.Get("X-Shop-Key")}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[]`)
	}))
	t.Cleanup(up.Close)
	return up, got
}

// TestBuild: one plugin becomes one stack, with the plugin's credentials, endpoint override
// and route rules all in place, and its secrets hidden from the request log.
func TestBuild(t *testing.T) {
	up, got := fakeUpstream(t)
	other, gotOther := fakeUpstream(t)
	p := &plugin.Plugin{Name: "shop", Spec: "testdata/pets.yaml", Mode: plugin.ModeHybrid, TargetURL: up.URL + "/v1",
		Auth:      &plugin.Auth{AuthType: plugin.AuthAPIKey, Name: "X-Shop-Key", Credentials: map[string]string{"api_key": "${SHOP_KEY}"}},
		Endpoints: []plugin.Endpoint{{Path: "/pets/{petId}", Method: "GET", ProxyURL: other.URL + "/v2"}},
		RouteRules: []plugin.RouteRule{
			{Name: "writes", Pattern: "/pets", Method: "POST", Mode: plugin.ModeMock},
			{Pattern: "/**", Mode: plugin.ModeProxy},
		},
	}
	env := map[string]string{"SHOP_KEY": "k-123456"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	set, err := Resolve(p, Flags{}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	st, err := Build(loadPets(t), set, Options{LookupEnv: lookup, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path string) *http.Response {
		t.Helper()
		w := httptest.NewRecorder()
		r := httptest.NewRequest(method, path, strings.NewReader(`{"name":"rex"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Shop-Key", "client-own")
		st.ServeHTTP(w, r)
		return w.Result()
	}

	if resp := do("GET", "/pets"); resp.Header.Get(server.HeaderMode) != "proxy" {
		t.Errorf("GET /pets answered by %q, want proxy", resp.Header.Get(server.HeaderMode))
	}
	if s := <-got; s.Path != "/v1/pets" || s.Key != "k-123456" {
		t.Errorf("upstream got %+v, want /v1/pets with the plugin's key", s)
	}
	if resp := do("GET", "/pets/7"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /pets/7: %d", resp.StatusCode)
	}
	if s := <-gotOther; s.Path != "/v2/pets/7" || s.Key != "k-123456" {
		t.Errorf("endpoint proxy_url got %+v, want /v2/pets/7", s)
	}
	if resp := do("POST", "/pets"); resp.Header.Get(server.HeaderMode) != "mock" || resp.Header.Get(server.HeaderRule) != "writes" {
		t.Errorf("POST /pets: mode %q rule %q, want the mock by rule writes", resp.Header.Get(server.HeaderMode), resp.Header.Get(server.HeaderRule))
	}
	st.Close()
	if strings.Contains(log.String(), "k-123456") || strings.Contains(log.String(), "client-own") {
		t.Errorf("request log shows a key:\n%s", log.String())
	}
	if got := st.Redact("key k-123456 echoed"); strings.Contains(got, "k-123456") {
		t.Errorf("Redact = %q", got)
	}
}

// TestBuildMockOnlyHidesPluginSecrets: without a target there is no forwarder, but the
// plugin's credentials are still secrets of the stack.
func TestBuildMockOnlyHidesPluginSecrets(t *testing.T) {
	p := &plugin.Plugin{Name: "m", Mode: plugin.ModeMock,
		Auth: &plugin.Auth{AuthType: plugin.AuthBearerToken, Credentials: map[string]string{"token": "tok-abcdef"}}}
	set, err := Resolve(p, Flags{}, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	st, err := Build(loadPets(t), set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Live != nil {
		t.Fatal("a live side without a target")
	}
	if got := st.Redact("Bearer tok-abcdef"); strings.Contains(got, "tok-abcdef") {
		t.Errorf("Redact = %q", got)
	}
}

// TestBuildNoFallback: a test run wants the live failure, not the mock's answer.
func TestBuildNoFallback(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	p := &plugin.Plugin{Name: "f", Mode: plugin.ModeProxy, TargetURL: dead.URL, Fallback: plugin.ModeMock, Timeout: plugin.Duration{Duration: time.Second}}
	set, err := Resolve(p, Flags{}, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		noFallback bool
		want       int
	}{{false, http.StatusOK}, {true, http.StatusBadGateway}} {
		st, err := Build(loadPets(t), set, Options{NoFallback: tt.noFallback})
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		st.ServeHTTP(w, httptest.NewRequest("GET", "/pets", nil))
		st.Close()
		if w.Code != tt.want {
			var body map[string]any
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			t.Errorf("NoFallback %v: status %d, want %d (%v)", tt.noFallback, w.Code, tt.want, body)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	doc := loadPets(t)
	tests := []struct {
		name string
		set  Settings
		want string
	}{
		{"proxy without target", Settings{Mode: plugin.ModeProxy}, "needs a target URL"},
		{"bad rule names the plugin", Settings{Mode: plugin.ModeHybrid, Target: "http://127.0.0.1:9",
			Plugin: &plugin.Plugin{Name: "shop", RouteRules: []plugin.RouteRule{{Pattern: "/a", Mode: plugin.ModeMock, Condition: "request.method = 'POST'"}}}},
			"plugin shop: route rule 1 (/a): condition"},
		{"unset credential variable", Settings{Mode: plugin.ModeProxy, Target: "http://127.0.0.1:9",
			Auth: &plugin.Auth{AuthType: plugin.AuthBearerToken, Credentials: map[string]string{"token": "${NOPE_TOKEN}"}}}, "NOPE_TOKEN is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(doc, tt.set, Options{LookupEnv: func(string) (string, bool) { return "", false }})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
