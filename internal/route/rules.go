// Package route decides, per request, which side of a hybrid plugin answers: route rules
// (path glob or template, method, a condition expression over the request, priority) compiled
// once, and the glob matcher that endpoint overrides share.
package route

import (
	"fmt"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// Decision is what a RuleSet chose for one request.
type Decision struct {
	// Mode is plugin.ModeMock or plugin.ModeProxy.
	Mode plugin.Mode
	// Rule labels the matching rule for the X-Mockloop-Rule header; "" when no rule matched and
	// the default applied.
	Rule string
	// Fallback asks for the mock answer when the live call fails.
	Fallback bool
}

// RuleStat is one route rule as reported by GET /__mockloop/status.
type RuleStat struct {
	Rule      string      `json:"rule"`
	Pattern   string      `json:"pattern"`
	Method    string      `json:"method,omitempty"`
	Condition string      `json:"condition,omitempty"`
	Mode      plugin.Mode `json:"mode"`
	Priority  int         `json:"priority"`
	Hits      int64       `json:"hits"`
}

// RuleSet is a compiled list of rules; it implements Decider and is safe for concurrent use.
type RuleSet struct {
	rules           []*compiledRule // evaluation order
	defaultMode     plugin.Mode
	defaultFallback bool
	anyCondition    bool
}

type compiledRule struct {
	plugin.RouteRule
	label string
	match *Matcher
	hits  atomic.Int64
}

// Compile checks and compiles a plugin's route rules once: patterns, methods, modes and
// conditions. The error names the rule (its position and pattern) and, for a condition, the
// line and column. defaultMode (mock or proxy) and defaultFallback apply when no rule matches.
// A rule's pattern is a path glob (`*` matches one segment, `**` any number, including none;
// `?` and `[...]` work inside a segment as in path.Match) or an OpenAPI path template
// (`/pets/{id}`: a `{name}` matches one segment), matched against the request path and against
// the operation's template. A rule without a name is labelled "#N METHOD pattern".
func Compile(rules []plugin.RouteRule, defaultMode plugin.Mode, defaultFallback bool) (*RuleSet, error) {
	if defaultMode != plugin.ModeMock && defaultMode != plugin.ModeProxy {
		return nil, fmt.Errorf("route rules: default mode %q must be mock or proxy", defaultMode)
	}
	rs := &RuleSet{defaultMode: defaultMode, defaultFallback: defaultFallback}
	for i, r := range rules {
		where := fmt.Sprintf("route rule %d (%s)", i+1, r.Pattern)
		c := &compiledRule{RouteRule: r}
		mode, err := plugin.ParseMode(string(r.Mode))
		if err != nil || mode == plugin.ModeHybrid {
			return nil, fmt.Errorf("%s: mode %q must be mock or proxy", where, r.Mode)
		}
		c.Mode = mode
		if strings.TrimSpace(r.Pattern) == "" {
			return nil, fmt.Errorf("%s: pattern: empty pattern", where)
		}
		if c.match, err = CompileMatcher(MatchSpec{Pattern: r.Pattern, Method: r.Method, Condition: r.Condition}); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		rs.anyCondition = rs.anyCondition || c.match.cond != nil
		c.label = r.Name
		if c.label == "" {
			c.label = fmt.Sprintf("#%d ", i+1)
			if methods := c.match.Methods(); methods != nil {
				c.label += strings.Join(methods, ",") + " "
			}
			c.label += r.Pattern
		}
		rs.rules = append(rs.rules, c)
	}
	sort.SliceStable(rs.rules, func(i, j int) bool { return rs.rules[i].Priority > rs.rules[j].Priority })
	return rs, nil
}

// Decide returns the first matching rule's mode, or the default. A condition that fails at run
// time (for example an index out of range) does not match.
func (rs *RuleSet) Decide(r *http.Request, op *spec.Operation) Decision {
	req := NewRequest(r, op)
	for _, c := range rs.rules {
		if !c.match.Match(&req) {
			continue
		}
		c.hits.Add(1)
		return Decision{Mode: c.Mode, Rule: c.label, Fallback: c.Fallback == plugin.ModeMock || rs.defaultFallback}
	}
	return Decision{Mode: rs.defaultMode, Fallback: rs.defaultFallback}
}

// Stats reports each rule with its hit count, in evaluation order.
func (rs *RuleSet) Stats() []RuleStat {
	out := make([]RuleStat, 0, len(rs.rules))
	for _, c := range rs.rules {
		out = append(out, RuleStat{
			Rule:      c.label,
			Pattern:   c.Pattern,
			Method:    strings.Join(c.match.Methods(), ","),
			Condition: c.Condition,
			Mode:      c.Mode,
			Priority:  c.Priority,
			Hits:      c.hits.Load(),
		})
	}
	return out
}

// Pattern is a compiled path pattern: a glob or an OpenAPI path template.
type Pattern []string

// CompilePattern checks and compiles a path pattern (see Compile for the syntax).
func CompilePattern(p string) (Pattern, error) { return compilePattern(p) }

// Match reports whether the path matches.
func (p Pattern) Match(path string) bool { return matchSegments(p, splitSegments(path)) }

// compilePattern splits a pattern into segments, turning `{name}` template parts into `*` and
// checking each segment is a valid path.Match pattern.
func compilePattern(p string) ([]string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return nil, fmt.Errorf("empty pattern")
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("%q must start with /", p)
	}
	segs := splitSegments(p)
	for i, s := range segs {
		if s == "**" {
			continue
		}
		if strings.Contains(s, "**") {
			return nil, fmt.Errorf("%q: ** must be a whole segment", p)
		}
		s = templateToGlob(s)
		if _, err := path.Match(s, ""); err != nil {
			return nil, fmt.Errorf("%q: segment %q: %w", p, segs[i], err)
		}
		segs[i] = s
	}
	return segs, nil
}

// templateToGlob replaces each `{name}` with `*`; an unclosed `{` stays literal.
func templateToGlob(s string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			break
		}
		closing := strings.IndexByte(s[open:], '}')
		if closing < 0 {
			break
		}
		b.WriteString(s[:open])
		b.WriteByte('*')
		s = s[open+closing+1:]
	}
	b.WriteString(s)
	return b.String()
}

func compileMethods(m string) ([]string, error) {
	m = strings.TrimSpace(m)
	if m == "" || m == "*" {
		return nil, nil
	}
	var out []string
	for _, part := range strings.Split(m, ",") {
		part = strings.ToUpper(strings.TrimSpace(part))
		if part == "" || strings.ContainsAny(part, " \t/") {
			return nil, fmt.Errorf("invalid method %q", m)
		}
		out = append(out, part)
	}
	return out, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// splitSegments splits a path into its non-empty segments: "/a//b/" → [a b].
func splitSegments(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// matchSegments matches glob segments against path segments; `**` matches any number of
// segments. It is the classic wildcard algorithm with one backtracking point: O(len(pat)*len(segs))
// whatever the pattern, so no request path can make it slow.
func matchSegments(pat, segs []string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for px < len(pat) || sx < len(segs) {
		if px < len(pat) {
			if pat[px] == "**" {
				starP, starS = px, sx
				px++
				continue
			}
			if sx < len(segs) {
				if ok, _ := path.Match(pat[px], segs[sx]); ok {
					px++
					sx++
					continue
				}
			}
		}
		if starP >= 0 && starS < len(segs) {
			starS++
			px, sx = starP+1, starS
			continue
		}
		return false
	}
	return true
}
