package spec

import "testing"

func TestScanYAMLHead(t *testing.T) {
	tests := []struct {
		name, doc string
		want      head
		ok        bool
	}{
		{"plain", "info: {}\nopenapi: 3.0.3\n", head{"openapi", "3.0.3", 2}, true},
		{"quoted", "openapi: '3.1.0' # comment\n", head{"openapi", "3.1.0", 1}, true},
		{"double quoted", "swagger: \"2.0\"\n", head{"swagger", "2.0", 1}, true},
		{"openapi wins", "swagger: '2.0'\nopenapi: 3.0.0\n", head{"openapi", "3.0.0", 2}, true},
		{"number is left to the parser", "openapi: 3.1\n", head{}, false},
		{"indented is not top level", "info:\n  openapi: 3.0.0\n", head{}, false},
		{"flow style", "{openapi: 3.0.0}", head{}, false},
		{"anchor", "openapi: &v 3.0.0\n", head{}, false},
		{"empty", "", head{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := scanYAMLHead([]byte(tt.doc))
			if ok != tt.ok || got != tt.want {
				t.Fatalf("scanYAMLHead = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncd\n")
	for _, tt := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 2}, {3, 2, 1}, {4, 2, 2}, {100, 3, 1}} {
		if l, c := lineCol(data, tt.off); l != tt.line || c != tt.col {
			t.Errorf("lineCol(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}

func TestJSONPointerLines(t *testing.T) {
	data := []byte(`{
  "a": {
    "b~c": [
      1,
      {"d/e": true}
    ]
  },
  "f": null
}`)
	want := map[string]int{"/a": 2, "/a/b~0c": 3, "/a/b~0c/0": 4, "/a/b~0c/1": 5, "/a/b~0c/1/d~1e": 5, "/f": 8}
	ask := map[string]bool{"/nope": true}
	for k := range want {
		ask[k] = true
	}
	got := pointerLines(data, true, ask)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("line of %s = %d, want %d", k, got[k], v)
		}
	}
	if _, ok := got["/nope"]; ok {
		t.Error("found a pointer that is not there")
	}
	// The same document read as YAML gives the same lines.
	ygot := pointerLines(data, false, ask)
	for k, v := range want {
		if ygot[k] != v {
			t.Errorf("yaml: line of %s = %d, want %d", k, ygot[k], v)
		}
	}
}
