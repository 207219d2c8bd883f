// Package upstream is the live side of proxy and hybrid modes: it forwards a request to the
// configured target only (never an open proxy), with the plugin's credentials injected (api
// key, bearer, basic, OAuth2 with refresh through golang.org/x/oauth2, custom templates),
// endpoint overrides, bounded timeouts and retries with backoff, and answers every failure
// with a problem+json that names the upstream, or hands it to a fallback.
package upstream

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
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
	// OAuth2Flows are the spec's OAuth2 flows: where an oauth2 auth without a token_url gets its
	// token endpoint (a relative one is relative to Target).
	OAuth2Flows []spec.OAuth2Flow
	// Endpoints override the target, timeout and retries per path template and method: the
	// endpoint's path is the operation's template as written in the spec (/pets/{id}); it
	// also matches request paths, a `{name}` or `*` standing for one segment and `**` for any.
	// A proxy_url is a base URL (the request path is joined under it, as for Target) or, when
	// it has `{name}` placeholders, the whole URL of the request, filled with the operation's
	// path parameters (escaped); the request's query is added to it. A non-zero timeout or
	// retry count replaces the default; Retryable allows retries for a non-idempotent method
	// when its body can be replayed; a tls block replaces TLS.
	Endpoints []plugin.Endpoint
	// Timeout bounds each attempt's wait for the answer's headers (time spent waiting for the
	// client's upload does not count), and each wait for the next piece of its body
	// (DefaultTimeout when zero).
	Timeout time.Duration
	// RetryCount is the number of retries after a failed attempt (0: none): at most
	// RetryCount+1 attempts reach the upstream, the transport's own retry of a request on a
	// reused connection included.
	RetryCount int
	// RetryBackoff is the wait before the first retry, doubled for each next one up to RetryMax,
	// with jitter (DefaultRetryBackoff, DefaultRetryMax when zero).
	RetryBackoff time.Duration
	RetryMax     time.Duration
	// MaxReplayBody is the largest request body kept in memory so that it can be sent again on
	// a retry or an oauth2 refresh (DefaultMaxReplay when zero). Larger bodies are streamed
	// and their requests are not retried.
	MaxReplayBody int64
	// LookupEnv resolves ${ENV} references in credentials, TLS files and the proxy URL
	// (os.LookupEnv when nil).
	LookupEnv func(string) (string, bool)
	// TLS is the plugin's tls block: a private CA, a client certificate, the server name, or no
	// verification at all. Endpoints may replace it.
	TLS *plugin.TLS
	// TLSClientConfig is the base of every upstream TLS configuration (system roots when nil).
	TLSClientConfig *tls.Config
	// Proxy is the egress proxy: "" follows HTTPS_PROXY, HTTP_PROXY and NO_PROXY (Go's
	// http.ProxyFromEnvironment), "none" connects directly, anything else is the proxy's URL
	// (${ENV} references resolved). It carries requests to the target; it never changes which
	// target they go to.
	Proxy string
	// Logger receives the forwarder's lines (nil: none), with every secret it knows removed:
	// at debug each upstream attempt; at info each retry, token request and fallback; at warn
	// failures after an answer started, a 401 that cannot be refreshed, and TLS verification
	// turned off (once, at start).
	Logger *slog.Logger
	// ErrorLog receives the reverse proxy's own error lines, with secrets redacted (discarded
	// when nil; Logger at debug when that is set).
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
	log         *slog.Logger // secrets removed; nil: no lines
	proxySecret redact.Secrets
	insecure    []string // origins whose certificates are not verified
	warned401   atomic.Bool
	stats       stats
}

// endpoint is the resolved forwarding config of one endpoint (or the default).
type endpoint struct {
	up        *upstream
	tmpl      *urlTemplate // proxy_url with {name} placeholders; nil for a base URL
	timeout   time.Duration
	retries   int
	retryable bool
	method    string
	path      string // the endpoint's path template
	pattern   route.Pattern
}

// upstream is one base URL (with one TLS configuration) with its own connection pool and
// reverse proxy.
type upstream struct {
	target    *url.URL
	basePath  string // the target's path without a trailing slash; "" for none
	origin    string // scheme://host, for messages
	transport *http.Transport
	rp        *httputil.ReverseProxy
}

// NewForwarder checks cfg and prepares everything once: target URLs, connection pools, TLS
// configurations, the egress proxy and resolved credentials. An unset ${VAR} is an error
// naming the variable; a TLS file that cannot be used is an error naming the file.
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
	if cfg.Target == "" {
		return nil, errors.New("forward: no target URL (set target_url, --target or API_BASE_URL)")
	}
	target, err := parseTarget(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("forward: target: %w", err)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	lookup := lookupOrEnv(cfg.LookupEnv)
	proxy, err := f.egress(cfg.Proxy, lookup)
	if err != nil {
		return nil, err
	}
	tlsConfigs := map[*plugin.TLS]*tls.Config{}
	tlsFor := func(t *plugin.TLS, where string) (*tls.Config, error) {
		if c, ok := tlsConfigs[t]; ok {
			return c, nil
		}
		c, err := buildTLS(cfg.TLSClientConfig, t, lookup)
		if err != nil {
			return nil, fmt.Errorf("forward: %s: %w", where, err)
		}
		tlsConfigs[t] = c
		return c, nil
	}
	baseTLS, err := tlsFor(cfg.TLS, "tls")
	if err != nil {
		return nil, err
	}
	// Token requests get their own client: they must not go through the upstream's pool limits,
	// and they follow the same TLS settings and egress proxy.
	tokenClient := &http.Client{Timeout: timeout, Transport: newTransport(baseTLS, proxy, timeout)}
	tokenURL, tokenFrom := specTokenURL(cfg.Auth, cfg.OAuth2Flows, target)
	auth, err := newInjector(cfg.Auth, cfg.LookupEnv, tokenClient, tokenURL, tokenFrom)
	if err != nil {
		return nil, err
	}
	f.auth = auth
	f.errorLog = log.New(io.Discard, "", 0)
	if cfg.Logger != nil {
		f.log = slog.New(&redactHandler{h: cfg.Logger.Handler(), redact: f.Redact})
		f.errorLog = slog.NewLogLogger(f.log.Handler(), slog.LevelDebug)
		if f.auth != nil && f.auth.oauth != nil {
			f.auth.oauth.log = f.log
		}
	} else if cfg.ErrorLog != nil {
		f.errorLog = log.New(redactWriter{w: cfg.ErrorLog.Writer(), redact: f.Redact}, cfg.ErrorLog.Prefix(), cfg.ErrorLog.Flags())
	}
	f.watchCredentials() // credential files that change are read again (rotate.go)
	type poolKey struct {
		url string
		tls *plugin.TLS
	}
	pools := map[poolKey]*upstream{}
	getUpstream := func(u *url.URL, t *plugin.TLS, where string) (*upstream, error) {
		key := poolKey{u.String(), t}
		if up, ok := pools[key]; ok {
			return up, nil
		}
		tc, err := tlsFor(t, where)
		if err != nil {
			return nil, err
		}
		up := f.newUpstream(u, tc, proxy, timeout)
		pools[key] = up
		f.upstreams = append(f.upstreams, up)
		if tc != nil && tc.InsecureSkipVerify && u.Scheme == "https" && !slices.Contains(f.insecure, up.origin) {
			f.insecure = append(f.insecure, up.origin)
		}
		return up, nil
	}
	up, err := getUpstream(target, cfg.TLS, "tls")
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
			retryable: e.Retryable, method: strings.ToUpper(strings.TrimSpace(e.Method)), path: e.Path}
		t := cfg.TLS
		if e.TLS != nil {
			t = e.TLS
		}
		switch {
		case e.ProxyURL != "":
			u := target
			if ep.tmpl, u, err = parseProxyURL(e.ProxyURL, e.Path); err != nil {
				return nil, fmt.Errorf("forward: %s: proxy_url: %w", where, err)
			}
			if ep.up, err = getUpstream(u, t, where+": tls"); err != nil {
				return nil, err
			}
		case e.TLS != nil:
			if ep.up, err = getUpstream(target, t, where+": tls"); err != nil {
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
	for _, origin := range f.insecure {
		f.logWarn("upstream TLS certificates are not verified (insecure_skip_verify): anyone on the path can read and change this traffic", "upstream", origin)
	}
	return f, nil
}

// InsecureTLS lists the upstream origins whose certificates are not verified
// (insecure_skip_verify), for the admin status.
func (f *Forwarder) InsecureTLS() []string { return slices.Clone(f.insecure) }

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

func newTransport(tlsConfig *tls.Config, proxy func(*http.Request) (*url.URL, error), timeout time.Duration) *http.Transport {
	dialTimeout := min(timeout, 10*time.Second)
	return &http.Transport{
		// The egress proxy (if any) only carries the request: the URL is always the target's.
		Proxy:                 proxy,
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

func (f *Forwarder) newUpstream(target *url.URL, tlsConfig *tls.Config, proxy func(*http.Request) (*url.URL, error), timeout time.Duration) *upstream {
	up := &upstream{
		target:    target,
		basePath:  strings.TrimRight(target.Path, "/"),
		origin:    target.Scheme + "://" + target.Host,
		transport: newTransport(tlsConfig, proxy, timeout),
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

// Forward implements Live. Only the endpoint's upstream is contacted, whatever the request line
// or Host header say; CONNECT and paths with dot segments (/../, %2e%2e) are refused, so no
// request leaves the target's base path. Credentials are injected on the outgoing request; the
// client's own are removed. A failed attempt is retried as configured; a failure after that is
// a 502/504 problem+json naming the upstream, the attempts and the last error, or, with
// fallback non-nil, fallback(cause) with nothing written. An answer is held back until it is
// sure to start (holdLimit bytes, a flush of a streamed answer, or its end), so that an
// upstream that fails right after its headers still gets a 502/504 (or the fallback) instead
// of a cut answer. The error is an answer that failed after it began reaching the client (a
// reset or stall mid-body, bad chunking): the client's answer is incomplete and the caller
// must abort it (panic(http.ErrAbortHandler) after logging).
func (f *Forwarder) Forward(w http.ResponseWriter, r *http.Request, m spec.Match, fallback func(cause string)) error {
	if r.Method == http.MethodConnect {
		w.Header().Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE")
		problem.Write(w, problem.Details{Status: http.StatusMethodNotAllowed,
			Detail: "CONNECT is not forwarded: mockloop sends requests to its target only, it is not an open proxy"})
		return nil
	}
	if seg, ok := dotSegment(r.URL.Path); ok {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("the path has a %q segment: refused, so that no request leaves the API's base path", seg)})
		return nil
	}
	ep := f.endpointFor(r, m.Operation)
	c := &call{f: f, ep: ep, r: r, op: m.Operation, fallback: fallback, start: time.Now()}
	if ep.tmpl != nil {
		u, err := ep.tmpl.fill(ep.up.target, m.PathParams, ep.path, r.URL.Path)
		if err != nil {
			detail := fmt.Sprintf("upstream %s: endpoint %s: %v", ep.up.origin, ep.path, err)
			markFailure(w, detail)
			problem.Write(w, problem.Details{Status: http.StatusBadGateway, Title: "Bad Gateway", Detail: detail})
			return nil
		}
		c.url = u
	}
	if !isUpgrade(r) {
		c.hold = newHoldWriter(w)
		defer c.hold.release()
		w = c.hold
	}
	return c.run(w)
}

// isUpgrade reports whether r asks to switch protocols (a WebSocket): its answer is the
// connection itself, never held back.
func isUpgrade(r *http.Request) bool {
	return r.Header.Get("Upgrade") != "" && httpHasToken(r.Header.Values("Connection"), "upgrade")
}

func httpHasToken(values []string, tok string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), tok) {
				return true
			}
		}
	}
	return false
}

// call is one forwarded request: its attempts, and what they did.
type call struct {
	f        *Forwarder
	ep       *endpoint
	r        *http.Request
	op       *spec.Operation
	url      *url.URL // the filled proxy_url template; nil for a base URL
	fallback func(string)
	hold     *holdWriter // with a fallback: the answer until it is sure to start
	start    time.Time
	tries    []try  // every try that reached (or was meant to reach) the upstream
	triesBuf [2]try // tries' first backing array: most calls make one try
}

// try is one attempt as the problem+json and the log report it.
type try struct {
	took    time.Duration
	outcome string // what happened; "" for an answer (status), formatted only when reported
	status  int
}

// String is the try's outcome as reported: "answered 200", or what went wrong.
func (t try) String() string {
	if t.outcome == "" {
		return "answered " + strconv.Itoa(t.status)
	}
	return t.outcome
}

// run makes the attempts: retries within the budget, one oauth2 refresh on a 401.
func (c *call) run(w http.ResponseWriter) error {
	f, ep, r := c.f, c.ep, c.r
	ctx := r.Context()
	if f.auth != nil {
		f.auth.refresh() // a rotated credential file (rotate.go)
	}
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
			c.commit()
			return nil
		}
		if rest == nil {
			body, replayable = buf, true
		} else {
			r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), rest), r.Body}
		}
	}
	budget := 1 // attempts allowed, the transport's own retries included
	if canRetry && replayable {
		budget += ep.retries
	}

	stale := ""
	refreshed := false
	used := 0 // attempts made within the budget
	defer func() {
		// Every try beyond the first is a retry, the transport's own included (a refresh's
		// try is outside the budget and counted as a refresh).
		if used > 1 {
			f.stats.retries.Add(int64(used - 1))
		}
	}()
	for retry := 0; ; {
		a := &attempt{
			op:        c.op,
			url:       c.url,
			last:      used+1 >= budget,
			fallback:  c.fallback != nil,
			authRetry: oauth && !refreshed && replayable && f.auth.oauth.canRefresh(),
			timeout:   ep.timeout,
			maxTries:  budget - used,
			streamed:  !replayable,
		}
		if oauth {
			tok, err := f.auth.oauth.get(ctx, stale)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				c.fail(w, failure{status: http.StatusBadGateway, cause: f.auth.redact(err.Error())})
				return nil
			}
			a.token = tok
		}
		a.begin()
		f.serve(w, r, ep, a, body)
		used += a.triesMade()
		f.stats.attempts.Add(int64(a.triesMade()))
		c.record(a)
		if a.err == nil {
			if a.bodyErr != nil || a.aborted {
				return c.brokeMidAnswer(w, a)
			}
			c.commit()
			return nil
		}
		if ctx.Err() != nil {
			return nil // the client went away: nobody to answer
		}
		if a.unauthorized {
			// The refresh's retry is the credential's, not a failure's: it is outside the budget.
			used -= a.triesMade()
			refreshed, stale = true, a.token
			f.stats.refreshes.Add(1)
			f.logInfo("upstream answered 401: obtaining a new oauth2 token and trying again", "upstream", ep.up.origin)
			continue
		}
		fl := a.failure()
		if fl.retryable && used < budget {
			wait := backoff(retry, f.backoffBase, f.backoffMax)
			f.logInfo("upstream retry", "upstream", ep.up.origin, "next_attempt", used+1, "max_attempts", budget, "reason", fl.cause, "backoff", wait.Round(time.Millisecond).String())
			if !sleep(ctx, wait) {
				return nil
			}
			retry++
			continue
		}
		c.fail(w, fl)
		return nil
	}
}

// record adds the attempt's tries to the call and logs each at debug. The line's values are
// only built when debug lines are written: serve runs at info, where this is on every request.
func (c *call) record(a *attempt) {
	if c.tries == nil {
		c.tries = c.triesBuf[:0]
	}
	debug := c.f.log != nil && c.f.log.Enabled(c.r.Context(), slog.LevelDebug)
	for i, t := range a.tries {
		c.tries = append(c.tries, t)
		if debug {
			c.f.log.Debug("upstream attempt", "method", c.r.Method, "url", c.f.redactURL(a.outURL), "attempt", len(c.tries)-len(a.tries)+i+1,
				"outcome", t.String(), "took", t.took.Round(time.Microsecond).String())
		}
	}
}

// commit sends what the hold writer kept back; a no-op without one.
func (c *call) commit() {
	if c.hold != nil {
		c.hold.commit()
	}
}

// brokeMidAnswer handles an answer that failed after its headers arrived: a fallback when
// nothing reached the client yet, else the error that makes the caller abort the answer.
func (c *call) brokeMidAnswer(w http.ResponseWriter, a *attempt) error {
	c.f.stats.broken.Add(1)
	cause := a.bodyFailure()
	if c.hold != nil && !c.hold.committed && a.bodyErr != nil {
		// Nothing reached the client: answer as for any failure (fallback, or 502; 504 for a
		// body that stalled past the timeout).
		c.hold.discard()
		status := http.StatusBadGateway
		if a.timedOut.Load() {
			status = http.StatusGatewayTimeout
		}
		c.fail(w, failure{status: status, cause: fmt.Sprintf("answered %d, then %s", a.status, cause)})
		return nil
	}
	c.commit()
	if a.bodyErr == nil {
		// A write to the client failed (it went away): not the upstream's doing.
		return &MidAnswerError{Status: a.status, Cause: "the client went away before the answer was complete"}
	}
	c.f.logWarn("upstream answer failed after it started: the client's answer is cut", "upstream", c.ep.up.origin,
		"method", c.r.Method, "path", c.r.URL.Path, "status", a.status, "error", cause)
	return &MidAnswerError{Status: a.status, Cause: cause}
}

// MidAnswerError is an upstream answer that failed after it began reaching the client: its
// status was sent, its body was cut.
type MidAnswerError struct {
	Status int    // the status sent to the client
	Cause  string // what went wrong, secret-free
}

func (e *MidAnswerError) Error() string { return e.Cause }

// fail answers a live failure: fallback, or a problem+json naming the upstream, the attempts
// and how long each took, and the last error.
func (c *call) fail(w http.ResponseWriter, fl failure) {
	f, ep := c.f, c.ep
	cause := f.auth.redact(fl.cause)
	if fl.client {
		problem.Write(w, problem.Details{Status: fl.status, Detail: cause})
		c.commit()
		return
	}
	f.stats.failures.Add(1)
	if c.fallback != nil {
		if c.hold != nil {
			c.hold.discard()
		}
		f.logInfo("upstream failed: answering from the mock", "upstream", ep.up.origin, "cause", cause, "attempts", len(c.tries))
		c.fallback(cause)
		return
	}
	if c.hold != nil {
		c.hold.discard()
	}
	title := "Bad Gateway"
	if fl.status == http.StatusGatewayTimeout {
		title = "Gateway Timeout"
	}
	d := problem.Details{Title: title, Status: fl.status, Detail: fmt.Sprintf("upstream %s: %s", ep.up.origin, cause)}
	if n := len(c.tries); n > 0 {
		d.Detail += fmt.Sprintf(" (%s in %s)", plural(n, "attempt"), roundDuration(time.Since(c.start)))
		target := f.redactURL(c.lastURL())
		for i, t := range c.tries {
			d.Errors = append(d.Errors, problem.Item{Location: fmt.Sprintf("attempt %d", i+1),
				Message: fmt.Sprintf("%s %s: %s after %s", c.r.Method, target, f.auth.redact(t.String()), roundDuration(t.took))})
		}
	}
	markFailure(w, d.Detail)
	problem.Write(w, d)
	c.commit()
}

// lastURL is the URL the attempts went to, for messages.
func (c *call) lastURL() *url.URL {
	if c.url != nil {
		return c.url
	}
	u := *c.ep.up.target
	u.Path = joinPath(c.ep.up, c.r.URL.Path)
	u.RawPath, u.RawQuery = "", ""
	return &u
}

// joinPath is the path the upstream gets for a request path (see rewrite).
func joinPath(up *upstream, p string) string {
	if up.basePath != "" && hasSegmentPrefix(p, up.basePath) {
		return p
	}
	return up.basePath + "/" + strings.TrimLeft(p, "/")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// roundDuration keeps three significant figures: 1.23s, 301ms, 4.56ms.
func roundDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(10 * time.Microsecond).String()
	}
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

// rewrite builds the outgoing request: the upstream's URL joined with the request path, or
// the filled proxy_url template (an absolute-form request line or a foreign Host header cannot
// change the destination), X-Forwarded-*, no X-Mockloop-* control headers, and the configured
// credentials.
func (f *Forwarder) rewrite(up *upstream, pr *httputil.ProxyRequest) {
	a := attemptOf(pr.In)
	if a != nil && a.url != nil {
		in := pr.In.URL.RawQuery
		u := *a.url
		pr.Out.URL = &u
		switch {
		case u.RawQuery == "":
			u.RawQuery = in
		case in != "":
			u.RawQuery += "&" + in
		}
		pr.Out.Host = ""
	} else {
		pr.SetURL(up.target)
		if up.basePath != "" && hasSegmentPrefix(pr.In.URL.Path, up.basePath) {
			// The client already used the API's base path (/v2/pets against target .../v2): the
			// spec router accepts both forms, so the upstream gets /v2/pets, not /v2/v2/pets.
			pr.Out.URL.Path, pr.Out.URL.RawPath = pr.In.URL.Path, pr.In.URL.RawPath
		}
	}
	pr.SetXForwarded()
	for k := range pr.Out.Header {
		if len(k) > 11 && strings.EqualFold(k[:11], "X-Mockloop-") {
			delete(pr.Out.Header, k)
		}
	}
	token := ""
	if a != nil {
		token = a.token
	}
	if f.auth != nil {
		f.auth.apply(pr.Out, token)
	}
	if a != nil {
		a.outURL = pr.Out.URL
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
	if !a.headersIn() {
		return errTimeout
	}
	a.status = resp.StatusCode
	if resp.StatusCode == http.StatusUnauthorized && a.authRetry {
		a.unauthorized = true
		return errUnauthorized
	}
	if resp.StatusCode == http.StatusUnauthorized && f.auth != nil && f.auth.oauth != nil && f.warned401.CompareAndSwap(false, true) {
		f.logWarn("upstream answered 401 and the oauth2 access token cannot be refreshed: "+f.auth.oauth.refreshProblem()+"; the 401 is passed to the client",
			"upstream", redact.Origin(resp.Request.URL.String()))
	}
	if retryStatus(resp.StatusCode) && (!a.last || a.fallback) {
		return errRetryStatus{resp.StatusCode}
	}
	// A 101 answer's body is the upgraded connection, which the proxy needs as it is; its
	// lifetime is the client's business, not the timeout's.
	if resp.Body != nil && resp.Body != http.NoBody && resp.StatusCode != http.StatusSwitchingProtocols {
		resp.Body = &idleBody{rc: resp.Body, a: a}
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
	detail := f.auth.redact(safeError(err))
	markFailure(w, detail)
	problem.Write(w, problem.Details{Title: "Bad Gateway", Status: http.StatusBadGateway, Detail: detail})
}

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
