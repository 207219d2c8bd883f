package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockloop/mockloop/internal/problem"
)

func TestLoadSources(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		version  string
		ops      []string // operation keys expected, in order
		basePath string
	}{
		{"openapi 3.0 yaml", "testdata/petstore-3.0.yaml", "3.0.3", []string{"GET /pets", "POST /pets", "GET /pets/{petId}"}, "/v2"},
		{"openapi 3.1 json", "testdata/bookings-3.1.json", "3.1.0", []string{"GET /bookings/{id}"}, ""},
		{"swagger 2.0 json", "testdata/petstore-2.0.json", "2.0", []string{"GET /pets/{petId}", "DELETE /pets/{petId}"}, "/v1"},
		{"swagger 2.0 yaml", "testdata/petstore-2.0.yaml", "2.0", []string{"GET /pets"}, "/api"},
		{"external refs", "testdata/ext/main.yaml", "3.0.3", []string{"GET /items/{id}"}, ""},
		{"swagger 2.0 unquoted yaml", "testdata/swagger-unquoted.yaml", "2.0", []string{"GET /a"}, ""},
		{"swagger 2.0 number json", "testdata/swagger-unquoted.json", "2.0", []string{"GET /a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(context.Background(), tt.file, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d.SourceVersion != tt.version {
				t.Errorf("SourceVersion = %q, want %q", d.SourceVersion, tt.version)
			}
			if got := opKeys(d); strings.Join(got, ",") != strings.Join(tt.ops, ",") {
				t.Errorf("operations = %v, want %v", got, tt.ops)
			}
			if d.BasePath != tt.basePath {
				t.Errorf("BasePath = %q, want %q", d.BasePath, tt.basePath)
			}
			if !strings.HasPrefix(d.T.OpenAPI, "3.") {
				t.Errorf("T.OpenAPI = %q, want 3.x", d.T.OpenAPI)
			}
			if len(d.Warnings) != 0 {
				t.Errorf("warnings: %v", d.Warnings)
			}
			if ps := d.Validate(context.Background()); len(ps) != 0 {
				t.Errorf("Validate: %v", ps)
			}
		})
	}
}

func opKeys(d *Document) []string {
	var keys []string
	for _, op := range d.Operations {
		keys = append(keys, op.Key())
	}
	return keys
}

func TestLoadExternalRefsResolved(t *testing.T) {
	d, err := Load(context.Background(), "testdata/ext/main.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	op := d.Operations[0]
	if len(op.Parameters) != 1 || op.Parameters[0].Value.Name != "id" {
		t.Fatalf("parameter from common/params.yaml not resolved: %+v", op.Parameters)
	}
	s := op.Op.Responses.Value("200").Value.Content["application/json"].Schema.Value
	if s == nil || s.Properties["tags"].Value.Items.Value == nil || !s.Properties["tags"].Value.Items.Value.Type.Is("string") {
		t.Fatalf("schema from schemas.yaml not resolved (with its own #/Tag): %+v", s)
	}
}

func TestLoadStdin(t *testing.T) {
	data, err := os.ReadFile("testdata/bookings-3.1.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(context.Background(), "-", Options{Stdin: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Source != "-" || len(d.Operations) != 1 {
		t.Fatalf("source %q, %d operations", d.Source, len(d.Operations))
	}
}

func TestLoadURL(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir("testdata")))
	defer srv.Close()
	tests := []struct {
		name, path string
		ops        int
	}{
		{"json", "/bookings-3.1.json", 1},
		{"yaml with external refs relative to the URL", "/ext/main.yaml", 1},
		{"swagger", "/petstore-2.0.json", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(context.Background(), srv.URL+tt.path, Options{Client: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Operations) != tt.ops {
				t.Fatalf("%d operations, want %d", len(d.Operations), tt.ops)
			}
		})
	}
	t.Run("not found", func(t *testing.T) {
		_, err := Load(context.Background(), srv.URL+"/nope.yaml?token=secret", Options{Client: srv.Client()})
		if err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("err = %v, want a 404", err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("error shows the query: %v", err)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		location string // Error.Location, exactly
		message  []string
	}{
		{"yaml syntax", "testdata/broken/syntax.yaml", "line 7", []string{"invalid YAML"}},
		{"json syntax", "testdata/broken/syntax.json", "line 4, column 13", []string{"invalid JSON", "invalid character ','"}},
		{"bad ref yaml", "testdata/broken/badref.yaml", "/paths/~1pets/get/responses/200/content/application~1json/schema/$ref (line 12)", []string{`"#/components/schemas/Nope"`}},
		{"bad ref json", "testdata/broken/badref.json", "/paths/~1pets/get/responses/200/content/application~1json/schema/$ref (line 10)", []string{`"#/components/schemas/Nope"`}},
		{"missing external file", "testdata/broken/missingfile.yaml", "/paths/~1pets/get/responses/200/content/application~1json/schema/$ref (line 12)", []string{`"nowhere.yaml#/Pet"`, "no such file"}},
		{"swagger bad ref", "testdata/broken/swagger-badref.json", "/paths/~1a/get/responses/200/schema/$ref (line 1)", []string{`"#/definitions/Nope"`}},
		{"wrong type yaml", "testdata/broken/typeerror.yaml", "/paths/~1a/get/parameters (line 6)", []string{"notalist"}},
		{"wrong type json", "testdata/broken/typeerror.json", "/paths/~1a (line 2)", []string{"parameters"}},
		{"unknown openapi version", "testdata/broken/version.yaml", "/openapi (line 1)", []string{`unsupported openapi version "4.0.0"`}},
		{"unknown swagger version", "testdata/broken/swagger1.yaml", "/swagger (line 1)", []string{`unsupported swagger version "1.2"`}},
		{"version not a string", "testdata/broken/numberversion.yaml", "/openapi (line 1)", []string{"must be a string"}},
		{"no version", "testdata/broken/noversion.json", "", []string{`no "openapi" or "swagger" version field`}},
		{"no such file", "testdata/nope.yaml", "", []string{"no such file"}},
		{"not a document", "testdata/ext/schemas.yaml", "", []string{"not an OpenAPI document"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), tt.file, Options{})
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *spec.Error", err, err)
			}
			if se.Source != tt.file || se.Location != tt.location {
				t.Errorf("source %q location %q, want %q %q", se.Source, se.Location, tt.file, tt.location)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, `load spec "`+tt.file+`": `) || strings.Contains(msg, "\n") {
				t.Errorf("not one line naming the source: %q", msg)
			}
			for _, want := range tt.message {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
		})
	}
}

func TestLoadWarnings(t *testing.T) {
	d, err := Load(context.Background(), "testdata/warnings.yaml", Options{})
	if err != nil {
		t.Fatalf("a servable document must load: %v", err)
	}
	want := []problem.Item{
		{Location: "/components/schemas/User/properties/password/pattern", Message: `pattern "^(?=.*[A-Z])(?=.*[0-9]).{8,}$" is not supported`},
		{Location: "/paths/~1users~1{name}/get", Message: "path /users/{name} conflicts with /users/{id}"},
		{Location: "/components/schemas/Unused", Message: `schema "Unused" is not used`},
	}
	if len(d.Warnings) != len(want) {
		t.Fatalf("warnings = %v, want %d", d.Warnings, len(want))
	}
	for i, w := range want {
		if d.Warnings[i].Location != w.Location || !strings.Contains(d.Warnings[i].Message, w.Message) {
			t.Errorf("warning %d = %v, want %s: %s...", i, d.Warnings[i], w.Location, w.Message)
		}
	}
	// The uncompilable pattern is dropped, so values validate instead of failing on it.
	pw := d.T.Components.Schemas["User"].Value.Properties["password"].Value
	if pw.Pattern != "" || pw.Extensions["x-mockloop-unsupported-pattern"] == nil {
		t.Errorf("pattern kept: %q", pw.Pattern)
	}
	if err := pw.VisitJSON("Secret123"); err != nil {
		t.Errorf("value fails on a dropped pattern: %v", err)
	}
	if m := d.Find("GET", "/users/7"); m.Operation == nil || m.Operation.ID != "getUser" || m.PathParams["id"] != "7" {
		t.Errorf("conflicting paths: first must win, got %v", m)
	}
}

func TestValidate(t *testing.T) {
	d, err := Load(context.Background(), "testdata/warnings.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range d.Validate(context.Background()) {
		got[p.Location] = p.Message
	}
	want := map[string]string{
		"/paths/~1users~1{id}/get (line 5)":                              `invalid example`,
		"/components/schemas/User/properties/password/pattern (line 31)": "not supported",
		"/paths/~1users~1{name}/get (line 17)":                           "conflicts with",
		"/components/schemas/Unused (line 32)":                           "not used",
	}
	for loc, msg := range want {
		if !strings.Contains(got[loc], msg) {
			t.Errorf("problem at %q = %q, want it to contain %q (all: %v)", loc, got[loc], msg, got)
		}
	}
	if p := (problem.Item{Location: "/a", Message: "b"}); p.String() != "/a: b" {
		t.Errorf("Problem.String() = %q", p.String())
	}
}

func TestExample(t *testing.T) {
	d, err := Load(context.Background(), ExampleSource, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ps := d.Validate(context.Background()); len(ps) != 0 {
		t.Fatalf("the example must validate cleanly: %v", ps)
	}
	if len(d.Operations) < 8 || len(d.Operations) > 12 {
		t.Errorf("%d operations, want 8-12", len(d.Operations))
	}
	if d.BasePath != "/v1" || d.Title() != "Bookshop API" {
		t.Errorf("base %q title %q", d.BasePath, d.Title())
	}
	for _, id := range []string{"listBooks", "createBook", "getBook", "updateBook", "deleteBook", "createOrder", "getOrder", "getAccount"} {
		if d.Operation(id) == nil {
			t.Errorf("operation %s missing", id)
		}
	}
	// getOrder is the schema-only operation the mock has to generate every answer for.
	for code, r := range d.Operation("getOrder").Op.Responses.Map() {
		if c := r.Value.Content["application/json"]; c == nil || c.Example != nil || len(c.Examples) != 0 {
			t.Errorf("getOrder %s: want a JSON schema and no examples", code)
		}
	}
	nf := d.Operation("getBook").Op.Responses.Value("404").Value.Content["application/json"]
	if nf.Examples["notFound"] == nil {
		t.Errorf("getBook 404 lacks the notFound example")
	}
	if m := d.Find("GET", "/v1/books/9b2f6a52-3c1d-4e8a-9f0b-2d7c5e1a4b60"); m.Operation == nil || m.Operation.ID != "getBook" {
		t.Errorf("Find with base path: %v", m)
	}
	a, b := Example(), Example()
	a[0] = 'X'
	if b[0] == 'X' {
		t.Error("Example() returns shared bytes")
	}
}

// TestFastPathMatchesKin checks that the JSON fast path builds the same document as
// kin-openapi's own loader.
func TestFastPathMatchesKin(t *testing.T) {
	files := []string{"testdata/bookings-3.1.json"}
	realWorld, _ := filepath.Glob("testdata/realworld/*-3.*.json")
	files = append(files, realWorld...)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fast, err := LoadData(context.Background(), f, nil, data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			kin, err := openapi3.NewLoader().LoadFromData(data)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(fast.T)
			b, _ := json.Marshal(kin)
			if !bytes.Equal(a, b) {
				t.Fatalf("fast path differs:\n%s\n%s", a, b)
			}
		})
	}
}

// githubSpec is the 13 MB GitHub REST spec in the sibling shared directory: too large to copy
// into the repository, so the tests that load it say so in their name and skip without it.
const githubSpec = "../../../shared/specs/api.github.com.json"

// TestRealWorldSpecs loads every real-world document copied into testdata/realworld.
func TestRealWorldSpecs(t *testing.T) {
	files, _ := filepath.Glob("testdata/realworld/*.json")
	if len(files) == 0 {
		t.Fatal("testdata/realworld is empty")
	}
	wantOps := map[string]int{
		"petstore-2.0.json":          20,
		"petstore-3.0.json":          20,
		"petstore-3.1.json":          20,
		"train-travel-3.1.json":      7,
		"response-examples-3.0.json": 2,
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) { checkRoutes(t, f, wantOps[name]) })
	}
}

// TestSharedSpecsGitHub loads GitHub's spec from the sibling shared directory.
func TestSharedSpecsGitHub(t *testing.T) {
	if _, err := os.Stat(githubSpec); err != nil {
		t.Skipf("skipped: the sibling shared spec %s is not present", githubSpec)
	}
	if testing.Short() {
		t.Skip("skipped in -short: loading 13 MB takes seconds")
	}
	checkRoutes(t, githubSpec, 1223) // counted in the source with a script
}

// checkRoutes loads f, checks its operation count (when want > 0) and that every operation
// routes to itself.
func checkRoutes(t *testing.T, f string, want int) {
	t.Helper()
	d, err := Load(context.Background(), f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want > 0 && len(d.Operations) != want {
		t.Errorf("%d operations, want %d", len(d.Operations), want)
	}
	for _, op := range d.Operations {
		if m := d.Find(op.Method, op.Path); m.Operation == nil {
			t.Errorf("Find(%s) found nothing", op.Key())
		}
	}
}

func TestLoadURLRefusesLocalFiles(t *testing.T) {
	doc := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: 'file:///etc/hostname#/x'}
`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(doc))
	}))
	defer srv.Close()
	_, err := Load(context.Background(), srv.URL+"/api.yaml", Options{Client: srv.Client()})
	if err == nil || !strings.Contains(err.Error(), "cannot refer to local files") {
		t.Fatalf("err = %v, want a refusal", err)
	}
}

// TestLoadWarnsAboutUnsatisfiableKeywords has one case per schema keyword combination no value
// can satisfy: each is named once, where it is written, and the document still loads.
func TestLoadWarnsAboutUnsatisfiableKeywords(t *testing.T) {
	tests := []struct {
		name, schema, location, message string
	}{
		{"unknown type", `{type: objekt, properties: {a: {type: string}}}`, "/components/schemas/S/type", `unknown type "objekt"`},
		{"enum of another type", `{type: object, enum: [PKW, VAN]}`, "/components/schemas/S/enum", "no enum value is of the declared type object"},
		{"enum of arrays for strings", `{type: array, enum: [a, b], items: {type: string}}`, "/components/schemas/S/enum", "no enum value is of the declared type array"},
		{"bounds crossed", `{type: integer, minimum: 5, maximum: 1}`, "/components/schemas/S/minimum", "minimum 5 is above maximum 1"},
		{"lengths crossed", `{type: string, minLength: 5, maxLength: 2}`, "/components/schemas/S/minLength", "minLength 5 is above maxLength 2"},
		{"items crossed", `{type: array, minItems: 3, maxItems: 1}`, "/components/schemas/S/minItems", "minItems 3 is above maxItems 1"},
		{"properties crossed", `{type: object, minProperties: 3, maxProperties: 1}`, "/components/schemas/S/minProperties", "minProperties 3 is above maxProperties 1"},
		{"nested in a property", `{type: object, properties: {kind: {type: strin}}}`, "/components/schemas/S/properties/kind/type", `unknown type "strin"`},
		{"required but forbidden", `{type: object, additionalProperties: false, required: [token], properties: {accessToken: {type: string}}}`, "/components/schemas/S/required", `required property "token" is not among the properties`},
		{"required from allOf but closed", `{additionalProperties: false, allOf: [{properties: {href: {type: string}}}], required: [href]}`, "/components/schemas/S/required", `required property "href"`},
		{"fine: required by pattern", `{type: object, additionalProperties: false, required: [x-a], patternProperties: {"^x-": {type: string}}}`, "", ""},
		{"fine: enum of whole numbers for integer", `{type: integer, enum: [1, 2]}`, "", ""},
		{"fine: nullable enum with null", `{type: string, nullable: true, enum: [null]}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/S'}}}}\ncomponents:\n  schemas:\n    S: " + tt.schema + "\n"
			d, err := LoadData(context.Background(), "t.yaml", nil, []byte(src), Options{})
			if err != nil {
				t.Fatalf("must load: %v", err)
			}
			var got []problem.Item
			for _, w := range d.Warnings {
				if strings.HasPrefix(w.Location, "/components/schemas/S") {
					got = append(got, w)
				}
			}
			if tt.location == "" {
				if len(got) > 0 {
					t.Errorf("unexpected warnings: %v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Location != tt.location || !strings.Contains(got[0].Message, tt.message) {
				t.Errorf("warnings %v, want one at %s saying %q", got, tt.location, tt.message)
			}
		})
	}
}
