package upstream

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
)

func TestInspectAuth(t *testing.T) {
	ts := newTokenServer(t)
	env := map[string]string{"CS": "csecret-xyz", "BAD": "nope-secret"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name string
		cfg  plugin.Auth
		want []string // substrings of the JSON report
	}{
		{"api_key literal", plugin.Auth{AuthType: "api_key", Location: "query", Name: "key", Credentials: map[string]string{"api_key": "lit-value-1"}},
			[]string{`"where":"query key"`, `"source":"literal","resolved":true`}},
		{"unset variable", plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${API_TOKEN}"}},
			[]string{`"vars":["API_TOKEN"],"resolved":false,"error":"environment variable API_TOKEN is not set"`, `"problem":"auth bearer_token: credential \"token\": environment variable API_TOKEN is not set"`}},
		{"oauth2 token ok", plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"client_id": "cid", "client_secret": "${CS}", "token_url": ts.URL}},
			[]string{`"token":{"ok":true}`, `"where":"header Authorization (Bearer)"`}},
		{"oauth2 token rejected", plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"client_id": "cid", "client_secret": "${BAD}", "token_url": ts.URL}},
			[]string{`"token":{"ok":false,"error":"oauth2 token request to ` + ts.URL + `: token endpoint answered 401: invalid_client"}`}},
		{"custom", plugin.Auth{AuthType: "custom", Credentials: map[string]string{"header.X-Sig": "v1 ${CS}", "query.sig": "x"}},
			[]string{`"where":"header X-Sig, query sig"`}},
		{"none", plugin.Auth{}, []string{`"where":"none"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := InspectAuth(context.Background(), &tt.cfg, lookup, InspectOptions{})
			j, _ := json.Marshal(st)
			for _, w := range tt.want {
				if !strings.Contains(string(j), w) {
					t.Errorf("report %s\ndoes not contain %s", j, w)
				}
			}
			for _, secret := range []string{"csecret-xyz", "nope-secret", "lit-value-1"} {
				if strings.Contains(string(j), secret) {
					t.Errorf("secret in report: %s", j)
				}
			}
		})
	}
}

func TestTokenSourceExpiry(t *testing.T) {
	ts := newTokenServer(t)
	src, err := newTokenSource(map[string]string{"access_token": "old", "refresh_token": "r", "token_url": ts.URL}, ts.Client(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		expiry    time.Time
		wantToken string
		wantCalls int64
	}{
		{"unknown expiry: used until rejected", time.Time{}, "old", 0},
		{"not yet expired", time.Now().Add(time.Hour), "old", 0},
		{"expired: renewed before sending", time.Now().Add(-time.Second), "tok-1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src.mu.Lock()
			src.token, src.expiry = "old", tt.expiry
			src.mu.Unlock()
			ts.calls.Store(0)
			got, err := src.get(context.Background(), "")
			if err != nil || got != tt.wantToken || ts.calls.Load() != tt.wantCalls {
				t.Errorf("get = %q, %v with %d token requests; want %q with %d", got, err, ts.calls.Load(), tt.wantToken, tt.wantCalls)
			}
		})
	}
	// A renewed token announced for 3600s is not renewed again right away.
	if got, _ := src.get(context.Background(), ""); got != "tok-1" || ts.calls.Load() != 1 {
		t.Errorf("second get = %q with %d token requests", got, ts.calls.Load())
	}
}

func TestRedactTemplateParts(t *testing.T) {
	env := map[string]string{"SIG": "sig-part-secret"}
	in, err := newInjector(&plugin.Auth{AuthType: "custom", Credentials: map[string]string{"header.X-Sig": "v1 ${SIG}"}},
		func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"v1 sig-part-secret", "bad sig-part-secret here"} {
		if got := in.redact(s); strings.Contains(got, "sig-part-secret") {
			t.Errorf("redact(%q) = %q", s, got)
		}
	}
}
