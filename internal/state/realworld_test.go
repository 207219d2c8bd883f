package state

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

// sampleRequest is the request the engine's SampleRequest builds for op, on path when given.
func sampleRequest(f *fixture, op *spec.Operation, path string) *http.Request {
	s := f.engine.SampleRequest(op)
	u, err := url.Parse(f.doc.BasePath + s.Path)
	if err != nil {
		u = &url.URL{Path: f.doc.BasePath + s.Path}
	}
	u.RawQuery = url.Values(s.Query).Encode()
	if path != "" {
		if loc, err := url.Parse(path); err == nil {
			u.Path, u.RawPath = loc.Path, loc.RawPath
		}
	}
	r := httptest.NewRequest(op.Method, u.String(), bytes.NewReader(s.Body))
	r.RemoteAddr, r.Host = "127.0.0.1:1", "localhost"
	s.Apply(r)
	return r
}

// checkSpec creates a resource in every stateful collection from the engine's sample request,
// then reads, lists, replaces, merges and deletes it: no answer may be a 5xx, and every answer
// must validate against the spec.
func checkSpec(t *testing.T, path string) {
	f := newFixture(t, path, Options{})
	answer := func(op *spec.Operation, r *http.Request) *httptest.ResponseRecorder {
		t.Helper()
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Errorf("%s %s: %d %s", r.Method, r.URL, w.Code, w.Body)
		}
		vr := httptest.NewRequest(r.Method, r.URL.String(), nil)
		for _, it := range f.engine.ValidateResponse(op, vr, w.Code, w.Header(), w.Body.Bytes()) {
			t.Errorf("%s %s: %d answer does not validate: %s", r.Method, r.URL, w.Code, it)
		}
		return w
	}
	created := 0
	for _, c := range f.store.collections {
		var loc string
		for _, b := range c.operations {
			if b.act == actCreate {
				w := answer(b.op, sampleRequest(f, b.op, ""))
				if w.Code/100 == 2 {
					created++
					loc = w.Header().Get("Location")
				}
				break
			}
		}
		for _, want := range []action{actRead, actList, actReplace, actMerge, actDelete, actRead} {
			for _, b := range c.operations {
				if b.act != want {
					continue
				}
				p := ""
				if loc != "" && b.idParam != "" {
					p = loc
				}
				answer(b.op, sampleRequest(f, b.op, p))
			}
		}
	}
	t.Logf("%s: %d collections, %d created", filepath.Base(path), len(f.store.collections), created)
}

func TestRealWorldSpecsStateful(t *testing.T) {
	paths, _ := filepath.Glob("../spec/testdata/realworld/*.json")
	if len(paths) == 0 {
		t.Fatal("no real-world specs in internal/spec/testdata/realworld")
	}
	for _, p := range append(paths, spec.ExampleSource) {
		t.Run(filepath.Base(p), func(t *testing.T) { checkSpec(t, p) })
	}
}

// TestSharedSpecsStateful runs the same on /work/shared/specs (the GitHub REST API among
// them), when they are there.
func TestSharedSpecsStateful(t *testing.T) {
	dir := "../../../shared/specs"
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(paths) == 0 {
		t.Skipf("no shared specs in %s", dir)
	}
	if testing.Short() {
		t.Skip("-short: the shared specs take seconds to load")
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		t.Run(strings.TrimSuffix(filepath.Base(p), ".json"), func(t *testing.T) { checkSpec(t, p) })
	}
}
