package mcpserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/plugin"
)

// petstorePath is the real-world petstore (getPetById is secured by an api_key header).
func petstorePath(t testing.TB) string {
	p, err := filepath.Abs("../spec/testdata/realworld/petstore-3.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// realStack is the fixture with the handler `serve` runs (the default NewHandler).
func realStack(c *Config) { c.NewHandler = nil }

func (fx *fixture) save(t *testing.T, p *plugin.Plugin) {
	t.Helper()
	if err := fx.store.Save(p, true); err != nil {
		t.Fatal(err)
	}
}

func TestToolModes(t *testing.T) {
	tests := []struct {
		name      string
		flag      plugin.MCPTools
		key       plugin.MCPTools
		filter    []string // the plugin's operations key
		flagOps   []string // --operations
		wantTools []string // operation tools
		discovery bool
		selected  int
	}{
		{name: "auto: small API, a tool each", wantTools: []string{"p_createPet", "p_delete_pets_petId", "p_get_pet_by-id", "p_listPets"}, selected: 4},
		{name: "plugin says discovery", key: plugin.MCPToolsDiscovery, discovery: true, selected: 4},
		{name: "flag overrides the plugin", flag: plugin.MCPToolsOperations, key: plugin.MCPToolsDiscovery, wantTools: []string{"p_createPet", "p_delete_pets_petId", "p_get_pet_by-id", "p_listPets"}, selected: 4},
		{name: "plugin's filter", filter: []string{"tag:admin"}, wantTools: []string{"p_createPet", "p_delete_pets_petId"}, selected: 2},
		{name: "--operations replaces the plugin's filter", filter: []string{"tag:admin"}, flagOps: []string{"listPets"}, wantTools: []string{"p_listPets"}, selected: 1},
		{name: "filtered discovery", key: plugin.MCPToolsDiscovery, filter: []string{"GET /pets*"}, discovery: true, selected: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := plugin.NewStore(t.TempDir())
			if err := store.Save(&plugin.Plugin{Name: "p", Spec: petsPath(t), Mode: plugin.ModeMock, MCPTools: tt.key, Operations: tt.filter}, false); err != nil {
				t.Fatal(err)
			}
			fx := newFixture(t, func(c *Config) { c.Store, c.Tools, c.Operations = store, tt.flag, tt.flagOps })
			var opTools []string
			names := fx.toolNames(t)
			for _, n := range names {
				if strings.HasPrefix(n, "p_") {
					opTools = append(opTools, n)
				}
			}
			if !slices.Equal(opTools, tt.wantTools) {
				t.Errorf("operation tools = %q, want %q", opTools, tt.wantTools)
			}
			if got := slices.Contains(names, "search_operations") && slices.Contains(names, "describe_operation") && slices.Contains(names, "call_operation"); got != tt.discovery {
				t.Errorf("discovery tools listed = %v, want %v (%q)", got, tt.discovery, names)
			}
			var list listOutput
			fx.call(t, "list_plugins", map[string]any{}, &list)
			if len(list.Plugins) != 1 || list.Plugins[0].Operations != tt.selected {
				t.Errorf("list = %+v, want %d operations", list, tt.selected)
			}
		})
	}
	t.Run("auto above the limit is discovery", func(t *testing.T) {
		fx := newFixture(t, nil)
		if got := fx.srv.toolMode(&plugin.Plugin{}, plugin.MCPAutoLimit); got != plugin.MCPToolsOperations {
			t.Errorf("%d operations: %s", plugin.MCPAutoLimit, got)
		}
		if got := fx.srv.toolMode(&plugin.Plugin{MCPTools: plugin.MCPToolsAuto}, plugin.MCPAutoLimit+1); got != plugin.MCPToolsDiscovery {
			t.Errorf("%d operations: %s", plugin.MCPAutoLimit+1, got)
		}
	})
	t.Run("bad --tools", func(t *testing.T) {
		if _, err := New(context.Background(), Config{Store: plugin.NewStore(t.TempDir()), Tools: "every"}); err == nil || !strings.Contains(err.Error(), "--tools") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("bad filter in a plugin file", func(t *testing.T) {
		store := plugin.NewStore(t.TempDir())
		if err := store.Save(&plugin.Plugin{Name: "p", Spec: petsPath(t), Mode: plugin.ModeMock, Operations: []string{"GET pets"}}, false); err != nil {
			t.Fatal(err)
		}
		fx := newFixture(t, func(c *Config) { c.Store = store })
		var list listOutput
		fx.call(t, "list_plugins", map[string]any{}, &list)
		if list.Plugins[0].Loaded || !strings.Contains(list.Plugins[0].Error, `operations "GET pets"`) {
			t.Errorf("list = %+v", list)
		}
	})
}

func TestDiscoveryTools(t *testing.T) {
	fx := newFixture(t, nil)
	var created createOutput
	res := fx.call(t, "create_mcp_plugin", map[string]any{"plugin_name": "pets", "spec_url_or_path": petsPath(t), "mcp_tools": "discovery"}, &created)
	if res.IsError {
		t.Fatal(errorText(res))
	}
	fx.waitChange(t)
	if created.ToolMode != "discovery" || created.ToolCount != 0 || created.Selected != 4 || len(created.Tools) != 4 || created.Tools[0].Name != "" || created.Tools[0].Operation == "" {
		t.Errorf("created = %+v", created)
	}
	if saved, _ := fx.store.Get("pets"); saved.MCPTools != plugin.MCPToolsDiscovery {
		t.Errorf("saved mcp_tools = %q", saved.MCPTools)
	}

	t.Run("search", func(t *testing.T) {
		tests := []struct {
			query string
			limit int
			want  []string
			total int
		}{
			{"get a pet", 0, []string{"get pet.by-id!", "listPets", "createPet", "DELETE /pets/{petId}"}, 4},
			{"create", 0, []string{"createPet"}, 1},
			{"delete pets", 0, []string{"DELETE /pets/{petId}", "listPets", "createPet", "get pet.by-id!"}, 4},
			{"the of a", 0, []string{"listPets", "createPet", "get pet.by-id!", "DELETE /pets/{petId}"}, 4},
			{"", 2, []string{"listPets", "createPet"}, 4},
			{"zebra", 0, []string{}, 0},
		}
		for _, tt := range tests {
			t.Run(strconv.Quote(tt.query), func(t *testing.T) {
				var out searchOutput
				res := fx.call(t, "search_operations", map[string]any{"query": tt.query, "limit": tt.limit}, &out)
				if res.IsError {
					t.Fatal(errorText(res))
				}
				got := []string{}
				for _, m := range out.Matches {
					got = append(got, m.Operation)
				}
				if !slices.Equal(got, tt.want) || out.Total != tt.total {
					t.Errorf("matches %q (total %d), want %q (%d)", got, out.Total, tt.want, tt.total)
				}
			})
		}
	})
	t.Run("describe", func(t *testing.T) {
		var out describeOutput
		res := fx.call(t, "describe_operation", map[string]any{"operation": "DELETE /pets/{petId}"}, &out)
		if res.IsError {
			t.Fatal(errorText(res))
		}
		schema, _ := json.Marshal(out.InputSchema)
		if out.Plugin != "pets" || !strings.Contains(string(schema), `"petId"`) || !strings.Contains(out.Security, "X-API-Key") ||
			len(out.Responses) != 1 || out.Responses[0].Status != "204" {
			t.Errorf("describe = %+v %s", out, schema)
		}
		res = fx.call(t, "describe_operation", map[string]any{"operation": "get pet.by-id!"}, &out)
		if res.IsError || len(out.Responses) != 2 || out.Responses[0].ContentType != "application/json" || out.Responses[0].Schema == nil {
			t.Errorf("describe = %s %+v", errorText(res), out)
		}
	})
	t.Run("call", func(t *testing.T) {
		var out OperationResult
		res := fx.call(t, "call_operation", map[string]any{"operation": "listPets", "arguments": map[string]any{"limit": 2, "X-Request-Id": "d1"}}, &out)
		if res.IsError {
			t.Fatal(errorText(res))
		}
		b := out.Body.(map[string]any)
		if b["query"] != "limit=2" || b["request_id"] != "d1" {
			t.Errorf("call = %+v", out)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			tool string
			args map[string]any
			want string
		}{
			{"describe_operation", map[string]any{"operation": "nope"}, `no operation "nope" in plugin pets`},
			{"describe_operation", map[string]any{}, `missing properties: ["operation"]`},
			{"describe_operation", map[string]any{"operation": " "}, "operation is required"},
			{"call_operation", map[string]any{"operation": "listPets", "plugin_name": "ghost"}, `plugin "ghost" is not loaded`},
			{"call_operation", map[string]any{"operation": "listPets", "arguments": map[string]any{"limt": 2}}, `unknown argument "limt"`},
			{"search_operations", map[string]any{"query": "x", "limit": 500}, "limit 500"},
		} {
			res := fx.call(t, tt.tool, tt.args, nil)
			if !res.IsError || !strings.Contains(errorText(res), tt.want) {
				t.Errorf("%s %v: %q, want %q", tt.tool, tt.args, errorText(res), tt.want)
			}
		}
	})
	t.Run("deleting the plugin removes the discovery tools", func(t *testing.T) {
		fx.call(t, "delete_plugin", map[string]any{"plugin_name": "pets"}, nil)
		fx.waitChange(t)
		if names := fx.toolNames(t); slices.Contains(names, "search_operations") {
			t.Errorf("tools = %q", names)
		}
	})
}

func TestCreatePluginFilters(t *testing.T) {
	fx := newFixture(t, nil)
	var created createOutput
	res := fx.call(t, "create_mcp_plugin", map[string]any{"plugin_name": "pets", "spec_url_or_path": petsPath(t), "operations": []string{"tag:admin"}}, &created)
	if res.IsError {
		t.Fatal(errorText(res))
	}
	if created.ToolMode != "operations" || created.Operations != 4 || created.Selected != 2 || created.ToolCount != 2 || !slices.Equal(created.Plugin.Operations, []string{"tag:admin"}) {
		t.Errorf("created = %+v", created)
	}
	if saved, _ := fx.store.Get("pets"); !slices.Equal(saved.Operations, []string{"tag:admin"}) {
		t.Errorf("saved operations = %q", saved.Operations)
	}
	for _, tt := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"operations": []string{"GET pets"}}, `operations "GET pets": want "METHOD /path"`},
		{map[string]any{"operations": []string{"tag:nothing"}}, "no operation of"},
		{map[string]any{"mcp_tools": "all"}, `mcp_tools: invalid MCP tool mode "all"`},
	} {
		tt.args["plugin_name"], tt.args["spec_url_or_path"], tt.args["force"] = "other", petsPath(t), true
		res := fx.call(t, "create_mcp_plugin", tt.args, nil)
		if !res.IsError || !strings.Contains(errorText(res), tt.want) {
			t.Errorf("%v: %q, want %q", tt.args, errorText(res), tt.want)
		}
		if _, err := fx.store.Get("other"); err == nil {
			t.Errorf("%v: the plugin was saved", tt.args)
		}
	}
}

// TestMockPlaceholderCredential: in mock mode a secured operation called without a credential
// answers 200 (the placeholder is sent); a credential the assistant gives is kept; in proxy
// mode no placeholder reaches the live API.
func TestMockPlaceholderCredential(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":7,"name":"live","photoUrls":[]}`)
	}))
	defer up.Close()
	fx := newFixture(t, realStack)
	fx.save(t, &plugin.Plugin{Name: "mock", Spec: petstorePath(t), Mode: plugin.ModeMock})
	fx.save(t, &plugin.Plugin{Name: "live", Spec: petstorePath(t), Mode: plugin.ModeProxy, TargetURL: up.URL})
	for _, name := range []string{"mock", "live"} {
		if res := fx.call(t, "switch_mode", map[string]any{"plugin_name": name, "mode": map[string]string{"mock": "mock", "live": "proxy"}[name]}, nil); res.IsError {
			t.Fatal(errorText(res))
		}
	}
	var out OperationResult
	res := fx.call(t, "mock_getPetById", map[string]any{"petId": 7}, &out)
	if res.IsError || out.Status != http.StatusOK || out.Mode != "mock" {
		t.Fatalf("mock getPetById: %s %+v", errorText(res), out)
	}
	res = fx.call(t, "live_getPetById", map[string]any{"petId": 7}, &out)
	if res.IsError || out.Status != http.StatusOK || out.Mode != "proxy" {
		t.Fatalf("live getPetById: %s %+v", errorText(res), out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0].Get("api_key") != "" {
		t.Errorf("the live API got %v: want one request without a placeholder", seen)
	}
}

func TestCompareOperation(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":7,"name":"Live Rex","status":"available","photoUrls":["x"],"secret":"s3cr3t"}`)
	}))
	defer up.Close()
	fx := newFixture(t, realStack)
	fx.save(t, &plugin.Plugin{Name: "pets", Spec: petstorePath(t), Mode: plugin.ModeMock, TargetURL: up.URL,
		Auth: &plugin.Auth{AuthType: plugin.AuthAPIKey, Location: "header", Name: "api_key", Credentials: map[string]string{"api_key": "s3cr3t"}}})
	fx.save(t, &plugin.Plugin{Name: "nolive", Spec: petstorePath(t), Mode: plugin.ModeMock})
	fx.call(t, "switch_mode", map[string]any{"plugin_name": "pets", "mode": "mock"}, nil)
	fx.call(t, "switch_mode", map[string]any{"plugin_name": "nolive", "mode": "mock"}, nil)

	var out struct {
		Equal   bool           `json:"equal"`
		Summary map[string]int `json:"summary"`
		Diffs   []struct {
			Location, Kind string
		} `json:"differences"`
		Plugin, Operation, Request string
		Mock, Live                 compareSide
	}
	res := fx.call(t, "compare_operation", map[string]any{"plugin_name": "pets", "operation": "getPetById", "arguments": map[string]any{"petId": 7}}, &out)
	if res.IsError {
		t.Fatal(errorText(res))
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if out.Equal || out.Summary["differences"] != len(out.Diffs) || out.Operation != "getPetById" || out.Request != "GET /pet/7" ||
		out.Mock.Status != 200 || out.Mock.Mode != "mock" || out.Live.Status != 200 || out.Live.Mode != "proxy" {
		t.Errorf("compare = %s", raw)
	}
	if strings.Contains(string(raw), "s3cr3t") {
		t.Errorf("the credential the live API echoed is in the result: %s", raw)
	}
	var locs []string
	for _, d := range out.Diffs {
		locs = append(locs, d.Location)
	}
	if !slices.Contains(locs, "$.name") {
		t.Errorf("differences at %q, want $.name among them", locs)
	}
	// The plugin's comparison settings, then comparison_config over them.
	res = fx.call(t, "compare_operation", map[string]any{"plugin_name": "pets", "operation": "getPetById", "arguments": map[string]any{"petId": 7},
		"comparison_config": map[string]any{"ignore_fields": locs}}, &out)
	if res.IsError || !out.Equal || out.Summary["ignored"] == 0 {
		t.Errorf("with ignore_fields: %s %+v", errorText(res), out)
	}
	res = fx.call(t, "compare_operation", map[string]any{"plugin_name": "nolive", "operation": "getPetById", "arguments": map[string]any{"petId": 7}}, nil)
	if !res.IsError || !strings.Contains(errorText(res), "no target_url") {
		t.Errorf("without a target: %q", errorText(res))
	}
}

// TestHTTPTransport serves the Streamable HTTP transport and talks to it with the SDK's
// client: without a token anyone on loopback may; with one, only a client presenting it.
func TestHTTPTransport(t *testing.T) {
	store := plugin.NewStore(t.TempDir())
	if err := store.Save(&plugin.Plugin{Name: "pets", Spec: petsPath(t), Mode: plugin.ModeMock}, false); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, token, sent string
		ok                bool
	}{
		{"no token", "", "", true},
		{"token given", "s3cret", "s3cret", true},
		{"token missing", "s3cret", "", false},
		{"token wrong", "s3cret", "guess", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := New(context.Background(), Config{Store: store, NewHandler: echoHandler})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			hs := httptest.NewServer(srv.HTTPHandler(tt.token))
			defer hs.Close()
			client := &http.Client{Transport: bearer{tt.sent, http.DefaultTransport}}
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(context.Background(),
				&mcp.StreamableClientTransport{Endpoint: hs.URL + HTTPPath, HTTPClient: client, MaxRetries: -1}, nil)
			if !tt.ok {
				if err == nil {
					cs.Close()
					t.Fatal("connected without the token")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "pets_get_pet_by-id", Arguments: map[string]any{"petId": 3}})
			if err != nil || res.IsError {
				t.Fatalf("call: %v %+v", err, res)
			}
			data, _ := json.Marshal(res.StructuredContent)
			if !strings.Contains(string(data), `"path":"/pets/3"`) {
				t.Errorf("result = %s", data)
			}
		})
	}
}

// bearer adds "Authorization: Bearer TOKEN" to every request (when TOKEN is not empty).
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.token != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}
