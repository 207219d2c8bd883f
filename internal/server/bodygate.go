package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/mockloop/mockloop/internal/problem"
)

// DefaultBodyWait is how long a request waits for its turn to have its body validated before it
// is answered 503.
const DefaultBodyWait = 30 * time.Second

// minBodyBudget keeps the budget useful when the body limit is small.
const minBodyBudget = 1 << 20

// bodyGate bounds the request bodies the mock holds at once. Validating a body decodes it
// whole, and a decoded JSON body costs the server about fifteen times its size (maps and
// interfaces per value), so without a bound 64 clients each POSTing 10 MB took 9.8 GB. A
// request weighs its Content-Length (the body limit when the length is unknown) and waits, in
// order, until the bodies in validation leave room for it; the worst case is then one budget's
// worth of bodies in memory, whatever the number of clients. Bodies waiting their turn stay in
// the clients' TCP buffers, not in the server.
//
// golang.org/x/sync/semaphore rather than a channel of tokens: requests have different weights,
// and its FIFO order keeps a large body from starving behind a stream of small ones.
type bodyGate struct {
	sem    *semaphore.Weighted
	budget int64
	limit  int64 // the body limit; < 0 none
	wait   time.Duration
	since  atomic.Int64 // bytes validated since the last collection
}

func newBodyGate(budget, limit int64, wait time.Duration) *bodyGate {
	if budget <= 0 {
		budget = max(limit, minBodyBudget)
		if limit < 0 {
			budget = DefaultMaxBodyBytes
		}
	}
	if wait <= 0 {
		wait = DefaultBodyWait
	}
	return &bodyGate{sem: semaphore.NewWeighted(budget), budget: budget, limit: limit, wait: wait}
}

// weight is what r's body may cost, in bytes of budget; 0 when it has no body.
func (g *bodyGate) weight(r *http.Request) int64 {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return 0
	}
	n := r.ContentLength
	if n < 0 || (g.limit > 0 && n > g.limit) {
		n = g.limit
	}
	if n <= 0 || n > g.budget {
		n = g.budget
	}
	return n
}

// enter waits for r's turn. It returns the function that ends it, or answers 503 into w and
// returns false when the wait ran out (or the client left).
func (g *bodyGate) enter(w http.ResponseWriter, r *http.Request) (func(), bool) {
	n := g.weight(r)
	if n == 0 {
		return func() {}, true
	}
	if g.sem.TryAcquire(n) {
		return g.leave(n), true
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.wait)
	defer cancel()
	if err := g.sem.Acquire(ctx, n); err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(g.wait/time.Second, 1))))
		problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable, Title: "Busy validating request bodies",
			Detail: fmt.Sprintf("other requests' bodies (up to %d bytes at once) were being validated for %s; retry later", g.budget, g.wait)})
		return nil, false
	}
	return g.leave(n), true
}

// leave returns the function that gives n bytes of budget back. When a large share of the
// budget has been validated since the last collection, it collects first: the decoded bodies
// are garbage by then, and without it the next large body is decoded while the last still
// counts toward the collector's goal, which doubled the peak in the measurements.
func (g *bodyGate) leave(n int64) func() {
	return func() {
		if g.since.Add(n) >= g.budget/2 {
			g.since.Store(0)
			runtime.GC()
		}
		g.sem.Release(n)
	}
}

// closeOnFailure is a request body that, when reading it fails (too slow, too large, the
// client gone), asks for the connection to be closed after the answer. Without it net/http
// keeps the connection and reads what the client sends next as a new request: a client
// dripping its body held a connection for --read-timeout and then the header timeout again.
type closeOnFailure struct {
	io.ReadCloser
	w    http.ResponseWriter
	done bool
}

func (b *closeOnFailure) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && !b.done {
		b.done = true
		b.w.Header().Set("Connection", "close")
	}
	return n, err
}
