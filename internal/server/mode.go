package server

import (
	"net/http"

	"github.com/mockloop/mockloop/internal/route"
	"github.com/mockloop/mockloop/internal/spec"
)

// Decider chooses the side for a request in hybrid mode. It must be safe for concurrent use.
type Decider interface {
	// Decide looks at the request and its operation (nil when the path is not in the spec).
	Decide(r *http.Request, op *spec.Operation) route.Decision
	// Stats reports each rule with its hit count, in evaluation order.
	Stats() []route.RuleStat
}

// Live is the forwarding side: the proxy engine.
type Live interface {
	// Forward sends r upstream (auth injected, endpoint config applied) and writes the answer to w.
	// m is the request's route (its operation and path parameters; empty for a path outside the
	// spec). When fallback is non-nil and the live call fails (connect error, timeout, reset,
	// 502/503/504 after retries, or an answer that breaks before it reached the client) it writes
	// nothing and calls fallback(cause) instead. A non-nil error is an answer that broke after it
	// began reaching the client: its status is sent, its body cut; the server logs and counts it,
	// then aborts the response.
	Forward(w http.ResponseWriter, r *http.Request, m spec.Match, fallback func(cause string)) error
}

// Mocker is the mock side: mock.Engine satisfies it.
type Mocker interface {
	// Respond writes the mock answer for m (m.Operation != nil), or a problem+json error.
	Respond(w http.ResponseWriter, r *http.Request, m spec.Match)
}
