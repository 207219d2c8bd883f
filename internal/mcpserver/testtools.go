package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/testrun"
)

// TestResult is a finished run: the report `test run -o json` prints.
type TestResult = testrun.Report

// maxRuns is how many test-run results are kept for get_performance_metrics and resources.
const maxRuns = 20

func (s *Server) addTestTools() {
	addTool(s.mcp, &mcp.Tool{
		Name:        "execute_test_plan",
		InputSchema: inputSchema[testPlanInput](),
		Description: "Run a test plan generated from a plugin's (or a spec's) operations exactly as `mockloop test run -o json`: " +
			"each case goes to the mock and/or the live side, answers are validated against the spec and compared. " +
			"With server_url and collect_logs, each case carries that server's request-log entries of its requests. " +
			"Returns the run report with a run_id for get_performance_metrics and the resource mockloop://runs/<run_id>.",
		Annotations: &mcp.ToolAnnotations{OpenWorldHint: boolPtr(true)},
	}, s.executeTestPlan)
	addTool(s.mcp, &mcp.Tool{
		Name:        "diff_responses",
		InputSchema: inputSchema[diffInput](),
		Description: "Compare two JSON values, or the responses of two URLs (GET), with mockloop's comparison engine " +
			"(ignore_fields, numeric tolerance, array order). Returns the differences with their JSONPath locations.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true},
	}, s.diffResponses)
	addTool(s.mcp, &mcp.Tool{
		Name: "get_performance_metrics",
		Description: "Latency (min/p50/p95/p99/max in ms), throughput and error rate per side and per operation, from a " +
			"previous execute_test_plan run (run_id) or a run report given inline.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true},
	}, s.performanceMetrics)
}

type testPlanInput struct {
	PluginName         string          `json:"plugin_name,omitempty" jsonschema:"a saved plugin: its spec, target, credentials and comparison defaults"`
	OpenAPISpec        string          `json:"openapi_spec,omitempty" jsonschema:"an OpenAPI file path or URL, when no plugin is given"`
	ServerURL          string          `json:"server_url,omitempty" jsonschema:"a running mockloop serve to send the cases to (X-Mockloop-Mode picks the side)"`
	LiveURL            string          `json:"live_url,omitempty" jsonschema:"the live API base URL (default: the plugin's target)"`
	Mode               string          `json:"mode,omitempty" jsonschema:"mock (mock side only), proxy (live side only), hybrid (both, compared) or auto (ask the server); default from the plugin"`
	ValidationMode     string          `json:"validation_mode,omitempty" jsonschema:"strict (spec violations fail a case), soft (warnings) or off"`
	ComparisonConfig   *compare.Config `json:"comparison_config,omitempty" jsonschema:"comparison settings over the plugin's defaults"`
	ReportDifferences  *bool           `json:"report_differences,omitempty" jsonschema:"include each case's differences (default true)"`
	MonitorPerformance bool            `json:"monitor_performance,omitempty" jsonschema:"measure latency, throughput and error rate"`
	Operations         []string        `json:"operations,omitempty" jsonschema:"only these operations: operationIds, tags, or \"/path\" or \"METHOD /path\" globs where * matches anything (as test run --operations)"`
	Repeat             int             `json:"repeat,omitempty" jsonschema:"run each case this many times (for metrics)"`
	Concurrency        int             `json:"concurrency,omitempty" jsonschema:"cases in parallel"`
	CollectLogs        bool            `json:"collect_logs,omitempty" jsonschema:"attach the running server's request-log entries (server_url; secrets redacted) of each case's requests to the case"`
}

type testPlanOutput struct {
	RunID string `json:"run_id"`
	*TestResult
}

func (s *Server) executeTestPlan(ctx context.Context, _ *mcp.CallToolRequest, in testPlanInput) (*mcp.CallToolResult, any, error) {
	if in.PluginName == "" && in.OpenAPISpec == "" {
		return nil, nil, errors.New("execute_test_plan: give plugin_name or openapi_spec")
	}
	if in.CollectLogs && in.ServerURL == "" {
		return nil, nil, errors.New("execute_test_plan: collect_logs needs server_url: the request log is a running server's")
	}
	if in.OpenAPISpec == "-" {
		return nil, nil, errors.New("openapi_spec: '-' (stdin) is the MCP channel: give a file path or URL")
	}
	if in.Repeat < 0 || in.Repeat > 1000 {
		return nil, nil, fmt.Errorf("execute_test_plan: repeat %d: want 1 to 1000", in.Repeat)
	}
	if in.Concurrency < 0 || in.Concurrency > 64 {
		return nil, nil, fmt.Errorf("execute_test_plan: concurrency %d: want 1 to 64", in.Concurrency)
	}
	req := testrun.Request{
		Spec:        in.OpenAPISpec,
		Server:      in.ServerURL,
		Live:        in.LiveURL,
		Mode:        strings.ToLower(in.Mode),
		Validation:  strings.ToLower(in.ValidationMode),
		Operations:  in.Operations,
		CollectLogs: in.CollectLogs,
		Concurrency: 4,
		Repeat:      1,
		Timeout:     30 * time.Second,
		Load:        s.loadOptions(),
		Client:      s.client,
		LookupEnv:   s.cfg.LookupEnv,
		Logger:      s.log,
	}
	if in.ComparisonConfig != nil {
		req.Comparison = *in.ComparisonConfig
	}
	if in.Concurrency > 0 {
		req.Concurrency = in.Concurrency
	}
	if in.Repeat > 0 {
		req.Repeat = in.Repeat
	}
	if in.PluginName != "" {
		p, err := s.cfg.Store.Get(in.PluginName)
		if err != nil {
			return nil, nil, err
		}
		req.Plugin = p
	}
	res, err := s.cfg.RunTests(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("execute_test_plan: %w", err)
	}
	if in.ReportDifferences != nil && !*in.ReportDifferences {
		cp := *res
		cp.Cases = slices.Clone(res.Cases)
		for i := range cp.Cases {
			cp.Cases[i].Differences = nil
		}
		res = &cp
	}
	id := s.runs.add(res)
	s.mcp.AddResource(&mcp.Resource{
		URI:         runURI(id),
		Name:        "run-" + id,
		Title:       fmt.Sprintf("test run %s (%s)", id, res.Spec),
		Description: fmt.Sprintf("%d passed, %d failed, %d skipped", res.Summary.Passed, res.Summary.Failed, res.Summary.Skipped),
		MIMEType:    "application/json",
	}, s.readRun)
	for _, old := range s.runs.evicted() {
		s.mcp.RemoveResources(runURI(old))
	}
	return nil, testPlanOutput{RunID: id, TestResult: res}, nil
}

type metricsInput struct {
	RunID       string   `json:"run_id,omitempty" jsonschema:"the run_id an execute_test_plan call returned (default: the latest run)"`
	Result      any      `json:"result,omitempty" jsonschema:"a run report (test run -o json) given inline, instead of run_id"`
	MetricTypes []string `json:"metric_types,omitempty" jsonschema:"any of response_time (or latency), throughput, error_rate, count: the names of test run --metrics (default all)"`
}

type metricsOutput struct {
	RunID      string           `json:"run_id,omitempty"`
	Mock       map[string]any   `json:"mock,omitempty"`
	Live       map[string]any   `json:"live,omitempty"`
	Operations []map[string]any `json:"operations"`
}

func (s *Server) performanceMetrics(ctx context.Context, _ *mcp.CallToolRequest, in metricsInput) (*mcp.CallToolResult, any, error) {
	var fields []string
	for _, t := range in.MetricTypes {
		g, err := testrun.ParseMetric(t)
		if err != nil {
			return nil, nil, fmt.Errorf("metric_types: %w", err)
		}
		fields = append(fields, g.Fields...)
	}
	var (
		rep *TestResult
		id  = in.RunID
	)
	switch {
	case in.Result != nil:
		data, err := json.Marshal(in.Result)
		if err != nil {
			return nil, nil, fmt.Errorf("result: %w", err)
		}
		rep = &TestResult{}
		if err := json.Unmarshal(data, rep); err != nil {
			return nil, nil, fmt.Errorf("result: not a test run report: %w", err)
		}
		id = ""
	default:
		var ok bool
		id, rep, ok = s.runs.get(in.RunID)
		if !ok {
			if in.RunID == "" {
				return nil, nil, errors.New("no test run yet: call execute_test_plan first, or pass a result")
			}
			return nil, nil, fmt.Errorf("run %q not found (the last %d runs are kept: %s)", in.RunID, maxRuns, strings.Join(s.runs.ids(), ", "))
		}
	}
	if rep.Metrics == nil {
		return nil, nil, errors.New("the run has no metrics: run execute_test_plan with monitor_performance: true")
	}
	out := metricsOutput{RunID: id, Operations: []map[string]any{}}
	out.Mock = pickStats(rep.Metrics.Mock, fields)
	out.Live = pickStats(rep.Metrics.Live, fields)
	for _, om := range rep.Metrics.Operations {
		m := map[string]any{"operation": om.Operation}
		if v := pickStats(om.Mock, fields); v != nil {
			m["mock"] = v
		}
		if v := pickStats(om.Live, fields); v != nil {
			m["live"] = v
		}
		if om.LatencyRatio != 0 && (fields == nil || slices.Contains(fields, "p50_ms")) {
			m["latency_ratio"] = om.LatencyRatio
		}
		out.Operations = append(out.Operations, m)
	}
	return nil, out, nil
}

// pickStats returns the selected fields of st (all when fields is nil), nil when st is nil.
func pickStats(st *testrun.Stats, fields []string) map[string]any {
	if st == nil {
		return nil
	}
	data, err := json.Marshal(st)
	if err != nil {
		return nil
	}
	var all map[string]any
	if err := json.Unmarshal(data, &all); err != nil {
		return nil
	}
	if fields == nil {
		return all
	}
	out := map[string]any{}
	for _, f := range fields {
		if v, ok := all[f]; ok {
			out[f] = v
		}
	}
	return out
}

type diffInput struct {
	Left             any             `json:"left,omitempty" jsonschema:"the first JSON value (the mock side)"`
	Right            any             `json:"right,omitempty" jsonschema:"the second JSON value (the live side)"`
	LeftURL          string          `json:"left_url,omitempty" jsonschema:"GET this URL for the first response instead of left"`
	RightURL         string          `json:"right_url,omitempty" jsonschema:"GET this URL for the second response instead of right"`
	PluginName       string          `json:"plugin_name,omitempty" jsonschema:"take the comparison defaults from this plugin"`
	ComparisonConfig *compare.Config `json:"comparison_config,omitempty" jsonschema:"ignore_fields, tolerance, strict_arrays, compare_headers, ..."`
}

func (s *Server) diffResponses(ctx context.Context, req *mcp.CallToolRequest, in diffInput) (*mcp.CallToolResult, any, error) {
	// The typed input decoded numbers as float64; take the values from the raw arguments so
	// large integers compare exactly.
	var raw struct{ Left, Right json.RawMessage }
	if req != nil && req.Params != nil {
		_ = json.Unmarshal(req.Params.Arguments, &raw)
	}
	var layers []compare.Config
	if in.PluginName != "" {
		p, err := s.cfg.Store.Get(in.PluginName)
		if err != nil {
			return nil, nil, err
		}
		layers = append(layers, p.Comparison)
	}
	if in.ComparisonConfig != nil {
		layers = append(layers, *in.ComparisonConfig)
	}
	cmp, err := compare.Compile(compare.Merge(layers...))
	if err != nil {
		return nil, nil, fmt.Errorf("comparison_config: %w", err)
	}
	left, err := s.diffSide(ctx, "left", in.Left, raw.Left, in.LeftURL)
	if err != nil {
		return nil, nil, err
	}
	right, err := s.diffSide(ctx, "right", in.Right, raw.Right, in.RightURL)
	if err != nil {
		return nil, nil, err
	}
	return nil, cmp.Compare(left, right), nil
}

// diffSide is one side of diff_responses: an inline JSON value, or a URL's response.
func (s *Server) diffSide(ctx context.Context, name string, value any, raw json.RawMessage, u string) (compare.Response, error) {
	switch {
	case u != "" && value != nil:
		return compare.Response{}, fmt.Errorf("%s: give %s or %s_url, not both", name, name, name)
	case u != "":
		if !isURL(u) {
			return compare.Response{}, fmt.Errorf("%s_url %q: want an http(s) URL", name, u)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return compare.Response{}, fmt.Errorf("%s_url: %w", name, err)
		}
		req.Header.Set("Accept", "application/json, */*;q=0.8")
		resp, err := s.client.Do(req)
		if err != nil {
			return compare.Response{}, fmt.Errorf("%s_url: %w", name, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, testrun.MaxBody+1))
		if err != nil {
			return compare.Response{}, fmt.Errorf("%s_url %s: read body: %w", name, u, err)
		}
		if len(body) > testrun.MaxBody {
			return compare.Response{}, fmt.Errorf("%s_url %s: body larger than %d bytes", name, u, testrun.MaxBody)
		}
		return compare.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
	case value == nil:
		return compare.Response{}, fmt.Errorf("%s: give a JSON value or %s_url", name, name)
	}
	if len(raw) > 0 {
		return compare.Response{Body: raw, ContentType: "application/json"}, nil
	}
	body, err := json.Marshal(value)
	if err != nil {
		return compare.Response{}, fmt.Errorf("%s: %w", name, err)
	}
	return compare.Response{Body: body, ContentType: "application/json"}, nil
}
