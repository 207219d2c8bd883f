package compare

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/yalp/jsonpath"
)

// FuzzCompareJSON: the parser accepts exactly what encoding/json accepts, comparison never
// panics under any option set, a document equals itself, and every reported body location
// is a path that ignore_fields accepts.
func FuzzCompareJSON(f *testing.F) {
	for _, s := range [][2]string{
		{`{"a":1}`, `{"a":1.0}`},
		{`[1,2,3]`, `[3,2,1]`},
		{`{"a":[{"id":1,"v":"x"}]}`, `{"a":[{"id":1,"v":"y"},{"id":2}]}`},
		{`"\u00e9\ud800"`, `"é"`},
		{`null`, `{}`},
		{`[[1,[2]],{"odd key":-0.0e+5}]`, `[{"odd key":0},[[2],1]]`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	opts := []Options{
		{},
		{StrictArrays: true},
		{Tolerance: 0.1, IgnoreFields: []string{"id", "$..v", "$[0]"}},
		{ArrayKeys: map[string]string{"$.a": "id", "$..*": "v"}, PathTolerance: map[string]float64{"$..*": 0.5}},
	}
	var comparers []*Comparer
	for _, o := range opts {
		c, err := Compile(o)
		if err != nil {
			f.Fatal(err)
		}
		comparers = append(comparers, c)
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		da, errA := ParseJSON(a)
		if (errA == nil) != json.Valid(a) {
			t.Fatalf("ParseJSON(%q) err = %v, json.Valid = %v", a, errA, json.Valid(a))
		}
		db, errB := ParseJSON(b)
		if errA != nil || errB != nil {
			return
		}
		for i, c := range comparers {
			res := c.CompareDocuments(da, db)
			for _, d := range res.Differences {
				if _, err := parsePath(d.Location); err != nil {
					t.Fatalf("location %q does not parse: %v", d.Location, err)
				}
			}
			if self := c.CompareDocuments(da, da); !self.Equal() {
				t.Fatalf("options %d: %q differs from itself: %v", i, a, self.Differences)
			}
			c.Compare(Response{Status: 200, Body: a}, Response{Status: 201, Body: b})
		}
	})
}

// FuzzPattern: any ignore pattern either compiles (exactly when yalp/jsonpath accepts it) or
// is an error naming it; a compiled pattern never panics while matching.
func FuzzPattern(f *testing.F) {
	for _, p := range []string{"$", "$.a", "$..a", "$.*", "$[*]", `$["a b"]`, "$[0,1]", "$[1:-1:2]", "$[::-1]",
		"$..*", "$..[0]", `$["a","b"]`, "$.a[", "$[?(@.a)]", "$[(@.length)]", "x", "$.", "$[-1]", "$[a:b]"} {
		f.Add(p)
	}
	doc, err := ParseJSON([]byte(`{"a":[{"b":1,"a":[2,{"a b":3}]}],"b":{"a":[]},"a b":[[0],[1,2,3]]}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		_, yerr := jsonpath.Prepare(p)
		c, err := Compile(Options{IgnoreFields: []string{"$" + strings.TrimPrefix(p, "$")}})
		if strings.HasPrefix(p, "$") && (yerr == nil) != (err == nil) {
			t.Fatalf("%q: yalp err %v, Compile err %v", p, yerr, err)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "bad path") {
				t.Fatalf("%q: error does not name the pattern: %v", p, err)
			}
			return
		}
		c.CompareDocuments(doc, doc)
	})
}
