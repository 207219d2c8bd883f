package compare

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// kind is the JSON type of a node.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// node is one JSON value in a compact tree. Scalars keep their bytes in s: the decoded string,
// the number literal exactly as written, or the literal true/false. Arrays keep their elements
// in kids; objects keep key and value nodes alternately in kids (key nodes are strings).
// start and end are the value's byte span in the source, used to report it verbatim.
type node struct {
	s          []byte
	kids       []node
	start, end int32
	kind       kind
}

// maxDepth bounds nesting, like encoding/json.
const maxDepth = 10000

// Document is a parsed JSON document, ready to be compared. It keeps a reference to the
// source bytes, which must not be modified while the Document is in use.
type Document struct {
	src  []byte
	root node
}

// SyntaxError is a JSON document that does not parse, with the 1-based line and column
// (in bytes) of the offending character.
type SyntaxError struct {
	Offset int
	Line   int
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// ParseJSON parses one JSON value (any type at the top, surrounding white space allowed). It
// accepts exactly what encoding/json accepts; an error is a *SyntaxError.
func ParseJSON(data []byte) (*Document, error) {
	if len(data) > 1<<31-1 {
		return nil, &SyntaxError{Line: 1, Column: 1, Msg: "document larger than 2 GiB"}
	}
	p := parser{src: data}
	p.ws()
	root := p.value()
	if p.err == nil {
		p.ws()
		if p.pos < len(p.src) {
			p.fail(fmt.Sprintf("invalid character %s after top-level value", quoteChar(p.src[p.pos])))
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return &Document{src: data, root: root}, nil
}

type parser struct {
	src   []byte
	pos   int
	depth int
	err   *SyntaxError
	stack []node // elements of the containers being parsed
	slab  []node // storage handed out for finished containers' kids
	arena []byte // storage for strings that contained escapes
}

func (p *parser) fail(msg string) {
	if p.err != nil {
		return
	}
	line, col := 1, 1
	end := min(p.pos, len(p.src))
	for _, c := range p.src[:end] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	p.err = &SyntaxError{Offset: p.pos, Line: line, Column: col, Msg: msg}
}

func (p *parser) failHere(looking string) {
	if p.pos >= len(p.src) {
		p.fail("unexpected end of JSON input")
		return
	}
	p.fail(fmt.Sprintf("invalid character %s %s", quoteChar(p.src[p.pos]), looking))
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	if c >= utf8.RuneSelf {
		s = fmt.Sprintf("%q", []byte{c})
	}
	return "'" + s[1:len(s)-1] + "'"
}

func (p *parser) ws() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// alloc returns storage for n kids, carved out of a shared slab to avoid one allocation per
// container.
func (p *parser) alloc(n int) []node {
	if n > 256 {
		return make([]node, n)
	}
	if cap(p.slab)-len(p.slab) < n {
		// Size the slab from the document: typical JSON spends 8 or more bytes of source per
		// value, so len/8 rarely needs a refill, and a small response body no longer pays for a
		// fixed 4096-node (256 KiB) slab. Dense documents simply take another slab.
		size := max(n, min(4096, len(p.src)/8+1))
		p.slab = make([]node, 0, size)
	}
	s := p.slab[len(p.slab) : len(p.slab)+n : len(p.slab)+n]
	p.slab = p.slab[:len(p.slab)+n]
	return s
}

func (p *parser) value() node {
	if p.pos >= len(p.src) {
		p.fail("unexpected end of JSON input")
		return node{}
	}
	start := p.pos
	switch c := p.src[p.pos]; c {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		s, ok := p.str()
		if !ok {
			return node{}
		}
		return node{kind: kindString, s: s, start: int32(start), end: int32(p.pos)}
	case 't':
		return p.literal("true", kindBool)
	case 'f':
		return p.literal("false", kindBool)
	case 'n':
		return p.literal("null", kindNull)
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return p.number()
		}
		p.failHere("looking for beginning of value")
		return node{}
	}
}

func (p *parser) literal(lit string, k kind) node {
	start := p.pos
	for i := 0; i < len(lit); i++ {
		if p.pos >= len(p.src) {
			p.fail("unexpected end of JSON input")
			return node{}
		}
		if p.src[p.pos] != lit[i] {
			p.failHere("in literal " + lit)
			return node{}
		}
		p.pos++
	}
	return node{kind: k, s: p.src[start:p.pos], start: int32(start), end: int32(p.pos)}
}

func (p *parser) digits() int {
	n := 0
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
		n++
	}
	return n
}

func (p *parser) number() node {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos >= len(p.src):
		p.fail("unexpected end of JSON input")
		return node{}
	case p.src[p.pos] == '0':
		p.pos++
	case p.src[p.pos] >= '1' && p.src[p.pos] <= '9':
		p.digits()
	default:
		p.failHere("in numeric literal")
		return node{}
	}
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		if p.digits() == 0 {
			p.failHere("after decimal point in numeric literal")
			return node{}
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			p.failHere("in exponent of numeric literal")
			return node{}
		}
	}
	return node{kind: kindNumber, s: p.src[start:p.pos], start: int32(start), end: int32(p.pos)}
}

// plain marks bytes that may appear unescaped in a string with no further work.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str parses a string at p.pos (on the opening quote) and returns its decoded bytes: a slice
// of the source when it holds no escapes and is valid UTF-8, else a decoded copy. Invalid
// UTF-8 and lone surrogates become U+FFFD, as encoding/json does.
func (p *parser) str() ([]byte, bool) {
	p.pos++
	start := p.pos
	src := p.src
	i := p.pos
	for i < len(src) && plain[src[i]] {
		i++
	}
	if i < len(src) && src[i] == '"' {
		p.pos = i + 1
		return src[start:i], true
	}
	// Slow path: escapes, non-ASCII or an error.
	out := p.arena[len(p.arena):]
	out = append(out, src[start:i]...)
	for {
		if i >= len(src) {
			p.pos = i
			p.fail("unexpected end of JSON input")
			return nil, false
		}
		c := src[i]
		switch {
		case c == '"':
			p.pos = i + 1
			p.arena = out
			if cap(p.arena)-len(p.arena) < 64 {
				p.arena = make([]byte, 0, 4096)
			}
			return out, true
		case c == '\\':
			i++
			if i >= len(src) {
				p.pos = i
				p.fail("unexpected end of JSON input")
				return nil, false
			}
			switch e := src[i]; e {
			case '"', '\\', '/':
				out = append(out, e)
				i++
			case 'b':
				out = append(out, '\b')
				i++
			case 'f':
				out = append(out, '\f')
				i++
			case 'n':
				out = append(out, '\n')
				i++
			case 'r':
				out = append(out, '\r')
				i++
			case 't':
				out = append(out, '\t')
				i++
			case 'u':
				r, ok := hex4(src, i+1)
				if !ok {
					p.pos = min(i+1, len(src))
					for p.pos < len(src) && p.pos < i+5 && isHex(src[p.pos]) {
						p.pos++
					}
					p.failHere("in \\u hexadecimal character escape")
					return nil, false
				}
				i += 5
				if utf16.IsSurrogate(r) {
					if i+1 < len(src) && src[i] == '\\' && src[i+1] == 'u' {
						if r2, ok := hex4(src, i+2); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								out = utf8.AppendRune(out, dec)
								i += 6
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				p.pos = i
				p.failHere("in string escape code")
				return nil, false
			}
		case c < 0x20:
			p.pos = i
			p.failHere("in string literal")
			return nil, false
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, src[i:i+size]...)
			}
			i += size
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hex4(src []byte, i int) (rune, bool) {
	if i+4 > len(src) {
		return 0, false
	}
	var r rune
	for _, c := range src[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

func (p *parser) enter() bool {
	p.depth++
	if p.depth > maxDepth {
		p.fail(fmt.Sprintf("exceeded max nesting depth of %d", maxDepth))
		return false
	}
	return true
}

func (p *parser) array() node {
	start := p.pos
	if !p.enter() {
		return node{}
	}
	p.pos++ // [
	base := len(p.stack)
	p.ws()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		p.depth--
		return node{kind: kindArray, start: int32(start), end: int32(p.pos)}
	}
	for {
		v := p.value()
		if p.err != nil {
			return node{}
		}
		p.stack = append(p.stack, v)
		p.ws()
		if p.pos >= len(p.src) {
			p.fail("unexpected end of JSON input")
			return node{}
		}
		c := p.src[p.pos]
		if c == ',' {
			p.pos++
			p.ws()
			continue
		}
		if c == ']' {
			p.pos++
			break
		}
		p.failHere("after array element")
		return node{}
	}
	kids := p.alloc(len(p.stack) - base)
	copy(kids, p.stack[base:])
	p.stack = p.stack[:base]
	p.depth--
	return node{kind: kindArray, kids: kids, start: int32(start), end: int32(p.pos)}
}

func (p *parser) object() node {
	start := p.pos
	if !p.enter() {
		return node{}
	}
	p.pos++ // {
	base := len(p.stack)
	p.ws()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		p.depth--
		return node{kind: kindObject, start: int32(start), end: int32(p.pos)}
	}
	for {
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			p.failHere("looking for beginning of object key string")
			return node{}
		}
		ks := p.pos
		k, ok := p.str()
		if !ok {
			return node{}
		}
		p.stack = append(p.stack, node{kind: kindString, s: k, start: int32(ks), end: int32(p.pos)})
		p.ws()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			p.failHere("after object key")
			return node{}
		}
		p.pos++
		p.ws()
		v := p.value()
		if p.err != nil {
			return node{}
		}
		p.stack = append(p.stack, v)
		p.ws()
		if p.pos >= len(p.src) {
			p.fail("unexpected end of JSON input")
			return node{}
		}
		c := p.src[p.pos]
		if c == ',' {
			p.pos++
			p.ws()
			continue
		}
		if c == '}' {
			p.pos++
			break
		}
		p.failHere("after object key:value pair")
		return node{}
	}
	members := dedupeKeys(p.stack[base:])
	kids := p.alloc(len(members))
	copy(kids, members)
	p.stack = p.stack[:base]
	p.depth--
	return node{kind: kindObject, kids: kids, start: int32(start), end: int32(p.pos)}
}

// dedupeKeys drops members whose key appears again later, so that, as with encoding/json, the
// last value of a repeated key is the one compared. kv holds key and value nodes alternately.
func dedupeKeys(kv []node) []node {
	n := len(kv) / 2
	if n < 2 {
		return kv
	}
	dup := false
	if n <= 16 {
		for i := 0; i < len(kv) && !dup; i += 2 {
			for j := i + 2; j < len(kv); j += 2 {
				if len(kv[i].s) == len(kv[j].s) && string(kv[i].s) == string(kv[j].s) {
					dup = true
					break
				}
			}
		}
	} else {
		seen := make(map[string]struct{}, n)
		for i := 0; i < len(kv); i += 2 {
			if _, ok := seen[string(kv[i].s)]; ok {
				dup = true
				break
			}
			seen[string(kv[i].s)] = struct{}{}
		}
	}
	if !dup {
		return kv
	}
	last := make(map[string]int, n)
	for i := 0; i < len(kv); i += 2 {
		last[string(kv[i].s)] = i
	}
	out := make([]node, 0, len(kv))
	for i := 0; i < len(kv); i += 2 {
		if last[string(kv[i].s)] == i {
			out = append(out, kv[i], kv[i+1])
		}
	}
	return out
}
