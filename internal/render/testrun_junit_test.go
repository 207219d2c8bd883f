package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/golden"
	"github.com/mockloop/mockloop/internal/testrun"
)

// incompleteReport is a hybrid run that aborted when the live side became unreachable: a pass,
// a failure with a difference, an error (a timeout), the error that stopped the run, and a
// case not run.
func incompleteReport() *testrun.Report {
	const why = "the live side is unreachable: dial tcp 127.0.0.1:9: connect: connection refused"
	return &testrun.Report{
		Schema: testrun.SchemaVersion, Spec: "petstore.yaml", Mode: "hybrid", Sides: []string{"mock", "live"}, Validation: "strict",
		StartedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), DurationMS: 42,
		Aborted: why, Incomplete: true,
		Summary: testrun.Summary{Total: 5, Passed: 1, Failed: 3, Errors: 2, Skipped: 1},
		Cases: []testrun.CaseResult{
			{Name: "listPets", Operation: "GET /pets", Method: "GET", Path: "/pets", Outcome: testrun.OutcomePass, DurationMS: 3,
				Mock: &testrun.SideResult{Status: 200, LatencyMS: 0.5}, Live: &testrun.SideResult{Status: 200, LatencyMS: 2}},
			{Name: "getPet", Operation: "GET /pets/{petId}", Method: "GET", Path: "/pets/1", Outcome: testrun.OutcomeFail, FailureKind: testrun.KindFailure, DurationMS: 4,
				Failures: []string{"1 difference between mock and live"},
				Mock:     &testrun.SideResult{Status: 200, LatencyMS: 0.5}, Live: &testrun.SideResult{Status: 200, LatencyMS: 3},
				Differences: []compare.Difference{{Location: "$.name", Kind: "changed", Mock: json.RawMessage(`"Rex"`), Live: json.RawMessage(`"Max"`)}}},
			{Name: "createPet", Operation: "POST /pets", Method: "POST", Path: "/pets", Outcome: testrun.OutcomeFail, FailureKind: testrun.KindError, DurationMS: 30,
				Failures: []string{"live: request failed: no answer within 30ms"},
				Mock:     &testrun.SideResult{Status: 201, LatencyMS: 0.5}, Live: &testrun.SideResult{LatencyMS: 30, Error: "no answer within 30ms"}},
			{Name: "deletePet", Operation: "DELETE /pets/{petId}", Method: "DELETE", Path: "/pets/1", Outcome: testrun.OutcomeFail, FailureKind: testrun.KindError, DurationMS: 1,
				Failures: []string{"live: request failed: dial tcp 127.0.0.1:9: connect: connection refused"},
				Mock:     &testrun.SideResult{Status: 204, LatencyMS: 0.5}, Live: &testrun.SideResult{LatencyMS: 0.5, Error: "dial tcp 127.0.0.1:9: connect: connection refused"}},
			{Name: "updatePet", Operation: "PUT /pets/{petId}", Method: "PUT", Path: "/pets/1", Outcome: testrun.OutcomeSkip, Reason: "not run: " + why},
		},
	}
}

// interruptedReport is a run stopped by Ctrl-C after its first case.
func interruptedReport() *testrun.Report {
	return &testrun.Report{
		Schema: testrun.SchemaVersion, Spec: "petstore.yaml", Mode: "mock", Sides: []string{"mock"}, Validation: "strict",
		StartedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), DurationMS: 5, Interrupted: true, Incomplete: true,
		Summary: testrun.Summary{Total: 2, Passed: 1, Skipped: 1},
		Cases: []testrun.CaseResult{
			{Name: "listPets", Operation: "GET /pets", Method: "GET", Path: "/pets", Outcome: testrun.OutcomePass, DurationMS: 3, Mock: &testrun.SideResult{Status: 200, LatencyMS: 0.5}},
			{Name: "getPet", Operation: "GET /pets/{petId}", Method: "GET", Path: "/pets/1", Outcome: testrun.OutcomeSkip, Reason: "interrupted"},
		},
	}
}

func TestTestRunJUnitErrorsAndIncompleteRuns(t *testing.T) {
	tests := []struct {
		name, golden string
		rep          *testrun.Report
		wantErrSys   string // the suite's system-err
	}{
		{"aborted", "testrun_junit_incomplete.golden", incompleteReport(), "run incomplete: aborted: the live side is unreachable: dial tcp 127.0.0.1:9"},
		{"interrupted", "testrun_junit_interrupted.golden", interruptedReport(), "run incomplete: interrupted: 1 case run not finished"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := TestRunJUnit(&buf, tt.rep); err != nil {
				t.Fatal(err)
			}
			var suites JUnitSuites
			if err := xml.Unmarshal(buf.Bytes(), &suites); err != nil {
				t.Fatal(err)
			}
			s := suites.Suites[0]
			sum := tt.rep.Summary
			if s.Tests != sum.Total || s.Failures != sum.Failed-sum.Errors || s.Errors != sum.Errors || s.Skipped != sum.Skipped ||
				suites.Failures != s.Failures || suites.Errors != s.Errors {
				t.Errorf("counts: suite %+v / root %+v, summary %+v", s, suites, sum)
			}
			for i, c := range s.Cases {
				r := tt.rep.Cases[i]
				isErr, isFail := c.Error != nil, c.Failure != nil
				if isErr != (r.FailureKind == testrun.KindError) || isFail != (r.FailureKind == testrun.KindFailure) {
					t.Errorf("case %s (%s): <error> %v, <failure> %v", r.Name, r.FailureKind, isErr, isFail)
				}
				if isErr && (c.Error.Type != "error" || c.Error.Message != strings.Join(r.Failures, "; ")) {
					t.Errorf("case %s: error = %+v", r.Name, c.Error)
				}
			}
			if s.SystemErr == nil || !strings.HasPrefix(s.SystemErr.Text, tt.wantErrSys) {
				t.Errorf("system-err = %+v, want %q...", s.SystemErr, tt.wantErrSys)
			}
			if !hasProperty(s, "incomplete", "true") {
				t.Errorf("properties %+v lack incomplete=true", s.Properties)
			}
			golden.AssertString(t, tt.golden, buf.String())
		})
	}
	t.Run("a complete run says nothing of it", func(t *testing.T) {
		var buf bytes.Buffer
		if err := TestRunJUnit(&buf, sampleReport()); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "incomplete") || strings.Contains(buf.String(), "<system-err") || strings.Contains(buf.String(), "<error") {
			t.Errorf("complete run:\n%s", buf.String())
		}
	})
}

func hasProperty(s JUnitSuite, name, value string) bool {
	for _, p := range s.Properties {
		if p.Name == name && p.Value == value {
			return true
		}
	}
	return false
}

func TestTestRunJSONSaysKindsAndIncompleteness(t *testing.T) {
	var buf bytes.Buffer
	if err := TestRunJSON(&buf, incompleteReport()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"failure_kind": "error"`, `"failure_kind": "failure"`, `"errors": 2`, `"incomplete": true`, `"aborted": "the live side is unreachable`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("json lacks %s", want)
		}
	}
	golden.AssertString(t, "testrun_incomplete.json.golden", buf.String())
}

// xmllintEnv, when set to 1, makes a missing xmllint a failure rather than a skip: .ci/run
// sets it, so the schema check always runs in CI.
const xmllintEnv = "MOCKLOOP_REQUIRE_XMLLINT"

// xmllint is the path of xmllint (Debian: libxml2-utils); without it the test skips, saying
// so, unless MOCKLOOP_REQUIRE_XMLLINT=1.
func xmllint(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv(xmllintEnv) == "1" {
			t.Fatalf("xmllint is not installed and %s=1 requires it (apt-get install libxml2-utils)", xmllintEnv)
		}
		t.Skipf("xmllint is not installed (apt-get install libxml2-utils): the junit-10 schema is not checked; %s=1 makes this a failure", xmllintEnv)
	}
	return p
}

// validateJUnit10 runs xmllint --schema testdata/junit-10.xsd on doc and returns its complaint,
// "" when doc is valid.
func validateJUnit10(t *testing.T, lint string, doc []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "report.xml")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(lint, "--noout", "--schema", filepath.Join("testdata", "junit-10.xsd"), f).CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run xmllint: %v", err)
		}
		return string(out)
	}
	return ""
}

func TestJUnitValidatesAgainstJunit10Schema(t *testing.T) {
	lint := xmllint(t)
	invalidChars := sampleReport()
	invalidChars.Cases[1].Failures = []string{"live: body has \x00 and ]]> in it"}
	invalidChars.Cases[2].Warnings = []string{"\x1b[31m"}
	reports := []struct {
		name string
		rep  *testrun.Report
	}{
		{"sample", sampleReport()},
		{"aborted", incompleteReport()},
		{"interrupted", interruptedReport()},
		{"invalid characters", invalidChars},
		{"no cases", &testrun.Report{Schema: testrun.SchemaVersion, Spec: "x.yaml", Mode: "mock", Cases: []testrun.CaseResult{}}},
		{"long run", &testrun.Report{Spec: "x.yaml", DurationMS: 12345678.9}},
	}
	for _, tt := range reports {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := TestRunJUnit(&buf, tt.rep); err != nil {
				t.Fatal(err)
			}
			if msg := validateJUnit10(t, lint, buf.Bytes()); msg != "" {
				t.Errorf("not valid junit-10:\n%s\n%s", msg, buf.String())
			}
		})
	}
	// The check can fail: what readers reject, the schema rejects.
	rejected := []struct{ name, doc string }{
		{"skipped on the root", `<testsuites skipped="1"></testsuites>`},
		{"a suite without errors", `<testsuites><testsuite name="s" tests="0" failures="0"></testsuite></testsuites>`},
		{"a case without a name", `<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase></testcase></testsuite></testsuites>`},
		{"a time that is not a number", `<testsuites><testsuite name="s" tests="0" failures="0" errors="0" time="1s"></testsuite></testsuites>`},
	}
	for _, tt := range rejected {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			if msg := validateJUnit10(t, lint, []byte(xml.Header+tt.doc)); msg == "" {
				t.Errorf("xmllint accepted %s", tt.doc)
			}
		})
	}
}

func TestTestRunTableQuietAndErrors(t *testing.T) {
	passed := &testrun.Report{Summary: testrun.Summary{Total: 2, Passed: 2}, DurationMS: 20, Sides: []string{"mock"},
		Cases: []testrun.CaseResult{{Name: "a", Outcome: testrun.OutcomePass}, {Name: "b", Outcome: testrun.OutcomePass, Warnings: []string{"soft"}}}}
	tests := []struct {
		name, golden string
		rep          *testrun.Report
		opts         TestRunOptions
	}{
		{"quiet", "testrun_table_quiet.golden", sampleReport(), TestRunOptions{Quiet: true}},
		{"quiet with metrics", "testrun_table_quiet_metrics.golden", sampleReport(), TestRunOptions{Quiet: true, Metrics: []string{MetricErrorRate}}},
		{"quiet colour", "testrun_table_quiet_colour.golden", incompleteReport(), TestRunOptions{Quiet: true, Color: true}},
		{"errors and an abort", "testrun_table_incomplete.golden", incompleteReport(), TestRunOptions{}},
		{"quiet, all passed: the summary line alone", "testrun_table_quiet_passed.golden", passed, TestRunOptions{Quiet: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := TestRunTable(&buf, tt.rep, tt.opts); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			if tt.opts.Quiet {
				for _, l := range strings.Split(got, "\n") {
					if strings.HasPrefix(l, "RESULT") || strings.Contains(l, "PASS") || strings.Contains(l, "SKIP") {
						t.Errorf("quiet output has a line about a run that did not fail: %q\n%s", l, got)
					}
				}
				if strings.HasPrefix(got, "\n") || !strings.HasSuffix(got, SummaryLine(tt.rep)+"\n") {
					t.Errorf("quiet output must start with its first failure and end with the summary line:\n%q", got)
				}
			}
			golden.AssertString(t, tt.golden, got)
		})
	}
}

func TestSummaryLineErrorsAndAbort(t *testing.T) {
	want := "5 cases: 1 passed, 1 failed, 2 errors, 1 skipped (0.042s), aborted: the live side is unreachable: dial tcp 127.0.0.1:9: connect: connection refused"
	if got := SummaryLine(incompleteReport()); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	one := &testrun.Report{Summary: testrun.Summary{Total: 1, Failed: 1, Errors: 1}}
	if got := SummaryLine(one); got != "1 case: 0 passed, 0 failed, 1 error (0.000s)" {
		t.Errorf("got %q", got)
	}
}
