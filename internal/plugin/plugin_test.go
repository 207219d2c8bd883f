package plugin

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/redact"
	"go.yaml.in/yaml/v4"
)

const fullFile = `name: petstore
spec: /specs/petstore.yaml
mode: hybrid
target_url: https://api.example.com/v1
auth:
  auth_type: api_key
  location: header
  name: X-API-Key
  credentials:
    api_key: ${PETSTORE_KEY}
endpoints:
  - path: /pets/{id}
    method: GET
    proxy_url: https://pets.example.com
    timeout: 5s
    retry_count: 2
route_rules:
  - pattern: /api/*
    method: POST
    condition: request.method == 'POST'
    mode: proxy
    priority: 10
    fallback: mock
fallback: mock
comparison:
  ignore_fields: [timestamp, '$.data[*].id']
  tolerance: {default: 0.1, "$.price": 0}
  strict_arrays: true
  compare_headers: true
  ignore_headers: [Date]
  array_keys: {"$.items": id}
timeout: 30s
retry_count: 3
operations: [tag:pets, 'GET /store/*']
mcp_tools: discovery
mock_data: plain
`

func TestParseFull(t *testing.T) {
	p, err := Parse([]byte(fullFile), "petstore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", p.Name, "petstore"},
		{"mode", p.Mode, ModeHybrid},
		{"target", p.TargetURL, "https://api.example.com/v1"},
		{"auth name", p.Auth.Name, "X-API-Key"},
		{"credential kept unresolved", p.Auth.Credentials["api_key"], "${PETSTORE_KEY}"},
		{"endpoint timeout", p.Endpoints[0].Timeout.Duration, 5 * time.Second},
		{"endpoint retries", p.Endpoints[0].RetryCount, 2},
		{"rule priority", p.RouteRules[0].Priority, 10},
		{"rule condition", p.RouteRules[0].Condition, "request.method == 'POST'"},
		{"tolerance default", p.Comparison.Tolerance.DefaultValue(), 0.1},
		{"tolerance path", p.Comparison.Tolerance.Paths["$.price"], 0.0},
		{"ignore fields", strings.Join(p.Comparison.IgnoreFields, ","), "timestamp,$.data[*].id"},
		{"array keys", p.Comparison.ArrayKeys["$.items"], "id"},
		{"timeout", p.Timeout.Duration, 30 * time.Second},
		{"retry", p.RetryCount, 3},
		{"mock data", p.PlainData(), true},
		{"operations", strings.Join(p.Operations, ","), "tag:pets,GET /store/*"},
		{"mcp tools", p.MCPTools, MCPToolsDiscovery},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	p, err := Parse([]byte(fullFile), "petstore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("yaml", func(t *testing.T) {
		data, err := Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse(data, "again.yaml")
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, data)
		}
		again, _ := Marshal(q)
		if string(again) != string(data) {
			t.Errorf("not stable:\n%s\n---\n%s", data, again)
		}
	})
	t.Run("json", func(t *testing.T) {
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var q Plugin
		if err := json.Unmarshal(data, &q); err != nil {
			t.Fatalf("unmarshal: %v\n%s", err, data)
		}
		again, _ := json.Marshal(&q)
		if string(again) != string(data) {
			t.Errorf("not stable:\n%s\n---\n%s", data, again)
		}
		for _, key := range []string{`"target_url"`, `"auth_type"`, `"route_rules"`, `"retry_count"`, `"timeout":"30s"`, `"ignore_fields"`, `"strict_arrays"`, `"operations":["tag:pets"`, `"mcp_tools":"discovery"`} {
			if !strings.Contains(string(data), key) {
				t.Errorf("json lacks %s: %s", key, data)
			}
		}
	})
	t.Run("minimal omits empty", func(t *testing.T) {
		min := &Plugin{Name: "a", Spec: "s.yaml", Mode: "mock"}
		data, err := Marshal(min)
		if err != nil {
			t.Fatal(err)
		}
		if want := "name: a\nspec: s.yaml\nmode: mock\n"; string(data) != want {
			t.Errorf("got %q, want %q", data, want)
		}
		j, _ := json.Marshal(min)
		if want := `{"name":"a","spec":"s.yaml","mode":"mock"}`; string(j) != want {
			t.Errorf("json got %s, want %s", j, want)
		}
	})
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"unknown top key", "name: a\nspec: s\nmode: mock\ntarget: http://x\n", `line 4: unknown key "target"`},
		{"unknown nested key", "name: a\nauth:\n  auth_type: bearer_token\n  credential:\n    token: x\n", `line 4: unknown key "credential"`},
		{"unknown comparison key", "comparison:\n  ignore_field: [a]\n", `line 2: unknown key "ignore_field"`},
		{"wrong type", "name: a\nretry_count: many\n", "line 2: cannot use the string \"many\" as an integer"},
		{"bad duration", "timeout: soon\n", `line 1: invalid duration "soon"`},
		{"negative duration", "timeout: -1s\n", "must not be negative"},
		{"duration map", "timeout: {a: 1}\n", "line 1: want a duration"},
		{"bad tolerance", "comparison:\n  tolerance: lots\n", "line 2: tolerance: want a number"},
		{"bad tolerance map", "comparison:\n  tolerance: {default: x}\n", "line 2: tolerance: want a number"},
		{"tolerance list", "comparison:\n  tolerance: [1]\n", "line 2: tolerance"},
		{"syntax", "name: [a\n", "line 1"},
		{"empty", "  \n", "empty document"},
		{"only comment", "# nothing\n", "empty document"},
		{"two documents", "name: a\n---\nname: b\n", "more than one YAML document"},
		{"not a map", "- a\n- b\n", "line 1: cannot use a list as a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), "p.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.HasPrefix(msg, `parse plugin "p.yaml": `) {
				t.Errorf("error %q, want it to name p.yaml and contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		yaml string
		want time.Duration
	}{
		{"timeout: 30s", 30 * time.Second},
		{"timeout: 1m30s", 90 * time.Second},
		{"timeout: 30", 30 * time.Second},
		{"timeout: 1.5", 1500 * time.Millisecond},
		{"timeout: \"250ms\"", 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			var v struct {
				Timeout Duration `yaml:"timeout"`
			}
			if err := yaml.Unmarshal([]byte(tt.yaml), &v); err != nil {
				t.Fatal(err)
			}
			if v.Timeout.Duration != tt.want {
				t.Errorf("got %v, want %v", v.Timeout.Duration, tt.want)
			}
		})
	}
	jsonTests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{`"2s"`, 2 * time.Second, false},
		{`3`, 3 * time.Second, false},
		{`"x"`, 0, true},
		{`-1`, 0, true},
		{`1e300`, 0, true},
		{`true`, 0, true},
	}
	for _, tt := range jsonTests {
		t.Run("json "+tt.in, func(t *testing.T) {
			var d Duration
			err := json.Unmarshal([]byte(tt.in), &d)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if d.Duration != tt.want {
				t.Errorf("got %v, want %v", d.Duration, tt.want)
			}
		})
	}
	if d, err := ParseDuration("45"); err != nil || d.Duration != 45*time.Second {
		t.Errorf("ParseDuration(45) = %v, %v", d, err)
	}
}

func TestMasked(t *testing.T) {
	p := &Plugin{
		Name: "a", Spec: "s", Mode: "proxy", TargetURL: "https://user:hunter2@api.example.com/v1",
		Auth:      &Auth{AuthType: AuthBasic, Credentials: map[string]string{"username": "bob", "password": "hunter2"}},
		Endpoints: []Endpoint{{Path: "/x", ProxyURL: "http://u:pw-secret@h"}},
	}
	m := p.Masked()
	if m.Auth.Credentials["username"] != redact.Mask || m.Auth.Credentials["password"] != redact.Mask {
		t.Errorf("credentials not masked: %v", m.Auth.Credentials)
	}
	if p.Auth.Credentials["password"] != "hunter2" || p.TargetURL != "https://user:hunter2@api.example.com/v1" {
		t.Error("Masked changed the original")
	}
	data, _ := Marshal(m)
	j, _ := json.Marshal(m)
	for _, out := range []string{string(data), string(j)} {
		if strings.Contains(out, "hunter2") || strings.Contains(out, "pw-secret") || strings.Contains(out, "bob") {
			t.Errorf("secret printed: %s", out)
		}
	}
	if m.TargetURL != "https://user:***@api.example.com/v1" {
		t.Errorf("target = %q", m.TargetURL)
	}
	var nilAuth = (&Plugin{Name: "b"}).Masked()
	if nilAuth.Auth != nil {
		t.Error("nil auth became non-nil")
	}
}

func TestResolveValue(t *testing.T) {
	env := map[string]string{"TOKEN": "s3cret", "EMPTY": "", "A_1": "x"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		in, want, err string
	}{
		{in: "literal", want: "literal"},
		{in: "${TOKEN}", want: "s3cret"},
		{in: "Bearer ${TOKEN}!", want: "Bearer s3cret!"},
		{in: "${A_1}-${TOKEN}", want: "x-s3cret"},
		{in: "${EMPTY}", want: ""},
		{in: "cost $5", want: "cost $5"},
		{in: "$", want: "$"},
		{in: "$${TOKEN}", want: "${TOKEN}"},
		{in: "${MISSING}", err: "environment variable MISSING is not set"},
		{in: "pre ${TOKEN", err: `unterminated "${" reference`},
		{in: "${}", err: "invalid"},
		{in: "${1X}", err: "invalid"},
		{in: "${my secret}", err: "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ResolveValue(tt.in, lookup)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "my secret") || strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error leaks the value: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if refs := References("${A}:${B}-${A} $${C}"); strings.Join(refs, ",") != "A,B" {
		t.Errorf("References = %v", refs)
	}
}

func TestParseMCPTools(t *testing.T) {
	tests := []struct {
		in   string
		want MCPTools
		ok   bool
	}{
		{"auto", MCPToolsAuto, true},
		{" Discovery ", MCPToolsDiscovery, true},
		{"OPERATIONS", MCPToolsOperations, true},
		{"", "", false},
		{"all", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMCPTools(tt.in)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("ParseMCPTools(%q) = %q, %v", tt.in, got, err)
			}
		})
	}
}

func TestParseMockData(t *testing.T) {
	tests := []struct {
		in   string
		want MockData
		ok   bool
	}{
		{"realistic", MockDataRealistic, true},
		{" Plain ", MockDataPlain, true},
		{"", "", false},
		{"off", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMockData(tt.in)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("ParseMockData(%q) = %q, %v", tt.in, got, err)
			}
		})
	}
}
