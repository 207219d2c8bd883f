package spec

import (
	"context"
	"slices"
	"testing"
)

func TestResponseHeaders(t *testing.T) {
	doc, err := LoadData(context.Background(), "h.yaml", nil, []byte(`openapi: 3.0.3
info: {title: h, version: "1"}
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          headers:
            x-rate-limit: {schema: {type: integer}}
            ETag: {schema: {type: string}}
        4XX:
          description: client error
          headers:
            Retry-After: {schema: {type: integer}}
        default:
          description: other
          headers:
            X-Error: {schema: {type: string}}
  /b:
    get:
      responses:
        "204": {description: none}
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := doc.Find("GET", "/a").Operation, doc.Find("GET", "/b").Operation
	tests := []struct {
		name   string
		op     *Operation
		status int
		want   []string
	}{
		{"exact code, canonical and sorted", a, 200, []string{"Etag", "X-Rate-Limit"}},
		{"range", a, 429, []string{"Retry-After"}},
		{"default", a, 500, []string{"X-Error"}},
		{"none declared", b, 204, nil},
		{"not declared at all", b, 500, nil},
		{"no operation", nil, 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.op.ResponseHeaders(tt.status); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
