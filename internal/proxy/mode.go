package proxy

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/mockloop/mockloop/internal/spec"
)

// Mode says which side answers requests.
type Mode string

// The three modes of a server. A Decision only ever carries ModeMock or ModeProxy.
const (
	ModeMock   Mode = "mock"   // every request is answered from the spec
	ModeProxy  Mode = "proxy"  // every request is forwarded to the live API
	ModeHybrid Mode = "hybrid" // route rules decide per request
)

// ParseMode accepts "mock", "proxy" or "hybrid" (case-insensitive, surrounding space ignored).
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeMock, ModeProxy, ModeHybrid:
		return m, nil
	}
	return "", fmt.Errorf("invalid mode %q (want mock, proxy or hybrid)", s)
}

// Decision is what a Decider chose for one request.
type Decision struct {
	// Mode is ModeMock or ModeProxy.
	Mode Mode
	// Rule labels the matching rule for the X-Mockloop-Rule header; "" when no rule matched and
	// the plugin's default applied.
	Rule string
	// Fallback asks for the mock answer when the live call fails.
	Fallback bool
}

// Decider chooses the side for a request in hybrid mode. It must be safe for concurrent use.
type Decider interface {
	// Decide looks at the request and its operation (nil when the path is not in the spec).
	Decide(r *http.Request, op *spec.Operation) Decision
	// Stats reports each rule with its hit count, in evaluation order.
	Stats() []RuleStat
}

// RuleStat is one route rule as reported by GET /__mockloop/status.
type RuleStat struct {
	Rule      string `json:"rule"`
	Pattern   string `json:"pattern"`
	Method    string `json:"method,omitempty"`
	Condition string `json:"condition,omitempty"`
	Mode      Mode   `json:"mode"`
	Priority  int    `json:"priority"`
	Hits      int64  `json:"hits"`
}

// Live is the forwarding side: the proxy engine.
type Live interface {
	// Forward sends r upstream (auth injected, endpoint config applied) and writes the answer to w.
	// When fallback is non-nil and the live call fails (connect error, timeout, reset, or 502/503/504
	// after retries) it writes nothing and calls fallback(cause) instead.
	Forward(w http.ResponseWriter, r *http.Request, op *spec.Operation, fallback func(cause string))
}

// Mocker is the mock side: mock.Engine satisfies it.
type Mocker interface {
	// Respond writes the mock answer for m (m.Operation != nil), or a problem+json error.
	Respond(w http.ResponseWriter, r *http.Request, m spec.Match)
}
