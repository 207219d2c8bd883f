package stack

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/override"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/route"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/simulate"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/state"
	"github.com/mockloop/mockloop/internal/upstream"
)

// Options are how a stack serves, beyond the settings: what the serve flags that have no
// environment or plugin form say, and where its output goes. The zero value validates
// requests and security, keeps no request log and the default request buffer.
type Options struct {
	// NoValidateRequests answers requests that do not match the spec instead of 400/422.
	NoValidateRequests bool
	// NoSecurity does not require the credentials the spec's security requirements name.
	NoSecurity bool
	// Dynamic and Seed tune generated data (mock.Options): every answer afresh, and the seed.
	Dynamic bool
	Seed    uint64
	// NoModeOverride ignores the X-Mockloop-Mode request header.
	NoModeOverride bool
	// NoFallback never answers from the mock when the live call fails, whatever the plugin
	// says (a test run wants the live failure).
	NoFallback bool
	// MaxBodyBytes bounds request bodies: 0 is the server's default, < 0 unlimited.
	MaxBodyBytes int64
	// RequestBuffer is how many recent requests the admin API keeps (0: the default).
	RequestBuffer int
	// Log receives the request log, one line per request; nil keeps none.
	Log io.Writer
	// Errors receives the forwarder's own error lines (secrets redacted) and, with
	// ValidateResponses, the violations; nil discards them.
	Errors io.Writer
	// ValidateResponses checks live answers against the spec before they are passed on:
	// violations are counted in the metrics, written to Errors and counted in the
	// X-Mockloop-Violations header; with ViolationsAreErrors a violating answer becomes a 502
	// problem+json listing them (Prism's --errors).
	ValidateResponses   bool
	ViolationsAreErrors bool
	// LookupEnv resolves ${ENV} references in credentials (os.LookupEnv when nil).
	LookupEnv func(string) (string, bool)
	// Simulation, when set, turns on latency and faults, runtime overrides and (as the
	// plugin or the flags say) stateful resources: see Simulation. Nil: none (test run).
	Simulation *Simulation
	// Logger receives the live side's lines: route decisions and upstream attempts at debug,
	// retries, token requests and fallbacks at info, failures and insecure TLS at warn; every
	// secret removed. Nil keeps none.
	Logger *slog.Logger

	// The server's extension points (see server.Answerer and the rest): the features that
	// change how requests are answered are built by their own packages and plugged in here.
	Answerers     []server.Answerer
	LiveObservers []server.LiveObserver
	Steps         []server.Step
	Admin         []server.AdminRoute
	// ObserveBody bounds the bodies LiveObservers see (0: server.DefaultObserveBody).
	ObserveBody int
	// Replay tunes the replayer Build adds whenever Settings.Replay names recordings.
	Replay Replay
}

// Stack is a plugin's running stack: the handler and what it is made of. Close it when done.
type Stack struct {
	Settings Settings
	Doc      *spec.Document
	Mock     *mock.Engine
	// Live is the forwarder to the target; nil when there is no target.
	Live *upstream.Forwarder
	// Rules are the plugin's route rules; nil when there is no target.
	Rules *route.RuleSet
	// Metrics are the per-operation counters the handler and the forwarder share.
	Metrics *server.Metrics
	// Handler is the http.Handler `mockloop serve` listens with.
	Handler *server.Server
	// Simulator, Overrides and State are the simulation's parts (Options.Simulation); nil
	// when off. State is nil unless stateful resources are on.
	Simulator *simulate.Simulator
	Overrides *override.Store
	State     *state.Store
	// Replayer answers the mock side from the recordings of Settings.Replay; nil without.
	Replayer *record.Replayer

	secrets *redact.Secrets // without a live side: the plugin's, resolved at Build
}

// Build assembles the stack for doc under set. The route rules and the forwarder are built
// whenever there is a target, so that a running server can be switched to any mode. With
// set.Replay the mock side answers from those recordings first (see Replay).
func Build(doc *spec.Document, set Settings, opts Options) (*Stack, error) {
	if err := set.Check(); err != nil {
		return nil, err
	}
	st := &Stack{Settings: set, Doc: doc}
	st.Mock = mock.New(doc, mock.Options{ValidateRequests: !opts.NoValidateRequests, CheckSecurity: !opts.NoSecurity,
		Dynamic: opts.Dynamic, Seed: opts.Seed, PlainData: set.PlainData})
	st.Metrics = server.NewMetrics(doc.Operations)
	fallback := set.Fallback && !opts.NoFallback
	headers, query := redactNames(set.Auth)
	cfg := server.Config{
		Doc:            doc,
		Mock:           st.Mock,
		Mode:           set.Mode,
		Fallback:       fallback,
		NoModeOverride: opts.NoModeOverride,
		PluginName:     set.PluginName(),
		Target:         set.Target,
		AdminToken:     set.AdminToken,
		CORS:           set.CORS,
		Log:            opts.Log,
		LogFormat:      set.LogFormat,
		RedactHeaders:  headers,
		RedactQuery:    query,
		MaxBodyBytes:   opts.MaxBodyBytes,
		RequestBuffer:  opts.RequestBuffer,
		Metrics:        st.Metrics,
		Answerers:      opts.Answerers,
		LiveObservers:  opts.LiveObservers,
		ObserveBody:    opts.ObserveBody,
		Steps:          opts.Steps,
		Admin:          opts.Admin,
	}
	if set.Target != "" {
		if err := st.buildLive(doc, set, opts, fallback); err != nil {
			return nil, err
		}
		cfg.Live, cfg.Decider = st.Live, st.Rules
		cfg.InsecureTLS = st.Live.InsecureTLS()
		cfg.LiveCounters = liveCounters(st.Live)
	}
	if st.Live == nil {
		st.secrets = upstream.SecretsOf(set.Auth, opts.LookupEnv)
	}
	if set.Replay != "" {
		if err := st.buildReplay(doc, set, opts.Replay, &cfg); err != nil {
			st.Close()
			return nil, err
		}
	}
	if opts.Simulation != nil {
		if err := st.buildSimulation(set.Plugin, *opts.Simulation, &cfg); err != nil {
			st.Close()
			return nil, err
		}
	}
	h, err := server.NewServer(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	st.Handler = h
	return st, nil
}

// buildLive compiles the route rules and builds the forwarder with the plugin's auth,
// endpoints, timeout and retries.
func (st *Stack) buildLive(doc *spec.Document, set Settings, opts Options, fallback bool) error {
	p := set.Plugin
	if p == nil {
		p = &plugin.Plugin{}
	}
	rules, err := route.Compile(p.RouteRules, plugin.ModeProxy, fallback)
	if err != nil {
		if p.Name != "" {
			return fmt.Errorf("plugin %s: %w", p.Name, err)
		}
		return err
	}
	if opts.Logger != nil {
		rules.SetLogger(opts.Logger)
	}
	st.Rules = rules
	errs := opts.Errors
	if errs == nil {
		errs = io.Discard
	}
	cfg := upstream.ForwardConfig{
		Target:      set.Target,
		Auth:        set.Auth,
		OAuth2Flows: doc.OAuth2Flows(),
		Endpoints:   p.Endpoints,
		Timeout:     p.Timeout.Duration,
		RetryCount:  p.RetryCount,
		LookupEnv:   opts.LookupEnv,
		TLS:         p.TLS,
		Proxy:       set.UpstreamProxy,
		Logger:      opts.Logger,
		ErrorLog:    log.New(errs, "mockloop: proxy: ", 0),
	}
	if opts.ValidateResponses || opts.ViolationsAreErrors {
		cfg.ModifyResponse = server.ValidateResponses(st.Mock.ValidateResponse, st.Metrics, errs, opts.ViolationsAreErrors)
	}
	live, err := upstream.NewForwarder(cfg)
	if err != nil {
		return err
	}
	st.Live = live
	return nil
}

// Open loads set.Spec (stdin and URLs as load says) and builds its stack.
func Open(ctx context.Context, set Settings, load spec.Options, opts Options) (*Stack, error) {
	doc, err := spec.Load(ctx, set.Spec, load)
	if err != nil {
		return nil, err
	}
	return Build(doc, set, opts)
}

// ServeHTTP serves with the stack's handler.
func (st *Stack) ServeHTTP(w http.ResponseWriter, r *http.Request) { st.Handler.ServeHTTP(w, r) }

// Close flushes the request log and releases the live side's connections.
func (st *Stack) Close() {
	if st.Handler != nil {
		st.Handler.Close()
	}
	if st.Live != nil {
		st.Live.Close()
	}
}

// Redact replaces every secret of the stack's credentials in s with ***: the forwarder's when
// there is a live side (which also knows the OAuth2 tokens it obtained), else the plugin's.
func (st *Stack) Redact(s string) string {
	if st.Live != nil {
		return st.Live.Redact(s)
	}
	return st.secrets.Replace(s)
}
