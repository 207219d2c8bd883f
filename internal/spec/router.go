package spec

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Router maps a request method and path to an operation. It is built once at load; Find does
// no allocation beyond the returned parameter map.
type Router struct {
	root *node
}

// node is one path segment in a trie: static children first, then one parameter child.
type node struct {
	static map[string]*node
	param  *node
	// names are the parameter names along the way, for the operations ending here.
	ops   map[string]*Operation // method -> operation
	names map[string][]string   // method -> parameter names in path order
	// segment holds template suffix/prefix for segments like "{id}.json" (prefix, suffix).
	prefix, suffix string
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

// NewRouter indexes ops. Two templates that differ only in parameter names
// (/a/{id} and /a/{name}) share one route: the first wins for each method.
func NewRouter(ops []*Operation) (*Router, error) {
	r := &Router{root: &node{}}
	for _, op := range ops {
		if err := r.add(op); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Router) add(op *Operation) error {
	n := r.root
	var names []string
	for _, seg := range splitPath(op.Path) {
		open := strings.IndexByte(seg, '{')
		close := strings.LastIndexByte(seg, '}')
		if open >= 0 && close > open {
			prefix, suffix := seg[:open], seg[close+1:]
			names = append(names, seg[open+1:close])
			if n.param == nil {
				n.param = &node{prefix: prefix, suffix: suffix}
			}
			n = n.param
			continue
		}
		if n.static == nil {
			n.static = map[string]*node{}
		}
		child := n.static[seg]
		if child == nil {
			child = &node{}
			n.static[seg] = child
		}
		n = child
	}
	if n.ops == nil {
		n.ops = map[string]*Operation{}
		n.names = map[string][]string{}
	}
	if _, dup := n.ops[op.Method]; dup {
		return nil // conflicting templates: the first declared wins
	}
	n.ops[op.Method] = op
	n.names[op.Method] = names
	return nil
}

// Find routes method + path (the URL path, not yet unescaped segment by segment).
func (r *Router) Find(method, path string) Match {
	var vals []string
	n := r.find(r.root, splitPath(path), &vals)
	if n == nil || len(n.ops) == 0 {
		return Match{}
	}
	op, ok := n.ops[method]
	if !ok && method == "HEAD" {
		op, ok = n.ops["GET"]
	}
	if !ok {
		allowed := make([]string, 0, len(n.ops))
		for m := range n.ops {
			allowed = append(allowed, m)
		}
		sort.Strings(allowed)
		return Match{Allowed: allowed}
	}
	names := n.names[op.Method]
	var params map[string]string
	if len(names) > 0 {
		params = make(map[string]string, len(names))
		for i, name := range names {
			if i < len(vals) {
				params[name] = vals[i]
			}
		}
	}
	return Match{Operation: op, PathParams: params}
}

// find walks the trie, static segments before parameters, backtracking when a static branch
// dead-ends.
func (r *Router) find(n *node, segs []string, vals *[]string) *node {
	if len(segs) == 0 {
		if len(n.ops) > 0 {
			return n
		}
		return nil
	}
	seg := segs[0]
	if child, ok := n.static[seg]; ok {
		if found := r.find(child, segs[1:], vals); found != nil {
			return found
		}
	}
	if p := n.param; p != nil && len(seg) > len(p.prefix)+len(p.suffix) &&
		strings.HasPrefix(seg, p.prefix) && strings.HasSuffix(seg, p.suffix) {
		v := seg[len(p.prefix) : len(seg)-len(p.suffix)]
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		mark := len(*vals)
		*vals = append(*vals, v)
		if found := r.find(p, segs[1:], vals); found != nil {
			return found
		}
		*vals = (*vals)[:mark]
	}
	return nil
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// String is for debugging.
func (m Match) String() string {
	if m.Operation == nil {
		return fmt.Sprintf("no match (allowed %v)", m.Allowed)
	}
	return fmt.Sprintf("%s %v", m.Operation.Key(), m.PathParams)
}
