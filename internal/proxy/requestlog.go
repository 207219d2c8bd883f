package proxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
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
	side      Mode
	rule      string
	fallback  string
	operation string
	reqHeader http.Header
	resHeader http.Header
}

// RequestRecord is one request as reported by GET /__mockloop/requests and by the JSON request
// log. Credentials are redacted: header values and credential-looking query parameters are ***.
type RequestRecord struct {
	Time            string            `json:"time"` // RFC 3339, UTC, milliseconds
	Method          string            `json:"method"`
	Path            string            `json:"path"`
	Query           string            `json:"query,omitempty"`
	Status          int               `json:"status"`
	LatencyMs       float64           `json:"latency_ms"`
	Side            Mode              `json:"side"`                // mock or proxy: who answered
	Rule            string            `json:"rule,omitempty"`      // hybrid: the rule that decided
	Fallback        string            `json:"fallback,omitempty"`  // the live failure that made the mock answer
	Operation       string            `json:"operation,omitempty"` // "GET /pets/{id}"; empty when not in the spec
	RequestHeaders  map[string]string `json:"request_headers,omitempty"`
	ResponseHeaders map[string]string `json:"response_headers,omitempty"`
}

// redactor knows which header and query names carry credentials.
type redactor struct {
	headers map[string]bool // canonical header names always redacted
	query   map[string]bool // lower-case query names always redacted
}

func newRedactor(extraHeaders, extraQuery []string) *redactor {
	r := &redactor{headers: map[string]bool{}, query: map[string]bool{}}
	for _, h := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key"} {
		r.headers[h] = true
	}
	for _, h := range extraHeaders {
		r.headers[http.CanonicalHeaderKey(h)] = true
	}
	for _, q := range extraQuery {
		r.query[strings.ToLower(q)] = true
	}
	return r
}

// secretWords appear in names that carry credentials: X-Auth-Token, client_secret, apiKey...
var secretWords = []string{"auth", "token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "signature", "credential", "session"}

func looksSecret(lower string) bool {
	for _, w := range secretWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

func (rd *redactor) secretHeader(name string) bool {
	return rd.headers[name] || looksSecret(strings.ToLower(name))
}

func (rd *redactor) secretQuery(name string) bool {
	lower := strings.ToLower(name)
	return rd.query[lower] || lower == "key" || lower == "sig" || lower == "code" || looksSecret(lower)
}

// headerMap flattens h with credentials replaced by ***.
func (rd *redactor) headerMap(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		if rd.secretHeader(k) {
			out[k] = "***"
			continue
		}
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// appendQuery appends raw with the values of credential-looking parameters replaced by ***,
// keeping everything else byte for byte.
func (rd *redactor) appendQuery(b []byte, raw string) []byte {
	first := true
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if !first {
			b = append(b, '&')
		}
		first = false
		key, _, hasValue := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(key)
		if err != nil {
			name = key
		}
		if hasValue && rd.secretQuery(name) {
			b = append(b, key...)
			b = append(b, "=***"...)
			continue
		}
		b = append(b, pair...)
	}
	return b
}

func (rd *redactor) redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	return string(rd.appendQuery(nil, raw))
}

func (rd *redactor) record(e *entry, withHeaders bool) RequestRecord {
	rec := RequestRecord{
		Time:      e.time.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Method:    e.method,
		Path:      e.path,
		Query:     rd.redactQuery(e.rawQuery),
		Status:    e.status,
		LatencyMs: ms(e.latency),
		Side:      e.side,
		Rule:      e.rule,
		Fallback:  e.fallback,
		Operation: e.operation,
	}
	if withHeaders {
		rec.RequestHeaders = rd.headerMap(e.reqHeader)
		rec.ResponseHeaders = rd.headerMap(e.resHeader)
	}
	return rec
}

// ring keeps the last len(buf) requests.
type ring struct {
	mu   sync.Mutex
	buf  []entry
	next int // index the next entry goes to
	full bool
}

func newRing(size int) *ring {
	if size < 1 {
		size = 1
	}
	return &ring{buf: make([]entry, size)}
}

func (r *ring) add(e *entry) {
	r.mu.Lock()
	r.buf[r.next] = *e
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
	r.mu.Unlock()
}

// recent returns up to limit entries, newest first, that keep returns true for.
func (r *ring) recent(limit int, keep func(*entry) bool) []entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	if r.full {
		n = len(r.buf)
	}
	var out []entry
	for i := 0; i < n && len(out) < limit; i++ {
		e := &r.buf[(r.next-1-i+len(r.buf))%len(r.buf)]
		if keep(e) {
			out = append(out, *e)
		}
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

// logger writes one line per request from its own goroutine, through a buffer flushed whenever
// the queue runs empty, so a slow terminal never sits on the request path.
type logger struct {
	w      *bufio.Writer
	format LogFormat
	rd     *redactor
	ch     chan entry
	done   chan struct{} // closed by close: stop accepting
	exited chan struct{} // closed when the writer goroutine is gone
	once   sync.Once
	line   []byte
	json   bytes.Buffer
	enc    *json.Encoder // into json, HTML escaping off so queries keep their &
}

func newLogger(w io.Writer, format LogFormat, rd *redactor) *logger {
	l := &logger{
		w:      bufio.NewWriterSize(w, 32<<10),
		format: format,
		rd:     rd,
		ch:     make(chan entry, 4096),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	l.enc = json.NewEncoder(&l.json)
	l.enc.SetEscapeHTML(false)
	go l.run()
	return l
}

// log queues e; it waits when the queue is full (back-pressure rather than lost lines) and
// drops e once the logger is closed.
func (l *logger) log(e *entry) {
	select {
	case l.ch <- *e:
	case <-l.done:
	}
}

func (l *logger) run() {
	defer close(l.exited)
	for {
		select {
		case e := <-l.ch:
			l.write(&e)
			if len(l.ch) == 0 {
				l.w.Flush()
			}
		case <-l.done:
			for {
				select {
				case e := <-l.ch:
					l.write(&e)
				default:
					l.w.Flush()
					return
				}
			}
		}
	}
}

func (l *logger) write(e *entry) {
	b := l.line[:0]
	if l.format == LogJSON {
		l.json.Reset()
		if err := l.enc.Encode(l.rd.record(e, false)); err != nil {
			return
		}
		b = append(b, bytes.TrimSuffix(l.json.Bytes(), []byte("\n"))...)
	} else {
		b = e.time.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, ' ')
		b = append(b, e.method...)
		b = append(b, ' ')
		b = append(b, e.path...)
		if e.rawQuery != "" {
			b = append(b, '?')
			b = l.rd.appendQuery(b, e.rawQuery)
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
	}
	b = append(b, '\n')
	l.w.Write(b)
	l.line = b
}

// appendLatency writes d as 0.4ms / 12.3ms / 1.2s.
func appendLatency(b []byte, d time.Duration) []byte {
	if d >= time.Second {
		b = strconv.AppendFloat(b, d.Seconds(), 'f', 2, 64)
		return append(b, 's')
	}
	b = strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 1, 64)
	return append(b, "ms"...)
}

// close stops the logger and waits until every queued line is written.
func (l *logger) close() {
	l.once.Do(func() { close(l.done) })
	<-l.exited
}
