package compare

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Fields is a compiled list of field selectors in the ignore_fields grammar, for the features
// that act on fields of a body other than by comparing it (recordings redact them): a bare
// name selects that object key at any depth, a string starting with "$" is a JSONPath
// (yalp/jsonpath syntax) that selects exactly the locations it names. It is immutable and safe
// for concurrent use.
type Fields struct {
	bare map[string]bool
	m    matcher
	at   state
}

// CompileFields compiles patterns; a bad one is a *PatternError naming option.
func CompileFields(option string, patterns []string) (*Fields, error) {
	f := &Fields{}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.HasPrefix(p, "$") {
			if f.bare == nil {
				f.bare = map[string]bool{}
			}
			f.bare[p] = true
			continue
		}
		pos, err := f.m.add(p)
		if err != nil {
			return nil, &PatternError{Option: option, Pattern: p, Err: err}
		}
		f.at.set(pos)
	}
	return f, nil
}

// CheckFields reports the first of patterns that does not compile, as CompileFields would.
func CheckFields(option string, patterns []string) error {
	_, err := CompileFields(option, patterns)
	return err
}

// Empty reports whether f selects nothing.
func (f *Fields) Empty() bool { return f == nil || (f.bare == nil && f.at.empty()) }

// Mask returns body, a JSON document, with the value at every selected location replaced by
// the JSON string mask (a selected location inside another is covered by it), every other
// byte kept; locations are the places masked, as comparison differences name them ($.a[0].b).
// A body that is not JSON is returned as it is, with ok false.
func (f *Fields) Mask(body []byte, mask string) (out []byte, locations []string, ok bool) {
	doc, err := ParseJSON(body)
	if err != nil {
		return body, nil, false
	}
	if f.Empty() {
		return body, nil, true
	}
	var spans [][2]int32
	var path []segment
	var walk func(n *node, st state)
	visit := func(g segment, n *node, st state) {
		path = append(path, g)
		var next state
		if !st.empty() {
			next = f.m.next(&st, g)
		}
		x := next.and(&f.at)
		if (g.isKey && f.bare[string(g.key)]) || !x.empty() {
			spans = append(spans, [2]int32{n.start, n.end})
			locations = append(locations, formatLocation(path))
		} else {
			walk(n, next)
		}
		path = path[:len(path)-1]
	}
	walk = func(n *node, st state) {
		switch n.kind {
		case kindObject:
			for i := 0; i+1 < len(n.kids); i += 2 {
				visit(keySeg(&n.kids[i]), &n.kids[i+1], st)
			}
		case kindArray:
			for i := range n.kids {
				visit(idxSeg(i, len(n.kids)), &n.kids[i], st)
			}
		}
	}
	walk(&doc.root, f.m.start)
	if len(spans) == 0 {
		return body, nil, true
	}
	quoted, _ := json.Marshal(mask)
	var buf bytes.Buffer
	buf.Grow(len(body))
	last := int32(0)
	for _, s := range spans {
		buf.Write(body[last:s[0]])
		buf.Write(quoted)
		last = s[1]
	}
	buf.Write(body[last:])
	return buf.Bytes(), locations, true
}
