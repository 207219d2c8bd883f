package compare

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// diffs compares a and b under opts and returns one "location kind mock live" line per
// difference, plus "ignored N" when something was ignored.
func diffs(t *testing.T, opts Config, a, b string) []string {
	t.Helper()
	c, err := Compile(opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	res, err := c.CompareJSON([]byte(a), []byte(b))
	if err != nil {
		t.Fatalf("CompareJSON: %v", err)
	}
	return lines(res)
}

func lines(res Result) []string {
	var out []string
	for _, d := range res.Differences {
		out = append(out, strings.Join([]string{d.Location, string(d.Kind), orDash(d.Mock), orDash(d.Live)}, " "))
	}
	if res.Ignored > 0 {
		out = append(out, "ignored "+strconv.Itoa(res.Ignored))
	}
	return out
}

func orDash(b []byte) string {
	if b == nil {
		return "-"
	}
	return string(b)
}

func TestCompareJSON(t *testing.T) {
	tests := []struct {
		name string
		opts Config
		a, b string
		want []string
	}{
		{name: "equal objects in another key order", a: `{"a":1,"b":[1,2]}`, b: `{"b":[1,2],"a":1}`},
		{name: "changed value", a: `{"a":1}`, b: `{"a":2}`, want: []string{"$.a changed 1 2"}},
		{name: "missing and extra keys", a: `{"a":1,"b":2}`, b: `{"b":2,"c":3}`,
			want: []string{"$.a missing 1 -", "$.c extra - 3"}},
		{name: "type number vs string", a: `{"a":1}`, b: `{"a":"1"}`, want: []string{`$.a type 1 "1"`}},
		{name: "null vs missing", a: `{"a":null}`, b: `{}`, want: []string{"$.a missing null -"}},
		{name: "null vs value", a: `{"a":null}`, b: `{"a":0}`, want: []string{"$.a type null 0"}},
		{name: "int vs float equal", a: `{"a":1}`, b: `{"a":1.0}`},
		{name: "exponent forms equal", a: `[100, 0.5, -0, 12e-1]`, b: `[1e2, 5E-1, 0, 1.2]`, opts: Config{StrictArrays: Bool(true)}},
		{name: "int vs float different", a: `{"a":1}`, b: `{"a":1.5}`, want: []string{"$.a changed 1 1.5"}},
		{name: "large integers not rounded", a: `{"id":12345678901234567890}`, b: `{"id":12345678901234567891}`,
			want: []string{"$.id changed 12345678901234567890 12345678901234567891"}},
		{name: "large integers equal", a: `{"id":123456789012345678901234567890}`, b: `{"id":123456789012345678901234567890.0}`},
		{name: "top-level scalars", a: `"x"`, b: `"y"`, want: []string{`$ changed "x" "y"`}},
		{name: "top-level scalar types", a: `true`, b: `null`, want: []string{"$ type true null"}},
		{name: "top-level arrays", a: `[1,2,3]`, b: `[1,2]`, want: []string{"$[2] missing 3 -"}},
		{name: "odd keys are quoted", a: `{"odd key":{"x-y":1}}`, b: `{"odd key":{"x-y":2}}`,
			want: []string{`$["odd key"]["x-y"] changed 1 2`}},
		{name: "escaped strings equal", a: `{"a":"\u00e9\n"}`, b: `{"a":"é\n"}`},
		{name: "nested object changed", a: `{"a":{"b":[{"c":true}]}}`, b: `{"a":{"b":[{"c":false}]}}`,
			want: []string{"$.a.b[0].c changed true false"}},
		{name: "whole values reported", a: `{"a":{"x": [1, 2]}}`, b: `{}`, want: []string{`$.a missing {"x":[1,2]} -`}},

		{name: "bare name ignored at depth", opts: Config{IgnoreFields: []string{"timestamp"}},
			a: `{"timestamp":1,"data":{"items":[{"timestamp":2,"v":1}]}}`,
			b: `{"timestamp":9,"data":{"items":[{"timestamp":8,"v":1}]}}`, want: []string{"ignored 2"}},
		{name: "bare name ignores missing keys", opts: Config{IgnoreFields: []string{"debug"}},
			a: `{"a":1}`, b: `{"a":1,"debug":{"x":1}}`, want: []string{"ignored 1"}},
		{name: "equal ignored values are not counted", opts: Config{IgnoreFields: []string{"t"}},
			a: `{"t":1}`, b: `{"t":1}`},
		{name: "jsonpath ignore with wildcard", opts: Config{IgnoreFields: []string{"$.data[*].id"}},
			a:    `{"id":1,"data":[{"id":1,"n":"a"},{"id":2,"n":"b"}]}`,
			b:    `{"id":2,"data":[{"id":3,"n":"a"},{"id":4,"n":"c"}]}`,
			want: []string{"$.id changed 1 2", `$.data[1].n changed "b" "c"`, "ignored 2"}},
		{name: "jsonpath recursive ignore", opts: Config{IgnoreFields: []string{"$..request_id"}},
			a: `{"request_id":"a","x":{"request_id":"b"},"y":[{"request_id":"c"}]}`,
			b: `{"request_id":"z","x":{"request_id":"y"},"y":[{"request_id":"x"}]}`, want: []string{"ignored 3"}},
		{name: "jsonpath ignore is exact", opts: Config{IgnoreFields: []string{"$.a.id"}},
			a: `{"a":{"id":1},"b":{"id":1}}`, b: `{"a":{"id":2},"b":{"id":2}}`,
			want: []string{"$.b.id changed 1 2", "ignored 1"}},
		{name: "jsonpath bracket ignore", opts: Config{IgnoreFields: []string{`$["odd key"]`}},
			a: `{"odd key":1}`, b: `{"odd key":2}`, want: []string{"ignored 1"}},
		{name: "jsonpath index ignore", opts: Config{IgnoreFields: []string{`$.a[0]`}, StrictArrays: Bool(true)},
			a: `{"a":[1,2]}`, b: `{"a":[5,6]}`, want: []string{"$.a[1] changed 2 6", "ignored 1"}},
		{name: "ignore root", opts: Config{IgnoreFields: []string{`$`}}, a: `1`, b: `2`, want: []string{"ignored 1"}},

		{name: "tolerance passes 100 vs 109", opts: Config{Tolerance: Tolerance{Default: Number(0.1)}}, a: `{"p":100}`, b: `{"p":109}`},
		{name: "tolerance fails 100 vs 112", opts: Config{Tolerance: Tolerance{Default: Number(0.1)}}, a: `{"p":100}`, b: `{"p":112}`,
			want: []string{"$.p changed 100 112"}},
		{name: "tolerance boundary is exact", opts: Config{Tolerance: Tolerance{Default: Number(0.3)}}, a: `70`, b: `100`},
		{name: "tolerance zero is exact", a: `{"p":100}`, b: `{"p":100.0000001}`, want: []string{"$.p changed 100 100.0000001"}},
		{name: "per-path tolerance overrides default", opts: Config{Tolerance: Tolerance{Default: Number(0.1), Paths: map[string]float64{"$.price": 0}}},
			a: `{"price":100,"qty":100}`, b: `{"price":101,"qty":105}`, want: []string{"$.price changed 100 101"}},
		{name: "per-path tolerance by bare name", opts: Config{Tolerance: Tolerance{Paths: map[string]float64{"score": 0.5}}},
			a: `{"a":{"score":10},"b":10}`, b: `{"a":{"score":14},"b":11}`, want: []string{"$.b changed 10 11"}},
		{name: "per-path tolerance wildcard", opts: Config{Tolerance: Tolerance{Paths: map[string]float64{"$.items[*].price": 0.1}}},
			a: `{"items":[{"price":10,"n":1}]}`, b: `{"items":[{"price":10.5,"n":2}]}`, want: []string{"$.items[0].n changed 1 2"}},

		{name: "reordered arrays equal when not strict", a: `[1,2,3,{"a":1}]`, b: `[{"a":1},3,1,2]`},
		{name: "reordered arrays differ when strict", opts: Config{StrictArrays: Bool(true)}, a: `[1,2]`, b: `[2,1]`,
			want: []string{"$[0] changed 1 2", "$[1] changed 2 1"}},
		{name: "multiset duplicates", a: `[1,1,2]`, b: `[1,2,2]`, want: []string{"$[1] changed 1 2"}},
		{name: "multiset duplicate missing", a: `["a","a","b"]`, b: `["b","a"]`, want: []string{`$[0] missing "a" -`}},
		{name: "multiset extra at live index", a: `[1]`, b: `[2,1]`, want: []string{"$[0] extra - 2"}},
		{name: "multiset best match", a: `[{"id":1,"n":"a","v":1},{"id":2,"n":"b","v":2}]`,
			b: `[{"id":2,"n":"b","v":3},{"id":1,"n":"a","v":1}]`, want: []string{"$[1].v changed 2 3"}},
		{name: "multiset numbers by value", a: `[1.0, 20e-1, 3, {"a":[1e0]}]`, b: `[{"a":[1]}, 3, 2, 1]`},
		{name: "multiset with ignored fields", opts: Config{IgnoreFields: []string{"ts"}},
			a: `[{"id":1,"ts":5},{"id":2,"ts":6}]`, b: `[{"id":2,"ts":7},{"id":1,"ts":8}]`, want: []string{"ignored 2"}},
		{name: "multiset within tolerance", opts: Config{Tolerance: Tolerance{Default: Number(0.1)}}, a: `[100, 200]`, b: `[205, 99]`},
		{name: "nested reordered arrays", a: `{"a":[[1,2],[3,4]]}`, b: `{"a":[[4,3],[2,1]]}`},
		{name: "array keys", opts: Config{ArrayKeys: map[string]string{"$.items": "id"}, StrictArrays: Bool(true)},
			a:    `{"items":[{"id":1,"v":"a"},{"id":2,"v":"b"},{"id":3,"v":"c"}]}`,
			b:    `{"items":[{"id":3,"v":"c"},{"id":1,"v":"x"},{"id":4,"v":"d"}]}`,
			want: []string{`$.items[0].v changed "a" "x"`, `$.items[1] missing {"id":2,"v":"b"} -`, `$.items[2] extra - {"id":4,"v":"d"}`}},
		{name: "array keys with unkeyed elements", opts: Config{ArrayKeys: map[string]string{"$.items": "id"}},
			a: `{"items":[{"v":1},{"id":1,"v":"a"},{"v":2},7]}`, b: `{"items":[7,{"v":3},{"id":1,"v":"a"},{"v":1}]}`,
			want: []string{"$.items[2].v changed 2 3"}},
		{name: "array keys by bare name and numeric key", opts: Config{ArrayKeys: map[string]string{"items": "id"}},
			a: `{"items":[{"id":1,"v":1},{"id":2,"v":2}]}`, b: `{"items":[{"id":2.0,"v":2},{"id":1,"v":5}]}`,
			want: []string{"$.items[0].v changed 1 5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diffs(t, tt.opts, tt.a, tt.b)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Config
		want string
	}{
		{"bad ignore path", Config{IgnoreFields: []string{"$.a["}}, `ignore_fields: bad path "$.a["`},
		{"filter unsupported", Config{IgnoreFields: []string{"$.a[?(@.x)]"}}, `ignore_fields: bad path "$.a[?(@.x)]"`},
		{"bad tolerance path", Config{Tolerance: Tolerance{Paths: map[string]float64{"$..": 0.1}}}, `tolerance: bad path "$.."`},
		{"negative tolerance", Config{Tolerance: Tolerance{Default: Number(-1)}}, "tolerance default: -1 must be a number >= 0"},
		{"bad array key path", Config{ArrayKeys: map[string]string{"$x": "id"}}, `array_keys: bad path "$x"`},
		{"empty array key", Config{ArrayKeys: map[string]string{"$.x": ""}}, `array_keys "$.x": key field is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.opts)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want prefix %q", err, tt.want)
			}
			var pe *PatternError
			if strings.Contains(tt.want, "bad path") && !errors.As(err, &pe) {
				t.Errorf("err is not a *PatternError")
			}
		})
	}
}

func TestCompareResponses(t *testing.T) {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = append(out[kv[i]], kv[i+1]) // raw names: case must not matter
		}
		return out
	}
	tests := []struct {
		name       string
		opts       Config
		mock, live Response
		want       []string
	}{
		{name: "status", mock: Response{Status: 200}, live: Response{Status: 404},
			want: []string{"status status 200 404"}},
		{name: "status zero is not compared", mock: Response{Status: 0}, live: Response{Status: 404}},
		{name: "headers case-insensitive", opts: Config{CompareHeaders: HeadersAll},
			mock: Response{Header: h("content-type", "application/json", "X-Rate", "5")},
			live: Response{Header: h("Content-Type", "application/json; charset=utf-8", "x-rate", "5")}},
		{name: "header differences", opts: Config{CompareHeaders: HeadersAll},
			mock: Response{Header: h("X-A", "1", "X-B", "2")},
			live: Response{Header: h("x-a", "2", "X-C", "3")},
			want: []string{`header X-A header "1" "2"`, `header X-B header "2" -`, `header X-C header - "3"`}},
		{name: "all: per-response and ignored headers", opts: Config{CompareHeaders: HeadersAll, IgnoreHeaders: []string{"x-trace"}},
			mock: Response{Header: h("Date", "a", "X-Request-Id", "1", "X-Mockloop-Mode", "mock", "Set-Cookie", "s=1; Path=/", "X-Trace", "a", "Connection", "close", "Traceparent", "00-a")},
			live: Response{Header: h("Date", "b", "X-Request-Id", "2", "Set-Cookie", "t=2; Path=/", "X-Trace", "b", "Traceparent", "00-b")},
			want: []string{"ignored 7"}},
		{name: "declared: content type and declared headers only",
			opts: Config{CompareHeaders: HeadersDeclared},
			mock: Response{Header: h("Content-Type", "application/json", "X-Rate", "5", "Cache-Control", "no-cache", "X-Powered-By", "mock"), Declared: []string{"x-rate"}},
			live: Response{Header: h("Content-Type", "text/html", "X-Rate", "6", "Cache-Control", "max-age=60", "Server", "nginx")},
			want: []string{`header Content-Type header "application/json" "text/html"`, `header X-Rate header "5" "6"`}},
		{name: "declared: parameters normalised",
			opts: Config{CompareHeaders: HeadersDeclared},
			mock: Response{Header: h("Content-Type", "application/json")},
			live: Response{Header: h("Content-Type", "Application/JSON; Charset=UTF-8")}},
		{name: "declared: other parameters count",
			opts: Config{CompareHeaders: HeadersDeclared},
			mock: Response{Header: h("Content-Type", "text/plain; charset=utf-8")},
			live: Response{Header: h("Content-Type", "text/plain; charset=iso-8859-1")},
			want: []string{`header Content-Type header "text/plain; charset=utf-8" "text/plain; charset=iso-8859-1"`}},
		{name: "declared per-response header: presence only",
			opts: Config{CompareHeaders: HeadersDeclared},
			mock: Response{Header: h("X-Request-Id", "1", "Etag", `"a"`), Declared: []string{"X-Request-Id", "ETag"}},
			live: Response{Header: h("X-Request-Id", "2")},
			want: []string{`header Etag header "\"a\"" -`}},
		{name: "include adds a header, ignore wins",
			opts: Config{IncludeHeaders: []string{"x-region", "x-b"}, IgnoreHeaders: []string{"X-B"}},
			mock: Response{Header: h("X-B", "1", "X-C", "1")},
			live: Response{Header: h("X-Region", "eu", "X-B", "2", "X-C", "2")},
			want: []string{`header X-Region header - "eu"`, "ignored 1"}},
		{name: "set-cookie names compared when included", opts: Config{IncludeHeaders: []string{"Set-Cookie"}},
			mock: Response{Header: h("Set-Cookie", "a=1")}, live: Response{Header: h("Set-Cookie", "b=1")},
			want: []string{`header Set-Cookie header "a=1" "b=1"`}},
		{name: "off compares nothing", opts: Config{CompareHeaders: HeadersOff},
			mock: Response{Header: h("Content-Type", "a/b")}, live: Response{Header: h("Content-Type", "c/d")}},
		{name: "headers not compared by default", mock: Response{Header: h("X-A", "1")}, live: Response{Header: h("X-A", "2")}},
		{name: "json bodies", mock: Response{Body: []byte(`{"a":1}`), ContentType: "application/json"},
			live: Response{Body: []byte(`{"a":2}`), ContentType: "application/problem+json"},
			want: []string{"$.a changed 1 2"}},
		{name: "text first differing line", mock: Response{Body: []byte("a\nb\nc\n"), ContentType: "text/plain"},
			live: Response{Body: []byte("a\nB\nC\n"), ContentType: "text/plain"},
			want: []string{`line 2 changed "b" "B"`}},
		{name: "text shorter", mock: Response{Body: []byte("a\nb"), ContentType: "text/plain"},
			live: Response{Body: []byte("a"), ContentType: "text/plain"},
			want: []string{`line 2 missing "b" -`}},
		{name: "json content type with invalid body is text", mock: Response{Body: []byte(`{"a":`), ContentType: "application/json"},
			live: Response{Body: []byte(`{"a":1}`), ContentType: "application/json"},
			want: []string{`line 1 changed "{\"a\":" "{\"a\":1}"`}},
		{name: "binary", mock: Response{Body: []byte{0, 1, 2}, ContentType: "application/octet-stream"},
			live: Response{Body: []byte{0, 1}, ContentType: "application/octet-stream"},
			want: []string{`body changed "3 bytes, sha256 ae4b3280e56e2faf83f414a6e3dabe9d5fbe18976544c05fed121accb85b53fc" "2 bytes, sha256 b413f47d13ee2fe6c845b2ee141af81de858df4ec549a58b7970bb96645bc8d2"`}},
		{name: "equal binary", mock: Response{Body: []byte{0, 1}, ContentType: "image/png"}, live: Response{Body: []byte{0, 1}, ContentType: "image/png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compile(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := lines(c.Compare(tt.mock, tt.live))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1,}`, `line 1, column 8: invalid character '}' looking for beginning of object key string`},
		{"{\n  \"a\": tru\n}", `line 2, column 11: invalid character '\n' in literal true`},
		{`[1 2]`, `line 1, column 4: invalid character '2' after array element`},
		{``, `line 1, column 1: unexpected end of JSON input`},
		{`{"a":1} x`, `line 1, column 9: invalid character 'x' after top-level value`},
		{`01`, `line 1, column 2: invalid character '1' after top-level value`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseJSON([]byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestCounts(t *testing.T) {
	res := Result{Differences: []Difference{{Kind: KindChanged}, {Kind: KindChanged}, {Kind: KindMissing}}}
	c := res.Counts()
	if c[KindChanged] != 2 || c[KindMissing] != 1 || res.Equal() {
		t.Fatalf("counts = %v", c)
	}
}

// TestMultisetLarge: a shuffled array of 10k objects with one changed value gives exactly that
// difference (hash matching pairs the rest, the one leftover pair is compared), and strict
// mode sees the shuffle.
func TestMultisetLarge(t *testing.T) {
	const n = 10000
	var a, b strings.Builder
	a.WriteString("[")
	b.WriteString("[")
	perm := make([]int, n)
	for i := range perm {
		perm[i] = (i*7919 + 13) % n // a permutation: 7919 is prime and does not divide n
	}
	for i := range n {
		if i > 0 {
			a.WriteString(",")
			b.WriteString(",")
		}
		a.WriteString(`{"id":` + strconv.Itoa(i) + `,"v":"x"}`)
		j := perm[i]
		v := "x"
		if j == 4242 {
			v = "y"
		}
		b.WriteString(`{"id":` + strconv.Itoa(j) + `,"v":"` + v + `"}`)
	}
	a.WriteString("]")
	b.WriteString("]")
	got := diffs(t, Config{}, a.String(), b.String())
	if want := []string{`$[4242].v changed "x" "y"`}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := diffs(t, Config{StrictArrays: Bool(true)}, a.String(), b.String()); len(got) < n {
		t.Fatalf("strict: %d differences, want at least %d", len(got), n)
	}
}
