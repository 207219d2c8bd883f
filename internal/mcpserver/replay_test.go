package mcpserver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// TestOperationToolsReplay: `mockloop mcp` honours a plugin's replay: as serve does (the
// stack's replayer), so an operation tool answers from the recordings.
func TestOperationToolsReplay(t *testing.T) {
	doc, err := spec.Load(context.Background(), petsPath(t), spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w, err := record.NewWriter(dir, doc, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://127.0.0.1/pets", nil)
	if err := w.Add(&server.Exchange{Operation: doc.Find("GET", "/pets").Operation, Request: r, Status: 200,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`[{"id":77,"name":"Recorded"}]`), Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	for _, tt := range []struct {
		name, replay, wantSource string
	}{
		{"with replay", dir, record.SourceRecording},
		{"without", "", "example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, func(c *Config) {
				c.NewHandler = nil // the real stack, as `mockloop mcp` builds it
				if err := c.Store.Save(&plugin.Plugin{Name: "pets", Spec: petsPath(t), Mode: plugin.ModeMock, Replay: tt.replay}, false); err != nil {
					t.Fatal(err)
				}
			})
			var out OperationResult
			if res := fx.call(t, "pets_listPets", map[string]any{}, &out); res.IsError {
				t.Fatalf("listPets: %s", errorText(res))
			}
			body := fmt.Sprint(out.Body)
			if out.Headers["X-Mockloop-Source"] != tt.wantSource {
				t.Errorf("source %q body %s, want %q", out.Headers["X-Mockloop-Source"], body, tt.wantSource)
			}
			if (tt.replay != "") != (body == "[map[id:77 name:Recorded]]") {
				t.Errorf("body %s", body)
			}
		})
	}
}
