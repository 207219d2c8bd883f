package cli

import (
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/plugin"
)

func newTestCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test <command>",
		Short: "Write test plans and run them against mock and live",
		Long: `Test plans list requests (cases) and what their answers must satisfy. 'test plan' writes one
from a spec (a case per operation); 'test run' sends every case to the mock and to the live API,
checks the status and the answers against the spec, and reports the differences between mock
and live. The plan format is documented in docs/test-plans.md.`,
	}
	cmd.AddCommand(newTestPlanCmd(f, nil), newTestRunCmd(f, nil))
	return cmd
}

// pluginArg returns the optional PLUGIN argument.
// pluginArg is the PLUGIN argument of serve, test plan and test run. An argument that is no
// plugin name but names a spec (a path, a .yaml or .json file, an http(s) URL, or - for stdin)
// is taken as --spec, as Prism's "prism mock openapi.yaml" is.
func pluginArg(cmd *cobra.Command, args []string) (string, error) {
	if len(args) == 0 {
		return "", nil
	}
	a := args[0]
	if plugin.ValidName(a) == nil || !looksLikeSpec(a) {
		return a, nil
	}
	if fl := cmd.Flags().Lookup("spec"); fl.Changed {
		return "", usageErrorf("%s and --spec %s both name a spec: give one", a, fl.Value)
	}
	// Set, not assigned: the flag then counts as given, above the environment and the plugin.
	if err := cmd.Flags().Set("spec", a); err != nil {
		return "", err
	}
	return "", nil
}

func looksLikeSpec(a string) bool {
	switch strings.ToLower(filepath.Ext(a)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return a == "-" || strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://") || strings.ContainsRune(a, filepath.Separator)
}

// checkPluginName rejects a malformed plugin name before touching the store.
func checkPluginName(name string) error {
	if name == "" {
		return nil
	}
	if err := plugin.ValidName(name); err != nil {
		return usageErrorf("plugin name %q: %v", name, err)
	}
	return nil
}

// operationsUsage is the help of every --operations flag: one grammar (spec.ParseFilter).
// specUsage is the --spec flag of the commands that fall back to the plugin's spec, else the
// embedded example.
const specUsage = "OpenAPI document: a file, '-' for stdin, or an http(s) URL (default: the plugin's, else the embedded example)"

const operationsUsage = "keep operations matching an operationId or tag, tag:NAME, an operationId glob (list*), or a 'METHOD /path' or '/path' glob (repeatable)"
