package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/testrun"
)

// echoHandler answers every request with what it received, as JSON, plus the plugin's mode
// and an echo of the plugin's credential (to check redaction).
func echoHandler(_ context.Context, p *plugin.Plugin, _ *spec.Document) (http.Handler, error) {
	if p.Mode == "broken" {
		return nil, errors.New("cannot build")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		body, _ := io.ReadAll(r.Body)
		secret := ""
		if p.Auth != nil {
			secret = p.Auth.Credentials["token"]
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Mockloop-Mode", string(p.Mode))
		w.Header().Set("X-Echo-Secret", secret)
		w.WriteHeader(http.StatusTeapot)
		json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,
			"request_id": r.Header.Get("X-Request-Id"), "content_type": r.Header.Get("Content-Type"),
			"body": string(body), "secret": secret,
		})
	}), nil
}

type fixture struct {
	srv     *Server
	session *mcp.ClientSession
	store   *plugin.Store
	changes chan struct{}
	tests   []testrun.Request
	mu      sync.Mutex
}

func newFixture(t *testing.T, mutate func(*Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	fx := &fixture{store: plugin.NewStore(filepath.Join(t.TempDir(), "plugins")), changes: make(chan struct{}, 16)}
	cfg := Config{
		Store:      fx.store,
		Version:    "test",
		NewHandler: echoHandler,
		LookupEnv:  func(string) (string, bool) { return "", false },
		RunTests: func(ctx context.Context, req testrun.Request) (*testrun.Report, error) {
			fx.mu.Lock()
			fx.tests = append(fx.tests, req)
			fx.mu.Unlock()
			if req.Spec == "fail.yaml" {
				return nil, errors.New("load spec \"x\": no such file")
			}
			return &testrun.Report{
				Schema: testrun.SchemaVersion, Spec: "testdata/pets.yaml", Mode: "mock",
				Summary: testrun.Summary{Total: 1, Passed: 1},
				Cases: []testrun.CaseResult{{Name: "listPets", Outcome: testrun.OutcomePass,
					Differences: []compare.Difference{{Location: "$.id", Kind: compare.KindChanged}}}},
				Metrics: &testrun.Metrics{
					Mock:       &testrun.Stats{Count: 3, P50MS: 1.5, Throughput: 100},
					Operations: []testrun.OperationMetrics{{Operation: "GET /pets", Mock: &testrun.Stats{Count: 3, P50MS: 1.5}}},
				},
			}, nil
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fx.srv = srv
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			select {
			case fx.changes <- struct{}{}:
			default:
			}
		},
	})
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	fx.session = cs
	t.Cleanup(func() {
		cs.Close()
		ss.Wait()
		srv.Close()
	})
	return fx
}

func (fx *fixture) toolNames(t *testing.T) []string {
	t.Helper()
	res, err := fx.session.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// call calls a tool and decodes its structured content into out (when non-nil).
func (fx *fixture) call(t *testing.T, name string, args any, out any) *mcp.CallToolResult {
	t.Helper()
	res, err := fx.session.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: protocol error: %v", name, err)
	}
	if out != nil && !res.IsError {
		data, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("call %s: decode %s: %v", name, data, err)
		}
	}
	return res
}

func errorText(res *mcp.CallToolResult) string {
	if !res.IsError || len(res.Content) == 0 {
		return ""
	}
	if tc, ok := res.Content[0].(*mcp.TextContent); ok {
		return tc.Text
	}
	return ""
}

func (fx *fixture) waitChange(t *testing.T) {
	t.Helper()
	select {
	case <-fx.changes:
	case <-time.After(10 * time.Second):
		t.Fatal("no notifications/tools/list_changed")
	}
}

func petsPath(t *testing.T) string {
	p, err := filepath.Abs("testdata/pets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFixedTools(t *testing.T) {
	fx := newFixture(t, nil)
	want := []string{"compare_operation", "create_mcp_plugin", "delete_plugin", "diff_responses", "execute_test_plan", "get_performance_metrics", "list_plugins", "set_override", "switch_mode"}
	if got := fx.toolNames(t); !slices.Equal(got, want) {
		t.Fatalf("tools = %q, want %q", got, want)
	}
	res, err := fx.session.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		if tool.Description == "" || tool.InputSchema == nil {
			t.Errorf("tool %s has no description or input schema", tool.Name)
		}
	}
}

func TestCreateCallDeletePlugin(t *testing.T) {
	fx := newFixture(t, nil)
	var created createOutput
	res := fx.call(t, "create_mcp_plugin", map[string]any{
		"plugin_name": "pets", "spec_url_or_path": petsPath(t), "mode": "proxy", "target_url": "http://127.0.0.1:9/v1",
		"auth_config":       map[string]any{"auth_type": "bearer_token", "credentials": map[string]string{"token": "s3cr3t-token"}},
		"comparison_config": map[string]any{"ignore_fields": []string{"timestamp"}, "tolerance": 0.1},
	}, &created)
	if res.IsError {
		t.Fatalf("create: %s", errorText(res))
	}
	fx.waitChange(t)
	wantTools := []string{"pets_createPet", "pets_delete_pets_petId", "pets_get_pet_by-id", "pets_listPets"}
	var gotTools []string
	for _, tt := range created.Tools {
		gotTools = append(gotTools, tt.Name)
	}
	slices.Sort(gotTools)
	if !slices.Equal(gotTools, wantTools) {
		t.Errorf("created tools = %q, want %q", gotTools, wantTools)
	}
	if created.Plugin.Auth.Credentials["token"] != redact.Mask {
		t.Errorf("create result shows the credential: %+v", created.Plugin.Auth)
	}
	if created.Plugin.Comparison.Tolerance.DefaultValue() != 0.1 {
		t.Errorf("tolerance not kept: %+v", created.Plugin.Comparison)
	}
	// The file is what `plugin create` writes: the store reads it back, secrets unmasked.
	saved, err := fx.store.Get("pets")
	if err != nil {
		t.Fatal(err)
	}
	if saved.Auth.Credentials["token"] != "s3cr3t-token" || saved.Mode != "proxy" || saved.Spec != petsPath(t) {
		t.Errorf("saved plugin = %+v", saved)
	}
	if got := fx.toolNames(t); !slices.Contains(got, "pets_listPets") {
		t.Fatalf("tools after create: %q", got)
	}
	again := fx.call(t, "create_mcp_plugin", map[string]any{"plugin_name": "pets", "spec_url_or_path": petsPath(t)}, nil)
	if !again.IsError || !strings.Contains(errorText(again), "already exists") {
		t.Errorf("second create without force: %+v", again)
	}

	t.Run("operation tool", func(t *testing.T) {
		var out OperationResult
		res := fx.call(t, "pets_listPets", map[string]any{"limit": 5, "tag": []any{"a", "b"}, "X-Request-Id": "r1"}, &out)
		if res.IsError {
			t.Fatalf("call: %s", errorText(res))
		}
		body := out.Body.(map[string]any)
		if out.Status != http.StatusTeapot || out.Mode != "proxy" || body["path"] != "/pets" ||
			body["query"] != "limit=5&tag=a&tag=b" || body["request_id"] != "r1" {
			t.Errorf("result = %+v", out)
		}
		raw, _ := json.Marshal(res)
		if strings.Contains(string(raw), "s3cr3t-token") {
			t.Errorf("the secret is in the tool result: %s", raw)
		}
	})
	t.Run("path and body", func(t *testing.T) {
		var out OperationResult
		res := fx.call(t, "pets_get_pet_by-id", map[string]any{"petId": 42}, &out)
		if res.IsError || out.Body.(map[string]any)["path"] != "/pets/42" {
			t.Fatalf("get: %s %+v", errorText(res), out)
		}
		res = fx.call(t, "pets_createPet", map[string]any{"name": "Rex", "parent": map[string]any{"name": "P", "id": json.RawMessage("12345678901234567890")}}, &out)
		b := out.Body.(map[string]any)
		if res.IsError || b["method"] != "POST" || b["body"] != `{"name":"Rex","parent":{"id":12345678901234567890,"name":"P"}}` || b["content_type"] != "application/json" {
			t.Fatalf("create pet: %s %+v", errorText(res), out)
		}
	})
	t.Run("bad arguments are tool errors", func(t *testing.T) {
		for _, tt := range []struct {
			name, tool string
			args       map[string]any
			want       string
		}{
			{"missing path param", "pets_get_pet_by-id", map[string]any{}, `missing argument "petId"`},
			{"unknown argument", "pets_get_pet_by-id", map[string]any{"petId": 1, "id": 1}, `unknown argument "id" for GET /pets/{petId} (want petId)`},
			{"the old grouped form", "pets_get_pet_by-id", map[string]any{"path": map[string]any{"petId": 1}}, `unknown argument "path"`},
			{"object as param", "pets_get_pet_by-id", map[string]any{"petId": map[string]any{}}, `path parameter "petId"`},
			{"header injection", "pets_listPets", map[string]any{"X-Request-Id": "b\r\nX-B: c"}, "line breaks"},
		} {
			res := fx.call(t, tt.tool, tt.args, nil)
			if !res.IsError || !strings.Contains(errorText(res), tt.want) {
				t.Errorf("%s: want a tool error with %q, got %+v", tt.name, tt.want, res)
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		var out listOutput
		fx.call(t, "list_plugins", map[string]any{}, &out)
		if len(out.Plugins) != 1 || out.Plugins[0].Name != "pets" || !out.Plugins[0].Loaded || len(out.Plugins[0].Tools) != 4 {
			t.Errorf("list = %+v", out)
		}
	})
	t.Run("spec resource", func(t *testing.T) {
		rr, err := fx.session.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "mockloop://plugins/pets/spec"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rr.Contents) != 1 || !strings.Contains(rr.Contents[0].Text, `"listPets"`) {
			t.Errorf("spec resource = %+v", rr.Contents)
		}
	})
	t.Run("switch mode", func(t *testing.T) {
		var out switchOutput
		res := fx.call(t, "switch_mode", map[string]any{"plugin_name": "pets", "mode": "mock"}, &out)
		if res.IsError || out.Previous != "proxy" || out.Mode != "mock" {
			t.Fatalf("switch: %s %+v", errorText(res), out)
		}
		var op OperationResult
		fx.call(t, "pets_listPets", map[string]any{}, &op)
		if op.Mode != "mock" {
			t.Errorf("after switch, mode = %q", op.Mode)
		}
		if p, _ := fx.store.Get("pets"); p.Mode != "mock" {
			t.Errorf("file mode = %q", p.Mode)
		}
	})

	var del deleteOutput
	res = fx.call(t, "delete_plugin", map[string]any{"plugin_name": "pets"}, &del)
	if res.IsError || len(del.ToolsRemoved) != 4 {
		t.Fatalf("delete: %s %+v", errorText(res), del)
	}
	fx.waitChange(t)
	if got := fx.toolNames(t); slices.Contains(got, "pets_listPets") {
		t.Errorf("tools after delete: %q", got)
	}
	if _, err := fx.session.CallTool(context.Background(), &mcp.CallToolParams{Name: "pets_listPets", Arguments: map[string]any{}}); err == nil {
		t.Errorf("a deleted plugin's tool still answers")
	}
}

func TestToolErrors(t *testing.T) {
	fx := newFixture(t, nil)
	tests := []struct {
		tool string
		args map[string]any
		want string
	}{
		{"create_mcp_plugin", map[string]any{"plugin_name": "bad name!"}, "invalid plugin"},
		{"create_mcp_plugin", map[string]any{"plugin_name": "p", "spec_url_or_path": "testdata/nope.yaml"}, "nope.yaml"},
		{"create_mcp_plugin", map[string]any{"plugin_name": "p", "spec_url_or_path": petsPath(t), "mode": "proxy"}, "target_url is required"},
		{"create_mcp_plugin", map[string]any{"plugin_name": "p", "spec_url_or_path": petsPath(t), "comparison_config": map[string]any{"tolerance": "lots"}}, "comparison_config"},
		{"create_mcp_plugin", map[string]any{}, "plugin_name"},
		{"create_mcp_plugin", map[string]any{"plugin_name": "p", "spec_url_or_path": "-"}, "stdin"},
		{"execute_test_plan", map[string]any{"openapi_spec": "-"}, "stdin"},
		{"delete_plugin", map[string]any{"plugin_name": "ghost"}, "not found"},
		{"switch_mode", map[string]any{"mode": "mock"}, "plugin_name or server_url"},
		{"switch_mode", map[string]any{"mode": "mock", "server_url": "ftp://x"}, "http(s) URL"},
		{"execute_test_plan", map[string]any{}, "plugin_name or openapi_spec"},
		{"execute_test_plan", map[string]any{"openapi_spec": "fail.yaml"}, "no such file"},
		{"execute_test_plan", map[string]any{"plugin_name": "nobody"}, "not found"},
		{"get_performance_metrics", map[string]any{}, "no test run yet"},
		{"get_performance_metrics", map[string]any{"run_id": "99"}, "not found"},
		{"get_performance_metrics", map[string]any{"metric_types": []string{"speed"}}, "unknown metric \"speed\""},
		{"diff_responses", map[string]any{"left": 1}, "right"},
		{"diff_responses", map[string]any{"left": 1, "right": 2, "comparison_config": map[string]any{"ignore_fields": []string{"$[bad"}}}, "$[bad"},
	}
	for _, tt := range tests {
		t.Run(tt.tool+" "+tt.want, func(t *testing.T) {
			res := fx.call(t, tt.tool, tt.args, nil)
			if !res.IsError {
				t.Fatalf("want a tool error, got %+v", res.StructuredContent)
			}
			if msg := errorText(res); !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not mention %q", msg, tt.want)
			}
		})
	}
}

func TestTestPlanAndMetrics(t *testing.T) {
	fx := newFixture(t, nil)
	var out struct {
		RunID   string          `json:"run_id"`
		Summary testrun.Summary `json:"summary"`
		Cases   []struct {
			Differences []any `json:"differences"`
		} `json:"cases"`
	}
	res := fx.call(t, "execute_test_plan", map[string]any{
		"openapi_spec": "testdata/pets.yaml", "mode": "hybrid", "validation_mode": "soft",
		"comparison_config": map[string]any{"ignore_fields": []string{"id"}, "strict_arrays": true},
		"operations":        []string{"listPets"}, "monitor_performance": true, "report_differences": false,
	}, &out)
	if res.IsError {
		t.Fatalf("run: %s", errorText(res))
	}
	if out.RunID != "1" || out.Summary.Passed != 1 || len(out.Cases) != 1 || out.Cases[0].Differences != nil {
		t.Errorf("run result = %+v", out)
	}
	got := fx.tests[0]
	if got.Spec != "testdata/pets.yaml" || got.Mode != "hybrid" || got.Validation != "soft" || got.Plugin != nil ||
		!slices.Equal(got.Operations, []string{"listPets"}) || got.Comparison.StrictArrays == nil || !*got.Comparison.StrictArrays || !slices.Equal(got.Comparison.IgnoreFields, []string{"id"}) {
		t.Errorf("runner got %+v", got)
	}

	var m metricsOutput
	// The CLI's name (response_time) and the guide's (latency) select the same figures.
	for _, name := range []string{"latency", "response_time"} {
		m = metricsOutput{}
		res = fx.call(t, "get_performance_metrics", map[string]any{"run_id": "1", "metric_types": []string{name}}, &m)
		if res.IsError {
			t.Fatalf("metrics %s: %s", name, errorText(res))
		}
		if m.Mock["p50_ms"] != 1.5 || m.Mock["count"] != nil || len(m.Operations) != 1 || m.Live != nil {
			t.Errorf("metrics %s = %+v", name, m)
		}
	}
	// Inline result instead of a run id.
	report, _ := json.Marshal(map[string]any{"metrics": map[string]any{"mock": map[string]any{"count": 7, "throughput_rps": 9}}})
	var inline any
	json.Unmarshal(report, &inline)
	res = fx.call(t, "get_performance_metrics", map[string]any{"result": inline, "metric_types": []string{"throughput", "count"}}, &m)
	if res.IsError || m.Mock["throughput_rps"] != 9.0 || m.Mock["count"] != 7.0 {
		t.Errorf("inline metrics: %s %+v", errorText(res), m)
	}

	rr, err := fx.session.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "mockloop://runs/1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rr.Contents[0].Text, `"passed": 1`) {
		t.Errorf("run resource = %s", rr.Contents[0].Text)
	}
	if _, err := fx.session.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "mockloop://runs/7"}); err == nil {
		t.Errorf("reading a missing run: no error")
	}
}

func TestDiffResponses(t *testing.T) {
	fx := newFixture(t, nil)
	tests := []struct {
		name  string
		args  map[string]any
		equal bool
		locs  []string
	}{
		{"equal", map[string]any{"left": map[string]any{"a": 1}, "right": map[string]any{"a": 1}}, true, nil},
		{"changed and missing", map[string]any{"left": map[string]any{"a": 1, "b": "x"}, "right": map[string]any{"a": 2}}, false, []string{"$.a", "$.b"}},
		{"big integers exact", map[string]any{"left": json.RawMessage(`{"n":12345678901234567890}`), "right": json.RawMessage(`{"n":12345678901234567891}`)}, false, []string{"$.n"}},
		{"tolerance", map[string]any{"left": map[string]any{"p": 100}, "right": map[string]any{"p": 105},
			"comparison_config": map[string]any{"tolerance": 0.1}}, true, nil},
		{"ignore fields", map[string]any{"left": map[string]any{"ts": 1, "a": []any{1, 2}}, "right": map[string]any{"ts": 2, "a": []any{2, 1}},
			"comparison_config": map[string]any{"ignore_fields": []string{"ts"}}}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out compare.Result
			res := fx.call(t, "diff_responses", tt.args, &out)
			if res.IsError {
				t.Fatal(errorText(res))
			}
			var locs []string
			for _, d := range out.Differences {
				locs = append(locs, d.Location)
			}
			if out.Equal() != tt.equal || !slices.Equal(locs, tt.locs) {
				t.Errorf("diff = %+v, want equal=%v at %q", out, tt.equal, tt.locs)
			}
		})
	}
	t.Run("urls", func(t *testing.T) {
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Path == "/b" {
				w.WriteHeader(http.StatusNotFound)
			}
			io.WriteString(w, `{"v":"`+r.URL.Path+`"}`)
		}))
		defer up.Close()
		var out compare.Result
		res := fx.call(t, "diff_responses", map[string]any{"left_url": up.URL + "/a", "right_url": up.URL + "/b"}, &out)
		if res.IsError || out.Equal() || out.Counts()[compare.KindStatus] != 1 || out.Counts()[compare.KindChanged] != 1 {
			t.Errorf("url diff: %s %+v", errorText(res), out)
		}
	})
}

func TestStartupPlugins(t *testing.T) {
	dir := t.TempDir()
	store := plugin.NewStore(dir)
	for _, p := range []*plugin.Plugin{
		{Name: "a", Spec: petsPath(t), Mode: "mock"},
		{Name: "a_listPets", Spec: petsPath(t), Mode: "mock"}, // tool-name collision bait
		{Name: "gone", Spec: filepath.Join(dir, "missing.yaml"), Mode: "mock"},
	} {
		if err := store.Save(p, false); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("all, filtered", func(t *testing.T) {
		fx := newFixture(t, func(c *Config) { c.Store = store; c.Operations = []string{"listPets", "GET /pets/*"} })
		names := fx.toolNames(t)
		for _, want := range []string{"a_listPets", "a_get_pet_by-id", "a_listPets_listPets", "a_listPets_get_pet_by-id"} {
			if !slices.Contains(names, want) {
				t.Errorf("missing tool %s in %q", want, names)
			}
		}
		if slices.Contains(names, "a_createPet") {
			t.Errorf("filtered tool a_createPet listed")
		}
		var out listOutput
		fx.call(t, "list_plugins", map[string]any{}, &out)
		for _, p := range out.Plugins {
			if p.Name == "gone" && (p.Loaded || !strings.Contains(p.Error, "missing.yaml")) {
				t.Errorf("broken plugin listed as %+v", p)
			}
		}
	})
	t.Run("named plugin that fails", func(t *testing.T) {
		_, err := New(context.Background(), Config{Store: store, NewHandler: echoHandler, Plugins: []string{"gone"}})
		if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
			t.Errorf("err = %v", err)
		}
		_, err = New(context.Background(), Config{Store: store, NewHandler: echoHandler, Plugins: []string{"nobody"}})
		if err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("named plugins only", func(t *testing.T) {
		fx := newFixture(t, func(c *Config) { c.Store = store; c.Plugins = []string{"a"} })
		names := fx.toolNames(t)
		if !slices.Contains(names, "a_listPets") || slices.Contains(names, "a_listPets_listPets") {
			t.Errorf("tools = %q", names)
		}
	})
}

func TestHandlerPanicIsToolError(t *testing.T) {
	dir := t.TempDir()
	specFile := filepath.Join(dir, "panic.yaml")
	os.WriteFile(specFile, []byte("openapi: 3.0.3\ninfo: {title: p, version: '1'}\npaths:\n  /panic:\n    get:\n      operationId: boom\n      responses: {'200': {description: ok}}\n"), 0o600)
	store := plugin.NewStore(filepath.Join(dir, "plugins"))
	if err := store.Save(&plugin.Plugin{Name: "p", Spec: specFile, Mode: "mock"}, false); err != nil {
		t.Fatal(err)
	}
	fx := newFixture(t, func(c *Config) { c.Store = store })
	res := fx.call(t, "p_boom", map[string]any{}, nil)
	if !res.IsError || !strings.Contains(errorText(res), "internal error") {
		t.Errorf("panic: %+v", res)
	}
	// The server still answers.
	if names := fx.toolNames(t); !slices.Contains(names, "p_boom") {
		t.Errorf("tools = %q", names)
	}
}

// TestToolPanicIsToolError: a panic inside a fixed tool (here the test runner) is an error
// result naming the tool, and the server goes on answering.
func TestToolPanicIsToolError(t *testing.T) {
	fx := newFixture(t, func(c *Config) {
		c.RunTests = func(context.Context, testrun.Request) (*testrun.Report, error) { panic("runner exploded") }
	})
	res := fx.call(t, "execute_test_plan", map[string]any{"openapi_spec": "testdata/pets.yaml"}, nil)
	if !res.IsError || !strings.Contains(errorText(res), "execute_test_plan: internal error: runner exploded") {
		t.Errorf("panic: %s", errorText(res))
	}
	if names := fx.toolNames(t); !slices.Contains(names, "execute_test_plan") {
		t.Errorf("tools after the panic = %q", names)
	}
}
