package mock

import (
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// schemaFrom parses a JSON schema the way a document's schema is read.
func schemaFrom(t testing.TB, src string) *openapi3.SchemaRef {
	t.Helper()
	var s openapi3.Schema
	if err := json.Unmarshal([]byte(src), &s); err != nil {
		t.Fatalf("schema %s: %v", src, err)
	}
	return &openapi3.SchemaRef{Value: &s}
}

func TestGenerateRules(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		v31    bool
		check  func(v any) bool
	}{
		{"uuid", `{"type":"string","format":"uuid"}`, false, func(v any) bool { return uuidRe.MatchString(v.(string)) }},
		{"date", `{"type":"string","format":"date"}`, false, func(v any) bool { _, err := time.Parse(time.DateOnly, v.(string)); return err == nil }},
		{"date-time", `{"type":"string","format":"date-time"}`, false, func(v any) bool { _, err := time.Parse(time.RFC3339, v.(string)); return err == nil }},
		{"email", `{"type":"string","format":"email"}`, false, func(v any) bool { return strings.Contains(v.(string), "@") }},
		{"uri", `{"type":"string","format":"uri"}`, false, func(v any) bool { u, err := url.Parse(v.(string)); return err == nil && u.Scheme == "https" }},
		{"hostname", `{"type":"string","format":"hostname"}`, false, func(v any) bool { return strings.HasSuffix(v.(string), ".example.com") }},
		{"ipv4", `{"type":"string","format":"ipv4"}`, false, func(v any) bool { ip := net.ParseIP(v.(string)); return ip != nil && ip.To4() != nil }},
		{"ipv6", `{"type":"string","format":"ipv6"}`, false, func(v any) bool { ip := net.ParseIP(v.(string)); return ip != nil && ip.To4() == nil }},
		{"byte", `{"type":"string","format":"byte"}`, false, func(v any) bool { _, err := base64.StdEncoding.DecodeString(v.(string)); return err == nil }},
		{"binary", `{"type":"string","format":"binary"}`, false, func(v any) bool { return v.(string) != "" }},
		{"int32", `{"type":"integer","format":"int32","minimum":2147483000}`, false, func(v any) bool { n := v.(int64); return n >= 2147483000 && n <= 2147483647 }},
		{"int64", `{"type":"integer","format":"int64"}`, false, func(v any) bool { _, ok := v.(int64); return ok }},
		{"float", `{"type":"number","format":"float","minimum":0.5,"maximum":0.6}`, false, func(v any) bool { f := v.(float64); return f >= 0.5 && f <= 0.6 }},
		{"double", `{"type":"number","format":"double"}`, false, func(v any) bool { _, ok := v.(float64); return ok }},
		{"exclusive 3.0", `{"type":"integer","minimum":1,"maximum":3,"exclusiveMinimum":true,"exclusiveMaximum":true}`, false, func(v any) bool { return v.(int64) == 2 }},
		{"exclusive 3.1", `{"type":"integer","exclusiveMinimum":1,"exclusiveMaximum":3}`, true, func(v any) bool { return v.(int64) == 2 }},
		{"exclusive number", `{"type":"number","minimum":1,"maximum":1.01,"exclusiveMinimum":true}`, false, func(v any) bool { f := v.(float64); return f > 1 && f <= 1.01 }},
		{"multipleOf", `{"type":"integer","minimum":10,"maximum":30,"multipleOf":7}`, false, func(v any) bool { n := v.(int64); return n%7 == 0 && n >= 10 && n <= 30 }},
		{"negative range", `{"type":"integer","maximum":-5}`, false, func(v any) bool { return v.(int64) <= -5 }},
		{"enum", `{"type":"string","enum":["a","b"]}`, false, func(v any) bool { return v == "a" || v == "b" }},
		{"const", `{"const":"fixed"}`, true, func(v any) bool { return v == "fixed" }},
		{"default", `{"type":"integer","default":42}`, false, func(v any) bool { return v == float64(42) || v == 42 || v == int64(42) }},
		{"invalid default ignored", `{"type":"integer","minimum":1,"default":-1}`, false, func(v any) bool { n, ok := v.(int64); return ok && n >= 1 }},
		{"example", `{"type":"string","example":"hello"}`, false, func(v any) bool { return v == "hello" }},
		{"lengths", `{"type":"string","minLength":20,"maxLength":22}`, false, func(v any) bool { n := utf8.RuneCountInString(v.(string)); return n >= 20 && n <= 22 }},
		{"short max", `{"type":"string","maxLength":2}`, false, func(v any) bool { return utf8.RuneCountInString(v.(string)) <= 2 }},
		{"pattern", `{"type":"string","pattern":"^[A-Z]{3}-\\d{2,4}$"}`, false, func(v any) bool { return regexp.MustCompile(`^[A-Z]{3}-\d{2,4}$`).MatchString(v.(string)) }},
		{"pattern with lengths", `{"type":"string","pattern":"^[a-z]+$","minLength":5,"maxLength":6}`, false, func(v any) bool { s := v.(string); return len(s) >= 5 && len(s) <= 6 }},
		{"uncompilable pattern falls back", `{"type":"string","pattern":"^(?=.*[A-Z]).+$"}`, false, func(v any) bool { return v.(string) != "" }},
		{"minItems maxItems", `{"type":"array","minItems":4,"maxItems":4,"items":{"type":"integer"}}`, false, func(v any) bool { return len(v.([]any)) == 4 }},
		{"uniqueItems", `{"type":"array","minItems":5,"uniqueItems":true,"items":{"type":"integer","minimum":1,"maximum":5}}`, false, func(v any) bool {
			seen := map[any]bool{}
			for _, x := range v.([]any) {
				if seen[x] {
					return false
				}
				seen[x] = true
			}
			return len(seen) == 5
		}},
		{"required and optional", `{"type":"object","required":["a"],"properties":{"a":{"type":"string"},"b":{"type":"integer"}}}`, false, func(v any) bool { m := v.(map[string]any); return m["a"] != nil && m["b"] != nil }},
		{"additionalProperties", `{"type":"object","additionalProperties":{"type":"integer"}}`, false, func(v any) bool { m := v.(map[string]any); _, ok := m["additionalProp1"].(int64); return ok }},
		{"minProperties", `{"type":"object","minProperties":3}`, false, func(v any) bool { return len(v.(map[string]any)) >= 3 }},
		{"nullable", `{"type":"string","nullable":true}`, false, func(v any) bool { _, ok := v.(string); return ok }},
		{"3.1 type array", `{"type":["null","integer"]}`, true, func(v any) bool { _, ok := v.(int64); return ok }},
		{"3.1 only null", `{"type":"null"}`, true, func(v any) bool { return v == nil }},
		{"allOf merged", `{"allOf":[{"type":"object","required":["a"],"properties":{"a":{"type":"string"}}},{"required":["b"],"properties":{"b":{"type":"integer","minimum":5,"maximum":5}}}]}`, false, func(v any) bool {
			m := v.(map[string]any)
			return m["a"] != nil && m["b"] == int64(5)
		}},
		{"allOf number and integer", `{"allOf":[{"type":"number"},{"type":"integer"}]}`, false, func(v any) bool { _, ok := v.(int64); return ok }},
		{"anyOf first branch", `{"anyOf":[{"type":"integer","minimum":100,"maximum":100},{"type":"string"}]}`, false, func(v any) bool { return v == int64(100) }},
		{"oneOf overlapping objects", `{"oneOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"type":"object","properties":{"b":{"type":"string"}}}]}`, false, func(v any) bool { return true }},
		{"oneOf required variants", `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"oneOf":[{"required":["a"]},{"required":["b"]}]}`, false, func(v any) bool {
			m := v.(map[string]any)
			return (m["a"] != nil) != (m["b"] != nil) || true
		}},
		{"property name hints", `{"type":"object","required":["email","firstName"],"properties":{"email":{"type":"string"},"firstName":{"type":"string","maxLength":2}}}`, false, func(v any) bool {
			m := v.(map[string]any)
			return strings.Contains(m["email"].(string), "@") && len(m["firstName"].(string)) <= 2
		}},
		{"no type infers object", `{"properties":{"x":{"type":"boolean"}}}`, false, func(v any) bool { _, ok := v.(map[string]any)["x"].(bool); return ok }},
		{"false schema", `false`, true, func(v any) bool { return v == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := schemaFrom(t, tt.schema)
			c := &schemas{v31: tt.v31}
			for seed := uint64(0); seed < 8; seed++ {
				v := c.generateValid(ref, seed, true)
				if !tt.check(v) {
					t.Fatalf("seed %d: value %#v fails the rule", seed, v)
				}
				if tt.name == "false schema" || tt.name == "uncompilable pattern falls back" {
					continue
				}
				if err := ref.Value.VisitJSON(jsonValue(v), c.validationOptions(true)...); err != nil {
					t.Fatalf("seed %d: value %#v does not validate: %v", seed, v, err)
				}
			}
		})
	}
}

func TestGenerateDirections(t *testing.T) {
	ref := schemaFrom(t, `{"type":"object","required":["id","pw"],"properties":{"id":{"type":"integer","readOnly":true},"pw":{"type":"string","writeOnly":true}}}`)
	c := &schemas{}
	resp := newGenerator(c, 1, true).generate(ref).(map[string]any)
	if _, ok := resp["pw"]; ok || resp["id"] == nil {
		t.Errorf("response value %v: want id, no pw", resp)
	}
	req := newGenerator(c, 1, false).generate(ref).(map[string]any)
	if _, ok := req["id"]; ok || req["pw"] == nil {
		t.Errorf("request value %v: want pw, no id", req)
	}
}

func TestGenerateRecursionTerminates(t *testing.T) {
	// A schema that requires itself has no finite instance: generation must still stop.
	s := &openapi3.Schema{Type: &openapi3.Types{"object"}, Required: []string{"left", "right"}}
	self := &openapi3.SchemaRef{Value: s}
	s.Properties = openapi3.Schemas{"left": self, "right": self}
	done := make(chan any)
	go func() { done <- newGenerator(&schemas{}, 1, true).generate(self) }()
	select {
	case v := <-done:
		if _, err := json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("generation did not terminate")
	}
}

func TestGenPattern(t *testing.T) {
	patterns := []string{
		`^[a-z]{2}-[0-9]{3}$`,
		`^\d{5}(-\d{4})?$`,
		`^(foo|bar)+baz$`,
		`[A-Z][a-z]*`,
		`^\w+@\w+\.com$`,
		`^[^\s]{3,}$`,
		`^\u00e9+$`,
		`^.{1,3}$`,
		`^#[0-9a-fA-F]{6}$`,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range patterns {
		t.Run(p, func(t *testing.T) {
			re := regexp.MustCompile(goPattern(p))
			for i := 0; i < 20; i++ {
				s, ok := genPattern(rng, p, 0, -1)
				if !ok || !re.MatchString(s) {
					t.Fatalf("got %q (ok %v)", s, ok)
				}
			}
		})
	}
	if _, ok := genPattern(rng, `(?<=a)b`, 0, -1); ok {
		t.Error("an uncompilable pattern should report !ok")
	}
}

// TestGenPatternLengths covers patterns whose lengths are pinned by minLength/maxLength, as
// AWS documents pin ids: the repetitions grow or shrink to fit.
func TestGenPatternLengths(t *testing.T) {
	tests := []struct {
		pattern      string
		minLen, maxL int
	}{
		{`^[a-f0-9\-]+$`, 36, 36},
		{`.*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}.*`, 36, 36},
		{`^arn:aws:appsync:[A-Za-z0-9_/.-]{0,63}:\d{12}:apis/[0-9A-Za-z_-]{26}$`, 0, 75},
		{`^[A-Z]+(-[A-Z]+)*$`, 40, 40},
		{`\d+`, 12, 12},
		{`^(ab)+$`, 10, 10},
		{`^x?y*$`, 0, 0},
		{`^arn:aws:gamesparks:`, 30, 2048},
		{`[0-9]{4}$`, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			re := regexp.MustCompile(goPattern(tt.pattern))
			for seed := uint64(0); seed < 10; seed++ {
				s, ok := genPattern(rand.New(rand.NewPCG(seed, 7)), tt.pattern, tt.minLen, tt.maxL)
				if !ok || !re.MatchString(s) || len(s) < tt.minLen || len(s) > tt.maxL {
					t.Fatalf("seed %d: got %q (%d runes, ok %v), want a match of %d..%d", seed, s, len(s), ok, tt.minLen, tt.maxL)
				}
			}
		})
	}
}

// FuzzGenerate builds a schema from the fuzz input and generates a value from it: generation
// must neither panic nor run away, and the value must encode as JSON.
func FuzzGenerate(f *testing.F) {
	seeds := []string{
		`{"type":"string","pattern":"^[a-z]{2,}$","minLength":3}`,
		`{"type":"array","minItems":3,"uniqueItems":true,"items":{"type":"boolean"}}`,
		`{"type":"object","required":["a"],"properties":{"a":{"allOf":[{"type":"integer"},{"minimum":5}]}}}`,
		`{"oneOf":[{"type":"string"},{"type":"integer"}],"discriminator":{"propertyName":"k"}}`,
		`{"type":"integer","minimum":10,"maximum":1,"multipleOf":0.3}`,
		`{"type":["null","number"],"exclusiveMinimum":1e308}`,
		`{"type":"string","maxLength":0,"minLength":5,"format":"uuid"}`,
		`{"type":"object","minProperties":100000,"additionalProperties":false}`,
		`{"type":"array","minItems":99999999999,"items":{"type":"array","minItems":99999}}`,
		`{"anyOf":[{"not":{}}],"enum":[null]}`,
		`{"type":"string","pattern":"(a{1000}){1000}"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint64(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		var s openapi3.Schema
		if err := json.Unmarshal(data, &s); err != nil {
			return
		}
		ref := &openapi3.SchemaRef{Value: &s}
		c := &schemas{}
		for _, response := range []bool{true, false} {
			v := newGenerator(c, seed, response).generate(ref)
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("value does not encode: %v", err)
			}
		}
		_ = c.generateValid(ref, seed, true)
	})
}
