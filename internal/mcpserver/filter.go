package mcpserver

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/testrun"
)

// opFilter is one --operations filter. It accepts what `test run --operations` accepts, with
// the same meaning (testrun.Filter: an operationId, a tag, or a glob over "/path/template" or
// "METHOD /path/template" where * matches any run of characters), plus two forms for picking
// tools out of a large API:
//
//   - "tag:NAME" matches operations tagged NAME (case-insensitive);
//   - a glob without a space or a leading '/' ("repos*", "*Pet") matches operationIds (and
//     tags), '*' any run of characters and '?' one.
type opFilter struct {
	source string
	tag    string         // tag:NAME
	glob   *regexp.Regexp // operationId / tag glob
}

// parseFilters checks --operations values: an empty value, an empty tag, or a value with a
// space that is not "METHOD /path" is an error.
func parseFilters(values []string) ([]opFilter, error) {
	var out []opFilter
	for _, v := range values {
		v = strings.TrimSpace(v)
		f := opFilter{source: v}
		switch {
		case v == "":
			return nil, fmt.Errorf("--operations: empty filter")
		case strings.HasPrefix(v, "tag:"):
			f.tag = strings.TrimSpace(strings.TrimPrefix(v, "tag:"))
			if f.tag == "" {
				return nil, fmt.Errorf("--operations %q: empty tag", v)
			}
		case strings.Contains(v, " "):
			_, path, _ := strings.Cut(v, " ")
			if path = strings.TrimSpace(path); !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "*") {
				return nil, fmt.Errorf("--operations %q: want \"METHOD /path\"", v)
			}
		case !strings.HasPrefix(v, "/") && strings.ContainsAny(v, "*?"):
			f.glob = globRegexp(v)
		}
		out = append(out, f)
	}
	return out, nil
}

// match reports whether f keeps op.
func (f opFilter) match(op *spec.Operation) bool {
	if f.tag != "" {
		if op.Op != nil {
			for _, t := range op.Op.Tags {
				if strings.EqualFold(t, f.tag) {
					return true
				}
			}
		}
		return false
	}
	if testrun.Filter([]string{f.source}).Match(op) {
		return true
	}
	if f.glob == nil {
		return false
	}
	if op.ID != "" && f.glob.MatchString(op.ID) {
		return true
	}
	if op.Op != nil {
		for _, t := range op.Op.Tags {
			if f.glob.MatchString(t) {
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

// globRegexp turns an operationId glob into an anchored regexp: '*' matches any run of
// characters, '?' one. Every other rune is literal, so compilation cannot fail.
func globRegexp(glob string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, c := range glob {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
