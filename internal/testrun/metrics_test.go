package testrun

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	tests := []struct {
		name   string
		values []float64
		p      float64
		want   float64
	}{
		{"empty", nil, 50, 0},
		{"one", []float64{7}, 99, 7},
		{"p50 of 100", hundred, 50, 50},
		{"p95 of 100", hundred, 95, 95},
		{"p99 of 100", hundred, 99, 99},
		{"p100", hundred, 100, 100},
		{"p50 of 4", []float64{1, 2, 3, 4}, 50, 2},
		{"p99 of 4", []float64{1, 2, 3, 4}, 99, 4},
		{"tiny p", []float64{1, 2, 3}, 0.1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.values, tt.p); got != tt.want {
				t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

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
	want := Stats{Count: 10, Errors: 0, ErrorRate: 0, MinMS: 1, P50MS: 5, P95MS: 10, P99MS: 10, MaxMS: 10, Throughput: 10.989}
	if *a.Mock != want {
		t.Errorf("mock stats = %+v, want %+v", *a.Mock, want)
	}
	if a.Live.Errors != 2 || a.Live.ErrorRate != 0.2 || a.Live.P50MS != 50 || a.Live.MaxMS != 100 {
		t.Errorf("live stats = %+v", *a.Live)
	}
	if a.LatencyRatio != 10 {
		t.Errorf("ratio = %v, want 10", a.LatencyRatio)
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
