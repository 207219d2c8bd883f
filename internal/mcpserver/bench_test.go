package mcpserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/plugin"
)

// BenchmarkOperationTool measures a whole operation-tool call through the SDK's in-memory
// transport (JSON-RPC encode/decode, argument parsing, request building, result shaping);
// BenchmarkOperationHandler is the baseline: the same handler called directly.
func BenchmarkOperationTool(b *testing.B) {
	store := plugin.NewStore(b.TempDir())
	if err := store.Save(&plugin.Plugin{Name: "pets", Spec: "testdata/pets.yaml", Mode: "mock"}, false); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	srv, err := New(ctx, Config{Store: store, NewHandler: echoHandler})
	if err != nil {
		b.Fatal(err)
	}
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { cs.Close(); ss.Wait() }()
	params := &mcp.CallToolParams{Name: "pets_get_pet_by-id", Arguments: map[string]any{"petId": 7}}
	b.ReportAllocs()
	for b.Loop() {
		res, err := cs.CallTool(ctx, params)
		if err != nil || res.IsError {
			b.Fatal(err, res)
		}
	}
}

func BenchmarkOperationHandler(b *testing.B) {
	h, _ := echoHandler(context.Background(), &plugin.Plugin{Name: "pets", Mode: "mock"}, nil)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, "/pets/7", nil)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}
