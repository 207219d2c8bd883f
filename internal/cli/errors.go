package cli

import (
	"errors"
	"fmt"
)

// Exit codes. Documented in `mockloop help exit-codes`.
const (
	ExitOK      = 0 // the command did what was asked and found nothing wrong
	ExitFailed  = 1 // the command ran and found differences or failing cases
	ExitTrouble = 2 // the command could not do what was asked: bad input, unreachable server
)

// ExitError carries an exit code chosen by the command. Err, when non-nil, is printed.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ErrFound is returned by a command that ran and found differences or failures, after it has
// printed them: exit 1, nothing more printed.
var ErrFound = &ExitError{Code: ExitFailed}

// errCancel is returned when the user declined a prompt: exit 2, nothing more printed.
var errCancel = &ExitError{Code: ExitTrouble}

// usageErrorf is a bad flag or argument: exit 2.
func usageErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitTrouble, Err: fmt.Errorf(format, args...)}
}

// exitCode is the one place errors become exit codes: nil is 0, an ExitError says its own code,
// anything else (bad input, load failures, flag errors) is 2.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitTrouble
}

// errorMessage is what is printed for err on stderr, or "" when nothing should be.
func errorMessage(err error) string {
	var ee *ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return ""
	}
	return err.Error()
}
