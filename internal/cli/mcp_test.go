package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/mcpserver"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
	"github.com/mockloop/mockloop/internal/testrun"
)

func TestNewMCPCmd(t *testing.T) {
	tests := []struct {
		args    string
		want    mcpOptions
		wantErr string
	}{
		{"", mcpOptions{}, ""},
		{"--plugin a --plugin b --operations tag:pets --operations 'GET /x'", mcpOptions{Plugins: []string{"a", "b"}, Operations: []string{"tag:pets", "GET /x"}}, ""},
		{"--tools Discovery --http 127.0.0.1:0", mcpOptions{Tools: "discovery", HTTP: "127.0.0.1:0"}, ""},
		{"--http localhost:7000", mcpOptions{HTTP: "localhost:7000"}, ""},
		{"--http [::1]:7000", mcpOptions{HTTP: "[::1]:7000"}, ""},
		{"--http 0.0.0.0:7000 --http-token t", mcpOptions{HTTP: "0.0.0.0:7000", HTTPToken: "t"}, ""},
		{"--http :7000", mcpOptions{}, "--http :7000: listening beyond loopback needs --http-token"},
		{"--http 192.0.2.1:7000", mcpOptions{}, "needs --http-token"},
		{"--http 7000", mcpOptions{}, `--http "7000": want host:port`},
		{"--http 127.0.0.1:99999", mcpOptions{}, `port "99999"`},
		{"--http-token t", mcpOptions{}, "--http-token needs --http"},
		{"--tools all", mcpOptions{}, `--tools: invalid MCP tool mode "all"`},
		{"--plugin 'bad name'", mcpOptions{}, "--plugin"},
		{"extra", mcpOptions{}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios, LookupEnv: func(string) (string, bool) { return "", false }}
			var got *mcpOptions
			cmd := newMCPCmd(f, func(o *mcpOptions) error { got = o; return nil })
			cmd.SetArgs(splitArgs(tt.args))
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Plugins, tt.want.Plugins) || !slices.Equal(got.Operations, tt.want.Operations) ||
				got.Tools != tt.want.Tools || got.HTTP != tt.want.HTTP || got.HTTPToken != tt.want.HTTPToken {
				t.Errorf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// splitArgs splits on spaces, keeping 'quoted parts' together.
func splitArgs(s string) []string {
	var out []string
	for i, part := range strings.Split(s, "'") {
		if i%2 == 1 {
			out = append(out, part)
			continue
		}
		out = append(out, strings.Fields(part)...)
	}
	return out
}

// liveAPI is a loopback live API that records what it receives.
type liveAPI struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func newUpstream(t *testing.T) *liveAPI {
	u := &liveAPI{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.seen = append(u.seen, r.Clone(context.Background()))
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/pets":
			io.WriteString(w, `[{"id":1,"name":"Live Rex"}]`)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/pets/"):
			io.WriteString(w, `{"id":7,"name":"Live Seven"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"nope"}`)
		}
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *liveAPI) requests() []*http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.seen)
}

// mcpSession runs the real `mockloop mcp` wiring over in-memory transports.
func mcpSession(t *testing.T, env map[string]string, opts *mcpOptions) (*mcp.ClientSession, string) {
	t.Helper()
	ctx := context.Background()
	ios, _, _, _ := iostreams.Test()
	dir := filepath.Join(t.TempDir(), "plugins")
	f := &Factory{
		IOStreams:      ios,
		LookupEnv:      func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		HTTPClient:     &http.Client{},
		Version:        "test",
		pluginsDirFlag: dir,
	}
	if opts == nil {
		opts = &mcpOptions{}
	}
	opts.IO, opts.Store, opts.LookupEnv, opts.Client, opts.Version = f.IOStreams, f.PluginStore(), f.LookupEnv, f.HTTPClient, f.Version
	srv, err := mcpserver.New(ctx, mcpConfig(opts))
	if err != nil {
		t.Fatal(err)
	}
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait(); srv.Close() })
	return cs, dir
}

// callTool calls a tool; it fails the test on a protocol error and returns the result and its
// whole JSON text (to search for secrets).
func callTool(t *testing.T, cs *mcp.ClientSession, name string, args any, out any) (*mcp.CallToolResult, string) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	raw, _ := json.Marshal(res)
	if res.IsError {
		return res, string(raw)
	}
	if out != nil {
		data, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s: decode %s: %v", name, data, err)
		}
	}
	return res, string(raw)
}

const petsSpec = "../mcpserver/testdata/pets.yaml"

type opResult struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    any               `json:"body"`
	Mode    string            `json:"mode"`
}

func TestMCPOperationToolModes(t *testing.T) {
	up := newUpstream(t)
	const token = "tok-SECRET-123456"
	cs, _ := mcpSession(t, map[string]string{"PETS_TOKEN": token}, nil)

	create := func(t *testing.T, name, mode string, rules []map[string]any) {
		t.Helper()
		res, raw := callTool(t, cs, "create_mcp_plugin", map[string]any{
			"plugin_name": name, "spec_url_or_path": petsSpec, "mode": mode, "target_url": up.URL + "/v1",
			"auth_config": map[string]any{"auth_type": "bearer_token", "credentials": map[string]string{"token": "${PETS_TOKEN}"}},
			"route_rules": rules,
		}, nil)
		if res.IsError {
			t.Fatalf("create %s: %s", name, raw)
		}
	}

	t.Run("mock", func(t *testing.T) {
		create(t, "mocked", "mock", nil)
		var out opResult
		res, raw := callTool(t, cs, "mocked_listPets", map[string]any{}, &out)
		if res.IsError || out.Status != 200 || out.Mode != "mock" {
			t.Fatalf("mock call: %s", raw)
		}
		if got, _ := json.Marshal(out.Body); string(got) != `[{"id":1,"name":"Rex"}]` {
			t.Errorf("mock body = %s", got)
		}
		// A secured operation: the tool sends a placeholder credential, which the mock accepts
		// (serve's mock would say 401 to a client without one).
		res, raw = callTool(t, cs, "mocked_delete_pets_petId", map[string]any{"petId": 3}, &out)
		if res.IsError || out.Status != http.StatusNoContent {
			t.Errorf("secured mock call: %s", raw)
		}
		// Invalid parameters are the mock's 400, as serve answers.
		res, raw = callTool(t, cs, "mocked_get_pet_by-id", map[string]any{"petId": "abc"}, &out)
		if res.IsError || out.Status != http.StatusBadRequest {
			t.Errorf("invalid mock call: %s", raw)
		}
		if n := len(up.requests()); n != 0 {
			t.Errorf("mock mode reached the upstream %d times", n)
		}
	})

	t.Run("proxy", func(t *testing.T) {
		create(t, "live", "proxy", nil)
		var out opResult
		res, raw := callTool(t, cs, "live_get_pet_by-id", map[string]any{"petId": 7}, &out)
		if res.IsError || out.Status != 200 || out.Mode != "proxy" {
			t.Fatalf("proxy call: %s", raw)
		}
		if b, _ := out.Body.(map[string]any); b["name"] != "Live Seven" {
			t.Errorf("proxy body = %v", out.Body)
		}
		reqs := up.requests()
		if len(reqs) != 1 {
			t.Fatalf("upstream saw %d requests", len(reqs))
		}
		if got := reqs[0].Header.Get("Authorization"); got != "Bearer "+token {
			t.Errorf("upstream Authorization = %q, want the plugin's token", got)
		}
		if reqs[0].URL.Path != "/v1/pets/7" {
			t.Errorf("upstream path = %q", reqs[0].URL.Path)
		}
		if strings.Contains(raw, token) {
			t.Errorf("the token is in the tool result: %s", raw)
		}
	})

	t.Run("hybrid", func(t *testing.T) {
		// As with serve: a matching rule decides, anything else goes live.
		create(t, "mixed", "hybrid", []map[string]any{{"pattern": "/pets", "method": "GET", "mode": "mock"}})
		before := len(up.requests())
		var out opResult
		callTool(t, cs, "mixed_listPets", map[string]any{}, &out)
		if out.Mode != "mock" || out.Status != 200 {
			t.Errorf("rule-matched call: %+v", out)
		}
		callTool(t, cs, "mixed_get_pet_by-id", map[string]any{"petId": 7}, &out)
		if out.Mode != "proxy" || out.Status != 200 {
			t.Errorf("unmatched call: %+v", out)
		}
		if got := len(up.requests()) - before; got != 1 {
			t.Errorf("upstream saw %d requests, want 1", got)
		}
	})

	t.Run("list shows no secret", func(t *testing.T) {
		res, raw := callTool(t, cs, "list_plugins", map[string]any{}, nil)
		if res.IsError || strings.Contains(raw, token) || !strings.Contains(raw, "live_listPets") {
			t.Errorf("list: %s", raw)
		}
	})
}

func TestMCPTestPlanAndDiff(t *testing.T) {
	up := newUpstream(t)
	cs, _ := mcpSession(t, nil, nil)
	if res, raw := callTool(t, cs, "create_mcp_plugin", map[string]any{
		"plugin_name": "pets", "spec_url_or_path": petsSpec, "mode": "proxy", "target_url": up.URL + "/v1",
	}, nil); res.IsError {
		t.Fatal(raw)
	}

	var rep struct {
		RunID   string `json:"run_id"`
		Schema  string `json:"schema"`
		Plugin  string `json:"plugin"`
		Mode    string `json:"mode"`
		Summary struct{ Total, Passed, Failed int }
		Cases   []struct {
			Operation   string            `json:"operation"`
			Outcome     string            `json:"outcome"`
			Differences []json.RawMessage `json:"differences"`
		} `json:"cases"`
		Metrics json.RawMessage `json:"metrics"`
	}
	res, raw := callTool(t, cs, "execute_test_plan", map[string]any{
		"plugin_name": "pets", "mode": "hybrid", "operations": []string{"listPets"}, "validation_mode": "soft",
		"monitor_performance": true,
	}, &rep)
	if res.IsError {
		t.Fatalf("execute_test_plan: %s", raw)
	}
	if rep.RunID == "" || rep.Schema != "mockloop.testrun/v1" || rep.Plugin != "pets" || rep.Mode != "hybrid" || rep.Summary.Total != 1 {
		t.Fatalf("report: %s", raw)
	}
	// Mock says Rex, live says Live Rex: the comparison finds it.
	if rep.Cases[0].Operation != "GET /pets" || rep.Cases[0].Outcome != "fail" || len(rep.Cases[0].Differences) == 0 {
		t.Errorf("case: %s", raw)
	}
	// The same run with name ignored passes: comparison_config reaches the runner.
	res, raw = callTool(t, cs, "execute_test_plan", map[string]any{
		"plugin_name": "pets", "mode": "hybrid", "operations": []string{"listPets"}, "validation_mode": "soft",
		"comparison_config": map[string]any{"ignore_fields": []string{"name"}},
	}, &rep)
	if res.IsError || rep.Summary.Passed != 1 {
		t.Errorf("run with ignore_fields: %s", raw)
	}

	var m struct {
		Mock map[string]any `json:"mock"`
		Live map[string]any `json:"live"`
	}
	if res, raw := callTool(t, cs, "get_performance_metrics", map[string]any{"metric_types": []string{"count"}}, &m); res.IsError || m.Live["count"] != 1.0 {
		t.Errorf("metrics: %s", raw)
	}

	var d struct {
		Equal       bool `json:"equal"`
		Differences []struct {
			Location string `json:"location"`
			Kind     string `json:"kind"`
		} `json:"differences"`
	}
	if res, raw := callTool(t, cs, "diff_responses", map[string]any{
		"left": map[string]any{"a": []any{1, 2}, "t": 100}, "right": map[string]any{"a": []any{2, 1}, "t": 104},
		"comparison_config": map[string]any{"tolerance": 0.05},
	}, &d); res.IsError || !d.Equal {
		t.Errorf("diff equal: %s", raw)
	}
	if res, raw := callTool(t, cs, "diff_responses", map[string]any{
		"left": map[string]any{"a": []any{1, 2}}, "right": map[string]any{"a": []any{2, 1}},
		"comparison_config": map[string]any{"strict_arrays": true},
	}, &d); res.IsError || d.Equal || d.Differences[0].Location != "$.a[0]" {
		t.Errorf("diff strict arrays: %s", raw)
	}
}

func TestMCPStartupErrors(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &Factory{IOStreams: ios, LookupEnv: func(string) (string, bool) { return "", false }, HTTPClient: &http.Client{}, pluginsDirFlag: t.TempDir()}
	opts := func(o mcpOptions) *mcpOptions {
		o.IO, o.Store, o.LookupEnv, o.Client = f.IOStreams, f.PluginStore(), f.LookupEnv, f.HTTPClient
		return &o
	}
	err := runMCP(context.Background(), opts(mcpOptions{Plugins: []string{"ghost"}}))
	if exitCode(err) != ExitTrouble || !strings.Contains(err.Error(), `plugin "ghost" not found`) {
		t.Errorf("err = %v", err)
	}
	err = runMCP(context.Background(), opts(mcpOptions{Operations: []string{"GET nope"}}))
	if exitCode(err) != ExitTrouble || !strings.Contains(err.Error(), "--operations") {
		t.Errorf("err = %v", err)
	}
}

func TestMCPSwitchServerMode(t *testing.T) {
	up := newUpstream(t)
	doc, err := spec.Load(context.Background(), petsSpec, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A running `mockloop serve pets` (the same stack, behind a loopback listener).
	h, err := stack.Build(doc, stack.Settings{Mode: plugin.ModeMock, Target: up.URL + "/v1"}, stack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	served := httptest.NewServer(h)
	defer served.Close()
	defer h.Close()

	cs, _ := mcpSession(t, nil, nil)
	var out struct{ Mode, Previous, ServerURL string }
	res, raw := callTool(t, cs, "switch_mode", map[string]any{"server_url": served.URL, "mode": "proxy"}, &out)
	if res.IsError || out.Mode != "proxy" || out.Previous != "mock" {
		t.Fatalf("switch_mode: %s", raw)
	}
	if got := h.Handler.Mode(); got != plugin.ModeProxy {
		t.Errorf("server mode = %s", got)
	}
	res, raw = callTool(t, cs, "switch_mode", map[string]any{"server_url": served.URL, "mode": "sideways"}, nil)
	if !res.IsError || !strings.Contains(raw, "400") || !strings.Contains(raw, "sideways") {
		t.Errorf("bad mode: %s", raw)
	}
	res, raw = callTool(t, cs, "switch_mode", map[string]any{"server_url": up.URL + "/nothing-here", "mode": "mock"}, nil)
	if !res.IsError || !strings.Contains(raw, "404") {
		t.Errorf("not a mockloop server: %s", raw)
	}
}

// TestMCPTestRunRedactsLikeTheCLI: a spec URL carrying a token comes back from
// execute_test_plan exactly as `test run -o json` prints it: the token hidden.
func TestMCPTestRunRedactsLikeTheCLI(t *testing.T) {
	data, err := os.ReadFile(petsSpec)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(data)
	}))
	defer srv.Close()
	specURL := srv.URL + "/pets.yaml?token=SECRET-tok-123&v=2"

	cs, _ := mcpSession(t, nil, nil)
	var viaMCP testrun.Report
	res, raw := callTool(t, cs, "execute_test_plan", map[string]any{"openapi_spec": specURL, "mode": "mock", "operations": []string{"listPets"}}, &viaMCP)
	if res.IsError {
		t.Fatalf("execute_test_plan: %s", raw)
	}

	env := newTestRunEnv(t)
	env.run("test", "run", "--spec", specURL, "--mode", "mock", "--operations", "listPets", "-o", "json")
	var viaCLI testrun.Report
	if err := json.Unmarshal(env.out.Bytes(), &viaCLI); err != nil {
		t.Fatalf("test run -o json: %v\n%s%s", err, env.out.String(), env.errOut.String())
	}
	if strings.Contains(raw, "SECRET") || strings.Contains(env.out.String(), "SECRET") {
		t.Errorf("the token leaks:\nMCP: %s\nCLI: %s", raw, env.out.String())
	}
	if viaMCP.Spec != viaCLI.Spec || !strings.Contains(viaMCP.Spec, "token=***") {
		t.Errorf("spec via MCP %q, via the CLI %q: want the same, with token=***", viaMCP.Spec, viaCLI.Spec)
	}
}

// TestMCPTokenFromEnv: MOCKLOOP_MCP_TOKEN stands for --http-token, which wins when given.
func TestMCPTokenFromEnv(t *testing.T) {
	for _, tt := range []struct {
		args, want string
	}{
		{"--http 0.0.0.0:7000", "from-env"},
		{"--http 0.0.0.0:7000 --http-token from-flag", "from-flag"},
	} {
		t.Run(tt.args, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios, LookupEnv: func(k string) (string, bool) {
				if k == "MOCKLOOP_MCP_TOKEN" {
					return "from-env", true
				}
				return "", false
			}}
			var got *mcpOptions
			cmd := newMCPCmd(f, func(o *mcpOptions) error { got = o; return nil })
			cmd.SetArgs(splitArgs(tt.args))
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got.HTTPToken != tt.want {
				t.Errorf("token = %q, want %q", got.HTTPToken, tt.want)
			}
		})
	}
}

// TestMCPCollectLogs: execute_test_plan with collect_logs through a running server attaches
// the server's request-log entries to each case, as test run --collect-logs does.
func TestMCPCollectLogs(t *testing.T) {
	doc, err := spec.Load(context.Background(), petsSpec, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := stack.Build(doc, stack.Settings{Mode: plugin.ModeMock}, stack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	served := httptest.NewServer(h)
	defer served.Close()
	defer h.Close()

	cs, _ := mcpSession(t, nil, nil)
	var rep testrun.Report
	res, raw := callTool(t, cs, "execute_test_plan", map[string]any{"openapi_spec": petsSpec, "server_url": served.URL, "mode": "mock",
		"operations": []string{"listPets", "DELETE /pets/*"}, "collect_logs": true}, &rep)
	if res.IsError {
		t.Fatalf("execute_test_plan: %s", raw)
	}
	if len(rep.Cases) != 2 || rep.LogsError != "" {
		t.Fatalf("report: %s", raw)
	}
	for _, c := range rep.Cases {
		if len(c.Logs) != 1 || c.Logs[0].Path != c.Path || c.Logs[0].Side != plugin.ModeMock {
			t.Errorf("case %s: logs %+v", c.Name, c.Logs)
		}
	}
	if !strings.Contains(raw, `"X-Api-Key":"***"`) || strings.Contains(raw, "mockloop-placeholder") {
		t.Errorf("the logged credential is not redacted: %s", raw)
	}
	res, raw = callTool(t, cs, "execute_test_plan", map[string]any{"openapi_spec": petsSpec, "collect_logs": true}, nil)
	if !res.IsError || !strings.Contains(raw, "collect_logs needs server_url") {
		t.Errorf("without a server: %s", raw)
	}
}
