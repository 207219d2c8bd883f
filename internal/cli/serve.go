package cli

import "github.com/spf13/cobra"

func newServeCmd(f *Factory, runF func() error) *cobra.Command {
	return &cobra.Command{
		Use:   "serve [PLUGIN]",
		Short: "Serve an API in mock, proxy or hybrid mode",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errNotAvailable("serve")
		},
	}
}
