package compare

import (
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

func TestTolerance(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		json     string
		want     Tolerance
		wantYAML string
	}{
		{"number", "0.1", "0.1", Tolerance{Default: Number(0.1)}, "0.1\n"},
		{"zero", "0", "0", Tolerance{Default: Number(0)}, "0\n"},
		{"map with default", `{default: 0.2, "$.price": 0}`, `{"default":0.2,"$.price":0}`,
			Tolerance{Default: Number(0.2), Paths: map[string]float64{"$.price": 0}}, "default: 0.2\n$.price: 0\n"},
		{"map without default", `{"$.a": 0.5, "$.b": 1}`, `{"$.a":0.5,"$.b":1}`,
			Tolerance{Paths: map[string]float64{"$.a": 0.5, "$.b": 1}}, "$.a: 0.5\n$.b: 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var y, j Tolerance
			if err := yaml.Unmarshal([]byte(tt.yaml), &y); err != nil {
				t.Fatalf("yaml: %v", err)
			}
			if err := json.Unmarshal([]byte(tt.json), &j); err != nil {
				t.Fatalf("json: %v", err)
			}
			for _, got := range []Tolerance{y, j} {
				if got.DefaultValue() != tt.want.DefaultValue() || (got.Default == nil) != (tt.want.Default == nil) || len(got.Paths) != len(tt.want.Paths) {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
				for k, v := range tt.want.Paths {
					if got.Paths[k] != v {
						t.Errorf("path %s: got %v, want %v", k, got.Paths[k], v)
					}
				}
			}
			out, err := yaml.Marshal(y)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.wantYAML {
				t.Errorf("yaml out %q, want %q", out, tt.wantYAML)
			}
			jout, _ := json.Marshal(j)
			var back Tolerance
			if err := json.Unmarshal(jout, &back); err != nil || back.DefaultValue() != tt.want.DefaultValue() || len(back.Paths) != len(tt.want.Paths) {
				t.Errorf("json round trip %s -> %+v (%v)", jout, back, err)
			}
		})
	}
	t.Run("json errors", func(t *testing.T) {
		for _, in := range []string{`"x"`, `{"a":"b"}`, `[1]`} {
			var tol Tolerance
			if err := json.Unmarshal([]byte(in), &tol); err == nil {
				t.Errorf("%s: no error", in)
			}
		}
	})
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte("ignore_fields: [updated_at]\ntolerance: 0.05\nstrict_arrays: true\n"), "cmp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Tolerance.DefaultValue() != 0.05 || c.StrictArrays == nil || !*c.StrictArrays || c.IgnoreFields[0] != "updated_at" {
		t.Errorf("got %+v", c)
	}
	tests := []struct{ name, in, want string }{
		{"unknown key", "ignore_fields: [a]\ntolerence: 0.1\n", `parse comparison "cmp.yaml": line 2: unknown key "tolerence"`},
		{"negative tolerance", "tolerance: -0.1\n", "must be a number >= 0"},
		{"empty ignore field", "ignore_fields: ['']\n", "ignore_fields[0] is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.in), "cmp.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	plugin := Config{IgnoreFields: []string{"a"}, Tolerance: Tolerance{Default: Number(0.1), Paths: map[string]float64{"$.p": 0.5}},
		StrictArrays: Bool(true), ArrayKeys: map[string]string{"$.items": "id"}}
	plan := Config{IgnoreFields: []string{"b", "a"}, Tolerance: Tolerance{Paths: map[string]float64{"$.p": 0.2}}}
	flags := Config{StrictArrays: Bool(false), Tolerance: Tolerance{Default: Number(0)}}
	got := Merge(plugin, plan, flags)
	if strings.Join(got.IgnoreFields, ",") != "a,b" {
		t.Errorf("ignore_fields %v, want the union a,b", got.IgnoreFields)
	}
	if got.StrictArrays == nil || *got.StrictArrays {
		t.Errorf("strict_arrays %v: a later layer's false must win", got.StrictArrays)
	}
	if got.Tolerance.Default == nil || *got.Tolerance.Default != 0 {
		t.Errorf("tolerance default %v: a later layer's 0 must win", got.Tolerance.Default)
	}
	if got.Tolerance.Paths["$.p"] != 0.2 || got.ArrayKeys["$.items"] != "id" {
		t.Errorf("maps merge key by key: %+v", got)
	}
	if got.CompareHeaders != "" {
		t.Errorf("compare_headers set by no layer: %v", got.CompareHeaders)
	}
	if m := Merge(Config{CompareHeaders: HeadersAll}, Config{CompareHeaders: HeadersOff}, Config{}); m.CompareHeaders != HeadersOff {
		t.Errorf("compare_headers: a later layer's false must win, got %q", m.CompareHeaders)
	}
	lists := Merge(Config{IgnoreAbsence: []string{"a"}, UnorderedArrays: []string{"$.t"}, IncludeHeaders: []string{"X-A"}},
		Config{IgnoreAbsence: []string{"b", "a"}, UnorderedArrays: []string{"$.t"}, IncludeHeaders: []string{"X-B"}})
	if strings.Join(lists.IgnoreAbsence, ",") != "a,b" || len(lists.UnorderedArrays) != 1 || len(lists.IncludeHeaders) != 2 || lists.IsZero() {
		t.Errorf("new lists merge as unions: %+v", lists)
	}
	// Merge copies: changing the result leaves the layers alone.
	got.Tolerance.Paths["$.p"] = 9
	*got.StrictArrays = true
	if plan.Tolerance.Paths["$.p"] != 0.2 || *flags.StrictArrays {
		t.Errorf("Merge shares memory with its layers")
	}
}

func TestParseFlags(t *testing.T) {
	if tol, err := ParseTolerance("$.price=0"); err != nil || tol.Paths["$.price"] != 0 || tol.Default != nil {
		t.Errorf("ParseTolerance($.price=0) = %+v, %v", tol, err)
	}
	if tol, err := ParseTolerance("0.1"); err != nil || tol.DefaultValue() != 0.1 {
		t.Errorf("ParseTolerance(0.1) = %+v, %v", tol, err)
	}
	for _, bad := range []string{"x", "-1", "=1", "$.a=NaN", "$.a=inf"} {
		if _, err := ParseTolerance(bad); err == nil {
			t.Errorf("ParseTolerance(%q): no error", bad)
		}
	}
	if p, f, err := ParseArrayKey("$.items = id"); err != nil || p != "$.items" || f != "id" {
		t.Errorf("ParseArrayKey = %q %q %v", p, f, err)
	}
	if _, _, err := ParseArrayKey("$.items"); err == nil {
		t.Errorf("ParseArrayKey without =: no error")
	}
}
