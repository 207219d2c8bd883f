package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/atomicfile"
	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/render"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
	"github.com/mockloop/mockloop/internal/testrun"
)

// testRunOptions are the inputs of `mockloop test run`, and what it needs from outside.
type testRunOptions struct {
	IO        *iostreams.IOStreams
	Plugins   *plugin.Store
	LookupEnv func(string) (string, bool)
	Client    *http.Client
	Load      spec.Options

	Plugin     string
	Spec       string
	MockData   string
	Server     string
	Live       string
	PlanFile   string
	Operations []string
	Overlays   []string
	Record     recordFlags
	Mode       string
	Validation string

	// Comparison is the command line's comparison layer (--config, then the flags).
	Comparison      compare.Config
	comparisonFlags comparisonFlags

	Output string
	Report string
	Quiet  bool // table output: only the failing runs and the summary line

	Concurrency int
	Repeat      int
	Timeout     time.Duration
	FailFast    bool
	Shard       string
	// ShardBase is the number of the first shard in Shard: 1, or 0 for Kubernetes'
	// JOB_COMPLETION_INDEX. Shard is 1-based once checked.
	ShardBase int

	MonitorPerformance bool
	Metrics            []string

	// plan is a plan given by content rather than --plan (mockloop demo's), named planName.
	plan     []byte
	planName string
	// baselineData is a baseline given by content (mockloop demo's), named by Baseline.
	baselineData []byte
	CollectLogs  bool

	// LogLevel is --log-level; LogLevelFlag points at it when it was given.
	LogLevel     string
	LogLevelFlag *string

	// Baseline is the known-differences file; UpdateBaseline rewrites it from this run.
	Baseline       string
	UpdateBaseline bool

	// LearnNoise, when > 0, learns the live side's noise from that many answers per case
	// first, and subtracts it.
	LearnNoise int
	// Explain lists the differences the comparison settings suppress, with the setting.
	Explain bool
}

const testRunLong = `Send every case of a test plan to the mock and to the live API, check each answer, and report.

The plan is --plan FILE, else generated from the spec (a case per operation, as 'mockloop test
plan' writes it; --operations filters). The spec is --spec (or a SPEC argument: a path, a .yaml
or .json file, or a URL), else the plugin's, else (with --server) the one the server reports,
else the embedded example.

Sides:
  mock   the mock engine in process, answering exactly as 'mockloop serve' does; with --server,
         the running server with the header X-Mockloop-Mode: mock
  live   --live URL; else the plugin's target through the proxy engine (with its auth); else,
         with --server, the running server with X-Mockloop-Mode: proxy

--mode: mock runs the mock side only (does the mock conform to its spec?), proxy the live side
only (does the live API conform?), hybrid both, comparing their answers. auto (the default)
asks a running server (GET /__mockloop/status) what it can do, else picks hybrid when a live
side exists and mock otherwise.

Checks per case: the status (the plan's expect.status, else the one the spec declares for the
operation's default answer); each answer against the spec (--validation strict: a violation
fails the case, soft: a warning, off); and in hybrid mode the differences between mock and live
under the comparison options, merged flags > case > plan > plugin.

Learned noise: --learn-noise N first sends each case of a safe method N times to the live side
and learns what differs between its answers (as 'mockloop noise learn' does, in memory); every
comparison then subtracts it, and the differences it removed are listed as suppressed, with why
(under "suppressed" in the JSON report), not failing the run.

Baseline: --baseline FILE (.yaml or .json; docs/test-plans.md) lists the known differences:
a difference of the same case, location and kind is reported as known and does not fail the
run; one listed but no longer seen in a case that ran is fixed; any other is new. The summary
adds "baseline FILE: known N · new N · fixed N", and the exit status is 1 only for new
differences and for failures that are not differences. --update-baseline writes this run's
differences to FILE (sorted, stable; the entries of cases that did not run are kept), and they
do not fail this run.

Output (-o): table (one row per case, then each failure's reasons and differences, the metrics
with --monitor-performance, and a summary line; -q/--quiet prints only the failing cases and
the summary line), json, or junit. --report FILE writes a report as well, chosen by extension:
.json, .xml (JUnit, valid against the common junit-10 schema) or .html (self-contained, with a
latency chart per operation).

A failed case is a failure (its answers were checked and found wrong: a status, a spec
violation, a difference) or an error (it could not be checked: a side gave no answer, timed out,
cut the connection, or mockloop's proxy engine could not reach the upstream); JUnit writes them
as <failure> and <error>, the table as FAIL and ERROR, the JSON report as "failure_kind". When
nothing answers at a side's address at all (the connection is refused, the name does not
resolve), the run stops: the cases not yet run are skipped, and the report, written all the
same, says "incomplete" (as it does when the run is interrupted).

The JSON report (schema "mockloop.testrun/v1"):
  {"schema", "spec", "plugin", "mode", "sides": ["mock","live"], "validation", "shard", "recordings",
   "left_out": ["GET /ws: answers 101 Switching Protocols, ..."], "started_at", "duration_ms", "interrupted", "aborted", "incomplete",
   "summary": {"total", "passed", "failed", "skipped", "warnings", "errors"},
   "cases": [{"name", "operation": "GET /pets/{id}", "operation_id", "method", "path",
              "iteration", "outcome": "pass|fail|skip", "failure_kind": "failure|error",
              "reason", "duration_ms",
              "failures": [...], "warnings": [...],
              "mock": {"status", "latency_ms", "error", "problems": [{"location", "message"}]},
              "live": {...},
              "differences": [{"location", "kind", "mock", "live"}],
              "logs": [REQUEST],
              "known": [...the differences the baseline lists],
              "suppressed": [{"location", "kind", "mock", "live", "reason"}]}],
   "metrics": {"operations": [{"operation", "mock": STATS, "live": STATS, "latency_ratio"}],
               "mock": STATS, "live": STATS},
   "logs_error",
   "noise": {"samples", "learned": COMPARISON, "suppressed"},
   "baseline": {"file", "known", "new", "fixed", "fixed_differences": [{"case", "operation",
                "location", "kind", "mock", "live"}]}}
  STATS: {"count", "errors", "error_rate", "min_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms",
          "throughput_rps", "start", "end", "histogram": [[bucket, count], ...]}; latency_ratio
          is live p50 / mock p50; an error is a request with no answer or a status >= 400. The
          percentiles are the upper bounds of the histogram's buckets (docs/ci.md has the
          layout), so that 'mockloop report merge' merges shards exactly. COMPARISON is a
          plugin's comparison block (ignore_fields, tolerance, array_keys, ...).
  REQUEST (--collect-logs): the server's GET /__mockloop/requests entry of each request the case
          sent it (method, path, status, side, request and response headers...), oldest first,
          secrets redacted by the server; logs_error says why some are missing.
  "failed" counts every failed run, "errors" those of them that are errors; "aborted" says why
  the run stopped early, "incomplete" is true when it was interrupted or aborted. "left_out"
  names the operations a generated plan has no case for (an operation that answers only 1xx, a
  protocol upgrade, cannot be compared), also printed to stderr as notes.

--record DIR records every live answer into DIR exactly as 'serve --record' does (one JSON file
per operation, credentials and the plugin's redact: fields as ***; docs/recordings.md); the
report's "recordings" names the directory, which 'mockloop examples accept --from REPORT.json'
reads. --overlay FILE applies an OpenAPI Overlay to the spec (after the plugin's overlays:).
A plugin's replay: DIR answers the in-process mock side from those recordings first, as serve
does, so mock against live compares what the live API answered then with what it answers now.

Settings from the environment, as for serve (flags > environment > plugin file > defaults), so
the original guide's container runs tests unchanged:
  --spec         MOCKLOOP_SPEC
  --mode         MOCKLOOP_MODE, PROXY_MODE      (which sides are called, when --mode is auto)
  live target    MOCKLOOP_TARGET, API_BASE_URL  (through the proxy engine; --live wins)
  auth type      MOCKLOOP_AUTH_TYPE, AUTH_TYPE  (as for serve: without plugin auth, bearer_token
                 reads ${API_TOKEN}, api_key ${API_KEY}, basic_auth ${API_USERNAME}/${API_PASSWORD})
  egress proxy   the plugin's upstream_proxy, MOCKLOOP_UPSTREAM_PROXY, HTTPS_PROXY/HTTP_PROXY
  --log-level    MOCKLOOP_LOG_LEVEL             (default warn; debug shows each upstream attempt)

Exit status: 0 every case passed; 1 a case failed (or was skipped by --fail-fast); 2 the run
could not start (bad spec, plan or flags, unreachable server), or found no failure but could not
check everything: interrupted, stopped because a side is unreachable, or cases that are errors.
A report asked for with --report is written in every case that ran.`

func newTestRunCmd(f *Factory, runF func(*testRunOptions) error) *cobra.Command {
	opts := &testRunOptions{}
	cmd := &cobra.Command{
		Use:   "run [PLUGIN | SPEC]",
		Short: "Send the same requests to mock and live and report the differences",
		Long:  testRunLong,
		Example: `  $ mockloop test run --spec petstore.yaml --mode mock --validation strict
  $ mockloop test run --spec petstore.yaml --live https://petstore.example.com/v2 --ignore-field updated_at
  $ mockloop test run petstore --plan plan.yaml -o junit --report report.html
  $ mockloop test run --server http://127.0.0.1:8000 --shard 2/4 --monitor-performance`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completePlugins(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Plugins, opts.LookupEnv, opts.Client, opts.Load = f.IOStreams, f.PluginStore(), f.LookupEnv, f.HTTPClient, f.LoadOptions()
			var err error
			if opts.Plugin, err = pluginArg(cmd, args); err != nil {
				return err
			}
			layer, err := opts.comparisonFlags.layer(cmd)
			if err != nil {
				return err
			}
			opts.Comparison = layer
			if cmd.Flags().Changed("log-level") {
				opts.LogLevelFlag = &opts.LogLevel
			}
			if err := checkTestRunOptions(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runTestRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Spec, "spec", "", specUsage)
	fl.StringVar(&opts.Server, "server", "", "a running 'mockloop serve' to test through (its mock and proxy sides)")
	fl.StringVar(&opts.Live, "live", "", "base URL of the live API")
	fl.StringVar(&opts.PlanFile, "plan", "", "test plan file, '-' for stdin (default: one case per operation of the spec)")
	fl.StringArrayVar(&opts.Operations, "operations", nil, operationsUsage)
	addOverlayFlag(cmd, &opts.Overlays)
	addMockDataFlag(cmd, &opts.MockData)
	addRecordFlags(fl, &opts.Record)
	fl.StringVar(&opts.Mode, "mode", "auto", "auto, mock, proxy or hybrid")
	fl.StringVar(&opts.Validation, "validation", "strict", "answers that violate the spec: strict (fail), soft (warn) or off")
	addComparisonFlags(cmd, &opts.comparisonFlags)
	addOutputFlag(cmd, &opts.Output, "table", "json", "junit")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "print only the failing cases and the summary line (table output)")
	fl.StringVar(&opts.Report, "report", "", "also write a report to FILE: .json, .xml (JUnit) or .html")
	fl.IntVar(&opts.Concurrency, "concurrency", 4, "cases run in parallel")
	fl.IntVar(&opts.Repeat, "repeat", 1, "run every case N times")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "time limit for each request")
	fl.BoolVar(&opts.FailFast, "fail-fast", false, "stop after the first failing case")
	fl.StringVar(&opts.Shard, "shard", "", "run part i of n of the cases (i/n), for CI matrices")
	fl.IntVar(&opts.ShardBase, "shard-index-base", 1, "the number of the first shard in --shard: 1, or 0 for a 0-based index such as Kubernetes' JOB_COMPLETION_INDEX")
	fl.BoolVar(&opts.MonitorPerformance, "monitor-performance", false, "print latency, throughput and error-rate metrics per operation and side")
	fl.BoolVar(&opts.CollectLogs, "collect-logs", false, "attach the --server's request-log entries of each case's requests to the case")
	fl.StringVar(&opts.LogLevel, "log-level", "warn", "lines on stderr about the live side (attempts, retries, token requests): debug, info, warn or error")
	_ = cmd.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions(stack.LogLevels, cobra.ShellCompDirectiveNoFileComp))
	fl.StringSliceVar(&opts.Metrics, "metrics", render.AllMetrics, "metrics shown with --monitor-performance: "+strings.Join(render.AllMetrics, ",")+" (latency is a synonym of response_time)")
	fl.StringVar(&opts.Baseline, "baseline", "", "known differences (a .yaml or .json file): they are reported as known and do not fail the run")
	fl.BoolVar(&opts.UpdateBaseline, "update-baseline", false, "write this run's differences to the --baseline file (sorted); they do not fail this run")
	fl.BoolVar(&opts.Explain, "explain", false, "also list the differences the comparison settings ignore (ignore_fields, tolerance, array order...), each with the setting that ignores it")
	fl.IntVar(&opts.LearnNoise, "learn-noise", 0, "first send each safe case N times to the live side, learn what differs between its answers, and subtract it")
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"auto", "mock", "proxy", "hybrid"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("validation", cobra.FixedCompletions([]string{"strict", "soft", "off"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// checkTestRunOptions rejects bad flag values before anything is loaded.
func checkTestRunOptions(opts *testRunOptions) error {
	if err := checkPluginName(opts.Plugin); err != nil {
		return err
	}
	if err := checkMockData(opts.MockData); err != nil {
		return err
	}
	if err := checkOutput(opts.Output, "table", "json", "junit"); err != nil {
		return err
	}
	if opts.Mode != testrun.ModeAuto {
		if _, err := plugin.ParseMode(opts.Mode); err != nil {
			return usageErrorf("--mode: invalid mode %q (want auto, mock, proxy or hybrid)", opts.Mode)
		}
	}
	if _, err := testrun.ParseValidation(opts.Validation); err != nil {
		return usageErrorf("--validation: %v", err)
	}
	for _, u := range []struct{ flag, v string }{{"server", opts.Server}, {"live", opts.Live}} {
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
	if opts.CollectLogs && opts.Server == "" {
		return usageErrorf("--collect-logs needs --server: the request log is a running server's")
	}
	if err := opts.Record.check(); err != nil {
		return err
	}
	if opts.Record.Dir != "" && opts.Mode == string(plugin.ModeMock) {
		return usageErrorf("--record records the live side: --mode mock has none")
	}
	if opts.Spec == "-" && opts.PlanFile == "-" {
		return usageErrorf("--spec and --plan cannot both read stdin")
	}
	if opts.Report != "" {
		if _, err := reportFormat(opts.Report); err != nil {
			return err
		}
	}
	if opts.Concurrency < 1 {
		return usageErrorf("--concurrency: %d is not a positive number", opts.Concurrency)
	}
	if opts.Repeat < 1 {
		return usageErrorf("--repeat: %d is not a positive number", opts.Repeat)
	}
	if opts.Timeout < 0 {
		return usageErrorf("--timeout: %s is negative", opts.Timeout)
	}
	if opts.ShardBase != 0 && opts.ShardBase != 1 {
		return usageErrorf("--shard-index-base: %d: want 0 or 1", opts.ShardBase)
	}
	if opts.Shard != "" {
		shard := opts.Shard
		if opts.ShardBase == 0 {
			i, n, _ := strings.Cut(shard, "/")
			k, err := strconv.Atoi(strings.TrimSpace(i))
			if err != nil || k < 0 {
				return usageErrorf("--shard: invalid shard %q: want i/n with 0 <= i < n (--shard-index-base 0)", opts.Shard)
			}
			shard = strconv.Itoa(k+1) + "/" + n
		}
		if _, err := testrun.ParseShard(shard); err != nil {
			if opts.ShardBase == 0 {
				return usageErrorf("--shard: invalid shard %q: want i/n with 0 <= i < n (--shard-index-base 0)", opts.Shard)
			}
			return usageErrorf("--shard: %v", err)
		}
		opts.Shard = shard
	}
	for i, m := range opts.Metrics {
		g, err := testrun.ParseMetric(m)
		if err != nil {
			return usageErrorf("--metrics: %v", err)
		}
		opts.Metrics[i] = g.Name
	}
	if opts.LearnNoise < 0 || opts.LearnNoise == 1 {
		return usageErrorf("--learn-noise: %d: want at least 2 answers per case (or 0: do not learn)", opts.LearnNoise)
	}
	return checkBaselineFlags(opts)
}

// reportFormat is the report kind for a file name: json, junit or html.
func reportFormat(name string) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return "json", nil
	case ".xml":
		return "junit", nil
	case ".html", ".htm":
		return "html", nil
	}
	return "", usageErrorf("--report %q: want a .json, .xml or .html file", name)
}

func runTestRun(ctx context.Context, opts *testRunOptions) error {
	req, err := testRunRequest(opts)
	if err != nil {
		return err
	}
	baseline, err := readBaseline(opts)
	if err != nil {
		return err
	}
	loaded, restoreGC := tuneRunGC(opts.LookupEnv) // see serve_gc.go
	defer restoreGC()
	run, err := testrun.Prepare(ctx, req)
	if err != nil {
		return err
	}
	loaded()
	defer run.Close()
	printWarnings(opts.IO.ErrOut, run.Doc, false)
	printLeftOut(opts.IO.ErrOut, run.Plan)
	if err := learnNoise(ctx, opts, run); err != nil {
		return err
	}
	run.Options.Explain = opts.Explain

	// A progress bar on stderr only when it is a terminal; cleared before the results print.
	var bar *progressbar.ProgressBar
	var progress func()
	if opts.IO.IsStderrTTY() && run.Runs() > 1 {
		bar = progressbar.NewOptions(run.Runs(),
			progressbar.OptionSetWriter(opts.IO.ErrOut),
			progressbar.OptionSetDescription("testing"),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionEnableColorCodes(opts.IO.ErrColorEnabled()),
		)
		progress = func() { _ = bar.Add(1) }
	}
	rep := run.Run(ctx, progress)
	if bar != nil {
		_ = bar.Exit()
		_ = bar.Clear()
	}
	if opts.Baseline != "" {
		testrun.ApplyBaseline(rep, baseline, opts.Baseline)
	}

	if err := writeTestRun(opts, rep); err != nil {
		return err
	}
	if err := updateBaseline(opts, baseline, rep); err != nil {
		return err
	}
	return testRunExit(rep)
}

// testRunRequest is the run the options describe: the plugin read, the plan file read.
func testRunRequest(opts *testRunOptions) (testrun.Request, error) {
	req := testrun.Request{
		Spec: opts.Spec, MockData: opts.MockData, Server: opts.Server, Live: opts.Live, Operations: opts.Operations,
		Record: opts.Record.Dir, RecordOptions: opts.Record.options(nil, nil),
		Mode: opts.Mode, Validation: opts.Validation, Comparison: opts.Comparison,
		Concurrency: opts.Concurrency, Repeat: opts.Repeat, Timeout: opts.Timeout, FailFast: opts.FailFast,
		Shard: opts.Shard, CollectLogs: opts.CollectLogs, Load: withOverlays(opts.Load, opts.Overlays), Client: opts.Client, LookupEnv: opts.LookupEnv,
	}
	level, err := stack.LogLevel(opts.LogLevelFlag, opts.LookupEnv, slog.LevelWarn)
	if err != nil {
		return req, usageErrorf("%v", err)
	}
	req.Logger = newLogger(opts.IO.ErrOut, level, server.LogText)
	if opts.Plugin != "" {
		p, err := opts.Plugins.Get(opts.Plugin)
		if err != nil {
			return req, err
		}
		req.Plugin = p
	}
	if opts.PlanFile != "" {
		data, err := iostreams.ReadInput(opts.PlanFile, opts.IO.In, maxPlanFile)
		if err != nil {
			return req, fmt.Errorf("read plan: %w", err)
		}
		req.Plan, req.PlanName = data, opts.PlanFile
	}
	if opts.plan != nil {
		req.Plan, req.PlanName = opts.plan, opts.planName
	}
	return req, nil
}

// maxPlanFile bounds a plan file read from disk or stdin.
const maxPlanFile = 64 << 20

// writeTestRun prints the report on stdout in the chosen format, then writes --report.
func writeTestRun(opts *testRunOptions, rep *testrun.Report) error {
	out := opts.IO.Out
	var err error
	switch opts.Output {
	case "json":
		err = render.TestRunJSON(out, rep)
	case "junit":
		err = render.TestRunJUnit(out, rep)
	default:
		var metrics []string
		if opts.MonitorPerformance {
			metrics = opts.Metrics
		}
		err = render.TestRunTable(out, rep, render.TestRunOptions{Color: opts.IO.ColorEnabled(), Metrics: metrics, Quiet: opts.Quiet})
	}
	if err != nil {
		return err
	}
	if opts.Report == "" {
		return nil
	}
	kind, err := reportFormat(opts.Report)
	if err != nil {
		return err
	}
	return writeReportFile(opts.Report, func(w io.Writer) error {
		switch kind {
		case "json":
			return render.TestRunJSON(w, rep)
		case "junit":
			return render.TestRunJUnit(w, rep)
		}
		return render.TestRunHTML(w, rep)
	})
}

// writeReportFile writes a report atomically (a temporary file next to it, then a rename) with
// mode 0600: reports hold response data.
func writeReportFile(name string, write func(io.Writer) error) error {
	if err := atomicfile.Write(name, 0o600, write); err != nil {
		return fmt.Errorf("write report %q: %w", name, err)
	}
	return nil
}
