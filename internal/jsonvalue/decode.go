// Package jsonvalue decodes JSON text into the generic values that encoding/json's Decoder
// gives with UseNumber (map[string]any, []any, json.Number, string, bool and nil), the form
// kin-openapi validates bodies in, with less CPU and memory.
//
// encoding/json's Decoder copies the text into its own growing buffer, scans it once to find
// the value's end and again to decode it, and copies every string and number out of the
// text. Decode reads the text once, in place: strings without escapes, numbers and object keys
// are slices of it, so the values keep the text alive and the text must not change while they
// are in use.
//
// It takes only the common case, one well-formed value followed by nothing but whitespace,
// and says so with ok. Anything else (a syntax error, content after the value, an invalid UTF-8
// byte or a lone surrogate in a string, a duplicate key, nesting deeper than encoding/json
// allows) returns ok false, so that the caller decodes with encoding/json and gets exactly its
// result or error. FuzzDecode checks that whatever Decode takes, encoding/json decodes the same.
package jsonvalue

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxDepth is encoding/json's limit on nesting.
const maxDepth = 10000

// Decode returns the JSON value data holds, and ok false when encoding/json should decode it
// instead (see the package comment). The strings in the value may share data's memory.
func Decode(data []byte) (v any, ok bool) {
	d := decoder{s: unsafe.String(unsafe.SliceData(data), len(data))}
	d.space()
	v, ok = d.value()
	if !ok {
		return nil, false
	}
	d.space()
	if d.i != len(d.s) {
		return nil, false
	}
	return v, true
}

type decoder struct {
	s     string
	i     int
	depth int
}

func (d *decoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) value() (any, bool) {
	if d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		return s, true
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return d.number()
		}
		return nil, false
	}
}

func (d *decoder) literal(word string) bool {
	if !strings.HasPrefix(d.s[d.i:], word) {
		return false
	}
	d.i += len(word)
	return true
}

// open enters the object or array whose bracket is at d.i and reports whether it is empty
// (closer is next); ok is false past encoding/json's nesting limit.
func (d *decoder) open(closer byte) (empty, ok bool) {
	if d.depth++; d.depth > maxDepth {
		return false, false
	}
	d.i++
	d.space()
	if d.i < len(d.s) && d.s[d.i] == closer {
		d.i++
		d.depth--
		return true, true
	}
	return false, true
}

// next reads what follows a member or an element: a comma (more to come) or closer (done).
func (d *decoder) next(closer byte) (done, ok bool) {
	d.space()
	if d.i >= len(d.s) {
		return false, false
	}
	switch d.s[d.i] {
	case ',':
		d.i++
		d.space()
		return false, true
	case closer:
		d.i++
		d.depth--
		return true, true
	}
	return false, false
}

func (d *decoder) object() (any, bool) {
	m := map[string]any{}
	empty, ok := d.open('}')
	if !ok || empty {
		return m, ok
	}
	for {
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		key, ok := d.str()
		if !ok {
			return nil, false
		}
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.space()
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false // encoding/json keeps the last; its v2 refuses: let it decide
		}
		m[key] = v
		if done, ok := d.next('}'); !ok || done {
			return m, ok
		}
	}
}

func (d *decoder) array() (any, bool) {
	// encoding/json gives [] as an empty, non-nil slice.
	a := make([]any, 0)
	empty, ok := d.open(']')
	if !ok || empty {
		return a, ok
	}
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if done, ok := d.next(']'); !ok || done {
			return a, ok
		}
	}
}

// str reads the string at d.i (its opening quote): a slice of the text when it has no escapes.
func (d *decoder) str() (string, bool) {
	start := d.i + 1
	for j := start; j < len(d.s); {
		switch c := d.s[j]; {
		case c == '"':
			d.i = j + 1
			return d.s[start:j], true
		case c == '\\':
			return d.escaped(start, j)
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRuneInString(d.s[j:])
			if r == utf8.RuneError && size == 1 {
				return "", false // encoding/json replaces it with U+FFFD
			}
			j += size
		}
	}
	return "", false
}

// escaped reads the rest of a string that has an escape at j, copying it.
func (d *decoder) escaped(start, j int) (string, bool) {
	b := make([]byte, 0, j-start+16)
	b = append(b, d.s[start:j]...)
	for j < len(d.s) {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			return string(b), true
		case c == '\\':
			if j+1 >= len(d.s) {
				return "", false
			}
			switch e := d.s[j+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, n, ok := d.unicode(j)
				if !ok {
					return "", false
				}
				b = utf8.AppendRune(b, r)
				j += n
				continue
			default:
				return "", false
			}
			j += 2
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			j++
		default:
			r, size := utf8.DecodeRuneInString(d.s[j:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			b = append(b, d.s[j:j+size]...)
			j += size
		}
	}
	return "", false
}

// unicode reads the \uXXXX escape at j (and the low half of a surrogate pair after it): the
// rune and the bytes read. A lone surrogate is left to encoding/json.
func (d *decoder) unicode(j int) (rune, int, bool) {
	r, ok := hex4(d.s, j+2)
	if !ok {
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, true
	}
	if j+12 > len(d.s) || d.s[j+6] != '\\' || d.s[j+7] != 'u' {
		return 0, 0, false
	}
	lo, ok := hex4(d.s, j+8)
	if !ok {
		return 0, 0, false
	}
	if full := utf16.DecodeRune(r, lo); full != utf8.RuneError {
		return full, 12, true
	}
	return 0, 0, false
}

func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	// ParseUint in base 16 takes hex digits only (no sign, no prefix, no underscores).
	n, err := strconv.ParseUint(s[at:at+4], 16, 32)
	return rune(n), err == nil
}

// number reads a number as JSON writes it (RFC 8259): a slice of the text.
func (d *decoder) number() (any, bool) {
	s, start := d.s, d.i
	j := start
	if s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case j < len(s) && s[j] >= '1' && s[j] <= '9':
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	default:
		return nil, false
	}
	if j < len(s) && s[j] == '.' {
		j++
		if j >= len(s) || s[j] < '0' || s[j] > '9' {
			return nil, false
		}
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j >= len(s) || s[j] < '0' || s[j] > '9' {
			return nil, false
		}
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	}
	d.i = j
	return json.Number(s[start:j]), true
}
