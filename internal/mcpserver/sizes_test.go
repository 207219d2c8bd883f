package mcpserver

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/plugin"
)

// Size limits on GitHub's REST API (1,230 operations): what an assistant's context pays
// for the tool list in auto mode, and for create_mcp_plugin's answer.
const (
	maxGitHubToolsList = 30 << 10
	maxGitHubCreate    = 8 << 10
)

// githubSpec is GitHub's REST API description in the shared specs, or "" when absent.
func githubSpec(tb testing.TB) string {
	p, err := filepath.Abs("../../../shared/specs/api.github.com.json")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// githubSizes creates a plugin of GitHub's spec through create_mcp_plugin (auto mode) and
// returns the sizes of its result and of the whole tools/list (every page), as JSON bytes, and
// the number of tools listed.
func githubSizes(tb testing.TB, spec string) (createBytes, listBytes, tools int, cs *mcp.ClientSession) {
	ctx := context.Background()
	srv, err := New(ctx, Config{Store: plugin.NewStore(tb.TempDir())})
	if err != nil {
		tb.Fatal(err)
	}
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		tb.Fatal(err)
	}
	cs, err = mcp.NewClient(&mcp.Implementation{Name: "sizes", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cs.Close(); ss.Wait(); srv.Close() })
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "create_mcp_plugin", Arguments: map[string]any{"plugin_name": "github", "spec_url_or_path": spec}})
	if err != nil || res.IsError {
		tb.Fatalf("create_mcp_plugin: %v %+v", err, res)
	}
	data, _ := json.Marshal(res)
	createBytes = len(data)
	var cursor string
	for {
		page, err := cs.ListTools(ctx, &mcp.ListToolsParams{Cursor: cursor})
		if err != nil {
			tb.Fatal(err)
		}
		data, _ := json.Marshal(page)
		listBytes += len(data)
		tools += len(page.Tools)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	return createBytes, listBytes, tools, cs
}

// TestSharedSpecsGitHubSizes keeps GitHub's API within an assistant's means: in auto mode its
// operations are behind the discovery tools, tools/list stays under 30 KB and
// create_mcp_plugin answers with a summary; search, describe and call work on it.
func TestSharedSpecsGitHubSizes(t *testing.T) {
	spec := githubSpec(t)
	if spec == "" {
		t.Skip("GitHub's spec is not in ../../../shared/specs (api.github.com.json): skipped")
	}
	createBytes, listBytes, tools, cs := githubSizes(t, spec)
	t.Logf("GitHub: tools/list %d bytes (%d tools), create_mcp_plugin %d bytes", listBytes, tools, createBytes)
	if listBytes > maxGitHubToolsList {
		t.Errorf("tools/list is %d bytes, limit %d", listBytes, maxGitHubToolsList)
	}
	if createBytes > maxGitHubCreate {
		t.Errorf("create_mcp_plugin's result is %d bytes, limit %d", createBytes, maxGitHubCreate)
	}
	ctx := context.Background()
	call := func(name string, args map[string]any, out any) {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil || res.IsError {
			t.Fatalf("%s: %v %+v", name, err, res.Content)
		}
		data, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", name, len(data))
	}
	var found searchOutput
	call("search_operations", map[string]any{"query": "list repositories for a user"}, &found)
	if len(found.Matches) == 0 || found.Matches[0].Operation != "repos/list-for-user" {
		t.Errorf("search: %+v", found.Matches)
	}
	var desc describeOutput
	call("describe_operation", map[string]any{"operation": "repos/list-for-user"}, &desc)
	if _, ok := desc.InputSchema["properties"].(map[string]any)["username"]; !ok {
		t.Errorf("describe: %+v", desc.InputSchema)
	}
	var got OperationResult
	call("call_operation", map[string]any{"operation": "repos/list-for-user", "arguments": map[string]any{"username": "octocat", "per_page": 2}}, &got)
	if got.Status != 200 || got.Mode != "mock" {
		t.Errorf("call: %d %s", got.Status, got.Mode)
	}
}

// BenchmarkSharedSpecsGitHubSizes prints the sizes TestSharedSpecsGitHubSizes bounds:
// tools/list-bytes and create-bytes (the JSON an assistant receives), and the tools listed.
func BenchmarkSharedSpecsGitHubSizes(b *testing.B) {
	spec := githubSpec(b)
	if spec == "" {
		b.Skip("GitHub's spec is not in ../../../shared/specs (api.github.com.json): skipped")
	}
	for b.Loop() {
		createBytes, listBytes, tools, _ := githubSizes(b, spec)
		b.ReportMetric(float64(listBytes), "tools/list-bytes")
		b.ReportMetric(float64(createBytes), "create-bytes")
		b.ReportMetric(float64(tools), "tools")
	}
}
