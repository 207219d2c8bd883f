package render

import (
	"fmt"
	"io"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/testrun"
)

// testrunDiffRows are a case's differences as location, kind, mock value, live value cells
// ("-" where a side has no value).
func testrunDiffRows(r *testrun.CaseResult) [][]string {
	rows := make([][]string, 0, len(r.Differences))
	for _, d := range r.Differences {
		rows = append(rows, []string{d.Location, string(d.Kind), rawCell(d.Mock), rawCell(d.Live)})
	}
	return rows
}

// testrunDiffLines are the differences as one line each, for JUnit failure text.
func testrunDiffLines(r *testrun.CaseResult) []string {
	var out []string
	for _, row := range testrunDiffRows(r) {
		out = append(out, fmt.Sprintf("%s  %s  mock=%s  live=%s", row[0], row[1], row[2], row[3]))
	}
	return out
}

func rawCell(b []byte) string {
	if b == nil {
		return "-"
	}
	return string(b)
}

// testrunDiffTable writes a case's difference table, as `mockloop diff` does.
func testrunDiffTable(w io.Writer, r *testrun.CaseResult, colour bool) error {
	return DiffTable(w, compare.Result{Differences: r.Differences}, colour)
}

// knownLines are a case's known differences (in the baseline, not failing) as one line each.
func knownLines(r *testrun.CaseResult) []string {
	var out []string
	for _, d := range r.Known {
		out = append(out, fmt.Sprintf("known (in the baseline): %s  %s  mock=%s  live=%s", d.Location, d.Kind, rawCell(d.Mock), rawCell(d.Live)))
	}
	return out
}

// passingRows are the differences of a case that do not fail it, with why: known ones (in the
// baseline), then the ones learned noise or, with --explain, the comparison settings remove.
func passingRows(r *testrun.CaseResult) [][]string {
	var rows [][]string
	for _, d := range r.Known {
		rows = append(rows, []string{d.Location, string(d.Kind), diffCell(d.Mock), diffCell(d.Live), "known: in the baseline"})
	}
	for _, s := range r.Suppressed {
		kind, why := string(s.Kind), s.Reason // "learned noise: ..."
		if s.By == "settings" {
			why = "ignored: " + s.Reason
		}
		if s.Mock == nil && s.Live == nil {
			kind = "order"
		}
		rows = append(rows, []string{s.Location, kind, diffCell(s.Mock), diffCell(s.Live), why})
	}
	return rows
}

// passingTable writes passingRows as a table with a WHY column.
func passingTable(w io.Writer, r *testrun.CaseResult) error {
	rows := passingRows(r)
	if len(rows) == 0 {
		return nil
	}
	return Table(w, []string{"LOCATION", "KIND", "MOCK", "LIVE", "WHY IT DOES NOT FAIL"}, rows)
}
