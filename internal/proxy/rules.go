package proxy

import (
	"fmt"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/mockloop/mockloop/internal/spec"
)

// Rule is one hybrid route rule, as given in a plugin's route_rules.
type Rule struct {
	// Name labels the rule in X-Mockloop-Rule and the status report; "" gives "#N METHOD pattern"
	// with N the rule's 1-based position in the list.
	Name string
	// Pattern is a path glob (`*` matches one segment, `**` any number, including none; `?` and
	// `[...]` work inside a segment as in path.Match) or an OpenAPI path template (`/pets/{id}`:
	// a `{name}` matches one segment). It is matched against the request path and against the
	// operation's template, so `/pets/{petId}` matches whatever the server base path is.
	Pattern string
	// Method restricts the rule to one method, or a comma-separated list; "" or "*" is any.
	Method string
	// Condition is an expr-lang boolean expression over `request` (see ConditionEnv); "" is true.
	Condition string
	// Mode is ModeMock or ModeProxy.
	Mode Mode
	// Priority orders the rules: higher first; ties keep the given order.
	Priority int
	// Fallback answers from the mock when the live call fails (the default fallback also applies).
	Fallback bool
}

// RuleSet is a compiled list of rules; it implements Decider and is safe for concurrent use.
type RuleSet struct {
	rules           []*compiledRule // evaluation order
	defaultMode     Mode
	defaultFallback bool
	anyCondition    bool
}

type compiledRule struct {
	Rule
	label    string
	segments []string
	methods  []string // upper-case; nil = any
	cond     *Condition
	hits     atomic.Int64
}

// CompileRules checks and compiles rules once: patterns, methods, modes and conditions. The
// error names the rule (its position and pattern) and, for a condition, the line and column.
// defaultMode (ModeMock or ModeProxy) and defaultFallback apply when no rule matches.
func CompileRules(rules []Rule, defaultMode Mode, defaultFallback bool) (*RuleSet, error) {
	if defaultMode != ModeMock && defaultMode != ModeProxy {
		return nil, fmt.Errorf("route rules: default mode %q must be mock or proxy", defaultMode)
	}
	rs := &RuleSet{defaultMode: defaultMode, defaultFallback: defaultFallback}
	for i, r := range rules {
		where := fmt.Sprintf("route rule %d (%s)", i+1, r.Pattern)
		c := &compiledRule{Rule: r}
		mode, err := ParseMode(string(r.Mode))
		if err != nil || mode == ModeHybrid {
			return nil, fmt.Errorf("%s: mode %q must be mock or proxy", where, r.Mode)
		}
		c.Mode = mode
		if c.segments, err = compilePattern(r.Pattern); err != nil {
			return nil, fmt.Errorf("%s: pattern: %w", where, err)
		}
		if c.methods, err = compileMethods(r.Method); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if strings.TrimSpace(r.Condition) != "" {
			if c.cond, err = CompileCondition(r.Condition); err != nil {
				return nil, fmt.Errorf("%s: condition %q: %w", where, r.Condition, err)
			}
			rs.anyCondition = true
		}
		c.label = r.Name
		if c.label == "" {
			c.label = fmt.Sprintf("#%d ", i+1)
			if c.methods != nil {
				c.label += strings.Join(c.methods, ",") + " "
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
	reqSegs := splitSegments(r.URL.Path)
	var opSegs []string
	if op != nil {
		opSegs = splitSegments(op.Path)
	}
	var env ConditionEnv
	envReady := false
	for _, c := range rs.rules {
		if c.methods != nil && !containsFold(c.methods, r.Method) {
			continue
		}
		if !matchSegments(c.segments, reqSegs) && (op == nil || !matchSegments(c.segments, opSegs)) {
			continue
		}
		if c.cond != nil {
			if !envReady {
				env, envReady = NewConditionEnv(r), true
			}
			if ok, err := c.cond.Eval(env); err != nil || !ok {
				continue
			}
		}
		c.hits.Add(1)
		return Decision{Mode: c.Mode, Rule: c.label, Fallback: c.Fallback || rs.defaultFallback}
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
			Method:    strings.Join(c.methods, ","),
			Condition: c.Condition,
			Mode:      c.Mode,
			Priority:  c.Priority,
			Hits:      c.hits.Load(),
		})
	}
	return out
}

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
