package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/proxy"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/render"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/testrun"
)

// testRunOptions are the inputs of `mockloop test run`.
type testRunOptions struct {
	Plugin     string
	Spec       string
	Server     string
	Live       string
	PlanFile   string
	Operations []string
	Mode       string
	Validation string

	// Comparison is the command line's comparison layer (--config, then the flags).
	Comparison      compare.Config
	comparisonFlags comparisonFlags

	Output string
	Report string

	Concurrency int
	Repeat      int
	Timeout     time.Duration
	FailFast    bool
	Shard       string

	MonitorPerformance bool
	Metrics            []string
}

const testRunLong = `Send every case of a test plan to the mock and to the live API, check each answer, and report.

The plan is --plan FILE, else generated from the spec (a case per operation, as 'mockloop test
plan' writes it; --operations filters). The spec is --spec, else the plugin's, else (with
--server) the one the server reports, else the embedded example.

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

Output (-o): table (one row per case, then each failure's reasons and differences, the metrics
with --monitor-performance, and a summary line), json, or junit. --report FILE writes a report
as well, chosen by extension: .json, .xml (JUnit) or .html (self-contained, with a latency chart
per operation).

The JSON report (schema "mockloop.testrun/v1"):
  {"schema", "spec", "plugin", "mode", "sides": ["mock","live"], "validation", "shard",
   "started_at", "duration_ms", "interrupted",
   "summary": {"total", "passed", "failed", "skipped", "warnings"},
   "cases": [{"name", "operation": "GET /pets/{id}", "operation_id", "method", "path",
              "iteration", "outcome": "pass|fail|skip", "reason", "duration_ms",
              "failures": [...], "warnings": [...],
              "mock": {"status", "latency_ms", "error", "problems": [{"location", "message"}]},
              "live": {...},
              "differences": [{"location", "kind", "mock", "live"}]}],
   "metrics": {"operations": [{"operation", "mock": STATS, "live": STATS, "latency_ratio"}],
               "mock": STATS, "live": STATS}}
  STATS: {"count", "errors", "error_rate", "min_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms",
          "throughput_rps"}; latency_ratio is live p50 / mock p50; an error is a request with no
          answer or a status >= 400.

Exit status: 0 every case passed, 1 a case failed (or was skipped by --fail-fast), 2 the run
could not start (bad spec, plan or flags, unreachable server) or was interrupted before any
failure.`

func newTestRunCmd(f *Factory, runF func(*testRunOptions) error) *cobra.Command {
	opts := &testRunOptions{}
	cmd := &cobra.Command{
		Use:   "run [PLUGIN]",
		Short: "Send the same requests to mock and live and report the differences",
		Long:  testRunLong,
		Example: `  $ mockloop test run --spec petstore.yaml --mode mock --validation strict
  $ mockloop test run --spec petstore.yaml --live https://petstore.example.com/v2 --ignore-field updated_at
  $ mockloop test run petstore --plan plan.yaml -o junit --report report.html
  $ mockloop test run --server http://127.0.0.1:8000 --shard 2/4 --monitor-performance`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plugin = pluginArg(args)
			layer, err := opts.comparisonFlags.layer(cmd)
			if err != nil {
				return err
			}
			opts.Comparison = layer
			if err := checkTestRunOptions(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runTestRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Spec, "spec", "", "OpenAPI document: a file, '-' for stdin, or an http(s) URL (default: the plugin's, else the embedded example)")
	fl.StringVar(&opts.Server, "server", "", "a running 'mockloop serve' to test through (its mock and proxy sides)")
	fl.StringVar(&opts.Live, "live", "", "base URL of the live API")
	fl.StringVar(&opts.PlanFile, "plan", "", "test plan file, '-' for stdin (default: one case per operation of the spec)")
	fl.StringArrayVar(&opts.Operations, "operations", nil, operationsUsage)
	fl.StringVar(&opts.Mode, "mode", "auto", "auto, mock, proxy or hybrid")
	fl.StringVar(&opts.Validation, "validation", "strict", "answers that violate the spec: strict (fail), soft (warn) or off")
	addComparisonFlags(cmd, &opts.comparisonFlags)
	addOutputFlag(cmd, &opts.Output, "table", "json", "junit")
	fl.StringVar(&opts.Report, "report", "", "also write a report to FILE: .json, .xml (JUnit) or .html")
	fl.IntVar(&opts.Concurrency, "concurrency", 4, "cases run in parallel")
	fl.IntVar(&opts.Repeat, "repeat", 1, "run every case N times")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "time limit for each request")
	fl.BoolVar(&opts.FailFast, "fail-fast", false, "stop after the first failing case")
	fl.StringVar(&opts.Shard, "shard", "", "run part i of n of the cases (i/n), for CI matrices")
	fl.BoolVar(&opts.MonitorPerformance, "monitor-performance", false, "print latency, throughput and error-rate metrics per operation and side")
	fl.StringSliceVar(&opts.Metrics, "metrics", render.AllMetrics, "metrics shown with --monitor-performance: "+strings.Join(render.AllMetrics, ","))
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"auto", "mock", "proxy", "hybrid"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("validation", cobra.FixedCompletions([]string{"strict", "soft", "off"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// checkTestRunOptions rejects bad flag values before anything is loaded.
func checkTestRunOptions(opts *testRunOptions) error {
	if err := checkPluginName(opts.Plugin); err != nil {
		return err
	}
	if err := checkOutput(opts.Output, "table", "json", "junit"); err != nil {
		return err
	}
	if opts.Mode != "auto" {
		if _, err := proxy.ParseMode(opts.Mode); err != nil {
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
		if _, err := parseBaseURL(u.v); err != nil {
			return usageErrorf("--%s: %v", u.flag, err)
		}
	}
	if _, err := spec.ParseFilter(opts.Operations); err != nil {
		return usageErrorf("--operations %v", err)
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
	if opts.Shard != "" {
		if _, err := testrun.ParseShard(opts.Shard); err != nil {
			return usageErrorf("--shard: %v", err)
		}
	}
	for _, m := range opts.Metrics {
		if !slices.Contains(render.AllMetrics, m) {
			return usageErrorf("--metrics: unknown metric %q (want %s)", m, strings.Join(render.AllMetrics, ", "))
		}
	}
	return nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", redact.URL(raw))
	}
	return u, nil
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

func runTestRun(ctx context.Context, f *Factory, opts *testRunOptions) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	run, err := prepareTestRun(ctx, f, opts)
	if err != nil {
		return err
	}
	defer run.close()

	// A progress bar on stderr only when it is a terminal; cleared before the results print.
	var bar *progressbar.ProgressBar
	if f.IOStreams.IsStderrTTY() && len(run.plan.Cases)*opts.Repeat > 1 {
		bar = progressbar.NewOptions(len(run.plan.Cases)*opts.Repeat,
			progressbar.OptionSetWriter(f.IOStreams.ErrOut),
			progressbar.OptionSetDescription("testing"),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionEnableColorCodes(f.IOStreams.ErrColorEnabled()),
		)
		run.options.Progress = func() { _ = bar.Add(1) }
	}

	rep := testrun.Run(ctx, run.plan, run.options)
	rep.Spec = redact.URL(run.target.Doc.Source)
	rep.Mode = string(run.mode)
	rep.Shard = opts.Shard
	if run.target.Plugin != nil {
		rep.Plugin = run.target.Plugin.Name
	}
	if bar != nil {
		_ = bar.Exit()
		_ = bar.Clear()
	}

	if err := writeTestRun(f, opts, rep); err != nil {
		return err
	}
	switch {
	case rep.Summary.Failed > 0 || (rep.Summary.Skipped > 0 && !rep.Interrupted):
		return ErrFound
	case rep.Interrupted:
		return &ExitError{Code: ExitTrouble, Err: fmt.Errorf("interrupted: %d of %d case runs not finished", rep.Summary.Skipped, rep.Summary.Total)}
	}
	return nil
}

// writeTestRun prints the report on stdout in the chosen format, then writes --report.
func writeTestRun(f *Factory, opts *testRunOptions, rep *testrun.Report) error {
	out := f.IOStreams.Out
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
		err = render.TestRunTable(out, rep, render.TestRunOptions{Color: f.IOStreams.ColorEnabled(), Metrics: metrics})
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

// writeReportFile writes a report atomically: a temporary file next to it, then a rename.
func writeReportFile(name string, write func(io.Writer) error) error {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, ".mockloop-report-*")
	if err != nil {
		return &ExitError{Code: ExitTrouble, Err: fmt.Errorf("write report %q: %w", name, err)}
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return &ExitError{Code: ExitTrouble, Err: fmt.Errorf("write report %q: %w", name, err)}
	}
	if err := tmp.Close(); err != nil {
		return &ExitError{Code: ExitTrouble, Err: fmt.Errorf("write report %q: %w", name, err)}
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return &ExitError{Code: ExitTrouble, Err: fmt.Errorf("write report %q: %w", name, err)}
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return &ExitError{Code: ExitTrouble, Err: fmt.Errorf("write report %q: %w", name, err)}
	}
	return nil
}

// preparedRun is a run ready to start: spec, bound plan, sides and options.
type preparedRun struct {
	target  *testTarget
	plan    *testrun.Plan
	mode    proxy.Mode
	options testrun.Options
	closers []func()
}

func (r *preparedRun) close() {
	for _, c := range r.closers {
		c()
	}
}

// serverStatus asks a running server what it is: GET /__mockloop/status.
func serverStatus(ctx context.Context, client *http.Client, base *url.URL) (*proxy.Status, error) {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/__mockloop/status"
	u.RawQuery = ""
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("server %s is not reachable: %w", redact.URL(base.String()), errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("server %s: GET /__mockloop/status answered %s (is it a mockloop server? is an admin token needed?)", redact.URL(base.String()), resp.Status)
	}
	var st proxy.Status
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return nil, fmt.Errorf("server %s: read status: %w", redact.URL(base.String()), err)
	}
	return &st, nil
}

// sideClient is the HTTP client of a side: connections are kept for the whole run, enough
// for every worker.
func sideClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(100, 2*concurrency)
	tr.MaxIdleConnsPerHost = max(8, 2*concurrency)
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func prepareTestRun(ctx context.Context, f *Factory, opts *testRunOptions) (*preparedRun, error) {
	trouble := func(err error) error { return &ExitError{Code: ExitTrouble, Err: err} }
	run := &preparedRun{}
	client := sideClient(opts.Concurrency)
	run.closers = append(run.closers, client.CloseIdleConnections)

	// A running server first: auto mode and the spec may come from it.
	var server *url.URL
	var status *proxy.Status
	if opts.Server != "" {
		server, _ = parseBaseURL(opts.Server)
		if opts.Mode == "auto" || (opts.Spec == "" && opts.Plugin == "") {
			st, err := serverStatus(ctx, client, server)
			if err != nil {
				run.close()
				return nil, trouble(err)
			}
			status = st
		}
	}
	fallbackSpec := ""
	if status != nil {
		fallbackSpec = status.Spec.Source
	}
	t, err := loadTestTarget(ctx, f, opts.Plugin, opts.Spec, fallbackSpec)
	if err != nil {
		run.close()
		return nil, err
	}
	run.target = t
	printWarnings(f.IOStreams.ErrOut, t.Doc, false)

	// The plan.
	var plan *testrun.Plan
	engine := mock.New(t.Doc, mock.Options{ValidateRequests: true, CheckSecurity: true})
	if opts.PlanFile != "" {
		data, err := readPlanFile(f, opts.PlanFile)
		if err != nil {
			run.close()
			return nil, trouble(err)
		}
		if plan, err = testrun.Parse(data, opts.PlanFile); err != nil {
			run.close()
			return nil, trouble(err)
		}
		if err := plan.Bind(t.Doc); err != nil {
			run.close()
			return nil, trouble(fmt.Errorf("plan %q: %w", opts.PlanFile, err))
		}
		if len(opts.Operations) > 0 {
			filter, _ := spec.ParseFilter(opts.Operations) // checked with the flags
			plan.Cases = slices.DeleteFunc(plan.Cases, func(c *testrun.Case) bool { return !filter.Match(c.Op) })
			if len(plan.Cases) == 0 {
				run.close()
				return nil, usageErrorf("plan %q: no case calls an operation matching %s", opts.PlanFile, strings.Join(opts.Operations, ", "))
			}
		}
	} else {
		filter, _ := spec.ParseFilter(opts.Operations) // checked with the flags
		if plan, err = testrun.Generate(t.Doc, engine, filter); err != nil {
			run.close()
			return nil, usageErrorf("test run: %v", err)
		}
	}
	if opts.Shard != "" {
		sh, _ := testrun.ParseShard(opts.Shard)
		plan.Cases = sh.Apply(plan.Cases)
	}
	run.plan = plan

	// The sides.
	mode, err := chooseMode(opts, t, status)
	if err != nil {
		run.close()
		return nil, err
	}
	run.mode = mode
	var mockSide, liveSide testrun.Side
	if mode != proxy.ModeProxy {
		if server != nil {
			mockSide = &testrun.HTTPSide{Label: testrun.SideMock, Base: server, Client: client, Header: http.Header{proxy.HeaderMode: {string(proxy.ModeMock)}}}
		} else {
			srv, err := proxy.NewServer(proxy.Config{Doc: t.Doc, Mock: engine, Mode: proxy.ModeMock, RequestBuffer: 1})
			if err != nil {
				run.close()
				return nil, trouble(err)
			}
			run.closers = append(run.closers, srv.Close)
			mockSide = &testrun.HandlerSide{Label: testrun.SideMock, Handler: srv}
		}
	}
	if mode != proxy.ModeMock {
		switch {
		case opts.Live != "":
			base, _ := parseBaseURL(opts.Live)
			liveSide = &testrun.HTTPSide{Label: testrun.SideLive, Base: base, Client: client}
		case t.Plugin != nil && t.Plugin.TargetURL != "":
			h, closeFn, err := pluginLiveHandler(f, t, engine)
			if err != nil {
				run.close()
				return nil, trouble(err)
			}
			run.closers = append(run.closers, closeFn)
			liveSide = &testrun.HandlerSide{Label: testrun.SideLive, Handler: h}
		case server != nil:
			liveSide = &testrun.HTTPSide{Label: testrun.SideLive, Base: server, Client: client, Header: http.Header{proxy.HeaderMode: {string(proxy.ModeProxy)}}}
		}
	}

	validation, _ := testrun.ParseValidation(opts.Validation)
	run.options = testrun.Options{
		Mock:        mockSide,
		Live:        liveSide,
		Validator:   engine,
		Validation:  validation,
		Flags:       opts.Comparison,
		Concurrency: opts.Concurrency,
		Repeat:      opts.Repeat,
		Timeout:     opts.Timeout,
		FailFast:    opts.FailFast,
	}
	if t.Plugin != nil {
		run.options.Plugin = t.Plugin.Comparison
	}
	// Bad comparison patterns stop the run before it starts, naming where they are.
	if run.options.Mock != nil && run.options.Live != nil {
		if err := testrun.CheckComparisons(plan, run.options); err != nil {
			run.close()
			return nil, trouble(err)
		}
	}
	return run, nil
}

// chooseMode resolves --mode: explicit modes need the sides they use; auto follows a running
// server's status, else hybrid when a live side exists, else mock.
func chooseMode(opts *testRunOptions, t *testTarget, status *proxy.Status) (proxy.Mode, error) {
	hasLive := opts.Live != "" || (t.Plugin != nil && t.Plugin.TargetURL != "")
	if opts.Mode != "auto" {
		m, _ := proxy.ParseMode(opts.Mode)
		if m != proxy.ModeMock && !hasLive && opts.Server == "" {
			return "", usageErrorf("--mode %s needs a live side: --live URL, a plugin with a target_url, or --server", m)
		}
		return m, nil
	}
	switch {
	case hasLive:
		return proxy.ModeHybrid, nil
	case status == nil:
		return proxy.ModeMock, nil
	case status.Live && status.ModeOverride:
		return proxy.ModeHybrid, nil
	case status.Mode == proxy.ModeProxy:
		return proxy.ModeProxy, nil
	}
	return proxy.ModeMock, nil
}

func readPlanFile(f *Factory, name string) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(io.LimitReader(f.IOStreams.In, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("read plan from stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return b, nil
}

// pluginLiveHandler is the live side of a plugin with a target: the proxy engine in process,
// in proxy mode, with the plugin's auth, endpoints and retries (what `mockloop serve PLUGIN
// --mode proxy` does). Differences are wanted, so there is no fallback to the mock.
func pluginLiveHandler(f *Factory, t *testTarget, engine *mock.Engine) (http.Handler, func(), error) {
	p := t.Plugin
	set := serveSettings{Target: p.TargetURL}
	if p.Auth != nil {
		a := *p.Auth
		set.Auth = &a
	}
	live, decider, err := liveSide(f, p, set, engine, nil, false)
	if err != nil {
		return nil, nil, err
	}
	srv, err := proxy.NewServer(proxy.Config{
		Doc: t.Doc, Mock: engine, Live: live, Decider: decider, Mode: proxy.ModeProxy,
		PluginName: p.Name, Target: p.TargetURL, RequestBuffer: 1,
	})
	if err != nil {
		live.Close()
		return nil, nil, err
	}
	return srv, func() { srv.Close(); live.Close() }, nil
}
