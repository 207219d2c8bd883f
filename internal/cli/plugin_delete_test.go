package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
)

func TestPluginDeleteArgs(t *testing.T) {
	tests := []struct {
		name, wantErr string
		argv          []string
		tty           bool
		wantYes       bool
	}{
		{name: "yes", argv: []string{"demo", "--yes"}, wantYes: true},
		{name: "short yes", argv: []string{"demo", "-y"}, wantYes: true},
		{name: "tty asks later", argv: []string{"demo"}, tty: true},
		{name: "no tty needs yes", argv: []string{"demo"}, wantErr: "--yes is required"},
		{name: "bad name", argv: []string{"../demo", "--yes"}, wantErr: "invalid plugin name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			e.f.IOStreams.SetStdinTTY(tt.tty)
			e.f.IOStreams.SetStderrTTY(tt.tty)
			var got *pluginDeleteOptions
			err := execPluginCmd(t, newPluginDeleteCmd(e.f, func(o *pluginDeleteOptions) error { got = o; return nil }), tt.argv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != 2 {
					t.Fatalf("err = %v (exit %d), want %q, exit 2", err, exitCode(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "demo" || got.Yes != tt.wantYes {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestPluginDeleteRun(t *testing.T) {
	tests := []struct {
		name     string
		answer   string
		yes      bool
		wantErr  bool
		wantGone bool
	}{
		{name: "yes flag", yes: true, wantGone: true},
		{name: "answer y", answer: "y\n", wantGone: true},
		{name: "answer YES", answer: "YES\n", wantGone: true},
		{name: "answer n", answer: "n\n", wantErr: true},
		{name: "empty answer", answer: "\n", wantErr: true},
		{name: "eof", answer: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			if err := plugin.NewStore(e.dir).Save(&plugin.Plugin{Name: "demo", Spec: "mockloop:example", Mode: "mock"}, false); err != nil {
				t.Fatal(err)
			}
			e.in.WriteString(tt.answer)
			err := runPluginDelete(t.Context(), &pluginDeleteOptions{IO: e.f.IOStreams, Store: plugin.NewStore(e.dir), Name: "demo", Yes: tt.yes})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil && exitCode(err) != 2 {
				t.Errorf("exit %d, want 2", exitCode(err))
			}
			_, statErr := os.Stat(filepath.Join(e.dir, "demo.yaml"))
			if gone := errors.Is(statErr, os.ErrNotExist); gone != tt.wantGone {
				t.Errorf("gone = %v, want %v", gone, tt.wantGone)
			}
			asked := strings.Contains(e.errOut.String(), "Delete plugin demo? [y/N]")
			if asked == tt.yes {
				t.Errorf("asked = %v with yes = %v: %q", asked, tt.yes, e.errOut)
			}
		})
	}
	t.Run("not found", func(t *testing.T) {
		e := newPluginTestEnv(t)
		if code := e.run("plugin", "delete", "ghost", "--yes"); code != 2 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(e.errOut.String(), `plugin "ghost" not found in `+e.dir) {
			t.Errorf("stderr %q", e.errOut)
		}
	})
	t.Run("broken file can be deleted", func(t *testing.T) {
		e := newPluginTestEnv(t)
		os.MkdirAll(e.dir, 0o700)
		writePluginFixture(t, e.dir, "broken.yaml", "name: [\n")
		if code := e.run("plugin", "delete", "broken", "--yes"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
	})
}
