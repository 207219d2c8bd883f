package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMCPOverStdio drives the real binary (this test binary run as `mockloop`, see TestMain)
// over stdin/stdout with the SDK's command transport, as an assistant would: list the tools,
// create a plugin, see its operation tools appear, call one.
func TestMCPOverStdio(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "mockloop")
	if err := os.Symlink(exe, bin); err != nil {
		t.Skipf("cannot link the test binary as mockloop: %v", err)
	}
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "mcp", "--plugins-dir", filepath.Join(home, "plugins"), "--verbose")
	cmd.Env = append(os.Environ(), "MOCKLOOP_HOME="+home, "NO_COLOR=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr

	changed := make(chan struct{}, 8)
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} },
	})
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v\nstderr:\n%s", err, stderr.String())
	}
	if info := cs.InitializeResult().ServerInfo; info.Name != "mockloop" {
		t.Errorf("server name = %q", info.Name)
	}

	names := func() []string {
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatalf("tools/list: %v\nstderr:\n%s", err, stderr.String())
		}
		var out []string
		for _, tool := range res.Tools {
			out = append(out, tool.Name)
		}
		return out
	}
	if got := names(); !slices.Contains(got, "create_mcp_plugin") || !slices.Contains(got, "execute_test_plan") {
		t.Fatalf("tools/list = %q", got)
	}

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "create_mcp_plugin", Arguments: map[string]any{"plugin_name": "shop"}})
	if err != nil || res.IsError {
		t.Fatalf("tools/call create_mcp_plugin: %v %+v\nstderr:\n%s", err, res, stderr.String())
	}
	select {
	case <-changed:
	case <-ctx.Done():
		t.Fatal("no notifications/tools/list_changed after create_mcp_plugin")
	}

	// Call the first GET operation tool that needs no arguments (a secured one gets a
	// placeholder credential in mock mode).
	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var called string
	for _, tool := range list.Tools {
		schema, _ := json.Marshal(tool.InputSchema)
		if !strings.HasPrefix(tool.Name, "shop_") || strings.Contains(string(schema), `"required"`) || !strings.HasPrefix(tool.Title, "GET ") {
			continue
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool.Name, Arguments: map[string]any{}})
		if err != nil || res.IsError {
			t.Fatalf("tools/call %s: %v %+v", tool.Name, err, res)
		}
		var out struct {
			Status int    `json:"status"`
			Mode   string `json:"mode"`
		}
		data, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(data, &out); err != nil || out.Status != 200 || out.Mode != "mock" {
			t.Fatalf("tools/call %s: %s", tool.Name, data)
		}
		called = strings.TrimPrefix(tool.Name, "shop_")
		break
	}
	if called == "" {
		t.Fatalf("no argument-free GET tool among %q", names())
	}

	if err := cs.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if !strings.Contains(stderr.String(), called) {
		t.Errorf("stderr has no log line for %s:\n%s", called, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(home, "plugins", "shop.yaml")); err != nil {
		t.Errorf("plugin file: %v", err)
	}
}
