package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
)

// fragment loads a document written in a test.
func fragment(t testing.TB, src string) *spec.Document {
	t.Helper()
	doc, err := spec.LoadData(context.Background(), "fragment.yaml", nil, []byte(src), spec.Options{})
	if err != nil {
		t.Fatalf("load fragment: %v\n%s", err, src)
	}
	return doc
}

// schemaDoc is a document whose GET /x answers 200 with a JSON body of the given schema
// (written inline, JSON or YAML flow style); version is the openapi field.
func schemaDoc(version, schema string) string {
	return fmt.Sprintf(`openapi: %s
info: {title: t, version: "1"}
paths:
  /x:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: %s
`, version, schema)
}

// kinVerdict is kin-openapi's own response validation, with its default options, of an answer.
func kinVerdict(doc *spec.Document, op *spec.Operation, r *http.Request, rec *httptest.ResponseRecorder) error {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: r,
			Route:   &routers.Route{Spec: doc.T, Path: op.Path, PathItem: op.PathItem, Method: op.Method, Operation: op.Op},
		},
		Status: rec.Code,
		Header: rec.Header(),
	}
	in.SetBodyBytes(rec.Body.Bytes())
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// answers asks the engine for n default answers (different requests, so different seeds) and n
// Prefer: dynamic=true answers to method target, checks each passes the engine's response
// validation, and returns their bodies.
func answers(t *testing.T, e *Engine, doc *spec.Document, method, target string, n int) []*httptest.ResponseRecorder {
	t.Helper()
	var out []*httptest.ResponseRecorder
	for i := 0; i < 2*n; i++ {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		r := httptest.NewRequest(method, "http://127.0.0.1"+target+sep+"seed="+strconv.Itoa(i%n), nil)
		if i >= n {
			r.Header.Set("Prefer", "dynamic=true")
		}
		m := doc.Find(method, r.URL.Path)
		rec := httptest.NewRecorder()
		e.Respond(rec, r, m)
		if probs := e.ValidateResponse(m.Operation, r, rec.Code, rec.Header(), rec.Body.Bytes()); len(probs) > 0 {
			t.Errorf("answer %d (%s) does not validate: %v\nbody: %.500s", i, r.Header.Get("Prefer"), probs, rec.Body)
		}
		out = append(out, rec)
	}
	return out
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("body is not JSON: %v: %q", err, rec.Body)
	}
	return v
}

// walk calls f on every value nested in v (v included) with its JSON path.
func walk(v any, path string, f func(path string, v any)) {
	f(path, v)
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			walk(c, path+"."+k, f)
		}
	case []any:
		for i, c := range t {
			walk(c, fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}

// TestAnswerClasses has one case per class of answer that once violated its own document
// (issue 11): the minimal fragment, a check of the class itself, and kin-openapi's verdict on
// the answers (the engine's ValidateResponse, and openapi3filter with default options where it
// can tell).
func TestAnswerClasses(t *testing.T) {
	isoDateTime := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)
	tests := []struct {
		name string
		doc  string
		// kinDefault: openapi3filter with default options must accept the answers too.
		kinDefault bool
		check      func(t *testing.T, body any, rec *httptest.ResponseRecorder)
	}{
		{
			name:       "number with an integer format is whole and in range",
			doc:        schemaDoc("3.0.3", `{type: object, required: [a, b, c], properties: {a: {type: number, format: int32}, b: {type: number, format: int64, minimum: 0.5, maximum: 3.5}, c: {type: number, format: int32, minimum: 2147483000}}}`),
			kinDefault: true,
			check: func(t *testing.T, body any, _ *httptest.ResponseRecorder) {
				m := body.(map[string]any)
				for k, v := range m {
					f := v.(float64)
					if f != math.Trunc(f) || f > math.MaxInt32 {
						t.Errorf("%s = %v: not a whole int32", k, f)
					}
				}
				if b := m["b"].(float64); b < 1 || b > 3 {
					t.Errorf("b = %v, want 1..3", b)
				}
			},
		},
		{
			name:       "JSON without schema or example is still JSON",
			doc:        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200': {description: ok, content: {application/json: {}}}\n",
			kinDefault: true,
			check: func(t *testing.T, body any, rec *httptest.ResponseRecorder) {
				if rec.Body.String() != "{}" {
					t.Errorf("body = %q, want {}", rec.Body)
				}
			},
		},
		{
			name:       "additionalProperties values follow their schema",
			doc:        schemaDoc("3.0.3", `{type: object, minProperties: 2, additionalProperties: {type: array, minItems: 1, items: {type: string}}}`),
			kinDefault: true,
			check: func(t *testing.T, body any, _ *httptest.ResponseRecorder) {
				m := body.(map[string]any)
				if len(m) < 2 {
					t.Errorf("%d properties, want 2", len(m))
				}
				for k, v := range m {
					if items, ok := v.([]any); !ok || len(items) == 0 {
						t.Errorf("%s = %v, want a non-empty array of strings", k, v)
					}
				}
			},
		},
		{
			name: "additionalProperties false next to allOf admits only the outer properties",
			doc: `openapi: 3.0.3
info: {title: t, version: "1"}
components:
  schemas:
    Resource: {type: object, properties: {id: {type: string}, location: {type: string}, tags: {type: object, additionalProperties: {type: string}}}}
    Config:
      type: object
      additionalProperties: false
      allOf: [{$ref: '#/components/schemas/Resource'}]
      required: [properties]
      properties: {properties: {type: object, properties: {size: {type: integer}}}}
paths:
  /x:
    get:
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Config'}}}}
`,
			kinDefault: true,
			check: func(t *testing.T, body any, _ *httptest.ResponseRecorder) {
				for k := range body.(map[string]any) {
					if k != "properties" {
						t.Errorf("property %q is not allowed by additionalProperties: false", k)
					}
				}
			},
		},
		{
			name:       "oneOf with overlapping object branches matches exactly one",
			doc:        schemaDoc("3.0.3", `{oneOf: [{type: object, properties: {a: {type: string}}}, {type: object, properties: {b: {type: string}}}, {type: object, properties: {a: {type: string}, c: {type: integer}}}]}`),
			kinDefault: true,
		},
		{
			name:       "oneOf of integer and number",
			doc:        schemaDoc("3.0.3", `{type: object, required: [v], properties: {v: {oneOf: [{type: integer}, {type: number}]}}}`),
			kinDefault: true,
			check: func(t *testing.T, body any, _ *httptest.ResponseRecorder) {
				if f := body.(map[string]any)["v"].(float64); f == math.Trunc(f) {
					t.Errorf("v = %v matches both branches", f)
				}
			},
		},
		{
			name: "oneOf with a discriminator",
			doc: `openapi: 3.0.3
info: {title: t, version: "1"}
components:
  schemas:
    Cat: {type: object, required: [kind], properties: {kind: {type: string}, name: {type: string}}}
    Dog: {type: object, required: [kind], properties: {kind: {type: string}, name: {type: string}}}
    Pet:
      oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Dog'}]
      discriminator: {propertyName: kind, mapping: {cat: '#/components/schemas/Cat', dog: '#/components/schemas/Dog'}}
paths:
  /x:
    get:
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: array, minItems: 2, items: {$ref: '#/components/schemas/Pet'}}}}}
`,
			kinDefault: true,
			check: func(t *testing.T, body any, _ *httptest.ResponseRecorder) {
				for _, it := range body.([]any) {
					if k := it.(map[string]any)["kind"]; k != "cat" && k != "dog" {
						t.Errorf("kind = %v, want a mapping key", k)
					}
				}
			},
		},
		{
			name:       "type null next to oneOf (3.0) answers null",
			doc:        schemaDoc("3.0.3", `{type: object, required: [v], properties: {v: {oneOf: [{type: object, required: [a], properties: {a: {type: string}}}, {type: string}], type: 'null'}}}`),
			kinDefault: true,
			check: func(t *testing.T, body any, _ *httptest.ResponseRecorder) {
				if v := body.(map[string]any)["v"]; v != nil {
					t.Errorf("v = %v, want null", v)
				}
			},
		},
		{
			name:       "nullable oneOf no branch of which can be met answers null",
			doc:        schemaDoc("3.0.3", `{type: object, required: [v], properties: {v: {nullable: true, oneOf: [{type: string, minLength: 5, maxLength: 2}, {type: integer, minimum: 5, maximum: 1}]}}}`),
			kinDefault: true,
		},
		{
			name:       "3.1 type list with null",
			doc:        schemaDoc("3.1.0", `{type: object, required: [a, b], properties: {a: {type: [string, 'null'], format: date-time}, b: {type: ['null']}}}`),
			kinDefault: true,
			check: func(t *testing.T, body any, _ *httptest.ResponseRecorder) {
				m := body.(map[string]any)
				if m["b"] != nil {
					t.Errorf("b = %v, want null", m["b"])
				}
				if a, ok := m["a"].(string); ok && !isoDateTime.MatchString(a) {
					t.Errorf("a = %q, not a date-time", a)
				}
			},
		},
		{
			name: "formats deep inside arrays of objects, within their lengths",
			doc: schemaDoc("3.0.3", `{type: array, minItems: 2, items: {type: object, required: [links, at], properties: {`+
				`at: {type: string, format: date-time, minLength: 25, maxLength: 25}, `+
				`links: {type: array, minItems: 2, items: {type: object, required: [href, self, mail, id], properties: {`+
				`href: {type: string, format: uri, maxLength: 16}, self: {type: string, format: uri}, `+
				`mail: {type: string, format: email, minLength: 30}, id: {type: string, format: uuid}}}}}}}`),
			kinDefault: true,
			check: func(t *testing.T, body any, _ *httptest.ResponseRecorder) {
				uri := regexp.MustCompile(`^[a-z][a-z0-9+.-]*:\S+$`)
				walk(body, "$", func(path string, v any) {
					s, ok := v.(string)
					if !ok {
						return
					}
					switch {
					case strings.HasSuffix(path, ".href"), strings.HasSuffix(path, ".self"):
						if !uri.MatchString(s) {
							t.Errorf("%s = %q, not a URI", path, s)
						}
					case strings.HasSuffix(path, ".at"):
						if !isoDateTime.MatchString(s) || len(s) != 25 {
							t.Errorf("%s = %q, not a 25-character date-time", path, s)
						}
					case strings.HasSuffix(path, ".mail"):
						if !strings.Contains(s, "@") || len(s) < 30 {
							t.Errorf("%s = %q, not an email of 30 characters or more", path, s)
						}
					}
				})
			},
		},
		{
			name:       "text/plain body holding an integer",
			doc:        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200': {description: count, content: {text/plain: {schema: {type: integer, format: int32, minimum: 0}}}}\n",
			kinDefault: false, // openapi3filter reads text bodies as strings: "value must be an integer" whatever they say
			check: func(t *testing.T, _ any, rec *httptest.ResponseRecorder) {
				if n, err := strconv.Atoi(rec.Body.String()); err != nil || n < 0 {
					t.Errorf("body = %q, want a non-negative integer", rec.Body)
				}
			},
		},
		{
			name:       "declared media range answered with a type it covers",
			doc:        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200': {description: audio, content: {audio/*: {}}}\n",
			kinDefault: true,
			check: func(t *testing.T, _ any, rec *httptest.ResponseRecorder) {
				if ct := rec.Header().Get("Content-Type"); ct != "audio/mpeg" {
					t.Errorf("Content-Type = %q, want audio/mpeg", ct)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := fragment(t, tt.doc)
			e := New(doc, Options{ValidateRequests: true})
			for i, rec := range answers(t, e, doc, "GET", "/x", 4) {
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				if tt.kinDefault {
					r := httptest.NewRequest("GET", "http://127.0.0.1/x", nil)
					if err := kinVerdict(doc, doc.Find("GET", "/x").Operation, r, rec); err != nil {
						t.Errorf("answer %d: openapi3filter: %v\nbody: %.300s", i, err, rec.Body)
					}
				}
				if tt.check == nil {
					continue
				}
				var body any
				if strings.Contains(rec.Header().Get("Content-Type"), "json") {
					body = decode(t, rec)
				}
				tt.check(t, body, rec)
			}
		})
	}
}

// TestAnswerHeaders covers the declared response headers: values satisfy their schema and
// format (an example that does not is not served), and headers that describe the transport are
// never sent, with one load warning each.
func TestAnswerHeaders(t *testing.T) {
	doc := fragment(t, `openapi: 3.0.3
info: {title: t, version: "1"}
components:
  responses:
    Ok:
      description: ok
      headers:
        Content-Encoding: {schema: {type: string, enum: [br]}}
        Transfer-Encoding: {schema: {type: string}}
        Connection: {schema: {type: string}}
        Keep-Alive: {schema: {type: string}}
        Content-Length: {schema: {type: integer}}
        X-Rate-Limit-Remaining: {required: true, schema: {type: number, format: int32, minimum: 0}}
        X-Request-Id: {required: true, schema: {type: string, format: uuid}}
        X-Expires: {required: true, schema: {type: string, format: date-time}}
        X-Retries: {required: true, example: soon, schema: {type: integer}}
        X-Maybe: {required: true, schema: {type: integer, nullable: true}}
        X-Tags: {required: true, schema: {type: array, minItems: 2, items: {type: string, pattern: '^[a-z]+$'}}}
      content:
        application/json:
          schema: {type: object, required: [ok], properties: {ok: {type: boolean}}}
paths:
  /x:
    get:
      responses:
        "200": {$ref: '#/components/responses/Ok'}
  /y:
    get:
      responses:
        "200": {$ref: '#/components/responses/Ok'}
`)
	e := New(doc, Options{})
	for _, target := range []string{"/x", "/y"} {
		for i, rec := range answers(t, e, doc, "GET", target, 3) {
			h := rec.Header()
			for _, name := range []string{"Content-Encoding", "Transfer-Encoding", "Connection", "Keep-Alive"} {
				if v := h.Values(name); len(v) > 0 {
					t.Errorf("%s answer %d: transport header %s: %v sent", target, i, name, v)
				}
			}
			if got, want := h.Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
				t.Errorf("%s answer %d: Content-Length %q, body is %s bytes", target, i, got, want)
			}
			if n, err := strconv.Atoi(h.Get("X-Rate-Limit-Remaining")); err != nil || n < 0 {
				t.Errorf("X-Rate-Limit-Remaining = %q, want a whole non-negative number", h.Get("X-Rate-Limit-Remaining"))
			}
			if _, err := strconv.Atoi(h.Get("X-Retries")); err != nil {
				t.Errorf("X-Retries = %q: the example does not fit its schema and must not be served", h.Get("X-Retries"))
			}
			if h.Get("X-Maybe") == "" {
				t.Errorf("X-Maybe missing: a required header cannot say null")
			}
			if !regexp.MustCompile(`^[a-z]+(,[a-z]+)+$`).MatchString(h.Get("X-Tags")) {
				t.Errorf("X-Tags = %q, want a comma-separated list of two or more words", h.Get("X-Tags"))
			}
			r := httptest.NewRequest("GET", "http://127.0.0.1"+target, nil)
			if err := kinVerdict(doc, doc.Find("GET", target).Operation, r, rec); err != nil {
				t.Errorf("openapi3filter: %v", err)
			}
		}
	}
	want := map[string]bool{}
	for _, name := range []string{"Content-Encoding", "Transfer-Encoding", "Connection", "Keep-Alive", "Content-Length"} {
		want["/components/responses/Ok/headers/"+name] = true
	}
	for _, w := range e.Warnings(context.Background()) {
		if !want[w.Location] {
			t.Errorf("unexpected or repeated warning: %s", w)
		}
		delete(want, w.Location)
	}
	for loc := range want {
		t.Errorf("no warning at %s", loc)
	}
}

// TestLoadWarnsAboutUnsatisfiableSchemas covers schema errors that cannot be honoured: the
// loader names each once, where it is written.
func TestLoadWarnsAboutUnsatisfiableSchemas(t *testing.T) {
	doc := fragment(t, `openapi: 3.0.3
info: {title: t, version: "1"}
components:
  schemas:
    Thing: {type: objekt, properties: {a: {type: string}}}
    Group: {type: object, enum: [PKW, VAN], properties: {name: {type: string}}}
    Odd: {type: string, minLength: 5, maxLength: 2}
paths:
  /x:
    get:
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: array, minItems: 1, items: {$ref: '#/components/schemas/Thing'}}}}}
  /y:
    get:
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object, properties: {g: {$ref: '#/components/schemas/Group'}, o: {$ref: '#/components/schemas/Odd'}, t: {$ref: '#/components/schemas/Thing'}}}}}}
  /z:
    get:
      responses:
        "200": {description: ok, content: {text/plain: {schema: {type: object, properties: {a: {type: string}}}}}}
`)
	want := map[string]string{
		"/components/schemas/Thing/type":       `unknown type "objekt"`,
		"/components/schemas/Group/enum":       "no enum value is of the declared type object",
		"/components/schemas/Odd/minLength":    "minLength 5 is above maxLength 2",
		"/paths/~1z/get/responses/200/content": "",
	}
	var got []problem.Item
	got = append(got, doc.Warnings...)
	got = append(got, New(doc, Options{}).Warnings(context.Background())...)
	for _, w := range got {
		for loc, msg := range want {
			if strings.HasPrefix(w.Location, loc) && strings.Contains(w.Message, msg) {
				delete(want, loc)
			}
		}
	}
	for loc, msg := range want {
		t.Errorf("no warning at %s saying %q; got %v", loc, msg, got)
	}
	// Served anyway: the keywords say what was meant.
	e := New(doc, Options{})
	rec := do(t, e, doc, "GET", "/x", nil, "")
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "[{") {
		t.Errorf("GET /x = %d %s, want an array of objects", rec.Code, rec.Body)
	}
}

// TestRealisticData checks the name hints (docs/mock-data.md): what each name yields, that the
// schema's own constraints win over a hint, that values are the same for the same request,
// and that Options.PlainData turns the hints off.
func TestRealisticData(t *testing.T) {
	doc := fragment(t, schemaDoc("3.0.3", `{type: object, properties: {`+
		`email: {type: string}, first_name: {type: string}, lastName: {type: string}, name: {type: string}, `+
		`phone: {type: string}, avatar_url: {type: string}, homepage: {type: string, format: uri}, `+
		`currency: {type: string}, default_currency: {type: string, pattern: '^[a-z]{3}$'}, country: {type: string, maxLength: 2}, `+
		`locale: {type: string}, city: {type: string}, street: {type: string}, zip: {type: string}, postal_code: {type: string}, `+
		`created: {type: integer}, updated_at: {type: string}, createdAt: {type: string, format: date-time}, timestamp: {type: integer, format: int64}, `+
		`id: {type: string, format: uuid}, customer_id: {type: string}, userId: {type: integer}, `+
		`price: {type: number}, amount: {type: integer}, total: {type: integer}, count: {type: integer}, `+
		`status: {type: string, enum: [pending, active, closed]}, state_status: {type: string}, `+
		`tiny_email: {type: string, maxLength: 5}, capped_created: {type: integer, maximum: 1000}, odd_count: {type: integer, minimum: 5000, multipleOf: 7}}}`))
	op := doc.Find("GET", "/x").Operation
	get := func(e *Engine, target string) map[string]any {
		t.Helper()
		r := httptest.NewRequest("GET", "http://127.0.0.1"+target, nil)
		rec := httptest.NewRecorder()
		e.Respond(rec, r, doc.Find("GET", "/x"))
		if probs := e.ValidateResponse(op, r, rec.Code, rec.Header(), rec.Body.Bytes()); len(probs) > 0 {
			t.Fatalf("answer does not validate: %v\n%s", probs, rec.Body)
		}
		return decode(t, rec).(map[string]any)
	}
	iso4217 := map[string]bool{"USD": true, "EUR": true, "GBP": true, "JPY": true, "CHF": true, "CAD": true, "AUD": true, "SEK": true}
	recent := func(v any) bool {
		f, ok := v.(float64)
		return ok && f >= 1704067200 && f < 1704067200+3*365*24*3600
	}
	e := New(doc, Options{})
	for seed := 0; seed < 8; seed++ {
		target := "/x?seed=" + strconv.Itoa(seed)
		m := get(e, target)
		checks := []struct {
			field string
			ok    func(v any) bool
		}{
			{"email", func(v any) bool { return regexp.MustCompile(`^[a-z.]+[0-9]*@example\.com$`).MatchString(v.(string)) }},
			{"first_name", func(v any) bool { return slicesContain(firstNames, v) }},
			{"lastName", func(v any) bool { return slicesContain(lastNames, v) }},
			{"name", func(v any) bool { return strings.Count(v.(string), " ") == 1 }},
			{"phone", func(v any) bool { return strings.HasPrefix(v.(string), "+1-202-555-") }},
			{"avatar_url", func(v any) bool { return strings.HasPrefix(v.(string), "https://example.com/") }},
			{"homepage", func(v any) bool { return strings.HasPrefix(v.(string), "https://example.com/") }},
			{"currency", func(v any) bool { return iso4217[v.(string)] }},
			{"default_currency", func(v any) bool { return iso4217[strings.ToUpper(v.(string))] && v == strings.ToLower(v.(string)) }},
			{"country", func(v any) bool { return slicesContain(countries, v) }},
			{"locale", func(v any) bool { return slicesContain(locales, v) }},
			{"city", func(v any) bool { return slicesContain(cities, v) }},
			{"street", func(v any) bool { return regexp.MustCompile(`^\d+ [A-Z][a-z]+ [A-Z][a-z]+$`).MatchString(v.(string)) }},
			{"zip", func(v any) bool { return regexp.MustCompile(`^\d{5}$`).MatchString(v.(string)) }},
			{"postal_code", func(v any) bool { return regexp.MustCompile(`^\d{5}$`).MatchString(v.(string)) }},
			{"created", recent},
			{"timestamp", recent},
			{"updated_at", func(v any) bool { return isRecentTime(v.(string)) }},
			{"createdAt", func(v any) bool { return isRecentTime(v.(string)) }},
			{"id", func(v any) bool {
				return regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(v.(string))
			}},
			{"customer_id", func(v any) bool { return regexp.MustCompile(`^[a-z0-9]{12}$`).MatchString(v.(string)) }},
			{"userId", func(v any) bool { return v.(float64) >= 1 }},
			{"price", func(v any) bool { return v.(float64) > 0 }},
			{"amount", func(v any) bool { f := v.(float64); return f > 0 && f == math.Trunc(f) }},
			{"total", func(v any) bool { f := v.(float64); return f >= 0 && f == math.Trunc(f) }},
			{"count", func(v any) bool { f := v.(float64); return f >= 0 && f < 100 }},
			{"status", func(v any) bool { return v == "pending" }},
			{"state_status", func(v any) bool { return v == "active" }},
			// The schema wins over the hint.
			{"tiny_email", func(v any) bool { return len(v.(string)) <= 5 && !strings.Contains(v.(string), "@example.com") }},
			{"capped_created", func(v any) bool { return v.(float64) <= 1000 }},
			{"odd_count", func(v any) bool { f := v.(float64); return f >= 5000 && math.Mod(f, 7) == 0 }},
		}
		for _, c := range checks {
			v, present := m[c.field]
			if !present {
				continue // optional properties come and go with the seed
			}
			if !c.ok(v) {
				t.Errorf("seed %d: %s = %#v", seed, c.field, v)
			}
		}
		if again := get(e, target); fmt.Sprint(again) != fmt.Sprint(m) {
			t.Errorf("seed %d: a second answer to the same request differs:\n%v\n%v", seed, m, again)
		}
		if again := get(New(doc, Options{}), target); fmt.Sprint(again) != fmt.Sprint(m) {
			t.Errorf("seed %d: another engine answers the same request differently", seed)
		}
	}
	plain := New(doc, Options{PlainData: true})
	hinted := 0
	for seed := 0; seed < 8; seed++ {
		m := get(plain, "/x?seed="+strconv.Itoa(seed))
		if v, ok := m["email"].(string); ok && strings.Contains(v, "@") {
			hinted++
		}
		if v, ok := m["currency"].(string); ok && iso4217[v] {
			hinted++
		}
		if v, ok := m["created"]; ok && recent(v) {
			hinted++
		}
	}
	if hinted > 0 {
		t.Errorf("PlainData: %d values still follow name hints", hinted)
	}
}

func slicesContain(list []string, v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isRecentTime(s string) bool {
	tm, err := time.Parse(time.RFC3339, s)
	return err == nil && tm.Year() >= 2024 && tm.Year() <= 2026
}

// TestClassify pins how names are read.
func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		want hint
	}{
		{"email", hintEmail}, {"billingEmail", hintEmail}, {"email_address", hintEmail}, {"emails", hintEmail},
		{"first_name", hintFirstName}, {"firstName", hintFirstName}, {"FirstName", hintFirstName},
		{"last_name", hintLastName}, {"surname", hintLastName}, {"name", hintFullName}, {"display_name", hintFullName},
		{"file_name", hintNone}, {"username", hintUsername},
		{"created_at", hintTimestamp}, {"createdAt", hintTimestamp}, {"updatedOn", hintTimestamp}, {"created", hintTimestamp},
		{"format", hintNone}, {"lat", hintLatitude}, {"flat", hintNone},
		{"avatarURL", hintURL}, {"html_url", hintURL}, {"userID", hintID}, {"id", hintID}, {"uuid", hintUUID},
		{"currency", hintCurrency}, {"currency_code", hintCurrency}, {"country", hintCountry}, {"zip_code", hintPostalCode},
		{"status", hintStatus}, {"statuses", hintStatus}, {"addresses", hintNone}, {"total_count", hintCount},
		{"", hintNone}, {"X-RateLimit-Remaining", hintNone}, {"Last-Modified", hintTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.name); got != tt.want {
				t.Errorf("classify(%q) = %d, want %d", tt.name, got, tt.want)
			}
		})
	}
}

// checkEveryAnswer asks every operation of doc for its sample request (the test planner's)
// and holds the default answer and dynamic ones to kin-openapi's response validation; the
// sample request itself must not be refused.
func checkEveryAnswer(t *testing.T, doc *spec.Document, dynamic int) {
	e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
	var ops, refused, invalid int
	for _, op := range doc.Operations {
		ops++
		s := e.SampleRequest(op)
		for i := 0; i <= dynamic; i++ {
			r := sampleHTTPRequest(op, s)
			r.Header.Set("Accept", "application/json, */*;q=0.1")
			if i > 0 {
				r.Header.Set("Prefer", "dynamic=true")
			}
			rec := httptest.NewRecorder()
			e.Respond(rec, r, spec.Match{Operation: op, PathParams: s.PathParams})
			if rec.Header().Get("Content-Type") == problem.ContentType && (rec.Code == 400 || rec.Code == 401 || rec.Code == 422) {
				refused++
				t.Errorf("%s: sample request refused with %d: %s", op.Key(), rec.Code, rec.Body)
				break
			}
			if probs := e.ValidateResponse(op, r, rec.Code, rec.Header(), rec.Body.Bytes()); len(probs) > 0 {
				invalid++
				t.Errorf("%s (%s): answer %d does not validate: %v\nbody: %.400s", op.Key(), r.Header.Get("Prefer"), rec.Code, probs, rec.Body)
				break
			}
		}
	}
	t.Logf("%d operations, %d samples refused, %d invalid answers", ops, refused, invalid)
}

// TestTestdataSpecsAnswersValidate is the generated-answer property test over the documents
// in this repository's testdata (the mock's and the loader's).
func TestTestdataSpecsAnswersValidate(t *testing.T) {
	var files []string
	for _, pattern := range []string{"testdata/*.yaml", "testdata/*.json", "../spec/testdata/*.yaml", "../spec/testdata/*.json"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	if len(files) < 5 {
		t.Fatalf("found only %d documents under testdata", len(files))
	}
	for _, file := range files {
		t.Run(filepath.ToSlash(file), func(t *testing.T) {
			checkEveryAnswer(t, loadSpec(t, file), 3)
		})
	}
}

// TestSharedSpecsAnswersValidate is the same property test over the shared specs next to the
// repository (/work/shared/specs); it skips, saying so, when they are not there.
func TestSharedSpecsAnswersValidate(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedSpecs, "*.json"))
	if len(files) == 0 {
		t.Skip("shared specs not present at " + sharedSpecs)
	}
	for _, file := range files {
		name := filepath.Base(file)
		if name == "api.github.com.json" && testing.Short() {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dynamic := 3
			if name == "api.github.com.json" {
				dynamic = 1
			}
			checkEveryAnswer(t, loadSpec(t, file), dynamic)
		})
	}
}
