package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

func newPluginCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin <command>",
		Short: "Create, list, show, validate and delete plugins",
		Long: `A plugin is a named, saved configuration: spec location, mode, target URL, auth, endpoint
overrides, route rules and comparison defaults. serve, test run and mcp read plugins by name.

Plugins live as one YAML file each in the plugins directory, the first of: --plugins-dir;
MOCKLOOP_PLUGINS_DIR; the nearest .mockloop/plugins in the working directory or a parent (as
git finds .git); $MOCKLOOP_HOME/plugins; the user config directory's mockloop/plugins
('plugin list' says which it read). Files are written atomically with mode 0600.
Credential values may be literals or ${ENV} references, which stay unresolved in the file;
every command prints them as ***.`,
		Example: `$ mockloop plugin create demo
$ mockloop plugin list
$ mockloop plugin show demo
$ mockloop plugin validate demo
$ mockloop plugin delete demo --yes`,
	}
	cmd.AddCommand(
		newPluginCreateCmd(f, nil),
		newPluginListCmd(f, nil),
		newPluginShowCmd(f, nil),
		newPluginDeleteCmd(f, nil),
		newPluginValidateCmd(f, nil),
		newPluginAuthStatusCmd(f, nil),
	)
	return cmd
}

// maxWarnings bounds the load warnings printed: a large messy spec can have thousands.
const maxWarnings = 20

// loadSpec loads the document at source (stdin from ios, URLs with client), printing its load
// warnings to ios.ErrOut.
func loadSpec(ctx context.Context, ios *iostreams.IOStreams, base spec.Options, p *plugin.Plugin) (*spec.Document, error) {
	load, err := stack.LoadOptions(base, p)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	doc, err := spec.Load(ctx, p.Spec, load)
	if err != nil {
		return nil, err
	}
	printLoadWarnings(ios.ErrOut, doc.Warnings)
	return doc, nil
}

func printLoadWarnings(w io.Writer, warnings []problem.Item) {
	for i, warn := range warnings {
		if i == maxWarnings {
			fmt.Fprintf(w, "warning: ... and %d more warnings (see mockloop plugin validate)\n", len(warnings)-maxWarnings)
			break
		}
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

// completePlugins completes a PLUGIN argument with the names in the plugins directory.
func completePlugins(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		list, err := f.PluginStore().List()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []cobra.Completion
		for _, p := range list {
			if strings.HasPrefix(p.Name, toComplete) {
				names = append(names, cobra.CompletionWithDesc(p.Name, string(p.Mode)+" "+p.Spec))
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
