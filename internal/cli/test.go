package cli

import (
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
func pluginArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return ""
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
const operationsUsage = "keep operations matching an operationId or tag, tag:NAME, an operationId glob (list*), or a 'METHOD /path' or '/path' glob (repeatable)"
