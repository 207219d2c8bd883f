package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/render"
)

type pluginListOptions struct {
	IO     *iostreams.IOStreams
	Store  *plugin.Store
	From   string // why the store's directory was chosen (Factory.pluginsDir)
	Output string
}

func newPluginListCmd(f *Factory, runF func(*pluginListOptions) error) *cobra.Command {
	opts := &pluginListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the plugins",
		Long: `List the plugins in the plugins directory, sorted by name. The table shows the name, mode,
spec, target and number of route rules; -o json prints every plugin in full as a JSON array,
with secrets masked. With no plugins the table prints "no plugins" on stderr and -o json
prints []. The directory read, and why it was chosen, is printed on stderr.

The plugins directory is the first of: --plugins-dir; MOCKLOOP_PLUGINS_DIR; the nearest
.mockloop/plugins in the working directory or a parent (as git finds .git);
$MOCKLOOP_HOME/plugins; the user config directory's mockloop/plugins.`,
		Example: `$ mockloop plugin list
$ mockloop plugin list -o json`,
		Aliases: []string{"ls"},
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			dir, from := f.pluginsDir()
			opts.Store, opts.From = plugin.NewStore(dir), from
			if err := checkOutput(opts.Output, "table", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runPluginList(cmd.Context(), opts)
		},
	}
	addOutputFlag(cmd, &opts.Output, "table", "json")
	return cmd
}

func runPluginList(_ context.Context, opts *pluginListOptions) error {
	store := opts.Store
	plugins, err := store.List()
	if err != nil {
		return err
	}
	masked := make([]*plugin.Plugin, 0, len(plugins))
	for _, p := range plugins {
		masked = append(masked, p.Masked())
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, masked)
	}
	if len(masked) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "no plugins in %s%s\n", store.Dir(), because(opts.From))
		return nil
	}
	fmt.Fprintf(opts.IO.ErrOut, "plugins in %s%s\n", store.Dir(), because(opts.From))
	rows := make([][]string, 0, len(masked))
	for _, p := range masked {
		rows = append(rows, []string{p.Name, string(p.Mode), p.Spec, p.TargetURL, strconv.Itoa(len(p.RouteRules))})
	}
	return render.Table(opts.IO.Out, []string{"NAME", "MODE", "SPEC", "TARGET", "RULES"}, rows)
}

// because says why a directory was chosen: " (from MOCKLOOP_HOME)".
func because(from string) string {
	if from == "" {
		return ""
	}
	return " (from " + from + ")"
}
