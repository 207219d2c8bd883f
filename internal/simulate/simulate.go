// Package simulate holds answers back and breaks them on purpose: latency (fixed, uniform or
// log-normal) and faults (a connection reset, an empty or malformed response, a request held
// until the client gives up, an error status), for every request, by rule (matched like a
// route rule), or for one request with `Prefer: delay=MS` or `Prefer: fault=KIND`. A Simulator
// is a server.Step: it runs around mock and live answers alike, never on the admin API, and
// says what it applied in X-Mockloop-Simulation. Its draws are deterministic for a seed.
package simulate

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/route"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// Options configure a Simulator: the latency and fault of every request, and the rules.
type Options struct {
	Latency *plugin.Latency
	Fault   *plugin.Fault
	Rules   []plugin.SimulationRule
	// Seed fixes the draws (which requests fail, how long each waits): the same seed and the
	// same order of requests give the same simulation. Seeded false draws a seed at random.
	Seed   uint64
	Seeded bool
}

// Simulator is the simulation step. It is safe for concurrent use.
type Simulator struct {
	latency *distribution
	fault   *fault
	rules   []*rule
	seed    uint64
	seeded  bool
	idle    bool // nothing configured: only Prefer can ask for anything

	n       atomic.Uint64 // requests drawn for
	delayed atomic.Int64
	faults  [len(kinds)]atomic.Int64

	drain     chan struct{}
	drainOnce sync.Once
}

// kinds are the fault kinds in plugin.FaultKinds order, indexed by kindIndex.
var kinds = [5]string{plugin.FaultReset, plugin.FaultEmpty, plugin.FaultMalformed, plugin.FaultTimeout, plugin.FaultStatus}

func kindIndex(k string) int {
	for i, x := range kinds {
		if x == k {
			return i
		}
	}
	return -1
}

type rule struct {
	label   string
	spec    plugin.SimulationRule
	match   *route.Matcher
	latency *distribution
	fault   *fault
	hits    atomic.Int64
}

// fault is a compiled plugin.Fault.
type fault struct {
	rate   float64
	kind   string
	status int
	hold   time.Duration
}

func compileFault(f *plugin.Fault) (*fault, error) {
	if f == nil {
		return nil, nil
	}
	if msgs := f.Check(); len(msgs) > 0 {
		return nil, fmt.Errorf("fault: %s", strings.Join(msgs, "; "))
	}
	return &fault{rate: f.RateValue(), kind: f.KindValue(), status: f.StatusValue(), hold: f.HoldValue()}, nil
}

func (f *fault) String() string {
	if f.kind == plugin.FaultStatus {
		return "status " + strconv.Itoa(f.status)
	}
	return f.kind
}

// New checks and compiles the options; errors name the rule ("simulation.rules[1] (name)")
// and the field at fault.
func New(o Options) (*Simulator, error) {
	s := &Simulator{seed: o.Seed, seeded: o.Seeded, drain: make(chan struct{})}
	if !o.Seeded {
		s.seed = randomSeed()
	}
	var err error
	if s.latency, err = compileLatency(o.Latency); err != nil {
		return nil, fmt.Errorf("simulation: %w", err)
	}
	if s.fault, err = compileFault(o.Fault); err != nil {
		return nil, fmt.Errorf("simulation: %w", err)
	}
	for i, r := range o.Rules {
		label := r.Name
		if label == "" {
			label = fmt.Sprintf("#%d", i+1)
			for _, part := range []string{strings.ToUpper(r.Method), r.Operation, r.Pattern} {
				if part != "" {
					label += " " + part
				}
			}
		}
		where := fmt.Sprintf("simulation.rules[%d] (%s)", i, label)
		c := &rule{label: label, spec: r}
		if r.Latency == nil && r.Fault == nil {
			return nil, fmt.Errorf("%s: give a latency, a fault or both", where)
		}
		if c.match, err = route.CompileMatcher(route.MatchSpec{Pattern: r.Pattern, Operation: r.Operation, Method: r.Method, Condition: r.Condition}); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if c.latency, err = compileLatency(r.Latency); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if c.fault, err = compileFault(r.Fault); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		s.rules = append(s.rules, c)
	}
	s.idle = s.latency == nil && s.fault == nil && len(s.rules) == 0
	return s, nil
}

// Around applies the request's latency and fault, then has it answered (unless the fault is
// the answer).
func (s *Simulator) Around(w http.ResponseWriter, r *http.Request, m spec.Match, next func(http.ResponseWriter, *http.Request)) {
	prefer := r.Header["Prefer"]
	if s.idle && len(prefer) == 0 {
		next(w, r)
		return
	}
	latency, flt, answered := s.decide(w, r, m, prefer)
	if answered {
		return
	}
	rng, uFault, u1, u2 := s.draw()
	var delay time.Duration
	if latency != nil {
		delay = latency.sample(u1, u2)
	}
	failing := flt != nil && uFault < flt.rate
	h := w.Header()
	if delay > 0 {
		s.delayed.Add(1)
		h.Add(server.HeaderSimulation, "delay="+strconv.FormatInt(delay.Milliseconds(), 10)+"ms")
		if !s.wait(r, delay) {
			return // the client left: nothing to answer
		}
	}
	if !failing {
		next(w, r)
		return
	}
	s.faults[kindIndex(flt.kind)].Add(1)
	h.Add(server.HeaderSimulation, "fault="+flt.String())
	s.fail(w, r, flt, &rng)
}

// decide finds the latency and the fault for r: Prefer, else the first rule that sets each,
// else the global ones. A Prefer it cannot read is answered with a 400 (answered true).
func (s *Simulator) decide(w http.ResponseWriter, r *http.Request, m spec.Match, prefer []string) (*distribution, *fault, bool) {
	var pref mock.Prefer
	if len(prefer) > 0 {
		pref = mock.ParsePrefer(prefer)
	}
	var latency *distribution
	var flt *fault
	if pref.DelaySet {
		if pref.Delay < 0 {
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid Prefer delay",
				Detail: "Prefer delay= takes milliseconds (\"delay=300\") or a duration (\"delay=1.5s\"), at most a day"})
			return nil, nil, true
		}
		latency = &distribution{fixed: pref.Delay}
	}
	if pref.Fault != "" {
		f, err := preferFault(pref.Fault)
		if err != nil {
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid Prefer fault", Detail: err.Error()})
			return nil, nil, true
		}
		flt = f
	}
	if len(s.rules) > 0 && (latency == nil || flt == nil) {
		req := route.NewRequest(r, m.Operation)
		for _, c := range s.rules {
			if (latency != nil || c.latency == nil) && (flt != nil || c.fault == nil) {
				continue // the rule has nothing left to decide
			}
			if !c.match.Match(&req) {
				continue
			}
			c.hits.Add(1)
			if latency == nil {
				latency = c.latency
			}
			if flt == nil {
				flt = c.fault
			}
			if latency != nil && flt != nil {
				break
			}
		}
	}
	if latency == nil {
		latency = s.latency
	}
	if flt == nil {
		flt = s.fault
	}
	return latency, flt, false
}

// preferFault reads Prefer fault=KIND: a kind, or a status code (a status fault with it).
func preferFault(kind string) (*fault, error) {
	if code, err := strconv.Atoi(kind); err == nil {
		if code < 100 || code > 599 {
			return nil, fmt.Errorf("Prefer fault=%d: a status must be 100 to 599", code)
		}
		return &fault{rate: 1, kind: plugin.FaultStatus, status: code, hold: plugin.DefaultFaultHold}, nil
	}
	if kindIndex(kind) < 0 {
		return nil, fmt.Errorf("Prefer fault=%s: want one of %s, or a status code", kind, strings.Join(kinds[:], ", "))
	}
	return &fault{rate: 1, kind: kind, status: plugin.DefaultFaultStatus, hold: plugin.DefaultFaultHold}, nil
}

// wait sleeps for d, and reports false when the client left first. A shutdown ends the wait
// early: the answer is then sent at once.
func (s *Simulator) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.drain:
	case <-r.Context().Done():
		return false
	}
	return true
}

// Drain lets every held request go (the server is shutting down): delays end, timeouts drop
// their connection now.
func (s *Simulator) Drain() { s.drainOnce.Do(func() { close(s.drain) }) }

// draw starts the random stream of one request: the draw that decides its fault, two for its
// latency, in that order whatever is configured (so a rule added for one operation does not
// shift the draws of the others), and the stream for what else it needs.
func (s *Simulator) draw() (rng splitmix, uFault, u1, u2 float64) {
	rng = splitmix{state: mix64(s.seed + s.n.Add(1)*0x9e3779b97f4a7c15)}
	uFault, u1, u2 = rng.float(), rng.float(), rng.float()
	return rng, uFault, u1, u2
}

// distribution is a compiled plugin.Latency.
type distribution struct {
	src       plugin.Latency // as configured, for the admin report
	fixed     time.Duration
	uniform   bool
	lo, hi    time.Duration
	lognormal bool
	mu, sigma float64 // of the logarithm of the latency in nanoseconds
}

func compileLatency(l *plugin.Latency) (*distribution, error) {
	if l == nil {
		return nil, nil
	}
	if msgs := l.Check(); len(msgs) > 0 {
		return nil, fmt.Errorf("latency: %s", strings.Join(msgs, "; "))
	}
	switch {
	case l.Uniform != nil:
		return &distribution{src: *l, uniform: true, lo: l.Uniform[0].Duration, hi: l.Uniform[1].Duration}, nil
	case l.Lognormal != nil:
		return &distribution{src: *l, lognormal: true, mu: math.Log(float64(l.Lognormal.Median.Duration)), sigma: l.Lognormal.Sigma}, nil
	}
	return &distribution{src: *l, fixed: l.Fixed.Duration}, nil
}

// sample is one latency from two independent uniform draws in [0, 1).
func (d *distribution) sample(u1, u2 float64) time.Duration {
	switch {
	case d.uniform:
		return d.lo + time.Duration(u1*float64(d.hi-d.lo))
	case d.lognormal:
		// Box-Muller: a standard normal from two uniforms (1-u1 is in (0, 1]).
		z := math.Sqrt(-2*math.Log(1-u1)) * math.Cos(2*math.Pi*u2)
		v := math.Exp(d.mu + d.sigma*z)
		return time.Duration(min(v, float64(plugin.MaxLatency)))
	}
	return d.fixed
}
