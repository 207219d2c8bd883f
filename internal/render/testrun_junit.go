package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/mockloop/mockloop/internal/testrun"
)

// JUnit XML as Jenkins, GitLab, GitHub Actions reporters and the Ant/Surefire schema read it:
// <testsuites> of one <testsuite> with a <testcase> per case run. It validates against the
// common junit-10 schema (testdata/junit-10.xsd restates its rules): the root carries no
// skipped count, the suite's failures and errors are required.

// JUnitSuites is the <testsuites> root element.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one <testsuite>.
type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Cases      []JUnitCase     `xml:"testcase"`
	// SystemErr says why the run is incomplete, when it is.
	SystemErr *JUnitOutput `xml:"system-err,omitempty"`
}

// JUnitProperty is a <property name value>.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one <testcase>.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitFailure `xml:"failure,omitempty"`
	Error     *JUnitFailure `xml:"error,omitempty"`
	Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
	SystemOut *JUnitOutput  `xml:"system-out,omitempty"`
}

// JUnitFailure is a <failure message type>details</failure>, or the same as <error>.
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// JUnitOutput is <system-out> text.
type JUnitOutput struct {
	Text string `xml:",cdata"`
}

// JUnitSkipped is a <skipped message/>.
type JUnitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// TestRunJUnit writes the report as JUnit XML: a testcase per case run, named after the case
// with the operation as its class. A failed run is a <failure> (the answers were checked and
// found wrong) or an <error> (testrun.KindError: a side gave no answer), its reasons and
// differences the message and text; warnings go to system-out. An incomplete run (interrupted,
// or aborted because a side became unreachable) has the property incomplete=true and says why
// in the suite's system-err; the cases it did not run are skipped.
func TestRunJUnit(w io.Writer, rep *testrun.Report) error {
	suite := JUnitSuite{
		Name:      "mockloop test run: " + rep.Spec,
		Tests:     rep.Summary.Total,
		Failures:  rep.Summary.Failed - rep.Summary.Errors,
		Errors:    rep.Summary.Errors,
		Skipped:   rep.Summary.Skipped,
		Time:      junitSeconds(rep.DurationMS),
		Timestamp: rep.StartedAt.Format("2006-01-02T15:04:05"),
		Properties: []JUnitProperty{
			{Name: "mode", Value: rep.Mode},
			{Name: "sides", Value: strings.Join(rep.Sides, ",")},
			{Name: "validation", Value: rep.Validation},
		},
	}
	if rep.Plugin != "" {
		suite.Properties = append(suite.Properties, JUnitProperty{Name: "plugin", Value: rep.Plugin})
	}
	if rep.Shard != "" {
		suite.Properties = append(suite.Properties, JUnitProperty{Name: "shard", Value: rep.Shard})
	}
	if n := rep.Noise; n != nil {
		suite.Properties = append(suite.Properties,
			JUnitProperty{Name: "noise_samples", Value: fmt.Sprint(n.Samples)},
			JUnitProperty{Name: "noise_suppressed", Value: fmt.Sprint(n.Suppressed)})
	}
	if b := rep.Baseline; b != nil {
		suite.Properties = append(suite.Properties,
			JUnitProperty{Name: "baseline", Value: b.File},
			JUnitProperty{Name: "baseline_known", Value: fmt.Sprint(b.Known)},
			JUnitProperty{Name: "baseline_new", Value: fmt.Sprint(b.New)},
			JUnitProperty{Name: "baseline_fixed", Value: fmt.Sprint(b.Fixed)})
	}
	for i := range rep.Cases {
		r := &rep.Cases[i]
		tc := JUnitCase{Name: r.DisplayName(), Classname: r.Operation, Time: junitSeconds(r.DurationMS)}
		switch r.Outcome {
		case testrun.OutcomeFail:
			var text strings.Builder
			for _, f := range r.Failures {
				text.WriteString(f + "\n")
			}
			if len(r.Differences) > 0 {
				text.WriteString("\ndifferences (location, kind, mock, live):\n")
				for _, l := range testrunDiffLines(r) {
					text.WriteString("  " + l + "\n")
				}
			}
			f := &JUnitFailure{Message: strings.Join(r.Failures, "; "), Type: string(r.FailureKind), Text: xmlSafe(text.String())}
			if r.FailureKind == testrun.KindError {
				tc.Error = f
			} else {
				f.Type = string(testrun.KindFailure)
				tc.Failure = f
			}
		case testrun.OutcomeSkip:
			tc.Skipped = &JUnitSkipped{Message: r.Reason}
		}
		var out strings.Builder
		if len(r.Warnings) > 0 {
			out.WriteString("warnings:\n" + strings.Join(r.Warnings, "\n") + "\n")
		}
		for _, l := range knownLines(r) {
			out.WriteString(l + "\n")
		}
		for _, l := range suppressedLines(r) {
			out.WriteString(l + "\n")
		}
		if out.Len() > 0 {
			tc.SystemOut = &JUnitOutput{Text: xmlSafe(out.String())}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if rep.Incomplete {
		suite.Properties = append(suite.Properties, JUnitProperty{Name: "incomplete", Value: "true"})
		suite.SystemErr = &JUnitOutput{Text: xmlSafe("run incomplete: " + IncompleteReason(rep) + "\n")}
	}
	root := JUnitSuites{
		Name: "mockloop", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Time: suite.Time, Suites: []JUnitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

func junitSeconds(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }

// xmlSafe replaces the characters XML 1.0 cannot carry (CDATA is written raw) with U+FFFD.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}
