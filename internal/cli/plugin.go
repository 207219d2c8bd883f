package cli

import "github.com/spf13/cobra"

func newPluginCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin <command>",
		Short: "Create, list, show, validate and delete plugins",
		Long: `A plugin is a named, saved configuration: spec location, mode, target URL, auth, endpoint
overrides, route rules and comparison defaults. serve, test run and mcp read plugins by name.`,
	}
	for _, name := range []string{"create", "list", "show", "delete", "validate"} {
		cmd.AddCommand(&cobra.Command{
			Use:   name,
			Short: "plugin " + name,
			RunE: func(cmd *cobra.Command, args []string) error {
				return errNotAvailable("plugin " + cmd.Name())
			},
		})
	}
	return cmd
}
