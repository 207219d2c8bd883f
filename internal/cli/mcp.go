package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/mcpserver"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

// mcpOptions are the inputs of `mockloop mcp`, and what it needs from outside.
type mcpOptions struct {
	IO        *iostreams.IOStreams
	Store     *plugin.Store
	LookupEnv func(string) (string, bool)
	Client    *http.Client
	Load      spec.Options
	Version   string

	Plugins    []string
	Operations []string
	Tools      string
	HTTP       string
	HTTPToken  string
	Overlays   []string
	Verbose    bool
	// LogLevel is --log-level; LogLevelFlag points at it when it was given.
	LogLevel     string
	LogLevelFlag *string
}

// mcpTokenEnv holds the --http-token when the flag is not given (a token on the command line
// is visible to every user of the machine).
const mcpTokenEnv = "MOCKLOOP_MCP_TOKEN"

const mcpLong = `Run a Model Context Protocol server, so an AI assistant can drive mockloop: on stdin/stdout
(the default), or with --http ADDR over the Streamable HTTP transport at http://ADDR/mcp.

Tools:
  create_mcp_plugin        create a plugin as 'mockloop plugin create' does, and expose its operations
  list_plugins             the saved plugins, their mode, tool mode and tools
  delete_plugin            delete a plugin and remove its tools
  execute_test_plan        what 'mockloop test run -o json' reports, with a run_id (collect_logs: true
                           attaches a running server's request log to each case)
  compare_operation        call one operation on the mock and on the live API and compare the answers
                           (the same JSON as 'mockloop diff -o json')
  diff_responses           compare two JSON values or two URLs' responses ('mockloop diff -o json')
  get_performance_metrics  latency, throughput and error rate of a run (the names of test run --metrics)
  switch_mode              change a plugin's mode, or a running server's (PUT /__mockloop/mode)
  set_override             change what an operation answers: a fixed answer, an example or a
                           sequence (a plugin's tools, or a running server's /__mockloop/overrides)
  <plugin>_<operationId>   one per API operation (tool mode operations): sends the request through
                           the plugin's mode (mock, proxy with its credentials, hybrid rules) in
                           process, exactly as 'mockloop serve PLUGIN' answers, and returns status,
                           headers and body (credentials never appear in results)
  search_operations        (tool mode discovery) find operations by words of their operationId,
                           path, summary or tags
  describe_operation       (discovery) one operation's arguments and response shapes
  call_operation           (discovery) call one operation with its arguments

Tool modes (--tools, else the plugin's mcp_tools key, else auto): operations gives every
operation its own tool; discovery gives the three discovery tools instead, so that a large API
does not flood the assistant's context; auto is operations up to 60 operations and discovery
above.

Arguments are flat: an operation takes its path, query, header and cookie parameters by name,
and its request body's properties by name when the body is an object (else the whole body as
"body"). Names are made of [a-zA-Z0-9_.-] (other characters become '_', at most 64). When two
inputs share a name, body properties keep it and parameters get the suffix of their location:
_path, _query, _header or _cookie (id in the path and in the query: id_path and id_query); a
name still taken gets _2, _3. In mock mode a secured operation gets a placeholder credential
when none is given (the mock checks presence); live calls get the plugin's credentials.

Operation tool names are sanitised to [a-zA-Z0-9_-] (at most 64 characters); an operation
without an operationId is named from its method and path (pets_get_pets_petId); clashes get
_2, _3.

--plugin loads only the named plugins (default: every plugin in the plugins directory; one that
fails to load is skipped with a warning). --operations keeps only matching operations (instead
of the plugins' own operations key): the filters of 'test run --operations' (an operationId or
tag, tag:NAME, an operationId glob such as repos*, or a '/path' or 'METHOD /path' glob where *
matches anything: 'GET /repos/*'); repeat it to keep more.

--http serves every client that connects (one session each) until interrupted; the address is
printed on stderr as "listening on http://ADDR/mcp". It listens on loopback unless told
otherwise; any other address needs --http-token (or MOCKLOOP_MCP_TOKEN), which clients then
send as "Authorization: Bearer TOKEN".

Resources: mockloop://plugins/<name>/spec (the loaded document) and mockloop://runs/<id> (the
reports of the last 20 runs).

stdout carries only the protocol (with --http, nothing); warnings (and with --verbose a line
per operation call) go to stderr. As with serve, MOCKLOOP_MODE/PROXY_MODE,
MOCKLOOP_TARGET/API_BASE_URL and AUTH_TYPE override the plugin files' values. --log-level
(MOCKLOOP_LOG_LEVEL; default warn, info with --verbose) sets what goes to stderr: at debug each
routing decision and upstream attempt of the operation tools, with secrets removed.`

func newMCPCmd(f *Factory, runF func(*mcpOptions) error) *cobra.Command {
	opts := &mcpOptions{}
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Run a Model Context Protocol server on stdio or Streamable HTTP",
		Long:  mcpLong,
		Example: `  $ mockloop mcp
  $ mockloop mcp --plugins-dir ~/.mockloop/plugins --plugin petstore
  $ mockloop mcp --plugin github --operations tag:repos --operations 'GET /user'
  $ mockloop mcp --plugin github --tools discovery
  $ mockloop mcp --http 127.0.0.1:7000
  $ MOCKLOOP_MCP_TOKEN=s3cret mockloop mcp --http 0.0.0.0:7000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Store, opts.LookupEnv, opts.Client, opts.Load = f.IOStreams, f.PluginStore(), f.LookupEnv, f.HTTPClient, f.LoadOptions()
			opts.Version = resolveBuild(f.Version, f.Commit, f.Date).Version
			if _, err := spec.ParseFilter(opts.Operations); err != nil {
				return usageErrorf("--operations %v", err)
			}
			for _, name := range opts.Plugins {
				if err := plugin.ValidName(name); err != nil {
					return usageErrorf("--plugin: %v", err)
				}
			}
			if opts.Tools != "" {
				m, err := plugin.ParseMCPTools(opts.Tools)
				if err != nil {
					return usageErrorf("--tools: %v", err)
				}
				opts.Tools = string(m)
			}
			if !cmd.Flags().Changed("http-token") {
				opts.HTTPToken, _ = f.LookupEnv(mcpTokenEnv)
			}
			if err := checkMCPHTTP(cmd, opts); err != nil {
				return err
			}
			if cmd.Flags().Changed("log-level") {
				opts.LogLevelFlag = &opts.LogLevel
			}
			def := slog.LevelWarn
			if opts.Verbose {
				def = slog.LevelInfo
			}
			if _, err := stack.LogLevel(opts.LogLevelFlag, opts.LookupEnv, def); err != nil {
				return usageErrorf("%v", err)
			}
			if runF != nil {
				return runF(opts)
			}
			return runMCP(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Plugins, "plugin", nil, "load only this plugin (repeatable; default: all)")
	fl.StringArrayVar(&opts.Operations, "operations", nil, operationsUsage)
	fl.StringVar(&opts.Tools, "tools", "", "how operations become tools: auto, operations or discovery (default: each plugin's mcp_tools, else auto)")
	fl.StringVar(&opts.HTTP, "http", "", "serve the Streamable HTTP transport on ADDR (host:port) at /mcp instead of stdio")
	fl.StringVar(&opts.HTTPToken, "http-token", "", "with --http, require \"Authorization: Bearer TOKEN\" (needed off loopback; default $"+mcpTokenEnv+")")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "log every tool call on stderr")
	_ = cmd.RegisterFlagCompletionFunc("tools", cobra.FixedCompletions([]string{"auto", "operations", "discovery"}, cobra.ShellCompDirectiveNoFileComp))
	fl.StringVar(&opts.LogLevel, "log-level", "warn", "stderr lines: debug, info, warn or error (default warn, info with --verbose)")
	_ = cmd.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions(stack.LogLevels, cobra.ShellCompDirectiveNoFileComp))
	fl.StringArrayVar(&opts.Overlays, "overlay", nil, "apply this OpenAPI Overlay 1.0 file to every plugin's spec, after the plugin's own overlays (repeatable)")
	return cmd
}

// checkMCPHTTP checks --http and --http-token: an address to listen on, and a token unless it
// is a loopback one.
func checkMCPHTTP(cmd *cobra.Command, opts *mcpOptions) error {
	if opts.HTTP == "" {
		if cmd.Flags().Changed("http-token") {
			return usageErrorf("--http-token needs --http")
		}
		return nil
	}
	host, port, err := net.SplitHostPort(opts.HTTP)
	if err != nil {
		return usageErrorf("--http %q: want host:port, e.g. 127.0.0.1:7000", opts.HTTP)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return usageErrorf("--http %q: port %q is not a number from 0 to 65535", opts.HTTP, port)
	}
	if !loopbackHost(host) && opts.HTTPToken == "" {
		return usageErrorf("--http %s: listening beyond loopback needs --http-token (or %s), so that only clients holding it are served", opts.HTTP, mcpTokenEnv)
	}
	return nil
}

// loopbackHost reports whether host ("localhost", 127.0.0.1, ::1) reaches this machine only;
// "" (every interface) does not.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func runMCP(ctx context.Context, opts *mcpOptions) error {
	srv, err := mcpserver.New(ctx, mcpConfig(opts))
	if err != nil {
		if errors.Is(err, plugin.ErrNotFound) {
			return usageErrorf("%v (see 'mockloop plugin list')", err)
		}
		return fmt.Errorf("mcp: %w", err)
	}
	if opts.HTTP != "" {
		ln, err := net.Listen("tcp", opts.HTTP)
		if err != nil {
			srv.Close()
			return fmt.Errorf("mcp: listen on %s: %w", opts.HTTP, err)
		}
		fmt.Fprintf(opts.IO.ErrOut, "listening on http://%s%s (Streamable HTTP%s)\n", ln.Addr(), mcpserver.HTTPPath, tokenNote(opts.HTTPToken))
		if err := srv.ServeHTTP(ctx, ln, opts.HTTPToken); err != nil {
			return fmt.Errorf("mcp: %w", err)
		}
		return nil
	}
	t := &mcp.IOTransport{Reader: io.NopCloser(opts.IO.In), Writer: nopWriteCloser{opts.IO.Out}}
	if err := srv.Run(ctx, t); err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("mcp: %w", err)
	}
	return nil
}

func tokenNote(token string) string {
	if token == "" {
		return ""
	}
	return ", bearer token required"
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// mcpConfig is the MCP server's configuration: the engines are the same as serve's and test
// run's (mcpserver builds them with stack and testrun); stdout belongs to the protocol, so
// warnings and the call log go to stderr.
func mcpConfig(opts *mcpOptions) mcpserver.Config {
	def := slog.LevelWarn
	if opts.Verbose {
		def = slog.LevelInfo
	}
	level, err := stack.LogLevel(opts.LogLevelFlag, opts.LookupEnv, def)
	if err != nil {
		level = def // checked when the flags were read
	}
	logger := slog.New(slog.NewTextHandler(opts.IO.ErrOut, &slog.HandlerOptions{
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
		Store:      opts.Store,
		Plugins:    opts.Plugins,
		Operations: opts.Operations,
		Tools:      plugin.MCPTools(opts.Tools),
		Version:    opts.Version,
		Logger:     logger,
		HTTPClient: opts.Client,
		LookupEnv:  opts.LookupEnv,
		Load:       withOverlays(opts.Load, opts.Overlays),
	}
}
