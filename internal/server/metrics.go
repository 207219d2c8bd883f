package server

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockloop/mockloop/internal/latency"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
)

// opMetrics counts one operation (or the requests that matched none). The request count is
// the histogram's total: every request is observed there, and one shared counter fewer to
// increment matters when all cores answer the same operation.
type opMetrics struct {
	key string // "GET /pets/{id}"; "" for other
	// by counts the answers by side (0 mock, 1 live) and status class (status/100; 0 for
	// anything odd).
	by                    [2][6]atomic.Int64
	violations, fallbacks atomic.Int64
	broken                atomic.Int64                      // live answers cut after their status was sent
	hist                  atomic.Pointer[latency.Histogram] // allocated on first request
}

// sideIndex is the index of a side in opMetrics.by.
func sideIndex(side plugin.Mode) int {
	if side == plugin.ModeProxy {
		return 1
	}
	return 0
}

// classIndex is the index of a status class in opMetrics.by.
func classIndex(status int) int {
	cl := status / 100
	if cl < 1 || cl > 5 {
		return 0
	}
	return cl
}

func (m *opMetrics) observe(side plugin.Mode, status int, d time.Duration) {
	m.by[sideIndex(side)][classIndex(status)].Add(1)
	h := m.hist.Load()
	if h == nil {
		h = new(latency.Histogram)
		if !m.hist.CompareAndSwap(nil, h) {
			h = m.hist.Load()
		}
	}
	h.Observe(d)
}

// Metrics counts requests per operation: count, 4xx and 5xx, latency percentiles and
// response-validation violations. The table of operations is built once; everything after is
// atomic, so it is safe for concurrent use and never grows.
type Metrics struct {
	// ops holds each operation's counters at its Index, beside the operation they count:
	// a request finds them without a map lookup, and they are never moved.
	ops   []opSlot
	other opMetrics // requests whose path is in no operation (proxied as is)
}

type opSlot struct {
	op *spec.Operation
	opMetrics
}

// NewMetrics prepares counters for ops, the Operations of one Document.
func NewMetrics(ops []*spec.Operation) *Metrics {
	m := &Metrics{ops: make([]opSlot, len(ops))}
	for i, op := range ops {
		m.ops[i].op, m.ops[i].key = op, op.Key()
	}
	return m
}

// of is op's counters; those of requests in no operation for nil, or for an operation the
// counters were not prepared for.
func (m *Metrics) of(op *spec.Operation) *opMetrics {
	if op != nil {
		if i := op.Index(); i >= 0 && i < len(m.ops) && m.ops[i].op == op {
			return &m.ops[i].opMetrics
		}
	}
	return &m.other
}

// Observe records one request for op (nil: not in the spec) answered by side; fallback says
// the mock answered because the live call failed.
func (m *Metrics) Observe(op *spec.Operation, side plugin.Mode, status int, latency time.Duration, fallback bool) {
	m.observe(op, side, status, latency, fallback)
}

// observe is Observe for the server, which also needs the operation's key for the request
// log: one table lookup for both. The key is "" for a request in no operation.
func (m *Metrics) observe(op *spec.Operation, side plugin.Mode, status int, latency time.Duration, fallback bool) (key string) {
	om := m.of(op)
	om.observe(side, status, latency)
	if fallback {
		om.fallbacks.Add(1)
	}
	return om.key
}

// each calls f for every operation's counters, the requests in no operation last.
func (m *Metrics) each(f func(key, id string, om *opMetrics)) {
	for i := range m.ops {
		f(m.ops[i].key, m.ops[i].op.ID, &m.ops[i].opMetrics)
	}
	f("other", "", &m.other)
}

// aborted counts a live answer for op that broke after its status was sent.
func (m *Metrics) aborted(op *spec.Operation) { m.of(op).broken.Add(1) }

// AddViolations counts n response-validation violations found on a live answer for op
// (nil: not in the spec). Used by the forwarder with --validate-responses.
func (m *Metrics) AddViolations(op *spec.Operation, n int) {
	if n > 0 {
		m.of(op).violations.Add(int64(n))
	}
}

// OperationMetrics is one row of GET /__mockloop/metrics.
type OperationMetrics struct {
	Operation   string  `json:"operation"` // "GET /pets/{id}", or "other" for paths not in the spec
	OperationID string  `json:"operation_id,omitempty"`
	Count       int64   `json:"count"`
	Errors4xx   int64   `json:"errors_4xx"`
	Errors5xx   int64   `json:"errors_5xx"`
	Violations  int64   `json:"response_violations"`
	Aborted     int64   `json:"aborted"` // live answers cut after their status was sent
	P50Ms       float64 `json:"p50_ms"`
	P95Ms       float64 `json:"p95_ms"`
	P99Ms       float64 `json:"p99_ms"`
}

// Snapshot returns the operations that were called (or had violations), sorted by operation.
func (m *Metrics) Snapshot() []OperationMetrics {
	out := []OperationMetrics{}
	add := func(key, id string, om *opMetrics) {
		var c int64
		var q []time.Duration
		if h := om.hist.Load(); h != nil {
			c, q = h.Quantiles(0.50, 0.95, 0.99)
		}
		v := om.violations.Load()
		if c == 0 && v == 0 {
			return
		}
		row := OperationMetrics{
			Operation: key, OperationID: id, Count: c,
			Errors4xx: om.by[0][4].Load() + om.by[1][4].Load(), Errors5xx: om.by[0][5].Load() + om.by[1][5].Load(), Violations: v,
			Aborted: om.broken.Load(),
		}
		if c > 0 {
			row.P50Ms, row.P95Ms, row.P99Ms = ms(q[0]), ms(q[1]), ms(q[2])
		}
		out = append(out, row)
	}
	for i := range m.ops {
		add(m.ops[i].key, m.ops[i].op.ID, &m.ops[i].opMetrics)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Operation < out[j].Operation })
	add("other", "", &m.other)
	return out
}

// ms rounds to microseconds, in milliseconds.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// Counters is the "requests" object of GET /__mockloop/status.
type Counters struct {
	Total int64            `json:"total"`
	Mock  map[string]int64 `json:"mock"`  // "2xx": n, ... (only classes seen)
	Proxy map[string]int64 `json:"proxy"` // same for the live side
	// Aborted counts live answers that broke after their status was sent (a reset or a stall
	// mid-body): counted above by the status they were sent with.
	Aborted int64 `json:"aborted"`
}

// classNames name the status classes of opMetrics.by.
var classNames = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// Counters sums the answers of every operation by side and status class.
func (m *Metrics) Counters() Counters {
	var by [2][6]int64
	var aborted int64
	m.each(func(_, _ string, om *opMetrics) {
		for s := range by {
			for cl := range by[s] {
				by[s][cl] += om.by[s][cl].Load()
			}
		}
		aborted += om.broken.Load()
	})
	out := Counters{Mock: map[string]int64{}, Proxy: map[string]int64{}, Aborted: aborted}
	for cl, name := range classNames {
		if n := by[0][cl]; n > 0 {
			out.Mock[name] = n
			out.Total += n
		}
		if n := by[1][cl]; n > 0 {
			out.Proxy[name] = n
			out.Total += n
		}
	}
	return out
}

// MaxValidatedBody is the largest live response body ValidateResponses checks; larger bodies
// pass through unchecked.
const MaxValidatedBody = 4 << 20

// HeaderViolations on a live answer counts the ways it violates the spec (with response
// validation on).
const HeaderViolations = "X-Mockloop-Violations"

// ValidateResponses returns a ForwardConfig.ModifyResponse hook that checks live answers for spec
// operations with check (mock.Engine.ValidateResponse) before they are passed on: the body (up
// to MaxValidatedBody; larger ones stream through unchecked) is read first, each violation is
// counted in m and logged as one line to log, and the answer carries HeaderViolations. With
// errors (Prism's --errors) a violating answer is replaced by a 502 problem+json that lists the
// violations.
func ValidateResponses(check func(op *spec.Operation, r *http.Request, status int, header http.Header, body []byte) []problem.Item, m *Metrics, log io.Writer, errors bool) func(*http.Response, *spec.Operation) error {
	var mu sync.Mutex // one writer of log lines at a time
	return func(resp *http.Response, op *spec.Operation) error {
		if op == nil || resp.Body == nil || resp.StatusCode == http.StatusSwitchingProtocols {
			return nil
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxValidatedBody+1))
		if err != nil {
			return err // the upstream broke off: the forwarder reports it
		}
		if len(body) > MaxValidatedBody {
			resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
			return nil
		}
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		problems := check(op, resp.Request, resp.StatusCode, resp.Header, body)
		if len(problems) == 0 {
			return nil
		}
		m.AddViolations(op, len(problems))
		var b strings.Builder
		for _, p := range problems {
			fmt.Fprintf(&b, "response violation: %s %d: %s\n", op.Key(), resp.StatusCode, p)
		}
		mu.Lock()
		io.WriteString(log, b.String())
		mu.Unlock()
		if !errors {
			resp.Header.Set(HeaderViolations, strconv.Itoa(len(problems)))
			return nil
		}
		rec := &bufferWriter{header: http.Header{}}
		problem.Write(rec, problem.Details{Status: http.StatusBadGateway, Title: "Live answer violates the spec",
			Detail: fmt.Sprintf("the upstream answered %d, which does not conform to %s", resp.StatusCode, op.Key()), Errors: problems})
		resp.StatusCode, resp.Status = http.StatusBadGateway, "502 Bad Gateway"
		resp.Header = rec.header
		resp.Header.Set(HeaderViolations, strconv.Itoa(len(problems)))
		resp.Body = io.NopCloser(bytes.NewReader(rec.body.Bytes()))
		resp.ContentLength = int64(rec.body.Len())
		return nil
	}
}

// readCloser reads from one reader and closes another (the original body).
type readCloser struct {
	io.Reader
	c io.Closer
}

func (rc readCloser) Close() error { return rc.c.Close() }

// bufferWriter is a ResponseWriter into memory, for a replacement answer.
type bufferWriter struct {
	header http.Header
	body   bytes.Buffer
}

func (w *bufferWriter) Header() http.Header         { return w.header }
func (w *bufferWriter) WriteHeader(int)             {}
func (w *bufferWriter) Write(p []byte) (int, error) { return w.body.Write(p) }
