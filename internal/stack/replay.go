package stack

import (
	"fmt"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// Replay tunes how the mock side answers from recordings. Whenever the settings name a
// recordings directory (the plugin's replay:, or serve --replay), Build reads it and asks the
// replayer before the mock engine (after overrides and stateful resources), so serve, test
// run and mcp answer a plugin's requests alike. The zero value answers with the closest
// recording of an operation when no recording matches exactly, and drops the warnings.
type Replay struct {
	// Exact answers only requests whose fingerprint was recorded (serve --replay-match exact);
	// other requests get the spec's answer.
	Exact bool
	// From names where the directory came from in errors ("--replay"); "" is the plugin's
	// replay key.
	From string
	// Warn receives each warning (a recording of an operation the spec does not declare);
	// nil drops them.
	Warn func(string)
}

// buildReplay reads the recordings of set.Replay and puts their replayer first among the
// answerers of cfg. Fingerprints are redacted as the recorder redacts them (the settings'
// policy, the stack's secrets, the plugin's redact: fields), so that recorded requests match.
func (st *Stack) buildReplay(doc *spec.Document, set Settings, opts Replay, cfg *server.Config) error {
	rd, err := record.NewRedactor(set.RedactPolicy(), st.Redact, set.Redact)
	if err != nil {
		return fmt.Errorf("plugin %s: %w", set.PluginName(), err)
	}
	recs, err := record.ReadDir(set.Replay)
	if err != nil {
		from := opts.From
		if from == "" {
			from = "plugin " + set.PluginName() + " replay"
		}
		return fmt.Errorf("%s: %w", from, err)
	}
	rp, warnings := record.NewReplayer(recs, doc, record.ReplayOptions{Exact: opts.Exact, Redactor: rd})
	if opts.Warn != nil {
		for _, w := range warnings {
			opts.Warn(w)
		}
	}
	st.Replayer = rp
	cfg.Answerers = append([]server.Answerer{rp}, cfg.Answerers...)
	return nil
}

// checkReplay reads the recordings of p's replay directory as Build would: a directory that
// is missing, empty or holds a broken recording is a problem; with doc, a recording of an
// operation doc does not declare is a note.
func checkReplay(p *plugin.Plugin, doc *spec.Document, problems, notes *[]problem.Item) {
	if p.Replay == "" {
		return
	}
	recs, err := record.ReadDir(p.Replay)
	if err != nil {
		*problems = append(*problems, problem.Item{Location: "replay", Message: err.Error()})
		return
	}
	if doc == nil {
		return
	}
	_, warnings := record.NewReplayer(recs, doc, record.ReplayOptions{})
	for _, w := range warnings {
		*notes = append(*notes, problem.Item{Location: "replay", Message: w})
	}
}
