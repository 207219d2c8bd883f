package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/loopback"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/render"
	"github.com/mockloop/mockloop/internal/testrun"
)

func TestTestRunExit(t *testing.T) {
	tests := []struct {
		name    string
		rep     testrun.Report
		code    int
		message string
	}{
		{"all passed", testrun.Report{Summary: testrun.Summary{Total: 2, Passed: 2}}, ExitOK, ""},
		{"a failure", testrun.Report{Summary: testrun.Summary{Total: 2, Passed: 1, Failed: 1}}, ExitFailed, ""},
		{"a failure and an error", testrun.Report{Summary: testrun.Summary{Total: 2, Failed: 2, Errors: 1}}, ExitFailed, ""},
		{"a failure, then aborted", testrun.Report{Aborted: "the live side is unreachable: x", Incomplete: true, Summary: testrun.Summary{Total: 3, Failed: 2, Errors: 1, Skipped: 1}}, ExitFailed, ""},
		{"errors only", testrun.Report{Summary: testrun.Summary{Total: 3, Passed: 1, Failed: 2, Errors: 2}}, ExitTrouble, "2 of 3 case runs could not be checked: a side gave no answer"},
		{"aborted", testrun.Report{Aborted: "the live side is unreachable: dial tcp 127.0.0.1:9: connect: connection refused", Incomplete: true,
			Summary: testrun.Summary{Total: 3, Failed: 1, Errors: 1, Skipped: 2}}, ExitTrouble, "aborted: the live side is unreachable: dial tcp 127.0.0.1:9: connect: connection refused: 2 of 3 case runs not run"},
		{"interrupted", testrun.Report{Interrupted: true, Incomplete: true, Summary: testrun.Summary{Total: 2, Passed: 1, Skipped: 1}}, ExitTrouble, "interrupted: 1 of 2 case runs not finished"},
		{"skipped by fail-fast", testrun.Report{Summary: testrun.Summary{Total: 2, Passed: 1, Skipped: 1}}, ExitFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testRunExit(&tt.rep)
			if got := exitCode(err); got != tt.code {
				t.Errorf("exit %d (%v), want %d", got, err, tt.code)
			}
			if tt.message != "" && (err == nil || err.Error() != tt.message) {
				t.Errorf("error %v, want %q", err, tt.message)
			}
		})
	}
}

func TestTestRunQuietFlag(t *testing.T) {
	for _, argv := range [][]string{{"-q"}, {"--quiet"}} {
		t.Run(argv[0], func(t *testing.T) {
			env := newTestRunEnv(t)
			var got *testRunOptions
			if err := execCmd(newTestRunCmd(env.f, func(o *testRunOptions) error { got = o; return nil }), argv...); err != nil {
				t.Fatal(err)
			}
			if !got.Quiet {
				t.Errorf("%s: quiet not set", argv[0])
			}
		})
	}
}

// TestTestRunQuiet: -q prints the failing case and the summary line, not the table of passes.
func TestTestRunQuiet(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	live := liveShop(t)
	if code := env.run("test", "run", "--spec", specPath, "--live", live.URL+"/api", "-q", "--tolerance", "0.1"); code != 1 {
		t.Fatalf("exit %d\n%s%s", code, env.out.String(), env.errOut.String())
	}
	out := env.out.String()
	for _, bad := range []string{"RESULT", "PASS", "health"} {
		if strings.Contains(out, bad) {
			t.Errorf("quiet output has %q:\n%s", bad, out)
		}
	}
	if !strings.HasPrefix(out, "FAIL getItem (GET /items/{id})\n") ||
		!strings.Contains(out, "$.weight") || !strings.Contains(out, "\n2 cases: 1 passed, 1 failed (") {
		t.Errorf("quiet output:\n%s", out)
	}
}

// closedPort is a loopback URL that refuses connections (see internal/loopback).
func closedPort(t *testing.T) string { return "http://" + loopback.RefusedAddr(t) }

// TestTestRunReportsWhatRanWhenItCannotFinish: a live side where nothing listens stops the run
// (exit 2), and every report asked for is written, valid, and says it is incomplete.
func TestTestRunReportsWhatRanWhenItCannotFinish(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	down := closedPort(t)
	xmlPath, jsonPath := filepath.Join(env.dir, "r.xml"), filepath.Join(env.dir, "r.json")
	code := env.run("test", "run", "--spec", specPath, "--live", down, "--concurrency", "1", "--report", xmlPath)
	if code != 2 {
		t.Fatalf("exit %d\n%s%s", code, env.out.String(), env.errOut.String())
	}
	if !strings.Contains(env.errOut.String(), "aborted: the live side is unreachable: dial tcp "+strings.TrimPrefix(down, "http://")) ||
		!strings.Contains(env.errOut.String(), "1 of 2 case runs not run") {
		t.Errorf("stderr = %q", env.errOut.String())
	}
	if out := env.out.String(); !strings.Contains(out, "ERROR ") || !strings.Contains(out, "SKIP ") || !strings.Contains(out, ", aborted: the live side is unreachable") {
		t.Errorf("table:\n%s", out)
	}
	data, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatalf("no JUnit report: %v", err)
	}
	var suites render.JUnitSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	s := suites.Suites[0]
	if s.Tests != 2 || s.Errors != 1 || s.Failures != 0 || s.Skipped != 1 || s.SystemErr == nil || !strings.Contains(s.SystemErr.Text, "run incomplete: aborted") {
		t.Errorf("junit suite = %+v", s)
	}

	if code := env.run("test", "run", "--spec", specPath, "--live", down, "--concurrency", "1", "--report", jsonPath, "-o", "junit"); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(env.out.String(), `<property name="incomplete" value="true">`) {
		t.Errorf("junit on stdout:\n%s", env.out.String())
	}
	var rep testrun.Report
	data, _ = os.ReadFile(jsonPath)
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Incomplete || rep.Aborted == "" || rep.Summary.Errors != 1 || rep.Cases[0].FailureKind != testrun.KindError {
		t.Errorf("json report: incomplete %v aborted %q summary %+v", rep.Incomplete, rep.Aborted, rep.Summary)
	}
}

// TestTestRunUnreachablePluginTargetIsAnError: the proxy engine answering for a plugin target
// it cannot reach is an error of each case (not a difference), the run goes on (another
// endpoint may answer), and with nothing else wrong the exit status is 2.
func TestTestRunUnreachablePluginTargetIsAnError(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	p := &plugin.Plugin{Name: "shop", Spec: specPath, Mode: "proxy", TargetURL: closedPort(t), RetryCount: 1}
	if err := plugin.NewStore(filepath.Join(env.dir, "plugins")).Save(p, false); err != nil {
		t.Fatal(err)
	}
	code := env.run("test", "run", "shop", "-o", "json")
	if code != 2 {
		t.Fatalf("exit %d\n%s%s", code, env.out.String(), env.errOut.String())
	}
	var rep testrun.Report
	if err := json.Unmarshal(env.out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Incomplete || rep.Summary.Errors != 2 || rep.Summary.Failed != 2 {
		t.Errorf("incomplete %v, summary %+v", rep.Incomplete, rep.Summary)
	}
	for _, c := range rep.Cases {
		if c.FailureKind != testrun.KindError || len(c.Differences) != 0 || c.Live == nil || !strings.Contains(c.Live.Error, "connection refused") {
			t.Errorf("case %s: kind %q, live %+v, differences %d", c.Name, c.FailureKind, c.Live, len(c.Differences))
		}
	}
	if !strings.Contains(env.errOut.String(), "2 of 2 case runs could not be checked") {
		t.Errorf("stderr = %q", env.errOut.String())
	}
}
