package spec

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// This file finds places in the source bytes: the $ref a load error is about, and the line of a
// JSON pointer. It runs only when there is something to report, never on the load fast path.

// refSite is one "$ref" in the source.
type refSite struct {
	pointer string // JSON pointer of the $ref member, e.g. /paths/~1pets/get/responses/200/$ref
	value   string
	line    int
	node    *yaml.Node
}

// findBadRef picks the $ref that a kin-openapi error message is about: one whose value the
// message quotes, else an internal $ref whose target does not exist, else one whose file the
// message names.
func findBadRef(data []byte, msg string) (refSite, bool) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return refSite{}, false
	}
	var refs []refSite
	collectRefs(&root, "", &refs, 0)
	// Longest value first, so "#/components/schemas/PetList" wins over "#/components/schemas/Pet".
	best := -1
	for i, r := range refs {
		if r.value != "" && strings.Contains(msg, r.value) && (best < 0 || len(r.value) > len(refs[best].value)) {
			best = i
		}
	}
	if best >= 0 {
		return refs[best], true
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	for _, r := range refs {
		if frag, ok := strings.CutPrefix(r.value, "#"); ok && nodeAt(top, fragmentPointer(frag)) == nil {
			return r, true
		}
	}
	for _, r := range refs {
		file, _, _ := strings.Cut(r.value, "#")
		if file != "" && strings.Contains(msg, lastPathElem(file)) {
			return r, true
		}
	}
	return refSite{}, false
}

func lastPathElem(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func collectRefs(n *yaml.Node, ptr string, out *[]refSite, depth int) {
	if depth > 1000 {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			collectRefs(c, ptr, out, depth+1)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := ptr + "/" + escapePointer(k.Value)
			if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
				*out = append(*out, refSite{pointer: p, value: v.Value, line: k.Line, node: v})
				continue
			}
			collectRefs(v, p, out, depth+1)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			collectRefs(c, ptr+"/"+strconv.Itoa(i), out, depth+1)
		}
	}
}

// nodeAt follows a JSON pointer ("" is the node itself) and returns nil when it leads nowhere.
func nodeAt(n *yaml.Node, pointer string) *yaml.Node {
	if pointer == "" {
		return n
	}
	if pointer[0] != '/' {
		return nil
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = unescapePointer(tok)
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					next = n.Content[i+1]
					break
				}
			}
			if next == nil {
				return nil
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
	}
	return n
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// fragmentPointer is the JSON pointer a $ref's fragment holds: URI fragments percent-encode
// it (RFC 6901 section 6), so #/paths/~1a~1%7Bid%7D is /paths/~1a~1{id}. A fragment that is
// not valid percent-encoding is taken as written.
func fragmentPointer(frag string) string {
	if !strings.Contains(frag, "%") {
		return frag
	}
	if p, err := url.PathUnescape(frag); err == nil {
		return p
	}
	return frag
}

func unescapePointer(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// pointerLines returns the line of each wanted JSON pointer found in data (the line of its key,
// or of the value for array elements and the root). Pointers not in the source (for example
// ones made by converting Swagger 2.0) are left out.
func pointerLines(data []byte, isJSON bool, want map[string]bool) map[string]int {
	if len(want) == 0 {
		return nil
	}
	if isJSON {
		return jsonPointerLines(data, want)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	out := map[string]int{}
	for p := range want {
		if n := keyNodeAt(top, p); n != nil {
			out[p] = n.Line
		}
	}
	return out
}

// keyNodeAt is nodeAt that returns the key node of the last step when it is a mapping key, so
// the line is where the member starts.
func keyNodeAt(top *yaml.Node, pointer string) *yaml.Node {
	if pointer == "" {
		return top
	}
	i := strings.LastIndexByte(pointer, '/')
	if i < 0 {
		return nil
	}
	parent := nodeAt(top, pointer[:i])
	if parent == nil {
		return nil
	}
	last := unescapePointer(pointer[i+1:])
	if parent.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(parent.Content); j += 2 {
			if parent.Content[j].Value == last {
				return parent.Content[j]
			}
		}
		return nil
	}
	return nodeAt(parent, "/"+pointer[i+1:])
}

// jsonPointerLines walks the JSON tokens once, tracking the pointer of the current value, and
// notes the line of each wanted one. It does not build the document, so it is cheap on large
// specs.
func jsonPointerLines(data []byte, want map[string]bool) map[string]int {
	type frame struct {
		ptr       string
		isObj     bool
		expectKey bool
		member    string // pointer of the object member whose value comes next
		index     int    // next array index
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	out := map[string]int{}
	lines := lineCounter{}
	record := func(ptr string, off int64) {
		if want[ptr] {
			out[ptr] = lines.at(data, off)
		}
	}
	if want[""] {
		out[""] = 1
	}
	var stack []*frame
	for len(out) < len(want) {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		end := dec.InputOffset()
		d, isDelim := tok.(json.Delim)
		if isDelim && (d == '}' || d == ']') {
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		var ptr string
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			switch {
			case top.isObj && top.expectKey:
				key, _ := tok.(string)
				top.member = top.ptr + "/" + escapePointer(key)
				top.expectKey = false
				record(top.member, end)
				continue
			case top.isObj:
				ptr = top.member
				top.expectKey = true
			default:
				ptr = top.ptr + "/" + strconv.Itoa(top.index)
				top.index++
				record(ptr, end)
			}
		}
		if isDelim {
			stack = append(stack, &frame{ptr: ptr, isObj: d == '{', expectKey: d == '{'})
		}
	}
	return out
}

// lineCounter turns increasing offsets into line numbers without rescanning from the start.
type lineCounter struct {
	off  int
	line int
}

func (c *lineCounter) at(data []byte, off int64) int {
	o := int(off)
	if o > len(data) {
		o = len(data)
	}
	if c.line == 0 || o < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(data[c.off:o], []byte("\n"))
	c.off = o
	return c.line
}
