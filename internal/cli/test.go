package cli

import "github.com/spf13/cobra"

func newTestCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test <command>",
		Short: "Write test plans and run them against mock and live",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "run [PLUGIN]",
		Short: "Send the same requests to mock and live and report the differences",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errNotAvailable("test run")
		},
	})
	return cmd
}
