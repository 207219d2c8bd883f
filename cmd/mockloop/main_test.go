package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run this very binary as the `mockloop` command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mockloop": main,
	})
}

// TestScript runs the end-to-end scripts in testdata/script: the real binary, real files, real
// loopback servers, the output and exit codes a user sees.
func TestScript(t *testing.T) {
	specs, _ := filepath.Abs("../../../shared/specs")
	realworld, _ := filepath.Abs("../../internal/spec/testdata/realworld")
	junit10, _ := filepath.Abs("../../internal/render/testdata/junit-10.xsd")
	_, lintErr := exec.LookPath("xmllint")
	_, statErr := os.Stat(filepath.Join(specs, "api.github.com.json"))
	hasGitHub := statErr == nil
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "")
			env.Setenv("MOCKLOOP_HOME", filepath.Join(env.WorkDir, ".mlhome"))
			env.Setenv("REALWORLD", realworld) // real-world specs kept in the repo
			env.Setenv("JUNIT10_XSD", junit10) // the junit-10 schema's rules (internal/render)
			if _, err := os.Stat(specs); err == nil {
				env.Setenv("SHARED_SPECS", specs)
			}
			return nil
		},
		// [sharedgithub]: GitHub's spec is in ../../../shared/specs (scripts that need it say
		// sharedspecs in their name and skip with a reason when it is absent). [xmllint]:
		// xmllint is installed; MOCKLOOP_REQUIRE_XMLLINT=1 (.ci/run) makes its absence an error.
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "sharedgithub":
				return hasGitHub, nil
			case "xmllint":
				if lintErr != nil && os.Getenv("MOCKLOOP_REQUIRE_XMLLINT") == "1" {
					return false, fmt.Errorf("xmllint is not installed and MOCKLOOP_REQUIRE_XMLLINT=1 requires it: %v", lintErr)
				}
				return lintErr == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":      cmdExitCode,
			"mlserve":       cmdMLServe,
			"mlstop":        cmdMLStop,
			"http":          cmdHTTP,
			"httpwait":      cmdHTTPWait,
			"echoserver":    cmdEchoServer,
			"echowait":      cmdEchoWait,
			"echorelease":   cmdEchoRelease,
			"mlkill":        cmdMLKill,
			"mlwaitlog":     cmdMLWaitLog,
			"validresponse": cmdValidResponse,
			"upstream":      cmdUpstream,
			"slowclient":    cmdSlowClient,
			"mcpconnect":    cmdMCPConnect,
			"mcptools":      cmdMCPTools,
			"mcpcall":       cmdMCPCall,
			"mcpclose":      cmdMCPClose,
			"httpmin":       cmdHTTPMin,
			"driftapi":      cmdDriftAPI,
			"sleep":         cmdSleep,
		},
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
	})
}

// cmdExitCode runs a program and checks its exit code: `exitcode 2 mockloop serve --bad`.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("run %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
