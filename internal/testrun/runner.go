package testrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
)

// Side names used in results and metrics.
const (
	SideMock = "mock"
	SideLive = "live"
)

// Validation says what a response that violates the spec does to a case.
type Validation string

// Validation modes.
const (
	ValidationStrict Validation = "strict" // a violation fails the case
	ValidationSoft   Validation = "soft"   // a violation is a warning
	ValidationOff    Validation = "off"    // responses are not validated
)

// ParseValidation accepts strict, soft or off.
func ParseValidation(s string) (Validation, error) {
	switch v := Validation(strings.ToLower(strings.TrimSpace(s))); v {
	case ValidationStrict, ValidationSoft, ValidationOff:
		return v, nil
	}
	return "", fmt.Errorf("invalid validation mode %q (want strict, soft or off)", s)
}

// Validator checks a response against the operation's declared response (mock.Engine does).
type Validator interface {
	ValidateResponse(op *spec.Operation, r *http.Request, status int, header http.Header, body []byte) []problem.Item
}

// Options configure a run. At least one of Mock and Live is set; with both, every case's
// answers are compared.
type Options struct {
	Mock, Live Side
	Validator  Validator // nil: no response validation
	Validation Validation

	// Plugin and Flags are the outer comparison layers: the effective options of a case are
	// compare.Merge(Plugin, plan, case, Flags).
	Plugin, Flags compare.Config

	Concurrency int           // parallel cases; < 1 is 1
	Repeat      int           // runs of each case; < 1 is 1
	Timeout     time.Duration // per request; 0 is none
	FailFast    bool          // stop starting cases after the first failure

	// Noise, when set, is subtracted from every comparison (test run --learn-noise): the
	// differences it removes are reported as suppressed, with why.
	Noise Noise
	// Explain reports the differences the comparison settings suppress too, each with the
	// setting that does (test run --explain; mockloop demo).
	Explain bool

	// Progress, when set, is called after each case run finishes (from any goroutine).
	Progress func()

	// Tag, when set, names the run in the X-Mockloop-Case header the HTTP sides with Tag set
	// send: "<Tag>-<n>" for the n-th case run (1-based, in Report.Cases order), so that a
	// running server's request log can be matched to the cases.
	Tag string

	// clock replaces time.Now in tests that need exact latencies.
	clock func() time.Time
}

func (o *Options) now() time.Time {
	if o.clock != nil {
		return o.clock()
	}
	return time.Now()
}

// HeaderCase is the request header that names the case run a request belongs to (see
// Options.Tag); a running server's request log records it.
const HeaderCase = "X-Mockloop-Case"

// caseID is the X-Mockloop-Case value of the case run at index i, "" without a tag.
func caseID(tag string, i int) string {
	if tag == "" {
		return ""
	}
	return tag + "-" + strconv.Itoa(i+1)
}

// Run sends each case of plan (already bound to its spec) to the sides, checks the answers
// and returns the results in plan order. Cancelling ctx stops starting new cases; the ones not
// finished are reported as skipped and Report.Interrupted is set.
func Run(ctx context.Context, plan *Plan, opts Options) *Report {
	cmps := &comparers{byKey: map[string]*compare.Comparer{}}
	conc := max(opts.Concurrency, 1)
	repeat := max(opts.Repeat, 1)
	started := opts.now()

	type job struct {
		idx  int
		c    *Case
		iter int
	}
	jobs := make([]job, 0, len(plan.Cases)*repeat)
	for iter := 1; iter <= repeat; iter++ {
		for _, c := range plan.Cases {
			jobs = append(jobs, job{len(jobs), c, iter})
		}
	}
	results := make([]CaseResult, len(jobs))
	samples := make([][]Sample, len(jobs))

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var failFast, abort sync.Once
	aborted := "" // why the run stops: a side is unreachable (written once, read after Wait)
	next := make(chan job)
	var wg sync.WaitGroup
	for range min(conc, max(len(jobs), 1)) {
		wg.Go(func() {
			for j := range next {
				res, smp := safeCase(runCtx, plan, j.c, j.iter, repeat, opts, cmps, caseID(opts.Tag, j.idx))
				results[j.idx], samples[j.idx] = res, smp
				if opts.FailFast && res.Outcome == OutcomeFail {
					failFast.Do(cancel)
				}
				if why := res.unreachableSide(); why != "" {
					abort.Do(func() { aborted = why; cancel() })
				}
				if opts.Progress != nil {
					opts.Progress()
				}
			}
		})
	}
	interrupted := false
feed:
	for _, j := range jobs {
		select {
		case next <- j:
		case <-runCtx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		interrupted = true
	}

	rep := &Report{
		Schema:      SchemaVersion,
		Validation:  string(opts.Validation),
		StartedAt:   started.UTC(),
		Interrupted: interrupted,
		Cases:       results,
	}
	if opts.Mock != nil {
		rep.Sides = append(rep.Sides, SideMock)
	}
	if opts.Live != nil {
		rep.Sides = append(rep.Sides, SideLive)
	}
	if opts.Noise != nil {
		sum := opts.Noise.Summary()
		rep.Noise = &sum
		for i := range results {
			for _, sup := range results[i].Suppressed {
				if sup.By == "" {
					rep.Noise.Suppressed++
				}
			}
		}
	}
	var all []Sample
	notRun := 0 // runs skipped because the run aborted
	for i := range results {
		r := &results[i]
		if r.Outcome == "" { // never started
			*r = newResult(jobs[i].c, jobs[i].iter, repeat)
			r.Outcome = OutcomeSkip
		}
		if r.Outcome == OutcomeSkip && r.Reason == "" {
			r.Reason = "fail-fast: an earlier case failed"
			if interrupted {
				r.Reason = "interrupted"
			} else if aborted != "" {
				r.Reason, notRun = "not run: "+aborted, notRun+1
			}
		}
		all = append(all, samples[i]...)
		rep.Summary.add(r)
	}
	if notRun > 0 {
		rep.Aborted = aborted
	}
	rep.Incomplete = rep.Interrupted || rep.Aborted != ""
	rep.Metrics = ComputeMetrics(all)
	rep.DurationMS = ms(opts.now().Sub(started))
	return rep
}

func newResult(c *Case, iter, repeat int) CaseResult {
	r := CaseResult{Name: c.Name, Method: c.RequestMethod()}
	if repeat > 1 {
		r.Iteration = iter
	}
	if c.Op != nil {
		r.Operation = c.Op.Key()
		r.OperationID = c.Op.ID
	}
	r.Path, _ = c.RequestPath()
	return r
}

// placeholderBase is the root requests are built against; sides re-target them.
var placeholderBase = &url.URL{Scheme: "http", Host: "mockloop.test"}

// safeCase is runCase with a panic (in a validator, a comparer, a side) turned into the case's
// failure, naming the operation: one case never takes the run down.
func safeCase(ctx context.Context, plan *Plan, c *Case, iter, repeat int, opts Options, cmps *comparers, id string) (res CaseResult, smp []Sample) {
	defer func() {
		if v := recover(); v != nil {
			res = newResult(c, iter, repeat)
			res.Outcome, res.FailureKind = OutcomeFail, KindError
			res.Failures = []string{fmt.Sprintf("internal error running %s: %v", res.Operation, v)}
			smp = nil
		}
	}()
	return runCase(ctx, plan, c, iter, repeat, opts, cmps, id)
}

func runCase(ctx context.Context, plan *Plan, c *Case, iter, repeat int, opts Options, cmps *comparers, id string) (CaseResult, []Sample) {
	res := newResult(c, iter, repeat)
	start := opts.now()
	var samples []Sample
	answers := map[string]*Response{}
	for _, side := range []Side{opts.Mock, opts.Live} {
		if side == nil {
			continue
		}
		if ctx.Err() != nil {
			res.Outcome = OutcomeSkip
			return res, nil
		}
		sr, resp, smp := callSide(ctx, c, side, opts, id)
		if sr == nil { // cancelled mid-request
			res.Outcome = OutcomeSkip
			return res, nil
		}
		samples = append(samples, smp)
		if side.Name() == SideLive {
			res.Live = sr
		} else {
			res.Mock = sr
		}
		if resp != nil {
			answers[side.Name()] = resp
		}
		res.Failures = append(res.Failures, sr.failures...)
		res.Warnings = append(res.Warnings, sr.warnings...)
		if sr.errored {
			res.FailureKind = KindError
		}
	}
	if m, l := answers[SideMock], answers[SideLive]; m != nil && l != nil {
		cfg := caseComparison(plan, c, opts)
		cmp, err := cmps.get(cfg)
		var diffs []compare.Difference
		if err == nil {
			diffs = cmp.Compare(m.Compared(c.Op), l.Compared(c.Op)).Differences
		}
		if err == nil && len(diffs) > 0 && opts.Noise != nil {
			diffs, res.Suppressed, err = subtractNoise(opts.Noise, res.Operation, cfg, cmps, diffs, m.Compared(c.Op), l.Compared(c.Op))
		}
		if err == nil && opts.Explain {
			res.Suppressed = append(res.Suppressed, explainSettings(cfg, cmps, diffs, res.Suppressed, m.Compared(c.Op), l.Compared(c.Op))...)
		}
		switch {
		case err != nil:
			res.Failures = append(res.Failures, fmt.Sprintf("compare: %v", err))
			res.FailureKind = KindError
		case len(diffs) > 0:
			res.compared = true
			res.Differences = diffs
			res.Failures = append(res.Failures, differenceFailure(len(diffs)))
			res.diffFailure = len(res.Failures)
		default:
			res.compared = true
		}
	}
	res.DurationMS = ms(opts.now().Sub(start))
	res.Outcome = OutcomePass
	if len(res.Failures) > 0 {
		res.Outcome = OutcomeFail
	}
	return res, samples
}

// callSide sends the case to one side and checks its answer. A nil SideResult means the run
// was cancelled while the request was in flight.
func callSide(ctx context.Context, c *Case, side Side, opts Options, id string) (*SideResult, *Response, Sample) {
	name := side.Name()
	sr := &SideResult{}
	smp := Sample{Side: name}
	if c.Op != nil {
		smp.Operation = c.Op.Key()
	}
	req, err := c.NewRequest(placeholderBase)
	if err != nil {
		sr.Error, sr.errored = err.Error(), true
		sr.failures = append(sr.failures, fmt.Sprintf("%s: %v", name, err))
		smp.Failed = true
		return sr, nil, smp
	}
	if hs, ok := side.(*HTTPSide); ok && hs.Tag && id != "" {
		req.Header.Set(HeaderCase, id)
	}
	reqCtx := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		reqCtx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	smp.Start = opts.now()
	resp, err := side.Do(reqCtx, req)
	smp.Latency = opts.now().Sub(smp.Start)
	sr.LatencyMS = ms(smp.Latency)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, smp
		}
		sr.errored = true
		if cause, ok := unreachable(err); ok {
			sr.unreachable = fmt.Sprintf("the %s side is unreachable: %s", name, cause)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", opts.Timeout)
		}
		sr.Error = err.Error()
		sr.failures = append(sr.failures, fmt.Sprintf("%s: request failed: %v", name, err))
		smp.Failed = true
		return sr, nil, smp
	}
	sr.Status = resp.Status
	smp.Failed = resp.Status >= 400
	if cause, ok := gatewayFailure(resp); ok {
		// mockloop's proxy engine answered for an upstream that gave no answer.
		sr.Error, sr.errored = cause, true
		sr.failures = append(sr.failures, fmt.Sprintf("%s: request failed: %s", name, cause))
		return sr, nil, smp
	}
	want, ok := c.Expect.Status, c.Expect.Status != 0
	if !ok {
		want, ok = declared(c)
	}
	switch {
	case ok && resp.Status != want:
		sr.failures = append(sr.failures, fmt.Sprintf("%s: status %d, want %d%s", name, resp.Status, want, problemHint(resp)))
	case !ok && (resp.Status < 200 || resp.Status > 299):
		sr.failures = append(sr.failures, fmt.Sprintf("%s: status %d, want 2xx%s", name, resp.Status, problemHint(resp)))
	}
	if opts.Validator != nil && opts.Validation != ValidationOff && opts.Validation != "" && c.Op != nil {
		sr.Problems = opts.Validator.ValidateResponse(c.Op, req, resp.Status, resp.Header, resp.Body)
		if n := len(sr.Problems); n > 0 {
			msg := fmt.Sprintf("%s: response does not conform to the spec: %s", name, sr.Problems[0])
			if n > 1 {
				msg += fmt.Sprintf(" (and %d more)", n-1)
			}
			if opts.Validation == ValidationStrict {
				sr.failures = append(sr.failures, msg)
			} else {
				sr.warnings = append(sr.warnings, msg)
			}
		}
	}
	return sr, resp, smp
}

// declared is the spec's chosen status when the case does not set one.
func declared(c *Case) (int, bool) {
	if c.Op == nil {
		return 0, false
	}
	return DeclaredStatus(c.Op)
}

// problemHint adds the title or detail of a problem+json answer, so a 400 says why.
func problemHint(resp *Response) string {
	if !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
		return ""
	}
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if err := jsonUnmarshal(resp.Body, &p); err != nil {
		return ""
	}
	if p.Detail != "" {
		return ": " + oneLine(p.Detail)
	}
	if p.Title != "" {
		return ": " + oneLine(p.Title)
	}
	return ""
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

// CaseComparison is the effective comparison configuration of a case under opts: the plugin's,
// the plan's, the case's and the command line's layers merged.
func CaseComparison(plan *Plan, c *Case, opts Options) compare.Config {
	return caseComparison(plan, c, opts)
}

// caseComparison is the effective comparison configuration of a case.
func caseComparison(plan *Plan, c *Case, opts Options) compare.Config {
	layers := []compare.Config{opts.Plugin, plan.Comparison}
	if c.Comparison != nil {
		layers = append(layers, *c.Comparison)
	}
	return compare.Merge(append(layers, opts.Flags)...)
}

// CheckComparisons compiles the comparison configuration of the plan and of every case that
// has its own under opts, so that a bad pattern stops a run before it starts, naming the case.
func CheckComparisons(plan *Plan, opts Options) error {
	if _, err := compare.Compile(compare.Merge(opts.Plugin, plan.Comparison, opts.Flags)); err != nil {
		return fmt.Errorf("comparison options: %w", err)
	}
	for _, c := range plan.Cases {
		if c.Comparison == nil {
			continue
		}
		if _, err := compare.Compile(caseComparison(plan, c, opts)); err != nil {
			return fmt.Errorf("case %q: comparison options: %w", c.Name, err)
		}
	}
	return nil
}

// comparers compiles each distinct configuration of a run once.
type comparers struct {
	mu    sync.Mutex
	byKey map[string]*compare.Comparer
}

func (cs *comparers) get(c compare.Config) (*compare.Comparer, error) {
	key, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cmp, ok := cs.byKey[string(key)]; ok {
		return cmp, nil
	}
	cmp, err := compare.Compile(c)
	if err != nil {
		return nil, err
	}
	cs.byKey[string(key)] = cmp
	return cmp, nil
}
