// Package mcpserver is `mockloop mcp`: a Model Context Protocol server (over the official Go
// SDK, on stdio or Streamable HTTP) that lets an AI assistant create and delete plugins, run
// test plans, compare one operation or two responses, read performance metrics and switch
// modes, and that exposes the operations of every loaded plugin: one tool each, or for a
// large API the discovery tools (search, describe, call), always with flat arguments.
// Operations are sent in-process through the same http.Handler `serve` runs, so they answer
// exactly as the served API would (mock, proxy with injected credentials, or hybrid rules).
// The engines come in through Config: this package never imports internal/cli.
package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/compare"
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
	// When set it replaces the plugins' own operations key.
	Operations []string
	// Tools is how operations become tools (--tools): operations (one tool each), discovery
	// (search_operations, describe_operation and call_operation) or auto (operations up to
	// plugin.MCPAutoLimit operations, discovery above). "" is each plugin's mcp_tools, else auto.
	Tools plugin.MCPTools
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

	mu        sync.Mutex
	plugins   map[string]*loadedPlugin // by plugin name
	owners    map[string]string        // operation tool name → plugin name
	discovery bool                     // the discovery tools are registered
}

// loadedPlugin is a plugin whose operations are tools. It is never modified once loaded
// (but for its cache of bindings): a reload replaces it.
type loadedPlugin struct {
	p       *plugin.Plugin
	doc     *spec.Document
	handler http.Handler
	// toolMode is operations (tools holds one tool per selected operation) or discovery
	// (no tools: the discovery tools reach the selected operations).
	toolMode plugin.MCPTools
	tools    []opTool
	selected []*spec.Operation          // the operations the filter keeps, in document order
	ops      map[string]*spec.Operation // every operation, by Operation.Key()
	redact   func(string) string        // hides the plugin's secrets in results
	// mode is the side that answers when a call does not force one (mock, proxy, hybrid).
	mode plugin.Mode
	// live is set when the handler has a live side (X-Mockloop-Mode: proxy reaches it).
	live bool
	// placeholder gives a request for the mock a placeholder credential when it has none (the
	// stack's mock engine); nil when the handler is not a stack.
	placeholder func(*spec.Operation, *http.Request)
	bindings    sync.Map // Operation.Key() → *binding
	err         error    // load failure: the plugin is listed but has no tools
}

// binding returns op's flat arguments, computed once.
func (lp *loadedPlugin) binding(op *spec.Operation) *binding {
	if b, ok := lp.bindings.Load(op.Key()); ok {
		return b.(*binding)
	}
	b, _ := lp.bindings.LoadOrStore(op.Key(), bind(op))
	return b.(*binding)
}

// opTool is one operation tool (Name set), or one operation reached by call_operation in
// discovery mode (Name empty).
type opTool struct {
	Name string `json:"name,omitempty"`
	// Operation is how call_operation and describe_operation name it: the operationId, else
	// "METHOD /path".
	Operation string `json:"operation"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Summary   string `json:"summary,omitempty"`
	op        *spec.Operation
}

// operationRef is how the discovery tools name op: its operationId, else "METHOD /path".
func operationRef(op *spec.Operation) string {
	if op.ID != "" {
		return op.ID
	}
	return op.Key()
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
	if cfg.Tools != "" {
		if _, err := plugin.ParseMCPTools(string(cfg.Tools)); err != nil {
			return nil, fmt.Errorf("--tools: %w", err)
		}
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
(spec, mode mock|proxy|hybrid, live target, credentials, route rules). A small API's operations
are tools named <plugin>_<operationId>; a large one's are reached with search_operations,
describe_operation and call_operation. Either way an operation takes flat arguments (its
parameters and body fields by name), is called through the plugin's mode and returns status,
headers and body; in mock mode secured operations get a placeholder credential. Use
create_mcp_plugin to add a plugin, compare_operation to compare one call on mock and live,
execute_test_plan to test every operation, diff_responses to compare two JSON documents.`

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
	lp := &loadedPlugin{p: p, doc: doc, mode: p.Mode, live: p.TargetURL != ""}
	filter, err := s.filterOf(p)
	if err != nil {
		lp.err = err
		return lp
	}
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
	if st, ok := h.(*stack.Stack); ok {
		lp.mode, lp.live, lp.placeholder = st.Settings.Mode, st.Live != nil, st.Mock.AddPlaceholderCredentials
	}
	lp.ops = make(map[string]*spec.Operation, len(doc.Operations))
	for _, op := range doc.Operations {
		lp.ops[op.Key()] = op
	}
	lp.selected = filter.Select(doc)
	lp.toolMode = s.toolMode(p, len(lp.selected))
	if lp.toolMode == plugin.MCPToolsOperations {
		for _, op := range lp.selected {
			lp.tools = append(lp.tools, newOpTool(op))
		}
	}
	return lp
}

func newOpTool(op *spec.Operation) opTool {
	t := opTool{Operation: operationRef(op), Method: op.Method, Path: op.Path, op: op}
	if op.Op != nil {
		t.Summary = op.Op.Summary
	}
	return t
}

// filterOf is the operations filter for p: --operations when given, else the plugin's own.
func (s *Server) filterOf(p *plugin.Plugin) (spec.Filter, error) {
	if !s.filters.Empty() || len(p.Operations) == 0 {
		return s.filters, nil
	}
	f, err := spec.ParseFilter(p.Operations)
	if err != nil {
		return spec.Filter{}, fmt.Errorf("plugin %q: operations %w", p.Name, err)
	}
	return f, nil
}

// toolMode resolves how p's n selected operations become tools: --tools, else the plugin's
// mcp_tools, else auto; auto is operations up to plugin.MCPAutoLimit operations.
func (s *Server) toolMode(p *plugin.Plugin, n int) plugin.MCPTools {
	m := s.cfg.Tools
	if m == "" {
		m = p.MCPTools
	}
	if m == "" || m == plugin.MCPToolsAuto {
		m = plugin.MCPToolsOperations
		if n > plugin.MCPAutoLimit {
			m = plugin.MCPToolsDiscovery
		}
	}
	return m
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
	s.syncDiscoveryLocked()
}

// uninstall removes a plugin's tools and resources.
func (s *Server) uninstall(name string) *loadedPlugin {
	s.mu.Lock()
	defer s.mu.Unlock()
	lp := s.plugins[name]
	if lp != nil {
		s.uninstallLocked(lp)
		s.syncDiscoveryLocked()
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
		desc.WriteString(truncate(op.Op.Description, 800))
		desc.WriteString("\n\n")
	}
	fmt.Fprintf(&desc, "Calls %s %s of plugin %q (mode %s) and returns status, headers and body.",
		op.Method, op.Path, lp.p.Name, lp.mode)
	if hint := lp.doc.CredentialHint(op); hint != "" {
		fmt.Fprintf(&desc, " Secured (%s): %s", hint, credentialNote)
	}
	ro := readOnly(op.Method)
	idempotent := ro || op.Method == http.MethodPut || op.Method == http.MethodDelete
	openWorld := lp.mode != plugin.ModeMock
	destructive := !ro
	return &mcp.Tool{
		Name:        t.Name,
		Title:       op.Method + " " + op.Path,
		Description: desc.String(),
		InputSchema: lp.binding(op).schema(),
		Annotations: &mcp.ToolAnnotations{
			Title:           op.Method + " " + op.Path,
			ReadOnlyHint:    ro,
			IdempotentHint:  idempotent,
			DestructiveHint: &destructive,
			OpenWorldHint:   &openWorld,
		},
	}
}

// credentialNote says how a secured operation gets its credentials.
const credentialNote = "mockloop sends a placeholder credential when the mock answers and the plugin's own " +
	"credentials on live calls, so none is passed as an argument."

// truncate cuts s to at most n bytes (on a rune boundary), marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// operationHandler calls the operation through the plugin's current handler. The plugin is
// looked up at call time, so a switch_mode or reload takes effect on the next call.
func (s *Server) operationHandler(pluginName, tool string, op *spec.Operation) mcp.ToolHandler {
	key := op.Key()
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		lp := s.plugin(pluginName)
		if lp == nil || lp.handler == nil {
			return toolError(fmt.Errorf("%s: plugin %q is no longer loaded", tool, pluginName)), nil
		}
		// The current document's operation: a reload may have replaced it.
		cur := lp.ops[key]
		if cur == nil {
			return toolError(fmt.Errorf("%s: %s is no longer in plugin %q", tool, key, pluginName)), nil
		}
		res, err := s.callOperation(ctx, lp, cur, req.Params.Arguments, "")
		if err != nil {
			return toolError(fmt.Errorf("%s: %w", tool, err)), nil
		}
		return structured(res)
	}
}

// headerMode is the request header that forces the side that answers (server.HeaderMode: the
// handler is a stack's server, which this package reaches only through stack).
const headerMode = "X-Mockloop-Mode"

// callOperation sends op with the flat arguments raw through lp's handler, in process, and
// returns the answer with lp's secrets hidden. side forces the side that answers (mock or
// proxy, with X-Mockloop-Mode); "" leaves it to the plugin's mode. A request the mock answers
// gets a placeholder credential when it has none (the mock checks presence only); a live one
// gets the plugin's credentials from the forwarder.
func (s *Server) callOperation(ctx context.Context, lp *loadedPlugin, op *spec.Operation, raw json.RawMessage, side plugin.Mode) (OperationResult, error) {
	args, err := lp.binding(op).parse(raw)
	if err != nil {
		return OperationResult{}, err
	}
	r, err := buildRequest(ctx, op, args)
	if err != nil {
		return OperationResult{}, err
	}
	if side != "" {
		r.Header.Set(headerMode, string(side))
	}
	if lp.placeholder != nil && (side == plugin.ModeMock || side == "" && lp.mode == plugin.ModeMock) {
		lp.placeholder(op, r)
	}
	rec, err := testrun.ServeInProcess(lp.handler, r, maxResultBody)
	if err != nil {
		return OperationResult{}, err
	}
	res := result(rec, lp.redact)
	res.request = op.Method + " " + lp.redact(r.URL.RequestURI())
	res.answer = compare.Response{Status: rec.Status, Header: http.Header{}, Body: []byte(lp.redact(rec.Body.String()))}
	for k, vs := range rec.HeaderMap {
		for _, v := range vs {
			res.answer.Header.Add(k, lp.redact(v))
		}
	}
	s.log.Info("operation call", "plugin", lp.p.Name, "operation", operationRef(op), "method", op.Method, "path", r.URL.Path, "status", res.Status, "mode", res.Mode)
	return res, nil
}

// stackHandler is the handler `mockloop serve` runs for p (the same settings precedence,
// mock engine, forwarder with the plugin's credentials and endpoints, route rules), without a
// listener: operation tools call it in process.
func (s *Server) stackHandler(_ context.Context, p *plugin.Plugin, doc *spec.Document) (http.Handler, error) {
	set, err := stack.Resolve(p, stack.Flags{}, s.cfg.LookupEnv)
	if err != nil {
		return nil, err
	}
	// The plugin's replay: answers the mock side from its recordings, as `serve` does.
	return stack.Build(doc, set, stack.Options{LookupEnv: s.cfg.LookupEnv, Simulation: &stack.Simulation{}, Logger: s.log,
		Replay: stack.Replay{Warn: func(w string) { s.log.Warn(w, "plugin", p.Name) }}})
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
