package mock

import (
	"context"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

const badExamples = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id]
                properties: {id: {type: integer}}
              examples:
                good: {value: {id: 1}}
                bad: {value: {id: "one"}}
        "404":
          description: missing
          content:
            application/json:
              schema: {type: object, required: [message], properties: {message: {type: string}}}
              example: {code: 4}
`

func TestExampleProblems(t *testing.T) {
	doc, err := spec.LoadData(context.Background(), "bad.yaml", nil, []byte(badExamples), spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := New(doc, Options{})
	var got []string
	for _, p := range e.ExampleProblems(context.Background()) {
		got = append(got, p.String())
	}
	want := []string{
		`GET /pets response 200 application/json example "bad": does not match its schema`,
		`GET /pets response 404 application/json example: does not match its schema`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ExampleProblems =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if p := e.ExampleProblems(ctx); len(p) != 0 {
		t.Errorf("a cancelled check found %d problems, want it to stop at once", len(p))
	}
}
