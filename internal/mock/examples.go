package mock

import (
	"context"
	"fmt"

	"github.com/mockloop/mockloop/internal/problem"
)

// ExampleProblems lists the JSON response examples that do not conform to their schemas. The
// mock never serves such an example by default (it takes the next conforming one, else
// generated data) but does when a Prefer header names it, so users want to hear about them
// once. It checks every example of the document, which takes a while on very large documents:
// callers run it off the request path (serve does it in the background after it starts
// listening). It stops early, returning what it found, when ctx ends.
func (e *Engine) ExampleProblems(ctx context.Context) []problem.Item {
	var out []problem.Item
	for _, op := range e.doc.Operations {
		if ctx.Err() != nil {
			return out
		}
		od := e.operation(op)
		for _, resp := range od.responses {
			for _, md := range resp.media {
				if md.kind != kindJSON || md.schema == nil || md.schema.Value == nil {
					continue
				}
				where := fmt.Sprintf("%s response %s %s", op.Key(), resp.key, md.name)
				if md.hasExample && !e.schemas.conforms(md.schema.Value, md.example, true) {
					out = append(out, problem.Item{Location: where + " example", Message: "does not match its schema"})
				}
				for _, ex := range md.examples {
					if !e.schemas.conforms(md.schema.Value, ex.value, true) {
						out = append(out, problem.Item{Location: fmt.Sprintf("%s example %q", where, ex.name), Message: "does not match its schema"})
					}
				}
			}
		}
	}
	return out
}
