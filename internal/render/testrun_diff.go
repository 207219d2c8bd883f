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
