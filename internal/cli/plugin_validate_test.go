package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
)

func TestPluginValidateArgs(t *testing.T) {
	tests := []struct {
		name, wantErr string
		argv          []string
		want          pluginValidateOptions
	}{
		{name: "plugin", argv: []string{"demo"}, want: pluginValidateOptions{Name: "demo", Output: "text"}},
		{name: "spec json", argv: []string{"--spec", "a.yaml", "-o", "json"}, want: pluginValidateOptions{Spec: "a.yaml", Output: "json"}},
		{name: "neither", argv: nil, wantErr: "needs a plugin NAME or --spec"},
		{name: "both", argv: []string{"demo", "--spec", "a.yaml"}, wantErr: "not both"},
		{name: "bad name", argv: []string{"a/b"}, wantErr: "invalid plugin name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			var got *pluginValidateOptions
			err := execPluginCmd(t, newPluginValidateCmd(e.f, func(o *pluginValidateOptions) error { got = o; return nil }), tt.argv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want.Name || got.Spec != tt.want.Spec || got.Output != tt.want.Output || got.Store.Dir() != e.dir {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestPluginValidateRun(t *testing.T) {
	e := newPluginTestEnv(t)
	dir := t.TempDir()
	good := writePluginFixture(t, dir, "good.yaml", pluginTestSpec)
	store := plugin.NewStore(e.dir)
	if err := store.Save(&plugin.Plugin{Name: "ok", Spec: good, Mode: "mock"}, false); err != nil {
		t.Fatal(err)
	}
	// A hand-edited plugin that no longer validates (Save would refuse it).
	writePluginFixture(t, e.dir, "bad.yaml", "name: bad\nspec: "+good+"\nmode: proxy\n")
	writePluginFixture(t, e.dir, "badops.yaml", "name: badops\nspec: "+good+"\nmode: mock\noperations: ['GET pets']\n")
	writePluginFixture(t, e.dir, "noops.yaml", "name: noops\nspec: "+good+"\nmode: mock\noperations: [tag:none]\n")

	t.Run("clean spec", func(t *testing.T) {
		if code := e.run("plugin", "validate", "--spec", good); code != 0 {
			t.Fatalf("exit %d: %s%s", code, e.out, e.errOut)
		}
		if !strings.Contains(e.out.String(), "(Tiny Pets, OpenAPI 3.0.3, 3 operations): valid") {
			t.Errorf("stdout %q", e.out)
		}
	})
	t.Run("clean plugin json", func(t *testing.T) {
		if code := e.run("plugin", "validate", "ok", "-o", "json"); code != 0 {
			t.Fatalf("exit %d: %s%s", code, e.out, e.errOut)
		}
		var rep validateReport
		if err := json.Unmarshal(e.out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if !rep.Valid || rep.Plugin != "ok" || rep.Operations != 3 || rep.SpecVersion != "3.0.3" || rep.Problems == nil {
			t.Errorf("got %+v", rep)
		}
	})
	t.Run("plugin problems exit 1", func(t *testing.T) {
		if code := e.run("plugin", "validate", "bad"); code != 1 {
			t.Fatalf("exit %d: %s%s", code, e.out, e.errOut)
		}
		if !strings.Contains(e.out.String(), "plugin bad: 1 problem\n  target_url is required in proxy mode") {
			t.Errorf("stdout %q", e.out)
		}
		if e.errOut.Len() != 0 {
			t.Errorf("stderr %q", e.errOut)
		}
	})
	t.Run("operations filters", func(t *testing.T) {
		for name, want := range map[string]string{
			"badops": "plugin badops: 1 problem\n  operations: \"GET pets\": want \"METHOD /path\"",
			"noops":  "plugin noops: 1 problem\n  operations: no operation of the spec matches tag:none",
		} {
			if code := e.run("plugin", "validate", name); code != 1 {
				t.Fatalf("%s: exit %d: %s%s", name, code, e.out, e.errOut)
			}
			if !strings.Contains(e.out.String(), want) {
				t.Errorf("%s: stdout %q, want %q", name, e.out, want)
			}
		}
	})
	t.Run("unloadable spec exit 2", func(t *testing.T) {
		broken := writePluginFixture(t, dir, "broken.yaml", "openapi: 3.0.3\ninfo: [\n")
		if code := e.run("plugin", "validate", "--spec", broken); code != 2 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(e.errOut.String(), "broken.yaml") || e.out.Len() != 0 {
			t.Errorf("stdout %q stderr %q", e.out, e.errOut)
		}
	})
	t.Run("missing plugin exit 2", func(t *testing.T) {
		if code := e.run("plugin", "validate", "ghost"); code != 2 {
			t.Fatalf("exit %d", code)
		}
	})
}

func TestPrintValidateReport(t *testing.T) {
	var b strings.Builder
	rep := validateReport{Plugin: "p", Spec: "s.yaml", SpecVersion: "2.0", Title: "T", Operations: 1,
		Problems: []problem.Item{{Location: "/paths/~1a/get (line 7)", Message: "bad"}, {Message: "no location"}}}
	if err := printValidateReport(&b, rep); err != nil {
		t.Fatal(err)
	}
	want := "plugin p: valid\n" +
		"spec s.yaml (T, Swagger 2.0, 1 operation): 2 problems\n" +
		"  /paths/~1a/get (line 7): bad\n" +
		"  no location\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
