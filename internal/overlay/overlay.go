// Package overlay reads, applies and writes OpenAPI Overlay documents (OAI Overlay
// Specification 1.0: `overlay: 1.0.0`, an `info` block, and `actions`, each a `target`
// JSONPath (RFC 9535) with an `update` to merge or `remove: true`). Documents are handled as
// YAML node trees (go.yaml.in/yaml/v4), so applying an overlay to a file keeps its key order,
// its comments and its JSON or YAML syntax. Targets are evaluated with
// github.com/theory/jsonpath, which implements RFC 9535 as the Overlay specification requires
// (filters, descendants and single-quoted names included).
package overlay

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/theory/jsonpath"
	"go.yaml.in/yaml/v4"

	"github.com/mockloop/mockloop/internal/yamldoc"
)

// Version is the Overlay Specification version mockloop writes.
const Version = "1.0.0"

// versionRE is what the Overlay 1.0 schema accepts as a version: any 1.0 patch.
var versionRE = regexp.MustCompile(`^1\.0\.\d+$`)

// Overlay is one Overlay document.
type Overlay struct {
	// Version is the `overlay` field: 1.0.x.
	Version string
	Info    Info
	// Extends names the document the overlay was written for ("" when it does not say).
	Extends string
	Actions []Action
	// Extensions are the document's x- fields, kept as written.
	Extensions []Extension
}

// Info is the overlay's `info` block; both fields are required.
type Info struct {
	Title   string
	Version string
}

// Action is one change: the nodes Target selects are removed (Remove), or Update is merged
// into each of them (objects recursively, arrays by appending Update).
type Action struct {
	Target      string
	Description string
	// Update is the value to merge; nil when the action has none.
	Update *yaml.Node
	Remove bool
	// Extensions are the action's x- fields, kept as written.
	Extensions []Extension

	path *jsonpath.Path
}

// Extension is one x- field and its value.
type Extension struct {
	Name  string
	Value *yaml.Node
}

// Error is an overlay that cannot be read or applied: the source, where in it (a field or
// "actions[2]", with the line where known) and what is wrong. Its message is one line.
type Error struct {
	Source   string
	Location string
	Err      error
}

func (e *Error) Error() string {
	if e.Location == "" {
		return fmt.Sprintf("overlay %q: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("overlay %q: %s: %v", e.Source, e.Location, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Parse reads an overlay document (YAML or JSON) strictly: the fields the specification
// defines and x- extensions, with the types it requires; a version other than 1.0.x, a
// missing info title or version, no actions, or a target that is not a valid JSONPath are
// errors. Every error is an *Error naming source and, where known, the line.
func Parse(data []byte, source string) (*Overlay, error) {
	fail := func(loc string, line int, format string, args ...any) error {
		if line > 0 {
			if loc == "" {
				loc = fmt.Sprintf("line %d", line)
			} else {
				loc = fmt.Sprintf("%s (line %d)", loc, line)
			}
		}
		return &Error{Source: source, Location: loc, Err: fmt.Errorf(format, args...)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fail("", 0, "empty document")
	}
	root, err := yamldoc.Parse(data)
	if err != nil {
		return nil, &Error{Source: source, Err: err}
	}
	top := root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	if top.Kind != yaml.MappingNode {
		return nil, fail("", top.Line, "not an overlay document: the top level is not a mapping")
	}
	o := &Overlay{}
	var haveInfo, haveActions bool
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], resolve(top.Content[i+1])
		switch k.Value {
		case "overlay":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
				return nil, fail("overlay", v.Line, "the version must be a string (quote it: overlay: %q)", v.Value)
			}
			o.Version = v.Value
		case "info":
			haveInfo = true
			if err := parseInfo(v, &o.Info, fail); err != nil {
				return nil, err
			}
		case "extends":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
				return nil, fail("extends", v.Line, "want a URI reference (a string)")
			}
			o.Extends = v.Value
		case "actions":
			haveActions = true
			if v.Kind != yaml.SequenceNode {
				return nil, fail("actions", v.Line, "want a list of actions")
			}
			for j, a := range v.Content {
				act, err := parseAction(resolve(a), fmt.Sprintf("actions[%d]", j), fail)
				if err != nil {
					return nil, err
				}
				o.Actions = append(o.Actions, act)
			}
		default:
			if !strings.HasPrefix(k.Value, "x-") {
				return nil, fail("", k.Line, "unknown field %q (want overlay, info, extends, actions or x-...)", k.Value)
			}
			o.Extensions = append(o.Extensions, Extension{Name: k.Value, Value: v})
		}
	}
	switch {
	case o.Version == "":
		return nil, fail("", 0, `not an overlay document: no "overlay" version field`)
	case !versionRE.MatchString(o.Version):
		return nil, fail("overlay", 0, "unsupported overlay version %q (want 1.0.x)", o.Version)
	case !haveInfo:
		return nil, fail("", 0, "info is required (with title and version)")
	case !haveActions || len(o.Actions) == 0:
		return nil, fail("actions", 0, "at least one action is required")
	}
	return o, nil
}

type failFunc func(loc string, line int, format string, args ...any) error

func parseInfo(v *yaml.Node, info *Info, fail failFunc) error {
	if v.Kind != yaml.MappingNode {
		return fail("info", v.Line, "want a mapping with title and version")
	}
	var title, version bool
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, f := v.Content[i], resolve(v.Content[i+1])
		switch k.Value {
		case "title", "version":
			if f.Kind != yaml.ScalarNode {
				return fail("info."+k.Value, f.Line, "want a string")
			}
			if k.Value == "title" {
				info.Title, title = f.Value, true
			} else {
				info.Version, version = f.Value, true
			}
		default:
			if !strings.HasPrefix(k.Value, "x-") {
				return fail("info", k.Line, "unknown field %q (want title, version or x-...)", k.Value)
			}
		}
	}
	if !title || !version {
		return fail("info", v.Line, "title and version are required")
	}
	return nil
}

func parseAction(v *yaml.Node, where string, fail failFunc) (Action, error) {
	var a Action
	if v.Kind != yaml.MappingNode {
		return a, fail(where, v.Line, "want a mapping with target and update or remove")
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, f := v.Content[i], resolve(v.Content[i+1])
		switch k.Value {
		case "target":
			if f.Kind != yaml.ScalarNode || f.ShortTag() != "!!str" {
				return a, fail(where+".target", f.Line, "want a JSONPath string")
			}
			a.Target = f.Value
		case "description":
			if f.Kind != yaml.ScalarNode {
				return a, fail(where+".description", f.Line, "want a string")
			}
			a.Description = f.Value
		case "update":
			a.Update = f
		case "remove":
			if f.Kind != yaml.ScalarNode || f.ShortTag() != "!!bool" {
				return a, fail(where+".remove", f.Line, "want true or false")
			}
			a.Remove = f.Value == "true" || f.Value == "True" || f.Value == "TRUE"
		default:
			if !strings.HasPrefix(k.Value, "x-") {
				return a, fail(where, k.Line, "unknown field %q (want target, description, update, remove or x-...)", k.Value)
			}
			a.Extensions = append(a.Extensions, Extension{Name: k.Value, Value: f})
		}
	}
	if a.Target == "" {
		return a, fail(where, v.Line, "target is required")
	}
	if !strings.HasPrefix(a.Target, "$") {
		return a, fail(where+".target", v.Line, "%q is not a JSONPath (it must start with $)", a.Target)
	}
	p, err := jsonpath.Parse(a.Target)
	if err != nil {
		return a, fail(where+".target", v.Line, "bad JSONPath %q: %v", a.Target, trimJSONPathError(err))
	}
	a.path = p
	if a.Update == nil && !a.Remove {
		return a, fail(where, v.Line, "an action needs update or remove: true")
	}
	return a, nil
}

// trimJSONPathError drops the library's package prefix from its messages.
func trimJSONPathError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "jsonpath: ")
	return errors.New(msg)
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// New returns an overlay with the given title, version 1.0.0, info version 1.0.0 and no
// actions yet.
func New(title string) *Overlay {
	return &Overlay{Version: Version, Info: Info{Title: title, Version: "1.0.0"}}
}

// Add appends an action. Its target must be a valid JSONPath.
func (o *Overlay) Add(a Action) error {
	p, err := jsonpath.Parse(a.Target)
	if err != nil {
		return fmt.Errorf("bad JSONPath %q: %w", a.Target, trimJSONPathError(err))
	}
	a.path = p
	o.Actions = append(o.Actions, a)
	return nil
}

// Node is the overlay as a YAML mapping, fields in the specification's order.
func (o *Overlay) Node() *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, Str("overlay"), Str(o.Version))
	info := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	info.Content = append(info.Content, Str("title"), Str(o.Info.Title), Str("version"), Str(o.Info.Version))
	m.Content = append(m.Content, Str("info"), info)
	if o.Extends != "" {
		m.Content = append(m.Content, Str("extends"), Str(o.Extends))
	}
	actions := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, a := range o.Actions {
		an := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		an.Content = append(an.Content, Str("target"), Str(a.Target))
		if a.Description != "" {
			an.Content = append(an.Content, Str("description"), Str(a.Description))
		}
		if a.Remove {
			an.Content = append(an.Content, Str("remove"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		} else if a.Update != nil {
			an.Content = append(an.Content, Str("update"), a.Update)
		}
		for _, x := range a.Extensions {
			an.Content = append(an.Content, Str(x.Name), x.Value)
		}
		actions.Content = append(actions.Content, an)
	}
	m.Content = append(m.Content, Str("actions"), actions)
	for _, x := range o.Extensions {
		m.Content = append(m.Content, Str(x.Name), x.Value)
	}
	return m
}

// Marshal writes the overlay as YAML (two-space indentation).
func (o *Overlay) Marshal() ([]byte, error) {
	return yamldoc.Marshal(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{o.Node()}})
}

// Str is a plain string scalar node.
func Str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
