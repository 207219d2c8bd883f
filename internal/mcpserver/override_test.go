package mcpserver

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

func TestSetOverride(t *testing.T) {
	// The real stack, as `mockloop mcp` builds it.
	fx := newFixture(t, func(c *Config) { c.NewHandler = nil })
	if res := fx.call(t, "create_mcp_plugin", map[string]any{"plugin_name": "pets", "spec_url_or_path": petsPath(t)}, nil); res.IsError {
		t.Fatalf("create: %s", errorText(res))
	}
	fx.waitChange(t)
	list := func() OperationResult {
		t.Helper()
		var out OperationResult
		if res := fx.call(t, "pets_listPets", map[string]any{}, &out); res.IsError {
			t.Fatalf("listPets: %s", errorText(res))
		}
		return out
	}
	if got := list(); got.Status != 200 {
		t.Fatalf("before: %d", got.Status)
	}

	var out overrideOutput
	res := fx.call(t, "set_override", map[string]any{"plugin_name": "pets", "operation_id": "listPets",
		"status": 503, "headers": map[string]string{"Retry-After": "1"}, "body": map[string]any{"message": "down"}}, &out)
	if res.IsError || !out.Set {
		t.Fatalf("set: %s %+v", errorText(res), out)
	}
	if got := list(); got.Status != 503 || got.Headers["Retry-After"] != "1" || got.Headers["X-Mockloop-Simulation"] != "override=listPets" {
		t.Errorf("overridden: %+v", got)
	}

	res = fx.call(t, "set_override", map[string]any{"plugin_name": "pets", "operation_id": "listPets",
		"responses": []map[string]any{{"status": 500}, {"body": []map[string]any{{"id": "one"}}}}, "cycle": true}, &out)
	if res.IsError || len(out.Warnings) != 3 || out.Warnings[1].Location != "responses[1].body[0].id" {
		t.Fatalf("a sequence that violates the spec is set with warnings: %s %+v", errorText(res), out)
	}
	if a, b, c := list(), list(), list(); a.Status != 500 || b.Status != 200 || c.Status != 500 {
		t.Errorf("sequence: %d %d %d", a.Status, b.Status, c.Status)
	}

	res = fx.call(t, "set_override", map[string]any{"plugin_name": "pets", "clear": true}, &out)
	if res.IsError || out.Removed != 1 {
		t.Fatalf("clear: %s %+v", errorText(res), out)
	}
	if got := list(); got.Status != 200 || got.Headers["X-Mockloop-Simulation"] != "" {
		t.Errorf("after clear: %+v", got)
	}

	for _, tt := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"neither place", map[string]any{"operation_id": "listPets"}, "give plugin_name or server_url"},
		{"no operation", map[string]any{"plugin_name": "pets", "status": 500}, "give the operation_id"},
		{"unknown operation", map[string]any{"plugin_name": "pets", "operation_id": "nope"}, `no such operation "nope"`},
		{"unknown plugin", map[string]any{"plugin_name": "cats", "operation_id": "listPets"}, `plugin "cats" is not loaded`},
		{"an invalid override", map[string]any{"plugin_name": "pets", "operation_id": "listPets", "cycle": true}, "cycle applies to responses only"},
		{"nothing to clear", map[string]any{"plugin_name": "pets", "operation_id": "listPets", "clear": true}, "no override for listPets"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := fx.call(t, "set_override", tt.args, nil)
			if !res.IsError || !strings.Contains(errorText(res), tt.want) {
				t.Errorf("got %q, want an error with %q", errorText(res), tt.want)
			}
		})
	}
}

func TestSetOverrideOnServer(t *testing.T) {
	doc, err := spec.Load(context.Background(), "testdata/pets.yaml", spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	set, err := stack.Resolve(&plugin.Plugin{Name: "pets", Spec: "testdata/pets.yaml", Mode: plugin.ModeMock}, stack.Flags{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := stack.Build(doc, set, stack.Options{Simulation: &stack.Simulation{}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hs := httptest.NewServer(st)
	defer hs.Close()
	fx := newFixture(t, nil)

	var out overrideOutput
	res := fx.call(t, "set_override", map[string]any{"server_url": hs.URL, "operation_id": "listPets", "status": 204}, &out)
	if res.IsError || !out.Set {
		t.Fatalf("set: %s %+v", errorText(res), out)
	}
	if len(out.Warnings) != 1 || out.Warnings[0].Location != "status" {
		t.Errorf("an undeclared status warns: %+v", out.Warnings)
	}
	if v := st.Overrides.List(); len(v) != 1 || v[0].Override.Status != 204 {
		t.Errorf("the server has %+v", v)
	}
	if res := fx.call(t, "set_override", map[string]any{"server_url": hs.URL, "operation_id": "nope", "status": 204}, nil); !strings.Contains(errorText(res), "404 Not Found") {
		t.Errorf("unknown operation: %q", errorText(res))
	}
	if res := fx.call(t, "set_override", map[string]any{"server_url": hs.URL, "clear": true}, &out); res.IsError || out.Removed != 1 {
		t.Errorf("clear: %s %+v", errorText(res), out)
	}
	if res := fx.call(t, "set_override", map[string]any{"server_url": "ftp://x", "operation_id": "a"}, nil); !strings.Contains(errorText(res), "want an http(s) URL") {
		t.Errorf("bad URL: %q", errorText(res))
	}
}
