package mcpserver

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/mockloop/mockloop/internal/spec"
)

// opFilter is one --operations filter. An operation is kept when any filter matches it:
//
//   - "tag:NAME" matches operations tagged NAME (a glob, case-insensitive);
//   - "METHOD /path" (a space inside) is a glob on the method and the path template, where
//     '*' matches within one path segment and '**' across segments ("GET /pets/*", "* /admin/**");
//   - anything else is a glob on the operationId, and also matches a tag of that name.
type opFilter struct {
	source string
	tag    *regexp.Regexp // tag: filters and bare names
	id     *regexp.Regexp // bare names
	method *regexp.Regexp // "METHOD /path" filters
	path   *regexp.Regexp
}

// parseFilters compiles --operations values. An empty filter is an error.
func parseFilters(values []string) ([]opFilter, error) {
	var out []opFilter
	for _, v := range values {
		v = strings.TrimSpace(v)
		f := opFilter{source: v}
		switch {
		case v == "":
			return nil, fmt.Errorf("--operations: empty filter")
		case strings.HasPrefix(v, "tag:"):
			name := strings.TrimSpace(strings.TrimPrefix(v, "tag:"))
			if name == "" {
				return nil, fmt.Errorf("--operations %q: empty tag", v)
			}
			f.tag = globRegexp(name, true)
		case strings.Contains(v, " "):
			method, path, _ := strings.Cut(v, " ")
			path = strings.TrimSpace(path)
			if !strings.HasPrefix(path, "/") && path != "*" && path != "**" {
				return nil, fmt.Errorf("--operations %q: want \"METHOD /path\"", v)
			}
			f.method = globRegexp(method, true)
			f.path = globRegexp(path, false)
		default:
			f.id = globRegexp(v, false)
			f.tag = globRegexp(v, true)
		}
		out = append(out, f)
	}
	return out, nil
}

// match reports whether f keeps op.
func (f opFilter) match(op *spec.Operation) bool {
	switch {
	case f.path != nil:
		return f.method.MatchString(op.Method) && f.path.MatchString(op.Path)
	case f.id != nil && op.ID != "" && f.id.MatchString(op.ID):
		return true
	}
	if f.tag != nil && op.Op != nil {
		for _, t := range op.Op.Tags {
			if f.tag.MatchString(t) {
				return true
			}
		}
	}
	return false
}

// keep reports whether op passes filters (no filters keep everything).
func keep(filters []opFilter, op *spec.Operation) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if f.match(op) {
			return true
		}
	}
	return false
}

// globRegexp turns a glob into an anchored regexp: '**' matches anything, '*' anything but
// '/', '?' one rune but '/'. Every other rune is literal, so compilation cannot fail.
func globRegexp(glob string, foldCase bool) *regexp.Regexp {
	var b strings.Builder
	if foldCase {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	rs := []rune(glob)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; {
		case c == '*' && i+1 < len(rs) && rs[i+1] == '*':
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
