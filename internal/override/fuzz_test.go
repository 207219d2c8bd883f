package override

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/spec"
)

// FuzzPutOverride feeds arbitrary bodies to PUT /__mockloop/overrides/getPet and answers the
// operation after: nothing panics, whatever is accepted answers.
func FuzzPutOverride(f *testing.F) {
	for _, s := range []string{`{"status": 503}`, `{"example": "rex"}`, `{"responses": [{"status": 500}, {"body": [1]}], "cycle": true, "times": 2}`,
		`{"body": "x", "headers": {"Content-Type": "text/plain"}}`, `{"status": 1e400}`, `{"headers": {"": ""}}`, `[]`, `{}{}`} {
		f.Add(s)
	}
	doc, err := spec.Load(context.Background(), "testdata/pets.yaml", spec.Options{})
	if err != nil {
		f.Fatal(err)
	}
	engine := mock.New(doc, mock.Options{ValidateRequests: true})
	f.Fuzz(func(t *testing.T, body string) {
		s := New(doc, engine)
		o, err := decodeOverride([]byte(body))
		if err != nil {
			return
		}
		if _, err := s.Set("getPet", o); err != nil {
			return
		}
		r := httptest.NewRequest("GET", "/pets/1", nil)
		w := httptest.NewRecorder()
		if !s.Answer(w, r, doc.Find("GET", "/pets/1")) {
			t.Fatal("a set override did not answer")
		}
	})
}
