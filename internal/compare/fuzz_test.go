package compare

import (
	"encoding/json"
	"testing"
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
