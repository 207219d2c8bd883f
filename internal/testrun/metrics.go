package testrun

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mockloop/mockloop/internal/latency"
)

// The metric groups of a run's figures: the names `test run --metrics` and MCP's
// get_performance_metrics accept (see MetricGroups for their synonyms).
const (
	MetricResponseTime = "response_time"
	MetricThroughput   = "throughput"
	MetricErrorRate    = "error_rate"
	MetricCount        = "count"
)

// MetricGroup is one group of the figures in Stats, by the name users give it.
type MetricGroup struct {
	Name string
	// Synonyms are accepted for Name (MCP clients written for the original guide say latency).
	Synonyms []string
	// Fields are the JSON fields of Stats the group is made of.
	Fields []string
}

// MetricGroups is every metric group in display order: the one table the command line and MCP
// read.
var MetricGroups = []MetricGroup{
	{Name: MetricResponseTime, Synonyms: []string{"latency"}, Fields: []string{"min_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms"}},
	{Name: MetricThroughput, Fields: []string{"throughput_rps"}},
	{Name: MetricErrorRate, Fields: []string{"error_rate", "errors"}},
	{Name: MetricCount, Fields: []string{"count"}},
}

// MetricNames are the groups' names in display order.
func MetricNames() []string {
	names := make([]string, len(MetricGroups))
	for i, g := range MetricGroups {
		names[i] = g.Name
	}
	return names
}

// ParseMetric returns the group called name or one of its synonyms (case-insensitive,
// surrounding space ignored).
func ParseMetric(name string) (MetricGroup, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, g := range MetricGroups {
		if n == g.Name || slices.Contains(g.Synonyms, n) {
			return g, nil
		}
	}
	var want []string
	for _, g := range MetricGroups {
		w := g.Name
		if len(g.Synonyms) > 0 {
			w += " (or " + strings.Join(g.Synonyms, ", ") + ")"
		}
		want = append(want, w)
	}
	return MetricGroup{}, fmt.Errorf("unknown metric %q (want %s)", name, strings.Join(want, ", "))
}

// Metrics are a run's performance figures: per operation and side, and per side overall.
type Metrics struct {
	// Operations are in the order operations first appear in the run.
	Operations []OperationMetrics `json:"operations"`
	// Mock and Live are the totals of each side over the whole run (nil when the side was
	// not used).
	Mock *Stats `json:"mock,omitempty"`
	Live *Stats `json:"live,omitempty"`
}

// OperationMetrics are one operation's figures on each side.
type OperationMetrics struct {
	Operation string `json:"operation"` // "METHOD /path/template"
	Mock      *Stats `json:"mock,omitempty"`
	Live      *Stats `json:"live,omitempty"`
	// LatencyRatio is the live median latency over the mock median (0 when either is
	// missing): 40 means live is forty times slower than the mock.
	LatencyRatio float64 `json:"latency_ratio,omitempty"`
}

// Stats summarise a set of requests. Latencies are in milliseconds. The percentiles come from
// Histogram (the upper bound of the bucket holding the nearest-rank latency, never above
// MaxMS), so that the Stats of runs done apart merge exactly (MergeStats).
type Stats struct {
	Count int `json:"count"`
	// Errors counts requests that failed (no answer) or were answered with a status >= 400.
	Errors    int     `json:"errors"`
	ErrorRate float64 `json:"error_rate"` // Errors / Count
	MinMS     float64 `json:"min_ms"`
	P50MS     float64 `json:"p50_ms"`
	P95MS     float64 `json:"p95_ms"`
	P99MS     float64 `json:"p99_ms"`
	MaxMS     float64 `json:"max_ms"`
	// Throughput is requests per second over the span from the first request's start to the
	// last one's end.
	Throughput float64 `json:"throughput_rps"`
	// Start and End are the first request's start and the last one's end.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Histogram counts the latencies in the buckets of package latency: [[bucket, count], ...].
	Histogram latency.Counts `json:"histogram,omitempty"`
}

// Sample is one request's timing, as the runner records it.
type Sample struct {
	Operation string
	Side      string
	Start     time.Time
	Latency   time.Duration
	Failed    bool
}

// ComputeMetrics aggregates samples.
func ComputeMetrics(samples []Sample) *Metrics {
	type key struct{ op, side string }
	groups := map[key][]Sample{}
	var order []string
	seen := map[string]bool{}
	sides := map[string][]Sample{}
	for _, s := range samples {
		if !seen[s.Operation] {
			seen[s.Operation] = true
			order = append(order, s.Operation)
		}
		k := key{s.Operation, s.Side}
		groups[k] = append(groups[k], s)
		sides[s.Side] = append(sides[s.Side], s)
	}
	m := &Metrics{Operations: []OperationMetrics{}}
	for _, op := range order {
		om := OperationMetrics{Operation: op}
		if g := groups[key{op, SideMock}]; len(g) > 0 {
			om.Mock = stats(g)
		}
		if g := groups[key{op, SideLive}]; len(g) > 0 {
			om.Live = stats(g)
		}
		if om.Mock != nil && om.Live != nil && om.Mock.P50MS > 0 {
			om.LatencyRatio = round3(om.Live.P50MS / om.Mock.P50MS)
		}
		m.Operations = append(m.Operations, om)
	}
	if g := sides[SideMock]; len(g) > 0 {
		m.Mock = stats(g)
	}
	if g := sides[SideLive]; len(g) > 0 {
		m.Live = stats(g)
	}
	return m
}

func stats(g []Sample) *Stats {
	st := &Stats{Count: len(g), Histogram: latency.Counts{}}
	lo, hi := g[0].Latency, g[0].Latency
	st.Start, st.End = g[0].Start, g[0].Start.Add(g[0].Latency)
	for _, s := range g {
		st.Histogram.Add(s.Latency)
		lo, hi = min(lo, s.Latency), max(hi, s.Latency)
		if s.Failed {
			st.Errors++
		}
		if s.Start.Before(st.Start) {
			st.Start = s.Start
		}
		if end := s.Start.Add(s.Latency); end.After(st.End) {
			st.End = end
		}
	}
	st.MinMS = round3(float64(lo) / float64(time.Millisecond))
	st.MaxMS = round3(float64(hi) / float64(time.Millisecond))
	st.Start, st.End = st.Start.UTC(), st.End.UTC()
	st.finish()
	return st
}

// finish computes what follows from the counts, the extremes, the span and the histogram:
// the error rate, the percentiles and the throughput.
func (st *Stats) finish() {
	st.ErrorRate = 0
	if st.Count > 0 {
		st.ErrorRate = round3(float64(st.Errors) / float64(st.Count))
	}
	pct := func(q float64) float64 {
		return min(round3(float64(st.Histogram.Quantile(q))/float64(time.Millisecond)), st.MaxMS)
	}
	st.P50MS, st.P95MS, st.P99MS = pct(0.50), pct(0.95), pct(0.99)
	st.Throughput = 0
	if span := st.End.Sub(st.Start); span > 0 {
		st.Throughput = round3(float64(st.Count) / span.Seconds())
	}
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
