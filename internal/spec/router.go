package spec

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Router maps a request method and path to an operation. It is built once at load; Find
// allocates only the returned parameter map (and the Allowed list on a method mismatch).
//
// Matching rules, in order of preference at each path segment: a static segment, then
// parameter segments with the longest literal text first ({id}.json before {id}), backtracking
// when a branch dead-ends. A trailing slash is significant when the document declares both
// forms, else /pets/ finds /pets and /pets finds /pets/. Segments are compared decoded, so
// /caf%C3%A9 finds /café, and an encoded slash (%2F) stays inside its parameter's value.
type Router struct {
	root      *node
	conflicts []Conflict
}

// Conflict is a path template that routes like an earlier one for the same method
// (/a/{name} after /a/{id}): requests go to the earlier one.
type Conflict struct {
	Method string
	Path   string // the template that loses
	Winner string // the template requests go to
}

// node is one path segment in a trie.
type node struct {
	static map[string]*node
	params []*paramNode // sorted: most literal text first
	ops    map[string]*route
}

// paramNode is a child whose segment holds parameters, e.g. "{id}" or "{id}.json" or
// "{a}-{b}". Its parts alternate literal text and parameters, starting with a literal
// (possibly empty).
type paramNode struct {
	shape string   // the segment with parameter names removed: "{}.json"
	lits  []string // literal parts: len(lits) == number of params + 1
	node
}

// route is an operation at a node, with its parameter names in path order.
type route struct {
	op    *Operation
	names []string
}

// Match is the result of routing a request.
type Match struct {
	// Operation is the operation found, nil when none.
	Operation *Operation
	// PathParams are the path template's parameters, decoded.
	PathParams map[string]string
	// Allowed lists the methods the path supports when the path matched but the method did
	// not (so the caller can answer 405 with Allow). Empty when the path matched nothing.
	Allowed []string
}

// NewRouter indexes ops. Two templates that differ only in parameter names (/a/{id} and
// /a/{name}) share one route: the first wins for each method, and the other is listed in
// Conflicts. The error is reserved for templates that cannot be routed (an unclosed "{").
func NewRouter(ops []*Operation) (*Router, error) {
	r := &Router{root: &node{}}
	for _, op := range ops {
		if err := r.add(op); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Conflicts lists the templates shadowed by an earlier one, in document order.
func (r *Router) Conflicts() []Conflict { return r.conflicts }

func (r *Router) add(op *Operation) error {
	n := r.root
	var names []string
	segs := splitTemplate(op.Path)
	for _, seg := range segs {
		if !strings.ContainsAny(seg, "{}") {
			if n.static == nil {
				n.static = map[string]*node{}
			}
			key := unescape(seg)
			child := n.static[key]
			if child == nil {
				child = &node{}
				n.static[key] = child
			}
			n = child
			continue
		}
		lits, params, err := parseSegment(seg)
		if err != nil {
			return fmt.Errorf("path %q: %w", op.Path, err)
		}
		names = append(names, params...)
		shape := strings.Join(lits, "{}")
		var child *paramNode
		for _, p := range n.params {
			if p.shape == shape {
				child = p
				break
			}
		}
		if child == nil {
			child = &paramNode{shape: shape, lits: lits}
			n.params = append(n.params, child)
			sort.SliceStable(n.params, func(i, j int) bool {
				return literalLen(n.params[i].lits) > literalLen(n.params[j].lits)
			})
		}
		n = &child.node
	}
	if n.ops == nil {
		n.ops = map[string]*route{}
	}
	if prev, dup := n.ops[op.Method]; dup {
		r.conflicts = append(r.conflicts, Conflict{Method: op.Method, Path: op.Path, Winner: prev.op.Path})
		return nil
	}
	n.ops[op.Method] = &route{op: op, names: names}
	return nil
}

func literalLen(lits []string) int {
	n := 0
	for _, l := range lits {
		n += len(l)
	}
	return n
}

// parseSegment splits "{a}-{b}.json" into literals ["", "-", ".json"] and names [a, b].
func parseSegment(seg string) (lits, names []string, err error) {
	rest := seg
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if strings.IndexByte(rest, '}') >= 0 {
				return nil, nil, fmt.Errorf("unmatched '}' in segment %q", seg)
			}
			lits = append(lits, unescape(rest))
			return lits, names, nil
		}
		close := strings.IndexByte(rest[open:], '}')
		if close < 0 || strings.IndexByte(rest[:open], '}') >= 0 {
			return nil, nil, fmt.Errorf("unmatched '{' in segment %q", seg)
		}
		close += open
		if len(names) > 0 && open == 0 {
			return nil, nil, fmt.Errorf("segment %q has two parameters with nothing between them", seg)
		}
		lits = append(lits, unescape(rest[:open]))
		names = append(names, rest[open+1:close])
		rest = rest[close+1:]
	}
}

// splitTemplate splits a template into segments; a trailing slash gives a last "" segment.
func splitTemplate(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// maxParams bounds the parameter values Find collects (on the stack); a template with more
// still routes, without the values past this many.
const maxParams = 16

// values collects parameter values during a search without allocating.
type values struct {
	n int
	v [maxParams]string
	// end is set when the search got past the path's last segment on some branch. When it
	// did not, the path failed earlier and the other trailing-slash form, which differs only
	// after that segment, cannot match either.
	end bool
}

func (vs *values) push(s string) {
	if vs.n < maxParams {
		vs.v[vs.n] = s
	}
	vs.n++
}

// Find routes method + path. Pass the request's escaped path (r.URL.EscapedPath()) so that an
// encoded slash stays inside a parameter; a decoded path works too. HEAD falls back to GET.
// The query string, if any, is ignored.
func (r *Router) Find(method, path string) Match {
	path = stripQuery(path)
	path = strings.TrimPrefix(path, "/")
	var vals values
	n := r.find(r.root, path, false, &vals)
	if n == nil && vals.end {
		// The other form of a trailing slash: /pets/ -> /pets, /pets -> /pets/ (searched as if
		// the slash were there, without building that string).
		vals.n = 0
		if trimmed, ok := strings.CutSuffix(path, "/"); ok {
			n = r.find(r.root, trimmed, false, &vals)
		} else if path != "" {
			n = r.find(r.root, path, true, &vals)
		}
	}
	if n == nil {
		return Match{}
	}
	rt, ok := n.ops[method]
	if !ok && method == http.MethodHead {
		rt, ok = n.ops[http.MethodGet]
	}
	if !ok {
		return Match{Allowed: allowed(n.ops)}
	}
	m := Match{Operation: rt.op}
	if len(rt.names) > 0 {
		m.PathParams = make(map[string]string, len(rt.names))
		for i, name := range rt.names {
			if i < vals.n && i < maxParams {
				m.PathParams[name] = vals.v[i]
			}
		}
	}
	return m
}

// stripQuery cuts path at its first '?' or '#'. (A byte loop: strings.IndexAny builds its
// character set on every call, which showed in the serve profile.)
func stripQuery(path string) string {
	for i := 0; i < len(path); i++ {
		if path[i] == '?' || path[i] == '#' {
			return path[:i]
		}
	}
	return path
}

func allowed(ops map[string]*route) []string {
	out := make([]string, 0, len(ops)+1)
	for m := range ops {
		out = append(out, m)
	}
	if _, get := ops[http.MethodGet]; get {
		if _, head := ops[http.MethodHead]; !head {
			out = append(out, http.MethodHead)
		}
	}
	sort.Strings(out)
	return out
}

// find walks the trie over the rest of the path (without its leading slash), static segments
// before parameters, backtracking when a branch dead-ends. It returns the node with
// operations that the whole path leads to. slash searches as if the path had one more "/" at
// its end (an empty last segment).
func (r *Router) find(n *node, rest string, slash bool, vals *values) *node {
	if rest == "" {
		vals.end = true
		if slash {
			return r.findNext(n, "\x00", slash, vals)
		}
		if len(n.ops) > 0 {
			return n
		}
		return nil
	}
	seg, next, more := strings.Cut(rest, "/")
	// A trailing slash leaves one empty segment to match ("" static key).
	if more && next == "" {
		next = "\x00"
	}
	if child, ok := n.static[unescape(seg)]; ok {
		if found := r.findNext(child, next, slash, vals); found != nil {
			return found
		}
	}
	for _, p := range n.params {
		mark := vals.n
		if !p.match(seg, vals) {
			continue
		}
		if found := r.findNext(&p.node, next, slash, vals); found != nil {
			return found
		}
		vals.n = mark
	}
	return nil
}

// findNext continues after a segment; "\x00" marks the empty segment after a trailing slash.
func (r *Router) findNext(n *node, next string, slash bool, vals *values) *node {
	if next == "\x00" {
		vals.end = true
		if child, ok := n.static[""]; ok && len(child.ops) > 0 {
			return child
		}
		return nil
	}
	return r.find(n, next, slash, vals)
}

// match reports whether seg fits the segment's shape and appends the parameter values,
// decoded. Values must not be empty. A literal between two parameters matches its first
// occurrence; the last literal must end the segment.
func (p *paramNode) match(seg string, vals *values) bool {
	mark := vals.n
	rest := seg
	if !strings.HasPrefix(rest, p.lits[0]) {
		return false
	}
	rest = rest[len(p.lits[0]):]
	last := len(p.lits) - 1
	for i := 1; i <= last; i++ {
		lit := p.lits[i]
		var v string
		if i == last {
			if !strings.HasSuffix(rest, lit) {
				vals.n = mark
				return false
			}
			v, rest = rest[:len(rest)-len(lit)], ""
		} else {
			j := strings.Index(rest, lit)
			if j < 0 {
				vals.n = mark
				return false
			}
			v, rest = rest[:j], rest[j+len(lit):]
		}
		if v == "" {
			vals.n = mark
			return false
		}
		vals.push(unescape(v))
	}
	return true
}

// String is for debugging and test failures.
func (m Match) String() string {
	if m.Operation == nil {
		return fmt.Sprintf("no match (allowed %v)", m.Allowed)
	}
	return fmt.Sprintf("%s %v", m.Operation.Key(), m.PathParams)
}
