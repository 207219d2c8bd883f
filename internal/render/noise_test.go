package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/golden"
	"github.com/mockloop/mockloop/internal/noise"
)

func sampleNoise() *noise.Model {
	return &noise.Model{Samples: 3, Operations: []noise.Operation{
		{Operation: "GET /items/{id}", Cases: []string{"getItem"}, Answers: 3, Stable: 4, Locations: []noise.Location{
			{Location: "$.items", Finding: noise.FindingOrder, Key: "id", Count: 2, Why: "changes order between answers: match the elements by id",
				Suggest: compare.Config{ArrayKeys: map[string]string{"$.items": "id"}}},
			{Location: "$.price", Finding: noise.FindingJitter, Shape: "number", MaxRelative: 0.03, Count: 2, Why: "jitters: up to 3% apart",
				Suggest: compare.Config{Tolerance: compare.Tolerance{Paths: map[string]float64{"$.price": 0.03}}}},
			{Location: "$.updated_at", Finding: noise.FindingValue, Shape: "date-time", Count: 2, Why: "changes between answers (date-time)",
				Suggest: compare.Config{IgnoreFields: []string{"$.updated_at"}}},
		}},
		{Operation: "GET /status", Cases: []string{"status"}, Answers: 3, Locations: []noise.Location{
			{Location: "body", Finding: noise.FindingText, Count: 2, Why: "changes between answers and is not JSON: compared as text, it cannot be subtracted"},
		}},
	}, Skipped: []noise.Skip{{Case: "deleteItem", Operation: "DELETE /items/{id}", Reason: "DELETE is not sent (only GET, HEAD, OPTIONS; see --methods)"}}}
}

func TestNoiseTable(t *testing.T) {
	for _, colour := range []bool{false, true} {
		var buf bytes.Buffer
		if err := NoiseTable(&buf, sampleNoise(), colour); err != nil {
			t.Fatal(err)
		}
		name := "noise_table.golden"
		if colour {
			name = "noise_table_colour.golden"
		}
		if strings.Contains(buf.String(), "\x1b[") != colour {
			t.Errorf("colour %v: escape codes wrong", colour)
		}
		golden.AssertString(t, name, buf.String())
	}
	var buf bytes.Buffer
	added := compare.Config{IgnoreFields: []string{"$.updated_at"}}
	if err := NoiseJSON(&buf, sampleNoise(), "shop", &added); err != nil {
		t.Fatal(err)
	}
	golden.AssertString(t, "noise.json.golden", buf.String())
	lines := ConfigLines(compare.Config{IgnoreFields: []string{"a"}, Tolerance: compare.Tolerance{Default: compare.Number(0.1), Paths: map[string]float64{"$.b": 0.2}},
		ArrayKeys: map[string]string{"$.c": "id"}, UnorderedArrays: []string{"$.d"}, IgnoreAbsence: []string{"$.e"}, IgnoreHeaders: []string{"X-F"},
		IncludeHeaders: []string{"X-G"}, StrictArrays: compare.Bool(true), CompareHeaders: compare.HeadersAll})
	want := "ignore_fields a|tolerance 0.1|tolerance $.b=0.2|array_keys $.c=id|unordered_arrays $.d|ignore_absence $.e|ignore_headers X-F|include_headers X-G|strict_arrays true|compare_headers all"
	if strings.Join(lines, "|") != want {
		t.Errorf("ConfigLines = %q", strings.Join(lines, "|"))
	}
}
