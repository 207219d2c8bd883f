package spec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	yamlv4 "go.yaml.in/yaml/v4"
)

// yamlNodes is what go.yaml.in/yaml's parser builds for s (the reference jsonNodes follows).
func yamlNodes(s string) (*yamlv4.Node, error) {
	var doc yamlv4.Node
	if err := yamlv4.Unmarshal([]byte(s), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 {
		return nil, fmt.Errorf("%d documents", len(doc.Content))
	}
	return doc.Content[0], nil
}

// sameNodes reports where two node trees differ, "" when they do not.
func sameNodes(a, b *yamlv4.Node, at string) string {
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value ||
		a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: got {kind %v style %v tag %s value %q at %d:%d, %d children}, want {kind %v style %v tag %s value %q at %d:%d, %d children}",
			at, a.Kind, a.Style, a.Tag, a.Value, a.Line, a.Column, len(a.Content),
			b.Kind, b.Style, b.Tag, b.Value, b.Line, b.Column, len(b.Content))
	}
	for i := range a.Content {
		if d := sameNodes(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", at, i)); d != "" {
			return d
		}
	}
	return ""
}

func TestJSONNodesMatchYAML(t *testing.T) {
	tests := []struct{ name, json string }{
		{"object", `{"a": 1, "b": [true, false, null], "c": {"d": "e"}}`},
		{"empty containers", `{"a": {}, "b": [], "c": [{}], "d": [[]]}`},
		{"integers", `[0, 1, -1, 42, 9223372036854775807, -9223372036854775808]`},
		{"uint64", `[9223372036854775808, 18446744073709551615]`},
		{"beyond 64 bits", `[18446744073709551616, -9223372036854775809, 123456789012345678901234567890]`},
		{"negative zero", `[-0, -0.0, 0.0, -0.00, -0e0]`},
		{"floats", `[1.5, -2.25, 1e5, 1E5, 1e+5, 1e-5, 1.5e300, 0.1]`},
		{"float overflow", `[1e999, -1e999]`},
		{"float underflow", `[1e-400]`},
		{"escapes", `["a\nb", "tab\there", "quote\"", "back\\slash", "slash\/", "\u00e9\u4e2d", "\b\f\r"]`},
		{"utf-8", `["café", "中文", "emoji 😀"]`},
		{"yaml-looking strings", `["yes", "no", "~", "null", "1", "<<", "2001-12-14", ".inf", "- a", "a: b", "#c"]`},
		{"yaml-looking keys", `{"yes": 1, "<<": 2, "200": 3, "~": 4, "": 5}`},
		{"multiline layout", "{\n  \"a\": [\n    1,\n    {\"b\": \"c\"}\n  ],\n\t\"d\": null\n}\n"},
		{"crlf", "{\r\n  \"a\": 1\r\n}"},
		{"scalar document", `"just a string"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := yamlNodes(tt.json)
			if err != nil {
				t.Fatalf("yaml: %v", err)
			}
			got, ok := jsonNodes(tt.json)
			if !ok {
				t.Fatal("jsonNodes rejected valid JSON")
			}
			if d := sameNodes(got, want, ""); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestJSONNodesFollowJSON: where YAML reads JSON differently from JSON (or refuses it), the
// node values are JSON's, as encoding/json (kin-openapi's fallback) reads them.
func TestJSONNodesFollowJSON(t *testing.T) {
	tests := []struct{ name, json, want string }{
		{"surrogate pair", `"\ud83d\ude00"`, "😀"},
		{"lone surrogate", `"\ud83d"`, "\ufffd"},
		{"invalid utf-8", "\"a\xffb\"", "a\ufffdb"},
		{"line separator", "\"a\u2028b\"", "a\u2028b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := jsonNodes(tt.json)
			if !ok {
				t.Fatal("rejected")
			}
			if n.Value != tt.want || n.Tag != tagStr {
				t.Errorf("got %s %q, want !!str %q", n.Tag, n.Value, tt.want)
			}
		})
	}
}

func TestJSONScannerRejects(t *testing.T) {
	for _, s := range []string{
		``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a":1 "b":2}`, `{a:1}`,
		`'a'`, `"a`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\tb\"", "\"a\nb\"", `01`, `-`, `1.`, `.5`,
		`1e`, `1e+`, `+1`, `NaN`, `Infinity`, `tru`, `nul`, `truex`, `[1]x`, `{"a":1}}`,
		"\ufeff{}", `{"a":[1,{"b":2]}}`, `[` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth+1),
	} {
		t.Run(fmt.Sprintf("%.20q", s), func(t *testing.T) {
			if _, ok := jsonNodes(s); ok {
				t.Error("jsonNodes accepted it")
			}
			if _, ok := objectMembers(s); ok {
				t.Error("objectMembers accepted it")
			}
		})
	}
}

func TestObjectMembers(t *testing.T) {
	ms, ok := objectMembers(` { "b" : [1, {"x": 2}] , "a\u00e9": "s", "b": null } `)
	if !ok {
		t.Fatal("rejected")
	}
	got := fmt.Sprint(ms)
	if want := `[{b [1, {"x": 2}]} {aé "s"} {b null}]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	m, _ := lastMembers(`{"a": 1, "a": 2}`)
	if m["a"] != "2" {
		t.Errorf("duplicate key: got %q, want the last value", m["a"])
	}
}

// TestRealWorldJSONNodes builds the node tree of each real-world spec whole and compares it
// with YAML's.
func TestRealWorldJSONNodes(t *testing.T) {
	files, _ := filepath.Glob("testdata/realworld/*.json")
	if len(files) == 0 {
		t.Fatal("testdata/realworld is empty")
	}
	testJSONNodes(t, files)
}

// TestSharedSpecsGitHubJSONNodes is TestRealWorldJSONNodes on GitHub's spec from the sibling
// shared directory.
func TestSharedSpecsGitHubJSONNodes(t *testing.T) {
	if _, err := os.Stat(githubSpec); err != nil {
		t.Skipf("skipped: the sibling shared spec %s is not present", githubSpec)
	}
	if testing.Short() {
		t.Skip("skipped in -short: parsing 13 MB as YAML takes seconds")
	}
	testJSONNodes(t, []string{githubSpec})
}

func testJSONNodes(t *testing.T, files []string) {
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, err := yamlNodes(string(data))
			if err != nil {
				t.Skipf("YAML does not read it: %v", err)
			}
			got, ok := jsonNodes(string(data))
			if !ok {
				t.Fatal("jsonNodes rejected it")
			}
			if d := sameNodes(got, want, ""); d != "" {
				t.Error(d)
			}
		})
	}
}

// FuzzJSONNodes: the scanner accepts exactly what encoding/json accepts, and where YAML reads
// the same text without error, it builds YAML's tree.
func FuzzJSONNodes(f *testing.F) {
	for _, s := range []string{`{"a": [1, -0, 1.5e3, "x\n", true, null, {}]}`, `[18446744073709551616]`, "\"\\ud83d\"", `{"a":1,"a":2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := jsonNodes(s)
		if valid := json.Valid([]byte(s)); ok != valid {
			t.Fatalf("jsonNodes ok=%v, json.Valid=%v", ok, valid)
		}
		if _, mok := objectMembers(s); mok {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
				t.Fatalf("objectMembers accepted what is not an object: %v", err)
			}
		}
		if !ok || !utf8.ValidString(s) || strings.Contains(s, `\u`) || strings.ContainsAny(s, "\u0085\u2028\u2029\u007f\ufeff") {
			return // where YAML and JSON read text differently (see TestJSONNodesFollowJSON)
		}
		want, err := yamlNodes(s)
		if err != nil {
			return
		}
		if d := sameNodes(n, want, ""); d != "" {
			t.Fatal(d)
		}
	})
}
