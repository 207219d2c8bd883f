package route

import (
	"fmt"
	"net/http"
	"net/textproto"
	"reflect"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Headers are the request headers seen by a rule condition: canonical names (X-Test-Mode), the
// values of a repeated header joined with ", ". Lookups by any spelling of a name work:
// `'x-test-mode' in request.headers`, `request.headers['x-test-mode']` and
// `request.headers.get('X-TEST-MODE')` are rewritten at compile time to case-insensitive lookups.
type Headers map[string]string

// Get returns the value of the named header (any case), "" when absent.
func (h Headers) Get(name string) string { return h[textproto.CanonicalMIMEHeaderKey(name)] }

// Has reports whether the named header (any case) is present.
func (h Headers) Has(name string) bool {
	_, ok := h[textproto.CanonicalMIMEHeaderKey(name)]
	return ok
}

// Values are query parameters or cookies seen by a rule condition: the first value of each name.
// Names are case-sensitive. `request.params.get('mock')` returns "" when absent.
type Values map[string]string

// Get returns the named value, "" when absent.
func (v Values) Get(name string) string { return v[name] }

// RequestEnv is `request` in a rule condition.
type RequestEnv struct {
	Method  string  `expr:"method"`
	Path    string  `expr:"path"`
	Headers Headers `expr:"headers"`
	Params  Values  `expr:"params"`
	Query   Values  `expr:"query"` // alias of params
	Cookies Values  `expr:"cookies"`
}

// ConditionEnv is the whole environment of a rule condition: only `request`.
type ConditionEnv struct {
	Request RequestEnv `expr:"request"`
}

// NewConditionEnv builds the condition environment of r.
func NewConditionEnv(r *http.Request) ConditionEnv {
	h := make(Headers, len(r.Header))
	for k, vs := range r.Header {
		h[textproto.CanonicalMIMEHeaderKey(k)] = strings.Join(vs, ", ")
	}
	q := r.URL.Query()
	params := make(Values, len(q))
	for k, vs := range q {
		if len(vs) > 0 {
			params[k] = vs[0]
		}
	}
	cookies := Values{}
	for _, c := range r.Cookies() {
		if _, ok := cookies[c.Name]; !ok {
			cookies[c.Name] = c.Value
		}
	}
	return ConditionEnv{Request: RequestEnv{
		Method:  r.Method,
		Path:    r.URL.Path,
		Headers: h,
		Params:  params,
		Query:   params,
		Cookies: cookies,
	}}
}

// vms recycles expression machines: a VM keeps its stack between runs.
var vms = sync.Pool{New: func() any { return new(vm.VM) }}

// Condition is a compiled rule condition, safe for concurrent use.
type Condition struct {
	source  string
	program *vm.Program
}

// CompileCondition compiles a boolean expression over ConditionEnv once. The language is
// expr-lang/expr: only `request` and expr's pure builtins are in scope, so a condition can do no
// I/O. A syntax or type error is reported with its line and column.
func CompileCondition(source string) (*Condition, error) {
	program, err := expr.Compile(source,
		expr.Env(ConditionEnv{}),
		expr.AsBool(),
		expr.Patch(caseInsensitive{}),
	)
	if err != nil {
		return nil, conditionError(err)
	}
	return &Condition{source: source, program: program}, nil
}

// Eval evaluates the condition for env. A runtime error (such as an out-of-range index) is
// returned, never a panic.
func (c *Condition) Eval(env ConditionEnv) (bool, error) {
	m := vms.Get().(*vm.VM)
	out, err := m.Run(c.program, env)
	vms.Put(m)
	if err != nil {
		return false, conditionError(err)
	}
	b, _ := out.(bool)
	return b, nil
}

// String returns the source text of the condition.
func (c *Condition) String() string { return c.source }

// conditionError turns expr's multi-line error (with a source snippet) into one line.
func conditionError(err error) error {
	if fe, ok := err.(*file.Error); ok {
		return fmt.Errorf("line %d, column %d: %s", fe.Line, fe.Column+1, userTypes.Replace(fe.Message))
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return fmt.Errorf("%s", userTypes.Replace(msg))
}

// userTypes names the Go types of the condition environment as a condition's author knows
// them: "type route.RequestEnv has no field nope" is "request has no field nope".
var userTypes = strings.NewReplacer(
	"type route.RequestEnv", "request", "type route.ConditionEnv", "the condition",
	"type route.Headers", "request.headers", "type route.Values", "the values",
	"route.RequestEnv", "request", "route.Headers", "headers", "route.Values", "values",
)

var (
	headersType = reflect.TypeOf(Headers{})
	valuesType  = reflect.TypeOf(Values{})
)

// caseInsensitive rewrites header lookups to the case-insensitive methods and `.get(x)` on
// headers, params and cookies to the Go method Get. The checker has typed the tree when Visit
// runs, and re-checks it afterwards.
type caseInsensitive struct{}

func (caseInsensitive) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		t := n.Node.Type()
		if t != headersType && t != valuesType {
			return
		}
		if n.Method {
			if s, ok := n.Property.(*ast.StringNode); ok && s.Value == "get" {
				s.Value = "Get"
			}
			return
		}
		if t == headersType {
			// request.headers['x-test'] or request.headers.X_Test → request.headers.Get(...)
			*node = &ast.CallNode{
				Callee:    &ast.MemberNode{Node: n.Node, Property: &ast.StringNode{Value: "Get"}, Method: true},
				Arguments: []ast.Node{n.Property},
			}
		}
	case *ast.BinaryNode:
		if n.Operator != "in" || n.Right.Type() != headersType {
			return
		}
		*node = &ast.CallNode{
			Callee:    &ast.MemberNode{Node: n.Right, Property: &ast.StringNode{Value: "Has"}, Method: true},
			Arguments: []ast.Node{n.Left},
		}
	}
}
