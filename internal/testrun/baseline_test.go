package testrun

import (
	"context"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/golden"
)

const baselinePlan = `cases:
  - {name: list, operation: listPets}
  - {name: one, operation: getPet, path_params: {petId: "1"}}
  - {name: two, operation: getPet, path_params: {petId: "2"}}
`

// baselineRun runs baselinePlan against a live side whose answers are given per path.
func baselineRun(t *testing.T, live map[string]string) *Report {
	t.Helper()
	mockSide := &HandlerSide{Label: SideMock, Handler: answers(map[string]string{
		"/pets": `200 [{"id":1}]`, "/pets/1": `200 {"id":1,"name":"a"}`, "/pets/2": `200 {"id":2,"name":"b"}`,
	})}
	liveSide := &HandlerSide{Label: SideLive, Handler: answers(live)}
	return Run(context.Background(), boundPlan(t, baselinePlan), Options{Mock: mockSide, Live: liveSide})
}

func TestBaseline(t *testing.T) {
	drifted := map[string]string{"/pets": `200 [{"id":1}]`, "/pets/1": `200 {"id":1,"name":"A"}`, "/pets/2": `200 {"id":2,"name":"B","x":true}`}
	rep := baselineRun(t, drifted)
	if rep.Summary.Failed != 2 {
		t.Fatalf("without a baseline: %+v", rep.Summary)
	}
	// The baseline of this run, written and read back in both formats.
	b := UpdatedBaseline(nil, rep)
	for _, format := range []string{"yaml", "json"} {
		data, err := b.Marshal(format)
		if err != nil {
			t.Fatal(err)
		}
		golden.AssertString(t, "baseline."+format+".golden", string(data))
		back, err := ParseBaseline(data, "b."+format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		again, _ := back.Marshal(format)
		if string(again) != string(data) {
			t.Errorf("%s: not stable:\n%s\nthen\n%s", format, data, again)
		}
	}

	// Judged against its own baseline: everything known, the run passes.
	ApplyBaseline(rep, b, "b.yaml")
	if s := rep.Baseline; s.Known != 3 || s.New != 0 || s.Fixed != 0 || rep.Summary.Failed != 0 || rep.Summary.Passed != 3 {
		t.Fatalf("known run: %+v %+v", s, rep.Summary)
	}
	if len(rep.Cases[2].Known) != 2 || len(rep.Cases[2].Differences) != 0 || len(rep.Cases[2].Failures) != 0 {
		t.Errorf("case two: %+v", rep.Cases[2])
	}

	// A new difference fails the run; one fixed is counted.
	rep = baselineRun(t, map[string]string{"/pets": `200 [{"id":1}]`, "/pets/1": `200 {"id":1,"name":"A","new":1}`, "/pets/2": `200 {"id":2,"name":"B"}`})
	ApplyBaseline(rep, b, "b.yaml")
	s := rep.Baseline
	if s.Known != 2 || s.New != 1 || s.Fixed != 1 || s.FixedDifferences[0].Location != "$.x" || rep.Summary.Failed != 1 {
		t.Fatalf("new and fixed: %+v %+v", s, rep.Summary)
	}
	one := rep.Cases[1]
	if one.Outcome != OutcomeFail || len(one.Differences) != 1 || one.Differences[0].Location != "$.new" || one.Failures[0] != "1 difference between mock and live" {
		t.Errorf("case one: %+v", one)
	}

	// Updating keeps the entries of cases this run did not compare.
	partial := baselineRun(t, drifted)
	partial.Cases = partial.Cases[:2]
	other := &Baseline{Schema: BaselineSchema, Differences: []BaselineEntry{{Case: "elsewhere", Location: "$.a", Kind: "changed"}, {Case: "one", Location: "$.gone", Kind: "missing"}}}
	up := UpdatedBaseline(other, partial)
	var got []string
	for _, e := range up.Differences {
		got = append(got, e.Case+" "+e.Location)
	}
	if strings.Join(got, ", ") != "elsewhere $.a, one $.name" {
		t.Errorf("updated: %v", got)
	}
	// An entry without an operation matches any.
	rep = baselineRun(t, drifted)
	ApplyBaseline(rep, &Baseline{Differences: []BaselineEntry{{Case: "one", Location: "$.name", Kind: "changed"}}}, "")
	if rep.Cases[1].Outcome != OutcomePass || rep.Baseline.New != 2 {
		t.Errorf("any-operation entry: %+v %+v", rep.Cases[1], rep.Baseline)
	}
}

func TestParseBaselineErrors(t *testing.T) {
	tests := []struct{ name, file, data, want string }{
		{"extension", "b.txt", "", `baseline "b.txt": want a .yaml, .yml or .json file`},
		{"unknown key", "b.yaml", "schema: mockloop.baseline/v1\ndifferences:\n  - {case: a, location: $.a, kind: changed, knd: x}\n", `line 3: unknown key "knd"`},
		{"schema", "b.yaml", "schema: other\ndifferences: []\n", `schema "other", want "mockloop.baseline/v1"`},
		{"no case", "b.json", `{"schema":"mockloop.baseline/v1","differences":[{"location":"$.a","kind":"changed"}]}`, "differences[0]: no case"},
		{"bad kind", "b.yaml", "schema: mockloop.baseline/v1\ndifferences:\n  - {case: a, location: $.a, kind: odd}\n", `kind "odd" is not one of changed, missing`},
		{"twice", "b.yaml", "schema: mockloop.baseline/v1\ndifferences:\n  - {case: a, location: $.a, kind: changed}\n  - {case: a, location: $.a, kind: changed, live: 1}\n", "listed twice"},
		{"json unknown", "b.json", `{"schema":"mockloop.baseline/v1","differences":[],"x":1}`, `unknown field "x"`},
		{"json trailing", "b.json", `{"schema":"mockloop.baseline/v1","differences":[]} {}`, "more than one JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBaseline([]byte(tt.data), tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want %q on one line", err, tt.want)
			}
		})
	}
}

// FuzzParseBaseline: any file is a baseline or a one-line error; a baseline writes and reads
// back to the same entries.
func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte("schema: mockloop.baseline/v1\ndifferences:\n  - {case: a, operation: GET /a, location: $.a, kind: changed, mock: {x: [1, 2]}, live: \"y\"}\n"), false)
	f.Add([]byte(`{"schema":"mockloop.baseline/v1","differences":[{"case":"a","location":"$","kind":"type","mock":1e400}]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		name := "b.yaml"
		if isJSON {
			name = "b.json"
		}
		b, err := ParseBaseline(data, name)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on more than one line: %q", err)
			}
			return
		}
		for _, format := range []string{"yaml", "json"} {
			out, err := b.Marshal(format)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseBaseline(out, "b."+format)
			if err != nil || len(back.Differences) != len(b.Differences) {
				t.Fatalf("%s round trip: %v\n%s", format, err, out)
			}
		}
	})
}
