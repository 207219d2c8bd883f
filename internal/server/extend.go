package server

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// The server's extension points. The features that change how a request is answered (runtime
// overrides, stateful resources, replayed recordings, recording live answers, shadow
// comparison, latency and faults, more admin endpoints) each live in a package of their own
// and plug in here; stack.Build wires them. None costs anything when it is not configured.

// An Answerer may answer a request on the mock side before the mock engine does (a runtime
// override, a stateful resource, a recorded live answer). Answerers are asked in
// Config.Answerers order; the first that answers wins. It must be safe for concurrent use.
type Answerer interface {
	// Answer writes the answer for m (m.Operation is never nil) and returns true, or writes
	// nothing and returns false to let the next answerer, then the engine, answer.
	Answer(w http.ResponseWriter, r *http.Request, m spec.Match) bool
}

// Exchange is one answered live request, as LiveObservers see it: after the client has it.
// Bodies are bounded by Config.ObserveBody; Truncated says a body was longer.
type Exchange struct {
	Operation   *spec.Operation // nil for a path in no operation
	Request     *http.Request   // the client's request (its body already consumed)
	RequestBody []byte          // what the live side read of the request body
	Status      int
	Header      http.Header
	Body        []byte
	Truncated   bool
	Started     time.Time
	Latency     time.Duration
}

// A LiveObserver sees every request the live side answered (not the ones the mock answered
// after a live failure): recording, shadow comparison. ObserveLive runs on the request's
// goroutine after the answer was sent; slow work belongs on its own goroutine. x and its
// slices are the observer's to keep.
type LiveObserver interface {
	ObserveLive(x *Exchange)
}

// A LiveSampler is a LiveObserver that wants only some exchanges (the shadow comparer's
// sampled share). WantsLive is asked before the live call, on the request's goroutine; an
// exchange no observer wants is not captured at all (no copies of its bodies), and a sampler
// sees only the exchanges it wanted.
type LiveSampler interface {
	WantsLive(r *http.Request, m spec.Match) bool
}

// liveWanted says which observers want r's exchange: bit i for Config.LiveObservers[i] (the
// 64th bit for every observer beyond); 0 when none does, or there are none.
func (s *Server) liveWanted(r *http.Request, m spec.Match) uint64 {
	var want uint64
	for i, o := range s.cfg.LiveObservers {
		if ls, ok := o.(LiveSampler); ok && !ls.WantsLive(r, m) {
			continue
		}
		want |= 1 << min(i, 63)
	}
	return want
}

// A Step runs around the answering of every request outside the admin API (latency, faults):
// it calls next (before Around returns) to have the request answered, or answers it (or drops
// the connection) itself.
// Steps run in Config.Steps order, the first outermost. m is the request's route. A request
// whose connection a step hijacks is logged and counted with status 0. A Step that also has a
// Drain() method is told when the server starts shutting down (see Server.Drain), so that a
// request it holds lets go.
type Step interface {
	Around(w http.ResponseWriter, r *http.Request, m spec.Match, next func(http.ResponseWriter, *http.Request))
}

// AdminRoute is one more admin endpoint under /__mockloop/: Name is its first path segment
// ("overrides" serves /__mockloop/overrides and /__mockloop/overrides/getPet). Methods lists
// the allowed methods ("GET, PUT, DELETE"). A Public route answers any client without the
// admin token (health checks); the others follow the admin API's access rule.
type AdminRoute struct {
	Name    string
	Methods string
	Public  bool
	Handler http.Handler
	// Status, when set, is shown by GET /__mockloop/status under "features" and Name (counts,
	// what is configured). It must be safe for concurrent use and cheap.
	Status func() any
}

// HeaderSimulation lists on an answer what a simulation feature applied to it: a delay, a
// fault, a runtime override, a stateful resource ("delay=300ms", "fault=status 503",
// "override=getPet 1/2", "state=created /pets/3"), one item per value.
const HeaderSimulation = "X-Mockloop-Simulation"

// Drain tells the steps that hold requests (a simulated timeout) that the server is shutting
// down: they let them go at once rather than keep the shutdown waiting. Register it with
// http.Server.RegisterOnShutdown.
func (s *Server) Drain() {
	for _, st := range s.cfg.Steps {
		if d, ok := st.(interface{ Drain() }); ok {
			d.Drain()
		}
	}
}

// DefaultObserveBody bounds the bodies an Exchange carries when Config.ObserveBody is 0.
const DefaultObserveBody = 1 << 20

// capture keeps the first limit bytes written through it and counts the rest.
type capture struct {
	http.ResponseWriter
	status    int
	body      bytes.Buffer
	limit     int
	truncated bool
}

func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *capture) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	room := c.limit - c.body.Len()
	if len(p) > room {
		c.truncated = true
	}
	c.body.Write(p[:min(max(room, 0), len(p))])
	return c.ResponseWriter.Write(p)
}

func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *capture) Flush() { _ = http.NewResponseController(c.ResponseWriter).Flush() }

// teeBody keeps the first limit bytes read from a request body.
type teeBody struct {
	io.ReadCloser
	buf       bytes.Buffer
	limit     int
	truncated bool
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	room := t.limit - t.buf.Len()
	if n > room {
		t.truncated = true
	}
	t.buf.Write(p[:min(max(room, 0), n)])
	return n, err
}

// forwardObserved is the live answer with the exchange captured for the observers.
func (s *Server) forwardObserved(w http.ResponseWriter, rec *recorder, r *http.Request, m spec.Match, fb func(string), want uint64) error {
	limit := s.cfg.ObserveBody
	if limit <= 0 {
		limit = DefaultObserveBody
	}
	start := time.Now()
	var tee *teeBody
	if r.Body != nil && r.Body != http.NoBody {
		tee = &teeBody{ReadCloser: r.Body, limit: limit}
		r.Body = tee
	}
	c := &capture{ResponseWriter: w, limit: limit}
	err := s.cfg.Live.Forward(c, r, m, fb)
	if err != nil || rec.side != plugin.ModeProxy || c.status == 0 {
		return err // a broken answer, the mock answered (fallback), or nothing was sent
	}
	x := &Exchange{Operation: m.Operation, Request: r, Status: c.status, Header: w.Header().Clone(),
		Body: bytes.Clone(c.body.Bytes()), Truncated: c.truncated, Started: start, Latency: time.Since(start)}
	if tee != nil {
		x.RequestBody = bytes.Clone(tee.buf.Bytes())
		x.Truncated = x.Truncated || tee.truncated
	}
	for i, o := range s.cfg.LiveObservers {
		if want&(1<<min(i, 63)) != 0 {
			o.ObserveLive(x)
		}
	}
	return nil
}

// Counter is a count a part of the server keeps outside it (the live side's retries, token
// requests...), reported by GET /__mockloop/metrics under "live" and to Prometheus as
// mockloop_live_<Name>_total.
type Counter struct {
	Name  string // snake_case: retries, token_requests
	Help  string // one sentence, for Prometheus
	Value int64
}
