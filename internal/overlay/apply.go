package overlay

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/theory/jsonpath"
	jspec "github.com/theory/jsonpath/spec"
	"go.yaml.in/yaml/v4"
)

// Result says what applying an overlay did: per action, how many nodes its target selected
// (an action that selects nothing is legal, and usually a mistake worth a warning).
type Result struct {
	Selected []int
}

// Apply applies the overlay's actions in order to doc (a document node or its root value),
// each to the result of the previous one, as the specification asks: remove deletes every
// selected node from its parent; update merges into every selected object (recursively, the
// update's values winning; new keys are appended) and appends to every selected array. An
// update aimed at a string, number, boolean or null, or a removal of the root, is an error
// naming the action. source names the overlay in errors.
func (o *Overlay) Apply(doc *yaml.Node, source string) (Result, error) {
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return Result{}, &Error{Source: source, Err: fmt.Errorf("the target document is empty")}
		}
		root = root.Content[0]
	}
	res := Result{Selected: make([]int, len(o.Actions))}
	for i := range o.Actions {
		a := &o.Actions[i]
		where := fmt.Sprintf("actions[%d]", i)
		if a.path == nil {
			p, err := jsonpath.Parse(a.Target)
			if err != nil {
				return res, &Error{Source: source, Location: where, Err: fmt.Errorf("bad JSONPath %q: %v", a.Target, trimJSONPathError(err))}
			}
			a.path = p
		}
		paths, err := selectPaths(a.path, root)
		if err != nil {
			return res, &Error{Source: source, Location: where, Err: err}
		}
		res.Selected[i] = len(paths)
		if a.Remove {
			// Last first, so that removing an element does not move the ones still to remove.
			slices.SortFunc(paths, func(x, y jspec.NormalizedPath) int { return y.Compare(x) })
			for _, p := range paths {
				if len(p) == 0 {
					return res, &Error{Source: source, Location: where, Err: fmt.Errorf("target %q selects the whole document, which cannot be removed", a.Target)}
				}
				removeAt(root, p)
			}
			continue
		}
		for _, p := range paths {
			n := nodeAt(root, p)
			if n == nil {
				continue
			}
			switch n.Kind {
			case yaml.MappingNode:
				u := resolve(a.Update)
				if u.Kind != yaml.MappingNode {
					return res, &Error{Source: source, Location: where, Err: fmt.Errorf("target %q selects an object at %s: update must be an object, not %s", a.Target, p, kindName(u))}
				}
				if err := merge(n, u); err != nil {
					return res, &Error{Source: source, Location: where, Err: err}
				}
			case yaml.SequenceNode:
				c, err := clone(a.Update)
				if err != nil {
					return res, &Error{Source: source, Location: where, Err: err}
				}
				n.Content = append(n.Content, c)
			default:
				return res, &Error{Source: source, Location: where, Err: fmt.Errorf("target %q selects %s at %s: update needs an object or an array (select its parent and update the field)", a.Target, kindName(n), p)}
			}
		}
	}
	return res, nil
}

// selectPaths is where p selects in root. Targets made of plain names and indexes (what
// mockloop writes) are followed directly on the node tree; others are evaluated over a
// plain-value copy of it.
func selectPaths(p *jsonpath.Path, root *yaml.Node) ([]jspec.NormalizedPath, error) {
	if np, ok := singular(p); ok {
		if nodeAt(root, np) == nil {
			return nil, nil
		}
		return []jspec.NormalizedPath{resolveIndexes(root, np)}, nil
	}
	budget := expansionBudget(root)
	v := toValue(root, 0, &budget)
	if budget < 0 {
		return nil, errTooLarge
	}
	located := p.SelectLocated(v)
	out := make([]jspec.NormalizedPath, 0, len(located))
	for _, ln := range located.Deduplicate() {
		out = append(out, ln.Path)
	}
	return out, nil
}

// expansionBudget is how many nodes a plain-value copy of root may have: its own nodes, plus
// a margin for aliases (a document of aliases of aliases must not grow without end).
func expansionBudget(root *yaml.Node) int {
	n := 0
	var count func(*yaml.Node, int)
	count = func(x *yaml.Node, depth int) {
		if x == nil || depth > maxDepth || n > maxNodes {
			return
		}
		n++
		for _, c := range x.Content {
			count(c, depth+1)
		}
	}
	count(root, 0)
	return min(2*n+100_000, maxNodes)
}

// errTooLarge is a document whose aliases expand past maxNodes.
var errTooLarge = errors.New("the document is too large after alias expansion")

// singular returns p as a normalized path when every segment is a child segment with one
// name or index.
func singular(p *jsonpath.Path) (jspec.NormalizedPath, bool) {
	var np jspec.NormalizedPath
	for _, seg := range p.Query().Segments() {
		sels := seg.Selectors()
		if seg.IsDescendant() || len(sels) != 1 {
			return nil, false
		}
		switch s := sels[0].(type) {
		case jspec.Name:
			np = append(np, s)
		case jspec.Index:
			np = append(np, s)
		default:
			return nil, false
		}
	}
	return np, true
}

// resolveIndexes turns negative indexes (counted from the end) into the positions they name.
func resolveIndexes(root *yaml.Node, np jspec.NormalizedPath) jspec.NormalizedPath {
	out := make(jspec.NormalizedPath, len(np))
	n := root
	for i, sel := range np {
		n = resolve(n)
		if idx, ok := sel.(jspec.Index); ok && idx < 0 && n.Kind == yaml.SequenceNode {
			sel = jspec.Index(len(n.Content) + int(idx))
		}
		out[i] = sel
		n = child(n, sel)
	}
	return out
}

// nodeAt is the node at np, nil when there is none.
func nodeAt(root *yaml.Node, np jspec.NormalizedPath) *yaml.Node {
	n := resolve(root)
	for _, sel := range np {
		n = resolve(child(n, sel))
		if n == nil {
			return nil
		}
	}
	return n
}

// child is the value of a mapping's key or a sequence's element, nil when absent.
func child(n *yaml.Node, sel jspec.NormalSelector) *yaml.Node {
	if n == nil {
		return nil
	}
	switch s := sel.(type) {
	case jspec.Name:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		if i := keyIndex(n, string(s)); i >= 0 {
			return n.Content[i+1]
		}
	case jspec.Index:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		i := int(s)
		if i < 0 {
			i += len(n.Content)
		}
		if i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// keyIndex is the position of key in mapping n's Content (the last of duplicates, which is
// the one a JSON or YAML reader keeps), -1 when absent.
func keyIndex(n *yaml.Node, key string) int {
	for i := len(n.Content) - 2; i >= 0; i -= 2 {
		if k := resolve(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return i
		}
	}
	return -1
}

// removeAt deletes the node at np (not the root) from its parent.
func removeAt(root *yaml.Node, np jspec.NormalizedPath) {
	parent := nodeAt(root, np[:len(np)-1])
	if parent == nil {
		return
	}
	switch s := np[len(np)-1].(type) {
	case jspec.Name:
		if parent.Kind == yaml.MappingNode {
			if i := keyIndex(parent, string(s)); i >= 0 {
				parent.Content = slices.Delete(parent.Content, i, i+2)
			}
		}
	case jspec.Index:
		if parent.Kind == yaml.SequenceNode && int(s) >= 0 && int(s) < len(parent.Content) {
			parent.Content = slices.Delete(parent.Content, int(s), int(s)+1)
		}
	}
}

// merge merges mapping u into mapping n: values of keys both have are merged when both are
// mappings, else replaced by u's; u's other keys are appended in u's order.
func merge(n, u *yaml.Node) error {
	return mergeDepth(n, u, 0)
}

func mergeDepth(n, u *yaml.Node, depth int) error {
	if depth > maxDepth {
		return errTooLarge
	}
	for i := 0; i+1 < len(u.Content); i += 2 {
		k, v := resolve(u.Content[i]), resolve(u.Content[i+1])
		if j := keyIndex(n, k.Value); j >= 0 {
			cur := resolve(n.Content[j+1])
			if cur.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode && cur != v {
				if err := mergeDepth(cur, v, depth+1); err != nil {
					return err
				}
				continue
			}
			c, err := clone(v)
			if err != nil {
				return err
			}
			n.Content[j+1] = c
			continue
		}
		ck, err := clone(k)
		if err != nil {
			return err
		}
		cv, err := clone(v)
		if err != nil {
			return err
		}
		n.Content = append(n.Content, ck, cv)
	}
	return nil
}

// clone is a deep copy of n with aliases expanded (the copy is placed where its anchors do not
// exist) and positions cleared.
func clone(n *yaml.Node) (*yaml.Node, error) {
	budget := maxNodes
	c := cloneDepth(resolve(n), 0, &budget)
	if budget < 0 {
		return nil, errTooLarge
	}
	return c, nil
}

func cloneDepth(n *yaml.Node, depth int, budget *int) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Anchor, c.Line, c.Column = "", 0, 0
	if *budget--; *budget < 0 || depth > maxDepth {
		*budget = -1
		c.Content = nil
		return &c
	}
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = cloneDepth(resolve(k), depth+1, budget)
			if *budget < 0 {
				return &c
			}
		}
	}
	return &c
}

// maxDepth bounds recursion over node trees, and maxNodes the nodes visited when aliases are
// expanded (aliases of aliases can make a small file a huge tree).
const (
	maxDepth = 1000
	maxNodes = 10_000_000
)

// toValue is n as the plain values JSONPath evaluation reads: map[string]any, []any, string,
// int64 or float64, bool, nil.
func toValue(n *yaml.Node, depth int, budget *int) any {
	n = resolve(n)
	if n == nil || *budget < 0 {
		return nil
	}
	if *budget--; *budget < 0 || depth > maxDepth {
		*budget = -1
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return toValue(n.Content[0], depth+1, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[resolve(n.Content[i]).Value] = toValue(n.Content[i+1], depth+1, budget)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = toValue(c, depth+1, budget)
		}
		return s
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b
			}
		case "!!int":
			if v, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				return v
			}
			var f float64
			if n.Decode(&f) == nil {
				return f
			}
		case "!!float":
			var f float64
			if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f
			}
		}
		return n.Value
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "an array"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean"
	case "!!int", "!!float":
		return "a number"
	}
	return "a string"
}
