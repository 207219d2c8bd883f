package testrun

import (
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/compare"
)

func TestExplainSettings(t *testing.T) {
	resp := func(body string) compare.Response {
		return compare.Response{Status: 200, Body: []byte(body), ContentType: "application/json"}
	}
	tests := []struct {
		name       string
		cfg        compare.Config
		mock, live string
		want       []string // "location reason", in order
		kept       int
	}{
		{
			name: "each rule names what it ignores",
			cfg:  compare.Config{IgnoreFields: []string{"request_id", "$.id"}, Tolerance: compare.Tolerance{Default: compare.Number(0.01)}},
			mock: `{"id":"a","price":9.99,"name":"Dune"}`,
			live: `{"id":"b","price":10.04,"name":"Dune","request_id":"r1"}`,
			want: []string{"$.request_id ignore_fields: request_id", "$.id ignore_fields: $.id", "$.price tolerance 0.01 (0.5% apart)"},
		},
		{
			name: "a reordered array is one line, at the array",
			cfg:  compare.Config{},
			mock: `{"items":[{"id":1},{"id":2},{"id":3}]}`,
			live: `{"items":[{"id":3},{"id":1},{"id":2}]}`,
			want: []string{"$.items strict_arrays: false (the same elements, in another order)"},
		},
		{
			name: "what the settings keep is not explained away",
			cfg:  compare.Config{IgnoreFields: []string{"request_id"}},
			mock: `{"a":1,"request_id":"x"}`,
			live: `{"a":2,"request_id":"y"}`,
			want: []string{"$.request_id ignore_fields: request_id"},
			kept: 1,
		},
		{
			name: "strict arrays: no array rule",
			cfg:  compare.Config{StrictArrays: compare.Bool(true), IgnoreAbsence: []string{"note"}},
			mock: `{"items":[1,2],"note":"n"}`,
			live: `{"items":[1,2]}`,
			want: []string{"$.note ignore_absence: note"},
		},
		{
			name: "nothing to explain",
			cfg:  compare.Config{IgnoreFields: []string{"x"}},
			mock: `{"a":1}`,
			live: `{"a":1}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmps := &comparers{byKey: map[string]*compare.Comparer{}}
			cmp, err := cmps.get(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			m, l := resp(tt.mock), resp(tt.live)
			kept := cmp.Compare(m, l).Differences
			if len(kept) != tt.kept {
				t.Fatalf("kept %v, want %d", kept, tt.kept)
			}
			var got []string
			for _, s := range explainSettings(tt.cfg, cmps, kept, nil, m, l) {
				if s.By != "settings" {
					t.Errorf("By = %q", s.By)
				}
				got = append(got, s.Location+" "+s.Reason)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("explained\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
