package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMCPExecuteTestPlanNullMediaType: execute_test_plan on a request body media type with no
// value (kin-openapi's testdata/issue794.yml) took the MCP server down with a nil pointer in
// the request sampler (issue 19). The real binary, over stdio, must answer the call with a
// passing run and stay up for the next one.
func TestMCPExecuteTestPlanNullMediaType(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mockloop")
	if err := os.Symlink(exe, bin); err != nil {
		t.Skipf("cannot link the test binary as mockloop: %v", err)
	}
	spec, err := filepath.Abs("../../internal/spec/testdata/null-media-type.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "mcp", "--plugins-dir", filepath.Join(dir, "plugins"))
	cmd.Env = append(os.Environ(), "MOCKLOOP_HOME="+dir, "NO_COLOR=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v\nstderr:\n%s", err, stderr.String())
	}
	defer cs.Close()
	for range 2 {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "execute_test_plan", Arguments: map[string]any{
			"openapi_spec": spec, "mode": "mock", "validation_mode": "strict",
		}})
		if err != nil {
			t.Fatalf("tools/call execute_test_plan: %v\nstderr:\n%s", err, stderr.String())
		}
		data, _ := json.Marshal(res.StructuredContent)
		var out struct {
			Summary struct{ Total, Passed int } `json:"summary"`
		}
		if res.IsError || json.Unmarshal(data, &out) != nil || out.Summary.Total != 1 || out.Summary.Passed != 1 {
			t.Fatalf("execute_test_plan: error %v, %s %+v", res.IsError, data, res.Content)
		}
	}
}
