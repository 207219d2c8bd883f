package spec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/yamldoc"
)

func TestValidateReportsNullObjects(t *testing.T) {
	const head = "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\n"
	ok := "      responses:\n        \"200\": {description: ok}\n"
	tests := []struct {
		name string
		file string // a testdata file, or
		doc  string // a document after head
		want []nullWant
	}{
		{
			name: "request body media type (issue794.yml)",
			file: "testdata/null-media-type.yaml",
			want: []nullWant{{"/paths/~1test/post/requestBody/content/application~1json", 13, "media type is null: it must be an object"}},
		},
		{
			name: "response media type, next to a valid one",
			doc:  "paths:\n  /a:\n    get:\n      responses:\n        \"200\":\n          description: ok\n          content:\n            application/json: {schema: {type: string}}\n            text/plain: null\n",
			want: []nullWant{{"/paths/~1a/get/responses/200/content/text~1plain", 11, "media type is null: it must be an object"}},
		},
		{
			name: "parameter content media type",
			doc:  "paths:\n  /a:\n    get:\n      parameters:\n        - {name: q, in: query, content: {application/json: }}\n" + ok,
			want: []nullWant{{"/paths/~1a/get/parameters/0/content/application~1json", 7, "media type is null: it must be an object"}},
		},
		{
			name: "encoding",
			doc:  "paths:\n  /a:\n    post:\n      requestBody:\n        content:\n          multipart/form-data:\n            schema: {type: object}\n            encoding:\n              file:\n" + ok,
			want: []nullWant{{"/paths/~1a/post/requestBody/content/multipart~1form-data/encoding/file", 11, "encoding is null: it must be an object"}},
		},
		{
			name: "server and server variable",
			doc:  "servers:\n  - url: https://{region}.example.com\n    variables:\n      region:\n  - null\npaths: {}\n",
			want: []nullWant{
				{"/servers/0/variables/region", 6, "server variable is null: it must be an object"},
				{"/servers/1", 7, "server is null: it must be an object"},
			},
		},
		{
			name: "security requirement (would read as anonymous access)",
			doc:  "paths:\n  /a:\n    get:\n      security: [null]\n" + ok,
			want: []nullWant{{"/paths/~1a/get/security/0", 6, "security requirement is null: it must be an object"}},
		},
		{
			name: "in a component reached by $ref: reported once, where it is written",
			doc: "paths:\n  /a:\n    post:\n      requestBody: {$ref: '#/components/requestBodies/B'}\n" + ok +
				"  /b:\n    post:\n      requestBody: {$ref: '#/components/requestBodies/B'}\n" + ok +
				"components:\n  requestBodies:\n    B:\n      content:\n        application/json:\n",
			want: []nullWant{{"/components/requestBodies/B/content/application~1json", 18, "media type is null: it must be an object"}},
		},
		{
			name: "a null schema is absent, as the library reads it: not reported",
			doc:  "paths:\n  /a:\n    get:\n      responses:\n        \"200\":\n          description: ok\n          content:\n            application/json:\n              schema: null\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(head + tt.doc)
			if tt.file != "" {
				var err error
				if data, err = os.ReadFile(tt.file); err != nil {
					t.Fatal(err)
				}
			}
			for _, format := range []string{"yaml", "json"} {
				doc, err := data, error(nil)
				if format == "json" {
					if tt.file != "" {
						continue
					}
					if doc, err = yamldoc.ToJSON(data); err != nil {
						t.Fatal(err)
					}
				}
				d, err := LoadData(context.Background(), "t."+format, nil, doc, Options{})
				if err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				got := d.Validate(context.Background())
				for _, w := range tt.want {
					line := w.line
					if format == "json" {
						line = 1
					}
					want := problem.Item{Location: fmt.Sprintf("%s (line %d)", w.ptr, line), Message: w.msg}
					if !slices.Contains(got, want) {
						t.Errorf("%s: Validate = %v, want it to hold %v", format, got, want)
					}
				}
				if len(tt.want) == 0 {
					for _, p := range got {
						t.Errorf("%s: unexpected problem %v", format, p)
					}
				}
			}
		})
	}
}

// nullWant is a problem Validate must report: pointer, line in the YAML form, message.
type nullWant struct {
	ptr  string
	line int
	msg  string
}

// TestRealWorldSpecsNoNullObjects: real-world documents have no null objects, so the check
// reports nothing on them.
func TestRealWorldSpecsNoNullObjects(t *testing.T) {
	files, _ := filepath.Glob("testdata/realworld/*.json")
	if len(files) == 0 {
		t.Fatal("testdata/realworld is empty")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { checkNoNullObjects(t, f) })
	}
}

// TestSharedSpecsGitHubNoNullObjects: the same on GitHub's spec, which also shows what the
// walk costs on a large document.
func TestSharedSpecsGitHubNoNullObjects(t *testing.T) {
	if _, err := os.Stat(githubSpec); err != nil {
		t.Skipf("skipped: the sibling shared spec %s is not present", githubSpec)
	}
	if testing.Short() {
		t.Skip("skipped in -short: loading 13 MB takes seconds")
	}
	checkNoNullObjects(t, githubSpec)
}

func checkNoNullObjects(t *testing.T, file string) {
	t.Helper()
	d, err := Load(context.Background(), file, Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if ps := nullEntries(d.T); len(ps) > 0 {
		t.Errorf("nullEntries = %v", ps)
	}
	t.Logf("walked in %v", time.Since(start).Round(time.Millisecond))
}
