package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/noise"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/render"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/testrun"
)

func newNoiseCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "noise <command>",
		Short: "Learn what differs between two answers of the live API to the same request",
		Long: `A live API answers the same request differently every time: timestamps, request ids, counters,
lists in another order. 'noise learn' compares the live API with itself to find those
differences, so that a test run can subtract them and report only real drift.`,
	}
	cmd.AddCommand(newNoiseLearnCmd(f, nil))
	return cmd
}

// noiseLearnOptions are the inputs of `mockloop noise learn`.
type noiseLearnOptions struct {
	IO        *iostreams.IOStreams
	Plugins   *plugin.Store
	LookupEnv func(string) (string, bool)
	Client    *http.Client
	Load      spec.Options

	Plugin      string
	Spec        string
	Live        string
	Live2       string
	PlanFile    string
	Operations  []string
	Samples     int
	Methods     []string
	Write       bool
	Output      string
	Concurrency int
	Timeout     time.Duration
}

const noiseLearnLong = `Send each case of the plan (--plan FILE, else a case per operation of the spec) --samples
times to the live side (--live URL, else the plugin's target through the proxy engine with its
credentials), and with --live2 as often to a second live instance, and compare the answers with
each other, location by location (JSONPaths with [*] for array elements; headers as the
comparison settings say). Every location that is not stable is reported with what it is:

  value     the value changes (a uuid, a date-time or Unix time, an opaque token, a counter):
            suggests ignore_fields
  jitter    a number moves a little: suggests a tolerance at that path, the largest relative
            difference seen rounded up to one significant digit
  order     an array's order changes: suggests array_keys when its elements have a field that
            identifies them, else unordered_arrays
  presence  the field is sometimes absent: suggests ignore_absence
  header    a compared header changes: suggests ignore_headers
  status, text  the status, or a body that is not JSON, changes: nothing can subtract it

What the plugin's, the plan's and the cases' comparison settings already ignore is not noise.
Only cases of safe methods (GET, HEAD, OPTIONS) are sent, since each is sent several times;
--methods widens that, with a warning.

--write merges the suggestions into the plugin's comparison block, never removing or changing
what is there (a path it already has keeps its value), and prints what it added. Without
--write nothing is changed. 'mockloop test run --learn-noise N' learns the same way in memory
and subtracts it from that run.

Output (-o): table (a row per noisy location, the skipped cases, a summary line), or json:
  {"schema": "mockloop.noise/v1", "samples", "live2",
   "operations": [{"operation", "cases", "answers", "stable",
                   "locations": [{"location", "finding", "shape", "max_relative", "key",
                                  "count", "why", "suggest": COMPARISON}]}],
   "skipped": [{"case", "operation", "reason"}],
   "suggestions": COMPARISON, "plugin", "added": COMPARISON}
  COMPARISON is a plugin's comparison block (ignore_fields, tolerance, array_keys, ...).

Exit status: 0 learned (noise or not), 2 could not (no live side, bad flags, unreachable).`

func newNoiseLearnCmd(f *Factory, runF func(*noiseLearnOptions) error) *cobra.Command {
	opts := &noiseLearnOptions{}
	cmd := &cobra.Command{
		Use:   "learn [PLUGIN | SPEC]",
		Short: "Compare the live API with itself and suggest what to ignore",
		Long:  noiseLearnLong,
		Example: `  $ mockloop noise learn shop
  $ mockloop noise learn shop --samples 5 --write
  $ mockloop noise learn --spec api.yaml --live https://a.example.com --live2 https://b.example.com -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completePlugins(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Plugins, opts.LookupEnv, opts.Client, opts.Load = f.IOStreams, f.PluginStore(), f.LookupEnv, f.HTTPClient, f.LoadOptions()
			var err error
			if opts.Plugin, err = pluginArg(cmd, args); err != nil {
				return err
			}
			if err := checkNoiseLearnOptions(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runNoiseLearn(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Spec, "spec", "", "OpenAPI document: a file, '-' for stdin, or an http(s) URL (default: the plugin's)")
	fl.StringVar(&opts.Live, "live", "", "base URL of the live API (default: the plugin's target)")
	fl.StringVar(&opts.Live2, "live2", "", "base URL of a second live instance, compared with the first")
	fl.StringVar(&opts.PlanFile, "plan", "", "test plan file, '-' for stdin (default: one case per operation of the spec)")
	fl.StringArrayVar(&opts.Operations, "operations", nil, operationsUsage)
	fl.IntVar(&opts.Samples, "samples", noise.DefaultSamples, "answers per case from each live side (at least 2)")
	fl.StringSliceVar(&opts.Methods, "methods", noise.SafeMethods, "methods whose cases are sent, each several times")
	fl.BoolVar(&opts.Write, "write", false, "add the suggestions to the plugin's comparison block")
	addOutputFlag(cmd, &opts.Output, "table", "json")
	fl.IntVar(&opts.Concurrency, "concurrency", 4, "cases learned in parallel (each case's samples go one after the other)")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "time limit for each request")
	return cmd
}

func checkNoiseLearnOptions(opts *noiseLearnOptions) error {
	if err := checkPluginName(opts.Plugin); err != nil {
		return err
	}
	if err := checkOutput(opts.Output, "table", "json"); err != nil {
		return err
	}
	if opts.Samples < 2 {
		return usageErrorf("--samples: %d: want at least 2 (noise is what differs between answers)", opts.Samples)
	}
	if opts.Concurrency < 1 {
		return usageErrorf("--concurrency: %d is not a positive number", opts.Concurrency)
	}
	if opts.Timeout < 0 {
		return usageErrorf("--timeout: %s is negative", opts.Timeout)
	}
	for _, u := range []struct{ flag, v string }{{"live", opts.Live}, {"live2", opts.Live2}} {
		if u.v == "" {
			continue
		}
		if _, err := testrun.ParseBaseURL(u.v); err != nil {
			return usageErrorf("--%s: %v", u.flag, err)
		}
	}
	if _, err := spec.ParseFilter(opts.Operations); err != nil {
		return usageErrorf("--operations %v", err)
	}
	if opts.Spec == "-" && opts.PlanFile == "-" {
		return usageErrorf("--spec and --plan cannot both read stdin")
	}
	for i, m := range opts.Methods {
		m = strings.ToUpper(strings.TrimSpace(m))
		if m == "" || strings.ContainsFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' }) {
			return usageErrorf("--methods: %q is not an HTTP method", opts.Methods[i])
		}
		opts.Methods[i] = m
	}
	return nil
}

func runNoiseLearn(ctx context.Context, opts *noiseLearnOptions) error {
	p, err := findPlugin(opts.Plugins, opts.Plugin, opts.LookupEnv)
	if err != nil {
		return err
	}
	if opts.Write && p == nil {
		return usageErrorf("--write needs a plugin: name it (mockloop noise learn PLUGIN --write)")
	}
	req := testrun.Request{
		Plugin: p, Spec: opts.Spec, Live: opts.Live, Operations: opts.Operations, Mode: string(plugin.ModeProxy),
		Validation: string(testrun.ValidationOff), Concurrency: opts.Concurrency, Timeout: opts.Timeout,
		Load: opts.Load, Client: opts.Client, LookupEnv: opts.LookupEnv,
	}
	if opts.PlanFile != "" {
		data, err := iostreams.ReadInput(opts.PlanFile, opts.IO.In, maxPlanFile)
		if err != nil {
			return fmt.Errorf("read plan: %w", err)
		}
		req.Plan, req.PlanName = data, opts.PlanFile
	}
	run, err := testrun.Prepare(ctx, req)
	if err != nil {
		return err
	}
	defer run.Close()
	printWarnings(opts.IO.ErrOut, run.Doc, false)
	warnUnsafeMethods(opts.IO.ErrOut, opts.Methods, opts.Samples)

	lo := noise.Options{Samples: opts.Samples, Methods: opts.Methods, Concurrency: opts.Concurrency, Timeout: opts.Timeout}
	if opts.Live2 != "" {
		base, _ := testrun.ParseBaseURL(opts.Live2)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		defer client.CloseIdleConnections()
		lo.Live2 = &testrun.HTTPSide{Label: "live2", Base: base, Client: client}
	}
	var bar *progressbar.ProgressBar
	if opts.IO.IsStderrTTY() && len(run.Plan.Cases) > 1 {
		bar = progressbar.NewOptions(len(run.Plan.Cases), progressbar.OptionSetWriter(opts.IO.ErrOut),
			progressbar.OptionSetDescription("learning"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionEnableColorCodes(opts.IO.ErrColorEnabled()))
		lo.Progress = func() { _ = bar.Add(1) }
	}
	m, err := noise.Learn(ctx, run, lo)
	if bar != nil {
		_ = bar.Exit()
		_ = bar.Clear()
	}
	if err != nil {
		return usageErrorf("%v", err)
	}

	var added *compare.Config
	if opts.Write {
		a, err := writeNoise(opts.Plugins, p.Name, m)
		if err != nil {
			return err
		}
		added = &a
	}
	if opts.Output == "json" {
		name := ""
		if opts.Write {
			name = p.Name
		}
		return render.NoiseJSON(opts.IO.Out, m, name, added)
	}
	if err := render.NoiseTable(opts.IO.Out, m, opts.IO.ColorEnabled()); err != nil {
		return err
	}
	if added != nil {
		printAdded(opts.IO.Out, p.Name, *added)
	}
	return nil
}

// warnUnsafeMethods warns once when --methods sends methods that may change the live API.
func warnUnsafeMethods(w io.Writer, methods []string, samples int) {
	var unsafe []string
	for _, m := range methods {
		if !slices.Contains(noise.SafeMethods, m) {
			unsafe = append(unsafe, m)
		}
	}
	if len(unsafe) > 0 {
		fmt.Fprintf(w, "warning: --methods %s: each such case is sent %d times to the live API, which may change its data\n", strings.Join(unsafe, ","), samples)
	}
}

// writeNoise merges the suggestions into the plugin's comparison block (what the user wrote
// wins), checks that the result compiles, saves the plugin, and returns what was added.
func writeNoise(store *plugin.Store, name string, m *noise.Model) (compare.Config, error) {
	p, err := store.Get(name) // read again: the file as it is now
	if err != nil {
		return compare.Config{}, err
	}
	before := compare.Merge(p.Comparison)
	after := compare.Merge(m.Suggestions(), p.Comparison)
	added := noise.Added(before, after)
	if added.IsZero() {
		return added, nil
	}
	if _, err := compare.Compile(after); err != nil {
		return compare.Config{}, fmt.Errorf("plugin %s: the comparison with the suggestions does not compile (%v): add them by hand, or learn fewer operations with --operations", name, err)
	}
	p.Comparison = after
	if err := store.Save(p, true); err != nil {
		return compare.Config{}, err
	}
	return added, nil
}

// printAdded says what --write added to the plugin, a setting per line.
func printAdded(w io.Writer, name string, added compare.Config) {
	lines := render.ConfigLines(added)
	if len(lines) == 0 {
		fmt.Fprintf(w, "\nplugin %s: nothing to add (its comparison block already has every suggestion)\n", name)
		return
	}
	fmt.Fprintf(w, "\nadded to plugin %s's comparison:\n", name)
	for _, l := range lines {
		fmt.Fprintf(w, "  + %s\n", l)
	}
}

// learnNoise is test run --learn-noise: learn from the run's live side first, in memory, and
// have the run subtract it. What was learned is said on stderr; the report marks what it
// suppressed.
func learnNoise(ctx context.Context, opts *testRunOptions, run *testrun.Prepared) error {
	if opts.LearnNoise == 0 {
		return nil
	}
	if run.Options.Live == nil || run.Options.Mock == nil {
		return usageErrorf("--learn-noise needs both sides (mode hybrid): a live side to learn from and a mock to compare with")
	}
	m, err := noise.Learn(ctx, run, noise.Options{Samples: opts.LearnNoise, Concurrency: opts.Concurrency, Timeout: opts.Timeout})
	if err != nil {
		return usageErrorf("%v", err)
	}
	noisy := 0
	for _, o := range m.Operations {
		noisy += len(o.Locations)
	}
	fmt.Fprintf(opts.IO.ErrOut, "learned noise from %d answers per case: %d noisy %s in %d %s\n", m.Samples, noisy,
		plural(noisy, "location", "locations"), len(m.Operations), plural(len(m.Operations), "operation", "operations"))
	for _, s := range m.Skipped {
		fmt.Fprintf(opts.IO.ErrOut, "  not learned: %s (%s): %s\n", s.Case, s.Operation, s.Reason)
	}
	run.Options.Noise = m
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
