package testrun

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told: a tick per reading, and a side's answer
// time when the side answers, so that every request's latency is the same in every run.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond)
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// clockSide answers after a latency that depends only on the request: its path and side.
type clockSide struct {
	label string
	clock *fakeClock
	h     http.Handler
}

func (s *clockSide) Name() string { return s.label }

func (s *clockSide) Do(ctx context.Context, req *http.Request) (*Response, error) {
	n := 0
	for _, r := range req.URL.Path {
		n += int(r)
	}
	if s.label == SideLive {
		n *= 7
	}
	s.clock.advance(time.Duration(n%97+1) * 173 * time.Microsecond)
	rec, err := ServeInProcess(s.h, req.Clone(ctx), MaxBody)
	if err != nil {
		return nil, err
	}
	return &Response{Status: rec.Status, Header: rec.HeaderMap, Body: rec.Body.Bytes()}, nil
}

// TestMergeShardsEqualsOneRun: the plan run whole, and run as four shards whose JSON reports
// are merged, give the same cases (in plan order), the same summary and the same metrics
// (counts, errors, extremes, percentiles, histograms), latency by latency.
func TestMergeShardsEqualsOneRun(t *testing.T) {
	var plan strings.Builder
	plan.WriteString("cases:\n")
	for i := range 11 {
		id := strconv.Itoa(i)
		if i%4 == 3 {
			id = "404"
		}
		plan.WriteString("  - name: pet" + strconv.Itoa(i) + "\n    operation: getPet\n    path_params: {petId: \"" + id + strconv.Itoa(i) + "\"}\n")
		if i%3 == 0 {
			plan.WriteString("  - name: list" + strconv.Itoa(i) + "\n    operation: listPets\n    query: {limit: \"" + strconv.Itoa(i) + "\"}\n")
		}
	}
	mockH := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/pets/404") {
			w.WriteHeader(http.StatusNotFound)
		}
		w.Write([]byte(`{"id":1}`))
	})
	liveH := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":` + strconv.Itoa(len(r.URL.Path)%2+1) + `}`))
	})
	run := func(shard Shard) *Report {
		p := boundPlan(t, plan.String())
		p.Cases = shard.Apply(p.Cases)
		clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		rep := Run(context.Background(), p, Options{
			Mock: &clockSide{SideMock, clock, mockH}, Live: &clockSide{SideLive, clock, liveH},
			Concurrency: 1, Repeat: 2, clock: clock.now,
		})
		rep.Shard = shard.String()
		// Through JSON, as the files a CI job uploads.
		data, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var back Report
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		return &back
	}
	whole := run(Shard{})
	var names []string
	var shards []*Report
	for _, i := range []int{3, 1, 4, 2} { // any order of the files
		names = append(names, "shard"+strconv.Itoa(i)+".json")
		shards = append(shards, run(Shard{Index: i, Count: 4}))
	}
	merged, err := Merge(names, shards)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Summary.Failed == 0 || whole.Summary.Passed == 0 || len(whole.Cases) != 30 {
		t.Fatalf("the plan should have passes and failures: %+v, %d cases", whole.Summary, len(whole.Cases))
	}
	if !reflect.DeepEqual(merged.Cases, whole.Cases) {
		for i := range whole.Cases {
			if i >= len(merged.Cases) || !reflect.DeepEqual(merged.Cases[i], whole.Cases[i]) {
				t.Fatalf("case %d: merged %+v\nwhole %+v", i, merged.Cases[min(i, len(merged.Cases)-1)], whole.Cases[i])
			}
		}
	}
	if merged.Summary != whole.Summary {
		t.Errorf("summary: merged %+v, whole %+v", merged.Summary, whole.Summary)
	}
	// Spans differ between runs (each shard started its own clock): everything else is equal.
	strip := func(m *Metrics) *Metrics {
		c := *m
		c.Operations = nil
		for _, o := range m.Operations {
			o.Mock, o.Live = noSpan(o.Mock), noSpan(o.Live)
			c.Operations = append(c.Operations, o)
		}
		c.Mock, c.Live = noSpan(m.Mock), noSpan(m.Live)
		return &c
	}
	if got, want := strip(merged.Metrics), strip(whole.Metrics); !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("metrics:\nmerged %s\nwhole  %s", g, w)
	}
	if merged.Shard != "" || merged.Mode != whole.Mode || merged.Schema != SchemaVersion {
		t.Errorf("merged report: shard %q mode %q", merged.Shard, merged.Mode)
	}
}

func noSpan(s *Stats) *Stats {
	if s == nil {
		return nil
	}
	c := *s
	c.Start, c.End, c.Throughput = time.Time{}, time.Time{}, 0
	return &c
}

func TestMergeErrors(t *testing.T) {
	rep := func(shard string, mut ...func(*Report)) *Report {
		r := &Report{Schema: SchemaVersion, Spec: "a.yaml", Mode: "hybrid", Sides: []string{"mock", "live"}, Shard: shard}
		for _, m := range mut {
			m(r)
		}
		return r
	}
	tests := []struct {
		name string
		reps []*Report
		want string
	}{
		{"nothing", nil, "no reports"},
		{"not a report", []*Report{rep("", func(r *Report) { r.Schema = "" })}, `r0.json: schema ""`},
		{"other spec", []*Report{rep("1/2"), rep("2/2", func(r *Report) { r.Spec = "b.yaml" })}, `r1.json has spec "b.yaml", r0.json has "a.yaml"`},
		{"missing shard", []*Report{rep("1/3"), rep("3/3")}, "shard 2/3 missing"},
		{"twice", []*Report{rep("1/2"), rep("1/2"), rep("2/2")}, "shard 1/2 given twice: r0.json and r1.json"},
		{"other n", []*Report{rep("1/2"), rep("1/3")}, "r1.json is shard 1/3, r0.json of 2 shards"},
		{"mixed", []*Report{rep("1/2"), rep("")}, "some reports are shards and some are not"},
		{"no histogram", []*Report{rep("", func(r *Report) {
			r.Metrics = &Metrics{Mock: &Stats{Count: 2, P50MS: 1}}
		})}, "a report without histograms cannot be merged exactly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := make([]string, len(tt.reps))
			for i := range names {
				names[i] = "r" + strconv.Itoa(i) + ".json"
			}
			_, err := Merge(names, tt.reps)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	// Reports of no shard are concatenated in the order given.
	a := rep("", func(r *Report) { r.Cases = []CaseResult{{Name: "a", Outcome: OutcomePass}} })
	b := rep("", func(r *Report) { r.Cases = []CaseResult{{Name: "b", Outcome: OutcomeFail}} })
	m, err := Merge([]string{"a", "b"}, []*Report{a, b})
	if err != nil || len(m.Cases) != 2 || m.Cases[1].Name != "b" || m.Summary.Failed != 1 || m.Summary.Total != 2 {
		t.Fatalf("concatenation: %+v %v", m, err)
	}
}
