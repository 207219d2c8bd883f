package jsonvalue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// stdlib is what kin-openapi's JSON body decoder does: encoding/json's Decoder with UseNumber.
func stdlib(data []byte) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode(&v)
	return v, err
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"object", `{"id": 1, "name": "a", "tags": ["x", "y"], "owner": null, "ok": true, "no": false}`, true},
		{"nested", `{"a":{"b":[{"c":[]}, {}]}}`, true},
		{"empty array is not nil", `[]`, true},
		{"numbers", `[0, -0, 12, -3.25, 1e10, 2E-3, 4.5e+6, 12345678901234567890123]`, true},
		{"escapes", `"a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00"`, true},
		{"utf-8", `"café ✓ 😀"`, true},
		{"surrounding whitespace", " \t\r\n{\"a\": 1}\n ", true},
		{"scalar", `"just a string"`, true},
		{"empty input", ``, false},
		{"only whitespace", `   `, false},
		{"content after the value", `{"a":1} x`, false},
		{"two values", `1 2`, false},
		{"syntax error", `{"a" 1}`, false},
		{"trailing comma", `[1,]`, false},
		{"leading zero", `01`, false},
		{"bare minus", `-`, false},
		{"dot without digits", `1.`, false},
		{"exponent without digits", `1e`, false},
		{"control character in a string", "\"a\x01b\"", false},
		{"invalid UTF-8", "\"a\xffb\"", false},
		{"lone surrogate", `"\ud800"`, false},
		{"surrogate then not a low one", `"\ud800\u0041"`, false},
		{"unknown escape", `"\x"`, false},
		{"short unicode escape", `"\u12"`, false},
		{"duplicate key", `{"a":1,"a":2}`, false},
		{"unterminated string", `"abc`, false},
		{"unterminated object", `{"a":1`, false},
		{"misspelt literal", `tru`, false},
		{"too deep", strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), false},
		{"as deep as allowed", strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Decode([]byte(tt.in))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			want, err := stdlib([]byte(tt.in))
			if err != nil {
				t.Fatalf("encoding/json refuses what Decode took: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v\nwant %#v", got, want)
			}
		})
	}
}

// FuzzDecode: whatever Decode takes, encoding/json decodes to the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"id": 1, "name": "a", "tags": ["x", "y"], "owner": null}`, `[]`, `{}`, `"\ud83d\ude00"`,
		`-0.5e-3`, `{"a":{"b":[1,2,{"c":"\u00e9"}]}}`, `[true,false,null]`, `{"a":1,"a":2}`, "\"\xff\"",
		`{"a" : [ 1 , 2 ] }`, `1 2`, `{} `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := Decode(data)
		if !ok {
			return
		}
		want, err := stdlib(data)
		if err != nil {
			t.Fatalf("Decode took %q, encoding/json refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, want %#v", data, got, want)
		}
	})
}

// itemsBody is a large request body of many small objects, as bench/hostile sends.
func itemsBody(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < size-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item number %d","tags":["a","b","c"],"price":%d.25}`, i, i, i%100)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkDecode is Decode against encoding/json's Decoder with UseNumber (what kin-openapi's
// JSON body decoder runs) on a 1 MiB body of small objects.
func BenchmarkDecode(b *testing.B) {
	body := itemsBody(1 << 20)
	b.Run("jsonvalue", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, ok := Decode(body); !ok {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := stdlib(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
