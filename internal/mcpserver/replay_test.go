package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// recordListPets records one live answer of listPets into dir: [{"id":77,"name":"Recorded"}].
func recordListPets(t *testing.T, doc *spec.Document, dir string) {
	t.Helper()
	w, err := record.NewWriter(dir, doc, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://127.0.0.1/pets", nil)
	if err := w.Add(&server.Exchange{Operation: doc.Find("GET", "/pets").Operation, Request: r, Status: 200,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`[{"id":77,"name":"Recorded"}]`), Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w.Close()
}

// TestOperationToolsReplay: `mockloop mcp` honours a plugin's replay: as serve does (the
// stack's replayer), so an operation tool answers from the recordings.
func TestOperationToolsReplay(t *testing.T) {
	doc, err := spec.Load(context.Background(), petsPath(t), spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	recordListPets(t, doc, dir)
	for _, tt := range []struct {
		name, replay, wantSource string
	}{
		{"with replay", dir, record.SourceRecording},
		{"without", "", "example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, func(c *Config) {
				c.NewHandler = nil // the real stack, as `mockloop mcp` builds it
				if err := c.Store.Save(&plugin.Plugin{Name: "pets", Spec: petsPath(t), Mode: plugin.ModeMock, Replay: tt.replay}, false); err != nil {
					t.Fatal(err)
				}
			})
			var out OperationResult
			if res := fx.call(t, "pets_listPets", map[string]any{}, &out); res.IsError {
				t.Fatalf("listPets: %s", errorText(res))
			}
			body := fmt.Sprint(out.Body)
			if out.Headers["X-Mockloop-Source"] != tt.wantSource {
				t.Errorf("source %q body %s, want %q", out.Headers["X-Mockloop-Source"], body, tt.wantSource)
			}
			if (tt.replay != "") != (body == "[map[id:77 name:Recorded]]") {
				t.Errorf("body %s", body)
			}
		})
	}
}

// TestCreatePluginOverlaysReplayRedact: create_mcp_plugin takes the plugin keys `plugin
// create` has flags for (overlays, replay, redact): saved with absolute paths, applied by the
// loaded plugin's tools, and refused before anything is written when they are bad.
func TestCreatePluginOverlaysReplayRedact(t *testing.T) {
	pets := petsPath(t)
	doc, err := spec.Load(context.Background(), pets, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	recordings := filepath.Join(dir, "recordings")
	recordListPets(t, doc, recordings)
	overlayFile := filepath.Join(dir, "rename.yaml")
	if err := os.WriteFile(overlayFile, []byte("overlay: 1.0.0\ninfo: {title: rename, version: \"1\"}\nactions:\n"+
		"  - target: $.paths['/pets'].get\n    update: {operationId: allPets}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fx := newFixture(t, func(c *Config) { c.NewHandler = nil })
	t.Chdir(dir) // relative overlay and replay paths are the caller's directory's

	var out createOutput
	res := fx.call(t, "create_mcp_plugin", map[string]any{"plugin_name": "pets", "spec_url_or_path": pets,
		"overlays": []string{"rename.yaml"}, "replay": "recordings", "redact": []string{"password", "$.user.token"}}, &out)
	if res.IsError {
		t.Fatalf("create: %s", errorText(res))
	}
	saved, err := fx.store.Get("pets")
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.Overlays) != 1 || saved.Overlays[0] != overlayFile || saved.Replay != recordings ||
		fmt.Sprint(saved.Redact) != "[password $.user.token]" {
		t.Errorf("saved overlays %q replay %q redact %q", saved.Overlays, saved.Replay, saved.Redact)
	}
	// The overlay renamed the operation (its tool too); the replay answers it.
	var got OperationResult
	if res := fx.call(t, "pets_allPets", map[string]any{}, &got); res.IsError {
		t.Fatalf("allPets: %s", errorText(res))
	}
	if got.Headers["X-Mockloop-Source"] != record.SourceRecording || fmt.Sprint(got.Body) != "[map[id:77 name:Recorded]]" {
		t.Errorf("allPets answered %v from %q", got.Body, got.Headers["X-Mockloop-Source"])
	}

	for _, tt := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"bad redact path", map[string]any{"redact": []string{"$.a["}}, `redact: bad path "$.a["`},
		{"empty redact field", map[string]any{"redact": []string{" "}}, "redact[0]: empty"},
		{"overlay from stdin", map[string]any{"overlays": []string{"-"}}, "overlays[0]: '-' (stdin) is the MCP channel"},
		{"overlay missing", map[string]any{"overlays": []string{"nope.yaml"}}, "nope.yaml"},
		{"replay blank", map[string]any{"replay": " "}, "replay: empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := map[string]any{"plugin_name": "other", "spec_url_or_path": pets}
			maps.Copy(args, tt.args)
			res := fx.call(t, "create_mcp_plugin", args, nil)
			if !res.IsError || !strings.Contains(errorText(res), tt.want) {
				t.Fatalf("result %v %q, want an error with %q", res.IsError, errorText(res), tt.want)
			}
			if _, err := os.Stat(fx.store.Path("other")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("plugin file written: %v", err)
			}
		})
	}
}
