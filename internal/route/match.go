package route

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/mockloop/mockloop/internal/spec"
)

// MatchSpec is what a rule matches requests by: a path pattern or an operationId (or both),
// methods, and a condition. Route rules and simulation rules are written with these fields.
type MatchSpec struct {
	// Pattern is a path glob or an OpenAPI path template (see Compile); "" matches any path.
	Pattern string
	// Operation is an operationId; "" matches any operation (and requests in none).
	Operation string
	// Method is one method or several separated by commas; "" or "*" matches any.
	Method string
	// Condition is an expression over the request (see CompileCondition); "" is true.
	Condition string
}

// Matcher is a compiled MatchSpec, safe for concurrent use: the one request matcher of route
// rules, simulation rules and anything else matched "like a route rule".
type Matcher struct {
	segments  []string // nil: any path
	operation string
	methods   []string // upper-case; nil: any
	cond      *Condition
}

// CompileMatcher checks and compiles a MatchSpec; the error names the field at fault (the
// pattern, the method, or the condition with its line and column).
func CompileMatcher(ms MatchSpec) (*Matcher, error) {
	m := &Matcher{operation: strings.TrimSpace(ms.Operation)}
	var err error
	if strings.TrimSpace(ms.Pattern) != "" {
		if m.segments, err = compilePattern(ms.Pattern); err != nil {
			return nil, fmt.Errorf("pattern: %w", err)
		}
	}
	if m.methods, err = compileMethods(ms.Method); err != nil {
		return nil, err
	}
	if strings.TrimSpace(ms.Condition) != "" {
		if m.cond, err = CompileCondition(ms.Condition); err != nil {
			return nil, fmt.Errorf("condition %q: %w", ms.Condition, err)
		}
	}
	return m, nil
}

// Methods are the methods the matcher accepts, upper-case; nil accepts any.
func (m *Matcher) Methods() []string { return m.methods }

// Request is one request as matchers see it: its path segments and condition environment are
// computed at most once, however many matchers look at it.
type Request struct {
	r        *http.Request
	op       *spec.Operation
	reqSegs  []string
	opSegs   []string
	split    bool
	env      ConditionEnv
	envReady bool
}

// NewRequest prepares r, routed to op (nil when it is in no operation), for matchers; pass
// its address to Match.
func NewRequest(r *http.Request, op *spec.Operation) Request {
	return Request{r: r, op: op}
}

// Match reports whether the request passes: its method is one of the matcher's, its path or
// its operation's template matches the pattern, its operation has the operationId, and the
// condition holds. A condition that fails at run time (an index out of range) does not hold.
func (m *Matcher) Match(req *Request) bool {
	ok, _, _ := m.Test(req)
	return ok
}

// Test is Match that also says why a request did not pass on its condition: condFalse when
// everything else matched and the condition was false or failed, and the condition's runtime
// error (such as a conversion of a value that is not a number), if any.
func (m *Matcher) Test(req *Request) (ok, condFalse bool, err error) {
	if m.methods != nil && !containsFold(m.methods, req.r.Method) {
		return false, false, nil
	}
	if m.operation != "" && (req.op == nil || req.op.ID != m.operation) {
		return false, false, nil
	}
	if m.segments != nil {
		if !req.split {
			req.reqSegs = splitSegments(req.r.URL.Path)
			if req.op != nil {
				req.opSegs = splitSegments(req.op.Path)
			}
			req.split = true
		}
		if !matchSegments(m.segments, req.reqSegs) && (req.op == nil || !matchSegments(m.segments, req.opSegs)) {
			return false, false, nil
		}
	}
	if m.cond != nil {
		if !req.envReady {
			req.env, req.envReady = NewConditionEnv(req.r), true
		}
		holds, err := m.cond.Eval(req.env)
		if err != nil || !holds {
			return false, true, err
		}
	}
	return true, false, nil
}
