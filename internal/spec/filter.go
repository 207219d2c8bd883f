package spec

import (
	"fmt"
	"regexp"
	"strings"
)

// Filter selects operations: the --operations grammar of `test plan`, `test run` and `mcp`,
// and the `operations:` key of a plugin. An operation is kept when any of the filter's
// patterns matches it; the empty filter keeps everything. A pattern is one of:
//
//   - "tag:NAME": the operations tagged NAME (case-insensitive);
//   - "METHOD /path" or "/path": a glob over the path template, '*' matching any run of
//     characters ('/' included), METHOD case-insensitive or '*';
//   - an operationId or a tag, exactly (tags case-insensitive);
//   - a glob without a space or a leading '/' ("repos*", "*Pet"): operationIds and tags, '*'
//     matching any run of characters and '?' one.
type Filter struct {
	patterns []pattern
}

type pattern struct {
	source string
	tag    string         // tag:NAME
	method string         // METHOD /path ("" for /path alone)
	path   *regexp.Regexp // path glob
	glob   *regexp.Regexp // operationId / tag glob
}

// ParseFilter checks and compiles patterns. An empty pattern, an empty tag, or a pattern with
// a space that is not "METHOD /path" is an error naming it.
func ParseFilter(patterns []string) (Filter, error) {
	var f Filter
	for _, v := range patterns {
		v = strings.TrimSpace(v)
		p := pattern{source: v}
		switch {
		case v == "":
			return Filter{}, fmt.Errorf(`"": empty filter`)
		case strings.HasPrefix(v, "tag:"):
			p.tag = strings.TrimSpace(strings.TrimPrefix(v, "tag:"))
			if p.tag == "" {
				return Filter{}, fmt.Errorf("%q: empty tag", v)
			}
		case strings.HasPrefix(v, "/"):
			p.path = globRegexp(v, false)
		case strings.Contains(v, " "):
			method, path, _ := strings.Cut(v, " ")
			path = strings.TrimSpace(path)
			if !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "*") {
				return Filter{}, fmt.Errorf("%q: want \"METHOD /path\"", v)
			}
			p.method, p.path = strings.ToUpper(method), globRegexp(path, false)
		case strings.ContainsAny(v, "*?"):
			p.glob = globRegexp(v, true)
		}
		f.patterns = append(f.patterns, p)
	}
	return f, nil
}

// Empty reports whether the filter keeps every operation.
func (f Filter) Empty() bool { return len(f.patterns) == 0 }

// String is the patterns as given, comma-separated.
func (f Filter) String() string {
	s := make([]string, len(f.patterns))
	for i, p := range f.patterns {
		s[i] = p.source
	}
	return strings.Join(s, ", ")
}

// Match reports whether the filter keeps op.
func (f Filter) Match(op *Operation) bool {
	if len(f.patterns) == 0 {
		return true
	}
	for _, p := range f.patterns {
		if p.match(op) {
			return true
		}
	}
	return false
}

// Select returns the operations of doc the filter keeps, in document order.
func (f Filter) Select(doc *Document) []*Operation {
	if f.Empty() {
		return doc.Operations
	}
	var out []*Operation
	for _, op := range doc.Operations {
		if f.Match(op) {
			out = append(out, op)
		}
	}
	return out
}

func (p pattern) match(op *Operation) bool {
	tags := op.tags()
	switch {
	case p.tag != "":
		for _, t := range tags {
			if strings.EqualFold(t, p.tag) {
				return true
			}
		}
		return false
	case p.path != nil:
		return (p.method == "" || p.method == "*" || p.method == op.Method) && p.path.MatchString(op.Path)
	}
	if op.ID != "" && p.source == op.ID {
		return true
	}
	for _, t := range tags {
		if strings.EqualFold(t, p.source) {
			return true
		}
	}
	if p.glob == nil {
		return false
	}
	if op.ID != "" && p.glob.MatchString(op.ID) {
		return true
	}
	for _, t := range tags {
		if p.glob.MatchString(t) {
			return true
		}
	}
	return false
}

func (o *Operation) tags() []string {
	if o.Op == nil {
		return nil
	}
	return o.Op.Tags
}

// globRegexp turns a glob into an anchored regexp (RE2: linear in the input, whatever the
// pattern): '*' matches any run of characters, '/' included, and with question '?' matches
// one. Every other rune is literal, so compilation cannot fail.
func globRegexp(g string, question bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, c := range g {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			if !question {
				b.WriteString(regexp.QuoteMeta("?"))
				continue
			}
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
