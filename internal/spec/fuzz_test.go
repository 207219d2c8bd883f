package spec

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadData feeds arbitrary bytes to the loader: it must return a document or an *Error,
// never panic, and a loaded document must route and validate without panicking. The seeds are
// the small fixtures (not the 13 KB example): the fuzzer minimizes every new input it finds,
// which on a large YAML seed takes up to -fuzzminimizetime (60 s) each time.
func FuzzLoadData(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.*")
	broken, _ := filepath.Glob("testdata/broken/*")
	for _, name := range append(seeds, broken...) {
		data, err := os.ReadFile(name)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"openapi":"3.0.0","paths":{"/a/{b}":{"get":{"responses":{"200":{"$ref":"#/x"}}}}}}`))
	f.Add([]byte("swagger: '2.0'\npaths:\n  /a:\n    get:\n      responses:\n        200: {schema: {$ref: '#/definitions/A'}}\n"))
	// External refs are not followed: a fuzzer must not read the disk or the network.
	base := &url.URL{Scheme: "fuzz", Path: "/fuzz/doc.yaml"}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := LoadData(context.Background(), "fuzz", base, data, Options{offline: true})
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error is %T, not *spec.Error: %v", err, err)
			}
			_ = err.Error()
			return
		}
		for _, op := range d.Operations {
			d.Find(op.Method, op.Path)
		}
		d.Find("GET", "/a/b")
		if len(data) < 4096 {
			d.Validate(context.Background())
		}
	})
}
