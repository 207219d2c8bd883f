package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

// fixedTools are the names of mockloop's own tools (the discovery tools come and go with the
// plugins in discovery mode); operation tools never take them.
var fixedTools = map[string]bool{
	"create_mcp_plugin":       true,
	"list_plugins":            true,
	"delete_plugin":           true,
	"execute_test_plan":       true,
	"diff_responses":          true,
	"compare_operation":       true,
	"get_performance_metrics": true,
	"switch_mode":             true,
	"search_operations":       true,
	"describe_operation":      true,
	"call_operation":          true,
	"set_override":            true,
}

// createSummaryTools is how many operations create_mcp_plugin's result lists.
const createSummaryTools = 10

func (s *Server) addFixedTools() {
	addTool(s.mcp, &mcp.Tool{
		Name:        "create_mcp_plugin",
		InputSchema: inputSchema[createInput](),
		Description: "Create a plugin from an OpenAPI document (file path or URL) exactly as `mockloop plugin create` " +
			"does, save it, and expose its operations: one tool each, or (above 60 operations, or with mcp_tools " +
			"discovery) through search_operations, describe_operation and call_operation. Returns a summary: the " +
			"plugin (secrets masked), the tool mode, the counts and the first few operations.",
	}, s.createPlugin)
	addTool(s.mcp, &mcp.Tool{
		Name:        "list_plugins",
		Description: "List the saved plugins with their mode, spec, target, tool mode and operation tools.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true},
	}, s.listPlugins)
	addTool(s.mcp, &mcp.Tool{
		Name:        "delete_plugin",
		Description: "Delete a saved plugin and remove its operation tools.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: boolPtr(true), IdempotentHint: true},
	}, s.deletePlugin)
	addTool(s.mcp, &mcp.Tool{
		Name: "switch_mode",
		Description: "Switch a plugin's mode (mock, proxy or hybrid; the plugin file is updated and its tools use " +
			"the new mode at once), or the mode of a running `mockloop serve` given its URL (PUT /__mockloop/mode).",
		Annotations: &mcp.ToolAnnotations{IdempotentHint: true},
	}, s.switchMode)
	s.addTestTools()
	s.addCompareTool()
	s.addOverrideTool()
}

// createInput is create_mcp_plugin's input: the guide's keys.
type createInput struct {
	PluginName       string             `json:"plugin_name" jsonschema:"name of the plugin: letters, digits, '-' and '_'; it prefixes the operation tools"`
	SpecURLOrPath    string             `json:"spec_url_or_path,omitempty" jsonschema:"the OpenAPI document: a file path or an http(s) URL (default: the embedded example API)"`
	Mode             string             `json:"mode,omitempty" jsonschema:"mock, proxy or hybrid (default mock)"`
	TargetURL        string             `json:"target_url,omitempty" jsonschema:"base URL of the live API (required for proxy and hybrid)"`
	AuthConfig       *plugin.Auth       `json:"auth_config,omitempty" jsonschema:"credentials injected into live requests"`
	RouteRules       []plugin.RouteRule `json:"route_rules,omitempty" jsonschema:"hybrid mode rules: the first matching rule (highest priority first) decides mock or proxy"`
	ComparisonConfig *compare.Config    `json:"comparison_config,omitempty" jsonschema:"default comparison settings for test runs"`
	FallbackToMock   bool               `json:"fallback_to_mock,omitempty" jsonschema:"answer from the mock when a live call fails"`
	Operations       []string           `json:"operations,omitempty" jsonschema:"keep only these operations as tools (saved in the plugin): operationIds, tags, tag:NAME, or \"/path\" or \"METHOD /path\" globs where * matches anything (as test run --operations)"`
	MCPTools         string             `json:"mcp_tools,omitempty" jsonschema:"how the operations become tools: auto (default: one tool each up to 60 operations, discovery above), operations or discovery"`
	Overlays         []string           `json:"overlays,omitempty" jsonschema:"OpenAPI Overlay 1.0 files (paths or http(s) URLs) applied to the spec whenever it is loaded, in order"`
	Replay           string             `json:"replay,omitempty" jsonschema:"a directory of recordings (serve --record writes them): the mock side answers from them first"`
	Redact           []string           `json:"redact,omitempty" jsonschema:"body fields recordings never store: names at any depth or JSONPaths (credentials are never stored anyway)"`
	Force            bool               `json:"force,omitempty" jsonschema:"overwrite an existing plugin of that name"`
}

// createOutput is what create_mcp_plugin returns: a summary, whatever the size of the API.
type createOutput struct {
	Plugin *plugin.Plugin `json:"plugin"`
	File   string         `json:"file"`
	// ToolMode is operations (one tool each) or discovery (search_operations and the others).
	ToolMode string `json:"tool_mode"`
	// Operations is how many operations the spec has; Selected how many the filter keeps.
	Operations int `json:"operations"`
	Selected   int `json:"selected"`
	// ToolCount is how many operation tools were added (none in discovery mode).
	ToolCount int `json:"tool_count"`
	// Tools are the first few operations (with their tool names in operations mode).
	Tools        []opTool `json:"tools"`
	Next         string   `json:"next"`
	Warnings     []string `json:"warnings,omitempty"`
	WarningCount int      `json:"warning_count,omitempty"`
}

// maxCreateWarnings is how many load warnings create_mcp_plugin's result shows.
const maxCreateWarnings = 5

func (s *Server) createPlugin(ctx context.Context, _ *mcp.CallToolRequest, in createInput) (*mcp.CallToolResult, any, error) {
	p, err := in.plugin()
	if err != nil {
		return nil, nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	if !in.Force {
		if _, err := os.Lstat(s.cfg.Store.Path(p.Name)); err == nil {
			return nil, nil, fmt.Errorf("plugin %q already exists in %s (pass force: true to replace it)", p.Name, s.cfg.Store.Dir())
		}
	}
	filter, err := spec.ParseFilter(p.Operations)
	if err != nil {
		return nil, nil, fmt.Errorf("operations %w", err)
	}
	// What would stop the plugin (conditions, globs, TLS files) is found before the spec is
	// fetched, and refused as `plugin create` refuses it.
	if _, err := stack.Refuse(p, nil); err != nil {
		return nil, nil, err
	}
	// The spec must load before anything is written, as `plugin create` does.
	doc, err := s.loadSpec(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	if len(filter.Select(doc)) == 0 {
		return nil, nil, fmt.Errorf("operations: no operation of %s matches %s", doc.Source, filter)
	}
	// With the spec known, whether an oauth2 auth can obtain tokens (its tokenUrl).
	notes, err := stack.Refuse(p, doc)
	if err != nil {
		return nil, nil, err
	}
	if err := s.cfg.Store.Save(p, in.Force); err != nil {
		if errors.Is(err, plugin.ErrExists) {
			return nil, nil, fmt.Errorf("%w (pass force: true to overwrite)", err)
		}
		return nil, nil, err
	}
	lp := s.loadWith(ctx, p, doc)
	if lp.err != nil {
		return nil, nil, fmt.Errorf("plugin %q saved to %s but not loaded: %w", p.Name, s.cfg.Store.Path(p.Name), lp.err)
	}
	s.install(lp)
	out := createOutput{Plugin: p.Masked(), File: s.cfg.Store.Path(p.Name), ToolMode: string(lp.toolMode),
		Operations: len(doc.Operations), Selected: len(lp.selected), ToolCount: len(lp.tools), Tools: []opTool{},
		WarningCount: len(notes) + len(doc.Warnings)}
	if lp.toolMode == plugin.MCPToolsOperations {
		out.Tools = append(out.Tools, lp.tools[:min(len(lp.tools), createSummaryTools)]...)
		out.Next = fmt.Sprintf("call the operation tools %s_*; list_plugins lists them all", sanitizeName(p.Name))
	} else {
		for _, op := range lp.selected[:min(len(lp.selected), createSummaryTools)] {
			out.Tools = append(out.Tools, newOpTool(op))
		}
		out.Next = fmt.Sprintf("search_operations finds operations (plugin_name %q), describe_operation shows one's arguments, call_operation calls it", p.Name)
	}
	for _, n := range notes {
		out.Warnings = append(out.Warnings, n.String())
	}
	for _, w := range doc.Warnings[:min(len(doc.Warnings), maxCreateWarnings)] {
		out.Warnings = append(out.Warnings, w.String())
	}
	return nil, out, nil
}

// plugin builds the plugin the input describes. A relative spec path is made absolute, so
// the plugin works from any directory.
func (in createInput) plugin() (*plugin.Plugin, error) {
	p := &plugin.Plugin{
		Name:      strings.TrimSpace(in.PluginName),
		Spec:      strings.TrimSpace(in.SpecURLOrPath),
		Mode:      plugin.Mode(strings.ToLower(strings.TrimSpace(in.Mode))),
		TargetURL: strings.TrimSpace(in.TargetURL),
	}
	switch {
	case p.Spec == "":
		p.Spec = spec.ExampleSource
	case p.Spec == "-":
		return nil, errors.New("spec_url_or_path: '-' (stdin) is the MCP channel: give a file path or URL")
	case p.Spec != spec.ExampleSource && !isURL(p.Spec) && !filepath.IsAbs(p.Spec):
		abs, err := filepath.Abs(p.Spec)
		if err != nil {
			return nil, fmt.Errorf("spec_url_or_path %q: %w", p.Spec, err)
		}
		p.Spec = abs
	}
	if p.Mode == "" {
		p.Mode = plugin.ModeMock
	}
	if in.FallbackToMock {
		p.Fallback = plugin.ModeMock
	}
	p.Auth = in.AuthConfig
	p.RouteRules = in.RouteRules
	p.Operations = in.Operations
	if in.MCPTools != "" {
		m, err := plugin.ParseMCPTools(in.MCPTools)
		if err != nil {
			return nil, fmt.Errorf("mcp_tools: %w", err)
		}
		p.MCPTools = m
	}
	if in.ComparisonConfig != nil {
		p.Comparison = *in.ComparisonConfig
	}
	for i, o := range in.Overlays {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
			return nil, fmt.Errorf("overlays[%d]: empty: name an Overlay file", i)
		case o == "-":
			return nil, fmt.Errorf("overlays[%d]: '-' (stdin) is the MCP channel: give a file path or URL", i)
		case !isURL(o) && !filepath.IsAbs(o):
			abs, err := filepath.Abs(o)
			if err != nil {
				return nil, fmt.Errorf("overlays[%d] %q: %w", i, o, err)
			}
			o = abs
		}
		p.Overlays = append(p.Overlays, o)
	}
	if dir := strings.TrimSpace(in.Replay); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("replay %q: %w", dir, err)
		}
		p.Replay = abs
	} else if in.Replay != "" {
		return nil, errors.New("replay: empty: name a directory of recordings")
	}
	for i, f := range in.Redact {
		if f = strings.TrimSpace(f); f == "" {
			return nil, fmt.Errorf("redact[%d]: empty: name a body field", i)
		}
		p.Redact = append(p.Redact, f)
	}
	return p, nil
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

type listInput struct{}

type pluginSummary struct {
	Name      string `json:"name"`
	Mode      string `json:"mode"`
	Spec      string `json:"spec"`
	TargetURL string `json:"target_url,omitempty"`
	AuthType  string `json:"auth_type,omitempty"`
	Loaded    bool   `json:"loaded"`
	Error     string `json:"error,omitempty"`
	// ToolMode is operations or discovery; Operations how many operations the tools reach.
	ToolMode   string   `json:"tool_mode,omitempty"`
	Operations int      `json:"operations"`
	Tools      []string `json:"tools"`
}

type listOutput struct {
	Dir     string          `json:"plugins_dir"`
	Plugins []pluginSummary `json:"plugins"`
}

func (s *Server) listPlugins(ctx context.Context, _ *mcp.CallToolRequest, _ listInput) (*mcp.CallToolResult, any, error) {
	list, err := s.cfg.Store.List()
	if err != nil {
		return nil, nil, err
	}
	out := listOutput{Dir: s.cfg.Store.Dir(), Plugins: []pluginSummary{}}
	for _, p := range list {
		m := p.Masked()
		sum := pluginSummary{Name: m.Name, Mode: string(m.Mode), Spec: m.Spec, TargetURL: m.TargetURL, Tools: []string{}}
		if m.Auth != nil {
			sum.AuthType = m.Auth.AuthType
		}
		if lp := s.plugin(p.Name); lp != nil {
			sum.Loaded = lp.err == nil
			if lp.err != nil {
				sum.Error = lp.err.Error()
			} else {
				sum.ToolMode, sum.Operations = string(lp.toolMode), len(lp.selected)
			}
			for _, t := range lp.tools {
				sum.Tools = append(sum.Tools, t.Name)
			}
		}
		out.Plugins = append(out.Plugins, sum)
	}
	return nil, out, nil
}

type deleteInput struct {
	PluginName string `json:"plugin_name" jsonschema:"the plugin to delete"`
}

type deleteOutput struct {
	Deleted      string   `json:"deleted"`
	ToolsRemoved []string `json:"tools_removed"`
}

func (s *Server) deletePlugin(ctx context.Context, _ *mcp.CallToolRequest, in deleteInput) (*mcp.CallToolResult, any, error) {
	if err := s.cfg.Store.Delete(in.PluginName); err != nil {
		return nil, nil, err
	}
	out := deleteOutput{Deleted: in.PluginName, ToolsRemoved: []string{}}
	if lp := s.uninstall(in.PluginName); lp != nil {
		for _, t := range lp.tools {
			out.ToolsRemoved = append(out.ToolsRemoved, t.Name)
		}
	}
	return nil, out, nil
}

type switchInput struct {
	Mode       string `json:"mode" jsonschema:"mock, proxy or hybrid"`
	PluginName string `json:"plugin_name,omitempty" jsonschema:"the plugin whose mode to change (its file is updated)"`
	ServerURL  string `json:"server_url,omitempty" jsonschema:"base URL of a running mockloop serve, e.g. http://127.0.0.1:8000"`
}

type switchOutput struct {
	Mode       string `json:"mode"`
	Previous   string `json:"previous,omitempty"`
	PluginName string `json:"plugin_name,omitempty"`
	ServerURL  string `json:"server_url,omitempty"`
}

func (s *Server) switchMode(ctx context.Context, _ *mcp.CallToolRequest, in switchInput) (*mcp.CallToolResult, any, error) {
	mode := strings.ToLower(strings.TrimSpace(in.Mode))
	switch {
	case (in.PluginName == "") == (in.ServerURL == ""):
		return nil, nil, errors.New("switch_mode: give plugin_name or server_url (one of them)")
	case in.ServerURL != "":
		return s.switchServerMode(ctx, in.ServerURL, mode)
	}
	p, err := s.cfg.Store.Get(in.PluginName)
	if err != nil {
		return nil, nil, err
	}
	prev := p.Mode
	p.Mode = plugin.Mode(mode)
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	lp := s.load(ctx, p)
	if lp.err != nil {
		return nil, nil, fmt.Errorf("switch plugin %q to %s: %w", p.Name, mode, lp.err)
	}
	if err := s.cfg.Store.Save(p, true); err != nil {
		closeHandler(lp.handler)
		return nil, nil, err
	}
	s.install(lp)
	return nil, switchOutput{Mode: mode, Previous: string(prev), PluginName: p.Name}, nil
}

// switchServerMode asks a running server to switch: PUT <server>/__mockloop/mode.
func (s *Server) switchServerMode(ctx context.Context, server, mode string) (*mcp.CallToolResult, any, error) {
	var mb struct {
		Mode     string `json:"mode"`
		Previous string `json:"previous"`
	}
	if err := s.adminCall(ctx, server, http.MethodPut, "mode", map[string]string{"mode": mode}, &mb, "switch mode"); err != nil {
		return nil, nil, err
	}
	return nil, switchOutput{Mode: mb.Mode, Previous: mb.Previous, ServerURL: server}, nil
}

// toolError is a tool result that reports err to the model (isError), not a protocol error.
func toolError(err error) *mcp.CallToolResult {
	var r mcp.CallToolResult
	r.SetError(err)
	return &r
}

// structured returns v as the result's structured content and as JSON text.
func structured(v any) (*mcp.CallToolResult, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return toolError(fmt.Errorf("encode result: %w", err)), nil
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{&mcp.TextContent{Text: string(data)}},
		StructuredContent: json.RawMessage(data),
	}, nil
}

func boolPtr(b bool) *bool { return &b }

// addTool registers a typed tool whose panics become tool errors naming it: the SDK does not
// recover them, and no call may take the server down.
func addTool[In, Out any](srv *mcp.Server, t *mcp.Tool, h mcp.ToolHandlerFor[In, Out]) {
	name := t.Name
	mcp.AddTool(srv, t, func(ctx context.Context, req *mcp.CallToolRequest, in In) (res *mcp.CallToolResult, out Out, err error) {
		defer func() {
			if v := recover(); v != nil {
				var zero Out
				res, out, err = nil, zero, fmt.Errorf("%s: internal error: %v", name, v)
			}
		}()
		return h(ctx, req, in)
	})
}

// safeHandler is addTool's guard for a raw handler (the operation tools).
func safeHandler(name string, h mcp.ToolHandler) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer func() {
			if v := recover(); v != nil {
				res, err = toolError(fmt.Errorf("%s: internal error: %v", name, v)), nil
			}
		}()
		return h(ctx, req)
	}
}
