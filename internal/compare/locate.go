package compare

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Step is one step of a body location: an object key (IsKey), an array index, or any array
// index (Index == AnyIndex, written [*]).
type Step struct {
	Key   string
	Index int
	IsKey bool
}

// AnyIndex is the Index of a step that stands for every element of an array: [*].
const AnyIndex = -1

// ParseLocation reads a body location as Difference.Location writes it ($, $.a.b[0],
// $["odd key"], and [*] for any index) into its steps. It reports false for anything else:
// status, header NAME, line N, body, or a JSONPath with other selectors.
func ParseLocation(loc string) ([]Step, bool) {
	if !strings.HasPrefix(loc, "$") {
		return nil, false
	}
	var steps []Step
	rest := loc[1:]
	for rest != "" {
		switch {
		case rest[0] == '.':
			n := 1
			for n < len(rest) && rest[n] != '.' && rest[n] != '[' {
				n++
			}
			key := rest[1:n]
			if !isIdent([]byte(key)) {
				return nil, false
			}
			steps = append(steps, Step{Key: key, IsKey: true})
			rest = rest[n:]
		case strings.HasPrefix(rest, "[*]"):
			steps = append(steps, Step{Index: AnyIndex})
			rest = rest[3:]
		case strings.HasPrefix(rest, `["`):
			q, err := strconv.QuotedPrefix(rest[1:])
			if err != nil || !strings.HasPrefix(rest[1+len(q):], "]") {
				return nil, false
			}
			key, err := strconv.Unquote(q)
			if err != nil {
				return nil, false
			}
			steps = append(steps, Step{Key: key, IsKey: true})
			rest = rest[2+len(q):]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 2 {
				return nil, false
			}
			i, err := strconv.Atoi(rest[1:end])
			if err != nil || i < 0 || strconv.Itoa(i) != rest[1:end] {
				return nil, false
			}
			steps = append(steps, Step{Index: i})
			rest = rest[end+1:]
		default:
			return nil, false
		}
	}
	return steps, true
}

// FormatLocation writes steps as a location that ignore_fields and the other path options
// accept: identifiers after a dot, other keys as ["quoted"], indexes as [n], AnyIndex as [*].
func FormatLocation(steps []Step) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, s := range steps {
		switch {
		case s.IsKey && isIdent([]byte(s.Key)):
			b.WriteByte('.')
			b.WriteString(s.Key)
		case s.IsKey:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.Key))
			b.WriteByte(']')
		case s.Index == AnyIndex:
			b.WriteString("[*]")
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// Wildcard is a body location with every array index replaced by [*]: the same place in
// every element ($.items[3].price is $.items[*].price). Other locations (status, header
// NAME, line N, body) are returned unchanged.
func Wildcard(loc string) string {
	steps, ok := ParseLocation(loc)
	if !ok {
		return loc
	}
	for i := range steps {
		if !steps[i].IsKey {
			steps[i].Index = AnyIndex
		}
	}
	return FormatLocation(steps)
}

// Select returns the values (as compact JSON text) at the locations path selects, in document
// order: path is a JSONPath as ignore_fields takes it, compiled the same way; a location that
// does not exist selects nothing. A bad path is a *PatternError.
func (d *Document) Select(path string) ([]json.RawMessage, error) {
	var m matcher
	pos, err := m.add(path)
	if err != nil {
		return nil, &PatternError{Option: "path", Pattern: path, Err: err}
	}
	var out []json.RawMessage
	var visit func(n *node, st state)
	visit = func(n *node, st state) {
		if st.has(pos) {
			out = append(out, rawValue(d.src, n))
		}
		switch n.kind {
		case kindObject:
			for i := 0; i < len(n.kids); i += 2 {
				if next := m.next(&st, keySeg(&n.kids[i])); !next.empty() {
					visit(&n.kids[i+1], next)
				}
			}
		case kindArray:
			for i := range n.kids {
				if next := m.next(&st, idxSeg(i, len(n.kids))); !next.empty() {
					visit(&n.kids[i], next)
				}
			}
		}
	}
	visit(&d.root, m.start)
	return out, nil
}

// Leaves returns the locations of the document's scalar values and empty containers with
// array indexes as [*], sorted and without repeats: the places a comparison can report.
func (d *Document) Leaves() []string {
	seen := map[string]bool{}
	var steps []Step
	var visit func(n *node)
	visit = func(n *node) {
		switch {
		case n.kind == kindObject && len(n.kids) > 0:
			for i := 0; i < len(n.kids); i += 2 {
				steps = append(steps, Step{Key: string(n.kids[i].s), IsKey: true})
				visit(&n.kids[i+1])
				steps = steps[:len(steps)-1]
			}
		case n.kind == kindArray && len(n.kids) > 0:
			steps = append(steps, Step{Index: AnyIndex})
			for i := range n.kids {
				visit(&n.kids[i])
			}
			steps = steps[:len(steps)-1]
		default:
			seen[FormatLocation(steps)] = true
		}
	}
	visit(&d.root)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
