package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
)

func TestPluginAuthStatusArgs(t *testing.T) {
	tests := []struct {
		name, wantErr string
		argv          []string
		want          pluginAuthStatusOptions
	}{
		{name: "text default", argv: []string{"demo"}, want: pluginAuthStatusOptions{Name: "demo", Output: "text"}},
		{name: "json", argv: []string{"demo", "-o", "json"}, want: pluginAuthStatusOptions{Name: "demo", Output: "json"}},
		{name: "no name", wantErr: "accepts 1 arg"},
		{name: "bad name", argv: []string{"../x"}, wantErr: "invalid plugin name"},
		{name: "bad output", argv: []string{"demo", "-o", "yaml"}, wantErr: `invalid --output "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			var got *pluginAuthStatusOptions
			err := execPluginCmd(t, newPluginAuthStatusCmd(e.f, func(o *pluginAuthStatusOptions) error { got = o; return nil }), tt.argv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want.Name || got.Output != tt.want.Output || got.Store.Dir() != e.dir || got.LookupEnv == nil {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestPluginAuthStatusRun(t *testing.T) {
	var tokenCalls int
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenCalls++
		if _, secret, _ := r.BasicAuth(); secret != "cs-good-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"issued-token-value","expires_in":60}`)
	}))
	defer tokenSrv.Close()

	secretDir := t.TempDir()
	secretFile := filepath.Join(secretDir, "token")
	if err := os.WriteFile(secretFile, []byte("file-secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missingFile := filepath.Join(secretDir, "missing")
	env := map[string]string{"GOOD_CS": "cs-good-secret", "BAD_CS": "cs-bad-secret", "API_KEY": "key-value-123", "RT": "rt-value-456"}
	oauthSpec := filepath.Join(t.TempDir(), "oauth.yaml")
	if err := os.WriteFile(oauthSpec, []byte(`openapi: 3.0.3
info: {title: OAuth API, version: "1"}
paths: {}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        authorizationCode:
          authorizationUrl: https://auth.example.com/authorize
          tokenUrl: `+tokenSrv.URL+`/token
          scopes: {}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	// The guide's OAuth2 form: no token URL in the credentials.
	guide := map[string]string{"access_token": "your-access-token", "refresh_token": "${RT}", "client_id": "cid", "client_secret": "${GOOD_CS}"}
	plugins := []*plugin.Plugin{
		{Name: "key", Spec: "mockloop:example", Mode: "proxy", TargetURL: "https://api.example.com",
			Auth: &plugin.Auth{AuthType: "api_key", Location: "query", Name: "apikey", Credentials: map[string]string{"api_key": "${API_KEY}"}}},
		{Name: "unset", Spec: "mockloop:example", Mode: "proxy", TargetURL: "https://api.example.com",
			Auth: &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${NOT_SET_TOKEN}"}}},
		{Name: "oauth-ok", Spec: "mockloop:example", Mode: "proxy", TargetURL: "https://api.example.com",
			Auth: &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"client_id": "cid", "client_secret": "${GOOD_CS}", "token_url": tokenSrv.URL}}},
		{Name: "oauth-bad", Spec: "mockloop:example", Mode: "proxy", TargetURL: "https://api.example.com",
			Auth: &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"client_id": "cid", "client_secret": "${BAD_CS}", "token_url": tokenSrv.URL}}},
		{Name: "file", Spec: "mockloop:example", Mode: "proxy", TargetURL: "https://api.example.com",
			Auth: &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${file:" + secretFile + "}"}}},
		{Name: "file-missing", Spec: "mockloop:example", Mode: "proxy", TargetURL: "https://api.example.com",
			Auth: &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${file:" + missingFile + "}"}}},
		{Name: "noauth", Spec: "mockloop:example", Mode: "mock"},
		{Name: "guide-nourl", Spec: "mockloop:example", Mode: "proxy", TargetURL: "https://api.example.com",
			Auth: &plugin.Auth{AuthType: "oauth2", Credentials: guide}},
		{Name: "guide-spec", Spec: oauthSpec, Mode: "proxy", TargetURL: "https://api.example.com",
			Auth: &plugin.Auth{AuthType: "oauth2", Credentials: guide}},
	}
	tests := []struct {
		name     string
		argv     []string
		wantCode int
		want     []string
	}{
		{"api_key text", []string{"key"}, 0, []string{"auth:", "api_key", "sent in:  query apikey", "api_key  ${API_KEY}  resolves"}},
		{"unset variable", []string{"unset"}, 1, []string{"token  ${NOT_SET_TOKEN}  error: environment variable NOT_SET_TOKEN is not set"}},
		{"oauth2 token ok", []string{"oauth-ok"}, 0, []string{"client_secret  ${GOOD_CS}  resolves", "token:   ok"}},
		{"oauth2 token refused", []string{"oauth-bad"}, 1, []string{"token:   error: oauth2 token request to " + tokenSrv.URL + ": token endpoint answered 401: invalid_client"}},
		{"file reference", []string{"file"}, 0, []string{"token  ${file:" + secretFile + "}  resolves"}},
		{"missing file", []string{"file-missing"}, 1, []string{"error: credential file " + missingFile + ": no such file or directory"}},
		{"file json", []string{"file", "-o", "json"}, 0, []string{`"source": "file"`, `"files": [`}},
		{"no auth", []string{"noauth"}, 0, []string{"auth:    none"}},
		{"json", []string{"oauth-ok", "-o", "json"}, 0, []string{`"plugin": "oauth-ok"`, `"ok": true`, `"auth_type": "oauth2"`, `"token": {`}},
		{"not found", []string{"nope"}, 2, nil},
		{"guide form, no token URL anywhere", []string{"guide-nourl"}, 1, []string{"refresh: impossible: no token URL: the plugin has no token_url and the spec has no OAuth2 security scheme with a tokenUrl"}},
		{"guide form, token URL from the spec, refresh token kept", []string{"guide-spec"}, 0, []string{
			"refresh: possible: refresh_token grant at " + tokenSrv.URL + `/token (the spec's security scheme "oauth" (authorizationCode flow))`,
			"token:   not requested (a refresh_token grant spends the refresh token"}},
		{"guide form, --refresh", []string{"guide-spec", "--refresh"}, 0, []string{"token:   ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			e.f.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			store := plugin.NewStore(e.dir)
			for _, p := range plugins {
				if err := store.Save(p, true); err != nil {
					t.Fatal(err)
				}
			}
			code := e.run(append([]string{"plugin", "auth-status"}, tt.argv...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nout: %s\nerr: %s", code, tt.wantCode, e.out, e.errOut)
			}
			out := e.out.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not contain %q:\n%s", w, out)
				}
			}
			for _, secret := range []string{"cs-good-secret", "cs-bad-secret", "key-value-123", "issued-token-value", "file-secret-value", "rt-value-456", "your-access-token"} {
				if strings.Contains(out+e.errOut.String(), secret) {
					t.Errorf("secret printed:\n%s%s", out, e.errOut)
				}
			}
			if strings.Contains(strings.Join(tt.argv, " "), "json") {
				var rep map[string]any
				if err := json.Unmarshal(e.out.Bytes(), &rep); err != nil {
					t.Errorf("not JSON: %v", err)
				}
			}
		})
	}
	if tokenCalls != 4 {
		t.Errorf("token requests = %d, want 4 (one per client_credentials run, one for --refresh)", tokenCalls)
	}
}
