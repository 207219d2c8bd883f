package cli

import "github.com/spf13/cobra"

func newMCPCmd(f *Factory, runF func() error) *cobra.Command {
	return &cobra.Command{
		Use:   "mcp",
		Short: "Run a Model Context Protocol server on stdio",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errNotAvailable("mcp")
		},
	}
}
