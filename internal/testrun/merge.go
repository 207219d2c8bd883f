package testrun

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mockloop/mockloop/internal/latency"
)

// Merge combines the JSON reports of the runs of one plan split with --shard i/n (or of runs
// with no shard, concatenated in the order given) into the report one run of them all would
// have written: the cases in plan order, the summary counted again, the metrics merged exactly
// (counts, errors, extremes and latency histograms add up; percentiles and rates are computed
// from the sums). names name the reports in errors.
//
// The reports must agree on spec, plugin, mode, sides and validation; shards must all be of
// the same n, each given once, none missing.
func Merge(names []string, reps []*Report) (*Report, error) {
	if len(reps) == 0 {
		return nil, fmt.Errorf("report merge: no reports")
	}
	if len(names) != len(reps) {
		return nil, fmt.Errorf("report merge: %d names for %d reports", len(names), len(reps))
	}
	first := reps[0]
	for i, r := range reps {
		if r.Schema != SchemaVersion {
			return nil, fmt.Errorf("report merge: %s: schema %q, want %q (a mockloop test run -o json report)", names[i], r.Schema, SchemaVersion)
		}
		for _, f := range []struct{ what, a, b string }{
			{"spec", first.Spec, r.Spec}, {"plugin", first.Plugin, r.Plugin}, {"mode", first.Mode, r.Mode},
			{"sides", strings.Join(first.Sides, ","), strings.Join(r.Sides, ",")}, {"validation", first.Validation, r.Validation},
		} {
			if f.a != f.b {
				return nil, fmt.Errorf("report merge: %s has %s %q, %s has %q: not parts of one run", names[i], f.what, f.b, names[0], f.a)
			}
		}
		if r.Metrics != nil {
			if err := r.Metrics.checkHistograms(); err != nil {
				return nil, fmt.Errorf("report merge: %s: %w", names[i], err)
			}
		}
	}
	order, err := shardOrder(names, reps)
	if err != nil {
		return nil, err
	}

	out := &Report{
		Schema: SchemaVersion, Spec: first.Spec, Plugin: first.Plugin, Mode: first.Mode,
		Sides: slices.Clone(first.Sides), Validation: first.Validation, Cases: []CaseResult{},
	}
	var end time.Time
	for i, r := range reps {
		if i == 0 || r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		if e := r.StartedAt.Add(time.Duration(r.DurationMS * float64(time.Millisecond))); e.After(end) {
			end = e
		}
		out.Interrupted = out.Interrupted || r.Interrupted
		out.Incomplete = out.Incomplete || r.Incomplete || r.Interrupted || r.Aborted != ""
		if out.Aborted == "" {
			out.Aborted = r.Aborted // the first shard's reason: the others' read the same
		}
	}
	out.DurationMS = ms(end.Sub(out.StartedAt))
	out.Cases = interleave(reps, order)
	for i := range out.Cases {
		out.Summary.add(&out.Cases[i])
	}
	out.Metrics = mergeMetrics(reps, out.Cases)
	out.Baseline = mergeBaseline(reps)
	out.Noise = mergeNoise(reps)
	return out, nil
}

// shardOrder is the order in which the reports' cases interleave: by shard index when every
// report is a shard of the same n and together they are all of them; the order given when no
// report is a shard.
func shardOrder(names []string, reps []*Report) ([]int, error) {
	order := make([]int, len(reps))
	sharded := 0
	count := 0
	for i, r := range reps {
		order[i] = i
		if r.Shard == "" {
			continue
		}
		sh, err := ParseShard(r.Shard)
		if err != nil {
			return nil, fmt.Errorf("report merge: %s: %w", names[i], err)
		}
		if count != 0 && sh.Count != count {
			return nil, fmt.Errorf("report merge: %s is shard %s, %s of %d shards", names[i], r.Shard, names[slices.IndexFunc(reps, func(r *Report) bool { return r.Shard != "" })], count)
		}
		count = sh.Count
		sharded++
	}
	switch {
	case sharded == 0:
		return order, nil
	case sharded < len(reps):
		return nil, fmt.Errorf("report merge: some reports are shards and some are not")
	}
	byIndex := make([]int, count)
	for k := range byIndex {
		byIndex[k] = -1
	}
	for i, r := range reps {
		sh, _ := ParseShard(r.Shard)
		if j := byIndex[sh.Index-1]; j >= 0 {
			return nil, fmt.Errorf("report merge: shard %s given twice: %s and %s", r.Shard, names[j], names[i])
		}
		byIndex[sh.Index-1] = i
	}
	var missing []string
	for k, i := range byIndex {
		if i < 0 {
			missing = append(missing, fmt.Sprintf("%d/%d", k+1, count))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("report merge: shard %s missing: merge every shard of the run", strings.Join(missing, ", "))
	}
	return byIndex, nil
}

func latencyCopy(s *Stats) latency.Counts {
	c := make(latency.Counts, len(s.Histogram))
	c.Merge(s.Histogram)
	return c
}

// interleave puts the cases back in plan order. Case k of a plan runs in shard k mod n + 1 at
// position k div n, and repeated runs follow each other by iteration, so taking one case from
// each shard in turn, iteration by iteration, restores the order of the unsharded run.
func interleave(reps []*Report, order []int) []CaseResult {
	if len(order) == 1 || reps[order[0]].Shard == "" {
		var out []CaseResult
		for _, i := range order {
			out = append(out, reps[i].Cases...)
		}
		return out
	}
	type run struct {
		iter  int
		cases []CaseResult
	}
	groups := make([][]run, len(order)) // per shard, per iteration in order
	iters := []int{}
	for s, i := range order {
		for _, c := range reps[i].Cases {
			g := groups[s]
			if len(g) == 0 || g[len(g)-1].iter != c.Iteration {
				groups[s] = append(g, run{iter: c.Iteration})
				if !slices.Contains(iters, c.Iteration) {
					iters = append(iters, c.Iteration)
				}
			}
			last := &groups[s][len(groups[s])-1]
			last.cases = append(last.cases, c)
		}
	}
	var out []CaseResult
	for _, it := range iters {
		var parts [][]CaseResult
		for s := range groups {
			for _, g := range groups[s] {
				if g.iter == it {
					parts = append(parts, g.cases)
				}
			}
		}
		for k := 0; ; k++ {
			took := false
			for _, p := range parts {
				if k < len(p) {
					out = append(out, p[k])
					took = true
				}
			}
			if !took {
				break
			}
		}
	}
	return out
}

// checkHistograms makes sure every Stats carries the histogram its percentiles merge from.
func (m *Metrics) checkHistograms() error {
	check := func(what string, s *Stats) error {
		if s != nil && s.Count > 0 && s.Histogram.Total() != int64(s.Count) {
			return fmt.Errorf("metrics of %s: the latency histogram holds %d latencies for %d requests (a report without histograms cannot be merged exactly)", what, s.Histogram.Total(), s.Count)
		}
		return nil
	}
	for _, o := range m.Operations {
		if err := check(o.Operation, o.Mock); err != nil {
			return err
		}
		if err := check(o.Operation, o.Live); err != nil {
			return err
		}
	}
	if err := check("the mock side", m.Mock); err != nil {
		return err
	}
	return check("the live side", m.Live)
}

// mergeMetrics merges the reports' metrics; operations in the order they first appear in the
// merged cases, as ComputeMetrics orders them, then any others in report order.
func mergeMetrics(reps []*Report, cases []CaseResult) *Metrics {
	byOp := map[string]*OperationMetrics{}
	var seen []string
	out := &Metrics{Operations: []OperationMetrics{}}
	found := false
	for _, r := range reps {
		if r.Metrics == nil {
			continue
		}
		found = true
		for _, o := range r.Metrics.Operations {
			m := byOp[o.Operation]
			if m == nil {
				m = &OperationMetrics{Operation: o.Operation}
				byOp[o.Operation] = m
				seen = append(seen, o.Operation)
			}
			m.Mock, m.Live = MergeStats(m.Mock, o.Mock), MergeStats(m.Live, o.Live)
		}
		out.Mock, out.Live = MergeStats(out.Mock, r.Metrics.Mock), MergeStats(out.Live, r.Metrics.Live)
	}
	if !found {
		return nil
	}
	var order []string
	for _, c := range cases {
		if byOp[c.Operation] != nil && !slices.Contains(order, c.Operation) {
			order = append(order, c.Operation)
		}
	}
	for _, op := range seen {
		if !slices.Contains(order, op) {
			order = append(order, op)
		}
	}
	for _, op := range order {
		m := byOp[op]
		if m.Mock != nil && m.Live != nil && m.Mock.P50MS > 0 {
			m.LatencyRatio = round3(m.Live.P50MS / m.Mock.P50MS)
		}
		out.Operations = append(out.Operations, *m)
	}
	return out
}

// MergeStats is the Stats of the requests of a and b together (either may be nil): counts,
// errors and histograms add up, the extremes and the span widen, and the rates and
// percentiles follow from those, exactly as if one run had measured them all.
func MergeStats(a, b *Stats) *Stats {
	switch {
	case a == nil && b == nil:
		return nil
	case a == nil:
		a, b = b, nil
	}
	out := *a
	out.Histogram = latencyCopy(a)
	if b != nil {
		out.Count += b.Count
		out.Errors += b.Errors
		out.MinMS = min(out.MinMS, b.MinMS)
		out.MaxMS = max(out.MaxMS, b.MaxMS)
		if out.Start.IsZero() || (!b.Start.IsZero() && b.Start.Before(out.Start)) {
			out.Start = b.Start
		}
		if b.End.After(out.End) {
			out.End = b.End
		}
		out.Histogram.Merge(b.Histogram)
	}
	out.finish()
	return &out
}
