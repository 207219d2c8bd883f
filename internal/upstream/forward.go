// Package upstream is the live side of proxy and hybrid modes: it forwards a request to the
// configured target only (never an open proxy), with the plugin's credentials injected (api
// key, bearer, basic, OAuth2 with refresh through golang.org/x/oauth2, custom templates),
// endpoint overrides, bounded timeouts and retries with backoff, and answers every failure
// with a problem+json that names the upstream, or hands it to a fallback.
package upstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/route"
	"github.com/mockloop/mockloop/internal/spec"
)

// ForwardConfig configures the forwarder: where requests go, which credential they carry, and
// how long and how often to try.
type ForwardConfig struct {
	// Target is the base URL of the live API, e.g. https://api.example.com/v2. Request paths are
	// joined under its path: /pets goes to /v2/pets; a path that already starts with it, like
	// /v2/pets, is sent as is.
	Target string
	// Auth is the credential injected into every forwarded request; nil for none.
	Auth *plugin.Auth
	// Endpoints override the target, timeout and retries per path template and method: the
	// endpoint's path is the operation's template as written in the spec (/pets/{id}); it
	// also matches request paths, a `{name}` or `*` standing for one segment and `**` for any.
	// A non-zero timeout or retry count replaces the default; Retryable allows retries for a
	// non-idempotent method when its body can be replayed.
	Endpoints []plugin.Endpoint
	// Timeout bounds each attempt's wait for the answer's headers, and each wait for the next
	// piece of its body (DefaultTimeout when zero).
	Timeout time.Duration
	// RetryCount is the number of retries after a failed attempt (0: none).
	RetryCount int
	// RetryBackoff is the wait before the first retry, doubled for each next one up to RetryMax,
	// with jitter (DefaultRetryBackoff, DefaultRetryMax when zero).
	RetryBackoff time.Duration
	RetryMax     time.Duration
	// MaxReplayBody is the largest request body kept in memory so that it can be sent again on
	// a retry or an oauth2 refresh (DefaultMaxReplay when zero). Larger bodies are streamed
	// and their requests are not retried.
	MaxReplayBody int64
	// LookupEnv resolves ${ENV} references in credentials (os.LookupEnv when nil).
	LookupEnv func(string) (string, bool)
	// TLSClientConfig is used for upstream connections (system roots when nil).
	TLSClientConfig *tls.Config
	// ErrorLog receives the reverse proxy's own error lines, with secrets redacted (discarded
	// when nil).
	ErrorLog *log.Logger
	// ModifyResponse, when set, sees every live response that is passed to the client (after
	// retries), before its headers are written; op is nil for paths outside the spec. The body
	// may be wrapped but must stay a stream. An error turns the answer into a 502.
	ModifyResponse func(resp *http.Response, op *spec.Operation) error
}

// Forwarder sends requests to the live API. It implements Live and is safe for concurrent use.
type Forwarder struct {
	base        *endpoint
	byOperation map[string]*endpoint // "METHOD /template" and " /template" (any method)
	byGlob      []*endpoint          // for requests without an operation
	upstreams   []*upstream
	auth        *injector
	backoffBase time.Duration
	backoffMax  time.Duration
	maxReplay   int64
	modify      func(*http.Response, *spec.Operation) error
	errorLog    *log.Logger
}

// endpoint is the resolved forwarding config of one endpoint (or the default).
type endpoint struct {
	up        *upstream
	timeout   time.Duration
	retries   int
	retryable bool
	method    string
	pattern   route.Pattern
}

// upstream is one base URL with its own connection pool and reverse proxy.
type upstream struct {
	target    *url.URL
	basePath  string // the target's path without a trailing slash; "" for none
	origin    string // scheme://host, for messages
	transport *http.Transport
	rp        *httputil.ReverseProxy
}

// NewForwarder checks cfg and prepares everything once: target URLs, connection pools and
// resolved credentials. An unset ${VAR} in a credential is an error naming the variable.
func NewForwarder(cfg ForwardConfig) (*Forwarder, error) {
	f := &Forwarder{
		byOperation: map[string]*endpoint{},
		backoffBase: cfg.RetryBackoff,
		backoffMax:  cfg.RetryMax,
		maxReplay:   cfg.MaxReplayBody,
		modify:      cfg.ModifyResponse,
	}
	if f.backoffBase <= 0 {
		f.backoffBase = DefaultRetryBackoff
	}
	if f.backoffMax <= 0 {
		f.backoffMax = DefaultRetryMax
	}
	if f.backoffMax < f.backoffBase {
		f.backoffMax = f.backoffBase
	}
	if f.maxReplay <= 0 {
		f.maxReplay = DefaultMaxReplay
	}
	if cfg.Timeout < 0 || cfg.RetryCount < 0 {
		return nil, errors.New("forward: timeout and retry_count must not be negative")
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	// Token requests get their own client: they must not go through the upstream's pool limits,
	// and they follow the same TLS settings.
	tokenClient := &http.Client{Timeout: timeout, Transport: newTransport(cfg.TLSClientConfig, timeout)}
	auth, err := newInjector(cfg.Auth, cfg.LookupEnv, tokenClient)
	if err != nil {
		return nil, err
	}
	f.auth = auth
	f.errorLog = log.New(io.Discard, "", 0)
	if cfg.ErrorLog != nil {
		f.errorLog = log.New(redactWriter{w: cfg.ErrorLog.Writer(), in: auth}, cfg.ErrorLog.Prefix(), cfg.ErrorLog.Flags())
	}
	pools := map[string]*upstream{}
	getUpstream := func(raw, what string) (*upstream, error) {
		u, err := parseTarget(raw)
		if err != nil {
			return nil, fmt.Errorf("forward: %s: %w", what, err)
		}
		key := u.String()
		if up, ok := pools[key]; ok {
			return up, nil
		}
		up := f.newUpstream(u, cfg.TLSClientConfig, timeout)
		pools[key] = up
		f.upstreams = append(f.upstreams, up)
		return up, nil
	}
	if cfg.Target == "" {
		return nil, errors.New("forward: no target URL (set target_url, --target or API_BASE_URL)")
	}
	up, err := getUpstream(cfg.Target, "target")
	if err != nil {
		return nil, err
	}
	f.base = &endpoint{up: up, timeout: timeout, retries: cfg.RetryCount}
	for i, e := range cfg.Endpoints {
		where := fmt.Sprintf("endpoint %d (%s %s)", i+1, e.Method, e.Path)
		if e.Timeout.Duration < 0 || e.RetryCount < 0 {
			return nil, fmt.Errorf("forward: %s: timeout and retry_count must not be negative", where)
		}
		ep := &endpoint{up: f.base.up, timeout: f.base.timeout, retries: f.base.retries,
			retryable: e.Retryable, method: strings.ToUpper(strings.TrimSpace(e.Method))}
		if e.ProxyURL != "" {
			if ep.up, err = getUpstream(e.ProxyURL, where+": proxy_url"); err != nil {
				return nil, err
			}
		}
		if e.Timeout.Duration > 0 {
			ep.timeout = e.Timeout.Duration
		}
		if e.RetryCount > 0 {
			ep.retries = e.RetryCount
		}
		if ep.pattern, err = route.CompilePattern(e.Path); err != nil {
			return nil, fmt.Errorf("forward: %s: path: %w", where, err)
		}
		key := ep.method + " " + e.Path
		if _, dup := f.byOperation[key]; dup {
			return nil, fmt.Errorf("forward: %s: duplicate endpoint", where)
		}
		f.byOperation[key] = ep
		f.byGlob = append(f.byGlob, ep)
	}
	return f, nil
}

// parseTarget accepts an absolute http(s) URL without query or fragment.
func parseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid URL: %s", safeError(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("URL %q must be absolute http:// or https://", redact.Default.URLOf(u))
	}
	if u.User != nil {
		return nil, errors.New("URL must not contain user info: configure auth instead")
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

func newTransport(tlsConfig *tls.Config, timeout time.Duration) *http.Transport {
	dialTimeout := min(timeout, 10*time.Second)
	return &http.Transport{
		// Never an environment proxy: only the configured target is ever contacted.
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   dialTimeout,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       tlsConfig.Clone(),
	}
}

func (f *Forwarder) newUpstream(target *url.URL, tlsConfig *tls.Config, timeout time.Duration) *upstream {
	up := &upstream{
		target:    target,
		basePath:  strings.TrimRight(target.Path, "/"),
		origin:    target.Scheme + "://" + target.Host,
		transport: newTransport(tlsConfig, timeout),
	}
	up.rp = &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { f.rewrite(up, pr) },
		Transport:      up.transport,
		ModifyResponse: f.modifyResponse,
		ErrorHandler:   f.errorHandler,
		ErrorLog:       f.errorLog,
		BufferPool:     bufferPool{},
		// FlushInterval 0: ReverseProxy already flushes every write of a streamed answer
		// (text/event-stream, or no Content-Length); answers of known length are copied whole.
		FlushInterval: 0,
	}
	return up
}

// Close releases idle upstream connections.
func (f *Forwarder) Close() {
	for _, up := range f.upstreams {
		up.transport.CloseIdleConnections()
	}
	if f.auth != nil && f.auth.oauth != nil {
		if t, ok := f.auth.oauth.client.Transport.(*http.Transport); ok {
			t.CloseIdleConnections()
		}
	}
}

// attempt is the state of one try, carried to the proxy hooks in the request context.
type attempt struct {
	op           *spec.Operation
	token        string
	last         bool // no retry left: a 502/503/504 answer is passed through (or falls back)
	fallback     bool
	authRetry    bool // a 401 may trigger one oauth2 refresh
	timeout      time.Duration
	timer        *time.Timer
	timedOut     atomic.Bool
	err          error
	unauthorized bool
}

type attemptKey struct{}

func attemptOf(r *http.Request) *attempt {
	a, _ := r.Context().Value(attemptKey{}).(*attempt)
	return a
}

// Forward implements Live. Only the endpoint's upstream is contacted, whatever the request line
// or Host header say. Credentials are injected on the outgoing request; the client's own are
// removed. A failed attempt is retried as configured; a failure after that is a 502/504
// problem+json naming the upstream and the cause, or, with fallback non-nil, fallback(cause)
// with nothing written.
func (f *Forwarder) Forward(w http.ResponseWriter, r *http.Request, op *spec.Operation, fallback func(cause string)) {
	ep := f.endpointFor(r, op)
	ctx := r.Context()

	canRetry := ep.retries > 0 && (idempotent(r.Method) || ep.retryable)
	oauth := f.auth != nil && f.auth.oauth != nil
	var body []byte
	replayable := r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0
	if !replayable && (canRetry || oauth) {
		buf, rest, err := readUpTo(r.Body, f.maxReplay)
		if err != nil {
			var tooLarge *http.MaxBytesError
			switch {
			case ctx.Err() != nil:
			case errors.As(err, &tooLarge):
				problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge,
					Detail: fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit)})
			default:
				problem.Write(w, problem.Details{Status: http.StatusBadRequest,
					Detail: "reading the request body: " + safeError(err)})
			}
			return
		}
		if rest == nil {
			body, replayable = buf, true
		} else {
			r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), rest), r.Body}
		}
	}

	stale := ""
	refreshed := false
	for try := 0; ; {
		a := &attempt{
			op:        op,
			last:      !replayable || !canRetry || try >= ep.retries,
			fallback:  fallback != nil,
			authRetry: oauth && !refreshed && replayable && f.auth.oauth.canRefresh(),
			timeout:   ep.timeout,
		}
		if oauth {
			tok, err := f.auth.oauth.get(ctx, stale)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				f.fail(w, ep, fallback, failure{status: http.StatusBadGateway, cause: f.auth.redact(err.Error()), retryable: false})
				return
			}
			a.token = tok
		}
		f.serve(w, r, ep, a, body)
		if a.err == nil {
			return
		}
		if ctx.Err() != nil {
			return // the client went away: nobody to answer
		}
		if a.unauthorized {
			refreshed, stale = true, a.token
			continue
		}
		fl := classify(a.err, a.timedOut.Load(), ep.timeout)
		if fl.retryable && !a.last {
			if !sleep(ctx, backoff(try, f.backoffBase, f.backoffMax)) {
				return
			}
			try++
			continue
		}
		f.fail(w, ep, fallback, fl)
		return
	}
}

// serve runs one attempt through the upstream's reverse proxy. The attempt's timer cancels it
// when the answer's headers, or the next piece of its body, take longer than the timeout.
func (f *Forwarder) serve(w http.ResponseWriter, r *http.Request, ep *endpoint, a *attempt, body []byte) {
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), attemptKey{}, a))
	defer cancel()
	a.timer = time.AfterFunc(ep.timeout, func() { a.timedOut.Store(true); cancel() })
	defer a.timer.Stop()
	r2 := r.WithContext(ctx)
	if body != nil {
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
	}
	ep.up.rp.ServeHTTP(w, r2)
}

// fail answers a live failure: fallback, or a problem+json naming the upstream.
func (f *Forwarder) fail(w http.ResponseWriter, ep *endpoint, fallback func(string), fl failure) {
	cause := f.auth.redact(fl.cause)
	if fl.client {
		problem.Write(w, problem.Details{Status: fl.status, Detail: cause})
		return
	}
	if fallback != nil {
		fallback(cause)
		return
	}
	title := "Bad Gateway"
	if fl.status == http.StatusGatewayTimeout {
		title = "Gateway Timeout"
	}
	problem.Write(w, problem.Details{
		Title:  title,
		Status: fl.status,
		Detail: fmt.Sprintf("upstream %s: %s", ep.up.origin, cause),
	})
}

// endpointFor finds the endpoint config of the request: by operation when known, else by path.
func (f *Forwarder) endpointFor(r *http.Request, op *spec.Operation) *endpoint {
	if len(f.byGlob) == 0 {
		return f.base
	}
	if op != nil {
		if ep, ok := f.byOperation[op.Method+" "+op.Path]; ok {
			return ep
		}
		if ep, ok := f.byOperation[" "+op.Path]; ok {
			return ep
		}
	}
	for _, ep := range f.byGlob {
		if (ep.method == "" || ep.method == r.Method) && ep.pattern.Match(r.URL.Path) {
			return ep
		}
	}
	return f.base
}

// rewrite builds the outgoing request: the upstream's URL joined with the request path (an
// absolute-form request line or a foreign Host header cannot change the destination),
// X-Forwarded-*, no X-Mockloop-* control headers, and the configured credentials.
func (f *Forwarder) rewrite(up *upstream, pr *httputil.ProxyRequest) {
	pr.SetURL(up.target)
	if up.basePath != "" && hasSegmentPrefix(pr.In.URL.Path, up.basePath) {
		// The client already used the API's base path (/v2/pets against target .../v2): the
		// spec router accepts both forms, so the upstream gets /v2/pets, not /v2/v2/pets.
		pr.Out.URL.Path, pr.Out.URL.RawPath = pr.In.URL.Path, pr.In.URL.RawPath
	}
	pr.SetXForwarded()
	for k := range pr.Out.Header {
		if len(k) > 11 && strings.EqualFold(k[:11], "X-Mockloop-") {
			delete(pr.Out.Header, k)
		}
	}
	if f.auth != nil {
		token := ""
		if a := attemptOf(pr.In); a != nil {
			token = a.token
		}
		f.auth.apply(pr.Out, token)
	}
}

// hasSegmentPrefix reports whether p is base or lies under it: /v2 and /v2/pets, not /v2x.
func hasSegmentPrefix(p, base string) bool {
	return p == base || (strings.HasPrefix(p, base) && p[len(base)] == '/')
}

// modifyResponse decides, before anything is written to the client, whether the answer is
// passed through, retried, or replaced by the fallback.
func (f *Forwarder) modifyResponse(resp *http.Response) error {
	a := attemptOf(resp.Request)
	if a == nil {
		return nil
	}
	if !a.timer.Stop() {
		return errTimeout
	}
	if resp.StatusCode == http.StatusUnauthorized && a.authRetry {
		a.unauthorized = true
		return errUnauthorized
	}
	if retryStatus(resp.StatusCode) && (!a.last || a.fallback) {
		return errRetryStatus{resp.StatusCode}
	}
	// A 101 answer's body is the upgraded connection, which the proxy needs as it is; its
	// lifetime is the client's business, not the timeout's.
	if resp.Body != nil && resp.Body != http.NoBody && resp.StatusCode != http.StatusSwitchingProtocols {
		resp.Body = &idleBody{rc: resp.Body, timer: a.timer, timeout: a.timeout}
	}
	if f.modify != nil {
		return f.modify(resp, a.op)
	}
	return nil
}

// errorHandler records the failure of the attempt; Forward decides what to answer.
func (f *Forwarder) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	if a := attemptOf(r); a != nil {
		a.err = err
		return
	}
	problem.Write(w, problem.Details{Title: "Bad Gateway", Status: http.StatusBadGateway, Detail: f.auth.redact(safeError(err))})
}

// idleBody re-arms the attempt's timer around each read of the upstream body, so a body that
// stops arriving for longer than the timeout cancels the attempt instead of hanging. Time spent
// waiting for the client to take the data does not count.
type idleBody struct {
	rc      io.ReadCloser
	timer   *time.Timer
	timeout time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.timeout)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	return n, err
}

func (b *idleBody) Close() error { return b.rc.Close() }

// readUpTo reads at most limit bytes. When the body is longer it returns what it read and the
// remaining reader (non-nil); when it fits it closes nothing and returns rest == nil.
func readUpTo(r io.Reader, limit int64) ([]byte, io.Reader, error) {
	buf, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(buf)) <= limit {
		return buf, nil, nil
	}
	return buf, r, nil
}

// readCloser reads from one reader and closes another (the original body).
type readCloser struct {
	io.Reader
	c io.Closer
}

func (rc readCloser) Close() error { return rc.c.Close() }

// bufferPool recycles the 32 KiB copy buffers of the reverse proxy.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { copyBuffers.Put(&b) }

// redactWriter removes secrets from log lines before they reach w.
type redactWriter struct {
	w  io.Writer
	in *injector
}

func (rw redactWriter) Write(p []byte) (int, error) {
	if _, err := rw.w.Write([]byte(rw.in.redact(string(p)))); err != nil {
		return 0, err
	}
	return len(p), nil
}
