package testrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

// ModeAuto is the test-run mode that decides from what exists: a running server's status,
// else hybrid when a live side exists, else mock.
const ModeAuto = "auto"

// Request is a test run in the terms of `test run`'s flags: what the command and MCP's
// execute_test_plan both hand to Prepare.
type Request struct {
	// Plugin is the plugin to test (its spec, target, auth, comparison defaults); nil for none.
	Plugin *plugin.Plugin
	// Spec overrides the plugin's spec: a file, "-" for Stdin, or a URL.
	Spec string
	// MockData is --mock-data (realistic or plain; "" leaves it to the environment and the
	// plugin).
	MockData string
	// Server is a running `mockloop serve` to send the cases to; Live is the live API's base
	// URL. Both are optional.
	Server, Live string
	// Plan is the plan file's content (nil: a case per operation, generated); PlanName names it
	// in messages.
	Plan     []byte
	PlanName string
	// Operations filters the cases (spec.ParseFilter grammar).
	Operations []string
	// Record is a directory to record the live side's answers into ("" for none), with the
	// writer's bounds (Prepare sets its redaction: the plugin's credentials and redact: list).
	Record        string
	RecordOptions record.Options
	// Mode is auto (or ""), mock, proxy or hybrid: which sides are called.
	Mode string
	// Validation is strict (or ""), soft or off.
	Validation string
	// Comparison is the command line's comparison layer, over the plugin's and the plan's.
	Comparison  compare.Config
	Concurrency int
	Repeat      int
	Timeout     time.Duration
	FailFast    bool
	Shard       string
	// CollectLogs attaches to each case the running server's request-log entries of its
	// requests (GET /__mockloop/requests); it needs Server, and a side that goes through it.
	CollectLogs bool

	// Load is how the spec is read (stdin for "-", the client, the $ref policy, the fetch
	// timeout); the plugin's allow_refs are added to it. Client asks a running server for its
	// status. LookupEnv reads the environment (container variables, ${ENV} references).
	Load      spec.Options
	Client    *http.Client
	LookupEnv func(string) (string, bool)
	// Logger receives the in-process live side's lines (upstream attempts, retries, token
	// requests; secrets removed); nil keeps none.
	Logger *slog.Logger
}

// Prepared is a run ready to start: the spec, the bound plan, the sides and the options.
// Close it when done.
type Prepared struct {
	Doc  *spec.Document
	Plan *Plan
	// Mode is the resolved test-run mode: mock, proxy or hybrid.
	Mode    plugin.Mode
	Options Options

	req   Request
	stack *stack.Stack
	http  *http.Client
	// recordings is the directory the live side records into (--record).
	recordings string
	// logs is where CollectLogs gets the request log from (nil: not collecting), and which
	// sides go through it.
	logs *logSource
}

// Prepare resolves everything a run needs, before any case is sent: the settings (flags >
// container environment variables > plugin > defaults), the spec (the flag's, else the
// plugin's, else a running server's, else the embedded example), the plan (parsed and bound,
// or generated; filtered and sharded), the sides (a running server, a live URL, or the
// plugin's target through the proxy engine with its credentials, in process) and the
// comparison layers, checked. Every error is one line naming what and where.
func Prepare(ctx context.Context, req Request) (*Prepared, error) {
	if req.Mode == "" {
		req.Mode = ModeAuto
	}
	if req.Validation == "" {
		req.Validation = string(ValidationStrict)
	}
	validation, err := ParseValidation(req.Validation)
	if err != nil {
		return nil, err
	}
	filter, err := spec.ParseFilter(req.Operations)
	if err != nil {
		return nil, fmt.Errorf("operations %w", err)
	}
	var shard Shard
	if req.Shard != "" {
		if shard, err = ParseShard(req.Shard); err != nil {
			return nil, err
		}
	}
	pr := &Prepared{req: req, http: SideClient(req.Concurrency)}
	fail := func(err error) (*Prepared, error) {
		pr.Close()
		return nil, err
	}
	set, srv, live, err := pr.resolve(ctx)
	if err != nil {
		return fail(err)
	}

	// The spec and the stack that answers in process. The live side goes through the proxy
	// engine only when it is the plugin's (or the environment's) target: there is no fallback,
	// since the differences are what is wanted.
	inProcessLive := pr.Mode != plugin.ModeMock && live == nil && set.Target != ""
	if !inProcessLive {
		set.Target = ""
	}
	set.Mode = plugin.ModeMock // each side says which it wants in X-Mockloop-Mode
	load, err := stack.LoadOptions(req.Load, req.Plugin)
	if err != nil {
		return fail(err)
	}
	doc, err := spec.Load(ctx, set.Spec, load)
	if err != nil {
		return fail(err)
	}
	pr.Doc = doc
	// The plugin's replay: answers the mock side from its recordings, as `serve` would.
	st, err := stack.Build(doc, set, stack.Options{NoFallback: true, RequestBuffer: 1, LookupEnv: req.LookupEnv, Logger: req.Logger,
		Replay: stack.Replay{Warn: logWarning(req.Logger)}})
	if err != nil {
		return fail(err)
	}
	pr.stack = st

	if pr.Plan, err = loadPlan(req, doc, st, filter); err != nil {
		return fail(err)
	}
	pr.Plan.Cases = shard.Apply(pr.Plan.Cases)

	pr.Options = Options{
		Validator:   st.Mock,
		Validation:  validation,
		Flags:       req.Comparison,
		Concurrency: req.Concurrency,
		Repeat:      req.Repeat,
		Timeout:     req.Timeout,
		FailFast:    req.FailFast,
	}
	if req.Plugin != nil {
		pr.Options.Plugin = req.Plugin.Comparison
	}
	pr.chooseSides(st, srv, live, inProcessLive)
	if req.CollectLogs {
		if err := pr.collectLogs(srv); err != nil {
			return fail(err)
		}
	}
	if req.Record != "" {
		if err := pr.recordLive(set, st); err != nil {
			return fail(err)
		}
	}
	// Bad comparison patterns stop the run before it starts, naming where they are.
	if pr.Options.Mock != nil && pr.Options.Live != nil {
		if err := CheckComparisons(pr.Plan, pr.Options); err != nil {
			return fail(err)
		}
	}
	return pr, nil
}

// resolve finds the run's settings (flags > environment > plugin > defaults), the running
// server (whose status may give auto mode and the spec), the live URL, and the mode.
func (pr *Prepared) resolve(ctx context.Context) (set stack.Settings, srv, live *url.URL, err error) {
	// A running server first: auto mode and the spec may come from it.
	var status *server.Status
	if pr.req.CollectLogs && pr.req.Server == "" {
		return stack.Settings{}, nil, nil, errors.New("collect logs: the request log is a running server's: give a server")
	}
	if pr.req.Server != "" {
		if srv, err = ParseBaseURL(pr.req.Server); err != nil {
			return stack.Settings{}, nil, nil, fmt.Errorf("server: %w", err)
		}
		if pr.req.Mode == ModeAuto || (pr.req.Spec == "" && pr.req.Plugin == nil) {
			if status, err = ServerStatus(ctx, pr.http, srv); err != nil {
				return stack.Settings{}, nil, nil, err
			}
		}
	}
	var specFlag *string
	if pr.req.Spec != "" {
		specFlag = &pr.req.Spec
	}
	flags := stack.Flags{Spec: specFlag}
	if pr.req.MockData != "" {
		flags.MockData = &pr.req.MockData
	}
	set, err = stack.Resolve(pr.req.Plugin, flags, pr.req.LookupEnv)
	if err != nil {
		return stack.Settings{}, nil, nil, err
	}
	if status != nil && specFlag == nil && (pr.req.Plugin == nil || pr.req.Plugin.Spec == "") && !fromEnv(pr.req.LookupEnv, stack.Env.Spec) {
		set.Spec = status.Spec.Source
	}
	if pr.req.Live != "" {
		if live, err = ParseBaseURL(pr.req.Live); err != nil {
			return stack.Settings{}, nil, nil, fmt.Errorf("live: %w", err)
		}
	}
	mode, err := chooseMode(pr.req, set, status)
	if err != nil {
		return stack.Settings{}, nil, nil, err
	}
	pr.Mode = mode
	return set, srv, live, nil
}

// chooseSides sets the sides the mode calls: the mock side is the running server (srv) asked
// for its mock, else the stack in process; the live side is the live URL, else the plugin's
// target through the stack in process, else the running server asked to proxy.
func (pr *Prepared) chooseSides(st *stack.Stack, srv, live *url.URL, inProcessLive bool) {
	mockHeader := http.Header{server.HeaderMode: {string(plugin.ModeMock)}}
	proxyHeader := http.Header{server.HeaderMode: {string(plugin.ModeProxy)}}
	if pr.Mode != plugin.ModeProxy {
		if srv != nil {
			pr.Options.Mock = &HTTPSide{Label: SideMock, Base: srv, Client: pr.http, Header: mockHeader}
		} else {
			pr.Options.Mock = &HandlerSide{Label: SideMock, Handler: st, Header: mockHeader}
		}
	}
	if pr.Mode != plugin.ModeMock {
		switch {
		case live != nil:
			pr.Options.Live = &HTTPSide{Label: SideLive, Base: live, Client: pr.http}
		case inProcessLive:
			pr.Options.Live = &HandlerSide{Label: SideLive, Handler: st, Header: proxyHeader}
		case srv != nil:
			pr.Options.Live = &HTTPSide{Label: SideLive, Base: srv, Client: pr.http, Header: proxyHeader}
		}
	}
}

// collectLogs tags the requests of the sides that go through the running server srv, so
// that CollectLogs finds their entries in its request log.
func (pr *Prepared) collectLogs(srv *url.URL) error {
	mockTagged := tagServerSide(pr.Options.Mock, srv)
	liveTagged := tagServerSide(pr.Options.Live, srv)
	if !mockTagged && !liveTagged {
		return fmt.Errorf("collect logs: no side of this %s run goes through the server %s", pr.Mode, redact.URL(srv.String()))
	}
	pr.logs = &logSource{server: srv, mock: mockTagged, live: liveTagged}
	pr.Options.Tag = newRunTag()
	return nil
}

// recordLive wraps the live side so that every answer it gives is recorded into the
// request's directory, redacted as serve --record redacts.
func (pr *Prepared) recordLive(set stack.Settings, st *stack.Stack) error {
	if pr.Options.Live == nil {
		return errors.New("record: this run calls no live side (give --live URL, a plugin with a target_url, or --server)")
	}
	rd, err := record.NewRedactor(set.RedactPolicy(), st.Redact, set.Redact)
	if err != nil {
		return err
	}
	ro := pr.req.RecordOptions
	ro.Redactor = rd
	w, err := record.NewWriter(pr.req.Record, pr.Doc, ro)
	if err != nil {
		return err
	}
	pr.Options.Live = &recordingSide{Side: pr.Options.Live, w: w, doc: pr.Doc}
	if pr.recordings, err = filepath.Abs(pr.req.Record); err != nil {
		pr.recordings = pr.req.Record
	}
	return nil
}

// loadPlan parses and binds the request's plan, or generates one from doc.
func loadPlan(req Request, doc *spec.Document, st *stack.Stack, filter spec.Filter) (*Plan, error) {
	if req.Plan == nil {
		plan, err := Generate(doc, st.Mock, filter)
		if err != nil {
			return nil, err
		}
		return plan, nil
	}
	plan, err := Parse(req.Plan, req.PlanName)
	if err != nil {
		return nil, err
	}
	if err := plan.Bind(doc); err != nil {
		return nil, fmt.Errorf("plan %q: %w", req.PlanName, err)
	}
	if !filter.Empty() {
		plan.Cases = slices.DeleteFunc(plan.Cases, func(c *Case) bool { return !filter.Match(c.Op) })
		if len(plan.Cases) == 0 {
			return nil, fmt.Errorf("plan %q: no case calls an operation matching %s", req.PlanName, filter)
		}
	}
	return plan, nil
}

// chooseMode resolves the test-run mode: --mode, else MOCKLOOP_MODE / PROXY_MODE, else auto.
// Explicit modes need the sides they use; auto follows a running server's status, else
// hybrid when a live side exists, else mock. The plugin's own mode (how it serves) does not
// choose which sides a test run calls.
func chooseMode(req Request, set stack.Settings, status *server.Status) (plugin.Mode, error) {
	hasLive := req.Live != "" || set.Target != ""
	mode := req.Mode
	if mode == ModeAuto {
		for _, k := range stack.Env.Mode {
			if v, ok := lookupEnv(req.LookupEnv)(k); ok && strings.TrimSpace(v) != "" {
				mode = v
				break
			}
		}
	}
	if mode != ModeAuto {
		m, err := plugin.ParseMode(mode)
		if err != nil {
			return "", fmt.Errorf("mode: %w", err)
		}
		if m != plugin.ModeMock && !hasLive && req.Server == "" {
			return "", fmt.Errorf("mode %s needs a live side: --live URL, a plugin with a target_url (or API_BASE_URL), or --server", m)
		}
		return m, nil
	}
	switch {
	case hasLive:
		return plugin.ModeHybrid, nil
	case status == nil:
		return plugin.ModeMock, nil
	case status.Live && status.ModeOverride:
		return plugin.ModeHybrid, nil
	case status.Mode == plugin.ModeProxy:
		return plugin.ModeProxy, nil
	}
	return plugin.ModeMock, nil
}

func lookupEnv(f func(string) (string, bool)) func(string) (string, bool) {
	if f == nil {
		return func(string) (string, bool) { return "", false }
	}
	return f
}

func fromEnv(lookup func(string) (string, bool), names []string) bool {
	for _, k := range names {
		if v, ok := lookupEnv(lookup)(k); ok && strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

// Run runs the prepared plan (progress, when set, is called after each case run) and returns
// the finished report: the spec as redaction shows it, the mode, the plugin and the shard.
func (pr *Prepared) Run(ctx context.Context, progress func()) *Report {
	opts := pr.Options
	opts.Progress = progress
	rep := Run(ctx, pr.Plan, opts)
	rep.Spec = redact.URL(pr.Doc.Source)
	rep.Mode = string(pr.Mode)
	rep.Shard = pr.req.Shard
	rep.Recordings = pr.recordings
	rep.LeftOut = pr.Plan.LeftOut
	if pr.req.Plugin != nil {
		rep.Plugin = pr.req.Plugin.Name
	}
	if pr.logs != nil {
		pr.logs.attach(ctx, pr.http, opts.Tag, rep)
	}
	return rep
}

// Runs is the number of case runs the plan makes (cases times repeat).
func (pr *Prepared) Runs() int { return len(pr.Plan.Cases) * max(pr.req.Repeat, 1) }

// Close releases the in-process stack and the sides' connections.
func (pr *Prepared) Close() {
	if pr.stack != nil {
		pr.stack.Close()
	}
	pr.http.CloseIdleConnections()
}

// SideClient is the HTTP client of the sides: connections are kept for the whole run, enough
// for every worker; redirects are answers, not followed.
func SideClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(100, 2*concurrency)
	tr.MaxIdleConnsPerHost = max(8, 2*concurrency)
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// ParseBaseURL accepts an absolute http(s) URL (a live API or a running server's base).
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", redact.URL(raw))
	}
	return u, nil
}

// ServerStatus asks a running server what it is: GET /__mockloop/status.
func ServerStatus(ctx context.Context, client *http.Client, base *url.URL) (*server.Status, error) {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/__mockloop/status"
	u.RawQuery = ""
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	name := redact.URL(base.String())
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("server %s is not reachable: %w", name, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("server %s: GET /__mockloop/status answered %s (is it a mockloop server? is an admin token needed?)", name, resp.Status)
	}
	var st server.Status
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return nil, fmt.Errorf("server %s: read status: %w", name, err)
	}
	return &st, nil
}

// logWarning writes a warning to l; nil drops it.
func logWarning(l *slog.Logger) func(string) {
	if l == nil {
		return nil
	}
	return func(w string) { l.Warn(w) }
}
