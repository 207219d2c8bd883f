package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
)

func TestPluginListArgs(t *testing.T) {
	tests := []struct {
		name, want, wantErr string
		argv                []string
	}{
		{name: "default table", argv: nil, want: "table"},
		{name: "json", argv: []string{"-o", "json"}, want: "json"},
		{name: "yaml not offered", argv: []string{"-o", "yaml"}, wantErr: `invalid --output "yaml"`},
		{name: "no args", argv: []string{"x"}, wantErr: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			var got *pluginListOptions
			err := execPluginCmd(t, newPluginListCmd(e.f, func(o *pluginListOptions) error { got = o; return nil }), tt.argv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Output != tt.want || got.Store.Dir() != e.dir {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestPluginListRun(t *testing.T) {
	e := newPluginTestEnv(t)
	t.Run("empty table", func(t *testing.T) {
		if code := e.run("plugin", "list"); code != 0 {
			t.Fatalf("exit %d", code)
		}
		if e.out.Len() != 0 || !strings.Contains(e.errOut.String(), "no plugins") {
			t.Errorf("stdout %q stderr %q", e.out, e.errOut)
		}
	})
	t.Run("empty json", func(t *testing.T) {
		if code := e.run("plugin", "list", "-o", "json"); code != 0 {
			t.Fatalf("exit %d", code)
		}
		if strings.TrimSpace(e.out.String()) != "[]" {
			t.Errorf("stdout %q", e.out)
		}
	})
	store := plugin.NewStore(e.dir)
	for _, p := range []*plugin.Plugin{
		{Name: "beta", Spec: "/specs/b.yaml", Mode: "hybrid", TargetURL: "https://b.example.com",
			Auth:       &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "tok-secret"}},
			RouteRules: []plugin.RouteRule{{Pattern: "/a", Mode: "proxy"}, {Pattern: "/b", Mode: "mock"}}},
		{Name: "alpha", Spec: "mockloop:example", Mode: "mock"},
	} {
		if err := store.Save(p, false); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("table", func(t *testing.T) {
		if code := e.run("plugin", "list"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		want := "NAME    MODE     SPEC               TARGET                  RULES\n" +
			"alpha   mock     mockloop:example                           0\n" +
			"beta    hybrid   /specs/b.yaml      https://b.example.com   2\n"
		if e.out.String() != want {
			t.Errorf("got\n%s\nwant\n%s", e.out, want)
		}
	})
	t.Run("json", func(t *testing.T) {
		if code := e.run("plugin", "list", "-o", "json"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		var got []plugin.Plugin
		if err := json.Unmarshal(e.out.Bytes(), &got); err != nil {
			t.Fatalf("%v: %s", err, e.out)
		}
		if len(got) != 2 || got[0].Name != "alpha" || got[1].Auth.Credentials["token"] != "***" {
			t.Errorf("got %+v", got)
		}
		if strings.Contains(e.out.String(), "tok-secret") {
			t.Error("secret printed")
		}
	})
	t.Run("broken file", func(t *testing.T) {
		writePluginFixture(t, e.dir, "gamma.yaml", "name: gamma\nbogus: 1\n")
		if code := e.run("plugin", "list"); code != 2 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(e.errOut.String(), `gamma.yaml": line 2: unknown key "bogus"`) {
			t.Errorf("stderr %q", e.errOut)
		}
	})
}
