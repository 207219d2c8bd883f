package spec

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	yamlv4 "go.yaml.in/yaml/v4"
)

// This file reads JSON for the fast path (fastjson.go) without encoding/json or a YAML parser:
// objectMembers splits an object into its members' texts (validating, copying nothing), and
// jsonNodes builds, from the text of a subtree, the YAML node tree that go.yaml.in/yaml's parser
// would build for it (JSON is YAML), for kin-openapi's UnmarshalYAML methods to decode. YAML's
// tokenizer and composer were two thirds of the load's CPU on GitHub's spec; this does their
// work on JSON in a fraction of that, and the strings it yields share the document's memory.
//
// Both are strict JSON (RFC 8259): anything encoding/json would reject, they reject, and the
// callers then take the old path, which reports the error as before.

// maxJSONDepth bounds nesting, as encoding/json does.
const maxJSONDepth = 10000

// jsonMember is one member of an object: its key, unescaped, and its value's text.
type jsonMember struct {
	key string
	raw string
}

// objectMembers splits the JSON object s (surrounded by whitespace at most) into its members,
// in document order. ok is false when s is not exactly one valid JSON object.
func objectMembers(s string) (members []jsonMember, ok bool) {
	sc := jsonScanner{s: s}
	sc.ws()
	if sc.i >= len(s) || s[sc.i] != '{' {
		return nil, false
	}
	sc.i++
	sc.ws()
	if sc.i < len(s) && s[sc.i] == '}' {
		sc.i++
	} else {
		for {
			keyStart := sc.i
			if !sc.str() {
				return nil, false
			}
			key, ok := unquote(s[keyStart:sc.i])
			if !ok {
				return nil, false
			}
			sc.ws()
			if sc.i >= len(s) || s[sc.i] != ':' {
				return nil, false
			}
			sc.i++
			sc.ws()
			start := sc.i
			if !sc.value(1) {
				return nil, false
			}
			members = append(members, jsonMember{key: key, raw: s[start:sc.i]})
			sc.ws()
			if sc.i >= len(s) {
				return nil, false
			}
			if s[sc.i] == '}' {
				sc.i++
				break
			}
			if s[sc.i] != ',' {
				return nil, false
			}
			sc.i++
			sc.ws()
		}
	}
	sc.ws()
	return members, sc.i == len(s)
}

// lastMembers is objectMembers as a map; of duplicate keys the last wins, as with
// encoding/json.
func lastMembers(s string) (map[string]string, bool) {
	ms, ok := objectMembers(s)
	if !ok {
		return nil, false
	}
	m := make(map[string]string, len(ms))
	for _, mb := range ms {
		m[mb.key] = mb.raw
	}
	return m, true
}

// jsonScanner validates JSON values, advancing i past them.
type jsonScanner struct {
	s string
	i int
}

func (sc *jsonScanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// value skips one value, reporting whether it was valid.
func (sc *jsonScanner) value(depth int) bool {
	if sc.i >= len(sc.s) || depth > maxJSONDepth {
		return false
	}
	switch c := sc.s[sc.i]; {
	case c == '{':
		sc.i++
		sc.ws()
		if sc.i < len(sc.s) && sc.s[sc.i] == '}' {
			sc.i++
			return true
		}
		for {
			if !sc.str() {
				return false
			}
			sc.ws()
			if sc.i >= len(sc.s) || sc.s[sc.i] != ':' {
				return false
			}
			sc.i++
			sc.ws()
			if !sc.value(depth + 1) {
				return false
			}
			sc.ws()
			if sc.i >= len(sc.s) {
				return false
			}
			switch sc.s[sc.i] {
			case '}':
				sc.i++
				return true
			case ',':
				sc.i++
				sc.ws()
			default:
				return false
			}
		}
	case c == '[':
		sc.i++
		sc.ws()
		if sc.i < len(sc.s) && sc.s[sc.i] == ']' {
			sc.i++
			return true
		}
		for {
			if !sc.value(depth + 1) {
				return false
			}
			sc.ws()
			if sc.i >= len(sc.s) {
				return false
			}
			switch sc.s[sc.i] {
			case ']':
				sc.i++
				return true
			case ',':
				sc.i++
				sc.ws()
			default:
				return false
			}
		}
	case c == '"':
		return sc.str()
	case c == 't':
		return sc.lit("true")
	case c == 'f':
		return sc.lit("false")
	case c == 'n':
		return sc.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return sc.num()
	}
	return false
}

func (sc *jsonScanner) lit(word string) bool {
	if len(sc.s)-sc.i < len(word) || sc.s[sc.i:sc.i+len(word)] != word {
		return false
	}
	sc.i += len(word)
	return true
}

// str skips a string; i is at its opening quote.
func (sc *jsonScanner) str() bool {
	s := sc.s
	i := sc.i
	if i >= len(s) || s[i] != '"' {
		return false
	}
	i++
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			sc.i = i + 1
			return true
		case c == '\\':
			if i+1 >= len(s) {
				return false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) {
					return false
				}
				for _, h := range []byte(s[i+2 : i+6]) {
					if !isHex(h) {
						return false
					}
				}
				i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// num skips a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (sc *jsonScanner) num() bool {
	s := sc.s
	i := sc.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	sc.i = i
	return true
}

// unquote is the value of the JSON string literal q (quotes included), as encoding/json reads
// it: without escapes and in valid UTF-8 it is a slice of q; otherwise encoding/json decodes it
// (surrogate pairs, invalid UTF-8 replaced by U+FFFD).
func unquote(q string) (string, bool) {
	body := q[1 : len(q)-1]
	if !containsByte(body, '\\') && utf8.ValidString(body) {
		return body, true
	}
	var out string
	if err := json.Unmarshal([]byte(q), &out); err != nil {
		return "", false
	}
	return out, true
}

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// The tags go.yaml.in/yaml's resolver gives to JSON's values.
const (
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagBool  = "!!bool"
	tagNull  = "!!null"
	tagMap   = "!!map"
	tagSeq   = "!!seq"
)

// numberTag is the tag go.yaml.in/yaml resolves a plain scalar holding the JSON number s to
// (resolver.go's resolve, for the inputs JSON's grammar allows): -0 is a float; an integer is
// an int when it fits 64 bits (signed, then unsigned), else a float; a number with a fraction
// or exponent is a float; a number that overflows a float64 stays a string.
func numberTag(s string) string {
	if s == "-0" || s == "-0.0" {
		return tagFloat
	}
	integer := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c == 'e' || c == 'E' {
			integer = false
			break
		}
	}
	if integer {
		if _, err := strconv.ParseInt(s, 0, 64); err == nil {
			return tagInt
		}
		if _, err := strconv.ParseUint(s, 0, 64); err == nil {
			return tagInt
		}
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return tagFloat
	}
	return tagStr
}

// nodeBuilder builds YAML nodes from the JSON text of one subtree, allocating them in chunks.
type nodeBuilder struct {
	s         string
	i         int
	line      int // of s[i], 1-based
	lineStart int // index of the first byte of the current line
	// YAML counts columns in characters: colRunes characters come before colPos on its line
	// (nodes are made in text order, so counting on from there is linear overall).
	colPos, colRunes int
	nodes            []yamlv4.Node
	ptrs             []*yamlv4.Node
	stack            []*yamlv4.Node // children of the containers being built
	chunk            int
}

// jsonNodes is the node tree go.yaml.in/yaml's parser builds for the JSON text s (a value,
// surrounded by whitespace at most), with the same kinds, tags, styles, values, lines and
// columns. ok is false when s is not valid JSON.
func jsonNodes(s string) (*yamlv4.Node, bool) {
	b := &nodeBuilder{s: s, line: 1, chunk: min(512, len(s)/24+8)}
	b.ws()
	n, ok := b.value(1)
	if !ok {
		return nil, false
	}
	b.ws()
	return n, b.i == len(s)
}

func (b *nodeBuilder) ws() {
	for b.i < len(b.s) {
		switch b.s[b.i] {
		case ' ', '\t':
			b.i++
		case '\r':
			// A line break for YAML on its own, or as the first half of "\r\n".
			b.i++
			if b.i >= len(b.s) || b.s[b.i] != '\n' {
				b.line++
				b.lineStart, b.colPos, b.colRunes = b.i, b.i, 0
			}
		case '\n':
			b.i++
			b.line++
			b.lineStart, b.colPos, b.colRunes = b.i, b.i, 0
		default:
			return
		}
	}
}

// next reads what follows a member or an element: the closing byte (done) or a comma and
// the space after it; anything else is not JSON.
func (b *nodeBuilder) next(closing byte) (done, ok bool) {
	b.ws()
	if b.i >= len(b.s) {
		return false, false
	}
	switch b.s[b.i] {
	case closing:
		b.i++
		return true, true
	case ',':
		b.i++
		b.ws()
		return false, true
	}
	return false, false
}

func (b *nodeBuilder) node(kind yamlv4.Kind, style yamlv4.Style, tag, value string) *yamlv4.Node {
	if len(b.nodes) == 0 {
		b.nodes = make([]yamlv4.Node, b.chunk)
	}
	n := &b.nodes[0]
	b.nodes = b.nodes[1:]
	n.Kind, n.Style, n.Tag, n.Value = kind, style, tag, value
	b.colRunes += utf8.RuneCountInString(b.s[b.colPos:b.i])
	b.colPos = b.i
	n.Line, n.Column = b.line, b.colRunes+1
	return n
}

// content moves the children above mark off the stack into a node's Content.
func (b *nodeBuilder) content(mark int) []*yamlv4.Node {
	k := len(b.stack) - mark
	if k == 0 {
		return nil
	}
	if len(b.ptrs) < k {
		b.ptrs = make([]*yamlv4.Node, max(k, 4*b.chunk))
	}
	c := b.ptrs[:k:k]
	b.ptrs = b.ptrs[k:]
	copy(c, b.stack[mark:])
	clear(b.stack[mark:])
	b.stack = b.stack[:mark]
	return c
}

func (b *nodeBuilder) value(depth int) (*yamlv4.Node, bool) {
	if b.i >= len(b.s) || depth > maxJSONDepth {
		return nil, false
	}
	sc := jsonScanner{s: b.s, i: b.i}
	switch c := b.s[b.i]; {
	case c == '{':
		n := b.node(yamlv4.MappingNode, yamlv4.FlowStyle, tagMap, "")
		b.i++
		b.ws()
		mark := len(b.stack)
		if b.i < len(b.s) && b.s[b.i] == '}' {
			b.i++
			return n, true
		}
		for {
			if b.i >= len(b.s) || b.s[b.i] != '"' {
				return nil, false
			}
			k, ok := b.str()
			if !ok {
				return nil, false
			}
			b.stack = append(b.stack, k)
			b.ws()
			if b.i >= len(b.s) || b.s[b.i] != ':' {
				return nil, false
			}
			b.i++
			b.ws()
			v, ok := b.value(depth + 1)
			if !ok {
				return nil, false
			}
			b.stack = append(b.stack, v)
			done, ok := b.next('}')
			if !ok {
				return nil, false
			}
			if done {
				n.Content = b.content(mark)
				return n, true
			}
		}
	case c == '[':
		n := b.node(yamlv4.SequenceNode, yamlv4.FlowStyle, tagSeq, "")
		b.i++
		b.ws()
		mark := len(b.stack)
		if b.i < len(b.s) && b.s[b.i] == ']' {
			b.i++
			return n, true
		}
		for {
			v, ok := b.value(depth + 1)
			if !ok {
				return nil, false
			}
			b.stack = append(b.stack, v)
			done, ok := b.next(']')
			if !ok {
				return nil, false
			}
			if done {
				n.Content = b.content(mark)
				return n, true
			}
		}
	case c == '"':
		return b.str()
	case c == 't', c == 'f', c == 'n':
		word, tag := "null", tagNull
		switch c {
		case 't':
			word, tag = "true", tagBool
		case 'f':
			word, tag = "false", tagBool
		}
		if !sc.lit(word) {
			return nil, false
		}
		n := b.node(yamlv4.ScalarNode, 0, tag, word)
		b.i = sc.i
		return n, true
	case c == '-' || (c >= '0' && c <= '9'):
		if !sc.num() {
			return nil, false
		}
		text := b.s[b.i:sc.i]
		n := b.node(yamlv4.ScalarNode, 0, numberTag(text), text)
		b.i = sc.i
		return n, true
	}
	return nil, false
}

// str builds a string scalar; i is at its opening quote.
func (b *nodeBuilder) str() (*yamlv4.Node, bool) {
	sc := jsonScanner{s: b.s, i: b.i}
	if !sc.str() {
		return nil, false
	}
	v, ok := unquote(b.s[b.i:sc.i])
	if !ok {
		return nil, false
	}
	n := b.node(yamlv4.ScalarNode, yamlv4.DoubleQuotedStyle, tagStr, v)
	b.i = sc.i
	return n, true
}
