package cli

import (
	"fmt"
	"io"
	"sync/atomic"

	"github.com/spf13/pflag"

	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

// recordFlags are the --record flags of serve and test run.
type recordFlags struct {
	Dir        string
	MaxBody    int
	MaxEntries int
	Keep       string
}

func addRecordFlags(fl *pflag.FlagSet, rf *recordFlags) {
	fl.StringVar(&rf.Dir, "record", "", "record the live answers into DIR, one JSON file per operation (docs/recordings.md)")
	fl.IntVar(&rf.MaxBody, "record-max-body", record.DefaultMaxBody, "longest body recorded whole, in bytes (longer ones are recorded truncated)")
	fl.IntVar(&rf.MaxEntries, "record-max-entries", record.DefaultMaxEntries, "entries kept per operation (the newest)")
	fl.StringVar(&rf.Keep, "record-keep", "newest", "several answers to the same request: keep the newest, or all (replayed in order)")
}

func (rf recordFlags) check() error {
	if rf.MaxBody < 1 {
		return usageErrorf("--record-max-body: %d is not a positive number", rf.MaxBody)
	}
	if rf.MaxEntries < 1 {
		return usageErrorf("--record-max-entries: %d is not a positive number", rf.MaxEntries)
	}
	if rf.Keep != "newest" && rf.Keep != "all" {
		return usageErrorf("--record-keep: want newest or all, got %q", rf.Keep)
	}
	return nil
}

func (rf recordFlags) options(rd *record.Redactor, errs io.Writer) record.Options {
	return record.Options{MaxBody: rf.MaxBody, MaxEntries: rf.MaxEntries, KeepAll: rf.Keep == "all", Redactor: rd, Errors: errs}
}

// serveExtensions are what --record and --replay (or the plugin's replay:) plug into the
// stack, for the first build and every reload. The recorder's redaction needs the stack's
// secrets, known once it is built: bind gives it each new stack before it answers. The
// recorder is one for the whole run (a reload gives it the new document and redaction); the
// replayer is stack.Build's (as for test run and mcp), built anew on each reload, reading the
// recordings again: build only tunes it.
type serveExtensions struct {
	stack    atomic.Pointer[stack.Stack]
	recorder *record.Writer
	// out and match say what bind prints about a stack's replayer.
	out   io.Writer
	match string
}

// close writes what the recorder has not written yet (after the server has stopped).
func (x *serveExtensions) close() {
	if x.recorder != nil {
		x.recorder.Close()
	}
}

// bind makes st the stack whose secrets are redacted, and says what it replays.
func (x *serveExtensions) bind(st *stack.Stack) {
	x.stack.Store(st)
	if st.Replayer != nil && x.out != nil {
		fmt.Fprintf(x.out, "replaying %d operations from %s (%s matches)\n", st.Replayer.Operations(), st.Settings.Replay, x.match)
	}
}

// redact replaces the stack's secrets (its credentials, and the OAuth2 tokens it obtained).
func (x *serveExtensions) redact(s string) string {
	if st := x.stack.Load(); st != nil {
		return st.Redact(s)
	}
	return s
}

// build adds the recorder to so and tunes the replayer (--replay-match, where the directory
// came from, warnings on errOut).
func (x *serveExtensions) build(opts *serveOptions, set stack.Settings, doc *spec.Document, so *stack.Options, errOut io.Writer) error {
	x.out, x.match = errOut, opts.ReplayMatch
	so.Replay = stack.Replay{Exact: opts.ReplayMatch == "exact", Warn: func(w string) { fmt.Fprintf(errOut, "warning: %s\n", w) }}
	if opts.Flags.Replay != nil {
		so.Replay.From = "--replay"
	}
	if opts.Record.Dir == "" {
		return nil
	}
	rd, err := record.NewRedactor(set.RedactPolicy(), x.redact, set.Redact)
	if err != nil {
		return usageErrorf("plugin %s: %v", set.PluginName(), err)
	}
	if set.Target == "" {
		return usageErrorf("--record records what the live API answers: give a target (--target, MOCKLOOP_TARGET or API_BASE_URL, or the plugin's target_url)")
	}
	if x.recorder == nil {
		w, err := record.NewWriter(opts.Record.Dir, doc, opts.Record.options(rd, errOut))
		if err != nil {
			return usageErrorf("%v", err)
		}
		x.recorder = w
	} else {
		x.recorder.Reconfigure(doc, rd)
	}
	so.LiveObservers = append(so.LiveObservers, x.recorder)
	so.ObserveBody = opts.Record.MaxBody
	return nil
}
