package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/golden"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/testrun"
)

// sampleReport is a hybrid run with a pass, a failure with differences, a soft-validation
// warning and a skipped case.
func sampleReport() *testrun.Report {
	stats := func(scale float64, errs int) *testrun.Stats {
		return &testrun.Stats{Count: 2, Errors: errs, ErrorRate: float64(errs) / 2, MinMS: 1 * scale, P50MS: 1.5 * scale, P95MS: 2 * scale, P99MS: 2 * scale, MaxMS: 2 * scale, Throughput: 400 / scale}
	}
	return &testrun.Report{
		Schema: testrun.SchemaVersion, Spec: "petstore.yaml", Plugin: "pets", Mode: "hybrid",
		Sides: []string{"mock", "live"}, Validation: "soft", Shard: "1/2",
		StartedAt:  time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		DurationMS: 1234.5,
		Summary:    testrun.Summary{Total: 4, Passed: 2, Failed: 1, Skipped: 1, Warnings: 1},
		Cases: []testrun.CaseResult{
			{Name: "listPets", Operation: "GET /pets", OperationID: "listPets", Method: "GET", Path: "/pets", Outcome: testrun.OutcomePass, DurationMS: 12,
				Mock: &testrun.SideResult{Status: 200, LatencyMS: 0.42}, Live: &testrun.SideResult{Status: 200, LatencyMS: 11.5}},
			{Name: "getPet", Operation: "GET /pets/{petId}", OperationID: "getPet", Method: "GET", Path: "/pets/1", Outcome: testrun.OutcomeFail, FailureKind: testrun.KindFailure, DurationMS: 30,
				Failures: []string{"live: status 404, want 200", "2 differences between mock and live"},
				Mock:     &testrun.SideResult{Status: 200, LatencyMS: 0.5}, Live: &testrun.SideResult{Status: 404, LatencyMS: 29},
				Differences: []compare.Difference{
					{Location: "status", Kind: "status", Mock: json.RawMessage("200"), Live: json.RawMessage("404")},
					{Location: "$.name", Kind: "missing", Mock: json.RawMessage(`"Rex <&>"`)},
				},
				Known: []compare.Difference{{Location: "$.tag", Kind: "extra", Live: json.RawMessage(`"x"`)}},
				Suppressed: []testrun.Suppressed{{Difference: compare.Difference{Location: "$.updated_at", Kind: "changed", Mock: json.RawMessage(`"2026-01-01"`), Live: json.RawMessage(`"2026-02-02"`)},
					Reason: "learned noise: $.updated_at changes between answers (date-time)"}}},
			{Name: "createPet", Operation: "POST /pets", Method: "POST", Path: "/pets", Outcome: testrun.OutcomePass, DurationMS: 5,
				Warnings: []string{"live: response does not conform to the spec: /body/id: want integer"},
				Mock:     &testrun.SideResult{Status: 201, LatencyMS: 1.25}, Live: &testrun.SideResult{Status: 201, LatencyMS: 3,
					Problems: []problem.Item{{Location: "/body/id", Message: "want integer"}}}},
			{Name: "deletePet", Operation: "DELETE /pets/{petId}", Method: "DELETE", Path: "/pets/1", Outcome: testrun.OutcomeSkip, Reason: "interrupted"},
		},
		Metrics: &testrun.Metrics{
			Operations: []testrun.OperationMetrics{
				{Operation: "GET /pets", Mock: stats(1, 0), Live: stats(20, 0), LatencyRatio: 20},
				{Operation: "GET /pets/{petId}", Mock: stats(1, 0), Live: stats(15, 1), LatencyRatio: 15},
			},
			Mock: stats(1, 0), Live: stats(18, 1),
		},
		Noise: &testrun.NoiseSummary{Samples: 3, Learned: compare.Config{IgnoreFields: []string{"$.updated_at"}}, Suppressed: 1},
		Baseline: &testrun.BaselineSummary{File: "baseline.yaml", Known: 1, New: 2, Fixed: 1,
			FixedDifferences: []testrun.BaselineEntry{{Case: "listPets", Operation: "GET /pets", Location: "$[0].id", Kind: "changed"}}},
	}
}

func TestTestRunTable(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		opts   TestRunOptions
	}{
		{"plain", "testrun_table.golden", TestRunOptions{}},
		{"metrics", "testrun_table_metrics.golden", TestRunOptions{Metrics: AllMetrics}},
		{"some metrics", "testrun_table_some_metrics.golden", TestRunOptions{Metrics: []string{MetricErrorRate}}},
		{"colour", "testrun_table_colour.golden", TestRunOptions{Color: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := TestRunTable(&buf, sampleReport(), tt.opts); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			if hasEsc := strings.Contains(got, "\x1b["); hasEsc != tt.opts.Color {
				t.Errorf("escape codes = %v, want %v", hasEsc, tt.opts.Color)
			}
			golden.AssertString(t, tt.golden, got)
		})
	}
}

func TestSummaryLine(t *testing.T) {
	rep := &testrun.Report{Summary: testrun.Summary{Total: 1, Passed: 1}, DurationMS: 20}
	if got := SummaryLine(rep); got != "1 case: 1 passed, 0 failed (0.020s)" {
		t.Errorf("got %q", got)
	}
	rep = sampleReport()
	rep.Interrupted = true
	if got := SummaryLine(rep); got != "4 cases: 2 passed, 1 failed, 1 skipped, 1 with warnings (1.234s), interrupted" {
		t.Errorf("got %q", got)
	}
}

func TestTestRunJSONRoundTrip(t *testing.T) {
	rep := sampleReport()
	var buf bytes.Buffer
	if err := TestRunJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var back testrun.Report
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep, &back) {
		t.Errorf("round trip differs:\n%+v\n%+v", rep, &back)
	}
	for _, key := range []string{`"schema": "mockloop.testrun/v1"`, `"outcome": "fail"`, `"p95_ms": 2`, `"throughput_rps"`, `"latency_ratio": 20`, `"kind": "missing"`, `"mock": "Rex <&>"`} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("json lacks %s", key)
		}
	}
	golden.AssertString(t, "testrun.json.golden", buf.String())
}

func TestTestRunJUnit(t *testing.T) {
	var buf bytes.Buffer
	if err := TestRunJUnit(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration")
	}
	// Read it back as a JUnit reader does.
	var suites JUnitSuites
	if err := xml.Unmarshal(buf.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	if len(suites.Suites) != 1 {
		t.Fatalf("suites = %d", len(suites.Suites))
	}
	s := suites.Suites[0]
	if s.Tests != 4 || s.Failures != 1 || s.Skipped != 1 || s.Errors != 0 || len(s.Cases) != 4 || suites.Tests != 4 {
		t.Errorf("counts: tests %d failures %d skipped %d cases %d", s.Tests, s.Failures, s.Skipped, len(s.Cases))
	}
	if s.Time != "1.234" || s.Timestamp != "2026-11-25T12:00:00" {
		t.Errorf("time %q timestamp %q", s.Time, s.Timestamp)
	}
	fail := s.Cases[1]
	if fail.Name != "getPet" || fail.Classname != "GET /pets/{petId}" || fail.Failure == nil {
		t.Fatalf("failing case = %+v", fail)
	}
	if fail.Failure.Message != "live: status 404, want 200; 2 differences between mock and live" {
		t.Errorf("message = %q", fail.Failure.Message)
	}
	for _, want := range []string{"status  status  mock=200  live=404", `$.name  missing  mock="Rex <&>"  live=-`} {
		if !strings.Contains(fail.Failure.Text, want) {
			t.Errorf("failure text lacks %q:\n%s", want, fail.Failure.Text)
		}
	}
	if s.Cases[0].Failure != nil || s.Cases[0].Skipped != nil {
		t.Errorf("passing case = %+v", s.Cases[0])
	}
	if s.Cases[2].SystemOut == nil || !strings.Contains(s.Cases[2].SystemOut.Text, "want integer") || s.Cases[3].Skipped == nil || s.Cases[3].Skipped.Message != "interrupted" {
		t.Errorf("warning/skip cases = %+v / %+v", s.Cases[2], s.Cases[3])
	}
	golden.AssertString(t, "testrun_junit.golden", buf.String())
}

func TestJUnitInvalidCharacters(t *testing.T) {
	rep := sampleReport()
	rep.Cases[1].Failures = []string{"live: body has \x00 and \x1b and ]]> in it"}
	var buf bytes.Buffer
	if err := TestRunJUnit(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var suites JUnitSuites
	if err := xml.Unmarshal(buf.Bytes(), &suites); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if got := suites.Suites[0].Cases[1].Failure.Text; !strings.Contains(got, "\uFFFD and \uFFFD and ]]> in it") {
		t.Errorf("text = %q", got)
	}
}

func TestTestRunHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := TestRunHTML(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if n := strings.Count(html, "<svg"); n != 2 {
		t.Errorf("%d svg charts, want one per operation (2)", n)
	}
	for _, want := range []string{"<!DOCTYPE html>", "4 cases: 2 passed, 1 failed, 1 skipped", "&#34;Rex &lt;&amp;&gt;&#34;", `class="mock"`, `class="live"`, "live/mock p50 20.00x", "<style>"} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("html refers to something external or runs code: %q", bad)
		}
	}
	// Well-formed enough for an XML parser (the SVG must be).
	dec := xml.NewDecoder(strings.NewReader(strings.Replace(html, "<!DOCTYPE html>", "", 1)))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	for {
		_, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Errorf("html does not parse: %v", err)
			}
			break
		}
	}
	golden.AssertString(t, "testrun_report.html.golden", html)
}
