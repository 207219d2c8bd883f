package spec

import (
	"context"
	"fmt"

	"github.com/mockloop/mockloop/internal/overlay"
	"github.com/mockloop/mockloop/internal/problem"
)

// applyOverlays reads the overlays opts names (files or http(s) URLs) and applies them in
// order to the document in data, which keeps its syntax (JSON or YAML). A document the overlay
// reader cannot parse is returned as it is, for the loader to report where it is broken.
// Actions whose target selects nothing are returned as warnings. Line numbers in later
// messages are those of the overlaid document (a YAML one is written anew).
func applyOverlays(ctx context.Context, source string, data []byte, opts Options) ([]byte, []problem.Item, bool, error) {
	doc, err := overlay.ParseDocument(data)
	if err != nil {
		return data, nil, false, nil
	}
	var warnings []problem.Item
	for _, src := range opts.Overlays {
		raw, _, err := read(ctx, src, opts)
		if err != nil {
			return nil, nil, true, &Error{Source: source, Err: fmt.Errorf("overlay %q: %w", src, err)}
		}
		o, err := overlay.Parse(raw, src)
		if err != nil {
			return nil, nil, true, &Error{Source: source, Err: err}
		}
		res, err := o.Apply(doc.Root, src)
		if err != nil {
			return nil, nil, true, &Error{Source: source, Err: err}
		}
		for i, n := range res.Selected {
			if n == 0 {
				warnings = append(warnings, problem.Item{
					Location: fmt.Sprintf("overlay %s: actions[%d]", src, i),
					Message:  fmt.Sprintf("target %s selects nothing in the document", o.Actions[i].Target),
				})
			}
		}
	}
	out, err := doc.Bytes()
	if err != nil {
		return nil, nil, true, &Error{Source: source, Err: fmt.Errorf("apply overlays: %w", err)}
	}
	return out, warnings, true, nil
}
