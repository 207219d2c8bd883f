package route

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
)

func pct(v float64) *float64 { return &v }

func TestRulesPercentSplit(t *testing.T) {
	tests := []struct {
		name    string
		rule    plugin.RouteRule
		header  string // X-User-Id values: "" sends none
		n       int
		minLive int // requests expected on proxy, at least and at most
		maxLive int
	}{
		{"10 percent at random", plugin.RouteRule{Pattern: "/**", Mode: plugin.ModeProxy, Percent: pct(10)}, "", 4000, 280, 520},
		{"weight is percent", plugin.RouteRule{Pattern: "/**", Mode: plugin.ModeProxy, Weight: pct(50)}, "", 4000, 1700, 2300},
		{"100 percent is all", plugin.RouteRule{Pattern: "/**", Mode: plugin.ModeProxy, Percent: pct(100)}, "", 500, 500, 500},
		{"a mock rule sends the rest live", plugin.RouteRule{Pattern: "/**", Mode: plugin.ModeMock, Percent: pct(25)}, "", 4000, 2700, 3300},
		{"by key, every user", plugin.RouteRule{Pattern: "/**", Mode: plugin.ModeProxy, Percent: pct(30), Key: "x-user-id"}, "many", 4000, 1000, 1400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Compile([]plugin.RouteRule{tt.rule}, plugin.ModeMock, false)
			if err != nil {
				t.Fatal(err)
			}
			live := 0
			for i := range tt.n {
				r := httptest.NewRequest("GET", "/pets", nil)
				if tt.header == "many" {
					r.Header.Set("X-User-Id", fmt.Sprintf("user-%d", i))
				}
				if rs.Decide(r, nil).Mode == plugin.ModeProxy {
					live++
				}
			}
			if live < tt.minLive || live > tt.maxLive {
				t.Errorf("%d of %d requests went live, want %d to %d", live, tt.n, tt.minLive, tt.maxLive)
			}
			st := rs.Stats()[0]
			if st.Hits != int64(tt.n) || st.Sides[plugin.ModeProxy] != int64(live) || st.Sides[plugin.ModeMock] != int64(tt.n-live) {
				t.Errorf("stats %+v, want %d hits, %d proxy", st, tt.n, live)
			}
			if share, _ := tt.rule.Share(); st.Percent == nil || *st.Percent != share {
				t.Errorf("stats percent %v, want %v", st.Percent, share)
			}
		})
	}
}

func TestRulesPercentStableByKey(t *testing.T) {
	rs, err := Compile([]plugin.RouteRule{{Pattern: "/**", Mode: plugin.ModeProxy, Percent: pct(50), Key: "X-User-Id"}}, plugin.ModeMock, false)
	if err != nil {
		t.Fatal(err)
	}
	sides := map[plugin.Mode]int{}
	for u := range 50 {
		var first plugin.Mode
		for i := range 20 {
			r := httptest.NewRequest("GET", fmt.Sprintf("/pets/%d", i), nil)
			r.Header["x-user-id"] = []string{fmt.Sprintf("u%d", u)} // as sent, any case
			m := rs.Decide(r, nil).Mode
			if i == 0 {
				first = m
				sides[m]++
			} else if m != first {
				t.Fatalf("user u%d went to %s, then %s", u, first, m)
			}
		}
	}
	if sides[plugin.ModeMock] == 0 || sides[plugin.ModeProxy] == 0 {
		t.Errorf("50 users all on one side: %v", sides)
	}
}

func TestRulesShareErrors(t *testing.T) {
	tests := []struct {
		name string
		rule plugin.RouteRule
		want string
	}{
		{"zero", plugin.RouteRule{Pattern: "/a", Mode: plugin.ModeProxy, Percent: pct(0)}, "percent 0"},
		{"over 100", plugin.RouteRule{Pattern: "/a", Mode: plugin.ModeProxy, Percent: pct(101)}, "percent 101"},
		{"key without percent", plugin.RouteRule{Pattern: "/a", Mode: plugin.ModeProxy, Key: "X-User-Id"}, "give percent too"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile([]plugin.RouteRule{tt.rule}, plugin.ModeMock, false)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "route rule 1 (/a)") {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestConditionRuntimeErrorsCountedAndLoggedOnce: a condition that fails at run time is
// counted per rule, logged once per rule and kind of error (without the request's values),
// and never matches.
func TestConditionRuntimeErrorsCountedAndLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	rs, err := Compile([]plugin.RouteRule{
		{Name: "numeric", Pattern: "/**", Mode: plugin.ModeProxy, Condition: "int(request.headers['X-N']) > 5"},
		{Name: "other", Pattern: "/**", Mode: plugin.ModeProxy, Condition: "float(request.params.get('f')) > 1"},
	}, plugin.ModeMock, false)
	if err != nil {
		t.Fatal(err)
	}
	rs.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	for i := range 5 {
		r := httptest.NewRequest("GET", fmt.Sprintf("/x?f=no%d", i), nil)
		r.Header.Set("X-N", fmt.Sprintf("secret-token-%d", i))
		if d := rs.Decide(r, nil); d.Mode != plugin.ModeMock || d.Rule != "" {
			t.Errorf("a failing condition matched: %+v", d)
		}
	}
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("X-N", "9")
	if d := rs.Decide(r, nil); d.Rule != "numeric" {
		t.Errorf("a true condition did not match: %+v", d)
	}
	stats := rs.Stats()
	if stats[0].ConditionErrors != 5 || stats[1].ConditionErrors != 5 || stats[0].Hits != 1 {
		t.Errorf("stats %+v", stats)
	}
	if stats[0].LastConditionError != "line 1, column 1: invalid operation: int(…)" {
		t.Errorf("last error %q", stats[0].LastConditionError)
	}
	out := logs.String()
	if n := strings.Count(out, "condition failed at run time"); n != 2 {
		t.Errorf("%d log lines, want one per rule:\n%s", n, out)
	}
	for _, want := range []string{`rule=numeric`, `rule=other`, `condition="int(request.headers['X-N']) > 5"`, "level=WARN"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret-token") || strings.Contains(out, "no0") {
		t.Errorf("the log quotes request values:\n%s", out)
	}
}

func TestDecideDebugLog(t *testing.T) {
	var logs bytes.Buffer
	rs, err := Compile([]plugin.RouteRule{
		{Pattern: "/**", Condition: "request.method == 'POST'", Mode: plugin.ModeMock},
		{Pattern: "/ab/**", Mode: plugin.ModeProxy, Percent: pct(100), Key: "X-User-Id"},
	}, plugin.ModeProxy, false)
	if err != nil {
		t.Fatal(err)
	}
	rs.SetLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	rs.Decide(httptest.NewRequest("POST", "/pets", nil), nil)
	rs.Decide(httptest.NewRequest("GET", "/pets", nil), nil)
	r := httptest.NewRequest("GET", "/ab/x", nil)
	r.Header.Set("X-User-Id", "7")
	rs.Decide(r, nil)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	want := [][]string{
		{"msg=route", "method=POST", "path=/pets", `rule="#1 /**"`, "condition=true", "side=mock"},
		{"method=GET", `rule=(none)`, "side=proxy", "conditions_false=1"},
		{`rule="#2 /ab/**"`, "condition=none", "side=proxy", `split="100.00% to proxy, drew`, "by X-User-Id"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), logs.String())
	}
	for i, parts := range want {
		for _, p := range parts {
			if !strings.Contains(lines[i], p) {
				t.Errorf("line %d %q lacks %q", i+1, lines[i], p)
			}
		}
	}
}

func BenchmarkDecideSplit(b *testing.B) {
	rs, err := Compile([]plugin.RouteRule{{Pattern: "/**", Mode: plugin.ModeProxy, Percent: pct(10), Key: "X-User-Id"}}, plugin.ModeMock, false)
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/pets/1", nil)
	r.Header.Set("X-User-Id", "u-42")
	b.ReportAllocs()
	for b.Loop() {
		rs.Decide(r, nil)
	}
}
