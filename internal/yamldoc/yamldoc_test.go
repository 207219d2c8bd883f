package yamldoc

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeStrict(t *testing.T) {
	type inner struct {
		N int `yaml:"n"`
	}
	type doc struct {
		Name  string   `yaml:"name"`
		Count int      `yaml:"count"`
		Tags  []string `yaml:"tags"`
		In    inner    `yaml:"in"`
	}
	tests := []struct {
		name, in, want string
	}{
		{"ok", "name: a\ncount: 2\n", ""},
		{"empty", " \n# only a comment\n", "empty document"},
		{"unknown key", "name: a\ncuont: 2\n", `line 2: unknown key "cuont"`},
		{"wrong type", "name: a\ncount: many\n", `line 2: cannot use the string "many" as an integer`},
		{"list for a mapping", "in: [1]\n", "line 1: cannot use a list as a mapping"},
		{"two documents", "name: a\n---\nname: b\n", "line 2: more than one YAML document"},
		{"unclosed flow at the end", "name: a\ntags: [x\n", "line 2: "},
		{"unclosed flow inside", "tags: [x\nname: b\n", "line 1: "},
		{"not a document", "- a\n- b\n", "line 1: cannot use a list as a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			err := DecodeStrict([]byte(tt.in), &d)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("DecodeStrict: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line", err)
			}
			if tt.name == "empty" && !errors.Is(err, ErrEmpty) {
				t.Fatalf("error %v is not ErrEmpty", err)
			}
		})
	}
}

func TestToJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{"200: {description: ok}\n", `{"200":{"description":"ok"}}`},
		{"big: 123456789012345678901234567890\n", `{"big":123456789012345678901234567890}`},
		{"day: 2020-01-02\n", `{"day":"2020-01-02"}`},
		{"a: &x [1]\nb: *x\n", `{"a":[1],"b":[1]}`},
	}
	for _, tt := range tests {
		got, err := ToJSON([]byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("ToJSON(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if _, err := ToJSON([]byte("x: .inf\n")); err == nil {
		t.Errorf("ToJSON(.inf) succeeded; want an error")
	}
}

func TestEncodeKeepsLongLines(t *testing.T) {
	long := strings.Repeat("word ", 40)
	out, err := Marshal(map[string]string{"condition": long})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(out), "\n") != 1 {
		t.Fatalf("Marshal folded a long string:\n%s", out)
	}
}
