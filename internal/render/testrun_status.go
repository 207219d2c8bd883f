package render

import (
	"fmt"

	"github.com/mockloop/mockloop/internal/testrun"
)

// failLabel is how a failed run is labelled: ERROR when it could not be checked (a side gave
// no answer: testrun.KindError), else FAIL.
func failLabel(r *testrun.CaseResult) string {
	if r.FailureKind == testrun.KindError {
		return "ERROR"
	}
	return "FAIL"
}

// IncompleteReason says why a run did not run every case to its end: "interrupted: 3 case
// runs not finished", or "aborted: " and the reason; "" for a complete run.
func IncompleteReason(rep *testrun.Report) string {
	switch {
	case rep.Interrupted:
		return fmt.Sprintf("interrupted: %d case %s not finished", rep.Summary.Skipped, plural(rep.Summary.Skipped, "run", "runs"))
	case rep.Aborted != "":
		return "aborted: " + rep.Aborted
	}
	return ""
}
