package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/spec"
)

// Headers the server reads and writes.
const (
	// HeaderMode on a request forces the side for that request (mock or proxy); on every
	// response it says which side answered.
	HeaderMode = "X-Mockloop-Mode"
	// HeaderRule names the route rule that decided, in hybrid mode, when one matched.
	HeaderRule = "X-Mockloop-Rule"
	// HeaderFallback is set when the live call failed and the mock answered instead; its value
	// is the cause.
	HeaderFallback = "X-Mockloop-Fallback"
)

// DefaultMaxBodyBytes bounds request bodies when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 10 << 20

// DefaultRequestBuffer is how many recent requests GET /__mockloop/requests can show.
const DefaultRequestBuffer = 1000

// Config is what NewServer needs. Doc and Mock are required; Live is required for the proxy and
// hybrid modes, Decider for hybrid.
type Config struct {
	Doc     *spec.Document
	Mock    Mocker
	Live    Live        // nil: no live side; proxy and hybrid are refused
	Decider Decider     // hybrid mode's route rules
	Mode    plugin.Mode // the starting mode; "" is mock
	// Fallback answers from the mock when a live call fails in proxy mode (hybrid takes it from
	// the route.Decision).
	Fallback bool
	// NoModeOverride ignores the X-Mockloop-Mode request header (it is still stripped).
	NoModeOverride bool

	PluginName string // shown by GET /__mockloop/status
	Target     string // the live base URL, shown by status without userinfo or secrets

	// AdminToken, when set, is required as "Authorization: Bearer <token>" by the admin API,
	// which then answers any client; when empty the admin API answers loopback clients only.
	AdminToken string
	// CORS answers preflight requests and adds permissive CORS headers to every response.
	CORS bool

	Log       io.Writer // request log, one line per request; nil: none
	LogFormat LogFormat // "" is text
	// RedactHeaders and RedactQuery name extra headers and query parameters whose values never
	// appear in the request log or admin output (e.g. the configured api_key name).
	RedactHeaders []string
	RedactQuery   []string

	MaxBodyBytes int64 // request body limit; 0 is DefaultMaxBodyBytes, < 0 unlimited
	// BodyBudget bounds the request body bytes the mock validates at once (bodygate.go); 0 is
	// the body limit, at least 1 MiB. BodyWait is how long a request waits for room (0 is
	// DefaultBodyWait) before it is answered 503.
	BodyBudget    int64
	BodyWait      time.Duration
	RequestBuffer int // ring buffer size; 0 is DefaultRequestBuffer
	// Metrics receives per-operation counts; nil creates one (see Server.Metrics). Pass the same
	// value to the forwarder so it can count response-validation violations.
	Metrics *Metrics
	// InsecureTLS lists the live origins whose certificates are not verified, for the status.
	InsecureTLS []string

	// The extension points (extend.go): answerers before the mock engine, observers of live
	// answers (with bodies bounded by ObserveBody, 0 is DefaultObserveBody), steps around
	// every answer, and more admin endpoints.
	Answerers     []Answerer
	LiveObservers []LiveObserver
	ObserveBody   int
	Steps         []Step
	Admin         []AdminRoute
	// LiveCounters, when set, reports the live side's own counts (Counter), read at each
	// metrics request.
	LiveCounters func() []Counter
}

// Server is the http.Handler of `mockloop serve`. It is safe for concurrent use; its mode can be
// switched at runtime (SetMode or PUT /__mockloop/mode). Call Close after the HTTP server has
// shut down to flush the request log.
type Server struct {
	cfg      Config
	mode     atomic.Value // plugin.Mode
	started  time.Time
	maxBody  int64
	bodies   *bodyGate
	metrics  *Metrics
	recent   *ring
	redact   *redact.Policy
	log      *logger
	opCount  int
	recorder sync.Pool
	promOnce sync.Once
	prom     http.Handler
}

// NewServer checks cfg and builds the handler.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Doc == nil {
		return nil, errors.New("new server: no spec document")
	}
	if cfg.Mock == nil {
		return nil, errors.New("new server: no mock engine")
	}
	if cfg.Mode == "" {
		cfg.Mode = plugin.ModeMock
	}
	if _, err := plugin.ParseMode(string(cfg.Mode)); err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	s := &Server{cfg: cfg, started: time.Now(), metrics: cfg.Metrics, opCount: len(cfg.Doc.Operations)}
	if err := s.SetMode(cfg.Mode); err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(cfg.Doc.Operations)
	}
	s.maxBody = cfg.MaxBodyBytes
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	s.bodies = newBodyGate(cfg.BodyBudget, s.maxBody, cfg.BodyWait)
	size := cfg.RequestBuffer
	if size <= 0 {
		size = DefaultRequestBuffer
	}
	s.recent = newRing(size)
	s.redact = redact.NewPolicy(cfg.RedactHeaders, cfg.RedactQuery)
	if cfg.Log != nil {
		format := cfg.LogFormat
		if format == "" {
			format = LogText
		}
		if format != LogText && format != LogJSON {
			return nil, fmt.Errorf("new server: invalid log format %q (want text or json)", format)
		}
		s.log = newLogger(cfg.Log, format, s.redact, s.recent)
	}
	s.recorder.New = func() any { return new(recorder) }
	return s, nil
}

// ErrNoLive is returned by SetMode when proxy or hybrid is asked of a server without a live side.
var ErrNoLive = errors.New("no live side configured (give a target URL)")

// ErrNoRules is returned by SetMode when hybrid is asked of a server without route rules.
var ErrNoRules = errors.New("no route rules configured for hybrid mode")

// SetMode switches the mode for the requests that start after it returns.
func (s *Server) SetMode(m plugin.Mode) error {
	if _, err := plugin.ParseMode(string(m)); err != nil {
		return err
	}
	if m != plugin.ModeMock && s.cfg.Live == nil {
		return fmt.Errorf("mode %s: %w", m, ErrNoLive)
	}
	if m == plugin.ModeHybrid && s.cfg.Decider == nil {
		return fmt.Errorf("mode %s: %w", m, ErrNoRules)
	}
	s.mode.Store(m)
	return nil
}

// plugin.Mode is the current mode.
func (s *Server) Mode() plugin.Mode { return s.mode.Load().(plugin.Mode) }

// Metrics is the server's per-operation metrics (the one given in Config, or its own).
func (s *Server) Metrics() *Metrics { return s.metrics }

// Operations is the number of operations the server routes.
func (s *Server) Operations() int { return s.opCount }

// Close flushes the request log and stops its writer. Requests served after Close are not
// logged.
func (s *Server) Close() {
	if s.log != nil {
		s.log.close()
	}
}

// AdminPrefix is the path prefix of the admin API.
const AdminPrefix = "/__mockloop/"

// Shared header values: never modified, and appending to them copies (len == cap).
var (
	valueMock  = []string{string(plugin.ModeMock)}
	valueProxy = []string{string(plugin.ModeProxy)}
)

// ServeHTTP routes r to the admin API, a CORS preflight answer, the mock or the live side.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if strings.HasPrefix(r.URL.Path, AdminPrefix) {
		if s.cfg.CORS {
			if isPreflight(r) {
				writeAdminPreflight(w, r, s.cfg.AdminToken != "")
				return
			}
			setAdminCORS(w.Header(), r)
		}
		s.admin(w, r)
		return
	}
	if s.cfg.CORS && isPreflight(r) {
		writePreflight(w, r)
		return
	}
	rec := s.recorder.Get().(*recorder)
	rec.ResponseWriter, rec.status, rec.side, rec.rule, rec.fallback, rec.broken = w, 0, plugin.ModeMock, "", "", ""
	rec.hijacked = false
	rec.cors = nil
	if s.cfg.CORS {
		rec.cors = r
	}

	match := s.cfg.Doc.Find(r.Method, r.URL.EscapedPath())
	if len(s.cfg.Steps) == 0 {
		s.answer(rec, rec, r, match)
	} else {
		s.around(0, rec, rec, r, match)
	}

	status := rec.status
	if status == 0 && !rec.hijacked && r.Context().Err() == nil {
		status = http.StatusOK // the handler wrote nothing: net/http answers 200
	}
	path, rawQuery := boundURL(r.URL.Path, r.URL.RawQuery)
	e := entry{
		time:      start,
		method:    r.Method,
		path:      path,
		rawQuery:  rawQuery,
		status:    status,
		latency:   time.Since(start),
		side:      rec.side,
		rule:      rec.rule,
		fallback:  rec.fallback,
		reqHeader: boundHeader(r.Header),
		resHeader: boundHeader(w.Header()),
		err:       rec.broken,
	}
	e.operation = s.metrics.observe(match.Operation, e.side, status, e.latency, e.fallback != "")
	broken := rec.broken != ""
	if broken {
		s.metrics.aborted(match.Operation)
	}
	s.recent.add(&e) // also queues the request log's line
	rec.ResponseWriter, rec.cors, rec.match = nil, nil, spec.Match{}
	s.recorder.Put(rec)
	if broken {
		// The answer's status is out and its body is cut: abort the response, so that the
		// client sees an incomplete answer rather than a complete short one.
		panic(http.ErrAbortHandler)
	}
}

// around runs step i of the steps around the answer, the answer itself after the last. w is
// rec, or a step's wrapper of it. The next functions are made once per pooled recorder (they
// read the route from it), so a request through the steps allocates nothing for them.
func (s *Server) around(i int, w http.ResponseWriter, rec *recorder, r *http.Request, m spec.Match) {
	if i == len(s.cfg.Steps) {
		s.answer(w, rec, r, m)
		return
	}
	if rec.next == nil {
		rec.next = make([]func(http.ResponseWriter, *http.Request), len(s.cfg.Steps))
		for j := range rec.next {
			rec.next[j] = func(w http.ResponseWriter, r *http.Request) { s.around(j+1, w, rec, r, rec.match) }
		}
	}
	rec.match = m
	s.cfg.Steps[i].Around(w, r, m, rec.next[i])
}

// answer decides the side for r and has it answered into w (rec, or a step's wrapper of it);
// rec keeps what the log and the metrics need.
func (s *Server) answer(w http.ResponseWriter, rec *recorder, r *http.Request, match spec.Match) {
	side, fallback := s.decide(w, rec, r, match.Operation)
	if r.Body != nil && r.Body != http.NoBody && s.maxBody > 0 && rec.status == 0 {
		if r.ContentLength > s.maxBody {
			problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge,
				Detail: fmt.Sprintf("the request body has %d bytes; this server accepts at most %d", r.ContentLength, s.maxBody)})
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &closeOnFailure{ReadCloser: r.Body, w: w}
	}
	switch {
	case rec.status != 0:
		// Already answered: a bad override header, or a body over the limit.
	case side == plugin.ModeProxy:
		rec.side = plugin.ModeProxy
		var fb func(string)
		if fallback {
			fb = func(cause string) {
				rec.side, rec.fallback = plugin.ModeMock, cause
				s.respondMock(w, r, match)
			}
		}
		var err error
		if want := s.liveWanted(r, match); want != 0 {
			err = s.forwardObserved(w, rec, r, match, fb, want)
		} else {
			err = s.cfg.Live.Forward(w, r, match, fb)
		}
		if err != nil {
			rec.broken = err.Error()
			if rec.broken == "" {
				rec.broken = "the answer broke off"
			}
		}
	default:
		release, ok := s.bodies.enter(w, r)
		if !ok {
			return
		}
		defer release()
		s.respondMock(w, r, match)
	}
}

// decide picks the side for r: the override header, else the mode (and in hybrid the rules).
// It returns whether a failed live call falls back to the mock. A bad override header is
// answered here (rec.status is then set).
func (s *Server) decide(w http.ResponseWriter, rec *recorder, r *http.Request, op *spec.Operation) (plugin.Mode, bool) {
	if vs, ok := r.Header[HeaderMode]; ok {
		// The header is an instruction to mockloop: it never goes upstream.
		delete(r.Header, HeaderMode)
		if !s.cfg.NoModeOverride && len(vs) > 0 {
			switch plugin.Mode(strings.ToLower(strings.TrimSpace(vs[0]))) {
			case plugin.ModeMock:
				return plugin.ModeMock, false
			case plugin.ModeProxy:
				if s.cfg.Live == nil {
					problem.Write(w, problem.Details{
						Status: http.StatusConflict, Title: "No live side",
						Detail: HeaderMode + ": proxy asks for the live API, but this server has no target configured",
					})
					return plugin.ModeMock, false
				}
				return plugin.ModeProxy, s.cfg.Fallback
			default:
				problem.Write(w, problem.Details{
					Status: http.StatusBadRequest, Title: "Invalid " + HeaderMode + " header",
					Detail: fmt.Sprintf("%s must be mock or proxy, got %q", HeaderMode, vs[0]),
				})
				return plugin.ModeMock, false
			}
		}
	}
	switch s.Mode() {
	case plugin.ModeProxy:
		return plugin.ModeProxy, s.cfg.Fallback
	case plugin.ModeHybrid:
		d := s.cfg.Decider.Decide(r, op)
		rec.rule = d.Rule
		if d.Mode == plugin.ModeProxy {
			return plugin.ModeProxy, d.Fallback
		}
	}
	return plugin.ModeMock, false
}

// respondMock answers from the spec: 404 for a path in no operation, 405 for a method the path
// does not declare.
func (s *Server) respondMock(w http.ResponseWriter, r *http.Request, m spec.Match) {
	if m.Operation != nil {
		for _, a := range s.cfg.Answerers {
			if a.Answer(w, r, m) {
				return
			}
		}
		s.cfg.Mock.Respond(w, r, m)
		return
	}
	if len(m.Allowed) > 0 {
		w.Header().Set("Allow", strings.Join(m.Allowed, ", "))
		problem.Write(w, problem.Details{
			Status: http.StatusMethodNotAllowed,
			Detail: fmt.Sprintf("%s is not declared for %s; allowed: %s", r.Method, r.URL.Path, strings.Join(m.Allowed, ", ")),
		})
		return
	}
	problem.Write(w, problem.Details{
		Status: http.StatusNotFound,
		Detail: fmt.Sprintf("no operation in the spec matches %s %s", r.Method, r.URL.Path),
	})
}

// recorder remembers the status and stamps the mockloop headers (and the CORS headers) on the
// response just before the status line goes out, so they are right whoever answers (mock,
// live, or a fallback) and override anything the upstream sent under the same names.
type recorder struct {
	http.ResponseWriter
	status   int
	hijacked bool // a step took the connection over: no status was sent
	match    spec.Match
	next     []func(http.ResponseWriter, *http.Request) // the steps' next, by step
	side     plugin.Mode
	rule     string
	fallback string
	broken   string        // the live answer broke after it started: why
	cors     *http.Request // with --cors: the request whose origin the answer allows
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
		h := w.ResponseWriter.Header()
		if w.side == plugin.ModeProxy {
			h[HeaderMode] = valueProxy
		} else {
			h[HeaderMode] = valueMock
		}
		if w.side == plugin.ModeProxy {
			// Whatever the upstream said under these names is not true of this answer.
			delete(h, HeaderRule)
			delete(h, HeaderFallback)
		}
		if w.rule != "" {
			h.Set(HeaderRule, w.rule)
		}
		if w.fallback != "" {
			h.Set(HeaderFallback, w.fallback)
		}
		if w.cors != nil {
			setCORS(h, w.cors)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushing streamed bodies).
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection over (a simulated fault drops it) and remembers that no status
// was sent.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, rw, err
}

// Flush supports streaming through code that type-asserts http.Flusher.
func (w *recorder) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}
