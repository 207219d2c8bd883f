package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"slices"
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
	opts := []Config{
		{},
		{StrictArrays: Bool(true)},
		{Tolerance: Tolerance{Default: Number(0.1)}, IgnoreFields: []string{"id", "$..v", "$[0]"}},
		{ArrayKeys: map[string]string{"$.a": "id", "$..*": "v"}, Tolerance: Tolerance{Paths: map[string]float64{"$..*": 0.5}}},
		{StrictArrays: Bool(true), UnorderedArrays: []string{"$..a", "$[*]"}, IgnoreAbsence: []string{"id", "$..*"}},
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
				if steps, ok := ParseLocation(d.Location); !ok || FormatLocation(steps) != d.Location {
					t.Fatalf("location %q does not parse back with ParseLocation", d.Location)
				}
			}
			if self := c.CompareDocuments(da, da); !self.Equal() {
				t.Fatalf("options %d: %q differs from itself: %v", i, a, self.Differences)
			}
			c.Compare(Response{Status: 200, Body: a}, Response{Status: 201, Body: b})
		}
		// Oracle: in strict mode with no rules, equal exactly when encoding/json decodes the
		// two documents to the same values, numbers compared as exact rationals.
		na, okA := normalize(a)
		nb, okB := normalize(b)
		if okA && okB {
			want := reflect.DeepEqual(na, nb)
			if got := comparers[1].CompareDocuments(da, db).Equal(); got != want {
				t.Fatalf("%q vs %q: Equal = %v, encoding/json says %v", a, b, got, want)
			}
			// Without strict arrays: equal exactly when equal with every array sorted.
			want = unordered(na) == unordered(nb)
			if got := comparers[0].CompareDocuments(da, db).Equal(); got != want {
				t.Fatalf("%q vs %q: multiset Equal = %v, sorted arrays say %v", a, b, got, want)
			}
		}
	})
}

// unordered is a canonical text of a normalized value with every array sorted.
func unordered(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = unordered(e)
		}
		slices.Sort(parts)
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var b strings.Builder
		b.WriteString("{")
		for _, k := range keys {
			fmt.Fprintf(&b, "%q:%s,", k, unordered(x[k]))
		}
		return b.String() + "}"
	case ratNumber:
		return "n" + string(x)
	default:
		j, _ := json.Marshal(x)
		return string(j)
	}
}

// ratNumber is a normalized number, distinct from a string.
type ratNumber string

// normalize decodes data with encoding/json, numbers as exact rationals; false when a number
// has an exponent too large to expand.
func normalize(data []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	ok := true
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case json.Number:
			s := string(x)
			if i := strings.IndexAny(s, "eE"); i >= 0 && len(s)-i > 5 {
				ok = false
				return nil
			}
			r, good := new(big.Rat).SetString(s)
			if !good {
				ok = false
				return nil
			}
			return ratNumber(r.RatString())
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = walk(x[k])
			}
		}
		return v
	}
	v = walk(v)
	return v, ok
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
		c, err := Compile(Config{IgnoreFields: []string{"$" + strings.TrimPrefix(p, "$")}})
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
