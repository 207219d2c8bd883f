package cli

import "github.com/spf13/cobra"

func newDiffCmd(f *Factory, runF func() error) *cobra.Command {
	return &cobra.Command{
		Use:   "diff A B",
		Short: "Compare two JSON or YAML documents or URLs",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return errNotAvailable("diff")
		},
	}
}
