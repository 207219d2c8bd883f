package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/testrun"
)

const mergePlan = `cases:
  - {name: item1, operation: getItem, path_params: {id: "7"}}
  - {name: health1, method: GET, path: /health}
  - {name: item2, operation: getItem, path_params: {id: "7"}}
  - {name: health2, method: GET, path: /health}
  - {name: item3, operation: getItem, path_params: {id: "7"}}
  - {name: health3, method: GET, path: /health}
  - {name: item4, operation: getItem, path_params: {id: "7"}}
`

// TestReportMerge: test run with --shard 1/4..4/4 and report merge of their JSON reports give
// the cases and the summary of the whole run, and metrics with the same counts; bad sets of
// reports are exit 2.
func TestReportMerge(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	planPath := env.write(t, "plan.yaml", mergePlan)
	live := liveShop(t)
	base := []string{"test", "run", "--spec", specPath, "--plan", planPath, "--live", live.URL + "/api", "--repeat", "2", "--tolerance", "0.1"}
	whole := filepath.Join(env.dir, "whole.json")
	if code := env.run(append(base, "--report", whole)...); code != 1 {
		t.Fatalf("whole run: exit %d\n%s", code, env.errOut)
	}
	var shards []string
	for i := 1; i <= 4; i++ {
		name := filepath.Join(env.dir, fmt.Sprintf("shard-%d.json", i))
		env.run(append(base, "--shard", fmt.Sprintf("%d/4", i), "--report", name)...)
		if env.errOut.Len() > 0 {
			t.Fatalf("shard %d: %s", i, env.errOut)
		}
		shards = append(shards, name)
	}
	// In any order.
	argv := []string{"report", "merge", shards[2], shards[0], shards[3], shards[1], "-o", "json"}
	if code := env.run(argv...); code != 1 {
		t.Fatalf("merge: exit %d, want 1 (a case failed)\n%s", code, env.errOut)
	}
	var merged, want testrun.Report
	if err := json.Unmarshal(env.out.Bytes(), &merged); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	untimed := func(cs []testrun.CaseResult) []testrun.CaseResult {
		out := make([]testrun.CaseResult, len(cs))
		for i, c := range cs {
			c.DurationMS = 0
			for _, s := range []*testrun.SideResult{c.Mock, c.Live} {
				if s != nil {
					s.LatencyMS = 0
				}
			}
			out[i] = c
		}
		return out
	}
	if got, wantC := untimed(merged.Cases), untimed(want.Cases); !reflect.DeepEqual(got, wantC) {
		t.Errorf("cases differ:\nmerged %+v\nwhole  %+v", got, wantC)
	}
	if merged.Summary != want.Summary || merged.Summary.Total != 14 {
		t.Errorf("summary: merged %+v, whole %+v", merged.Summary, want.Summary)
	}
	if len(merged.Metrics.Operations) != len(want.Metrics.Operations) {
		t.Fatalf("metrics operations: merged %d, whole %d", len(merged.Metrics.Operations), len(want.Metrics.Operations))
	}
	for i, o := range merged.Metrics.Operations {
		w := want.Metrics.Operations[i]
		if o.Operation != w.Operation || o.Live.Count != w.Live.Count || o.Live.Histogram.Total() != int64(w.Live.Count) || o.Mock.Errors != w.Mock.Errors {
			t.Errorf("operation %d: merged %+v, whole %+v", i, o, w)
		}
	}

	// The table and JUnit forms, and a merged report file.
	htmlOut := filepath.Join(env.dir, "merged.html")
	if code := env.run(append([]string{"report", "merge", "--report", htmlOut, "--monitor-performance"}, shards...)...); code != 1 {
		t.Fatalf("table: exit %d", code)
	}
	if out := env.out.String(); !strings.Contains(out, "14 cases: 6 passed, 8 failed") || !strings.Contains(out, "P95") {
		t.Errorf("table output:\n%s", out)
	}
	if fi, err := os.Stat(htmlOut); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("report file: %v %v", fi, err)
	}
	if code := env.run(append([]string{"report", "merge", "-o", "junit"}, shards...)...); code != 1 || !strings.Contains(env.out.String(), `<testsuites name="mockloop" tests="14" failures="8"`) {
		t.Errorf("junit: exit %d\n%s", code, env.out)
	}

	bad := env.write(t, "bad.json", `{"schema": "mockloop.testrun/v1", "cases": [`)
	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"missing shard", shards[:3], "shard 4/4 missing"},
		{"twice", []string{shards[0], shards[0], shards[1], shards[2], shards[3]}, "shard 1/4 given twice"},
		{"not json", []string{bad}, "bad.json\": not a test run JSON report"},
		{"no file", []string{filepath.Join(env.dir, "nope.json")}, "nope.json"},
		{"not a run report", []string{planPath}, "not a test run JSON report"},
		{"bad output", []string{"-o", "yaml", shards[0]}, `invalid --output "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := env.run(append([]string{"report", "merge"}, tt.argv...)...)
			if code != 2 || !strings.Contains(env.errOut.String(), tt.want) || strings.Count(env.errOut.String(), "\n") != 1 {
				t.Errorf("exit %d, stderr %q, want 2 and %q", code, env.errOut, tt.want)
			}
		})
	}
}
