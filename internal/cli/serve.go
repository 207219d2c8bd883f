package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/proxy"
	"github.com/mockloop/mockloop/internal/spec"
)

// serveOptions are serve's flags and argument.
type serveOptions struct {
	Plugin             string
	Spec               string
	Mode               string
	Target             string
	Addr               string
	NoValidateRequests bool
	NoSecurity         bool
	CORS               bool
	AdminToken         string
	LogFormat          string
	Quiet              bool
	NoModeOverride     bool
	ValidateResponses  bool
	MaxBody            int64
	Verbose            bool
	ShutdownTimeout    time.Duration

	// set reports whether a flag was given on the command line (precedence over environment).
	set func(flag string) bool
}

// maxWarningsShown is how many load warnings serve prints without --verbose.
const maxWarningsShown = 5

const serveLong = `Serve an OpenAPI document as a working API.

In mock mode every request is answered from the spec: examples first, else data generated from
the schemas, after validating the request. In proxy mode every request is forwarded to the target
with the plugin's credentials injected. In hybrid mode route rules decide per request; requests no
rule matches go to the live API. With no plugin and no --spec, the embedded example API is served.

Settings come from flags, then the environment, then the plugin file, then defaults:
  --spec         MOCKLOOP_SPEC
  --mode         MOCKLOOP_MODE, PROXY_MODE
  --target       MOCKLOOP_TARGET, API_BASE_URL
  --addr         MOCKLOOP_ADDR                 (default 127.0.0.1:8000; ":0" picks a free port)
  --admin-token  MOCKLOOP_ADMIN_TOKEN
  --log-format   MOCKLOOP_LOG_FORMAT
  --cors         MOCKLOOP_CORS
  PLUGIN         MOCKLOOP_PLUGIN
  auth type      MOCKLOOP_AUTH_TYPE, AUTH_TYPE  (replaces the plugin's auth type; without plugin
                 auth, api_key reads ${API_KEY}, bearer_token ${API_TOKEN}, basic_auth
                 ${API_USERNAME}/${API_PASSWORD}, oauth2 ${OAUTH2_*}; "none" turns auth off)

The real address is printed on stderr as "listening on http://ADDR (mode M, N operations)",
followed by one line per request (--log-format text|json, --quiet for none). Problems found
while loading the spec are printed once before it; response examples that do not match their
schemas (served only when a Prefer header names them) are reported once, checked in the
background so a large spec does not delay the first response. SIGINT or SIGTERM stop the server
after the requests in flight finish (at most --shutdown-timeout).

Response headers: X-Mockloop-Mode (mock or proxy: who answered), X-Mockloop-Rule (hybrid: the
rule that matched; absent when none did), X-Mockloop-Fallback (the live failure the mock
answered for, when the plugin or the rule says "fallback: mock"). A request header
"X-Mockloop-Mode: mock|proxy" forces the side for that request (--no-mode-override ignores it);
it is never forwarded. Request bodies over --max-body get 413.

Admin API (JSON; loopback clients only, or anyone with "Authorization: Bearer TOKEN" when
--admin-token is set):
  GET  /__mockloop/status    {"mode", "plugin", "spec": {"title", "version", "openapi",
                             "source", "operations"}, "target", "live", "mode_override",
                             "started_at", "uptime_seconds", "requests": {"total",
                             "mock": {"2xx": n, ...}, "proxy": {...}}, "rules": [{"rule",
                             "pattern", "method", "condition", "mode", "priority", "hits"}]}
  GET  /__mockloop/mode      {"mode"}
  PUT  /__mockloop/mode      body {"mode": "proxy"} or ?mode=proxy -> {"mode", "previous"};
                             400 for a bad mode, 409 when proxy/hybrid has no target
  GET  /__mockloop/requests  ?limit=100&method=GET&path=/pets/{id} (a path, a template, or a
                             prefix ending in *) -> {"capacity", "requests": [{"time", "method",
                             "path", "query", "status", "latency_ms", "side", "rule",
                             "fallback", "operation", "request_headers",
                             "response_headers"}]}, newest first, credentials shown as ***
  GET  /__mockloop/metrics   {"uptime_seconds", "operations": [{"operation", "operation_id",
                             "count", "errors_4xx", "errors_5xx", "response_violations",
                             "p50_ms", "p95_ms", "p99_ms"}]}`

func newServeCmd(f *Factory, runF func(*serveOptions) error) *cobra.Command {
	opts := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [PLUGIN]",
		Short: "Serve an API in mock, proxy or hybrid mode",
		Long:  serveLong,
		Example: `  $ mockloop serve
  $ mockloop serve --spec petstore.yaml --addr 127.0.0.1:0
  $ mockloop serve petstore --mode hybrid --cors
  $ mockloop serve --spec api.yaml --mode proxy --target https://api.example.com/v2
  $ curl -X PUT 'http://127.0.0.1:8000/__mockloop/mode?mode=mock'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Plugin = args[0]
			}
			opts.set = func(name string) bool { return name != "" && cmd.Flags().Changed(name) }
			if opts.MaxBody < 0 {
				return usageErrorf("--max-body must not be negative")
			}
			if runF != nil {
				return runF(opts)
			}
			return runServe(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Spec, "spec", "", "OpenAPI document: a file, an http(s) URL, or - for stdin (default: the plugin's, else the embedded example)")
	fl.StringVar(&opts.Mode, "mode", "", "mock, proxy or hybrid (default: the plugin's, else mock)")
	fl.StringVar(&opts.Target, "target", "", "base URL of the live API for proxy and hybrid modes")
	fl.StringVar(&opts.Addr, "addr", defaultAddr, "address to listen on (:0 picks a free port)")
	fl.BoolVar(&opts.NoValidateRequests, "no-validate-requests", false, "answer requests that do not match the spec instead of 400/422")
	fl.BoolVar(&opts.NoSecurity, "no-security", false, "do not require the credentials the spec's security requirements name")
	fl.BoolVar(&opts.CORS, "cors", false, "answer CORS preflight requests and add permissive CORS headers")
	fl.StringVar(&opts.AdminToken, "admin-token", "", "open the admin API to any client presenting this bearer token")
	fl.StringVar(&opts.LogFormat, "log-format", "text", "request log format: text or json")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "no request log")
	fl.BoolVar(&opts.NoModeOverride, "no-mode-override", false, "ignore the X-Mockloop-Mode request header")
	fl.BoolVar(&opts.ValidateResponses, "validate-responses", false, "check live responses against the spec; log and count violations")
	fl.Int64Var(&opts.MaxBody, "max-body", proxy.DefaultMaxBodyBytes, "largest request body accepted, in bytes (0: no limit)")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "print every spec load warning")
	fl.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight requests may take to finish on SIGINT/SIGTERM")
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"mock", "proxy", "hybrid"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runServe(ctx context.Context, f *Factory, opts *serveOptions) error {
	errOut := f.IOStreams.ErrOut
	name := opts.Plugin
	if name == "" {
		name = f.Getenv("MOCKLOOP_PLUGIN")
	}
	var p *plugin.Plugin
	if name != "" {
		var err error
		if p, err = plugin.NewStore(f.PluginsDir()).Get(name); err != nil {
			if errors.Is(err, plugin.ErrNotFound) {
				return usageErrorf("plugin %q not found in %s (see 'mockloop plugin list')", name, f.PluginsDir())
			}
			return fmt.Errorf("serve: %w", err)
		}
	}
	set, err := resolveServe(opts, opts.set, p, f.LookupEnv)
	if err != nil {
		return err
	}

	doc, err := spec.Load(ctx, set.Spec, spec.Options{Stdin: f.IOStreams.In, Client: f.HTTPClient})
	if err != nil {
		return err
	}
	printWarnings(errOut, doc, opts.Verbose)

	engine := mock.New(doc, mock.Options{ValidateRequests: !opts.NoValidateRequests, CheckSecurity: !opts.NoSecurity})
	metrics := proxy.NewMetrics(doc.Operations)
	redactHeaders, redactQuery := redactNames(set.Auth)
	cfg := proxy.Config{
		Doc:            doc,
		Mock:           engine,
		Mode:           set.Mode,
		Fallback:       set.Fallback,
		NoModeOverride: opts.NoModeOverride,
		Target:         set.Target,
		AdminToken:     set.AdminToken,
		CORS:           set.CORS,
		LogFormat:      set.LogFormat,
		RedactHeaders:  redactHeaders,
		RedactQuery:    redactQuery,
		MaxBodyBytes:   opts.MaxBody,
		Metrics:        metrics,
	}
	if opts.MaxBody == 0 {
		cfg.MaxBodyBytes = -1
	}
	if p != nil {
		cfg.PluginName = p.Name
	}
	if !opts.Quiet {
		cfg.Log = errOut
	}
	if set.Target != "" {
		live, decider, err := liveSide(f, p, set, engine, metrics, opts.ValidateResponses)
		if err != nil {
			return err
		}
		defer live.Close()
		cfg.Live, cfg.Decider = live, decider
	}
	srv, err := proxy.NewServer(cfg)
	if err != nil {
		return err
	}
	defer tuneServeGC(f.LookupEnv)() // the document is loaded and prepared: see serve_gc.go

	ln, err := net.Listen("tcp", set.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", set.Addr, err)
	}
	fmt.Fprintf(errOut, "listening on http://%s (mode %s, %d operations%s)\n", ln.Addr(), srv.Mode(), srv.Operations(), describeTarget(set))
	exampleCtx, stopExamples := context.WithCancel(ctx)
	defer stopExamples()
	go reportExamples(exampleCtx, errOut, engine, opts.Verbose)
	return serveUntilSignal(ctx, ln, srv, errOut, opts.ShutdownTimeout)
}

// reportExamples warns once about response examples that do not match their schemas (the mock
// serves them only when a Prefer header names them). It runs in the background: checking every
// example of a very large spec takes seconds, which must not delay the first response.
func reportExamples(ctx context.Context, w io.Writer, engine *mock.Engine, verbose bool) {
	problems := engine.ExampleProblems(ctx)
	if len(problems) == 0 || ctx.Err() != nil {
		return
	}
	shown := len(problems)
	if !verbose && shown > maxWarningsShown {
		shown = maxWarningsShown
	}
	if len(problems) == 1 {
		fmt.Fprintln(w, "warning: 1 response example does not match its schema (served only when Prefer names it; 'mockloop plugin validate' lists every problem)")
	} else {
		fmt.Fprintf(w, "warning: %d response examples do not match their schemas (served only when Prefer names them; 'mockloop plugin validate' lists every problem)\n", len(problems))
	}
	for _, p := range problems[:shown] {
		fmt.Fprintf(w, "  %s\n", p.Location)
	}
	if shown < len(problems) {
		fmt.Fprintf(w, "  ... and %d more (--verbose shows all)\n", len(problems)-shown)
	}
}

// serveUntilSignal serves on ln until SIGINT/SIGTERM (or ctx ends), then lets in-flight requests
// finish for at most timeout and flushes the request log.
func serveUntilSignal(ctx context.Context, ln net.Listener, srv *proxy.Server, errOut io.Writer, timeout time.Duration) error {
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          log.New(errOut, "mockloop: http: ", 0),
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	select {
	case err := <-served:
		srv.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal kills the process the usual way
	fmt.Fprintf(errOut, "shutting down: waiting up to %s for requests in flight\n", timeout)
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	srv.Close()
	if err != nil {
		hs.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("serve: requests still in flight after %s were cut off (see --shutdown-timeout)", timeout)
		}
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	<-served
	fmt.Fprintln(errOut, "stopped")
	return nil
}

// printWarnings reports the spec's load warnings once: a count and the first few.
func printWarnings(w io.Writer, doc *spec.Document, verbose bool) {
	n := len(doc.Warnings)
	if n == 0 {
		return
	}
	shown := n
	if !verbose && shown > maxWarningsShown {
		shown = maxWarningsShown
	}
	plural := "s"
	if n == 1 {
		plural = ""
	}
	fmt.Fprintf(w, "warning: %s: %d problem%s in the spec (served anyway)\n", doc.Source, n, plural)
	for _, warn := range doc.Warnings[:shown] {
		fmt.Fprintf(w, "  %s\n", warn)
	}
	if shown < n {
		fmt.Fprintf(w, "  ... and %d more (--verbose shows all)\n", n-shown)
	}
}

// liveSide builds the forwarder and the route rules (always, so that a running server can be
// switched to hybrid). With validate, live answers are checked against the spec as they stream
// through: violations are counted in the metrics and logged.
func liveSide(f *Factory, p *plugin.Plugin, set serveSettings, engine *mock.Engine, metrics *proxy.Metrics, validate bool) (*proxy.Forwarder, proxy.Decider, error) {
	var rules []plugin.RouteRule
	if p != nil {
		rules = p.RouteRules
	}
	decider, err := proxy.CompileRules(routeRules(rules), proxy.ModeProxy, set.Fallback)
	if err != nil {
		return nil, nil, usageErrorf("plugin %s: %v", p.Name, err)
	}
	cfg := forwardConfig(p, set, f.LookupEnv)
	cfg.ErrorLog = log.New(f.IOStreams.ErrOut, "mockloop: proxy: ", 0)
	if validate {
		cfg.ModifyResponse = proxy.ValidateResponses(engine.ValidateResponse, metrics, f.IOStreams.ErrOut)
	}
	live, err := proxy.NewForwarder(cfg)
	if err != nil {
		return nil, nil, usageErrorf("%v", err)
	}
	return live, decider, nil
}
