package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/demo"
	"github.com/mockloop/mockloop/internal/spec"
)

type demoOptions struct {
	Output string
	Report string
}

func newDemoCmd(f *Factory) *cobra.Command {
	opts := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "See the main job: the embedded example's mock against a live API that drifts",
		Long: `Run mockloop's main job with nothing to set up: the embedded example API (a bookshop) is
mocked from its spec and compared with a live bookshop that runs in this process, on loopback,
and drifts from the spec the way real APIs do: a fresh timestamp and request id, a list in
another order, a price that moved by less than 1%, and one renamed field.

The demo's plan ('mockloop demo plan') carries the comparison settings that tell that noise
from real drift; each difference they ignore is listed with the setting that ignores it (test
run --explain). What is left is the drift, and the demo's baseline ('mockloop demo baseline')
lists it as known: the run passes, as a CI run with a reviewed baseline does, and exits 0.

The same live bookshop serves the quick start: 'mockloop serve --demo-live'; 'mockloop demo
spec' and 'mockloop demo plan' print the files the quick start points at.`,
		Example: `  $ mockloop demo
  $ mockloop demo -o json
  $ mockloop demo --report demo.html
  $ mockloop demo spec > openapi.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(opts.Output, "table", "json", "junit"); err != nil {
				return err
			}
			return runDemo(cmd.Context(), f, opts)
		},
	}
	addOutputFlag(cmd, &opts.Output, "table", "json", "junit")
	cmd.Flags().StringVar(&opts.Report, "report", "", "also write a report to FILE: .json, .xml (JUnit) or .html")
	cmd.AddCommand(newDemoFileCmd(f, "spec", "Print the embedded example API's spec (OpenAPI 3.0 YAML)",
		"$ mockloop demo spec > openapi.yaml", spec.Example))
	cmd.AddCommand(newDemoFileCmd(f, "baseline", "Print the demo's baseline: the live bookshop's one real drift, known",
		"$ mockloop demo baseline > baseline.yaml", demo.Baseline))
	cmd.AddCommand(newDemoFileCmd(f, "plan", "Print the demo's test plan, with the comparison settings that tell noise from drift",
		"$ mockloop demo plan > plan.yaml", demo.Plan))
	return cmd
}

// newDemoFileCmd prints one of the demo's files on stdout.
func newDemoFileCmd(f *Factory, name, short, example string, content func() []byte) *cobra.Command {
	return &cobra.Command{
		Use:     name,
		Short:   short,
		Example: "  " + example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := f.IOStreams.Out.Write(content())
			return err
		},
	}
}

func runDemo(ctx context.Context, f *Factory, opts *demoOptions) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: start the live bookshop: %w", err)
	}
	live := &http.Server{Handler: demo.NewLive(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = live.Serve(ln) }()
	defer live.Close()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(f.IOStreams.ErrOut, "demo: the embedded bookshop's mock against a live bookshop at %s that drifts from its spec (in this process, no network)\n", url)

	// The test run command itself, so that every default is test run's.
	var tr *testRunOptions
	cmd := newTestRunCmd(f, func(o *testRunOptions) error { tr = o; return nil })
	argv := []string{"--spec", spec.ExampleSource, "--live", url, "-o", opts.Output}
	if opts.Report != "" {
		argv = append(argv, "--report", opts.Report)
	}
	cmd.SetArgs(argv)
	cmd.SetContext(ctx)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		return err
	}
	tr.plan, tr.planName = demo.Plan(), "demo-plan.yaml"                 // 'mockloop demo plan'
	tr.Baseline, tr.baselineData = "demo-baseline.yaml", demo.Baseline() // 'mockloop demo baseline'
	tr.Explain = true
	err = runTestRun(ctx, tr)
	fmt.Fprintln(f.IOStreams.ErrOut, "demo: try it by hand: 'mockloop serve --demo-live' serves the live bookshop on 127.0.0.1:9000; README.md's quick start compares it with the mock")
	return err
}
