package main

import (
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdHTTPMin is http with a lower bound on the time the answer took:
//
//	httpmin MS [http arguments]    fails when the answer came in less than MS milliseconds
//
// Only a lower bound: how fast something is, is measured in benchmarks, never asserted.
func cmdHTTPMin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: httpmin MS [-H 'K: V']... [-d BODY] METHOD URL")
	}
	ms, err := strconv.Atoi(args[0])
	ts.Check(err)
	start := time.Now()
	cmdHTTP(ts, false, args[1:])
	if took := time.Since(start); took < time.Duration(ms)*time.Millisecond {
		ts.Fatalf("answered in %s, before %dms", took, ms)
	}
}
