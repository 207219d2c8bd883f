package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/mcpserver"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
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
			if runF != nil {
				return runF(opts)
			}
			return runMCP(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Plugins, "plugin", nil, "load only this plugin (repeatable; default: all)")
	fl.StringArrayVar(&opts.Operations, "operations", nil, operationsUsage)
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "log every tool call on stderr")
	return cmd
}

func runMCP(ctx context.Context, opts *mcpOptions) error {
	srv, err := mcpserver.New(ctx, mcpConfig(opts))
	if err != nil {
		if errors.Is(err, plugin.ErrNotFound) {
			return usageErrorf("%v (see 'mockloop plugin list')", err)
		}
		return fmt.Errorf("mcp: %w", err)
	}
	t := &mcp.IOTransport{Reader: io.NopCloser(opts.IO.In), Writer: nopWriteCloser{opts.IO.Out}}
	if err := srv.Run(ctx, t); err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("mcp: %w", err)
	}
	return nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// mcpConfig is the MCP server's configuration: the engines are the same as serve's and test
// run's (mcpserver builds them with stack and testrun); stdout belongs to the protocol, so
// warnings and the call log go to stderr.
func mcpConfig(opts *mcpOptions) mcpserver.Config {
	level := slog.LevelWarn
	if opts.Verbose {
		level = slog.LevelInfo
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
		Version:    opts.Version,
		Logger:     logger,
		HTTPClient: opts.Client,
		LookupEnv:  opts.LookupEnv,
		Load:       opts.Load,
	}
}
