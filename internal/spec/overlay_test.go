package spec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTemp(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const liveExampleOverlay = `overlay: 1.0.0
info: {title: live examples, version: 1.0.0}
actions:
  - target: $.paths['/pets/{petId}'].get.responses['200'].content['application/json']
    update:
      examples:
        live-200:
          value: {id: 7, name: Rex}
`

const noopOverlay = `overlay: 1.0.0
info: {title: nothing, version: 1.0.0}
actions:
  - target: $.paths['/nothing'].get
    update: {summary: never}
`

func TestLoadAppliesOverlays(t *testing.T) {
	dir := t.TempDir()
	ov := writeTemp(t, dir, "live.yaml", liveExampleOverlay)
	noop := writeTemp(t, dir, "noop.yaml", noopOverlay)
	for _, src := range []string{"testdata/petstore-3.0.yaml", "testdata/realworld/petstore-3.0.json"} {
		t.Run(filepath.Base(src), func(t *testing.T) {
			doc, err := Load(context.Background(), src, Options{Overlays: []string{ov}})
			if err != nil {
				t.Fatal(err)
			}
			if doc.Source != src {
				t.Errorf("source = %q", doc.Source)
			}
			op := doc.Find("GET", "/pets/7").Operation
			if src == "testdata/realworld/petstore-3.0.json" {
				return // its paths differ: only that it loads with the overlay's warning
			}
			mt := op.Op.Responses.Value("200").Value.Content["application/json"]
			ex := mt.Examples["live-200"]
			if ex == nil || ex.Value == nil {
				t.Fatalf("live-200 not added: %+v", mt.Examples)
			}
			if v, ok := ex.Value.Value.(map[string]any); !ok || v["name"] != "Rex" {
				t.Errorf("example value = %#v", ex.Value.Value)
			}
			if problems := doc.Validate(context.Background()); len(problems) != 0 {
				t.Errorf("overlaid document does not validate: %v", problems)
			}
			doc, err = Load(context.Background(), src, Options{Overlays: []string{ov, noop}})
			if err != nil {
				t.Fatal(err)
			}
			var warned bool
			for _, w := range doc.Warnings {
				if strings.Contains(w.String(), "noop.yaml: actions[0]") && strings.Contains(w.String(), "selects nothing") {
					warned = true
				}
			}
			if !warned {
				t.Errorf("no warning for the action that selects nothing: %v", doc.Warnings)
			}
		})
	}
}

func TestLoadOverlayErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeTemp(t, dir, "bad.yaml", "overlay: 1.0.0\ninfo: {title: t, version: v}\nactions:\n  - target: $.info.title\n    update: x\n")
	notOverlay := writeTemp(t, dir, "no.yaml", "openapi: 3.0.3\n")
	tests := []struct{ name, source, overlay, want string }{
		{"missing overlay file", "testdata/petstore-3.0.yaml", filepath.Join(dir, "missing.yaml"), `load spec "testdata/petstore-3.0.yaml": overlay "` + filepath.Join(dir, "missing.yaml") + `": open `},
		{"action that cannot apply", "testdata/petstore-3.0.yaml", bad, `load spec "testdata/petstore-3.0.yaml": overlay "` + bad + `": actions[0]: target "$.info.title" selects a string`},
		{"not an overlay", "testdata/petstore-3.0.yaml", notOverlay, `unknown field "openapi"`},
		{"broken spec is reported as such", "testdata/broken/syntax.yaml", bad, `load spec "testdata/broken/syntax.yaml": line`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), tt.source, Options{Overlays: []string{tt.overlay}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
