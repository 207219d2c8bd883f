package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
)

// pluginTestEnv is a Factory on buffers with its own plugins directory.
type pluginTestEnv struct {
	f               *Factory
	in, out, errOut *bytes.Buffer
	dir             string
}

func newPluginTestEnv(t *testing.T) *pluginTestEnv {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	dir := filepath.Join(t.TempDir(), "plugins")
	f := &Factory{
		IOStreams:      ios,
		LookupEnv:      func(string) (string, bool) { return "", false },
		HTTPClient:     &http.Client{},
		Version:        "test",
		pluginsDirFlag: dir,
	}
	return &pluginTestEnv{f: f, in: in, out: out, errOut: errOut, dir: dir}
}

// execPluginCmd runs one command (not the whole tree) with argv.
func execPluginCmd(t *testing.T, cmd *cobra.Command, argv ...string) error {
	t.Helper()
	cmd.SetArgs(argv)
	var sink bytes.Buffer
	cmd.SetOut(&sink)
	cmd.SetErr(&sink)
	cmd.SetContext(context.Background())
	_, err := cmd.ExecuteC()
	return err
}

// run runs argv through the whole tree, as the binary does, and returns the exit code.
func (e *pluginTestEnv) run(argv ...string) int {
	e.out.Reset()
	e.errOut.Reset()
	// The root binds --plugins-dir (resetting the Factory field), so pass the directory as a flag.
	return Run(context.Background(), e.f, append([]string{"--plugins-dir", e.dir}, argv...))
}

// writePluginFixture writes a fixture and returns its path.
func writePluginFixture(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const pluginTestSpec = `openapi: 3.0.3
info: {title: Tiny Pets, version: "1"}
paths:
  /pets:
    get:
      responses:
        "200": {description: ok}
    post:
      responses:
        "201": {description: created}
  /pets/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        "200": {description: ok}
`
