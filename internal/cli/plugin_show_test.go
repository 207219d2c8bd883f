package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
)

func TestPluginShowArgs(t *testing.T) {
	tests := []struct {
		name, wantErr string
		argv          []string
		want          pluginShowOptions
	}{
		{name: "yaml default", argv: []string{"demo"}, want: pluginShowOptions{Name: "demo", Output: "yaml"}},
		{name: "json", argv: []string{"demo", "-o", "json"}, want: pluginShowOptions{Name: "demo", Output: "json"}},
		{name: "no name", argv: nil, wantErr: "accepts 1 arg"},
		{name: "bad name", argv: []string{"a b"}, wantErr: "invalid plugin name"},
		{name: "table not offered", argv: []string{"demo", "-o", "table"}, wantErr: `invalid --output "table"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			var got *pluginShowOptions
			err := execPluginCmd(t, newPluginShowCmd(e.f, func(o *pluginShowOptions) error { got = o; return nil }), tt.argv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want.Name || got.Output != tt.want.Output || got.Store.Dir() != e.dir {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestPluginShowRun(t *testing.T) {
	e := newPluginTestEnv(t)
	p := &plugin.Plugin{Name: "s", Spec: "mockloop:example", Mode: "proxy", TargetURL: "https://api.example.com",
		Auth: &plugin.Auth{AuthType: "basic_auth", Credentials: map[string]string{"username": "bob", "password": "${PW}"}}}
	if err := plugin.NewStore(e.dir).Save(p, false); err != nil {
		t.Fatal(err)
	}
	t.Run("yaml masked", func(t *testing.T) {
		if code := e.run("plugin", "show", "s"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		out := e.out.String()
		if !strings.Contains(out, "password: '***'") || !strings.Contains(out, "username: '***'") || strings.Contains(out, "bob") || strings.Contains(out, "${PW}") {
			t.Errorf("not masked:\n%s", out)
		}
		back, err := plugin.Parse(e.out.Bytes(), "shown")
		if err != nil || back.TargetURL != p.TargetURL {
			t.Errorf("show output is not a plugin file: %v", err)
		}
	})
	t.Run("json masked", func(t *testing.T) {
		if code := e.run("plugin", "show", "s", "-o", "json"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		var got plugin.Plugin
		if err := json.Unmarshal(e.out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Auth.Credentials["password"] != "***" || got.Mode != "proxy" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("not found", func(t *testing.T) {
		if code := e.run("plugin", "show", "nope"); code != 2 {
			t.Fatalf("exit %d", code)
		}
		if want := `mockloop: plugin "nope" not found in ` + e.dir + "\n"; e.errOut.String() != want {
			t.Errorf("stderr %q, want %q", e.errOut, want)
		}
	})
}
