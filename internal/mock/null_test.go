package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/yamldoc"
)

// TestNullInjected replaces each value of testdata/nulls.yaml in turn by null (as YAML writes
// `application/json:` with nothing after it), in JSON and in YAML, and drives every entry
// point the document reaches: load, strict validation, engine preparation, request sampling
// and answering (sampled, empty, Prefer-chosen and other-bodied requests) and response
// validation. None may panic; a document that loads is either answered or refused.
func TestNullInjected(t *testing.T) {
	raw, err := os.ReadFile("testdata/nulls.yaml")
	if err != nil {
		t.Fatal(err)
	}
	js, err := yamldoc.ToJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	var base any
	if err := json.Unmarshal(js, &base); err != nil {
		t.Fatal(err)
	}
	exercise(t, "base.json", js)
	for _, ptr := range valuePointers(base, "") {
		for _, format := range []string{"json", "yaml"} {
			t.Run(format+ptr, func(t *testing.T) {
				var v any
				_ = json.Unmarshal(js, &v)
				v = setNull(v, strings.Split(ptr, "/")[1:])
				var data []byte
				if format == "json" {
					data, err = json.Marshal(v)
				} else {
					data, err = yamldoc.Marshal(v)
				}
				if err != nil {
					t.Fatal(err)
				}
				exercise(t, "nulls."+format, data)
			})
		}
	}
}

// exercise loads data and drives the engine on it, failing on a panic anywhere.
func exercise(t *testing.T, source string, data []byte) {
	t.Helper()
	ctx := context.Background()
	var doc *spec.Document
	noPanic(t, "load", func() {
		var err error
		doc, err = spec.LoadData(ctx, source, nil, data, spec.Options{})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Errorf("load: %v", err)
			}
			doc = nil
		}
	})
	if doc == nil {
		return
	}
	noPanic(t, "validate", func() {
		for _, p := range doc.Validate(ctx) {
			if strings.Contains(p.Message, "internal error") {
				t.Errorf("validate: %s", p)
			}
		}
	})
	var e *Engine
	noPanic(t, "prepare", func() { e = New(doc, Options{ValidateRequests: true, CheckSecurity: true}) })
	if e == nil {
		return
	}
	for _, op := range doc.Operations {
		var s Sample
		noPanic(t, "sample "+op.Key(), func() { s = e.SampleRequest(op) })
		requests := map[string]*http.Request{
			"sampled": sampleHTTPRequest(op, s),
			"empty":   httptest.NewRequest(op.Method, "http://127.0.0.1"+s.Path, nil),
		}
		for _, ct := range []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"} {
			r := sampleHTTPRequest(op, s)
			r.Body = io.NopCloser(strings.NewReader(`{"a":1}`))
			r.ContentLength = 7
			r.Header.Set("Content-Type", ct)
			requests["body "+ct] = r
		}
		for _, prefer := range []string{"code=404", "dynamic=true", "example=rex", "code=201, dynamic=true"} {
			r := sampleHTTPRequest(op, s)
			r.Header.Set("Prefer", prefer)
			requests[prefer] = r
		}
		for _, name := range slices.Sorted(mapsKeys(requests)) {
			r := requests[name]
			r.Header.Set("Accept", "application/json, application/xml;q=0.5, */*;q=0.1")
			noPanic(t, fmt.Sprintf("answer %s (%s)", op.Key(), name), func() {
				rec := httptest.NewRecorder()
				e.Respond(rec, r, spec.Match{Operation: op, PathParams: s.PathParams})
				if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
					t.Errorf("%s (%s): status %d: %s", op.Key(), name, rec.Code, rec.Body.String())
				}
				e.ValidateResponse(op, r, rec.Code, rec.Header(), rec.Body.Bytes())
			})
		}
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v\n%s", what, r, debug.Stack())
		}
	}()
	f()
}

// valuePointers lists the JSON pointer of every value below v (not v itself), in document order.
func valuePointers(v any, at string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(mapsKeys(x)) {
			p := at + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			out = append(out, p)
			out = append(out, valuePointers(x[k], p)...)
		}
	case []any:
		for i, e := range x {
			p := at + "/" + strconv.Itoa(i)
			out = append(out, p)
			out = append(out, valuePointers(e, p)...)
		}
	}
	return out
}

// setNull replaces the value at the pointer segments by null.
func setNull(v any, segs []string) any {
	if len(segs) == 0 {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		k := strings.ReplaceAll(strings.ReplaceAll(segs[0], "~1", "/"), "~0", "~")
		x[k] = setNull(x[k], segs[1:])
	case []any:
		i, _ := strconv.Atoi(segs[0])
		x[i] = setNull(x[i], segs[1:])
	}
	return v
}
