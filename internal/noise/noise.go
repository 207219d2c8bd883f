// Package noise learns what differs between two answers of the live API to the same request,
// as Twitter's Diffy does: it sends each case of a plan several times to the live side (and to
// a second live instance), compares the answers with each other location by location, and
// classifies every location that changed: a value that changes on every answer (a uuid, a
// timestamp, an opaque token, a counter) is to be ignored; a number that jitters gets a
// tolerance; an array whose order changes is matched by a key or as a multiset; a field that
// is sometimes absent may be absent. The result is a comparison layer per operation that test
// run subtracts (testrun.Noise), and suggestions a plugin's comparison block can take.
//
// Locations are those of the comparison engine (package compare), with array indexes as [*].
package noise

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/testrun"
)

// SafeMethods are the methods learning sends by default: sending them again changes nothing.
var SafeMethods = []string{http.MethodGet, http.MethodHead, http.MethodOptions}

// DefaultSamples is how many answers of each live side a case gets by default.
const DefaultSamples = 3

// Options configure learning.
type Options struct {
	// Samples is how many times each case is sent to each live side; < 2 is DefaultSamples.
	Samples int
	// Live2 is a second live instance (Diffy's secondary): its answers are compared with the
	// first side's too, so differences between instances are learned as noise. nil for none.
	Live2 testrun.Side
	// Methods are the methods whose cases are sent (upper case); empty is SafeMethods.
	Methods []string
	// Concurrency is how many cases are learned at once (each case's samples go one after the
	// other, so that counters are seen in order); < 1 is 1.
	Concurrency int
	// Timeout bounds each request; 0 is none.
	Timeout time.Duration
	// Progress, when set, is called after each case is learned.
	Progress func()
}

// Finding is what a location that changed between answers is.
type Finding string

// Findings.
const (
	FindingValue    Finding = "value"    // the value changes: ignore it
	FindingJitter   Finding = "jitter"   // a number moves a little: a tolerance
	FindingOrder    Finding = "order"    // an array's order changes: match by key, or as a multiset
	FindingPresence Finding = "presence" // the field is sometimes absent: ignore its absence
	FindingHeader   Finding = "header"   // a response header changes: ignore it
	FindingStatus   Finding = "status"   // the status changes: nothing to subtract
	FindingText     Finding = "text"     // a body that is not JSON changes: nothing to subtract
)

// Location is one location of an operation's answers that is not stable.
type Location struct {
	// Location is a JSONPath with [*] for array elements, "header NAME", "status", or "line
	// N" / "body" for bodies that are not JSON.
	Location string  `json:"location"`
	Finding  Finding `json:"finding"`
	// Shape is the kind of value seen changing: uuid, date-time, unix-time, token, counter,
	// number, boolean, text, type (the JSON type changes), or empty.
	Shape string `json:"shape,omitempty"`
	// MaxRelative is the largest relative difference seen (jitter).
	MaxRelative float64 `json:"max_relative,omitempty"`
	// Key is the field that identifies an array's elements (order), when one does.
	Key string `json:"key,omitempty"`
	// Count is how many comparisons of two answers saw the location differ.
	Count int `json:"count"`
	// Why says it in a few words: "changes on every answer (uuid)".
	Why string `json:"why"`
	// Suggest is what subtracts it from a comparison; empty when nothing can.
	Suggest compare.Config `json:"suggest,omitzero"`
}

// Operation is what was learned about one operation's answers.
type Operation struct {
	Operation string   `json:"operation"` // "METHOD /path/template"
	Cases     []string `json:"cases"`
	// Answers is how many live answers were compared (all cases, all sides).
	Answers int `json:"answers"`
	// Stable is how many locations of the answers never changed.
	Stable    int        `json:"stable"`
	Locations []Location `json:"locations"`
}

// Skip is a case that was not learned from, and why.
type Skip struct {
	Case      string `json:"case"`
	Operation string `json:"operation,omitempty"`
	Reason    string `json:"reason"`
}

// Model is what learning found: per operation the unstable locations and the layer that
// subtracts them. It implements testrun.Noise and is safe for concurrent use once learned.
type Model struct {
	Samples    int         `json:"samples"`
	Live2      bool        `json:"live2"`
	Operations []Operation `json:"operations"`
	Skipped    []Skip      `json:"skipped,omitempty"`

	layers map[string]compare.Config
}

// Learn sends the plan's cases (those of Options.Methods) Samples times to the prepared run's
// live side, and to Options.Live2, and learns the noise of their answers. The comparison
// settings of each case (plugin, plan, case, command line) are taken as they are: what they
// already ignore is not noise. A case whose requests fail is skipped, with why; no live side,
// or no case to send, is an error.
func Learn(ctx context.Context, pr *testrun.Prepared, opts Options) (*Model, error) {
	live := pr.Options.Live
	if live == nil {
		return nil, errors.New("learn noise: no live side: give --live URL or a plugin with a target_url")
	}
	if opts.Samples < 2 {
		opts.Samples = DefaultSamples
	}
	methods := opts.Methods
	if len(methods) == 0 {
		methods = SafeMethods
	}
	m := &Model{Samples: opts.Samples, Live2: opts.Live2 != nil, layers: map[string]compare.Config{}}
	var todo []*testrun.Case
	for _, c := range pr.Plan.Cases {
		if !slices.Contains(methods, c.RequestMethod()) {
			m.Skipped = append(m.Skipped, Skip{Case: c.Name, Operation: opKey(c),
				Reason: fmt.Sprintf("%s is not sent (only %s; see --methods)", c.RequestMethod(), strings.Join(methods, ", "))})
			continue
		}
		todo = append(todo, c)
	}
	if len(todo) == 0 {
		return nil, fmt.Errorf("learn noise: no case with method %s to send", strings.Join(methods, ", "))
	}

	results := make([]*caseNoise, len(todo))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(max(opts.Concurrency, 1), len(todo)) {
		wg.Go(func() {
			for i := range next {
				results[i] = learnCase(ctx, pr, todo[i], live, opts)
				if opts.Progress != nil {
					opts.Progress()
				}
			}
		})
	}
feed:
	for i := range todo {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("learn noise: %w", err)
	}

	byOp := map[string]*opNoise{}
	var order []string
	for i, r := range results {
		c := todo[i]
		if r.skip != "" {
			m.Skipped = append(m.Skipped, Skip{Case: c.Name, Operation: opKey(c), Reason: r.skip})
			continue
		}
		op := opKey(c)
		o := byOp[op]
		if o == nil {
			o = newOpNoise(op)
			byOp[op] = o
			order = append(order, op)
		}
		o.add(c.Name, r)
	}
	slices.Sort(order)
	for _, op := range order {
		o := byOp[op].finish()
		m.Operations = append(m.Operations, o)
		var layer compare.Config
		for _, l := range o.Locations {
			layer = compare.Merge(layer, l.Suggest)
		}
		m.layers[op] = layer
	}
	return m, nil
}

func opKey(c *testrun.Case) string {
	if c.Op != nil {
		return c.Op.Key()
	}
	return c.RequestMethod() + " " + c.Path
}

// Layer is the comparison layer that subtracts operation's noise (testrun.Noise).
func (m *Model) Layer(operation string) compare.Config { return m.layers[operation] }

// Why says why d, a difference of operation that Layer removes, is noise: the finding at its
// location (indexes as [*]), or at the array it is in.
func (m *Model) Why(operation string, d compare.Difference) string {
	for _, o := range m.Operations {
		if o.Operation != operation {
			continue
		}
		if l := o.find(d.Location); l != nil {
			return "learned noise: " + l.Location + " " + l.Why
		}
	}
	return "learned noise"
}

// find is the finding at loc or, for a location inside an array whose order changes, at that
// array: the most specific one.
func (o *Operation) find(loc string) *Location {
	w := compare.Wildcard(loc)
	var best *Location
	for i := range o.Locations {
		l := &o.Locations[i]
		switch {
		case l.Location == w:
			return l
		case l.Finding == FindingOrder && strings.HasPrefix(w, l.Location+"[") && (best == nil || len(l.Location) > len(best.Location)):
			best = l
		}
	}
	return best
}

// Summary is what was learned, for the report (testrun.Noise).
func (m *Model) Summary() testrun.NoiseSummary {
	return testrun.NoiseSummary{Samples: m.Samples, Learned: m.Suggestions()}
}

// Suggestions is every operation's layer merged, the largest tolerance where two operations
// learned one at the same path: what a plugin's comparison block would take.
func (m *Model) Suggestions() compare.Config {
	var out compare.Config
	for _, o := range m.Operations {
		layer := compare.Merge(m.layers[o.Operation]) // a copy: the model keeps its own
		for p, t := range layer.Tolerance.Paths {
			if have, ok := out.Tolerance.Paths[p]; ok && have > t {
				layer.Tolerance.Paths[p] = have
			}
		}
		out = compare.Merge(out, layer)
	}
	return out
}

// Added is what merging made after have that before did not have: the list entries, map keys
// and values it added (a key before already had is kept as it was, so it is not added).
func Added(before, after compare.Config) compare.Config {
	var out compare.Config
	for _, l := range []struct {
		dst      *[]string
		old, new []string
	}{
		{&out.IgnoreFields, before.IgnoreFields, after.IgnoreFields},
		{&out.IgnoreHeaders, before.IgnoreHeaders, after.IgnoreHeaders},
		{&out.IncludeHeaders, before.IncludeHeaders, after.IncludeHeaders},
		{&out.UnorderedArrays, before.UnorderedArrays, after.UnorderedArrays},
		{&out.IgnoreAbsence, before.IgnoreAbsence, after.IgnoreAbsence},
	} {
		for _, v := range l.new {
			if !slices.Contains(l.old, v) {
				*l.dst = append(*l.dst, v)
			}
		}
	}
	for p, t := range after.Tolerance.Paths {
		if _, ok := before.Tolerance.Paths[p]; !ok {
			if out.Tolerance.Paths == nil {
				out.Tolerance.Paths = map[string]float64{}
			}
			out.Tolerance.Paths[p] = t
		}
	}
	for p, k := range after.ArrayKeys {
		if _, ok := before.ArrayKeys[p]; !ok {
			if out.ArrayKeys == nil {
				out.ArrayKeys = map[string]string{}
			}
			out.ArrayKeys[p] = k
		}
	}
	return out
}
