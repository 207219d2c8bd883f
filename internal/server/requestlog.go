package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/redact"
)

// entry is one answered request, as kept in the ring buffer and sent to the log writer. The
// header maps are the request's and the response's own, retained after the handler returned
// (nothing writes them then) and redacted when read, so recording costs no copy.
type entry struct {
	time      time.Time
	method    string
	path      string
	rawQuery  string
	status    int
	latency   time.Duration
	side      plugin.Mode
	rule      string
	fallback  string
	operation string
	reqHeader http.Header
	resHeader http.Header
	err       string // the answer broke after it started (status sent, body cut)
}

// RequestRecord is one request as reported by GET /__mockloop/requests and by the JSON request
// log. Credentials are redacted: header values and credential-looking query parameters are ***.
type RequestRecord struct {
	Time            string            `json:"time"` // RFC 3339, UTC, milliseconds
	Method          string            `json:"method"`
	Path            string            `json:"path"`
	Query           string            `json:"query,omitempty"`
	Status          int               `json:"status"` // 0: no answer was sent (the connection was dropped or taken over, or the client left first)
	LatencyMs       float64           `json:"latency_ms"`
	Side            plugin.Mode       `json:"side"`                // mock or proxy: who answered
	Rule            string            `json:"rule,omitempty"`      // hybrid: the rule that decided
	Fallback        string            `json:"fallback,omitempty"`  // the live failure that made the mock answer
	Operation       string            `json:"operation,omitempty"` // "GET /pets/{id}"; empty when not in the spec
	Error           string            `json:"error,omitempty"`     // the answer broke after its status was sent: why
	RequestHeaders  map[string]string `json:"request_headers,omitempty"`
	ResponseHeaders map[string]string `json:"response_headers,omitempty"`
}

// record is e as GET /__mockloop/requests and the JSON log show it, with secrets hidden by rd.
func record(rd *redact.Policy, e *entry, withHeaders bool) RequestRecord {
	rec := RequestRecord{
		Time:      e.time.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Method:    e.method,
		Path:      e.path,
		Query:     rd.Query(e.rawQuery),
		Status:    e.status,
		LatencyMs: ms(e.latency),
		Side:      e.side,
		Rule:      e.rule,
		Fallback:  e.fallback,
		Operation: e.operation,
		Error:     e.err,
	}
	if withHeaders {
		rec.RequestHeaders = rd.Headers(e.reqHeader)
		rec.ResponseHeaders = rd.Headers(e.resHeader)
	}
	return rec
}

// ring keeps the last len(buf) requests. It is also the request log's queue: the log writer
// copies out what was added since it last looked (see take). When the writer is a whole ring
// behind, add waits for it (back-pressure, as a full channel would) rather than lose lines.
//
// Requests do not share a lock: add claims a sequence number with one atomic increment and
// then locks only its own slot while it copies the entry in. Each slot records which sequence
// number it holds, so readers (take, recent) tell a written slot from one that is claimed but
// not yet written, or already reused by a later request. The shared mutex is only taken in the
// slow path, by a request waiting for the log writer, and by the writer to wake such requests.
type ring struct {
	buf     []slot
	seq     atomic.Uint64 // sequence numbers ever claimed; the next goes to buf[seq%len(buf)]
	logged  atomic.Uint64 // sequence number of the next entry the log writer takes (written only by it, or by setLogging)
	logging atomic.Bool   // a log writer is reading (add must not overwrite what it has not taken)

	mu     sync.Mutex    // guards waiting on space, with logging and logged changes
	space  *sync.Cond    // signalled when the log writer took entries or stopped
	wake   chan struct{} // a request was added
	urgent chan struct{} // the log writer is half a ring behind
}

// slot is one entry of the ring; seq is the entry's sequence number plus one (0: never
// written). Both are guarded by mu.
type slot struct {
	mu  sync.Mutex
	seq uint64
	e   entry
}

func newRing(size int) *ring {
	if size < 1 {
		size = 1
	}
	r := &ring{buf: make([]slot, size), wake: make(chan struct{}, 1), urgent: make(chan struct{}, 1)}
	r.space = sync.NewCond(&r.mu)
	return r
}

func (r *ring) add(e *entry) {
	size := uint64(len(r.buf))
	k := r.seq.Add(1) - 1
	if r.logging.Load() && k >= r.logged.Load()+size {
		// The slot still holds an entry the log writer has not taken: wait for it. The
		// condition is checked again under mu, which take holds to signal, so no wake-up is
		// missed between the check and the Wait.
		r.mu.Lock()
		for r.logging.Load() && k >= r.logged.Load()+size {
			r.space.Wait()
		}
		r.mu.Unlock()
	}
	s := &r.buf[k%size]
	s.mu.Lock()
	// Without a log writer nothing holds back a request a whole ring ahead: never let an older
	// entry that arrives late overwrite a newer one.
	if s.seq < k+1 {
		s.e, s.seq = *e, k+1
	}
	s.mu.Unlock()
	select { // nudge the log writer, never wait for it
	case r.wake <- struct{}{}:
	default:
	}
	if r.logging.Load() && k+1 > r.logged.Load()+size/2 {
		select {
		case r.urgent <- struct{}{}:
		default:
		}
	}
}

// setLogging turns the log writer's claim on unread entries on or off.
func (r *ring) setLogging(on bool) {
	r.mu.Lock()
	r.logging.Store(on)
	r.logged.Store(r.seq.Load())
	r.mu.Unlock()
	r.space.Broadcast()
}

// take appends to dst up to max entries the log writer has not taken yet, oldest first. It
// stops at an entry that is claimed but not written yet: its request wakes the writer again
// once it is. Only the log writer calls take.
func (r *ring) take(dst []entry, max int) []entry {
	size := uint64(len(r.buf))
	n := 0
	for k := r.logged.Load(); k < r.seq.Load() && n < max; k++ {
		s := &r.buf[k%size]
		s.mu.Lock()
		written := s.seq == k+1
		if written {
			dst = append(dst, s.e)
		}
		s.mu.Unlock()
		if !written {
			break
		}
		r.logged.Store(k + 1)
		n++
	}
	if n > 0 {
		// Under mu: a request that saw the ring full is either not yet waiting (and will see
		// the new logged) or already in Wait (and gets this signal).
		r.mu.Lock()
		r.space.Broadcast()
		r.mu.Unlock()
	}
	return dst
}

// recent returns up to limit entries, newest first, that keep returns true for. Requests
// still being recorded are left out.
func (r *ring) recent(limit int, keep func(*entry) bool) []entry {
	size := uint64(len(r.buf))
	end := r.seq.Load()
	n := min(end, size)
	var out []entry
	for i := uint64(0); i < n && len(out) < limit; i++ {
		k := end - 1 - i
		s := &r.buf[k%size]
		s.mu.Lock()
		if s.seq == k+1 && keep(&s.e) {
			out = append(out, s.e)
		}
		s.mu.Unlock()
	}
	return out
}

// LogFormat is the request log's line format.
type LogFormat string

// Request log formats.
const (
	LogText LogFormat = "text" // 2026-11-25T19:00:00Z GET /pets?limit=2 200 0.4ms mock
	LogJSON LogFormat = "json" // one RequestRecord (without headers) per line
)

// logger writes one line per request from its own goroutine. It reads the requests from the
// ring buffer in batches: woken by a request, it writes everything added since its last look
// with one write, then lets the next batch gather for up to logBatch (less when the ring fills
// up), so under load it wakes a few hundred times a second rather than once per request. The
// request path neither formats nor makes a system call for the log; only when the writer is a
// whole ring behind (a terminal slower than the traffic) do requests wait for it.
type logger struct {
	w      *bufio.Writer
	format LogFormat
	rd     *redact.Policy
	ring   *ring
	done   chan struct{} // closed by close
	exited chan struct{} // closed when the writer goroutine is gone
	once   sync.Once
	line   []byte
	batch  []entry
	json   bytes.Buffer
	enc    *json.Encoder // into json, HTML escaping off so queries keep their &

	stamp    []byte // the formatted time of stampSec
	stampSec int64
	seen     map[string]bool // query names already judged secret or not
}

func newLogger(w io.Writer, format LogFormat, rd *redact.Policy, r *ring) *logger {
	l := &logger{
		w:      bufio.NewWriterSize(w, 32<<10),
		format: format,
		rd:     rd,
		ring:   r,
		done:   make(chan struct{}),
		exited: make(chan struct{}),
		seen:   map[string]bool{},
	}
	l.enc = json.NewEncoder(&l.json)
	l.enc.SetEscapeHTML(false)
	r.setLogging(true)
	go l.run()
	return l
}

func (l *logger) run() {
	defer close(l.exited)
	gather := time.NewTimer(logBatch)
	for {
		select {
		case <-l.ring.wake:
		case <-l.done:
			l.drain()
			return
		}
		l.drain()
		gather.Reset(logBatch)
		select {
		case <-gather.C:
		case <-l.ring.urgent:
		case <-l.done:
			l.drain()
			return
		}
	}
}

// logBatch is the longest a line waits for its batch.
const logBatch = 5 * time.Millisecond

// logChunk is how many entries are copied out of the ring per lock, so that the lock is held
// briefly.
const logChunk = 128

// drain writes every entry added since the last drain and flushes.
func (l *logger) drain() {
	for {
		l.batch = l.ring.take(l.batch[:0], logChunk)
		for i := range l.batch {
			l.write(&l.batch[i])
			l.batch[i] = entry{} // do not keep header maps alive
		}
		if len(l.batch) < logChunk {
			break
		}
	}
	l.w.Flush()
}

func (l *logger) write(e *entry) {
	b := l.line[:0]
	if l.format == LogJSON {
		l.json.Reset()
		if err := l.enc.Encode(record(l.rd, e, false)); err != nil {
			return
		}
		b = append(b, bytes.TrimSuffix(l.json.Bytes(), []byte("\n"))...)
	} else {
		// Lines in the same second share their time stamp: format it once.
		if sec := e.time.Unix(); sec != l.stampSec || l.stamp == nil {
			l.stampSec = sec
			l.stamp = e.time.UTC().AppendFormat(l.stamp[:0], time.RFC3339)
		}
		b = append(b, l.stamp...)
		b = append(b, ' ')
		b = append(b, e.method...)
		b = append(b, ' ')
		b = appendLogSafe(b, e.path)
		if e.rawQuery != "" {
			b = append(b, '?')
			q := len(b)
			b = l.rd.AppendQuery(b, e.rawQuery, l.seen)
			// The raw query has no control characters (net/http refuses them) but may have
			// invalid UTF-8 or format characters: escape in place, rarely needed.
			if !logSafe(b[q:]) {
				b = append(b[:q], appendLogSafe(nil, string(b[q:]))...)
			}
		}
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(e.status), 10)
		b = append(b, ' ')
		b = appendLatency(b, e.latency)
		b = append(b, ' ')
		b = append(b, e.side...)
		if e.rule != "" {
			b = append(b, " rule="...)
			b = strconv.AppendQuote(b, e.rule)
		}
		if e.fallback != "" {
			b = append(b, " fallback="...)
			b = strconv.AppendQuote(b, e.fallback)
		}
		if e.err != "" {
			b = append(b, " error="...)
			b = strconv.AppendQuote(b, e.err)
		}
	}
	b = append(b, '\n')
	l.w.Write(b)
	l.line = b
}

// appendLatency writes d as 0.042ms / 12.3ms / 1.23s.
func appendLatency(b []byte, d time.Duration) []byte {
	switch {
	case d >= time.Second:
		b = strconv.AppendFloat(b, d.Seconds(), 'f', 2, 64)
		return append(b, 's')
	case d >= time.Millisecond:
		b = strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 1, 64)
	default:
		b = strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 3, 64)
	}
	return append(b, "ms"...)
}

// close writes what is left and stops the logger; later requests are not logged.
func (l *logger) close() {
	l.once.Do(func() { close(l.done) })
	<-l.exited
	l.ring.setLogging(false)
}
