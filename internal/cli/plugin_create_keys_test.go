package cli

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

const testOverlay = `overlay: 1.0.0
info: {title: describe, version: "1"}
actions:
  - target: $.info
    update: {description: overlaid}
`

// writeTestRecordings records one answer of GET /pets into dir.
func writeTestRecordings(t *testing.T, dir, specPath string) {
	t.Helper()
	doc, err := spec.Load(context.Background(), specPath, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := record.NewWriter(dir, doc, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://127.0.0.1/pets", nil)
	if err := w.Add(&server.Exchange{Operation: doc.Find("GET", "/pets").Operation, Request: r, Status: 200,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`[]`), Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w.Close()
}

func TestPluginCreateRecordingKeys(t *testing.T) {
	e := newPluginTestEnv(t)
	tmp := t.TempDir()
	specPath := writePluginFixture(t, tmp, "pets.yaml", pluginTestSpec)
	overlayPath := writePluginFixture(t, tmp, "describe.yaml", testOverlay)
	badOverlay := writePluginFixture(t, tmp, "bad-overlay.yaml", "overlay: 1.0.0\nactions: []\n")
	recs := filepath.Join(tmp, "recs")
	writeTestRecordings(t, recs, specPath)
	empty := filepath.Join(tmp, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}

	t.Run("every key saved", func(t *testing.T) {
		code := e.run("plugin", "create", "rec", "--spec", specPath, "--overlay", overlayPath, "--replay", recs,
			"--redact", "token", "--redact", "$.user.password", "--mcp-tools", "Discovery")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		p, err := plugin.NewStore(e.dir).Get("rec")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Overlays, []string{overlayPath}) || p.Replay != recs || !slices.Equal(p.Redact, []string{"token", "$.user.password"}) ||
			p.MCPTools != plugin.MCPToolsDiscovery {
			t.Errorf("plugin %+v", p)
		}
		for _, want := range []string{"  mcp tools: discovery\n", "  overlays: " + overlayPath + "\n", "  replay: " + recs + "\n", "  redact: token, $.user.password\n"} {
			if !strings.Contains(e.out.String(), want) {
				t.Errorf("summary lacks %q:\n%s", want, e.out)
			}
		}
	})

	t.Run("relative paths stored absolute", func(t *testing.T) {
		wd, _ := os.Getwd()
		t.Cleanup(func() { os.Chdir(wd) })
		if err := os.Chdir(tmp); err != nil {
			t.Fatal(err)
		}
		if code := e.run("plugin", "create", "rel", "--spec", "pets.yaml", "--overlay", "describe.yaml", "--replay", "recs"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		p, err := plugin.NewStore(e.dir).Get("rel")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Overlays, []string{overlayPath}) || p.Replay != recs {
			t.Errorf("overlays %q replay %q", p.Overlays, p.Replay)
		}
	})

	t.Run("from-file paths relative to the file, flags replace them", func(t *testing.T) {
		from := writePluginFixture(t, tmp, "from.yaml", "name: from\nspec: pets.yaml\noverlays: [describe.yaml]\nreplay: recs\nredact: [secret]\nmcp_tools: operations\n")
		if code := e.run("plugin", "create", "--from-file", from); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		p, _ := plugin.NewStore(e.dir).Get("from")
		if !slices.Equal(p.Overlays, []string{overlayPath}) || p.Replay != recs || !slices.Equal(p.Redact, []string{"secret"}) || p.MCPTools != plugin.MCPToolsOperations {
			t.Errorf("plugin %+v", p)
		}
		if code := e.run("plugin", "create", "from2", "--from-file", from, "--redact", "other", "--mcp-tools", "auto"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		p, _ = plugin.NewStore(e.dir).Get("from2")
		if !slices.Equal(p.Redact, []string{"other"}) || p.MCPTools != plugin.MCPToolsAuto || p.Replay != recs {
			t.Errorf("plugin %+v", p)
		}
	})

	usage := []struct {
		name string
		argv []string
		want string
	}{
		{"bad mcp-tools", []string{"--mcp-tools", "some"}, `--mcp-tools: `},
		{"empty overlay", []string{"--overlay", " "}, "--overlay #1: empty"},
		{"overlay from stdin", []string{"--overlay", "-"}, "--overlay -: a plugin cannot read an overlay from stdin"},
		{"missing overlay", []string{"--overlay", filepath.Join(tmp, "nope.yaml")}, "nope.yaml"},
		{"overlay that is not one", []string{"--overlay", badOverlay}, "bad-overlay.yaml"},
		{"empty replay", []string{"--replay", ""}, "--replay: empty"},
		{"missing replay directory", []string{"--replay", filepath.Join(tmp, "nowhere")}, `replay: recordings "` + filepath.Join(tmp, "nowhere")},
		{"replay directory without recordings", []string{"--replay", empty}, `replay: recordings "` + empty},
		{"bad redact path", []string{"--redact", "$[bad"}, "redact"},
		{"empty redact", []string{"--redact", "token", "--redact", ""}, "--redact #2: empty"},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			code := e.run(append([]string{"plugin", "create", "x", "--spec", specPath}, tt.argv...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %s", code, e.errOut)
			}
			msg := e.errOut.String()
			if !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q, want one line containing %q", msg, tt.want)
			}
			if _, err := os.Stat(filepath.Join(e.dir, "x.yaml")); !errors.Is(err, os.ErrNotExist) {
				t.Error("plugin file written")
			}
		})
	}
}
