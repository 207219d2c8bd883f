package cli

import (
	"fmt"

	"github.com/mockloop/mockloop/internal/testrun"
)

// testRunExit is the outcome of a finished run (test run, report merge), once its output and
// report are written: ErrFound (exit 1) when a check failed (a difference, a violation, a
// wrong status) or runs were skipped by --fail-fast; else an error (exit 2) when the run could
// not check everything: interrupted, aborted because a side is unreachable, or runs that are
// errors (a side gave no answer); else nil.
func testRunExit(rep *testrun.Report) error {
	s := rep.Summary
	switch {
	case s.Failed-s.Errors > 0:
		return ErrFound
	case rep.Interrupted:
		return fmt.Errorf("interrupted: %d of %d case runs not finished", s.Skipped, s.Total)
	case rep.Aborted != "":
		return fmt.Errorf("aborted: %s: %d of %d case runs not run", rep.Aborted, s.Skipped, s.Total)
	case s.Errors > 0:
		return fmt.Errorf("%d of %d case runs could not be checked: a side gave no answer", s.Errors, s.Total)
	case s.Skipped > 0:
		return ErrFound
	}
	return nil
}
