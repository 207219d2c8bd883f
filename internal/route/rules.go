// Package route decides, per request, which side of a hybrid plugin answers: route rules
// (path glob or template, method, a condition expression over the request, priority) compiled
// once, and the glob matcher that endpoint overrides share.
package route

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
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
	// Percent and Key are the rule's A/B split, when it has one.
	Percent *float64 `json:"percent,omitempty"`
	Key     string   `json:"key,omitempty"`
	// Hits counts the requests the rule decided; Sides splits them by the side they went to.
	Hits  int64                 `json:"hits"`
	Sides map[plugin.Mode]int64 `json:"sides"`
	// ConditionErrors counts the requests whose condition failed at run time (a type error, a
	// bad conversion): the rule did not match them. LastConditionError is the latest message.
	ConditionErrors    int64  `json:"condition_errors"`
	LastConditionError string `json:"last_condition_error,omitempty"`
}

// RuleSet is a compiled list of rules; it implements Decider and is safe for concurrent use.
type RuleSet struct {
	rules           []*compiledRule // evaluation order
	defaultMode     plugin.Mode
	defaultFallback bool
	anyCondition    bool
	log             *slog.Logger // nil: no log lines
}

// shareScale is the resolution of a percent split: hundredths of a percent.
const shareScale = 10000

// maxErrorKinds bounds the distinct runtime errors remembered (and logged) per rule.
const maxErrorKinds = 32

type compiledRule struct {
	plugin.RouteRule
	label    string
	match    *Matcher
	split    bool   // a percent split
	share    uint64 // out of shareScale, when split
	key      string // canonical header name deciding the split; "" for random
	hits     atomic.Int64
	sides    [2]atomic.Int64 // requests sent to mock, to proxy
	errCount atomic.Int64
	lastErr  atomic.Pointer[string]

	mu    sync.Mutex
	kinds map[string]bool // runtime error messages already logged
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
		if share, ok := r.Share(); ok {
			if math.IsNaN(share) || share <= 0 || share > 100 {
				return nil, fmt.Errorf("%s: percent %v: want more than 0 and at most 100", where, share)
			}
			c.split, c.share = true, uint64(math.Round(share*shareScale/100))
		} else if r.Key != "" {
			return nil, fmt.Errorf("%s: key applies to a percent split: give percent too", where)
		}
		if r.Key != "" {
			c.key = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(r.Key))
		}
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

// SetLogger has the rule set write its lines to l: at debug one per decision (the rule, its
// condition, the side, the split), at warn each new kind of runtime condition error per rule.
// Call it before the first Decide.
func (rs *RuleSet) SetLogger(l *slog.Logger) { rs.log = l }

// Decide returns the first matching rule's mode (or, for a percent split, the side the
// request's share falls on), or the default. A condition that fails at run time (for example
// a conversion of a value that is not a number) does not match; the failure is counted in
// the rule's stats and logged once per rule and kind of error.
func (rs *RuleSet) Decide(r *http.Request, op *spec.Operation) Decision {
	req := NewRequest(r, op)
	debug := rs.log != nil && rs.log.Enabled(r.Context(), slog.LevelDebug)
	skipped := 0 // rules whose pattern matched and whose condition did not
	for _, c := range rs.rules {
		ok, condFalse, err := c.match.Test(&req)
		if err != nil {
			rs.conditionFailed(r.Context(), c, err)
		}
		if condFalse {
			skipped++
		}
		if !ok {
			continue
		}
		mode, bucket := c.Mode, -1
		if c.split {
			var in bool
			in, bucket = c.inShare(r)
			if !in {
				mode = other(mode)
			}
		}
		c.hits.Add(1)
		c.sides[sideIndex(mode)].Add(1)
		d := Decision{Mode: mode, Rule: c.label, Fallback: c.Fallback == plugin.ModeMock || rs.defaultFallback}
		if debug {
			attrs := []any{"method", r.Method, "path", r.URL.Path, "rule", c.label, "condition", conditionResult(c), "side", mode}
			if c.split {
				attrs = append(attrs, "split", splitText(c, bucket))
			}
			if skipped > 0 {
				attrs = append(attrs, "conditions_false", skipped)
			}
			rs.log.Debug("route", attrs...)
		}
		return d
	}
	if debug {
		attrs := []any{"method", r.Method, "path", r.URL.Path, "rule", "(none)", "side", rs.defaultMode}
		if skipped > 0 {
			attrs = append(attrs, "conditions_false", skipped)
		}
		rs.log.Debug("route", attrs...)
	}
	return Decision{Mode: rs.defaultMode, Fallback: rs.defaultFallback}
}

// inShare reports whether r falls in the rule's share, and the bucket (out of shareScale) it
// drew: from a stable hash of the key header's value when there is one, else at random.
func (c *compiledRule) inShare(r *http.Request) (bool, int) {
	var b uint64
	if v := headerValue(r, c.key); v != "" {
		b = fnv1a(v) % shareScale
	} else {
		b = rand.Uint64N(shareScale)
	}
	return b < c.share, int(b)
}

// fnv1a is the 64-bit FNV-1a hash of s (hash/fnv's, without its allocations).
func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// headerValue is the first value of the canonical header name; "" for none.
func headerValue(r *http.Request, name string) string {
	if name == "" {
		return ""
	}
	if vs := r.Header[name]; len(vs) > 0 {
		return vs[0]
	}
	for k, vs := range r.Header { // a header map filled by hand, not canonicalised
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

func other(m plugin.Mode) plugin.Mode {
	if m == plugin.ModeMock {
		return plugin.ModeProxy
	}
	return plugin.ModeMock
}

func sideIndex(m plugin.Mode) int {
	if m == plugin.ModeProxy {
		return 1
	}
	return 0
}

func conditionResult(c *compiledRule) string {
	if c.match.cond == nil {
		return "none"
	}
	return "true"
}

func splitText(c *compiledRule, bucket int) string {
	by := "random"
	if c.key != "" {
		by = "by " + c.key
	}
	return fmt.Sprintf("%.2f%% to %s, drew %.2f (%s)", float64(c.share)*100/shareScale, c.Mode, float64(bucket)*100/shareScale, by)
}

// errorKind is a runtime error message without the values it quotes: "invalid operation:
// int(abc)" is "invalid operation: int(…)". Values come from the request (a header may hold a
// credential) and would make every request a new kind.
func errorKind(msg string) string {
	return quotedValues.ReplaceAllString(parenValues.ReplaceAllString(msg, "(…)"), "…")
}

var (
	parenValues  = regexp.MustCompile(`\([^()]*\)`)
	quotedValues = regexp.MustCompile(`"[^"]*"|'[^']*'|` + "`[^`]*`")
)

// conditionFailed counts a runtime condition error and logs it the first time this rule
// fails this way.
func (rs *RuleSet) conditionFailed(ctx context.Context, c *compiledRule, err error) {
	c.errCount.Add(1)
	msg := errorKind(err.Error())
	if last := c.lastErr.Load(); last == nil || *last != msg {
		c.lastErr.Store(&msg)
	}
	if rs.log == nil {
		return
	}
	c.mu.Lock()
	if c.kinds == nil {
		c.kinds = map[string]bool{}
	}
	first := !c.kinds[msg] && len(c.kinds) < maxErrorKinds
	if first {
		c.kinds[msg] = true
	}
	c.mu.Unlock()
	if first {
		rs.log.WarnContext(ctx, "route rule condition failed at run time; the rule does not match such requests",
			"rule", c.label, "condition", c.Condition, "error", msg)
	}
}

// Stats reports each rule with its hit count, in evaluation order.
func (rs *RuleSet) Stats() []RuleStat {
	out := make([]RuleStat, 0, len(rs.rules))
	for _, c := range rs.rules {
		st := RuleStat{
			Rule:            c.label,
			Pattern:         c.Pattern,
			Method:          strings.Join(c.match.Methods(), ","),
			Condition:       c.Condition,
			Mode:            c.Mode,
			Priority:        c.Priority,
			Key:             c.key,
			Hits:            c.hits.Load(),
			Sides:           map[plugin.Mode]int64{plugin.ModeMock: c.sides[0].Load(), plugin.ModeProxy: c.sides[1].Load()},
			ConditionErrors: c.errCount.Load(),
		}
		if share, ok := c.Share(); ok {
			st.Percent = &share
		}
		if last := c.lastErr.Load(); last != nil {
			st.LastConditionError = *last
		}
		out = append(out, st)
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
