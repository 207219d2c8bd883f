// Package mcpserver is `mockloop mcp`: a Model Context Protocol server (over the official Go
// SDK) that lets an AI assistant create and delete plugins, run test plans, diff responses,
// read performance metrics and switch modes, and that exposes every operation of every loaded
// plugin as a tool. Operation tools send their request in-process through the same
// http.Handler `serve` runs, so they answer exactly as the served API would (mock, proxy with
// injected credentials, or hybrid rules). The engines come in through Config: this package
// never imports internal/cli.
package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
	"github.com/mockloop/mockloop/internal/testrun"
	"github.com/mockloop/mockloop/internal/upstream"
)

// Config is what New needs. Store and NewHandler are required; the other engines are optional
// and the tools that need a missing one answer with a tool error saying so.
type Config struct {
	// Store holds the plugins (the --plugins-dir directory).
	Store *plugin.Store
	// Plugins limits the plugins loaded at start to these names (--plugin); empty loads all.
	// A named plugin that cannot be loaded fails New; an unnamed one is skipped with a warning.
	Plugins []string
	// Operations filters the operation tools (--operations): see the filter syntax in README.
	Operations []string
	// Version is reported to clients as the server version.
	Version string
	// Logger receives warnings and call logs; it must not write to stdout. Nil discards.
	Logger *slog.Logger
	// HTTPClient fetches specs and documents by URL and talks to running servers. Nil is
	// http.DefaultClient.
	HTTPClient *http.Client
	// LookupEnv resolves ${ENV} references in credentials (for redaction). Nil is os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Load is how specs are loaded (the $ref policy, the fetch timeout); stdin is never read,
	// it is the MCP channel, and HTTPClient fetches.
	Load spec.Options

	// NewHandler builds the handler an operation tool calls for plugin p, whose spec is doc.
	// Nil is what `serve p` runs: stack.Resolve (the plugin, then the container environment
	// variables), then stack.Build. A handler with a Close() method is closed when the plugin
	// is unloaded; one with Redact(string) string hides its secrets from results (otherwise
	// the plugin's credentials, resolved, are hidden).
	NewHandler func(ctx context.Context, p *plugin.Plugin, doc *spec.Document) (http.Handler, error)
	// RunTests runs a test plan; nil is testrun.Prepare then Run, exactly as `test run` does.
	RunTests func(ctx context.Context, req testrun.Request) (*testrun.Report, error)
}

// Server is a mockloop MCP server. Create it with New, serve it with Run (stdio) or Connect.
type Server struct {
	cfg     Config
	mcp     *mcp.Server
	filters spec.Filter
	log     *slog.Logger
	client  *http.Client
	runs    *runStore

	mu      sync.Mutex
	plugins map[string]*loadedPlugin // by plugin name
	owners  map[string]string        // operation tool name → plugin name
}

// loadedPlugin is a plugin whose operations are tools. It is never modified once loaded:
// a reload replaces it.
type loadedPlugin struct {
	p       *plugin.Plugin
	doc     *spec.Document
	handler http.Handler
	tools   []opTool
	ops     map[string]*spec.Operation // by Operation.Key()
	redact  func(string) string        // hides the plugin's secrets in results
	err     error                      // load failure: the plugin is listed but has no tools
}

// opTool is one operation tool.
type opTool struct {
	Name    string `json:"name"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	Summary string `json:"summary,omitempty"`
	op      *spec.Operation
}

// New builds the server: the fixed tools, then the operation tools of every plugin to load.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("mcp server: no plugin store")
	}
	filters, err := spec.ParseFilter(cfg.Operations)
	if err != nil {
		return nil, fmt.Errorf("--operations %w", err)
	}
	s := &Server{
		cfg:     cfg,
		filters: filters,
		log:     cfg.Logger,
		client:  cfg.HTTPClient,
		runs:    newRunStore(maxRuns),
		plugins: map[string]*loadedPlugin{},
		owners:  map[string]string{},
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.client == nil {
		s.client = http.DefaultClient
	}
	if s.cfg.LookupEnv == nil {
		s.cfg.LookupEnv = os.LookupEnv
	}
	if s.cfg.NewHandler == nil {
		s.cfg.NewHandler = s.stackHandler
	}
	if s.cfg.RunTests == nil {
		s.cfg.RunTests = runTests
	}
	version := cfg.Version
	if version == "" {
		version = "dev"
	}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "mockloop", Title: "mockloop", Version: version}, &mcp.ServerOptions{
		Instructions: instructions,
		Logger:       s.log,
		HasTools:     true,
		HasResources: true,
	})
	s.addFixedTools()
	s.addResources()
	if err := s.loadInitial(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

const instructions = `mockloop turns OpenAPI documents into working APIs. A plugin is a saved configuration
(spec, mode mock|proxy|hybrid, live target, credentials, route rules). Every operation of every
loaded plugin is a tool named <plugin>_<operationId> that calls the operation through the
plugin's mode and returns status, headers and body. Use create_mcp_plugin to add a plugin,
execute_test_plan to compare mock and live, diff_responses to compare two JSON documents.`

// MCP returns the underlying SDK server (for Connect with another transport).
func (s *Server) MCP() *mcp.Server { return s.mcp }

// Run serves one client over t (mcp.StdioTransport for `mockloop mcp`) until it disconnects
// or ctx is done, then unloads the plugins.
func (s *Server) Run(ctx context.Context, t mcp.Transport) error {
	defer s.Close()
	return s.mcp.Run(ctx, t)
}

// Close releases every loaded plugin's handler.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, lp := range s.plugins {
		closeHandler(lp.handler)
	}
}

func closeHandler(h http.Handler) {
	if c, ok := h.(interface{ Close() }); ok {
		c.Close()
	}
}

// loadInitial loads the plugins named in Config.Plugins, or every plugin in the store.
func (s *Server) loadInitial(ctx context.Context) error {
	if len(s.cfg.Plugins) > 0 {
		for _, name := range s.cfg.Plugins {
			p, err := s.cfg.Store.Get(name)
			if err != nil {
				return err
			}
			lp := s.load(ctx, p)
			if lp.err != nil {
				return lp.err
			}
			s.install(lp)
		}
		return nil
	}
	list, err := s.cfg.Store.List()
	if err != nil {
		// An unreadable plugin file must not stop the server: say so and start without it.
		s.log.Warn("list plugins", "dir", s.cfg.Store.Dir(), "error", err)
	}
	for _, p := range list {
		lp := s.load(ctx, p)
		if lp.err != nil {
			s.log.Warn("plugin not loaded", "plugin", p.Name, "error", lp.err)
		}
		s.install(lp)
	}
	return nil
}

// load prepares a plugin: its spec, its handler and its operation tools (not yet named).
// Failures are kept in the result's err.
func (s *Server) load(ctx context.Context, p *plugin.Plugin) *loadedPlugin {
	doc, err := s.loadSpec(ctx, p)
	if err != nil {
		return &loadedPlugin{p: p, err: fmt.Errorf("plugin %q: %w", p.Name, err)}
	}
	return s.loadWith(ctx, p, doc)
}

// loadOptions are the spec load options of every load this server makes.
func (s *Server) loadOptions() spec.Options {
	o := s.cfg.Load
	o.Client, o.Stdin = s.client, strings.NewReader("") // stdin is the MCP channel
	return o
}

// loadSpec loads a spec document; stdin is never read (it is the MCP channel).
func (s *Server) loadSpec(ctx context.Context, p *plugin.Plugin) (*spec.Document, error) {
	load, err := stack.LoadOptions(s.loadOptions(), p)
	if err != nil {
		return nil, err
	}
	return spec.Load(ctx, p.Spec, load)
}

// loadWith is load for a plugin whose spec is already loaded.
func (s *Server) loadWith(ctx context.Context, p *plugin.Plugin, doc *spec.Document) *loadedPlugin {
	lp := &loadedPlugin{p: p, doc: doc}
	h, err := s.cfg.NewHandler(ctx, p, doc)
	if err != nil {
		lp.err = fmt.Errorf("plugin %q: %w", p.Name, err)
		return lp
	}
	lp.handler = h
	if r, ok := h.(interface{ Redact(string) string }); ok {
		lp.redact = r.Redact
	} else {
		lp.redact = upstream.SecretsOf(p.Auth, s.cfg.LookupEnv).Replace
	}
	lp.ops = make(map[string]*spec.Operation, len(doc.Operations))
	for _, op := range doc.Operations {
		lp.ops[op.Key()] = op
		if !s.filters.Match(op) {
			continue
		}
		t := opTool{Method: op.Method, Path: op.Path, op: op}
		if op.Op != nil {
			t.Summary = op.Op.Summary
		}
		lp.tools = append(lp.tools, t)
	}
	return lp
}

// install names lp's tools (deterministically: operations in document order, a suffix on
// collision) and registers them, replacing a previous version of the plugin. The SDK sends
// notifications/tools/list_changed to connected clients.
func (s *Server) install(lp *loadedPlugin) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.plugins[lp.p.Name]; old != nil {
		s.uninstallLocked(old)
	}
	s.plugins[lp.p.Name] = lp
	for i := range lp.tools {
		t := &lp.tools[i]
		t.Name = uniqueName(toolName(lp.p.Name, t.op), func(n string) bool {
			_, owned := s.owners[n]
			return owned || fixedTools[n]
		})
		s.owners[t.Name] = lp.p.Name
		s.mcp.AddTool(s.operationTool(lp, t), safeHandler(t.Name, s.operationHandler(lp.p.Name, t.Name, t.op)))
	}
	if lp.doc != nil {
		s.addSpecResource(lp)
	}
}

// uninstall removes a plugin's tools and resources.
func (s *Server) uninstall(name string) *loadedPlugin {
	s.mu.Lock()
	defer s.mu.Unlock()
	lp := s.plugins[name]
	if lp != nil {
		s.uninstallLocked(lp)
	}
	return lp
}

func (s *Server) uninstallLocked(lp *loadedPlugin) {
	names := make([]string, 0, len(lp.tools))
	for _, t := range lp.tools {
		names = append(names, t.Name)
		delete(s.owners, t.Name)
	}
	if len(names) > 0 {
		s.mcp.RemoveTools(names...)
	}
	s.mcp.RemoveResources(specURI(lp.p.Name))
	delete(s.plugins, lp.p.Name)
	closeHandler(lp.handler)
}

// plugin returns the loaded plugin named name, nil when none.
func (s *Server) plugin(name string) *loadedPlugin {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plugins[name]
}

// operationTool describes an operation tool: name, title, description and input schema.
func (s *Server) operationTool(lp *loadedPlugin, t *opTool) *mcp.Tool {
	op := t.op
	var desc strings.Builder
	if op.Op != nil && op.Op.Summary != "" {
		desc.WriteString(op.Op.Summary)
		desc.WriteString("\n\n")
	}
	if op.Op != nil && op.Op.Description != "" && op.Op.Description != op.Op.Summary {
		d := op.Op.Description
		if len(d) > 800 {
			d = d[:800] + "..."
		}
		desc.WriteString(d)
		desc.WriteString("\n\n")
	}
	fmt.Fprintf(&desc, "Calls %s %s of plugin %q (mode %s) and returns status, headers and body.",
		op.Method, op.Path, lp.p.Name, lp.p.Mode)
	if hint := lp.doc.CredentialHint(op); hint != "" {
		fmt.Fprintf(&desc, " Requires credentials: %s (pass them in \"header\"/\"query\"/\"cookie\"; the mock accepts any value, "+
			"and live calls get the plugin's own credentials instead).", hint)
	}
	readOnly := op.Method == http.MethodGet || op.Method == http.MethodHead || op.Method == http.MethodOptions
	idempotent := readOnly || op.Method == http.MethodPut || op.Method == http.MethodDelete
	openWorld := lp.p.Mode != plugin.ModeMock
	destructive := !readOnly
	return &mcp.Tool{
		Name:        t.Name,
		Title:       op.Method + " " + op.Path,
		Description: desc.String(),
		InputSchema: operationInputSchema(op),
		Annotations: &mcp.ToolAnnotations{
			Title:           op.Method + " " + op.Path,
			ReadOnlyHint:    readOnly,
			IdempotentHint:  idempotent,
			DestructiveHint: &destructive,
			OpenWorldHint:   &openWorld,
		},
	}
}

// operationHandler calls the operation through the plugin's current handler. The plugin is
// looked up at call time, so a switch_mode or reload takes effect on the next call.
func (s *Server) operationHandler(pluginName, tool string, op *spec.Operation) mcp.ToolHandler {
	method, path := op.Method, op.Path
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		lp := s.plugin(pluginName)
		if lp == nil || lp.handler == nil {
			return toolError(fmt.Errorf("%s: plugin %q is no longer loaded", tool, pluginName)), nil
		}
		// The current document's operation: a reload may have replaced it.
		cur := lp.ops[method+" "+path]
		if cur == nil {
			return toolError(fmt.Errorf("%s: %s %s is no longer in plugin %q", tool, method, path, pluginName)), nil
		}
		args, err := parseOperationArgs(req.Params.Arguments)
		if err != nil {
			return toolError(fmt.Errorf("%s: %w", tool, err)), nil
		}
		r, err := buildRequest(ctx, cur, args)
		if err != nil {
			return toolError(fmt.Errorf("%s: %w", tool, err)), nil
		}
		rec, err := testrun.ServeInProcess(lp.handler, r, maxResultBody)
		if err != nil {
			return toolError(fmt.Errorf("%s: %w", tool, err)), nil
		}
		res := result(rec, lp.redact)
		s.log.Info("operation tool", "tool", tool, "method", method, "path", r.URL.Path, "status", res.Status, "mode", res.Mode)
		return structured(res)
	}
}

// stackHandler is the handler `mockloop serve` runs for p (the same settings precedence,
// mock engine, forwarder with the plugin's credentials and endpoints, route rules), without a
// listener: operation tools call it in process.
func (s *Server) stackHandler(_ context.Context, p *plugin.Plugin, doc *spec.Document) (http.Handler, error) {
	set, err := stack.Resolve(p, stack.Flags{}, s.cfg.LookupEnv)
	if err != nil {
		return nil, err
	}
	return stack.Build(doc, set, stack.Options{LookupEnv: s.cfg.LookupEnv})
}

// runTests prepares and runs a test plan as `test run` does.
func runTests(ctx context.Context, req testrun.Request) (*testrun.Report, error) {
	run, err := testrun.Prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	defer run.Close()
	return run.Run(ctx, nil), nil
}
