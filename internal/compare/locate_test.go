package compare

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

func TestNoiseOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Config
		a, b string
		want []string
	}{
		{"strict sees the shuffle", Config{StrictArrays: Bool(true)}, `{"t":["a","b"]}`, `{"t":["b","a"]}`,
			[]string{`$.t[0] changed "a" "b"`, `$.t[1] changed "b" "a"`}},
		{"unordered array by path", Config{StrictArrays: Bool(true), UnorderedArrays: []string{"$.t"}}, `{"t":["a","b"],"u":[1,2]}`, `{"t":["b","a"],"u":[2,1]}`,
			[]string{"$.u[0] changed 1 2", "$.u[1] changed 2 1"}},
		{"unordered array by name", Config{StrictArrays: Bool(true), UnorderedArrays: []string{"t"}}, `{"x":{"t":[1,2]}}`, `{"x":{"t":[2,1]}}`, nil},
		{"unordered nested", Config{StrictArrays: Bool(true), UnorderedArrays: []string{"$.o[*].t"}}, `{"o":[{"t":[1,2]}]}`, `{"o":[{"t":[2,1]}]}`, nil},
		{"absence ignored both ways", Config{IgnoreAbsence: []string{"$.coupon", "note"}}, `{"coupon":"x","a":{"note":1}}`, `{"a":{}}`, []string{"ignored 2"}},
		{"absence ignored: values still compared", Config{IgnoreAbsence: []string{"$.coupon"}}, `{"coupon":"x"}`, `{"coupon":"y"}`,
			[]string{`$.coupon changed "x" "y"`}},
		{"absence of array elements", Config{IgnoreAbsence: []string{"$.l[*]"}}, `{"l":[1]}`, `{"l":[1,2]}`, []string{"ignored 1"}},
		{"absence elsewhere reported", Config{IgnoreAbsence: []string{"$.coupon"}}, `{"other":1}`, `{}`, []string{"$.other missing 1 -"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := diffs(t, tt.opts, tt.a, tt.b); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLocations(t *testing.T) {
	tests := []struct {
		loc, wildcard string
		ok            bool
	}{
		{"$", "$", true},
		{"$.a.b[0]", "$.a.b[*]", true},
		{`$["odd key"][12].x`, `$["odd key"][*].x`, true},
		{`$["a[1]"]`, `$["a[1]"]`, true},
		{"$[*].id", "$[*].id", true},
		{"status", "status", false},
		{"header X-Rate", "header X-Rate", false},
		{"line 3", "line 3", false},
		{"$.a[-1]", "$.a[-1]", false},
		{"$.a[01]", "$.a[01]", false},
		{`$["unterminated]`, `$["unterminated]`, false},
		{"$..a", "$..a", false},
	}
	for _, tt := range tests {
		t.Run(tt.loc, func(t *testing.T) {
			steps, ok := ParseLocation(tt.loc)
			if ok != tt.ok {
				t.Fatalf("ParseLocation ok = %v, want %v", ok, tt.ok)
			}
			if ok && FormatLocation(steps) != tt.loc {
				t.Errorf("FormatLocation = %q, want the input back", FormatLocation(steps))
			}
			if got := Wildcard(tt.loc); got != tt.wildcard {
				t.Errorf("Wildcard = %q, want %q", got, tt.wildcard)
			}
		})
	}
	// Every location the engine reports parses back to itself.
	c, _ := Compile(Config{StrictArrays: Bool(true)})
	res, err := c.CompareJSON([]byte(`{"a b":[1,{"c":[true]}],"x":{"y.z":1}}`), []byte(`{"a b":[2,{"c":[false]}],"x":{"y.z":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Differences {
		if steps, ok := ParseLocation(d.Location); !ok || FormatLocation(steps) != d.Location {
			t.Errorf("%s does not parse back", d.Location)
		}
	}
}

func TestSelectAndLeaves(t *testing.T) {
	doc, err := ParseJSON([]byte(`{"items":[{"id":1,"tags":["a"]},{"id":2,"tags":[]}],"meta":{"n":2,"e":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want []string
	}{
		{"$.items[*].id", []string{"1", "2"}},
		{"$.items", []string{`[{"id":1,"tags":["a"]},{"id":2,"tags":[]}]`}},
		{"$..id", []string{"1", "2"}},
		{"$.missing.x", nil},
		{"$.meta", []string{`{"n":2,"e":{}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			vals, err := doc.Select(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vals {
				got = append(got, string(v))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := doc.Select("$.a["); err == nil {
		t.Errorf("bad path: no error")
	}
	want := []string{"$.items[*].id", "$.items[*].tags", "$.items[*].tags[*]", "$.meta.e", "$.meta.n"}
	if got := doc.Leaves(); !slices.Equal(got, want) {
		t.Errorf("Leaves = %v, want %v", got, want)
	}
}

func TestHeaderMode(t *testing.T) {
	tests := []struct {
		yaml, json string
		want       HeaderMode
		out        string
	}{
		{"true", "true", HeadersDeclared, "true\n"},
		{"false", "false", HeadersOff, "false\n"},
		{"all", `"all"`, HeadersAll, "all\n"},
		{"ALL", `"true"`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			var y, j HeaderMode
			if err := yaml.Unmarshal([]byte(tt.yaml), &y); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.json), &j); err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if y != HeadersAll || j != HeadersDeclared {
					t.Errorf("case and strings: got %q %q", y, j)
				}
				return
			}
			if y != tt.want || j != tt.want {
				t.Errorf("got %q %q, want %q", y, j, tt.want)
			}
			out, _ := yaml.Marshal(y)
			if string(out) != tt.out {
				t.Errorf("yaml %q, want %q", out, tt.out)
			}
			jout, _ := json.Marshal(j)
			if string(jout) != tt.json {
				t.Errorf("json %s, want %s", jout, tt.json)
			}
		})
	}
	for _, bad := range []string{"maybe", "[true]", "{a: 1}"} {
		if _, err := ParseConfig([]byte("compare_headers: "+bad+"\n"), "c.yaml"); err == nil || !strings.Contains(err.Error(), "compare_headers") {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
	var c Config
	if err := json.Unmarshal([]byte(`{"compare_headers":null}`), &c); err != nil || c.CompareHeaders != "" {
		t.Errorf("null: %q %v", c.CompareHeaders, err)
	}
	if err := json.Unmarshal([]byte(`{"compare_headers":1}`), &c); err == nil {
		t.Errorf("a number: no error")
	}
}

// FuzzLocation: any text either parses as a location or is refused; a parsed one formats to
// a location that parses to the same steps, and Wildcard never panics.
func FuzzLocation(f *testing.F) {
	for _, s := range []string{"$", "$.a.b[0]", `$["odd key"][12]`, "$[*].x", `$["\u00e9"]`, "$[", "$.", "header X", `$["a"`, "$[99999999999999999999]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = Wildcard(s)
		steps, ok := ParseLocation(s)
		if !ok {
			return
		}
		back, ok := ParseLocation(FormatLocation(steps))
		if !ok || !slices.Equal(back, steps) {
			t.Fatalf("%q: %v formats to %q, which parses to %v (%v)", s, steps, FormatLocation(steps), back, ok)
		}
	})
}

// FuzzParseConfig: any comparison file is a Config or a one-line error; a Config that
// validates compiles or names its bad pattern.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"compare_headers: all\n", "compare_headers: true\ninclude_headers: [X-A]\n",
		"unordered_arrays: [$.t]\nignore_absence: [a, '$.b[*]']\n", "tolerance: {default: 0.1, $.a: 0}\n", "compare_headers: [1]\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "c.yaml")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on more than one line: %q", err)
			}
			return
		}
		if _, err := Compile(c); err != nil && !strings.Contains(err.Error(), "bad path") && !strings.Contains(err.Error(), "too many") {
			t.Fatalf("compile: %v", err)
		}
	})
}
