package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/plugin"
)

func (s *Server) addCompareTool() {
	addTool(s.mcp, &mcp.Tool{
		Name:        "compare_operation",
		InputSchema: inputSchema[compareInput](),
		Description: "Call one API operation on the mock and on the live API (the plugin's target, with its credentials) " +
			"with the same flat arguments, and compare the answers after the plugin's comparison settings " +
			"(and comparison_config over them). Returns what `mockloop diff -o json` prints (equal, summary, " +
			"differences with JSONPath locations), with the operation, the request and each side's status.",
		Annotations: &mcp.ToolAnnotations{OpenWorldHint: boolPtr(true)},
	}, s.compareOperation)
}

type compareInput struct {
	PluginName       string          `json:"plugin_name" jsonschema:"the plugin: its spec, its target and credentials, its comparison settings"`
	Operation        string          `json:"operation" jsonschema:"the operation: its operationId, or \"METHOD /path\""`
	Arguments        map[string]any  `json:"arguments,omitempty" jsonschema:"the operation's flat arguments: parameters and body fields by name"`
	ComparisonConfig *compare.Config `json:"comparison_config,omitempty" jsonschema:"comparison settings over the plugin's: ignore_fields, tolerance, strict_arrays, compare_headers, ..."`
}

// compareSide is one side's answer in compare_operation's result.
type compareSide struct {
	Status int    `json:"status"`
	Mode   string `json:"mode,omitempty"` // the side that answered (X-Mockloop-Mode)
}

func (s *Server) compareOperation(ctx context.Context, req *mcp.CallToolRequest, in compareInput) (*mcp.CallToolResult, any, error) {
	if in.PluginName == "" {
		return nil, nil, errors.New("plugin_name is required")
	}
	lp, op, err := s.findOperation(in.PluginName, in.Operation)
	if err != nil {
		return nil, nil, err
	}
	if !lp.live {
		return nil, nil, fmt.Errorf("plugin %q has no target_url: there is no live API to compare with", lp.p.Name)
	}
	layers := []compare.Config{lp.p.Comparison}
	if in.ComparisonConfig != nil {
		layers = append(layers, *in.ComparisonConfig)
	}
	cmp, err := compare.Compile(compare.Merge(layers...))
	if err != nil {
		return nil, nil, fmt.Errorf("comparison_config: %w", err)
	}
	raw := rawArguments(req)
	mock, err := s.callOperation(ctx, lp, op, raw, plugin.ModeMock)
	if err != nil {
		return nil, nil, fmt.Errorf("compare_operation %s: mock: %w", operationRef(op), err)
	}
	live, err := s.callOperation(ctx, lp, op, raw, plugin.ModeProxy)
	if err != nil {
		return nil, nil, fmt.Errorf("compare_operation %s: live: %w", operationRef(op), err)
	}
	if f := live.Headers["X-Mockloop-Fallback"]; f != "" {
		return nil, nil, fmt.Errorf("compare_operation %s: the live call failed (%s) and the mock answered instead: nothing to compare", operationRef(op), f)
	}
	if live.Mode != "" && live.Mode != string(plugin.ModeProxy) {
		return nil, nil, fmt.Errorf("compare_operation %s: the live side was answered by %s", operationRef(op), live.Mode)
	}
	res := cmp.Compare(mock.answer, live.answer)
	// The result is the diff's JSON form, as `mockloop diff -o json` prints it, with the call's context.
	data, err := json.Marshal(res)
	if err != nil {
		return nil, nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, nil, err
	}
	out["plugin"] = lp.p.Name
	out["operation"] = operationRef(op)
	out["request"] = live.request
	out["mock"] = compareSide{Status: mock.Status, Mode: mock.Mode}
	out["live"] = compareSide{Status: live.Status, Mode: live.Mode}
	return nil, out, nil
}
