package mock

import (
	"context"
	"net/http"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

const respHeaderSpec = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
          headers:
            X-Rate-Limit:
              required: true
              schema: {type: integer}
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: integer}}}
`

// TestValidateResponseCached checks that cached verdicts still answer for exactly what was
// validated: the same answer twice, and any change to the body, a declared header, the status
// or the Content-Type validated on its own.
func TestValidateResponseCached(t *testing.T) {
	doc, err := spec.LoadData(context.Background(), "h.yaml", nil, []byte(respHeaderSpec), spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := New(doc, Options{})
	op := doc.Operations[0]
	hdr := func(limit string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}, "Date": {limit + " varies"}}
		if limit != "" {
			h.Set("X-Rate-Limit", limit)
		}
		return h
	}
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		ok     bool
	}{
		{"valid", 200, hdr("5"), `{"id":1}`, true},
		{"valid again, from the cache", 200, hdr("5"), `{"id":1}`, true},
		{"body changed", 200, hdr("5"), `{"id":"x"}`, false},
		{"body changed, from the cache", 200, hdr("5"), `{"id":"x"}`, false},
		{"declared header missing", 200, hdr(""), `{"id":1}`, false},
		{"declared header invalid", 200, hdr("many"), `{"id":1}`, false},
		{"content type changed", 200, http.Header{"Content-Type": {"text/plain"}, "X-Rate-Limit": {"5"}}, `{"id":1}`, false},
		{"valid after all that", 200, hdr("6"), `{"id":1}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := e.ValidateResponse(op, nil, tt.status, tt.header, []byte(tt.body))
			if got := len(problems) == 0; got != tt.ok {
				t.Errorf("conforms = %v, want %v (problems %v)", got, tt.ok, problems)
			}
			if len(problems) > 0 {
				problems[0].Message = "changed by the caller" // must not reach the cache
				again := e.ValidateResponse(op, nil, tt.status, tt.header, []byte(tt.body))
				if again[0].Message == "changed by the caller" {
					t.Error("the cache hands out its own slice")
				}
			}
		})
	}
}
