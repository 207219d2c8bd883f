package testrun

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestComputeMetrics(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var samples []Sample
	for i := range 10 {
		samples = append(samples,
			Sample{Operation: "GET /a", Side: SideMock, Start: t0.Add(time.Duration(i) * 100 * time.Millisecond), Latency: time.Duration(i+1) * time.Millisecond},
			Sample{Operation: "GET /a", Side: SideLive, Start: t0.Add(time.Duration(i) * 100 * time.Millisecond), Latency: time.Duration(i+1) * 10 * time.Millisecond, Failed: i < 2},
		)
	}
	samples = append(samples, Sample{Operation: "GET /b", Side: SideMock, Start: t0, Latency: 4 * time.Millisecond})
	m := ComputeMetrics(samples)
	if len(m.Operations) != 2 || m.Operations[0].Operation != "GET /a" || m.Operations[1].Operation != "GET /b" {
		t.Fatalf("operations = %+v", m.Operations)
	}
	a := m.Operations[0]
	// p50 is the upper bound of the bucket of 5 ms (5.12 ms); p95 and p99 are clamped to the
	// maximum.
	want := Stats{Count: 10, Errors: 0, ErrorRate: 0, MinMS: 1, P50MS: 5.12, P95MS: 10, P99MS: 10, MaxMS: 10, Throughput: 10.989,
		Start: t0, End: t0.Add(910 * time.Millisecond)}
	got := *a.Mock
	if got.Histogram.Total() != 10 {
		t.Errorf("histogram %v holds %d latencies, want 10", got.Histogram, got.Histogram.Total())
	}
	got.Histogram = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mock stats = %+v, want %+v", got, want)
	}
	if a.Live.Errors != 2 || a.Live.ErrorRate != 0.2 || a.Live.P50MS != 53.248 || a.Live.MaxMS != 100 {
		t.Errorf("live stats = %+v", *a.Live)
	}
	if a.LatencyRatio != 10.4 { // 53.248 / 5.12: both medians are bucket bounds
		t.Errorf("ratio = %v, want 10.4", a.LatencyRatio)
	}
	b := m.Operations[1]
	if b.Live != nil || b.LatencyRatio != 0 || b.Mock.Count != 1 || b.Mock.Throughput != 250 {
		t.Errorf("GET /b = %+v mock %+v", b, b.Mock)
	}
	if m.Mock.Count != 11 || m.Live.Count != 10 {
		t.Errorf("totals mock %d live %d", m.Mock.Count, m.Live.Count)
	}
}

func TestParseMetric(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"response_time", MetricResponseTime, true},
		{" Latency ", MetricResponseTime, true},
		{"throughput", MetricThroughput, true},
		{"error_rate", MetricErrorRate, true},
		{"count", MetricCount, true},
		{"speed", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			g, err := ParseMetric(tt.in)
			if g.Name != tt.want || (err == nil) != tt.ok {
				t.Errorf("ParseMetric(%q) = %q, %v", tt.in, g.Name, err)
			}
		})
	}
	// Every field a group names is a field of Stats' JSON form.
	data, _ := json.Marshal(Stats{})
	for _, g := range MetricGroups {
		for _, f := range g.Fields {
			if !strings.Contains(string(data), `"`+f+`":`) {
				t.Errorf("group %s: %q is not a Stats field (%s)", g.Name, f, data)
			}
		}
	}
}
