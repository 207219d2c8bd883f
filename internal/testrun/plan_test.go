package testrun

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

const goodPlan = `comparison:
  ignore_fields: [updated_at]
  tolerance: 0.1
cases:
  - name: list pets
    operation: listPets
    query:
      limit: 10
      tags: [a, b]
    expect:
      status: 200
  - name: get pet
    method: get
    path: /pets/{petId}
    path_params:
      petId: 42
    headers:
      X-Trace: 7
    comparison:
      ignore_fields: [$.name]
  - name: create pet
    operation: createPet
    body:
      name: Rex
      tag: dog
`

func TestParse(t *testing.T) {
	p, err := Parse([]byte(goodPlan), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Cases) != 3 {
		t.Fatalf("cases = %d, want 3", len(p.Cases))
	}
	if got := p.Comparison.IgnoreFields; len(got) != 1 || got[0] != "updated_at" {
		t.Errorf("plan ignore_fields = %v", got)
	}
	if p.Comparison.Tolerance.DefaultValue() != 0.1 {
		t.Errorf("tolerance = %v", p.Comparison.Tolerance)
	}
	c0 := p.Cases[0]
	if got := c0.Query["tags"]; len(got) != 2 || got[1] != "b" {
		t.Errorf("query tags = %v", got)
	}
	if got := c0.Query["limit"]; len(got) != 1 || got[0] != "10" {
		t.Errorf("query limit = %v", got)
	}
	if c0.Expect.Status != 200 || c0.Line != 5 {
		t.Errorf("case 0 expect=%d line=%d", c0.Expect.Status, c0.Line)
	}
	c1 := p.Cases[1]
	if c1.PathParams["petId"] != "42" || c1.Headers["X-Trace"] != "7" {
		t.Errorf("case 1 params=%v headers=%v", c1.PathParams, c1.Headers)
	}
	if c1.Comparison == nil || c1.Comparison.IgnoreFields[0] != "$.name" {
		t.Errorf("case 1 comparison = %+v", c1.Comparison)
	}
	body, err := p.Cases[2].encodeBody()
	if err != nil || string(body) != `{"name":"Rex","tag":"dog"}` {
		t.Errorf("body = %s, %v", body, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, plan, want string
	}{
		{"empty", "", `plan "p.yaml": empty plan`},
		{"no cases", "cases: []\n", "no cases"},
		{"not yaml", "cases: [\n", `plan "p.yaml": `},
		{"unknown top key", "cases:\n  - name: a\n    operation: x\ncolour: red\n", `line 4: unknown key "colour"`},
		{"unknown case key", "cases:\n  - name: a\n    operation: x\n  - name: b\n    operation: y\n    expct: {status: 200}\n", `line 6: case 2 "b": unknown key "expct"`},
		{"unknown expect key", "cases:\n  - name: a\n    operation: x\n    expect:\n      code: 200\n", `line 5: case 1 "a": unknown key "code"`},
		{"wrong type", "cases:\n  - name: a\n    operation: x\n    expect:\n      status: ok\n", `line 5: case 1 "a": cannot use the string "ok" as an integer`},
		{"bad comparison key", "cases:\n  - name: a\n    operation: x\n    comparison:\n      ignore: [a]\n", `case 1 "a"`},
		{"no name", "cases:\n  - operation: x\n", `case 1 (line 2): name is required`},
		{"duplicate", "cases:\n  - name: a\n    operation: x\n  - name: a\n    operation: y\n", `case 2 "a" (line 4): duplicate name (also case 1)`},
		{"both", "cases:\n  - name: a\n    operation: x\n    method: GET\n", "not both"},
		{"neither", "cases:\n  - name: a\n    method: GET\n", "operation (an operationId) or method and path are required"},
		{"bad method", "cases:\n  - name: a\n    method: FETCH\n    path: /x\n", `unknown method "FETCH"`},
		{"relative path", "cases:\n  - name: a\n    method: GET\n    path: x\n", "must start with /"},
		{"bad status", "cases:\n  - name: a\n    operation: x\n    expect: {status: 1000}\n", "not an HTTP status"},
		{"query map", "cases:\n  - name: a\n    operation: x\n    query: {a: {b: c}}\n", "query value must be a scalar"},
		{"text body not string", "cases:\n  - name: a\n    operation: x\n    content_type: text/plain\n    body: {a: 1}\n", "needs a string body"},
		{"null case", "cases:\n  -\n", "case 1: empty"},
		{"scalar root", "hello\n", `plan "p.yaml": `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.plan), "p.yaml")
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

const petSpec = `openapi: 3.0.3
info: {title: pets, version: "1"}
servers: [{url: "http://example.com/v1"}]
paths:
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {type: object}}
    post:
      operationId: createPet
      tags: [pets]
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses:
        "201": {description: created}
        "200": {description: ok}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok}
        "404": {description: missing}
  /store/inventory:
    get:
      tags: [store]
      responses:
        default: {description: anything}
`

func loadSpec(t testing.TB) *spec.Document {
	t.Helper()
	doc, err := spec.LoadData(context.Background(), "pets.yaml", nil, []byte(petSpec), spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestBind(t *testing.T) {
	doc := loadSpec(t)
	p, err := Parse([]byte(goodPlan), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Bind(doc); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /pets", "GET /pets/{petId}", "POST /pets"}
	for i, c := range p.Cases {
		if c.Op == nil || c.Op.Key() != want[i] {
			t.Errorf("case %d bound to %v, want %s", i, c.Op, want[i])
		}
	}
	req, err := p.Cases[1].NewRequest(placeholderBase)
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.String() != "http://mockloop.test/pets/42" || req.Header.Get("X-Trace") != "7" {
		t.Errorf("request = %s %v", req.URL, req.Header)
	}
	req, err = p.Cases[2].NewRequest(placeholderBase)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(req.Body)
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || string(b) != `{"name":"Rex","tag":"dog"}` {
		t.Errorf("request = %s %v %s", req.Method, req.Header, b)
	}

	bad := []struct{ name, plan, want string }{
		{"unknown id", "cases:\n  - name: a\n    operation: nope\n", `case 1 "a" (line 2): no operation with operationId "nope" in pets.yaml`},
		{"unknown path", "cases:\n  - name: a\n    method: DELETE\n    path: /pets\n", "DELETE /pets is not an operation of pets.yaml"},
		{"missing param", "cases:\n  - name: a\n    operation: getPet\n", `path parameter "petId" has no value`},
		{"concrete path", "cases:\n  - name: a\n    method: GET\n    path: /pets/7\n", ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.plan), "p.yaml")
			if err != nil {
				t.Fatal(err)
			}
			err = p.Bind(doc)
			if tt.want == "" {
				if err != nil || p.Cases[0].Op.Key() != "GET /pets/{petId}" {
					t.Fatalf("bind: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRequestEscapesPathParams(t *testing.T) {
	c := &Case{Name: "x", Method: "GET", Path: "/files/{name}", PathParams: map[string]string{"name": "a b/c"}}
	req, err := c.NewRequest(placeholderBase)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.URL.EscapedPath(); got != "/files/a%20b%2Fc" {
		t.Errorf("path = %s", got)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	p, err := Parse([]byte(goodPlan), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.Marshal(&buf); err != nil {
		t.Fatal(err)
	}
	q, err := Parse(buf.Bytes(), "again.yaml")
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, buf.String())
	}
	var buf2 bytes.Buffer
	if err := q.Marshal(&buf2); err != nil {
		t.Fatal(err)
	}
	if buf.String() != buf2.String() {
		t.Errorf("not stable:\n%s\n---\n%s", buf.String(), buf2.String())
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(goodPlan))
	f.Add([]byte("cases:\n  - name: a\n    operation: x\n    query: {a: [1, 2]}\n"))
	f.Add([]byte("cases: [{name: a, method: GET, path: /x/{y}, path_params: {y: 1}, body: [1, {a: b}]}]"))
	f.Add([]byte("comparison: {tolerance: {default: 0.1, $.a: 0}}\ncases: []"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
			return
		}
		for _, c := range p.Cases {
			_, _ = c.NewRequest(placeholderBase)
		}
		var buf bytes.Buffer
		_ = p.Marshal(&buf)
	})
}

// TestDocumentedExample keeps docs/test-plans.md honest: its example plan parses.
func TestDocumentedExample(t *testing.T) {
	data, err := os.ReadFile("../../docs/test-plans.md")
	if err != nil {
		t.Skipf("docs not available: %v", err)
	}
	_, rest, ok := strings.Cut(string(data), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml example in docs/test-plans.md")
	}
	p, err := Parse([]byte(example), "docs/test-plans.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Cases) != 5 || p.Comparison.Tolerance.DefaultValue() != 0.05 || p.Cases[1].Comparison == nil {
		t.Errorf("plan = %+v", p)
	}
	body, err := p.Cases[4].encodeBody()
	if err != nil || string(body) != "name=Rex&status=sold" {
		t.Errorf("form body = %q, %v", body, err)
	}
}
