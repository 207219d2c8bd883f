package mcpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/mockloop/mockloop/internal/spec"
)

// Flat arguments. An operation tool (and call_operation) takes one object whose properties are
// the operation's inputs, all at the top level, as language models fill them best:
//
//   - every path, query, header and cookie parameter, by its name;
//   - the request body's properties when the body is an object with declared properties (a
//     JSON or form body), else the whole body as "body".
//
// Names are made of [a-zA-Z0-9_.-] (at most 64 characters; other characters become '_'),
// since widely used clients refuse other property names. When two inputs get the same name,
// body properties keep it and each parameter gets its location as a suffix: "_path",
// "_query", "_header" or "_cookie" (id in the path and in the query: id_path and id_query);
// a name still taken gets _2, _3. A renamed input says its own name in its description, and
// its own name is accepted too when no other argument has it.

// Where an argument goes, besides the parameter locations path, query, header and cookie.
const (
	inBodyField = "body_field" // a property of an object body
	inBody      = "body"       // the whole body
)

// argument is one flat argument of an operation.
type argument struct {
	Name     string // the property name in the tool's input
	In       string // path, query, header, cookie, inBodyField or inBody
	Original string // the parameter's or body property's own name ("" for inBody)
	Required bool
	Schema   map[string]any
}

// binding maps an operation's flat arguments onto its request. It is computed from the
// document alone and never modified, so it can be shared.
type binding struct {
	op      *spec.Operation
	args    []argument
	byName  map[string]int // argument name → index in args
	aliases map[string]int // an input's own name, when it differs and no argument has it
	body    *spec.Body     // nil when the operation takes none
	// bodyFields is set when the body's properties are arguments (else the body is "body").
	bodyFields bool
}

// skippedHeaders are header parameters OpenAPI says to ignore: the request's own headers.
var skippedHeaders = []string{"Accept", "Content-Type", "Authorization"}

// bind computes op's flat arguments.
func bind(op *spec.Operation) *binding {
	params, body := op.Inputs()
	b := &binding{op: op, body: body, byName: map[string]int{}, aliases: map[string]int{}}
	for _, p := range params {
		if p.In == "header" && slices.ContainsFunc(skippedHeaders, func(h string) bool { return strings.EqualFold(h, p.Name) }) {
			continue
		}
		s := p.Schema
		if p.Description != "" {
			s["description"] = p.Description
		}
		b.args = append(b.args, argument{In: p.In, Original: p.Name, Required: p.Required, Schema: s})
	}
	if body != nil {
		if props, required, ok := objectFields(body.Schema); ok && formOrJSON(body.MediaType) {
			b.bodyFields = true
			for _, name := range sortedKeys(props) {
				s, _ := props[name].(map[string]any)
				if s == nil {
					s = map[string]any{}
				}
				b.args = append(b.args, argument{In: inBodyField, Original: name,
					Required: body.Required && slices.Contains(required, name), Schema: s})
			}
		} else {
			s := body.Schema
			if _, has := s["description"]; !has {
				desc := "the request body"
				if body.MediaType != "" {
					desc += " (" + body.MediaType + ")"
				}
				if body.Description != "" {
					desc += ": " + body.Description
				}
				s["description"] = desc
			}
			b.args = append(b.args, argument{In: inBody, Required: body.Required, Schema: s})
		}
	}
	b.name()
	return b
}

// name gives every argument its name by the rule above.
func (b *binding) name() {
	base := make([]string, len(b.args))
	count := map[string]int{}
	for i, a := range b.args {
		base[i] = "body"
		if a.In != inBody {
			base[i] = argName(a.Original)
		}
		count[base[i]]++
	}
	for i := range b.args {
		a := &b.args[i]
		n := base[i]
		if count[n] > 1 && a.In != inBodyField && a.In != inBody {
			n = shorten(n + "_" + a.In)
		}
		a.Name = uniqueName(n, func(c string) bool { _, taken := b.byName[c]; return taken })
		b.byName[a.Name] = i
	}
	for i := range b.args {
		a := &b.args[i]
		if a.Original == "" || a.Original == a.Name {
			continue
		}
		where := a.In + " parameter"
		if a.In == inBodyField {
			where = "body property"
		}
		note := fmt.Sprintf("(the %s %q)", where, a.Original)
		if d, _ := a.Schema["description"].(string); d != "" {
			note = d + " " + note
		}
		a.Schema["description"] = note
		if _, taken := b.byName[a.Original]; !taken {
			if _, twice := b.aliases[a.Original]; twice {
				b.aliases[a.Original] = -1 // two inputs share the name: it is nobody's alias
			} else {
				b.aliases[a.Original] = i
			}
		}
	}
}

// argName maps an input's name onto [a-zA-Z0-9_.-] (at most 64 characters).
func argName(s string) string {
	var out strings.Builder
	last := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			c = '_'
		}
		if c == '_' && last == '_' {
			continue
		}
		out.WriteByte(c)
		last = c
	}
	n := strings.Trim(out.String(), "_")
	if n == "" {
		n = "arg"
	}
	return shorten(n)
}

// formOrJSON reports whether a body of this media type is an object of fields: JSON (or
// none declared) or a URL-encoded form.
func formOrJSON(mt string) bool {
	return mt == "" || spec.IsJSONMediaType(mt) || mt == "application/x-www-form-urlencoded"
}

// objectFields returns the properties of an object schema and its required names, merging
// allOf parts. ok is false when the schema is not a plain object with declared properties
// (a oneOf, an array, a free-form map): then the body is one argument.
func objectFields(s map[string]any) (props map[string]any, required []string, ok bool) {
	for _, k := range []string{"oneOf", "anyOf", "not"} {
		if _, has := s[k]; has {
			return nil, nil, false
		}
	}
	switch t := s["type"].(type) {
	case nil:
	case string:
		if t != "object" {
			return nil, nil, false
		}
	default:
		return nil, nil, false // a list of types: object or null, say
	}
	props = map[string]any{}
	if p, _ := s["properties"].(map[string]any); p != nil {
		for k, v := range p {
			props[k] = v
		}
	}
	required, _ = s["required"].([]string)
	required = slices.Clone(required)
	if parts, has := s["allOf"].([]any); has {
		for _, part := range parts {
			m, _ := part.(map[string]any)
			if m == nil {
				return nil, nil, false
			}
			pp, pr, pok := objectFields(m)
			if !pok && len(m) > 0 {
				return nil, nil, false
			}
			for k, v := range pp {
				if _, dup := props[k]; !dup {
					props[k] = v
				}
			}
			required = append(required, pr...)
		}
	}
	return props, required, len(props) > 0
}

// schema is the JSON Schema of the flat arguments.
func (b *binding) schema() map[string]any {
	props := make(map[string]any, len(b.args))
	var required []string
	for _, a := range b.args {
		props[a.Name] = a.Schema
		if a.Required {
			required = append(required, a.Name)
		}
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// names lists the argument names, for messages.
func (b *binding) names() string {
	if len(b.args) == 0 {
		return "it takes none"
	}
	names := make([]string, 0, len(b.args))
	for _, a := range b.args {
		names = append(names, a.Name)
	}
	const most = 30
	if len(names) > most {
		return "want one of " + strings.Join(names[:most], ", ") + ", ... (" + strconv.Itoa(len(names)) + " in all)"
	}
	return "want " + strings.Join(names, ", ")
}

// parse decodes flat tool arguments into the request's parts. Unknown names are errors (a
// misspelt argument is reported, not dropped); a null value is the same as none; required
// path parameters must be there (the others are the answering side's to check, as a server
// would).
func (b *binding) parse(raw json.RawMessage) (operationArgs, error) {
	var a operationArgs
	var top map[string]json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) > 0 && string(t) != "null" {
		if err := json.Unmarshal(t, &top); err != nil {
			return a, fmt.Errorf("arguments: want a JSON object: %w", err)
		}
	}
	var fields map[string]any
	for _, k := range sortedKeys(top) {
		i, ok := b.byName[k]
		if !ok {
			if i, ok = b.aliases[k]; !ok || i < 0 {
				return a, fmt.Errorf("unknown argument %q for %s (%s)", k, b.op.Key(), b.names())
			}
		}
		arg := b.args[i]
		dec := json.NewDecoder(bytes.NewReader(top[k]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return a, fmt.Errorf("argument %q: %w", k, err)
		}
		if v == nil {
			continue
		}
		switch arg.In {
		case "path":
			a.Path = set(a.Path, arg.Original, v)
		case "query":
			a.Query = set(a.Query, arg.Original, v)
		case "header":
			a.Header = set(a.Header, arg.Original, v)
		case "cookie":
			a.Cookie = set(a.Cookie, arg.Original, v)
		case inBodyField:
			fields = set(fields, arg.Original, v)
		case inBody:
			a.Body, a.hasBody = v, true
		}
	}
	for _, arg := range b.args {
		if arg.In == "path" {
			if _, ok := a.Path[arg.Original]; !ok {
				return a, fmt.Errorf("missing argument %q (the path parameter %q of %s)", arg.Name, arg.Original, b.op.Key())
			}
		}
	}
	if b.bodyFields && (fields != nil || b.body.Required) {
		if fields == nil {
			fields = map[string]any{}
		}
		a.Body, a.hasBody = fields, true
	}
	return a, nil
}

func set(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

// readOnly reports whether a method does not change anything (for tool annotations).
func readOnly(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}
