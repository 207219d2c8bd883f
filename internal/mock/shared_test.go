package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mockloop/mockloop/internal/spec"
)

const sharedSpecs = "../../../shared/specs"

var (
	loadedMu sync.Mutex
	loaded   = map[string]*spec.Document{}
)

// loadSpec loads a document once per test binary: the GitHub spec takes seconds to load.
func loadSpec(t testing.TB, path string) *spec.Document {
	t.Helper()
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if doc := loaded[path]; doc != nil {
		return doc
	}
	start := time.Now()
	doc, err := spec.Load(context.Background(), path, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Logf("loading %s took %v", filepath.Base(path), d.Round(time.Millisecond))
	}
	loaded[path] = doc
	return doc
}

// sampleHTTPRequest turns a Sample into the request a client would send.
func sampleHTTPRequest(op *spec.Operation, s Sample) *http.Request {
	q := url.Values(s.Query).Encode()
	target := s.Path
	if q != "" {
		target += "?" + q
	}
	r := httptest.NewRequest(op.Method, "http://127.0.0.1"+target, bytes.NewReader(s.Body))
	s.Apply(r)
	return r
}

// TestSharedSpecs walks every operation of every shared spec: the sample request must be
// accepted, the answer must not be a 5xx, and a JSON answer must validate against the
// declared response.
func TestSharedSpecs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedSpecs, "*.json"))
	if len(files) == 0 {
		t.Skip("shared specs not present")
	}
	for _, file := range files {
		name := filepath.Base(file)
		if name == "api.github.com.json" && testing.Short() {
			continue
		}
		t.Run(name, func(t *testing.T) {
			doc := loadSpec(t, file)
			e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
			var ops, validated, rejected, invalid, xmlBodies int
			for _, op := range doc.Operations {
				ops++
				s := e.SampleRequest(op)
				r := sampleHTTPRequest(op, s)
				r.Header.Set("Accept", "application/json, */*;q=0.1")
				rec := httptest.NewRecorder()
				e.Respond(rec, r, spec.Match{Operation: op, PathParams: s.PathParams})
				switch {
				case rec.Code >= 500:
					t.Errorf("%s: status %d: %s", op.Key(), rec.Code, rec.Body.String())
					continue
				case rec.Code == 400 || rec.Code == 401 || rec.Code == 422 || rec.Code == 406:
					if ct := rec.Header().Get("Content-Type"); ct == "application/problem+json" {
						rejected++
						if rejected <= 20 {
							t.Errorf("%s: sample request refused with %d: %s", op.Key(), rec.Code, rec.Body.String())
						}
						continue
					}
				}
				probs := e.ValidateResponse(op, r, rec.Code, rec.Header(), rec.Body.Bytes())
				if len(probs) > 0 {
					invalid++
					if invalid <= 20 {
						t.Errorf("%s: response %d does not validate: %v\nbody: %.400s", op.Key(), rec.Code, probs, rec.Body.String())
					}
					continue
				}
				if strings.Contains(rec.Header().Get("Content-Type"), "json") {
					validated++
				}
				// Where XML is offered, it must be well-formed.
				r = sampleHTTPRequest(op, s)
				r.Header.Set("Accept", "application/xml")
				rec = httptest.NewRecorder()
				e.Respond(rec, r, spec.Match{Operation: op, PathParams: s.PathParams})
				if rec.Header().Get("Content-Type") == "application/xml" {
					dec := xml.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
					for {
						if _, err := dec.Token(); err != nil {
							if err != io.EOF {
								t.Errorf("%s: XML body is not well-formed: %v: %.300s", op.Key(), err, rec.Body)
							}
							break
						}
					}
					xmlBodies++
				}
			}
			t.Logf("%s: %d operations, %d JSON bodies validated, %d XML bodies well-formed, %d samples refused, %d invalid responses", name, ops, validated, xmlBodies, rejected, invalid)
		})
	}
}

func TestSharedSpecsDynamic(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedSpecs, "*.json"))
	if len(files) == 0 {
		t.Skip("shared specs not present")
	}
	for _, file := range files {
		name := filepath.Base(file)
		if name == "api.github.com.json" {
			continue // one pass over GitHub (TestSharedSpecs) is enough
		}
		t.Run(name, func(t *testing.T) {
			doc := loadSpec(t, file)
			e := New(doc, Options{})
			for _, op := range doc.Operations {
				for i := 0; i < 5; i++ {
					s := e.SampleRequest(op)
					r := sampleHTTPRequest(op, s)
					r.Header.Set("Prefer", "dynamic=true")
					r.Header.Set("Accept", "application/json")
					rec := httptest.NewRecorder()
					e.Respond(rec, r, spec.Match{Operation: op, PathParams: s.PathParams})
					if rec.Code == http.StatusNotAcceptable {
						break
					}
					if probs := e.ValidateResponse(op, r, rec.Code, rec.Header(), rec.Body.Bytes()); len(probs) > 0 {
						t.Errorf("%s (dynamic): %v\nbody: %.400s", op.Key(), probs, rec.Body.String())
						break
					}
				}
			}
		})
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

// TestSharedSchemasGenerate generates, without examples, a value for every JSON response and
// request body schema and every component schema of the shared specs, in both directions, and
// checks it conforms. firstTry counts values right on the first attempt (no fallback needed).
func TestSharedSchemasGenerate(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedSpecs, "*.json"))
	if len(files) == 0 {
		t.Skip("shared specs not present")
	}
	for _, file := range files {
		name := filepath.Base(file)
		if name == "api.github.com.json" && testing.Short() {
			continue
		}
		t.Run(name, func(t *testing.T) {
			doc := loadSpec(t, file)
			c := &schemas{v31: doc.T.IsOpenAPI31OrLater()}
			type target struct {
				where    string
				ref      *openapi3.SchemaRef
				response bool
			}
			var targets []target
			for _, op := range doc.Operations {
				if rb := op.Op.RequestBody; rb != nil && rb.Value != nil {
					for ct, mt := range rb.Value.Content {
						if mt.Schema != nil && strings.Contains(ct, "json") {
							targets = append(targets, target{op.Key() + " request " + ct, mt.Schema, false})
						}
					}
				}
				for code, rr := range op.Op.Responses.Map() {
					if rr.Value == nil {
						continue
					}
					for ct, mt := range rr.Value.Content {
						if mt.Schema != nil && strings.Contains(ct, "json") {
							targets = append(targets, target{op.Key() + " " + code + " " + ct, mt.Schema, true})
						}
					}
				}
			}
			if doc.T.Components != nil {
				for n, s := range doc.T.Components.Schemas {
					targets = append(targets, target{"#/components/schemas/" + n, s, true}, target{"#/components/schemas/" + n + " (request)", s, false})
				}
			}
			seeds := 3
			if name == "api.github.com.json" {
				seeds = 1
			}
			var firstTry, total, failed int
			for _, tg := range targets {
				for seed := uint64(0); seed < uint64(seeds); seed++ {
					total++
					if v := newGenerator(c, seed, tg.response).generate(tg.ref); c.conforms(tg.ref.Value, jsonValue(v), tg.response) {
						firstTry++
					}
					v := c.generateValid(tg.ref, seed, tg.response)
					if err := tg.ref.Value.VisitJSON(jsonValue(v), c.validationOptions(tg.response)...); err != nil {
						failed++
						if failed <= 15 {
							t.Errorf("%s (seed %d): %v", tg.where, seed, err)
						}
					}
				}
			}
			t.Logf("%s: %d values generated, %d conform on the first try, %d do not conform", name, total, firstTry, failed)
		})
	}
}

// TestSharedSpecsPreferExamples asks for every named example of every response of the shared
// specs with Prefer: code=C, example=N and checks that exact example is served.
func TestSharedSpecsPreferExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedSpecs, "*.json"))
	if len(files) == 0 {
		t.Skip("shared specs not present")
	}
	for _, file := range files {
		name := filepath.Base(file)
		if name == "api.github.com.json" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			doc := loadSpec(t, file)
			e := New(doc, Options{})
			n := 0
			for _, op := range doc.Operations {
				for _, code := range op.Op.Responses.Keys() {
					if _, err := strconv.Atoi(code); err != nil {
						continue
					}
					for ct, mt := range op.Op.Responses.Value(code).Value.Content {
						for exName, ex := range mt.Examples {
							if ex.Value == nil || ex.Value.Value == nil {
								continue
							}
							s := e.SampleRequest(op)
							r := sampleHTTPRequest(op, s)
							r.Header.Set("Accept", ct)
							r.Header.Set("Prefer", "code="+code+", example="+exName)
							rec := httptest.NewRecorder()
							e.Respond(rec, r, spec.Match{Operation: op, PathParams: s.PathParams})
							want, _ := json.Marshal(ex.Value.Value)
							if rec.Code != mustAtoi(code) || (strings.Contains(ct, "json") && rec.Body.String() != string(want)) {
								t.Errorf("%s %s %s: got %d %.200s, want %.200s", op.Key(), code, exName, rec.Code, rec.Body, want)
							}
							n++
						}
					}
				}
			}
			t.Logf("%s: %d named examples served", name, n)
		})
	}
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
