package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/render"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
	"github.com/mockloop/mockloop/internal/testrun"
)

// testRunEnv is a Factory on buffers with its own plugins directory and a work directory.
type testRunEnv struct {
	f           *Factory
	out, errOut *bytes.Buffer
	dir         string
}

func newTestRunEnv(t *testing.T) *testRunEnv {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	dir := t.TempDir()
	f := &Factory{IOStreams: ios, LookupEnv: func(string) (string, bool) { return "", false }, HTTPClient: &http.Client{}, Version: "test"}
	return &testRunEnv{f: f, out: out, errOut: errOut, dir: dir}
}

// run runs argv through the whole tree and returns the exit code.
func (e *testRunEnv) run(argv ...string) int {
	e.out.Reset()
	e.errOut.Reset()
	return Run(context.Background(), e.f, append([]string{"--plugins-dir", filepath.Join(e.dir, "plugins")}, argv...))
}

func (e *testRunEnv) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTestRunFlags(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		check   func(t *testing.T, o *testRunOptions)
		wantErr string
	}{
		{"defaults", nil, func(t *testing.T, o *testRunOptions) {
			if o.Mode != "auto" || o.Validation != "strict" || o.Concurrency != 4 || o.Repeat != 1 || o.Output != "table" || o.Timeout != 30*time.Second || o.LogLevel != "warn" || o.LogLevelFlag != nil {
				t.Errorf("options = %+v", o)
			}
			if !reflect.DeepEqual(o.Metrics, render.AllMetrics) {
				t.Errorf("metrics = %v", o.Metrics)
			}
		}, ""},
		{"everything", []string{"pets", "--spec", "s.yaml", "--server", "http://127.0.0.1:1", "--live", "https://api.example.com/v2", "--plan", "p.yaml",
			"--operations", "getPet", "--operations", "GET /x*", "--mode", "hybrid", "--validation", "soft", "--ignore-field", "id", "--tolerance", "0.1",
			"--strict-arrays", "--compare-headers", "-o", "junit", "--report", "r.html", "--concurrency", "8", "--repeat", "3", "--timeout", "2s",
			"--fail-fast", "--shard", "2/3", "--monitor-performance", "--metrics", "throughput,error_rate",
			"--overlay", "a.yaml", "--overlay", "b.yaml", "--record", "rec", "--record-max-body", "10", "--record-max-entries", "3", "--record-keep", "all", "--log-level", "debug"}, func(t *testing.T, o *testRunOptions) {
			want := testRunOptions{Plugin: "pets", Spec: "s.yaml", Server: "http://127.0.0.1:1", Live: "https://api.example.com/v2", PlanFile: "p.yaml",
				Operations: []string{"getPet", "GET /x*"}, Mode: "hybrid", Validation: "soft",
				Overlays: []string{"a.yaml", "b.yaml"}, Record: recordFlags{Dir: "rec", MaxBody: 10, MaxEntries: 3, Keep: "all"},
				Comparison: compare.Config{IgnoreFields: []string{"id"}, Tolerance: compare.Tolerance{Default: compare.Number(0.1)},
					StrictArrays: compare.Bool(true), CompareHeaders: compare.HeadersDeclared},
				Output: "junit", Report: "r.html", Concurrency: 8, Repeat: 3, Timeout: 2 * time.Second, FailFast: true, Shard: "2/3", ShardBase: 1,
				MonitorPerformance: true, Metrics: []string{"throughput", "error_rate"}, LogLevel: "debug"}
			if o.LogLevelFlag == nil || *o.LogLevelFlag != "debug" {
				t.Errorf("--log-level not reported as given")
			}
			o.LogLevelFlag = nil
			o.comparisonFlags = comparisonFlags{}
			o.IO, o.Plugins, o.LookupEnv, o.Client, o.Load = nil, nil, nil, nil, spec.Options{}
			if !reflect.DeepEqual(*o, want) {
				t.Errorf("options =\n%+v\nwant\n%+v", *o, want)
			}
		}, ""},
		{"bad mode", []string{"--mode", "both"}, nil, `--mode: invalid mode "both"`},
		{"bad record-keep", []string{"--record", "r", "--record-keep", "some"}, nil, `--record-keep: want newest or all, got "some"`},
		{"record without a live side", []string{"--record", "r", "--mode", "mock"}, nil, `--record records the live side: --mode mock has none`},
		{"bad validation", []string{"--validation", "lax"}, nil, `--validation: invalid validation mode "lax"`},
		{"bad output", []string{"-o", "yaml"}, nil, `invalid --output "yaml"`},
		{"bad shard", []string{"--shard", "3/2"}, nil, `--shard: invalid shard "3/2"`},
		{"zero-based shard", []string{"--shard", "0/4", "--shard-index-base", "0"}, func(t *testing.T, o *testRunOptions) {
			if o.Shard != "1/4" {
				t.Errorf("shard %q, want 1/4", o.Shard)
			}
		}, ""},
		{"zero-based shard out of range", []string{"--shard", "4/4", "--shard-index-base", "0"}, nil, `want i/n with 0 <= i < n`},
		{"one-based shard zero", []string{"--shard", "0/4"}, nil, `--shard: invalid shard "0/4"`},
		{"bad shard base", []string{"--shard-index-base", "2"}, nil, `--shard-index-base: 2: want 0 or 1`},
		{"bad report", []string{"--report", "out.txt"}, nil, `--report "out.txt": want a .json, .xml or .html file`},
		{"bad metric", []string{"--metrics", "speed"}, nil, `--metrics: unknown metric "speed" (want response_time (or latency), throughput, error_rate, count)`},
		{"metric synonyms", []string{"--metrics", "latency,Throughput"}, func(t *testing.T, o *testRunOptions) {
			if !reflect.DeepEqual(o.Metrics, []string{"response_time", "throughput"}) {
				t.Errorf("metrics = %v", o.Metrics)
			}
		}, ""},
		{"collect logs", []string{"--server", "http://127.0.0.1:1", "--collect-logs"}, func(t *testing.T, o *testRunOptions) {
			if !o.CollectLogs {
				t.Errorf("options = %+v", o)
			}
		}, ""},
		{"collect logs without a server", []string{"--collect-logs"}, nil, "--collect-logs needs --server"},
		{"bad concurrency", []string{"--concurrency", "0"}, nil, "--concurrency: 0 is not a positive number"},
		{"bad repeat", []string{"--repeat", "-1"}, nil, "--repeat: -1 is not a positive number"},
		{"bad live", []string{"--live", "ftp://x"}, nil, `--live: "ftp://x" is not an absolute http(s) URL`},
		{"bad plugin name", []string{"no good"}, nil, `plugin name "no good"`},
		{"spec argument and --spec", []string{"api.yaml", "--spec", "b.yaml"}, nil, "api.yaml and --spec b.yaml both name a spec"},
		{"two args", []string{"a", "b"}, nil, "accepts at most 1 arg"},
		{"two stdins", []string{"--spec", "-", "--plan", "-"}, nil, "--spec and --plan cannot both read stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestRunEnv(t)
			var got *testRunOptions
			cmd := newTestRunCmd(env.f, func(o *testRunOptions) error { got = o; return nil })
			err := execCmd(cmd, tt.argv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if exitCode(err) != ExitTrouble {
					t.Errorf("exit code %d, want 2", exitCode(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

func TestTestPlanFlags(t *testing.T) {
	env := newTestRunEnv(t)
	var got *testPlanOptions
	cmd := newTestPlanCmd(env.f, func(o *testPlanOptions) error { got = o; return nil })
	if err := execCmd(cmd, "pets", "--spec", "x.yaml", "--operations", "a", "--operations", "b", "-o", "json"); err != nil {
		t.Fatal(err)
	}
	want := testPlanOptions{Plugin: "pets", Spec: "x.yaml", Operations: []string{"a", "b"}, Output: "json"}
	got.IO, got.Plugins, got.LookupEnv, got.Client, got.Load = nil, nil, nil, nil, spec.Options{}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("options = %+v", *got)
	}
	if err := execCmd(newTestPlanCmd(env.f, func(*testPlanOptions) error { return nil }), "-o", "table"); err == nil || exitCode(err) != ExitTrouble {
		t.Errorf("-o table: %v", err)
	}
}

// execCmd runs one command (not the whole tree) with argv.
func execCmd(cmd *cobra.Command, argv ...string) error {
	cmd.SetArgs(argv)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetContext(context.Background())
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageErrorf("%v", err) })
	_, err := cmd.ExecuteC()
	return err
}

// shopSpec has one operation whose mock answer is its example.
const shopSpec = `openapi: 3.0.3
info: {title: shop, version: "1"}
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}, example: 7}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  id: {type: integer}
                  name: {type: string}
                  price: {type: number}
                  weight: {type: number}
                  tags: {type: array, items: {type: string}}
                  updated_at: {type: string, format: date-time}
              example: {id: 7, name: Widget, price: 100.0, weight: 2.0, tags: [a, b, c], updated_at: "2026-01-01T00:00:00Z"}
  /health:
    get:
      operationId: health
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {ok: {type: boolean}}}
              example: {ok: true}
`

// liveShop is the "live" API: it differs from the mock in two fields, in a number within 10%
// (price) and one outside (weight), in the order of an array, and in an extra header.
func liveShop(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/items/7":
			w.Header().Set("X-Live-Only", "1")
			io.WriteString(w, `{"id":7,"name":"Gadget","price":105.0,"weight":3.0,"tags":["c","a","b"],"updated_at":"2026-02-02T00:00:00Z"}`)
		case "/api/health":
			io.WriteString(w, `{"ok":true}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// mockShop is `mockloop serve` of the spec, on loopback: the same handler the command builds.
func mockShop(t *testing.T, specPath string) *httptest.Server {
	t.Helper()
	doc, err := spec.Load(context.Background(), specPath, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := stack.Build(doc, stack.Settings{Mode: plugin.ModeMock}, stack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(h.Close)
	return srv
}

// diffRows extracts the difference table rows (LOCATION KIND) of a table output.
func diffRows(out string) []string {
	var rows []string
	kindAt := -1
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "LOCATION"):
			kindAt = strings.Index(line, "KIND")
		case kindAt > 0 && (line == "" || strings.Contains(line, "difference")):
			kindAt = -1
		case kindAt > 0:
			rows = append(rows, strings.TrimSpace(line[:kindAt])+" "+strings.Fields(line[kindAt:])[0])
		}
	}
	return rows
}

func TestTestRunMockVsLive(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	live := liveShop(t)
	server := mockShop(t, specPath)

	sides := []struct {
		name string
		args []string
	}{
		{"in-process mock", []string{"--spec", specPath}},
		{"running server", []string{"--spec", specPath, "--server", server.URL, "--mode", "hybrid"}},
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantDiff []string
	}{
		{"default options", nil, 1, []string{"$.name changed", "$.price changed", "$.updated_at changed", "$.weight changed"}},
		{"tolerance", []string{"--tolerance", "0.1"}, 1, []string{"$.name changed", "$.updated_at changed", "$.weight changed"}},
		{"strict arrays", []string{"--tolerance", "0.1", "--strict-arrays"}, 1, []string{"$.name changed", "$.tags[0] changed", "$.tags[1] changed", "$.tags[2] changed", "$.updated_at changed", "$.weight changed"}},
		{"headers", []string{"--tolerance", "0.1", "--compare-headers=all"}, 1, []string{"header X-Live-Only header", "$.name changed", "$.updated_at changed", "$.weight changed"}},
		{"ignored", []string{"--tolerance", "0.1", "--ignore-field", "name", "--ignore-field", "$.updated_at", "--ignore-field", "weight"}, 0, nil},
	}
	for _, side := range sides {
		for _, tt := range tests {
			t.Run(side.name+"/"+tt.name, func(t *testing.T) {
				args := append([]string{"test", "run", "--live", live.URL + "/api"}, side.args...)
				code := env.run(append(args, tt.args...)...)
				out := env.out.String()
				if code != tt.wantCode {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, env.errOut.String())
				}
				got := diffRows(out)
				if strings.Join(got, "; ") != strings.Join(tt.wantDiff, "; ") {
					t.Errorf("differences:\n%s\nwant\n%s\noutput:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantDiff, "\n"), out)
				}
				wantSummary := "2 cases: 1 passed, 1 failed"
				if tt.wantCode == 0 {
					wantSummary = "2 cases: 2 passed, 0 failed"
				}
				if !strings.Contains(out, wantSummary) || !strings.Contains(out, "PASS     health") {
					t.Errorf("output:\n%s", out)
				}
			})
		}
	}

	t.Run("plan file with overrides", func(t *testing.T) {
		plan := env.write(t, "plan.yaml", `comparison:
  tolerance: 0.1
  ignore_fields: [updated_at]
cases:
  - name: item
    operation: getItem
    path_params: {id: "7"}
    comparison:
      ignore_fields: [name, weight]
  - name: item strict
    operation: getItem
    path_params: {id: "7"}
`)
		code := env.run("test", "run", "--spec", specPath, "--live", live.URL+"/api", "--plan", plan, "-o", "json")
		if code != 1 {
			t.Fatalf("exit %d\n%s%s", code, env.out.String(), env.errOut.String())
		}
		var rep testrun.Report
		if err := json.Unmarshal(env.out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Mode != "hybrid" || rep.Cases[0].Outcome != testrun.OutcomePass || rep.Cases[1].Outcome != testrun.OutcomeFail {
			t.Fatalf("report = %+v", rep)
		}
		var locs []string
		for _, d := range rep.Cases[1].Differences {
			locs = append(locs, d.Location)
		}
		if strings.Join(locs, ",") != "$.name,$.weight" {
			t.Errorf("differences of the second case: %v", locs)
		}
	})

	t.Run("reports", func(t *testing.T) {
		for _, ext := range []string{"json", "xml", "html"} {
			name := filepath.Join(env.dir, "report."+ext)
			code := env.run("test", "run", "--spec", specPath, "--live", live.URL+"/api", "--report", name, "--repeat", "2", "-o", "junit")
			if code != 1 {
				t.Fatalf("exit %d: %s", code, env.errOut.String())
			}
			var suites render.JUnitSuites
			if err := xml.Unmarshal(env.out.Bytes(), &suites); err != nil || suites.Tests != 4 || suites.Failures != 2 {
				t.Errorf("junit stdout: %v %+v", err, suites)
			}
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			switch ext {
			case "json":
				var rep testrun.Report
				if err := json.Unmarshal(data, &rep); err != nil || rep.Summary.Total != 4 || len(rep.Metrics.Operations) != 2 {
					t.Errorf("json report: %v %+v", err, rep.Summary)
				}
			case "xml":
				if err := xml.Unmarshal(data, &suites); err != nil || suites.Suites[0].Cases[1].Failure == nil {
					t.Errorf("xml report: %v", err)
				}
			case "html":
				if s := string(data); !strings.Contains(s, "<svg") || strings.Count(s, "<svg") != 2 || strings.Contains(s, "<script") {
					t.Errorf("html report has %d charts", strings.Count(s, "<svg"))
				}
			}
		}
	})

	t.Run("proxy mode only live", func(t *testing.T) {
		code := env.run("test", "run", "--spec", specPath, "--live", live.URL+"/api", "--mode", "proxy", "--monitor-performance")
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, env.out.String(), env.errOut.String())
		}
		out := env.out.String()
		if strings.Contains(out, "MOCK") || !strings.Contains(out, "LIVE") || !strings.Contains(out, "P95") {
			t.Errorf("output:\n%s", out)
		}
	})

	t.Run("auto asks the server", func(t *testing.T) {
		code := env.run("test", "run", "--server", server.URL, "--spec", specPath, "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, env.out.String(), env.errOut.String())
		}
		var rep testrun.Report
		if err := json.Unmarshal(env.out.Bytes(), &rep); err != nil || rep.Mode != "mock" || len(rep.Sides) != 1 {
			t.Errorf("report: %v mode %s sides %v", err, rep.Mode, rep.Sides)
		}
	})
}

func TestTestRunCouldNotStart(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"unreachable server in auto", []string{"--server", deadURL}, "is not reachable"},
		{"not a mockloop server", []string{"--server", liveShop(t).URL}, "GET /__mockloop/status answered 404"},
		{"bad spec", []string{"--spec", env.write(t, "bad.yaml", "openapi: [")}, `load spec`},
		{"missing plan", []string{"--spec", specPath, "--plan", filepath.Join(env.dir, "nope.yaml")}, "read plan"},
		{"bad plan", []string{"--spec", specPath, "--plan", env.write(t, "p.yaml", "cases:\n  - name: a\n    operation: getItem\n    colour: red\n")}, `line 4: case 1 "a": unknown key "colour"`},
		{"plan names unknown operation", []string{"--spec", specPath, "--plan", env.write(t, "p2.yaml", "cases:\n  - name: a\n    operation: nope\n")}, `no operation with operationId "nope"`},
		{"filter matches nothing", []string{"--spec", specPath, "--operations", "zzz"}, "matches zzz"},
		{"proxy without live", []string{"--spec", specPath, "--mode", "proxy"}, "mode proxy needs a live side"},
		{"unknown plugin", []string{"ghost"}, `plugin "ghost" not found`},
		{"bad ignore pattern", []string{"--spec", specPath, "--live", "http://127.0.0.1:1", "--ignore-field", "$[?("}, "ignore_fields: bad path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := env.run(append([]string{"test", "run"}, tt.argv...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\nstdout:%s\nstderr:%s", code, env.out.String(), env.errOut.String())
			}
			if !strings.Contains(env.errOut.String(), tt.want) {
				t.Errorf("stderr = %q, want %q", env.errOut.String(), tt.want)
			}
			if env.out.Len() != 0 {
				t.Errorf("stdout = %q", env.out.String())
			}
		})
	}
}

func TestTestRunShards(t *testing.T) {
	env := newTestRunEnv(t)
	seen := map[string]int{}
	total := 0
	for i := 1; i <= 2; i++ {
		if code := env.run("test", "run", "--mode", "mock", "--shard", fmt.Sprintf("%d/2", i), "-o", "json"); code != 0 {
			t.Fatalf("shard %d: exit %d %s", i, code, env.errOut.String())
		}
		var rep testrun.Report
		if err := json.Unmarshal(env.out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Shard != fmt.Sprintf("%d/2", i) {
			t.Errorf("shard = %q", rep.Shard)
		}
		for _, c := range rep.Cases {
			seen[c.Name]++
		}
		total += len(rep.Cases)
	}
	if code := env.run("test", "run", "--mode", "mock", "-o", "json"); code != 0 {
		t.Fatal(env.errOut.String())
	}
	var all testrun.Report
	if err := json.Unmarshal(env.out.Bytes(), &all); err != nil {
		t.Fatal(err)
	}
	if total != len(all.Cases) || len(all.Cases) < 2 {
		t.Errorf("shards ran %d cases, the whole plan has %d", total, len(all.Cases))
	}
	for _, c := range all.Cases {
		if seen[c.Name] != 1 {
			t.Errorf("case %s ran %d times across the shards", c.Name, seen[c.Name])
		}
	}
}

func TestTestPlanThenRun(t *testing.T) {
	env := newTestRunEnv(t)
	if code := env.run("test", "plan"); code != 0 {
		t.Fatalf("exit %d: %s", code, env.errOut.String())
	}
	plan := env.write(t, "plan.yaml", env.out.String())
	if !strings.Contains(env.out.String(), "cases:") {
		t.Fatalf("plan:\n%s", env.out.String())
	}
	if code := env.run("test", "run", "--plan", plan, "--mode", "mock", "--validation", "strict"); code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, env.out.String(), env.errOut.String())
	}
	if code := env.run("test", "plan", "-o", "json"); code != 0 {
		t.Fatal(env.errOut.String())
	}
	var p testrun.Plan
	if err := json.Unmarshal(env.out.Bytes(), &p); err != nil || len(p.Cases) == 0 {
		t.Errorf("json plan: %v", err)
	}
}

// TestRealWorldSpecsConform generates a plan for every real-world spec copied into
// internal/spec/testdata/realworld and runs it in process with --mode mock --validation
// strict: the mock must conform to its own spec.
func TestRealWorldSpecsConform(t *testing.T) {
	files, _ := filepath.Glob("../spec/testdata/realworld/*.json")
	if len(files) == 0 {
		t.Fatal("no real-world specs in ../spec/testdata/realworld")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { mockConformsToItsSpec(t, file) })
	}
}

// TestSharedSpecsGitHubConforms does the same for GitHub's spec (1,223 operations; 2-6 s) from
// the sibling shared directory, when it is there.
func TestSharedSpecsGitHubConforms(t *testing.T) {
	const github = "../../../shared/specs/api.github.com.json"
	if _, err := os.Stat(github); err != nil {
		t.Skipf("the sibling shared spec %s is not present", github)
	}
	mockConformsToItsSpec(t, github)
}

func mockConformsToItsSpec(t *testing.T, file string) {
	env := newTestRunEnv(t)
	start := time.Now()
	code := env.run("test", "run", "--spec", file, "--mode", "mock", "--validation", "strict", "-o", "json")
	var rep testrun.Report
	if err := json.Unmarshal(env.out.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s", code, err, env.errOut.String())
	}
	for _, c := range rep.Cases {
		if c.Outcome != testrun.OutcomePass {
			t.Errorf("%s (%s): %s %q", c.Name, c.Operation, c.Outcome, c.Failures)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	t.Logf("%d cases in %s", rep.Summary.Total, time.Since(start).Round(time.Millisecond))
}

func TestTestRunThroughServerAndPlugin(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	live := liveShop(t)
	want := []string{"$.name changed", "$.updated_at changed", "$.weight changed"}

	t.Run("server with a live side: auto is hybrid through X-Mockloop-Mode", func(t *testing.T) {
		doc, err := spec.Load(context.Background(), specPath, spec.Options{})
		if err != nil {
			t.Fatal(err)
		}
		h, err := stack.Build(doc, stack.Settings{Mode: plugin.ModeMock, Target: live.URL + "/api"}, stack.Options{NoValidateRequests: true, NoSecurity: true})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		srv := httptest.NewServer(h)
		defer srv.Close()
		code := env.run("test", "run", "--server", srv.URL, "--tolerance", "0.1")
		if code != 1 {
			t.Fatalf("exit %d\n%s%s", code, env.out.String(), env.errOut.String())
		}
		if got := diffRows(env.out.String()); strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("differences %v\n%s", got, env.out.String())
		}
		if !strings.Contains(env.out.String(), "MOCK") || !strings.Contains(env.out.String(), "LIVE") {
			t.Errorf("not hybrid:\n%s", env.out.String())
		}
	})

	t.Run("plugin target through the proxy engine, plugin comparison", func(t *testing.T) {
		dir := filepath.Join(env.dir, "plugins")
		p := &plugin.Plugin{Name: "shop", Spec: specPath, Mode: "proxy", TargetURL: live.URL + "/api",
			Auth:       &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "s3cret"}},
			Comparison: compare.Config{Tolerance: compare.Tolerance{Default: compare.Number(0.1)}, IgnoreFields: []string{"updated_at"}}}
		if err := plugin.NewStore(dir).Save(p, false); err != nil {
			t.Fatal(err)
		}
		code := env.run("test", "run", "shop", "-o", "json", "--report", filepath.Join(env.dir, "r.json"))
		if code != 1 {
			t.Fatalf("exit %d\n%s%s", code, env.out.String(), env.errOut.String())
		}
		var rep testrun.Report
		if err := json.Unmarshal(env.out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Plugin != "shop" || rep.Mode != "hybrid" {
			t.Errorf("plugin %q mode %q", rep.Plugin, rep.Mode)
		}
		var locs []string
		for _, c := range rep.Cases {
			for _, d := range c.Differences {
				locs = append(locs, d.Location)
			}
		}
		if strings.Join(locs, ",") != "$.name,$.weight" {
			t.Errorf("differences %v", locs)
		}
		// Flags win over the plugin: --ignore-field removes the rest.
		if code := env.run("test", "run", "shop", "--ignore-field", "name", "--ignore-field", "weight"); code != 0 {
			t.Errorf("exit %d\n%s", code, env.out.String())
		}
		data, _ := os.ReadFile(filepath.Join(env.dir, "r.json"))
		if bytes.Contains(data, []byte("s3cret")) || bytes.Contains(env.out.Bytes(), []byte("s3cret")) {
			t.Error("the credential appears in the output")
		}
	})
}

// TestTestRunInterrupted cancels the run (as Ctrl-C does) while a live request hangs: what
// finished is printed, the rest is skipped, and the exit status is 2.
func TestTestRunInterrupted(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	blocked := make(chan struct{})
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/items/7" {
			close(blocked)
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	defer live.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-blocked
		cancel()
	}()
	code := Run(ctx, env.f, []string{"test", "run", "--spec", specPath, "--live", live.URL, "--concurrency", "1"})
	if code != 2 {
		t.Fatalf("exit %d\n%s%s", code, env.out.String(), env.errOut.String())
	}
	out := env.out.String()
	if !strings.Contains(out, "PASS     health") || !strings.Contains(out, "SKIP     getItem") || !strings.Contains(out, "2 cases: 1 passed, 0 failed, 1 skipped") || !strings.Contains(out, "interrupted") {
		t.Errorf("output:\n%s", out)
	}
	if !strings.Contains(env.errOut.String(), "interrupted: 1 of 2 case runs not finished") {
		t.Errorf("stderr = %q", env.errOut.String())
	}
}
