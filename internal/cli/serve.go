package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/atomicfile"
	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/shadow"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
	"github.com/mockloop/mockloop/internal/testrun"
)

// serveOptions are serve's flags and argument, and what it needs from outside.
type serveOptions struct {
	IO        *iostreams.IOStreams
	Plugins   *plugin.Store
	LookupEnv func(string) (string, bool)
	Client    *http.Client
	Load      spec.Options

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
	ReadTimeout        time.Duration
	DemoLive           bool
	MockData           string
	Port               int
	Host               string
	Dynamic            bool
	Seed               uint64
	Errors             bool
	Watch              bool
	ReadyFile          string
	Latency            string
	FaultRate          string
	Stateful           bool
	StatefulSeed       bool
	LogLevel           string
	UpstreamProxy      string
	TLSCert            string
	TLSKey             string
	TLSSelfSigned      bool
	// Simulation is what the simulation flags say (serve_simulation.go).
	Simulation  *stack.Simulation
	Overlays    []string
	Record      recordFlags
	Replay      string
	ReplayMatch string
	// Shadow compares a ShadowRate share of the live answers with the mock's, off the
	// client's path (GET /__mockloop/drift).
	Shadow     bool
	ShadowRate float64

	// Flags are the precedence-resolved settings given on the command line (nil: not given).
	Flags stack.Flags
	// LogLevelFlag is --log-level when given (nil: MOCKLOOP_LOG_LEVEL, else info).
	LogLevelFlag *string
}

// maxWarningsShown is how many load warnings serve prints without --verbose.
const maxWarningsShown = 5

const serveLong = `Serve an OpenAPI document as a working API.

In mock mode every request is answered from the spec: examples first, else data generated from
the schemas, after validating the request. In proxy mode every request is forwarded to the target
with the plugin's credentials injected. In hybrid mode route rules decide per request; requests no
rule matches go to the live API. With no plugin and no --spec, the embedded example API is served;
a SPEC argument (a path, a .yaml or .json file, or a URL) is the same as --spec.

Settings come from flags, then the environment, then the plugin file, then defaults:
  --spec         MOCKLOOP_SPEC
  --mode         MOCKLOOP_MODE, PROXY_MODE
  --target       MOCKLOOP_TARGET, API_BASE_URL
  --addr         MOCKLOOP_ADDR                 (default 127.0.0.1:8000; ":0" picks a free port;
                                               or --host H and -p/--port N, as Prism takes them)
  --admin-token  MOCKLOOP_ADMIN_TOKEN
  --log-format   MOCKLOOP_LOG_FORMAT
  --log-level    MOCKLOOP_LOG_LEVEL            (default info)
  --upstream-proxy MOCKLOOP_UPSTREAM_PROXY     (default: the plugin's upstream_proxy, else
                 HTTPS_PROXY/HTTP_PROXY/NO_PROXY; "none" connects directly)
  --cors         MOCKLOOP_CORS
  PLUGIN         MOCKLOOP_PLUGIN
  auth type      MOCKLOOP_AUTH_TYPE, AUTH_TYPE  (replaces the plugin's auth type; without plugin
                 auth, api_key reads ${API_KEY}, bearer_token ${API_TOKEN}, basic_auth
                 ${API_USERNAME}/${API_PASSWORD}, oauth2 ${OAUTH2_*}; "none" turns auth off)

The real address is printed on stderr as "listening on http://ADDR (mode M, N operations)",
followed by one line per request (--log-format text|json, --quiet for none). Besides the request
log, --log-level debug writes a line per routing decision (rule, condition, side, A/B split),
per upstream attempt (URL without secrets, outcome, time); info adds retries (reason, backoff),
oauth2 token requests and fallbacks; warn answers that broke mid-body, rule conditions that fail
at run time and TLS verification turned off. Secrets never appear, at any level.

HTTPS: --tls-cert FILE --tls-key FILE serve HTTPS (HTTP/2 on); --tls-self-signed makes a
throw-away certificate for localhost, 127.0.0.1 and ::1 and prints its SHA-256 fingerprint and
public-key pin on stderr. Problems found
while loading the spec are printed once before it; response examples that do not match their
schemas (served only when a Prefer header names them) are reported once, checked in the
background so a large spec does not delay the first response. With --log-format json every line
is JSON, the start and stop lines and the warnings too. SIGINT or SIGTERM stop the server after
the requests in flight finish (at most --shutdown-timeout).

Reloading: SIGHUP reloads the spec and the plugin file; with --watch they are reloaded when they
change. A reload that fails (a broken edit) keeps serving the previous document and says why;
requests in flight finish on the document they started on. The address cannot change.

Generated data: deterministic per request (the same request gets the same answer); --seed N
changes it, --dynamic makes every answer fresh (as "Prefer: dynamic=true" does for one request;
with --seed the sequence is reproducible). Prefer values are case-insensitive.

Live answers: --validate-responses checks them against the spec (counted in metrics, logged,
and marked with X-Mockloop-Violations: N); --errors turns a violating answer into a 502
problem+json listing the violations, as Prism's --errors does.

Response headers: X-Mockloop-Mode (mock or proxy: who answered), X-Mockloop-Rule (hybrid: the
rule that matched; absent when none did), X-Mockloop-Fallback (the live failure the mock
answered for, when the plugin or the rule says "fallback: mock"). A request header
"X-Mockloop-Mode: mock|proxy" forces the side for that request (--no-mode-override ignores it);
it is never forwarded. X-Mockloop-Source says where a mock answer's body came from: example,
generated, or recording.

Keeping the mock honest: --record DIR writes every live answer (proxy and hybrid; the live
side must exist) into DIR, one JSON file per operation (docs/recordings.md), credentials,
cookies and the plugin's redact: fields replaced by ***. --replay DIR (or the plugin's
replay:) answers the mock side from such recordings first: the same request gets its recorded
answer, another request of a recorded operation the closest one (--replay-match exact turns
that off), anything else the spec's. --overlay FILE (repeatable, after the plugin's overlays:)
applies OpenAPI Overlay documents, such as the one 'mockloop examples accept' writes, so
"Prefer: example=live-200" serves an accepted live body.

Limits against clients that hold on: request bodies over --max-body get 413; the mock validates
at most --max-body bytes of request bodies at once (a decoded JSON body costs about 15 times its
size), others wait their turn up to 30s, then get 503 with Retry-After; headers must arrive
within 10s and a body within --read-timeout of its headers, and a connection whose body read
failed is closed; idle keep-alive connections close after 2 minutes. The request log keeps at most
4 KiB of headers and 2 KiB of path and of query per request, cut values marked.

Simulation (docs/simulation.md): --latency and --fault-rate, or the plugin's simulation: block
(rules by path, operationId, method and condition), delay and break answers, mock and live
alike; "Prefer: delay=300" or "Prefer: fault=KIND" (reset, empty, malformed, timeout, status,
or a status code) does it for one request; --seed makes the draws repeatable. Runtime
overrides (the plugin's overrides:, the admin API, MCP's set_override) and --stateful resources
answer on the mock side before the spec does. X-Mockloop-Simulation lists what was applied
("delay=300ms", "fault=status 503", "override=getPet 1/2", "state=created /pets/3"); a dropped
connection is logged with status 0.

Admin API (JSON; loopback clients asking for an IP address or a localhost name, or anyone with
"Authorization: Bearer TOKEN" when --admin-token is set; health and ready answer anyone, for
probes; with --cors, pages on other origins may read it but never with credentials, and without
a token may not change it):
  GET  /__mockloop/health    {"status": "ok"}: the process answers (liveness)
  GET  /__mockloop/ready     {"status": "ok"}: the spec is loaded (readiness)
  GET  /__mockloop/status    {"mode", "plugin", "spec": {"title", "version", "openapi",
                             "source", "operations"}, "target", "live", "mode_override",
                             "started_at", "uptime_seconds", "requests": {"total",
                             "mock": {"2xx": n, ...}, "proxy": {...}, "aborted"}, "rules":
                             [{"rule", "pattern", "method", "condition", "mode", "priority",
                             "percent", "key", "hits", "sides": {"mock", "proxy"},
                             "condition_errors", "last_condition_error"}], "insecure_tls",
                             "features": {"simulation": {"delayed", "faults"}, "overrides":
                             {"active", "answered", "schema_violations"}, "state":
                             {"collections", "resources", "evicted"}}}
  GET  /__mockloop/mode      {"mode"}
  PUT  /__mockloop/mode      body {"mode": "proxy"} or ?mode=proxy -> {"mode", "previous"};
                             400 for a bad mode, 409 when proxy/hybrid has no target
  GET  /__mockloop/requests  ?limit=100&method=GET&path=/pets/{id} (a path, a template, or a
                             prefix ending in *) -> {"capacity", "requests": [{"time", "method",
                             "path", "query", "status", "latency_ms", "side", "rule",
                             "fallback", "operation", "error", "request_headers",
                             "response_headers"}]}, newest first, credentials shown as ***;
                             error: a live answer that broke after its status was sent
  GET  /__mockloop/metrics   {"uptime_seconds", "operations": [{"operation", "operation_id",
                             "count", "errors_4xx", "errors_5xx", "response_violations",
                             "aborted", "p50_ms", "p95_ms", "p99_ms"}], "live": {"attempts",
                             "retries", "failures", "broken_answers", "token_requests",
                             "token_refreshes"}}; with "Accept: text/plain" (what Prometheus
                             sends), or at /__mockloop/metrics/prometheus, the Prometheus text
                             format: mockloop_requests_total{operation, side, class},
                             mockloop_request_duration_seconds (histogram),
                             mockloop_response_violations_total, mockloop_fallbacks_total,
                             mockloop_live_<name>_total for each "live" count
  GET  /__mockloop/simulation  {"seed", "latency", "fault", "rules": [{"rule", ..., "hits"}],
                             "delayed", "faults": {"reset": n, ...}}
  GET, PUT, DELETE /__mockloop/overrides[/{operationId}]
                             PUT {"status", "headers", "body"} | {"example"} | {"responses":
                             [...], "cycle", "times"} -> the override with "warnings" where it
                             violates the spec; GET lists or shows; DELETE removes one or all
  GET  /__mockloop/state     (--stateful) the collections and their resources
  POST /__mockloop/state/reset  empty them (seed again with --stateful-seed)
  GET  /__mockloop/drift     with --shadow: ?limit=10&operation=KEY|operationId -> {"rate",
                             "since", "sampled", "compared", "pending", "dropped",
                             "truncated", "failed", "queue_capacity", "operations":
                             [{"operation", "operation_id", "requests", "compared",
                             "with_differences", "difference_share", "skipped",
                             "locations": [{"location", "count", "kinds": {"changed": n},
                             "latest": {"time", "request", "location", "kind", "mock",
                             "live"}}], "other_locations"}]}; DELETE starts counting again

Shadow comparison (--shadow, proxy or hybrid mode): clients get the live answers as always;
for --shadow-rate of each operation's live requests (0.1: the 1st, 11th, 21st...), the mock
answers the same request again in the background, off the client's path, with a placeholder
for the credentials the proxy injects, and the two answers are compared with the plugin's
comparison settings (learned noise included, see 'mockloop noise learn'). Memory is bounded:
a queue of 256 sampled requests (more are dropped and counted, never waited for), 50 locations
per operation, the latest example of each, secrets hidden.`

func newServeCmd(f *Factory, runF func(*serveOptions) error) *cobra.Command {
	opts := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [PLUGIN | SPEC]",
		Short: "Serve an API in mock, proxy or hybrid mode",
		Long:  serveLong,
		Example: `  $ mockloop serve
  $ mockloop serve --spec petstore.yaml --addr 127.0.0.1:0
  $ mockloop serve petstore --mode hybrid --cors
  $ mockloop serve --spec api.yaml --mode proxy --target https://api.example.com/v2 --errors
  $ mockloop serve --spec api.yaml -p 4010 --watch --seed 7
  $ mockloop serve petstore --log-level debug --upstream-proxy http://proxy.corp:3128
  $ mockloop serve petstore --tls-self-signed --addr 127.0.0.1:8443
  $ mockloop serve --spec api.yaml --mode proxy --target https://api.example.com --record recordings
  $ mockloop serve --spec api.yaml --replay recordings
  $ mockloop serve --spec api.yaml --overlay live-examples.yaml
  $ curl -X PUT 'http://127.0.0.1:8000/__mockloop/mode?mode=mock'
  $ mockloop serve --spec petstore.yaml --stateful --latency uniform:20ms,80ms --fault-rate 0.05:reset --seed 7`,
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
			if cmd.Flags().Changed("addr") && (cmd.Flags().Changed("port") || cmd.Flags().Changed("host")) {
				return usageErrorf("give --addr, or --host and --port, not both")
			}
			if opts.Port < 0 || opts.Port > 65535 {
				return usageErrorf("--port %d: want 0 to 65535", opts.Port)
			}
			opts.Flags = serveFlags(cmd, opts)
			if cmd.Flags().Changed("log-level") {
				opts.LogLevelFlag = &opts.LogLevel
			}
			if opts.MaxBody < 0 {
				return usageErrorf("--max-body must not be negative")
			}
			if opts.ReadTimeout < 0 {
				return usageErrorf("--read-timeout must not be negative")
			}
			if err := checkMockData(opts.MockData); err != nil {
				return err
			}
			if opts.DemoLive && (opts.Plugin != "" || opts.Flags.Spec != nil || opts.Flags.Mode != nil || opts.Flags.Target != nil) {
				return usageErrorf("--demo-live serves the demo's live bookshop: it takes no PLUGIN, SPEC, --spec, --mode or --target")
			}
			if opts.Simulation, err = serveSimulation(cmd, opts); err != nil {
				return err
			}
			if (opts.TLSCert == "") != (opts.TLSKey == "") {
				return usageErrorf("--tls-cert and --tls-key go together")
			}
			if opts.TLSSelfSigned && opts.TLSCert != "" {
				return usageErrorf("--tls-self-signed makes its own certificate: give it or --tls-cert/--tls-key, not both")
			}
			if err := opts.Record.check(); err != nil {
				return err
			}
			if opts.ReplayMatch != "closest" && opts.ReplayMatch != "exact" {
				return usageErrorf("--replay-match: want closest or exact, got %q", opts.ReplayMatch)
			}
			if opts.ShadowRate <= 0 || opts.ShadowRate > 1 {
				return usageErrorf("--shadow-rate %v: want a share above 0 and at most 1", opts.ShadowRate)
			}
			if runF != nil {
				return runF(opts)
			}
			return runServe(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Spec, "spec", "", specUsage)
	fl.StringVar(&opts.Mode, "mode", "", "mock, proxy or hybrid (default: the plugin's, else mock)")
	fl.StringVar(&opts.Target, "target", "", "base URL of the live API for proxy and hybrid modes")
	fl.StringVar(&opts.Addr, "addr", stack.DefaultAddr, "address to listen on (:0 picks a free port)")
	fl.IntVarP(&opts.Port, "port", "p", 0, "port to listen on, as Prism takes it (with --host; instead of --addr)")
	fl.StringVar(&opts.Host, "host", "", "host or IP to listen on (with --port; default 127.0.0.1)")
	fl.BoolVar(&opts.Dynamic, "dynamic", false, "generate every answer afresh, as 'Prefer: dynamic=true' does for one request")
	fl.Uint64Var(&opts.Seed, "seed", 0, "seed of generated data, simulated latency and faults, and stateful ids (reproducible answers, and a reproducible sequence with --dynamic)")
	fl.BoolVar(&opts.Errors, "errors", false, "live answers that violate the spec become 502 problem+json listing the violations (implies --validate-responses)")
	fl.BoolVar(&opts.Watch, "watch", false, "reload the spec and the plugin file when they change (SIGHUP always reloads)")
	fl.StringVar(&opts.ReadyFile, "ready-file", "", "write the listening address to FILE once the server answers (for scripts and CI)")
	fl.BoolVar(&opts.NoValidateRequests, "no-validate-requests", false, "answer requests that do not match the spec instead of 400/422")
	fl.BoolVar(&opts.NoSecurity, "no-security", false, "do not require the credentials the spec's security requirements name")
	fl.BoolVar(&opts.CORS, "cors", false, "answer CORS preflight requests and add permissive CORS headers")
	fl.StringVar(&opts.AdminToken, "admin-token", "", "open the admin API to any client presenting this bearer token")
	fl.StringVar(&opts.LogFormat, "log-format", "text", "request log format: text or json")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "no request log")
	fl.BoolVar(&opts.NoModeOverride, "no-mode-override", false, "ignore the X-Mockloop-Mode request header")
	fl.BoolVar(&opts.ValidateResponses, "validate-responses", false, "check live responses against the spec; log and count violations")
	fl.Int64Var(&opts.MaxBody, "max-body", server.DefaultMaxBodyBytes, "largest request body accepted, in bytes (0: no limit)")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "print every spec load warning")
	fl.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight requests may take to finish on SIGINT/SIGTERM")
	addMockDataFlag(cmd, &opts.MockData)
	fl.BoolVar(&opts.DemoLive, "demo-live", false, "serve the demo's live bookshop instead (the embedded example API as a real server would answer it, drifting from its spec; default address 127.0.0.1:9000)")
	fl.DurationVar(&opts.ReadTimeout, "read-timeout", defaultReadTimeout, "how long a client may take to send a request's body after its headers (and its headers, when under 10s); 0: no limit")
	fl.StringVar(&opts.Latency, "latency", "", "delay every answer: 200ms, uniform:100ms,300ms or lognormal:80ms,0.4 (median, sigma)")
	fl.StringVar(&opts.FaultRate, "fault-rate", "", "fail a share of the answers: RATE[:KIND], KIND reset, empty, malformed, timeout, status or a status code (default 503)")
	fl.BoolVar(&opts.Stateful, "stateful", false, "keep the resources POST, PUT and PATCH send, and answer GET and DELETE from them")
	fl.BoolVar(&opts.StatefulSeed, "stateful-seed", false, "start the stateful resources from the spec's examples (implies --stateful)")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "lines besides the request log: debug, info, warn or error")
	fl.StringVar(&opts.UpstreamProxy, "upstream-proxy", "", "egress proxy for live requests (http://user:${PASS}@host:port, or none); default HTTPS_PROXY/HTTP_PROXY")
	fl.StringVar(&opts.TLSCert, "tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	fl.StringVar(&opts.TLSKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	fl.BoolVar(&opts.TLSSelfSigned, "tls-self-signed", false, "serve HTTPS with a throw-away certificate for localhost (its fingerprint is printed)")
	_ = cmd.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions(stack.LogLevels, cobra.ShellCompDirectiveNoFileComp))
	addOverlayFlag(cmd, &opts.Overlays)
	addRecordFlags(fl, &opts.Record)
	fl.StringVar(&opts.Replay, "replay", "", "answer the mock side from the recordings in DIR first (default: the plugin's replay; --replay '' turns it off)")
	fl.StringVar(&opts.ReplayMatch, "replay-match", "closest", "a request no recording matches exactly: closest (the nearest recording of its operation) or exact (the spec answers)")
	fl.BoolVar(&opts.Shadow, "shadow", false, "in proxy or hybrid mode, have the mock answer a share of the live requests in the background and compare (GET /__mockloop/drift)")
	fl.Float64Var(&opts.ShadowRate, "shadow-rate", shadow.DefaultRate, "the share of each operation's live requests --shadow compares (0 < rate <= 1)")
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"mock", "proxy", "hybrid"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// serveFlags are the settings given on serve's command line, for stack.Resolve.
func serveFlags(cmd *cobra.Command, opts *serveOptions) stack.Flags {
	given := func(name string, v *string) *string {
		if cmd.Flags().Changed(name) {
			return v
		}
		return nil
	}
	f := stack.Flags{
		Spec: given("spec", &opts.Spec), Mode: given("mode", &opts.Mode), Target: given("target", &opts.Target),
		Addr: given("addr", &opts.Addr), AdminToken: given("admin-token", &opts.AdminToken), LogFormat: given("log-format", &opts.LogFormat),
		UpstreamProxy: given("upstream-proxy", &opts.UpstreamProxy),
	}
	if cmd.Flags().Changed("port") || cmd.Flags().Changed("host") {
		host, port := opts.Host, strconv.Itoa(opts.Port)
		if host == "" {
			host = "127.0.0.1"
		}
		if !cmd.Flags().Changed("port") {
			port = "8000"
		}
		addr := net.JoinHostPort(host, port)
		f.Addr = &addr
	}
	if cmd.Flags().Changed("cors") {
		f.CORS = &opts.CORS
	}
	f.MockData = given("mock-data", &opts.MockData)
	f.Replay = given("replay", &opts.Replay)
	return f
}

func runServe(ctx context.Context, opts *serveOptions) error {
	if opts.DemoLive {
		return runDemoLive(ctx, opts)
	}
	// Settings that cannot change on a reload: the address, the log format.
	p, err := findPlugin(opts.Plugins, opts.Plugin, opts.LookupEnv)
	if err != nil {
		return err
	}
	set, err := stack.Resolve(p, opts.Flags, opts.LookupEnv)
	if err == nil {
		err = set.Check()
	}
	if err != nil {
		return usageErrorf("%v", err)
	}
	var chatter io.Writer = opts.IO.ErrOut
	if set.LogFormat == server.LogJSON {
		chatter = &jsonLines{w: opts.IO.ErrOut} // every line JSON, start and stop lines too
	}
	level, err := stack.LogLevel(opts.LogLevelFlag, opts.LookupEnv, slog.LevelInfo)
	if err != nil {
		return usageErrorf("%v", err)
	}
	logger := newLogger(opts.IO.ErrOut, level, set.LogFormat)
	tlsConfig, err := serveTLS(chatter, opts)
	if err != nil {
		return err
	}
	var ext serveExtensions // --record and --replay; kept across reloads
	defer ext.close()       // after the server and its stacks: the recordings are complete
	var shadows shadowSlot  // --shadow: one per stack, the current one running
	defer shadows.swap(nil)
	build := func(ctx context.Context) (*stack.Stack, error) {
		p, err := findPlugin(opts.Plugins, opts.Plugin, opts.LookupEnv)
		if err != nil {
			return nil, err
		}
		set, err := stack.Resolve(p, opts.Flags, opts.LookupEnv)
		if err == nil {
			err = set.Check()
		}
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		load, err := stack.LoadOptions(withOverlays(opts.Load, opts.Overlays), p)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		doc, err := spec.Load(ctx, set.Spec, load)
		if err != nil {
			return nil, err
		}
		printWarnings(chatter, doc, opts.Verbose)
		so := serveStackOptions(opts, chatter, logger)
		if err := ext.build(opts, set, doc, &so, chatter); err != nil {
			return nil, err
		}
		sh, err := newShadow(opts, set, doc, &so) // one per stack: a reload starts counting again
		if err != nil {
			return nil, err
		}
		st, err := stack.Build(doc, set, so)
		if err != nil {
			if sh != nil {
				sh.Close()
			}
			return nil, usageErrorf("%v", err)
		}
		ext.bind(st)
		if sh != nil {
			sh.Start(st.Mock, st.Redact)
			shadows.swap(sh) // the previous stack's shadow stops; in-flight requests just queue
		}
		return st, nil
	}
	st, err := build(ctx)
	if err != nil {
		return err
	}
	exampleCtx, stopExamples := context.WithCancel(ctx)
	defer stopExamples()
	rl := &reloader{chatter: chatter, build: build,
		onSwap: func(st *stack.Stack) {
			go func() {
				reportExamples(exampleCtx, chatter, st.Mock, opts.Verbose)
				reportMockNotes(exampleCtx, chatter, st.Mock, opts.Verbose)
			}()
		}}
	rl.current.Store(st)
	defer rl.close()
	defer tuneServeGC(opts.LookupEnv)() // the document is loaded and prepared: see serve_gc.go

	ln, err := net.Listen("tcp", set.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", set.Addr, err)
	}
	// The file before the line: a script that saw either may use both.
	if opts.ReadyFile != "" {
		if err := writeReadyFile(opts.ReadyFile, ln.Addr().String()); err != nil {
			ln.Close()
			return err
		}
		defer os.Remove(opts.ReadyFile)
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	fmt.Fprintf(chatter, "listening on %s://%s (mode %s, %d operations%s)\n", scheme, ln.Addr(), st.Handler.Mode(), st.Handler.Operations(), describeTarget(st.Settings))
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil && !isLoopbackHost(host) {
		fmt.Fprintf(chatter, "warning: listening on %s, reachable from other hosts: the API answers anyone; the admin API answers loopback clients only%s\n",
			ln.Addr(), map[bool]string{true: " and holders of the --admin-token", false: " (--admin-token opens it to others)"}[set.AdminToken != ""])
	}
	rl.onSwap(st)
	files := []string{st.Settings.Spec}
	if p != nil {
		files = append(files, opts.Plugins.Path(p.Name))
		files = append(files, p.Overlays...)
	}
	files = append(files, opts.Overlays...)
	go watchReloads(exampleCtx, rl, opts.Watch, files)
	return serveUntilDone(ctx, ln, tlsConfig, rl, rl.close, chatter, opts.ShutdownTimeout, opts.ReadTimeout)
}

// serveStackOptions are the stack options serve's flags set; logger gets the live side's lines.
func serveStackOptions(opts *serveOptions, chatter io.Writer, logger *slog.Logger) stack.Options {
	so := stack.Options{
		NoValidateRequests:  opts.NoValidateRequests,
		NoSecurity:          opts.NoSecurity,
		NoModeOverride:      opts.NoModeOverride,
		Dynamic:             opts.Dynamic,
		Seed:                opts.Seed,
		MaxBodyBytes:        opts.MaxBody,
		Errors:              chatter,
		ValidateResponses:   opts.ValidateResponses,
		ViolationsAreErrors: opts.Errors,
		LookupEnv:           opts.LookupEnv,
		Simulation:          opts.Simulation,
		Logger:              logger,
	}
	if opts.MaxBody == 0 {
		so.MaxBodyBytes = -1
	}
	if !opts.Quiet {
		so.Log = opts.IO.ErrOut // the request log: text, or JSON by itself
	}
	return so
}

// isLoopbackHost reports whether a listening host is loopback only.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// writeReadyFile writes the address atomically, so a script polling for the file never reads
// half of it.
func writeReadyFile(name, addr string) error {
	if err := atomicfile.WriteBytes(name, []byte(addr+"\n"), 0o644, atomicfile.NoSync()); err != nil {
		return fmt.Errorf("--ready-file: %w", err)
	}
	return nil
}

// findPlugin reads the named plugin (PLUGIN, else MOCKLOOP_PLUGIN); nil when none is named.
func findPlugin(store *plugin.Store, name string, lookup func(string) (string, bool)) (*plugin.Plugin, error) {
	if name == "" {
		for _, k := range stack.Env.Plugin {
			if v, ok := lookup(k); ok && v != "" {
				name = v
				break
			}
		}
	}
	if name == "" {
		return nil, nil
	}
	p, err := store.Get(name)
	if errors.Is(err, plugin.ErrNotFound) {
		return nil, usageErrorf("plugin %q not found in %s (see 'mockloop plugin list')", name, store.Dir())
	}
	return p, err
}

// describeTarget is the target for the "listening on" line.
func describeTarget(s stack.Settings) string {
	if s.Target == "" {
		return ""
	}
	return fmt.Sprintf(", target %s", redact.URL(s.Target))
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

// reportMockNotes prints, once, what the mock cannot honour in the spec (mock.Engine.Warnings):
// computed in the background like the example check, since it visits every operation.
func reportMockNotes(ctx context.Context, w io.Writer, engine *mock.Engine, verbose bool) {
	notes := engine.Warnings(ctx)
	if len(notes) == 0 || ctx.Err() != nil {
		return
	}
	shown := len(notes)
	if !verbose && shown > maxWarningsShown {
		shown = maxWarningsShown
	}
	fmt.Fprintf(w, "note: %s the mock cannot honour (docs/mock-data.md; 'mockloop plugin validate' lists every one)\n", pluralize(len(notes), "thing"))
	for _, n := range notes[:shown] {
		fmt.Fprintf(w, "  %s\n", n)
	}
	if shown < len(notes) {
		fmt.Fprintf(w, "  ... and %d more (--verbose shows all)\n", len(notes)-shown)
	}
}

// The server's timeouts against clients that hold connections: the request line and headers
// must arrive within headerTimeout (or --read-timeout when it is shorter), a request's body
// within --read-timeout of its headers (see bodyDeadline), and an idle keep-alive connection is
// closed after idleTimeout.
const (
	headerTimeout      = 10 * time.Second
	defaultReadTimeout = 30 * time.Second
	idleTimeout        = 2 * time.Minute
)

// serveUntilDone serves on ln until ctx ends (Main cancels it on SIGINT or SIGTERM), then lets
// in-flight requests finish for at most timeout and flushes the request log.
// With tlsConfig it serves HTTPS, HTTP/2 included.
func serveUntilDone(ctx context.Context, ln net.Listener, tlsConfig *tls.Config, srv http.Handler, closeSrv func(), errOut io.Writer, timeout, readTimeout time.Duration) error {
	headers := headerTimeout
	if readTimeout > 0 {
		headers = min(headers, readTimeout)
	}
	handler := srv
	if readTimeout > 0 {
		handler = bodyDeadline{h: srv, d: readTimeout}
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: headers,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          log.New(errOut, "mockloop: http: ", 0),
		TLSConfig:         tlsConfig,
	}
	if d, ok := srv.(interface{ Drain() }); ok {
		hs.RegisterOnShutdown(d.Drain) // requests a simulated timeout holds let go
	}
	served := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			served <- hs.ServeTLS(ln, "", "") // the certificate is in TLSConfig; HTTP/2 is set up
			return
		}
		served <- hs.Serve(ln)
	}()

	select {
	case err := <-served:
		closeSrv()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintf(errOut, "shutting down: waiting up to %s for requests in flight\n", timeout)
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	closeSrv()
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

// bodyDeadline gives a request that has a body d to send it, counted from its headers, as
// --read-timeout says (http.Server's ReadTimeout counts from the request's first byte, headers
// included, and arms its timer for bodiless GETs too). Its cost is not what it was chosen for:
// against a build using ReadTimeout (bench/load.sh's ab part, two runs of 8 alternated rounds)
// ReadTimeout's throughput was 1.01x and 0.98x, its CPU per request 1.00x and 1.02x, within
// this machine's noise; the 4% once read from two separate runs was noise between runs. A
// client that stops sending its body gets the read error (and its connection closed, see
// server.closeOnFailure).
type bodyDeadline struct {
	h http.Handler
	d time.Duration
}

func (b bodyDeadline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		// ErrNotSupported (a writer without deadlines) leaves the request without one.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(b.d))
	}
	b.h.ServeHTTP(w, r)
}

// printLeftOut says which operations a generated plan has no case for, and why.
func printLeftOut(w io.Writer, plan *testrun.Plan) {
	for _, l := range plan.LeftOut {
		fmt.Fprintf(w, "note: no case for %s\n", l)
	}
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

// shadowSlot holds the shadow of the stack serving now: a reload starts the new one and stops
// the old (whose requests still in flight only queue, and are forgotten).
type shadowSlot struct {
	mu  sync.Mutex
	cur *shadow.Shadow
}

func (s *shadowSlot) swap(sh *shadow.Shadow) {
	s.mu.Lock()
	old := s.cur
	s.cur = sh
	s.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// newShadow builds serve --shadow's observer and admin route into so: the plugin's
// comparison settings, sampling at --shadow-rate. nil without --shadow.
func newShadow(opts *serveOptions, set stack.Settings, doc *spec.Document, so *stack.Options) (*shadow.Shadow, error) {
	if !opts.Shadow {
		return nil, nil
	}
	if set.Mode == plugin.ModeMock || set.Target == "" {
		return nil, usageErrorf("--shadow compares live answers with the mock's: serve in proxy or hybrid mode with a target")
	}
	var cmp compare.Config
	var headers []string
	if set.Plugin != nil {
		cmp = set.Plugin.Comparison
	}
	if set.Auth != nil && set.Auth.Name != "" {
		headers = append(headers, set.Auth.Name)
	}
	sh, err := shadow.New(shadow.Options{Doc: doc, Rate: opts.ShadowRate, Comparison: cmp, Policy: redact.NewPolicy(headers, headers)})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	so.LiveObservers = append(so.LiveObservers, sh)
	so.Admin = append(so.Admin, sh.AdminRoute())
	return sh, nil
}
