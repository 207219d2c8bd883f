package testrun

import (
	"errors"
	"net"

	"github.com/mockloop/mockloop/internal/upstream"
)

// FailureKind says what made a failed case run fail: what the API answered, or the run's
// infrastructure. JUnit reports write them as <failure> and <error>.
type FailureKind string

// Failure kinds.
const (
	// KindFailure: the sides answered and the answers were checked and found wrong: a status
	// other than the one expected, a spec violation (strict validation), differences between
	// mock and live.
	KindFailure FailureKind = "failure"
	// KindError: the case could not be checked: a side gave no answer (unreachable, a timeout,
	// a connection cut, an answer too large or unreadable, mockloop's proxy engine answering
	// for an upstream it could not reach), the request could not be built, the comparison
	// could not run. A run with one is an error however its other reasons read.
	KindError FailureKind = "error"
)

// settleKind makes r.FailureKind agree with r.Outcome: empty unless the run failed, and
// KindFailure for a failed run not already known to be an error (as in reports written before
// the kind existed). Summary.add calls it, so every path that counts a summary (the run, a
// baseline, a merge) leaves the kinds consistent.
func (r *CaseResult) settleKind() {
	switch {
	case r.Outcome != OutcomeFail:
		r.FailureKind = ""
	case r.FailureKind != KindError:
		r.FailureKind = KindFailure
	}
}

// unreachable reports whether err says that nothing answers at the side's address: the
// connection could not be made (refused, no route, no DNS name, a dial that timed out, an
// egress proxy that cannot be reached). It returns the cause without the request URL (which
// may carry a query secret).
func unreachable(err error) (string, bool) {
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect") {
		return op.Error(), true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.Error(), true
	}
	return "", false
}

// gatewayFailure reports whether resp is not the API's answer but mockloop's proxy engine
// answering for an upstream that gave none (upstream.HeaderError: in process, or through a
// running server), and why.
func gatewayFailure(resp *Response) (string, bool) {
	cause := resp.Header.Get(upstream.HeaderError)
	return cause, cause != ""
}

// unreachableSide is why the run must stop after r: a side at whose address nothing answers
// (every later case would fail the same way, or wait for its timeout); "" for none.
func (r *CaseResult) unreachableSide() string {
	for _, s := range []*SideResult{r.Mock, r.Live} {
		if s != nil && s.unreachable != "" {
			return s.unreachable
		}
	}
	return ""
}
