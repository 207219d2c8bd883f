package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
)

type pluginShowOptions struct {
	IO     *iostreams.IOStreams
	Store  *plugin.Store
	Name   string
	Output string
}

func newPluginShowCmd(f *Factory, runF func(*pluginShowOptions) error) *cobra.Command {
	opts := &pluginShowOptions{}
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Print a plugin with its secrets masked",
		Long: `Print a plugin as YAML (the file format) or JSON. Every credential value is printed as ***,
whether it is a literal or an ${ENV} reference; the file itself keeps the real values.`,
		Example: `$ mockloop plugin show demo
$ mockloop plugin show demo -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePlugins(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Store = f.PluginStore()
			opts.Name = args[0]
			if err := plugin.ValidName(opts.Name); err != nil {
				return usageErrorf("%v", err)
			}
			if err := checkOutput(opts.Output, "yaml", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runPluginShow(cmd.Context(), opts)
		},
	}
	addOutputFlag(cmd, &opts.Output, "yaml", "json")
	return cmd
}

func runPluginShow(_ context.Context, opts *pluginShowOptions) error {
	p, err := opts.Store.Get(opts.Name)
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, p.Masked())
	}
	return writeYAML(opts.IO.Out, p.Masked())
}
