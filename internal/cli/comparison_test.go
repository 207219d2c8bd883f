package cli

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/compare"
)

func TestComparisonFlagsLayer(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "cmp.yaml", "ignore_fields: [b]\ntolerance: {default: 0.2, \"$.p\": 0}\narray_keys: {\"$.items\": id}\ncompare_headers: true\n")
	tests := []struct {
		name    string
		args    []string
		want    compare.Config
		wantErr string
	}{
		{name: "nothing given", want: compare.Config{}},
		{name: "config file", args: []string{"--config", cfg},
			want: compare.Config{IgnoreFields: []string{"b"}, CompareHeaders: compare.HeadersDeclared,
				Tolerance: compare.Tolerance{Default: compare.Number(0.2), Paths: map[string]float64{"$.p": 0}}, ArrayKeys: map[string]string{"$.items": "id"}}},
		{name: "flags win over the file, false and 0 too", args: []string{"--config", cfg, "--ignore-field", "c", "--tolerance", "0", "--tolerance", "$.q=0.3",
			"--strict-arrays=false", "--compare-headers=false", "--ignore-header", "X-A", "--array-key", "$.users=login"},
			want: compare.Config{IgnoreFields: []string{"b", "c"}, IgnoreHeaders: []string{"X-A"}, StrictArrays: compare.Bool(false), CompareHeaders: compare.HeadersOff,
				Tolerance: compare.Tolerance{Default: compare.Number(0), Paths: map[string]float64{"$.p": 0, "$.q": 0.3}},
				ArrayKeys: map[string]string{"$.items": "id", "$.users": "login"}}},
		{name: "headers flag alone is true", args: []string{"--compare-headers", "--compare-header", "X-Region"},
			want: compare.Config{CompareHeaders: compare.HeadersDeclared, IncludeHeaders: []string{"X-Region"}}},
		{name: "headers all", args: []string{"--compare-headers=all"}, want: compare.Config{CompareHeaders: compare.HeadersAll}},
		{name: "per-path tolerance", args: []string{"--tolerance", "$.price=0"},
			want: compare.Config{Tolerance: compare.Tolerance{Paths: map[string]float64{"$.price": 0}}}},
		{name: "bad tolerance", args: []string{"--tolerance", "-1"}, wantErr: `invalid --tolerance "-1"`},
		{name: "bad array key", args: []string{"--array-key", "$.x"}, wantErr: `invalid --array-key "$.x"`},
		{name: "missing config", args: []string{"--config", filepath.Join(dir, "nope.yaml")}, wantErr: "--config: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f comparisonFlags
			cmd := &cobra.Command{Use: "x"}
			addComparisonFlags(cmd, &f)
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := f.layer(cmd)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != ExitTrouble {
					t.Fatalf("err = %v, want %q (exit 2)", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
