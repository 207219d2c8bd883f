package spec

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

const responsesDoc = `openapi: 3.0.3
info: {title: r, version: "1"}
paths:
  /users/{id}:
    post:
      operationId: saveUser
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/User"}
      responses:
        default: {description: problem}
        4XX: {description: client error}
        "201":
          description: created
          content:
            text/plain: {schema: {type: string}}
            application/json: {schema: {$ref: "#/components/schemas/User"}}
        "200": {description: same}
components:
  schemas:
    User:
      type: object
      properties:
        id: {type: integer, readOnly: true}
        password: {type: string, writeOnly: true}
        name: {type: string}
        friend: {$ref: "#/components/schemas/User"}
`

func loadString(t *testing.T, doc string) *Document {
	t.Helper()
	d, err := Load(context.Background(), "-", Options{Stdin: strings.NewReader(doc)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestResponses: responses in status order, the JSON media type chosen, writeOnly left out
// of answers (and readOnly out of the request body), recursion cut where it recurs.
func TestResponses(t *testing.T) {
	op := loadString(t, responsesDoc).Operations[0]
	var got []string
	for _, r := range op.Responses() {
		schema, err := json.Marshal(r.Schema)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Status+" "+r.Description+" "+r.MediaType+" "+string(schema))
	}
	want := []string{
		"200 same  null",
		`201 created application/json {"properties":{"friend":{},"id":{"type":"integer"},"name":{"type":"string"}},"type":"object"}`,
		"4XX client error  null",
		"default problem  null",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("responses:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, body := op.Inputs()
	schema, _ := json.Marshal(body.Schema)
	if want := `{"properties":{"friend":{},"name":{"type":"string"},"password":{"type":"string"}},"type":"object"}`; string(schema) != want {
		t.Errorf("body schema %s\nwant %s", schema, want)
	}
}

// TestResponsesBounded: however large the answers, their schemas stay within the budget.
func TestResponsesBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: big, version: \"1\"}\npaths:\n  /big:\n    get:\n      responses:\n")
	for code := 200; code < 210; code++ {
		b.WriteString("        \"" + itoa(code) + "\":\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n")
		for i := range 100 {
			b.WriteString("                  p" + itoa(i) + ": {type: object, properties: {a: {type: string}, b: {type: integer}}}\n")
		}
	}
	op := loadString(t, b.String()).Operations[0]
	nodes := 0
	for _, r := range op.Responses() {
		nodes += countNodes(r.Schema)
	}
	if nodes > maxResponseNodes+1 {
		t.Errorf("%d schema nodes in the responses, budget %d", nodes, maxResponseNodes)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// countNodes counts the typed schemas in v.
func countNodes(v any) int {
	n := 0
	switch t := v.(type) {
	case map[string]any:
		if _, typed := t["type"].(string); typed {
			n++
		}
		for _, x := range t {
			n += countNodes(x)
		}
	case []any:
		for _, x := range t {
			n += countNodes(x)
		}
	}
	return n
}
