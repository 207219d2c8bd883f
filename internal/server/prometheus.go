package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mockloop/mockloop/internal/latency"
)

// The Prometheus view of the server's metrics, written with prometheus/client_golang: a
// collector reads the counters the server keeps anyway when it is scraped, so serving costs
// nothing more for it.
var (
	promRequests = prometheus.NewDesc("mockloop_requests_total",
		"Requests answered, by operation (METHOD /template, or other), side (mock or live) and status class.",
		[]string{"operation", "side", "class"}, nil)
	promDuration = prometheus.NewDesc("mockloop_request_duration_seconds",
		"Time from a request's arrival to its answer, by operation.",
		[]string{"operation"}, nil)
	promViolations = prometheus.NewDesc("mockloop_response_violations_total",
		"Ways live answers violated the spec (with response validation on), by operation.",
		[]string{"operation"}, nil)
	promFallbacks = prometheus.NewDesc("mockloop_fallbacks_total",
		"Requests the mock answered because the live call failed, by operation.",
		[]string{"operation"}, nil)
	promUptime = prometheus.NewDesc("mockloop_uptime_seconds", "Seconds since the server started.", nil, nil)
)

// promBounds are the histogram's upper bounds exported to Prometheus: every doubling from 1µs
// (1µs, 2µs, 4µs, ... about 18 minutes), which are edges of the internal buckets, so the
// cumulative counts are exact.
var promBounds = func() []int {
	var bs []int
	for b := 0; b < latency.Buckets; b += latency.PerDoubling {
		bs = append(bs, b)
	}
	return bs
}()

// collector is a prometheus.Collector over a Server.
type collector struct{ s *Server }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{promRequests, promDuration, promViolations, promFallbacks, promUptime} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	sides := [2]string{"mock", "live"}
	c.s.metrics.each(func(key, _ string, om *opMetrics) {
		for s, side := range sides {
			for cl, class := range classNames {
				if n := om.by[s][cl].Load(); n > 0 {
					ch <- prometheus.MustNewConstMetric(promRequests, prometheus.CounterValue, float64(n), key, side, class)
				}
			}
		}
		if h := om.hist.Load(); h != nil {
			counts := h.Counts() // one reading for the buckets and the sum
			count, buckets := cumulative(counts, promBounds)
			if count > 0 {
				ch <- prometheus.MustNewConstHistogram(promDuration, count, sumSeconds(counts), buckets, key)
			}
		}
		if n := om.violations.Load(); n > 0 {
			ch <- prometheus.MustNewConstMetric(promViolations, prometheus.CounterValue, float64(n), key)
		}
		if n := om.fallbacks.Load(); n > 0 {
			ch <- prometheus.MustNewConstMetric(promFallbacks, prometheus.CounterValue, float64(n), key)
		}
	})
	ch <- prometheus.MustNewConstMetric(promUptime, prometheus.GaugeValue, time.Since(c.s.started).Seconds())
}

// cumulative is the total count of a histogram reading and, for each bound (a bucket index),
// the count of observations at most its upper edge, keyed by that edge in seconds.
func cumulative(c latency.Counts, bounds []int) (uint64, map[float64]uint64) {
	out := make(map[float64]uint64, len(bounds))
	var seen uint64
	next := 0
	for b := 0; b < latency.Buckets; b++ {
		seen += uint64(c[b])
		if next < len(bounds) && b == bounds[next] {
			out[latency.Upper(b).Seconds()] = seen
			next++
		}
	}
	return seen, out
}

// sumSeconds estimates the sum of the observations from the buckets' upper edges (the
// histogram keeps counts, not values): an overestimate by at most one bucket's width (12.5%).
func sumSeconds(c latency.Counts) float64 {
	var sum float64
	for b, n := range c {
		sum += float64(n) * latency.Upper(b).Seconds()
	}
	return sum
}

// liveCollector exports Config.LiveCounters. It describes nothing (an unchecked collector):
// the counters are the live side's to name.
type liveCollector struct{ s *Server }

func (c liveCollector) Describe(chan<- *prometheus.Desc) {}

func (c liveCollector) Collect(ch chan<- prometheus.Metric) {
	if c.s.cfg.LiveCounters == nil {
		return
	}
	for _, lc := range c.s.cfg.LiveCounters() {
		d := prometheus.NewDesc("mockloop_live_"+lc.Name+"_total", lc.Help, nil, nil)
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(lc.Value))
	}
}

// prometheusHandler serves the metrics in the Prometheus text (or OpenMetrics) format.
func (s *Server) prometheusHandler() http.Handler {
	s.promOnce.Do(func() {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collector{s}, liveCollector{s})
		s.prom = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	})
	return s.prom
}

// wantsPrometheus reports whether an Accept header asks for the Prometheus text format or
// OpenMetrics rather than JSON (what Prometheus's scraper sends).
func wantsPrometheus(accept string) bool {
	return strings.Contains(accept, "text/plain") || strings.Contains(accept, "application/openmetrics-text")
}
