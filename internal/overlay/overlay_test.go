package overlay

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"

	"github.com/mockloop/mockloop/internal/yamldoc"
)

const petsYAML = `openapi: 3.1.0 # the version
info:
  title: Pets
  version: "1"
servers:
  - url: https://api.example.com
  - url: https://staging.example.com
paths:
  /pets:
    get:
      summary: List pets
      parameters:
        - name: limit
          in: query
        - name: dummy
          in: query
      responses:
        "200":
          description: ok
        "500":
          description: boom
  /pets/{id}:
    get:
      summary: One pet
      responses:
        "200":
          description: ok
        default:
          description: error
`

func apply(t *testing.T, doc, ov string) string {
	t.Helper()
	o, err := Parse([]byte(ov), "o.yaml")
	if err != nil {
		t.Fatalf("parse overlay: %v", err)
	}
	d, err := ParseDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Apply(d.Root, "o.yaml"); err != nil {
		t.Fatalf("apply: %v", err)
	}
	out, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestApply(t *testing.T) {
	tests := []struct {
		name, overlay string
		want, absent  []string
	}{
		{
			name: "update merges into an object, keeping its order",
			overlay: `overlay: 1.0.0
info: {title: t, version: v}
actions:
  - target: $.paths['/pets'].get
    update:
      summary: All pets
      description: new
`,
			want:   []string{"      summary: All pets\n      parameters:", "      description: new\n  /pets/{id}:"},
			absent: []string{"List pets"},
		},
		{
			name: "remove then update the root replaces a list",
			overlay: `overlay: 1.0.0
info: {title: t, version: v}
actions:
  - target: $.servers
    remove: true
  - target: $
    update:
      servers:
        - url: http://localhost:8000
`,
			want:   []string{"servers:\n  - url: http://localhost:8000\n"},
			absent: []string{"staging"},
		},
		{
			name: "descendant and filter selectors",
			overlay: `overlay: 1.0.0
info: {title: t, version: v}
actions:
  - target: $.paths..responses['500']
    remove: true
  - target: $.paths.*.get.parameters[?@.name == 'dummy']
    remove: true
  - target: $.paths..responses.default
    remove: true
`,
			want:   []string{"- name: limit"},
			absent: []string{"boom", "dummy", "default:"},
		},
		{
			name: "update of an array appends",
			overlay: `overlay: 1.0.0
info: {title: t, version: v}
actions:
  - target: $.paths['/pets'].get.parameters
    update: {name: page, in: query}
`,
			want: []string{"- name: dummy\n          in: query\n        - {name: page, in: query}\n"},
		},
		{
			name: "recursive merge adds nested keys",
			overlay: `overlay: 1.0.0
info: {title: t, version: v}
actions:
  - target: $.paths['/pets/{id}'].get.responses['200']
    update:
      content:
        application/json:
          examples:
            live-200:
              value: {id: 1}
`,
			want: []string{"          description: ok\n          content:\n            application/json:\n              examples:\n                live-200:\n                  value:"},
		},
		{
			name: "a target that selects nothing changes nothing",
			overlay: `overlay: 1.0.0
info: {title: t, version: v}
actions:
  - target: $.paths['/nope'].get
    update: {summary: x}
`,
			want: []string{"openapi: 3.1.0 # the version\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := apply(t, petsYAML, tt.overlay)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("output still has %q:\n%s", a, got)
				}
			}
			if !strings.Contains(got, "# the version") {
				t.Errorf("comment lost:\n%s", got)
			}
		})
	}
}

func TestApplyJSONKeepsJSON(t *testing.T) {
	doc := "{\n    \"openapi\": \"3.0.3\",\n    \"paths\": {\"/a\": {\"get\": {\"responses\": {\"200\": {\"description\": \"ok\"}}}}},\n    \"info\": {\"title\": \"x\", \"version\": \"1\"}\n}\n"
	got := apply(t, doc, `{"overlay": "1.0.0", "info": {"title": "t", "version": "v"},
 "actions": [{"target": "$.paths['/a'].get", "update": {"x-n": 12345678901234567890}}]}`)
	var v map[string]any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, got)
	}
	if !strings.HasPrefix(got, "{\n    \"openapi\": \"3.0.3\",\n    \"paths\"") {
		t.Errorf("indentation or key order lost:\n%s", got)
	}
	if !strings.Contains(got, `"x-n": 12345678901234567890`) {
		t.Errorf("large integer not kept exactly:\n%s", got)
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct{ name, overlay, want string }{
		{"update of a string", `overlay: 1.0.0
info: {title: t, version: v}
actions:
  - target: $.info.title
    update: x
`, `overlay "o.yaml": actions[0]: target "$.info.title" selects a string at $['info']['title']: update needs an object or an array`},
		{"object update with a scalar", `overlay: 1.0.0
info: {title: t, version: v}
actions:
  - target: $.info
    update: x
`, `update must be an object, not a string`},
		{"remove the root", `overlay: 1.0.0
info: {title: t, version: v}
actions:
  - target: $
    remove: true
`, `selects the whole document`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Parse([]byte(tt.overlay), "o.yaml")
			if err != nil {
				t.Fatal(err)
			}
			d, _ := ParseDocument([]byte(petsYAML))
			_, err = o.Apply(d.Root, "o.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", `overlay "o.yaml": empty document`},
		{"not a mapping", "- a\n", "the top level is not a mapping"},
		{"no version", "info: {title: t, version: v}\nactions: [{target: $, remove: true}]\n", `no "overlay" version field`},
		{"version 2", "overlay: 2.0.0\ninfo: {title: t, version: v}\nactions: [{target: $, remove: true}]\n", `unsupported overlay version "2.0.0" (want 1.0.x)`},
		{"numeric version", "overlay: 1.0\ninfo: {title: t, version: v}\nactions: []\n", `overlay (line 1): the version must be a string`},
		{"no info", "overlay: 1.0.0\nactions: [{target: $, remove: true}]\n", "info is required"},
		{"no title", "overlay: 1.0.0\ninfo: {version: v}\nactions: [{target: $, remove: true}]\n", "info (line 2): title and version are required"},
		{"no actions", "overlay: 1.0.0\ninfo: {title: t, version: v}\nactions: []\n", "at least one action is required"},
		{"unknown field", "overlay: 1.0.0\ninfo: {title: t, version: v}\nactoins: []\n", `line 3: unknown field "actoins"`},
		{"bad target", "overlay: 1.0.0\ninfo: {title: t, version: v}\nactions:\n  - target: $.paths[\n    remove: true\n", `actions[0].target (line 4): bad JSONPath "$.paths["`},
		{"target without $", "overlay: 1.0.0\ninfo: {title: t, version: v}\nactions:\n  - target: paths\n    remove: true\n", `is not a JSONPath (it must start with $)`},
		{"neither update nor remove", "overlay: 1.0.0\ninfo: {title: t, version: v}\nactions:\n  - target: $.paths\n", "an action needs update or remove: true"},
		{"remove not a bool", "overlay: 1.0.0\ninfo: {title: t, version: v}\nactions:\n  - target: $.paths\n    remove: yes please\n", "remove (line 5): want true or false"},
		{"syntax", "overlay: [1.0.0\n", `overlay "o.yaml": line`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), "o.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message is not one line: %q", err)
			}
		})
	}
}

// TestMarshalMatchesOverlaySchema checks what mockloop writes against the official Overlay 1.0
// JSON Schema (testdata/README.md says where it comes from), and that it reads back.
func TestMarshalMatchesOverlaySchema(t *testing.T) {
	o := New("Live examples")
	o.Extends = "petstore.yaml"
	var value yaml.Node
	if err := yaml.Unmarshal([]byte(`{"id": 1, "tags": ["a"], "n": null}`), &value); err != nil {
		t.Fatal(err)
	}
	update := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{Str("examples"), value.Content[0]}}
	if err := o.Add(Action{Target: "$.paths['/pets/{id}'].get.responses['200'].content['application/json']", Description: "d", Update: update}); err != nil {
		t.Fatal(err)
	}
	if err := o.Add(Action{Target: "$.paths['/pets/{id}'].get.responses['200'].content['application/json'].example", Remove: true}); err != nil {
		t.Fatal(err)
	}
	out, err := o.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	CheckSchema(t, out)
	back, err := Parse(out, "out.yaml")
	if err != nil {
		t.Fatalf("written overlay does not parse: %v\n%s", err, out)
	}
	if len(back.Actions) != 2 || !back.Actions[1].Remove || back.Extends != "petstore.yaml" {
		t.Errorf("read back %+v", back)
	}
}

// CheckSchema fails t unless data (YAML or JSON) is valid under the Overlay 1.0 schema.
func CheckSchema(t *testing.T, data []byte) {
	t.Helper()
	schemaYAML, err := os.ReadFile("testdata/overlay-1.0-schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	schema := decodeJSON(t, schemaYAML)
	c := jsonschema.NewCompiler()
	if err := c.AddResource("overlay-1.0.json", schema); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("overlay-1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(decodeJSON(t, data)); err != nil {
		t.Errorf("not a valid Overlay 1.0 document: %v\n%s", err, data)
	}
	// The schema itself must be able to fail.
	if err := sch.Validate(map[string]any{"overlay": "1.0.0"}); err == nil {
		t.Error("the schema accepts a document without info and actions")
	}
}

func decodeJSON(t *testing.T, data []byte) any {
	t.Helper()
	j, err := yamldoc.ToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(j)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func FuzzParseApply(f *testing.F) {
	f.Add([]byte("overlay: 1.0.0\ninfo: {title: t, version: v}\nactions:\n  - target: $..responses[?@.description == 'ok']\n    update: {x: 1}\n"), []byte(petsYAML))
	f.Add([]byte("overlay: 1.0.0\ninfo: {title: t, version: v}\nactions:\n  - target: $.paths[*]\n    remove: true\n"), []byte(`{"paths": {"/a": {}}}`))
	f.Add([]byte("overlay: 1.0.0\ninfo: {title: t, version: v}\nactions:\n  - target: $.a[-1]\n    update: &x [*x]\n"), []byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, ov, doc []byte) {
		o, err := Parse(ov, "f")
		if err != nil {
			return
		}
		d, err := ParseDocument(doc)
		if err != nil {
			return
		}
		if _, err := o.Apply(d.Root, "f"); err != nil {
			return
		}
		_, _ = d.Bytes()
	})
}
