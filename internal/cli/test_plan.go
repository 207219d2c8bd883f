package cli

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/testrun"
)

// testPlanOptions are the inputs of `mockloop test plan`.
type testPlanOptions struct {
	IO        *iostreams.IOStreams
	Plugins   *plugin.Store
	LookupEnv func(string) (string, bool)
	Client    *http.Client
	Load      spec.Options

	Plugin     string
	Spec       string
	MockData   string
	Operations []string
	Overlays   []string
	Output     string
}

func newTestPlanCmd(f *Factory, runF func(*testPlanOptions) error) *cobra.Command {
	opts := &testPlanOptions{}
	cmd := &cobra.Command{
		Use:   "plan [PLUGIN | SPEC]",
		Short: "Write a test plan with one case per operation of a spec",
		Long: `Write an editable test plan (YAML) to stdout: one case per operation of the spec (the
plugin's, --spec or a SPEC argument, or the embedded example), each a request the operation
accepts: parameters and bodies from the spec's examples, else generated valid values, and for
secured operations a placeholder credential. Each case expects the status the spec declares for
its default answer.

--operations keeps only the operations it matches, and may be repeated: an operationId or a tag,
tag:NAME, an operationId glob (repos*, *Pet), or a glob over "METHOD /path/template" or
"/path/template" (* matches anything). test run and mcp take the same filters.

The plan format is documented in docs/test-plans.md; 'mockloop test run --plan FILE' runs it.`,
		Example: `  $ mockloop test plan --spec petstore.yaml > plan.yaml
  $ mockloop test plan petstore --operations pets --operations 'GET /store/*'
  $ mockloop test plan --spec api.yaml --operations getPetById -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completePlugins(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Plugins, opts.LookupEnv, opts.Client, opts.Load = f.IOStreams, f.PluginStore(), f.LookupEnv, f.HTTPClient, f.LoadOptions()
			var err error
			if opts.Plugin, err = pluginArg(cmd, args); err != nil {
				return err
			}
			if err := checkPluginName(opts.Plugin); err != nil {
				return err
			}
			if err := checkMockData(opts.MockData); err != nil {
				return err
			}
			if err := checkOutput(opts.Output, "yaml", "json"); err != nil {
				return err
			}
			if _, err := spec.ParseFilter(opts.Operations); err != nil {
				return usageErrorf("--operations %v", err)
			}
			if runF != nil {
				return runF(opts)
			}
			return runTestPlan(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Spec, "spec", "", specUsage)
	cmd.Flags().StringArrayVar(&opts.Operations, "operations", nil, operationsUsage)
	addOverlayFlag(cmd, &opts.Overlays)
	addMockDataFlag(cmd, &opts.MockData)
	addOutputFlag(cmd, &opts.Output, "yaml", "json")
	return cmd
}

func runTestPlan(ctx context.Context, opts *testPlanOptions) error {
	// The plan a mock-only test run would run: the same preparation, no case sent.
	req := testrun.Request{Spec: opts.Spec, MockData: opts.MockData, Operations: opts.Operations, Mode: string(plugin.ModeMock),
		Load: withOverlays(opts.Load, opts.Overlays), Client: opts.Client, LookupEnv: opts.LookupEnv}
	if opts.Plugin != "" {
		p, err := opts.Plugins.Get(opts.Plugin)
		if err != nil {
			return err
		}
		req.Plugin = p
	}
	run, err := testrun.Prepare(ctx, req)
	if err != nil {
		return err
	}
	defer run.Close()
	printLeftOut(opts.IO.ErrOut, run.Plan)
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, run.Plan)
	}
	return run.Plan.Marshal(opts.IO.Out)
}
