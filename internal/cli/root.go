// Package cli is mockloop's command tree: every Cobra command, its flags and options, and the
// one place where errors become exit codes. Nothing imports it but the binaries.
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/spec"
)

// Main runs mockloop with the process's arguments and returns its exit code. SIGINT and
// SIGTERM cancel the command's context, once: serve shuts down, test run reports what it ran;
// a second signal kills the process the usual way.
func Main(stamp Stamp) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	return Run(ctx, NewFactory(stamp), os.Args[1:])
}

// Run executes the command tree for args and returns the exit code. Errors are printed to
// stderr as one line, "mockloop: <message>".
func Run(ctx context.Context, f *Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		if msg := errorMessage(err); msg != "" {
			fmt.Fprintf(f.IOStreams.ErrOut, "mockloop: %s\n", msg)
		}
	}
	return exitCode(err)
}

// NewRootCmd builds the whole command tree explicitly.
func NewRootCmd(f *Factory) *cobra.Command {
	var colorFlag string
	var noColor bool
	root := &cobra.Command{
		Use:   "mockloop",
		Short: "Mock, proxy and compare APIs from an OpenAPI document",
		Long: `mockloop turns an OpenAPI document into a working API in three modes (mock, proxy with
injected credentials, hybrid with route rules) and proves that mock and live agree: it sends
the same requests to both and prints the differences.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			mode, err := iostreams.ParseColorMode(colorFlag)
			if err != nil {
				return usageErrorf("--color: %v", err)
			}
			if noColor {
				mode = iostreams.ColorNever
			}
			f.IOStreams.SetColorMode(mode)
			if err := spec.CheckAllowRefs(f.allowRefs); err != nil {
				return usageErrorf("--allow-ref: %v", err)
			}
			if f.fetchTimeout <= 0 {
				return usageErrorf("--fetch-timeout must be positive")
			}
			return nil
		},
	}
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%v (usage: %s; see '%s --help')", err, cmd.UseLine(), cmd.CommandPath())
	})
	root.PersistentFlags().StringVar(&colorFlag, "color", "auto", "colour output: auto, always or never (NO_COLOR also turns it off)")
	root.PersistentFlags().BoolVar(&noColor, "no-color", false, "same as --color never")
	root.PersistentFlags().StringArrayVar(&f.allowRefs, "allow-ref", nil, "a host (glob, optionally :port) that the $refs of a spec loaded from a URL may reach besides its own (repeatable)")
	root.PersistentFlags().DurationVar(&f.fetchTimeout, "fetch-timeout", spec.DefaultFetchTimeout, "time limit of each URL fetch (specs, $refs, diff inputs)")
	root.PersistentFlags().BoolVar(&f.noCache, "no-cache", false, "neither read nor write the spec load cache (also MOCKLOOP_NO_CACHE=1; it keeps large specs, resolved, in the user cache directory under mockloop/specs)")
	_ = root.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	root.PersistentFlags().StringVar(&f.pluginsDirFlag, "plugins-dir", "", "plugins directory (default: MOCKLOOP_PLUGINS_DIR, the nearest .mockloop/plugins, $MOCKLOOP_HOME/plugins, the user config directory)")
	root.Version = resolveBuild(f.Version, f.Commit, f.Date).Version
	root.SetVersionTemplate("mockloop {{.Version}}\n")
	root.CompletionOptions.DisableDefaultCmd = true

	root.AddCommand(
		newPluginCmd(f),
		newServeCmd(f, nil),
		newTestCmd(f),
		newDiffCmd(f, nil),
		newExamplesCmd(f),
		newReportCmd(f),
		newNoiseCmd(f),
		newMCPCmd(f, nil),
		newCompletionCmd(f),
		newVersionCmd(f),
		newWaitCmd(f),
		newDemoCmd(f),
		newExitCodesTopic(),
	)
	explainArgErrors(root)
	return root
}

// explainArgErrors makes every command's argument-count errors say which command and how to
// call it: Cobra's own "accepts 2 arg(s), received 1" names neither. They exit 2.
func explainArgErrors(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return usageErrorf("%v (usage: %s)", err, c.UseLine())
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		explainArgErrors(sub)
	}
}
