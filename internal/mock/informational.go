package mock

import (
	"fmt"
	"net/http"

	"github.com/mockloop/mockloop/internal/problem"
)

// informational is the answer to an operation whose chosen response is 1xx (101 Switching
// Protocols for a WebSocket endpoint, typically): the mock cannot perform the upgrade, and
// writing the status alone would leave the client waiting on a protocol that never starts
// (net/http then sends a 200 of its own). 501 says so instead.
func informational(key string, status int) *problem.Details {
	return &problem.Details{
		Status: http.StatusNotImplemented,
		Title:  "Cannot mock an informational response",
		Detail: fmt.Sprintf("%s answers %d %s, which the mock cannot perform (a protocol upgrade needs a live server); ask for another declared status with Prefer: code=N, or route it to the live API",
			key, status, http.StatusText(status)),
	}
}
