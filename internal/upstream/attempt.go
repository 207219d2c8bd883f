package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mockloop/mockloop/internal/spec"
)

// attempt is the state of one pass through the reverse proxy, carried to its hooks in the
// request context. The transport may try the request more than once in one attempt (on a
// reused connection the server closed): each such try counts against the retry budget.
type attempt struct {
	op           *spec.Operation
	url          *url.URL // the filled proxy_url template; nil for a base URL
	outURL       *url.URL // the URL the request went to, set by rewrite
	token        string
	last         bool // no retry left: a 502/503/504 answer is passed through (or falls back)
	fallback     bool
	authRetry    bool // a 401 may trigger one oauth2 refresh
	streamed     bool // the request body streams from the client (not replayable)
	timeout      time.Duration
	maxTries     int // tries the transport may make in this attempt
	err          error
	unauthorized bool
	status       int   // the answer's status, once its headers arrived
	bodyErr      error // reading the answer's body failed
	bodyBytes    int64 // read of the answer's body
	aborted      bool  // the reverse proxy aborted the client's answer mid-body
	timedOut     atomic.Bool

	mu       sync.Mutex // guards what the transport's goroutines touch: below
	timer    *time.Timer
	armed    bool // the timer is counting
	body     bool // the answer's headers arrived: the timer is the body's from now on
	cancel   context.CancelFunc
	wrote    bool // the request was written on the current connection
	nTries   int
	tryStart time.Time
	tries    []try
	triesBuf [2]try // tries' first backing array
	vetoed   bool   // a transport retry beyond the budget was stopped
}

type attemptKey struct{}

func attemptOf(r *http.Request) *attempt {
	a, _ := r.Context().Value(attemptKey{}).(*attempt)
	return a
}

func (a *attempt) begin() {
	a.nTries, a.tryStart = 1, time.Now()
	a.tries = a.triesBuf[:0]
}

// triesMade is how many tries of the budget the attempt used.
func (a *attempt) triesMade() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nTries
}

// clientTrace counts the transport's tries: after the request was written on a connection,
// getting another connection is the transport trying again (Go's http.Transport does so on a
// reused connection the server closed). A try beyond the budget is stopped by cancelling the
// attempt, so that retry_count means what it says.
func (a *attempt) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			a.mu.Lock()
			defer a.mu.Unlock()
			if !a.wrote {
				return // the first connection, or a retry of a request never written
			}
			a.wrote = false
			if a.nTries >= a.maxTries {
				a.vetoed = true
				a.cancel()
				return
			}
			a.tries = append(a.tries, try{took: time.Since(a.tryStart), outcome: "the upstream closed the connection before answering (tried again on a new connection)"})
			a.nTries++
			a.tryStart = time.Now()
		},
		WroteHeaders: func() {
			a.mu.Lock()
			a.wrote = true
			a.mu.Unlock()
		},
	}
}

// stop stops the timer and reports whether it had fired. a.mu is held.
func (a *attempt) stop() bool {
	if a.armed {
		a.armed = false
		if !a.timer.Stop() {
			return true
		}
	}
	return a.timedOut.Load()
}

// arm (re)starts the timer. a.mu is held.
func (a *attempt) arm() {
	if !a.timedOut.Load() {
		a.timer.Reset(a.timeout)
		a.armed = true
	}
}

// headersIn marks the answer's headers as arrived and stops the wait for them; false when the
// wait had already run out.
func (a *attempt) headersIn() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.body = true
	return !a.stop()
}

// end closes the last try with its outcome.
func (a *attempt) end() {
	a.mu.Lock()
	a.stop()
	t := try{took: time.Since(a.tryStart), status: a.status}
	switch {
	case a.err != nil && a.status != 0:
		// An answer retried, refreshed or replaced by the fallback (401, 502, 503, 504).
	case a.err != nil:
		t.outcome = a.failureLocked().cause
	case a.bodyErr != nil:
		t.outcome = fmt.Sprintf("answered %d, then %s", a.status, a.bodyFailure())
	}
	a.tries = append(a.tries, t)
	a.mu.Unlock()
}

// failure classifies the attempt's error.
func (a *attempt) failure() failure {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.failureLocked()
}

func (a *attempt) failureLocked() failure {
	if a.vetoed {
		return failure{status: http.StatusBadGateway, cause: "the upstream closed the connection before answering", retryable: true}
	}
	return classify(a.err, a.timedOut.Load(), a.timeout)
}

// bodyFailure says how the answer's body failed, in one secret-free line.
func (a *attempt) bodyFailure() string {
	err, n := a.bodyErr, a.bodyBytes
	switch {
	case err == nil:
		return "the answer was cut"
	case a.timedOut.Load() || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("its body stalled: nothing for %s after %d bytes", a.timeout, n)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Sprintf("the connection was reset mid-body after %d bytes", n)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Sprintf("the connection closed mid-body after %d bytes", n)
	case strings.Contains(err.Error(), "chunk"):
		return fmt.Sprintf("its chunked encoding is malformed (after %d bytes)", n)
	}
	return fmt.Sprintf("%s after %d bytes", oneLine(safeError(err)), n)
}

// serve runs one attempt through the upstream's reverse proxy. The attempt's timer cancels it
// when the upstream takes longer than the timeout to take the request or to answer, or to send
// the next piece of its body; time spent waiting for the client's upload does not count.
func (f *Forwarder) serve(w http.ResponseWriter, r *http.Request, ep *endpoint, a *attempt, body []byte) {
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), attemptKey{}, a))
	defer cancel()
	a.mu.Lock()
	a.cancel = cancel
	a.timer = time.AfterFunc(ep.timeout, func() { a.timedOut.Store(true); cancel() })
	a.armed = true
	a.mu.Unlock()
	ctx = httptrace.WithClientTrace(ctx, a.clientTrace())
	r2 := r.WithContext(ctx)
	if body != nil {
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
	} else if a.streamed && r.Body != nil && r.Body != http.NoBody {
		r2.Body = &uploadBody{rc: r.Body, a: a}
	}
	defer a.end()
	defer func() {
		// The reverse proxy aborts the client's answer when copying the body fails; Forward
		// decides (fallback, or the caller logs and aborts).
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			a.aborted = true
		}
	}()
	ep.up.rp.ServeHTTP(w, r2)
}

// idleBody re-arms the attempt's timer around each read of the upstream body, so a body that
// stops arriving for longer than the timeout cancels the attempt instead of hanging. Time spent
// waiting for the client to take the data does not count. A read error is kept for Forward.
type idleBody struct {
	rc io.ReadCloser
	a  *attempt
}

func (b *idleBody) Read(p []byte) (int, error) {
	a := b.a
	a.mu.Lock()
	a.arm()
	a.mu.Unlock()
	n, err := b.rc.Read(p)
	a.mu.Lock()
	a.stop()
	a.mu.Unlock()
	a.bodyBytes += int64(n)
	if err != nil && err != io.EOF && a.bodyErr == nil {
		a.bodyErr = err
	}
	return n, err
}

func (b *idleBody) Close() error { return b.rc.Close() }

// uploadBody pauses the attempt's timer while the transport waits for the client's next piece
// of the request body: a slow client is not a slow upstream.
type uploadBody struct {
	rc io.ReadCloser
	a  *attempt
}

func (u *uploadBody) Read(p []byte) (int, error) {
	a := u.a
	a.mu.Lock()
	if !a.body {
		a.stop()
	}
	a.mu.Unlock()
	n, err := u.rc.Read(p)
	a.mu.Lock()
	if !a.body {
		a.arm()
	}
	a.mu.Unlock()
	return n, err
}

func (u *uploadBody) Close() error { return u.rc.Close() }

// holdLimit is how much of an answer is held back, with a fallback, before it is sent on.
const holdLimit = 64 << 10

var holdBuffers = sync.Pool{New: func() any { b := make([]byte, 0, holdLimit); return &b }}

// holdWriter keeps an answer's status, headers and first bytes from the client until the
// answer is sure to start: holdLimit bytes arrived, a flush (a streamed answer), or its end.
// Until then a failure can still be answered by the fallback, as if the upstream had never
// answered.
type holdWriter struct {
	w         http.ResponseWriter
	h         http.Header
	status    int
	buf       *[]byte
	committed bool
}

func newHoldWriter(w http.ResponseWriter) *holdWriter {
	return &holdWriter{w: w, h: http.Header{}}
}

func (h *holdWriter) Header() http.Header {
	if h.committed {
		return h.w.Header()
	}
	return h.h
}

func (h *holdWriter) WriteHeader(code int) {
	switch {
	case h.committed:
		h.w.WriteHeader(code)
	case code >= 100 && code < 200 && code != http.StatusSwitchingProtocols:
		// An informational answer (103 Early Hints) goes on now, with its own headers.
		dst := h.w.Header()
		var added []string
		for k, v := range h.h {
			if _, ok := dst[k]; !ok {
				added = append(added, k)
			}
			dst[k] = v
		}
		h.w.WriteHeader(code)
		for _, k := range added {
			delete(dst, k)
		}
	case h.status == 0:
		h.status = code
		if code == http.StatusSwitchingProtocols {
			_ = h.commit()
		}
	}
}

func (h *holdWriter) Write(p []byte) (int, error) {
	if h.committed {
		return h.w.Write(p)
	}
	if h.status == 0 {
		h.status = http.StatusOK
	}
	if h.buf == nil {
		h.buf = holdBuffers.Get().(*[]byte)
	}
	if len(*h.buf)+len(p) <= holdLimit {
		*h.buf = append(*h.buf, p...)
		return len(p), nil
	}
	if err := h.commit(); err != nil {
		return 0, err
	}
	return h.w.Write(p)
}

// Flush sends what is held: a streamed answer goes to the client as it comes.
func (h *holdWriter) Flush() {
	_ = h.commit()
	_ = http.NewResponseController(h.w).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (h *holdWriter) Unwrap() http.ResponseWriter { return h.w }

// commit sends the held status, headers and bytes; later writes go straight through.
func (h *holdWriter) commit() error {
	if h.committed {
		return nil
	}
	h.committed = true
	dst := h.w.Header()
	for k, v := range h.h {
		dst[k] = v
	}
	if h.status != 0 {
		h.w.WriteHeader(h.status)
	}
	var err error
	if h.buf != nil && len(*h.buf) > 0 {
		_, err = h.w.Write(*h.buf)
	}
	h.release()
	return err
}

// discard forgets what is held: the fallback answers instead.
func (h *holdWriter) discard() {
	h.h, h.status = http.Header{}, 0
	if h.buf != nil {
		*h.buf = (*h.buf)[:0]
	}
}

// release returns the buffer to its pool.
func (h *holdWriter) release() {
	if h.buf != nil {
		*h.buf = (*h.buf)[:0]
		holdBuffers.Put(h.buf)
		h.buf = nil
	}
}
