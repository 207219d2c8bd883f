package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
)

type pluginDeleteOptions struct {
	IO    *iostreams.IOStreams
	Store *plugin.Store
	Name  string
	Yes   bool
}

func newPluginDeleteCmd(f *Factory, runF func(*pluginDeleteOptions) error) *cobra.Command {
	opts := &pluginDeleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a plugin",
		Long: `Delete a plugin file. On a terminal it asks for confirmation; elsewhere (scripts, CI) it
needs --yes.`,
		Example: `$ mockloop plugin delete demo
$ mockloop plugin delete demo --yes`,
		Aliases:           []string{"rm"},
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePlugins(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Store = f.PluginStore()
			opts.Name = args[0]
			if err := plugin.ValidName(opts.Name); err != nil {
				return usageErrorf("%v", err)
			}
			if !opts.Yes && !opts.IO.CanPrompt() {
				return usageErrorf("--yes is required to delete plugin %q when not running interactively", opts.Name)
			}
			if runF != nil {
				return runF(opts)
			}
			return runPluginDelete(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "delete without asking")
	return cmd
}

func runPluginDelete(_ context.Context, opts *pluginDeleteOptions) error {
	store := opts.Store
	// Check the file exists, not that it parses: a broken plugin can still be deleted.
	if _, err := os.Stat(store.Path(opts.Name)); errors.Is(err, fs.ErrNotExist) {
		return store.Delete(opts.Name) // the store's not-found error
	}
	if !opts.Yes {
		fmt.Fprintf(opts.IO.ErrOut, "Delete plugin %s? [y/N] ", opts.Name)
		answer, _ := bufio.NewReader(opts.IO.In).ReadString('\n')
		switch strings.ToLower(strings.TrimSpace(answer)) {
		case "y", "yes":
		default:
			fmt.Fprintln(opts.IO.ErrOut, "not deleted")
			return errCancel
		}
	}
	if err := store.Delete(opts.Name); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "deleted plugin %s\n", opts.Name)
	return nil
}
