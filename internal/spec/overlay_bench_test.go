package spec

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadGitHubWithOverlay is BenchmarkLoadGitHub with one overlay action (an example
// added to one response, the kind examples accept writes): what --overlay costs on a 13 MB
// JSON spec.
func BenchmarkLoadGitHubWithOverlay(b *testing.B) {
	if _, err := os.Stat(githubSpec); err != nil {
		b.Skip("no shared GitHub spec")
	}
	ov := filepath.Join(b.TempDir(), "o.yaml")
	if err := os.WriteFile(ov, []byte(`overlay: 1.0.0
info: {title: t, version: "1"}
actions:
  - target: $.paths['/meta'].get.responses['200']
    update: {x-note: accepted}
`), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(context.Background(), githubSpec, Options{Overlays: []string{ov}}); err != nil {
			b.Fatal(err)
		}
	}
}
