package mock

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mockloop/mockloop/internal/spec"
)

// What the answerers that run before the engine (runtime overrides, stateful resources) need
// from it: the engine's refusals and answers on request, and the JSON shapes of an operation's
// bodies, so that they write answers the spec accepts without reading the document themselves.

// Refuse answers r as Respond does when the engine does not accept the request (401 without
// the required credentials, 400/422 when it does not match the operation, as the options say)
// and reports true; it writes nothing and reports false for a request Respond would answer.
// A request body it reads is put back.
func (e *Engine) Refuse(w http.ResponseWriter, r *http.Request, m spec.Match) bool {
	if m.Operation == nil {
		return false
	}
	return e.refuse(w, r, e.operation(m.Operation), m.PathParams)
}

// RespondAs answers like Respond as if the request's Prefer header said code=status (0: the
// default response) and example=name ("": none), without checking the request. It writes
// nothing and returns false when the operation declares no response for status (exactly, by
// its range or as default) or no example of that name.
func (e *Engine) RespondAs(w http.ResponseWriter, r *http.Request, m spec.Match, status int, example string) bool {
	if m.Operation == nil {
		return false
	}
	pref := Prefer{Example: example, Dynamic: e.opts.Dynamic}
	if status != 0 {
		pref.Code = strconv.Itoa(status)
	}
	return e.write(w, r, e.operation(m.Operation), pref, true)
}

// Schema is one JSON schema of the document, read-only, as the answerers use it: the shape of
// a resource, of a list, of an id. The zero Schema is "no schema".
type Schema struct {
	c   *schemas
	ref *openapi3.SchemaRef
}

// Defined reports whether s is a schema (not the zero Schema).
func (s Schema) Defined() bool { return s.ref != nil && s.ref.Value != nil }

// value is the schema with its allOf folded in.
func (s Schema) value() *openapi3.Schema {
	if !s.Defined() {
		return nil
	}
	return s.c.merge(s.ref.Value)
}

// Type is the schema's JSON type after allOf, as the generator reads it: "object", "array",
// "string", "integer", "number", "boolean" or "null"; "" for the zero Schema.
func (s Schema) Type() string {
	if v := s.value(); v != nil {
		return schemaType(v)
	}
	return ""
}

// Format is the schema's format ("uuid", "int64"...), "" when none.
func (s Schema) Format() string {
	if v := s.value(); v != nil {
		return v.Format
	}
	return ""
}

// Items is an array schema's items; zero when s is not an array or says nothing of them.
func (s Schema) Items() Schema {
	if v := s.value(); v != nil && v.Items != nil {
		return Schema{c: s.c, ref: v.Items}
	}
	return Schema{}
}

// MaxItems is an array schema's maxItems, -1 when it has none.
func (s Schema) MaxItems() int {
	if v := s.value(); v != nil && v.MaxItems != nil {
		return int(min(*v.MaxItems, uint64(maxItemsCap)))
	}
	return -1
}

// Properties are the names of an object schema's declared properties, sorted.
func (s Schema) Properties() []string {
	v := s.value()
	if v == nil {
		return nil
	}
	names := make([]string, 0, len(v.Properties))
	for k := range v.Properties {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Property is the schema of the named property; zero when the object does not declare it.
func (s Schema) Property(name string) Schema {
	if v := s.value(); v != nil {
		if p := v.Properties[name]; p != nil && p.Value != nil {
			return Schema{c: s.c, ref: p}
		}
	}
	return Schema{}
}

// Conforms reports whether v, as a response would carry it, validates against s.
func (s Schema) Conforms(v any) bool {
	return !s.Defined() || s.c.conforms(s.ref.Value, v, true)
}

// Generate returns a response value for s, conforming when one can be found, the same for
// the same seed.
func (s Schema) Generate(seed uint64) any {
	if !s.Defined() {
		return nil
	}
	return s.c.generateValid(s.ref, seed, true)
}

// Complete gives obj a generated value for each required property of s that obj lacks
// (writeOnly ones excepted: a response does not carry them), seeded by seed and the name.
func (s Schema) Complete(obj map[string]any, seed uint64) {
	v := s.value()
	if v == nil {
		return
	}
	for _, name := range v.Required {
		if _, ok := obj[name]; ok {
			continue
		}
		p := v.Properties[name]
		if p == nil || p.Value == nil || p.Value.WriteOnly {
			continue
		}
		obj[name] = s.c.generateValid(p, fnvAdd(seed, name), true)
	}
}

// ResponseView removes from obj the properties s declares writeOnly (a password a client
// sent is stored, never answered); it returns obj.
func (s Schema) ResponseView(obj map[string]any) map[string]any {
	v := s.value()
	if v == nil {
		return obj
	}
	for name, p := range v.Properties {
		if p != nil && p.Value != nil && p.Value.WriteOnly {
			delete(obj, name)
		}
	}
	return obj
}

// Success is an operation's success response as an answerer writes it itself.
type Success struct {
	// Status is the lowest 2xx the operation declares (exact codes before ranges); 0 when it
	// declares none.
	Status int
	// ContentType is the JSON media type of that response; "" when it has no JSON body.
	ContentType string
	// Header holds the response's declared headers with generated values. It is shared:
	// copy the values, never change them.
	Header http.Header
	// Body is the JSON body's schema (zero when there is none, or it declares no schema).
	Body Schema
	// Examples are the example values declared for the JSON body, in document order.
	Examples []any
}

// Success describes op's success response.
func (e *Engine) Success(op *spec.Operation) Success {
	od := e.operation(op)
	var resp *response
	for _, r := range od.responses {
		if r.key[0] == '2' && (resp == nil || r.key < resp.key) {
			resp = r
		}
	}
	if resp == nil {
		return Success{}
	}
	out := Success{Status: resp.status, Header: resp.headerValues(e, false)}
	for _, md := range resp.media {
		if md.kind != kindJSON {
			continue
		}
		out.ContentType = md.contentType
		if md.schema != nil && md.schema.Value != nil {
			out.Body = Schema{c: e.schemas, ref: md.schema}
		}
		if md.hasExample {
			out.Examples = append(out.Examples, md.example)
		}
		for _, ex := range md.examples {
			out.Examples = append(out.Examples, ex.value)
		}
		break
	}
	return out
}

// RequestBody is the schema of op's JSON request body; zero when op takes no JSON body.
func (e *Engine) RequestBody(op *spec.Operation) Schema {
	if op.Op == nil || op.Op.RequestBody == nil || op.Op.RequestBody.Value == nil {
		return Schema{}
	}
	content := op.Op.RequestBody.Value.Content
	names := make([]string, 0, len(content))
	for k := range content {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if mt := content[name]; mt != nil && spec.IsJSONMediaType(name) && mt.Schema != nil && mt.Schema.Value != nil {
			return Schema{c: e.schemas, ref: mt.Schema}
		}
	}
	return Schema{}
}
