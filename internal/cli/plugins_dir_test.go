package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
)

func TestPluginsDir(t *testing.T) {
	root := t.TempDir()
	project := filepath.Join(root, "project")
	deep := filepath.Join(project, "a", "b")
	if err := os.MkdirAll(filepath.Join(project, ".mockloop", "plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(root, "elsewhere")
	if err := os.MkdirAll(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		flag      string
		env       map[string]string
		wd        string
		config    string
		want      string
		wantFrom  string
		configErr bool
	}{
		{"flag first", "/flag", map[string]string{"MOCKLOOP_PLUGINS_DIR": "/env", "MOCKLOOP_HOME": "/home"}, deep, "/cfg", "/flag", "--plugins-dir", false},
		{"MOCKLOOP_PLUGINS_DIR", "", map[string]string{"MOCKLOOP_PLUGINS_DIR": "/env", "MOCKLOOP_HOME": "/home"}, deep, "/cfg", "/env", "MOCKLOOP_PLUGINS_DIR", false},
		{"nearest .mockloop/plugins in a parent", "", map[string]string{"MOCKLOOP_HOME": "/home"}, deep, "/cfg", filepath.Join(project, ".mockloop", "plugins"), "the nearest .mockloop/plugins", false},
		{"MOCKLOOP_HOME", "", map[string]string{"MOCKLOOP_HOME": "/home"}, elsewhere, "/cfg", filepath.Join("/home", "plugins"), "MOCKLOOP_HOME", false},
		{"user config directory", "", nil, elsewhere, "/cfg", filepath.Join("/cfg", "mockloop", "plugins"), "the user config directory", false},
		{"nothing usable", "", nil, elsewhere, "", filepath.Join(".mockloop", "plugins"), "the working directory", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &Factory{
				LookupEnv:     func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok },
				Getwd:         func() (string, error) { return tt.wd, nil },
				UserConfigDir: func() (string, error) { return tt.config, map[bool]error{true: errors.New("no home")}[tt.configErr] },
			}
			f.pluginsDirFlag = tt.flag
			if got, from := f.pluginsDir(); got != tt.want || from != tt.wantFrom {
				t.Errorf("pluginsDir = %q (%s), want %q (%s)", got, from, tt.want, tt.wantFrom)
			}
		})
	}
}

func TestPluginListSaysWhichDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := plugin.NewStore(filepath.Join(dir, ".mockloop", "plugins")).Save(&plugin.Plugin{Name: "shop", Spec: "mockloop:example", Mode: plugin.ModeMock}, false); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "src")
	os.MkdirAll(sub, 0o755)
	ios, _, out, errOut := iostreams.Test()
	f := &Factory{IOStreams: ios, LookupEnv: func(string) (string, bool) { return "", false }, Getwd: func() (string, error) { return sub, nil }}
	if code := Run(t.Context(), f, []string{"plugin", "list"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "shop") || !strings.Contains(errOut.String(), "plugins in "+filepath.Join(dir, ".mockloop", "plugins")+" (from the nearest .mockloop/plugins)") {
		t.Errorf("stdout %q\nstderr %q", out.String(), errOut.String())
	}
	// serve <TAB> completes the names found there.
	out.Reset()
	if code := Run(t.Context(), f, []string{"__complete", "serve", "sh"}); code != 0 || !strings.Contains(out.String(), "shop\tmock mockloop:example") {
		t.Errorf("completion: %q", out.String())
	}
}
