package mcpserver

import (
	"errors"
	"os"
	"testing"
)

// TestCreateChecksAsPluginCreate: create_mcp_plugin refuses what `plugin create` refuses
// (stack.Refuse: conditions, globs, oauth2 without a way to a token) with the same one-line
// message, and saves nothing.
func TestCreateChecksAsPluginCreate(t *testing.T) {
	fx := newFixture(t, nil)
	hybrid := func(rules ...map[string]any) map[string]any {
		return map[string]any{"plugin_name": "x", "spec_url_or_path": petsPath(t), "mode": "hybrid",
			"target_url": "https://api.example.com", "route_rules": rules}
	}
	tests := []struct {
		name string
		args map[string]any
		want string
	}{
		{"condition with = for ==", hybrid(
			map[string]any{"pattern": "/pets", "mode": "mock"},
			map[string]any{"pattern": "/pets", "mode": "mock", "condition": "request.method = 'POST'"}),
			`invalid plugin "x": route_rules[1]: condition "request.method = 'POST'": line 1, column 16: unexpected token Operator("=")`},
		{"condition with python", hybrid(map[string]any{"pattern": "/**", "mode": "mock", "condition": "__import__('os').system('id')"}),
			`invalid plugin "x": route_rules[0]: condition "__import__('os').system('id')": line 1, column 1: unknown name __import__`},
		{"bad glob", hybrid(map[string]any{"pattern": "/a/[x", "mode": "mock"}),
			`invalid plugin "x": route_rules[0]: pattern: "/a/[x": segment "[x": syntax error in pattern`},
		{"two problems in one line", hybrid(
			map[string]any{"pattern": "/a/[x", "mode": "mock"},
			map[string]any{"pattern": "/**", "mode": "mock", "condition": "1 +"}),
			`invalid plugin "x": route_rules[0]: pattern: "/a/[x": segment "[x": syntax error in pattern; route_rules[1]: condition "1 +"`},
		{"oauth2 with no way to a token", map[string]any{"plugin_name": "x", "spec_url_or_path": petsPath(t), "mode": "proxy",
			"target_url":  "https://api.example.com",
			"auth_config": map[string]any{"auth_type": "oauth2", "credentials": map[string]any{"client_id": "i", "client_secret": "hunter2"}}},
			`invalid plugin "x": auth: oauth2 cannot obtain an access token: no token URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := fx.call(t, "create_mcp_plugin", tt.args, nil)
			if !res.IsError {
				t.Fatalf("created: %+v", res.StructuredContent)
			}
			msg := errorText(res)
			if len(msg) < len(tt.want) || msg[:len(tt.want)] != tt.want {
				t.Errorf("error\n %q\nwant it to start with\n %q", msg, tt.want)
			}
			for _, c := range msg {
				if c == '\n' {
					t.Errorf("error spans lines: %q", msg)
					break
				}
			}
			if _, err := os.Stat(fx.store.Path("x")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("plugin file written: %v", err)
			}
			if lp := fx.srv.plugin("x"); lp != nil {
				t.Error("plugin loaded")
			}
		})
	}
}

// TestCreateNotes: what a user should know but that does not stop the plugin (an access token
// that cannot be refreshed) comes back among the warnings, and the plugin is saved.
func TestCreateNotes(t *testing.T) {
	fx := newFixture(t, nil)
	var out createOutput
	res := fx.call(t, "create_mcp_plugin", map[string]any{"plugin_name": "x", "spec_url_or_path": petsPath(t), "mode": "proxy",
		"target_url":  "https://api.example.com",
		"auth_config": map[string]any{"auth_type": "oauth2", "credentials": map[string]any{"access_token": "tok_secret_1", "refresh_token": "r"}}}, &out)
	if res.IsError {
		t.Fatalf("refused: %s", errorText(res))
	}
	want := "auth: the oauth2 access token cannot be refreshed: no token URL"
	found := false
	for _, w := range out.Warnings {
		if len(w) >= len(want) && w[:len(want)] == want {
			found = true
		}
	}
	if !found || out.WarningCount < 1 {
		t.Errorf("warnings %q (count %d), want one starting %q", out.Warnings, out.WarningCount, want)
	}
	if _, err := os.Stat(fx.store.Path("x")); err != nil {
		t.Errorf("plugin not saved: %v", err)
	}
}
