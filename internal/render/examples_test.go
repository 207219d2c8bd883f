package render

import (
	"bytes"
	"testing"

	"github.com/mockloop/mockloop/internal/examples"
	"github.com/mockloop/mockloop/internal/golden"
	"github.com/mockloop/mockloop/internal/problem"
)

func examplesResult() *examples.Result {
	return &examples.Result{Spec: "api.yaml", Changes: []examples.Change{
		{Operation: "GET /pets", Status: 200, MediaType: "application/json", Example: "live-200", Action: examples.ActionAdd,
			Note: `the single example moves into examples as "example"`},
		{Operation: "GET /pets/{petId}", Status: 200, MediaType: "application/json", Example: "live-200", Action: examples.ActionRefused,
			Problems: []problem.Item{{Location: "body.id", Message: "value must be an integer"}, {Location: "body.name", Message: `property "name" is missing`}}},
		{Operation: "GET /pets/{petId}", Status: 404, MediaType: "application/json", Example: "live-404", Action: examples.ActionReplace},
		{Operation: "GET /text", Status: 200, Example: "live-200", Action: examples.ActionSkipped, Note: "the answer has no body"},
		{Operation: "PUT /pets/{petId}", Status: 200, MediaType: "application/json", Example: "live-200", Action: examples.ActionForced,
			Problems: []problem.Item{{Location: "body", Message: "value must be an object"}}},
	}}
}

func TestExamplesTable(t *testing.T) {
	for _, tt := range []struct {
		name   string
		colour bool
	}{{"examples_table.golden", false}, {"examples_table_colour.golden", true}} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := ExamplesTable(&buf, examplesResult(), tt.colour); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, tt.name, buf.Bytes())
		})
	}
}
