package cli

import (
	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/plugin"
)

// addMockDataFlag adds --mock-data: what the mock's generated values look like. Unset, the
// environment (MOCKLOOP_MOCK_DATA) and then the plugin's mock_data decide.
func addMockDataFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "mock-data", "", "generated values: realistic (follow property names: emails, names, dates; the default) or plain (from the schema alone); also MOCKLOOP_MOCK_DATA, the plugin's mock_data (docs/mock-data.md)")
	_ = cmd.RegisterFlagCompletionFunc("mock-data", cobra.FixedCompletions([]string{string(plugin.MockDataRealistic), string(plugin.MockDataPlain)}, cobra.ShellCompDirectiveNoFileComp))
}

// checkMockData refuses a bad --mock-data before anything is loaded.
func checkMockData(v string) error {
	if v == "" {
		return nil
	}
	if _, err := plugin.ParseMockData(v); err != nil {
		return usageErrorf("--mock-data: %v", err)
	}
	return nil
}
