package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/mcpserver"
	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/proxy"
	"github.com/mockloop/mockloop/internal/render"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/testrun"
)

// mcpOptions are the inputs of `mockloop mcp`.
type mcpOptions struct {
	Plugins    []string
	Operations []string
	Verbose    bool
}

const mcpLong = `Run a Model Context Protocol server on stdin/stdout, so an AI assistant can drive mockloop.

Tools:
  create_mcp_plugin        create a plugin as 'mockloop plugin create' does, and add its operation tools
  list_plugins             the saved plugins, their mode and their tools
  delete_plugin            delete a plugin and remove its tools
  execute_test_plan        what 'mockloop test run -o json' reports, with a run_id
  diff_responses           compare two JSON values or two URLs' responses
  get_performance_metrics  latency, throughput and error rate of a run
  switch_mode              change a plugin's mode, or a running server's (PUT /__mockloop/mode)
  <plugin>_<operationId>   one per API operation of every loaded plugin: sends the request through
                           the plugin's mode (mock, proxy with its credentials, hybrid rules) in
                           process, exactly as 'mockloop serve PLUGIN' answers, and returns status,
                           headers and body (credentials never appear in results)

Operation tools take {"path": {...}, "query": {...}, "header": {...}, "cookie": {...}, "body": ...}.
Their names are sanitised to [a-zA-Z0-9_-] (at most 64 characters); an operation without an
operationId is named from its method and path (pets_get_pets_petId); clashes get _2, _3.

--plugin loads only the named plugins (default: every plugin in the plugins directory; one that
fails to load is skipped with a warning). --operations keeps only matching operations, so a large API does not flood the assistant: the
filters of 'test run --operations' (an operationId or tag, tag:NAME, an operationId glob such as
repos*, or a '/path' or 'METHOD /path' glob where * matches anything: 'GET /repos/*'); repeat it
to keep more.

Resources: mockloop://plugins/<name>/spec (the loaded document) and mockloop://runs/<id> (the
reports of the last 20 runs).

stdout carries only the protocol; warnings (and with --verbose a line per operation call) go to
stderr. As with serve, MOCKLOOP_MODE/PROXY_MODE, MOCKLOOP_TARGET/API_BASE_URL and AUTH_TYPE
override the plugin files' values.`

func newMCPCmd(f *Factory, runF func(*mcpOptions) error) *cobra.Command {
	opts := &mcpOptions{}
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Run a Model Context Protocol server on stdio",
		Long:  mcpLong,
		Example: `  $ mockloop mcp
  $ mockloop mcp --plugins-dir ~/.mockloop/plugins --plugin petstore
  $ mockloop mcp --plugin github --operations tag:repos --operations 'GET /user'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range opts.Plugins {
				if err := plugin.ValidName(name); err != nil {
					return usageErrorf("--plugin: %v", err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runMCP(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Plugins, "plugin", nil, "load only this plugin (repeatable; default: all)")
	fl.StringArrayVar(&opts.Operations, "operations", nil, operationsUsage)
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "log every tool call on stderr")
	return cmd
}

func runMCP(ctx context.Context, f *Factory, opts *mcpOptions) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := mcpConfig(f, opts)
	if err != nil {
		return err
	}
	srv, err := mcpserver.New(ctx, cfg)
	if err != nil {
		if errors.Is(err, plugin.ErrNotFound) {
			return usageErrorf("%v (see 'mockloop plugin list')", err)
		}
		return &ExitError{Code: ExitTrouble, Err: fmt.Errorf("mcp: %w", err)}
	}
	t := &mcp.IOTransport{Reader: io.NopCloser(f.IOStreams.In), Writer: nopWriteCloser{f.IOStreams.Out}}
	if err := srv.Run(ctx, t); err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
		return &ExitError{Code: ExitTrouble, Err: fmt.Errorf("mcp: %w", err)}
	}
	return nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// mcpConfig connects the MCP server to the engines the other commands use: serve's handler
// for operation tools, test run's preparation and runner, diff's comparison options. The
// engines get a Factory whose stdin is empty and whose stdout is stderr: stdout belongs to
// the protocol.
func mcpConfig(f *Factory, opts *mcpOptions) (mcpserver.Config, error) {
	quiet := *f
	quiet.IOStreams = &iostreams.IOStreams{In: strings.NewReader(""), Out: f.IOStreams.ErrOut, ErrOut: f.IOStreams.ErrOut}
	level := slog.LevelWarn
	if opts.Verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(f.IOStreams.ErrOut, &slog.HandlerOptions{
		Level: level,
		// The client that reads stderr (an assistant's log) stamps lines itself.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	return mcpserver.Config{
		Store:      plugin.NewStore(f.PluginsDir()),
		Plugins:    opts.Plugins,
		Operations: opts.Operations,
		Version:    f.Version,
		Logger:     logger,
		HTTPClient: f.HTTPClient,
		LookupEnv:  f.LookupEnv,
		NewHandler: func(ctx context.Context, p *plugin.Plugin, doc *spec.Document) (http.Handler, error) {
			return pluginHandler(&quiet, p, doc)
		},
		RunTests: func(ctx context.Context, req mcpserver.TestRequest) (*testrun.Report, error) {
			return mcpTestRun(ctx, &quiet, req)
		},
	}, nil
}

// servedPlugin is the handler of one plugin: the proxy server and its forwarder, closed together.
type servedPlugin struct {
	*proxy.Server
	live *proxy.Forwarder
}

func (s *servedPlugin) Close() {
	s.Server.Close()
	if s.live != nil {
		s.live.Close()
	}
}

// pluginHandler builds the handler `mockloop serve NAME` runs for p (same settings precedence,
// mock engine options, forwarder with the plugin's auth and endpoints, route rules), without a
// listener: operation tools call it in process.
func pluginHandler(f *Factory, p *plugin.Plugin, doc *spec.Document) (http.Handler, error) {
	set, err := resolveServe(&serveOptions{}, func(string) bool { return false }, p, f.LookupEnv)
	if err != nil {
		return nil, err
	}
	engine := mock.New(doc, mock.Options{ValidateRequests: true, CheckSecurity: true})
	metrics := proxy.NewMetrics(doc.Operations)
	redactHeaders, redactQuery := redactNames(set.Auth)
	cfg := proxy.Config{
		Doc:           doc,
		Mock:          engine,
		Mode:          set.Mode,
		Fallback:      set.Fallback,
		PluginName:    p.Name,
		Target:        set.Target,
		RedactHeaders: redactHeaders,
		RedactQuery:   redactQuery,
		Metrics:       metrics,
	}
	var live *proxy.Forwarder
	if set.Target != "" {
		fwd, decider, err := liveSide(f, p, set, engine, metrics, false)
		if err != nil {
			return nil, err
		}
		live = fwd
		cfg.Live, cfg.Decider = fwd, decider
	}
	srv, err := proxy.NewServer(cfg)
	if err != nil {
		if live != nil {
			live.Close()
		}
		return nil, err
	}
	return &servedPlugin{Server: srv, live: live}, nil
}

// mcpTestRun runs execute_test_plan through test run's own preparation and runner, with the
// defaults of its flags, and returns the report `test run -o json` would print.
func mcpTestRun(ctx context.Context, f *Factory, req mcpserver.TestRequest) (*testrun.Report, error) {
	if req.Spec == "-" {
		return nil, errors.New("openapi_spec: '-' (stdin) is the MCP channel: give a file path or URL")
	}
	opts := &testRunOptions{
		Plugin:             req.PluginName,
		Spec:               req.Spec,
		Server:             req.ServerURL,
		Live:               req.LiveURL,
		Operations:         req.Operations,
		Mode:               orDefault(strings.ToLower(req.Mode), "auto"),
		Validation:         orDefault(strings.ToLower(req.Validation), string(testrun.ValidationStrict)),
		Output:             "json",
		Concurrency:        4,
		Repeat:             1,
		Timeout:            30 * time.Second,
		MonitorPerformance: req.MonitorPerformance,
		Metrics:            render.AllMetrics,
	}
	if req.Concurrency > 0 {
		opts.Concurrency = req.Concurrency
	}
	if req.Repeat > 0 {
		opts.Repeat = req.Repeat
	}
	if err := checkTestRunOptions(opts); err != nil {
		return nil, err
	}
	run, err := prepareTestRun(ctx, f, opts)
	if err != nil {
		return nil, err
	}
	defer run.close()
	run.options.Flags = req.Comparison
	rep := testrun.Run(ctx, run.plan, run.options)
	rep.Spec = run.target.Doc.Source
	rep.Mode = string(run.mode)
	if run.target.Plugin != nil {
		rep.Plugin = run.target.Plugin.Name
	}
	return rep, nil
}
