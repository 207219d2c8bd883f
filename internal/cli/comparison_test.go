package cli

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/plugin"
)

func TestComparisonFlagsApply(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "cmp.yaml", "ignore_fields: [b]\ntolerance: {default: 0.2, \"$.p\": 0}\narray_keys: {\"$.items\": id}\ncompare_headers: true\n")
	base := plugin.Comparison{IgnoreFields: []string{"a"}, StrictArrays: true, Tolerance: plugin.Tolerance{Default: 0.5}}
	given := func(names ...string) func(string) bool {
		return func(n string) bool { return strings.Contains(" "+strings.Join(names, " ")+" ", " "+n+" ") }
	}
	tests := []struct {
		name    string
		flags   comparisonFlags
		set     func(string) bool
		want    plugin.Comparison
		wantErr string
	}{
		{name: "base only", set: given(), want: base},
		{name: "config over base", flags: comparisonFlags{Config: cfg}, set: given(),
			want: plugin.Comparison{IgnoreFields: []string{"a", "b"}, StrictArrays: true, CompareHeaders: true,
				Tolerance: plugin.Tolerance{Default: 0.2, Paths: map[string]float64{"$.p": 0}}, ArrayKeys: map[string]string{"$.items": "id"}}},
		{name: "flags win", flags: comparisonFlags{Config: cfg, IgnoreFields: []string{"c"}, Tolerance: []string{"0", "$.q=0.3"},
			StrictArrays: false, CompareHeaders: false, IgnoreHeaders: []string{"X-A"}, ArrayKeys: []string{"$.users=login"}},
			set: given("strict-arrays", "compare-headers", "tolerance"),
			want: plugin.Comparison{IgnoreFields: []string{"a", "b", "c"}, IgnoreHeaders: []string{"X-A"},
				Tolerance: plugin.Tolerance{Default: 0, Paths: map[string]float64{"$.p": 0, "$.q": 0.3}},
				ArrayKeys: map[string]string{"$.items": "id", "$.users": "login"}}},
		{name: "bad tolerance", flags: comparisonFlags{Tolerance: []string{"-1"}}, set: given(), wantErr: `invalid --tolerance "-1"`},
		{name: "bad array key", flags: comparisonFlags{ArrayKeys: []string{"$.x"}}, set: given(), wantErr: `invalid --array-key "$.x"`},
		{name: "missing config", flags: comparisonFlags{Config: filepath.Join(dir, "nope.yaml")}, set: given(), wantErr: "--config: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.flags.apply(base, tt.set)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != ExitTrouble {
					t.Fatalf("err = %v, want %q (exit 2)", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.IgnoreHeaders) == 0 {
				got.IgnoreHeaders = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if len(base.IgnoreFields) != 1 {
		t.Errorf("apply modified its base: %v", base.IgnoreFields)
	}
}

func TestCompareOptions(t *testing.T) {
	c := plugin.Comparison{IgnoreFields: []string{"t"}, Tolerance: plugin.Tolerance{Default: 0.1, Paths: map[string]float64{"$.p": 0}},
		StrictArrays: true, CompareHeaders: true, IgnoreHeaders: []string{"X-A"}, ArrayKeys: map[string]string{"$.i": "id"}}
	want := compare.Options{IgnoreFields: []string{"t"}, Tolerance: 0.1, PathTolerance: map[string]float64{"$.p": 0},
		StrictArrays: true, CompareHeaders: true, IgnoreHeaders: []string{"X-A"}, ArrayKeys: map[string]string{"$.i": "id"}}
	if got := compareOptions(c); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	if _, err := compileComparison(plugin.Comparison{IgnoreFields: []string{"$["}}); err == nil || exitCode(err) != ExitTrouble {
		t.Errorf("bad pattern: err = %v", err)
	}
}
