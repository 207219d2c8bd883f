package mcpserver

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

var validToolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func TestToolName(t *testing.T) {
	long := strings.Repeat("a", 80)
	tests := []struct {
		name   string
		plugin string
		op     spec.Operation
		want   string
	}{
		{"operationId", "pets", spec.Operation{Method: "GET", Path: "/pets", ID: "listPets"}, "pets_listPets"},
		{"sanitised id", "pets", spec.Operation{Method: "GET", Path: "/pets/{id}", ID: "get pet.by-id!"}, "pets_get_pet_by-id"},
		{"no id", "pets", spec.Operation{Method: "DELETE", Path: "/pets/{petId}"}, "pets_delete_pets_petId"},
		{"root path", "p", spec.Operation{Method: "GET", Path: "/"}, "p_get"},
		{"unicode id", "p", spec.Operation{Method: "GET", Path: "/x", ID: "lire·données"}, "p_lire_donn_es"},
		{"only symbols id", "p", spec.Operation{Method: "POST", Path: "/a/b", ID: "!!!"}, "p_post_a_b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toolName(tt.plugin, &tt.op)
			if got != tt.want {
				t.Errorf("toolName = %q, want %q", got, tt.want)
			}
			if !validToolName.MatchString(got) {
				t.Errorf("%q is not a valid MCP tool name", got)
			}
		})
	}
	t.Run("long names stay distinct and stable", func(t *testing.T) {
		a := toolName("p", &spec.Operation{Method: "GET", Path: "/x", ID: long + "one"})
		b := toolName("p", &spec.Operation{Method: "GET", Path: "/x", ID: long + "two"})
		if a == b || len(a) > maxToolName || len(b) > maxToolName || !validToolName.MatchString(a) {
			t.Fatalf("long names: %q, %q", a, b)
		}
		if again := toolName("p", &spec.Operation{Method: "GET", Path: "/x", ID: long + "one"}); again != a {
			t.Fatalf("not stable: %q then %q", a, again)
		}
	})
}

func TestUniqueName(t *testing.T) {
	taken := map[string]bool{"a": true, "a_2": true, strings.Repeat("x", 64): true}
	has := func(n string) bool { return taken[n] }
	if got := uniqueName("b", has); got != "b" {
		t.Errorf("free name: got %q", got)
	}
	if got := uniqueName("a", has); got != "a_3" {
		t.Errorf("taken name: got %q, want a_3", got)
	}
	got := uniqueName(strings.Repeat("x", 64), has)
	if len(got) != 64 || !strings.HasSuffix(got, "_2") {
		t.Errorf("long taken name: got %q", got)
	}
}
