package envref

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "alpha", "B_2": "beta"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "literal", want: "literal"},
		{in: "${A}", want: "alpha"},
		{in: "v1 ${A}-${B_2}", want: "v1 alpha-beta"},
		{in: "$${A}", want: "${A}"},
		{in: "price $5 {x}", want: "price $5 {x}"},
		{in: "${MISSING}", wantErr: "environment variable MISSING is not set"},
		{in: "x${A", wantErr: "unterminated"},
		{in: "${1A}", wantErr: "invalid"},
		{in: "${}", wantErr: "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Expand(tt.in, lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("= %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if got := strings.Join(Names("${A}:${B}-${A} $${C} ${1x} ${D"), ","); got != "A,B" {
		t.Errorf("Names = %q, want A,B", got)
	}
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"literal", "${A}", "v1 ${A}-${B}", "$${A}", "${", "${1}", "$$$", "${A}${"} {
		f.Add(s)
	}
	lookup := func(k string) (string, bool) { return "val", k == "A" }
	f.Fuzz(func(t *testing.T, v string) {
		_, err := Expand(v, lookup)
		if err != nil && len(v) >= 12 && strings.Contains(err.Error(), v) {
			t.Errorf("the error repeats the value: %v", err)
		}
		_ = Names(v)
	})
}
