package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
)

// overrideInput is set_override's input: where, which operation, and the override's own
// (flat) fields, as PUT /__mockloop/overrides/{operationId} takes them.
type overrideInput struct {
	PluginName  string `json:"plugin_name,omitempty" jsonschema:"a loaded plugin: its operation tools answer with the override (until the plugin is reloaded)"`
	ServerURL   string `json:"server_url,omitempty" jsonschema:"or a running mockloop serve, e.g. http://127.0.0.1:8000"`
	OperationID string `json:"operation_id,omitempty" jsonschema:"the operation: its operationId, or METHOD /template; with clear and empty: every override"`
	Clear       bool   `json:"clear,omitempty" jsonschema:"remove the operation's override (every override without operation_id) instead of setting one"`
	plugin.Override
}

// overrideOutput is what set_override returns.
type overrideOutput struct {
	OperationID string         `json:"operation_id,omitempty"`
	Set         bool           `json:"set"`
	Removed     int            `json:"removed,omitempty"`
	Warnings    []problem.Item `json:"warnings,omitempty"` // what of the override violates the spec (it is set all the same)
}

// overrider is what a handler built by stack.Build can do with overrides.
type overrider interface {
	SetOverride(operation string, o plugin.Override) ([]problem.Item, error)
	DeleteOverride(operation string) (int, error)
}

func (s *Server) addOverrideTool() {
	addTool(s.mcp, &mcp.Tool{
		Name:        "set_override",
		InputSchema: inputSchema[overrideInput](),
		Description: "Change what the mock answers for one operation, at run time: a fixed answer (status, headers, body), " +
			"a named example of the operation (example), or a sequence (responses: each used once, then the last repeats, " +
			"or cycle: true), optionally for `times` answers only. Bodies that violate the spec are set all the same and " +
			"reported as warnings. clear: true removes it. Applies to a loaded plugin's operation tools (plugin_name) or a " +
			"running `mockloop serve` (server_url, PUT /__mockloop/overrides/{operation_id}).",
		Annotations: &mcp.ToolAnnotations{IdempotentHint: true},
	}, s.setOverride)
}

func (s *Server) setOverride(ctx context.Context, _ *mcp.CallToolRequest, in overrideInput) (*mcp.CallToolResult, any, error) {
	id := strings.TrimSpace(in.OperationID)
	switch {
	case (in.PluginName == "") == (in.ServerURL == ""):
		return nil, nil, errors.New("set_override: give plugin_name or server_url (one of them)")
	case id == "" && !in.Clear:
		return nil, nil, errors.New("set_override: give the operation_id to override")
	case in.ServerURL != "":
		return s.overrideServer(ctx, in.ServerURL, id, in)
	}
	lp := s.plugin(in.PluginName)
	if lp == nil {
		return nil, nil, fmt.Errorf("set_override: plugin %q is not loaded", in.PluginName)
	}
	o, ok := lp.handler.(overrider)
	if !ok {
		return nil, nil, fmt.Errorf("set_override: plugin %q has no runtime overrides", in.PluginName)
	}
	if in.Clear {
		n, err := o.DeleteOverride(id)
		if err != nil {
			return nil, nil, err
		}
		return nil, overrideOutput{OperationID: id, Removed: n}, nil
	}
	warnings, err := o.SetOverride(id, in.Override)
	if err != nil {
		return nil, nil, err
	}
	return nil, overrideOutput{OperationID: id, Set: true, Warnings: warnings}, nil
}

// overrideServer sets or removes an override of a running server over its admin API.
func (s *Server) overrideServer(ctx context.Context, server, id string, in overrideInput) (*mcp.CallToolResult, any, error) {
	path := "overrides"
	if id != "" {
		path += "/" + url.PathEscape(id)
	}
	method, body := http.MethodPut, any(in.Override)
	if in.Clear {
		method, body = http.MethodDelete, nil
	}
	var got struct {
		Removed  int            `json:"removed"`
		Warnings []problem.Item `json:"warnings"`
	}
	if err := s.adminCall(ctx, server, method, path, body, &got, "set override"); err != nil {
		return nil, nil, err
	}
	return nil, overrideOutput{OperationID: id, Set: !in.Clear, Removed: got.Removed, Warnings: got.Warnings}, nil
}
