package main

import (
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdSleep waits: `sleep 1100ms`. For a script that must outlast an interval of the server
// (the credential files are checked at most once a second), never to wait for a result.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	if d < 0 || d > 10*time.Second {
		ts.Fatalf("sleep: %s is not between 0 and 10s", d)
	}
	time.Sleep(d)
}
