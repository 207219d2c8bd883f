package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/golden"
)

func sampleResult() compare.Result {
	long := `"` + strings.Repeat("abcdefghij", 10) + `"`
	return compare.Result{
		Differences: []compare.Difference{
			{Location: "status", Kind: compare.KindStatus, Mock: json.RawMessage(`200`), Live: json.RawMessage(`404`)},
			{Location: "header X-Rate", Kind: compare.KindHeader, Mock: json.RawMessage(`"5"`)},
			{Location: "$.items[0].price", Kind: compare.KindChanged, Mock: json.RawMessage(`10`), Live: json.RawMessage(`12.5`)},
			{Location: `$["odd key"]`, Kind: compare.KindMissing, Mock: json.RawMessage(long)},
			{Location: "$.extra", Kind: compare.KindExtra, Live: json.RawMessage(`{"a":[1,2]}`)},
			{Location: "$.id", Kind: compare.KindType, Mock: json.RawMessage(`1`), Live: json.RawMessage(`"1"`)},
		},
		Ignored: 4,
	}
}

func TestDiffTable(t *testing.T) {
	tests := []struct {
		name   string
		res    compare.Result
		colour bool
	}{
		{"diff_table.golden", sampleResult(), false},
		{"diff_table_colour.golden", sampleResult(), true},
		{"diff_table_equal.golden", compare.Result{Ignored: 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := DiffTable(&buf, tt.res, tt.colour); err != nil {
				t.Fatal(err)
			}
			if hasANSI := bytes.Contains(buf.Bytes(), []byte("\x1b[")); hasANSI != tt.colour {
				t.Errorf("colour = %v but ANSI codes present = %v", tt.colour, hasANSI)
			}
			golden.Assert(t, tt.name, buf.Bytes())
		})
	}
}

func TestDiffJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := DiffJSON(&buf, sampleResult()); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "diff.json.golden", buf.Bytes())

	buf.Reset()
	if err := DiffJSON(&buf, compare.Result{}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["equal"] != true || got["differences"] == nil {
		t.Errorf("equal report = %s", buf.Bytes())
	}
}

func TestDiffSummary(t *testing.T) {
	d := func(kinds ...compare.Kind) compare.Result {
		var r compare.Result
		for _, k := range kinds {
			r.Differences = append(r.Differences, compare.Difference{Kind: k})
		}
		return r
	}
	withIgnored := d(compare.KindChanged, compare.KindMissing, compare.KindChanged)
	withIgnored.Ignored = 4
	tests := []struct {
		name string
		res  compare.Result
		want string
	}{
		{"none", compare.Result{}, "no differences"},
		{"none ignored", compare.Result{Ignored: 1}, "no differences, 1 ignored"},
		{"one", d(compare.KindExtra), "1 difference (1 extra)"},
		{"issue example", withIgnored, "3 differences (2 changed, 1 missing), 4 ignored"},
		{"kind order", d(compare.KindHeader, compare.KindStatus, compare.KindType), "3 differences (1 type, 1 status, 1 header)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DiffSummary(tt.res); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
