package render

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fatih/color"

	"github.com/mockloop/mockloop/internal/testrun"
)

// Metric names accepted by --metrics: testrun.MetricGroups is their one table. The metrics
// table always has the request count, so MetricCount adds no column.
const (
	MetricResponseTime = testrun.MetricResponseTime
	MetricThroughput   = testrun.MetricThroughput
	MetricErrorRate    = testrun.MetricErrorRate
	MetricCount        = testrun.MetricCount
)

// AllMetrics are the metric groups in display order.
var AllMetrics = testrun.MetricNames()

// TestRunOptions tune the table output of a run.
type TestRunOptions struct {
	// Color turns on ANSI colour (PASS green, FAIL red, SKIP yellow).
	Color bool
	// Metrics selects the metric groups of the metrics table (AllMetrics order); empty: no
	// metrics table.
	Metrics []string
	// Quiet leaves out the per-case table and the passes with warnings: only the failing runs
	// (and the metrics table when asked) before the summary line.
	Quiet bool
}

// TestRunTable writes one row per case run (outcome, name, operation, each side's status and
// latency), then each failing run's reasons and difference table (and each pass's warnings),
// then the metrics table when asked, then the summary line; a blank line between the parts.
// Quiet keeps only the failing runs, the metrics and the summary line.
func TestRunTable(w io.Writer, rep *testrun.Report, opts TestRunOptions) error {
	pass, fail, skip := plainSprint, plainSprint, plainSprint
	if opts.Color {
		pass = colorSprint(color.FgGreen, color.Bold)
		fail = colorSprint(color.FgRed, color.Bold)
		skip = colorSprint(color.FgYellow)
	}
	header := []string{"RESULT", "CASE", "OPERATION"}
	hasMock, hasLive := slices.Contains(rep.Sides, testrun.SideMock), slices.Contains(rep.Sides, testrun.SideLive)
	if hasMock {
		header = append(header, "MOCK")
	}
	if hasLive {
		header = append(header, "LIVE")
	}
	rows := make([][]string, 0, len(rep.Cases))
	for i := range rep.Cases {
		r := &rep.Cases[i]
		var out string
		switch r.Outcome {
		case testrun.OutcomePass:
			out = pass("PASS")
			if len(r.Warnings) > 0 {
				out = pass("PASS") + "*"
			}
		case testrun.OutcomeFail:
			out = fail(failLabel(r))
		default:
			out = skip("SKIP")
		}
		row := []string{out, r.DisplayName(), r.Operation}
		if hasMock {
			row = append(row, sideCell(r.Mock))
		}
		if hasLive {
			row = append(row, sideCell(r.Live))
		}
		rows = append(rows, row)
	}
	wrote := false // a blank line goes between the parts, none before the first
	gap := func() {
		if wrote {
			fmt.Fprintln(w)
		}
		wrote = true
	}
	if !opts.Quiet {
		gap()
		if err := Table(w, header, rows); err != nil {
			return err
		}
	}
	for i := range rep.Cases {
		r := &rep.Cases[i]
		if r.Outcome != testrun.OutcomeFail && (opts.Quiet || len(r.Warnings) == 0 && len(r.Known) == 0 && len(r.Suppressed) == 0) {
			continue
		}
		label := fail(failLabel(r))
		switch {
		case r.Outcome == testrun.OutcomeFail:
		case len(r.Warnings) > 0:
			label = pass("PASS") + " with warnings"
		default:
			label = pass("PASS")
		}
		gap()
		fmt.Fprintf(w, "%s %s (%s)\n", label, r.DisplayName(), r.Operation)
		for _, f := range r.Failures {
			fmt.Fprintf(w, "  - %s\n", f)
		}
		for _, f := range r.Warnings {
			fmt.Fprintf(w, "  ! %s\n", f)
		}
		if len(r.Differences) > 0 {
			fmt.Fprintln(w)
			if err := testrunDiffTable(w, r, opts.Color); err != nil {
				return err
			}
		}
		if len(r.Known) > 0 || len(r.Suppressed) > 0 {
			fmt.Fprintln(w)
			if err := passingTable(w, r); err != nil {
				return err
			}
		}
	}
	if len(opts.Metrics) > 0 && rep.Metrics != nil && len(rep.Metrics.Operations) > 0 {
		gap()
		if err := TestRunMetricsTable(w, rep.Metrics, opts.Metrics); err != nil {
			return err
		}
	}
	if line := NoiseLine(rep); line != "" {
		gap()
		fmt.Fprintf(w, "%s\n", line)
	}
	if line := BaselineLine(rep); line != "" {
		gap()
		fmt.Fprintf(w, "%s\n", line)
		for _, e := range rep.Baseline.FixedDifferences {
			fmt.Fprintf(w, "  fixed: %s  %s  %s\n", e.Case, e.Location, e.Kind)
		}
	}
	gap()
	fmt.Fprintf(w, "%s\n", SummaryLine(rep))
	return nil
}

// BaselineLine is "baseline FILE: known N · new N · fixed N" for a run with --baseline, ""
// without one.
func BaselineLine(rep *testrun.Report) string {
	b := rep.Baseline
	if b == nil {
		return ""
	}
	name := "baseline"
	if b.File != "" {
		name += " " + b.File
	}
	return fmt.Sprintf("%s: known %d · new %d · fixed %d", name, b.Known, b.New, b.Fixed)
}

// SummaryLine is "12 cases: 10 passed, 2 failed (1.234s)", with errors (runs that could not
// be checked), skipped, warnings and an interruption or abort mentioned when there are any.
func SummaryLine(rep *testrun.Report) string {
	s := rep.Summary
	noun := "cases"
	if s.Total == 1 {
		noun = "case"
	}
	// Errors are failed runs too (Summary.Failed counts them); the line counts them apart, as
	// JUnit does, so that its numbers add up to the total.
	parts := []string{fmt.Sprintf("%d passed", s.Passed), fmt.Sprintf("%d failed", s.Failed-s.Errors)}
	if s.Errors > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", s.Errors, plural(s.Errors, "error", "errors")))
	}
	if s.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", s.Skipped))
	}
	if s.Warnings > 0 {
		parts = append(parts, fmt.Sprintf("%d with warnings", s.Warnings))
	}
	line := fmt.Sprintf("%d %s: %s (%s)", s.Total, noun, strings.Join(parts, ", "), seconds(rep.DurationMS))
	if rep.Interrupted {
		line += ", interrupted"
	} else if rep.Aborted != "" {
		line += ", aborted: " + rep.Aborted
	}
	return line
}

func seconds(ms float64) string { return fmt.Sprintf("%.3fs", ms/1000) }

func sideCell(s *testrun.SideResult) string {
	switch {
	case s == nil:
		return "-"
	case s.Error != "":
		return fmt.Sprintf("error %s", formatMS(s.LatencyMS))
	}
	return fmt.Sprintf("%d %s", s.Status, formatMS(s.LatencyMS))
}

func formatMS(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.2fs", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.2fms", ms)
}

// TestRunMetricsTable writes one row per operation and side with the selected metric groups,
// and the mock-vs-live latency ratio when both sides ran.
func TestRunMetricsTable(w io.Writer, m *testrun.Metrics, metrics []string) error {
	rt, tp, er := slices.Contains(metrics, MetricResponseTime), slices.Contains(metrics, MetricThroughput), slices.Contains(metrics, MetricErrorRate)
	header := []string{"OPERATION", "SIDE", "COUNT"}
	if rt {
		header = append(header, "MIN", "P50", "P95", "P99", "MAX")
	}
	if tp {
		header = append(header, "REQ/S")
	}
	if er {
		header = append(header, "ERRORS")
	}
	ratio := false
	for _, o := range m.Operations {
		if o.LatencyRatio != 0 {
			ratio = true
		}
	}
	if rt && ratio {
		header = append(header, "LIVE/MOCK")
	}
	var rows [][]string
	add := func(op, side string, s *testrun.Stats, r float64) {
		if s == nil {
			return
		}
		row := []string{op, side, fmt.Sprint(s.Count)}
		if rt {
			row = append(row, formatMS(s.MinMS), formatMS(s.P50MS), formatMS(s.P95MS), formatMS(s.P99MS), formatMS(s.MaxMS))
		}
		if tp {
			row = append(row, fmt.Sprintf("%.1f", s.Throughput))
		}
		if er {
			row = append(row, fmt.Sprintf("%d (%.1f%%)", s.Errors, s.ErrorRate*100))
		}
		if rt && ratio {
			cell := ""
			if r != 0 {
				cell = fmt.Sprintf("%.2fx", r)
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	for _, o := range m.Operations {
		add(o.Operation, testrun.SideMock, o.Mock, 0)
		add(o.Operation, testrun.SideLive, o.Live, o.LatencyRatio)
	}
	var mockLiveRatio float64
	if m.Mock != nil && m.Live != nil && m.Mock.P50MS > 0 {
		mockLiveRatio = m.Live.P50MS / m.Mock.P50MS
	}
	add("(all)", testrun.SideMock, m.Mock, 0)
	add("(all)", testrun.SideLive, m.Live, mockLiveRatio)
	return Table(w, header, rows)
}

// TestRunJSON writes the report as indented JSON (schema testrun.SchemaVersion).
func TestRunJSON(w io.Writer, rep *testrun.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

func plainSprint(s string) string { return s }

func colorSprint(attrs ...color.Attribute) func(string) string {
	c := color.New(attrs...)
	c.EnableColor()
	return func(s string) string { return c.Sprint(s) }
}
