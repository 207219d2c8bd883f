package spec

import (
	"fmt"
	"mime"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Schema conversion limits: a tool's input schema is read by a language model, so it is kept
// to what helps it fill the arguments. Deeper or larger parts become {} (any value). Response
// shapes (Responses) are only there to show what comes back, so they are cut shorter.
const (
	maxSchemaDepth   = 8
	maxSchemaNodes   = 1500
	maxResponseDepth = 3
	maxResponseNodes = 150
)

// Param is one parameter of an operation, its schema as plain JSON Schema.
type Param struct {
	Name        string
	In          string // path, query, header or cookie
	Description string
	Required    bool // path parameters always are
	Schema      map[string]any
}

// Body is an operation's request body as a client sends it.
type Body struct {
	// MediaType is what a client sends: a JSON media type when the operation accepts one,
	// else the first by name (a stable choice); "" when the body declares none.
	MediaType   string
	Description string
	Required    bool
	// Schema is the body's JSON Schema ({} when the media type has none).
	Schema map[string]any
}

// Inputs are op's parameters (in declaration order) and request body (nil when it takes none),
// with schemas as plain JSON Schema in the input view: readOnly properties are left out,
// recursion becomes {} where it recurs, and depth and size are bounded so that one huge
// operation stays readable (by a language model filling a tool's arguments, for one).
func (o *Operation) Inputs() ([]Param, *Body) {
	c := &schemaConverter{maxDepth: maxSchemaDepth, maxNodes: maxSchemaNodes, view: inputView}
	var params []Param
	for _, pr := range o.Parameters {
		if pr == nil || pr.Value == nil {
			continue
		}
		p := pr.Value
		params = append(params, Param{Name: p.Name, In: p.In, Description: p.Description,
			Required: p.Required || p.In == "path", Schema: c.paramSchema(p)})
	}
	if o.Op == nil || o.Op.RequestBody == nil || o.Op.RequestBody.Value == nil {
		return params, nil
	}
	rb := o.Op.RequestBody.Value
	b := &Body{Description: rb.Description, Required: rb.Required, Schema: map[string]any{}}
	var media *openapi3.MediaType
	b.MediaType, media = bodyMediaType(rb.Content)
	if media != nil && media.Schema != nil {
		b.Schema = c.convert(media.Schema, 0, map[*openapi3.Schema]bool{})
	}
	return params, b
}

// Response is one response an operation declares, as a client receives it. Its schema shows
// the shape only: types, formats, enums and properties, no descriptions or bounds.
type Response struct {
	// Status is the key in the document: "200", "2XX" or "default".
	Status      string
	Description string
	// MediaType is the content a client gets by default (a JSON media type when the response
	// has one, else the first by name); "" when the response has no content.
	MediaType string
	// Schema is the content's JSON Schema in the output view (writeOnly properties left out),
	// nil when there is no content or no schema.
	Schema map[string]any
}

// Responses are op's declared responses in status order (numeric codes, then ranges, then
// default). Schemas are plain JSON Schema, cut shorter than Inputs' (depth and size shared by
// all responses, the success ones first), since they only show the shape of an answer.
func (o *Operation) Responses() []Response {
	if o.Op == nil || o.Op.Responses == nil {
		return nil
	}
	keys := o.Op.Responses.Keys()
	slices.SortFunc(keys, func(a, b string) int { return strings.Compare(statusOrder(a), statusOrder(b)) })
	out := make([]Response, 0, len(keys))
	for _, k := range keys {
		ref := o.Op.Responses.Value(k)
		if ref == nil || ref.Value == nil {
			continue
		}
		r := Response{Status: k}
		if ref.Value.Description != nil {
			r.Description = *ref.Value.Description
		}
		out = append(out, r)
	}
	// Success answers get the budget first: they are what a caller mostly wants to see.
	c := &schemaConverter{maxDepth: maxResponseDepth, maxNodes: maxResponseNodes, view: outputView}
	for _, success := range []bool{true, false} {
		for i := range out {
			if strings.HasPrefix(out[i].Status, "2") != success {
				continue
			}
			var media *openapi3.MediaType
			out[i].MediaType, media = bodyMediaType(o.Op.Responses.Value(out[i].Status).Value.Content)
			if media != nil && media.Schema != nil {
				out[i].Schema = c.convert(media.Schema, 0, map[*openapi3.Schema]bool{})
			}
		}
	}
	return out
}

// statusOrder sorts response keys: codes ("200"), then ranges ("2XX"), then "default".
func statusOrder(k string) string {
	switch {
	case k == "default":
		return "2" + k
	case strings.ContainsAny(k, "xX"):
		return "1" + strings.ToUpper(k)
	}
	return "0" + k
}

// bodyMediaType picks the media type an operation tool sends its body as: a JSON one when the
// operation accepts one, else the first in name order (so the choice is stable).
func bodyMediaType(content openapi3.Content) (string, *openapi3.MediaType) {
	if len(content) == 0 {
		return "", nil
	}
	names := make([]string, 0, len(content))
	for k := range content {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, n := range names {
		if IsJSONMediaType(n) {
			return n, content[n]
		}
	}
	return names[0], content[names[0]]
}

// IsJSONMediaType reports whether a media type (or Content-Type value) is JSON:
// application/json, any +json suffix, or */* .
func IsJSONMediaType(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(v))
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "*/*"
}

// schemaView says which side of an exchange a schema describes: a client does not send
// readOnly properties and does not receive writeOnly ones.
type schemaView int

const (
	inputView schemaView = iota
	outputView
)

// schemaConverter turns OpenAPI schemas into plain JSON Schema values, counting nodes so one
// huge operation cannot produce a huge tool list.
type schemaConverter struct {
	nodes              int
	maxDepth, maxNodes int
	view               schemaView
}

func (c *schemaConverter) paramSchema(p *openapi3.Parameter) map[string]any {
	if p.Schema != nil {
		return c.convert(p.Schema, 0, map[*openapi3.Schema]bool{})
	}
	for _, mt := range p.Content {
		if mt != nil && mt.Schema != nil {
			return c.convert(mt.Schema, 0, map[*openapi3.Schema]bool{})
		}
	}
	return map[string]any{}
}

// hidden reports whether a property is left out of the converter's view.
func (c *schemaConverter) hidden(p *openapi3.SchemaRef) bool {
	if p == nil || p.Value == nil {
		return false
	}
	if c.view == inputView {
		return p.Value.ReadOnly
	}
	return p.Value.WriteOnly
}

// convert maps ref to JSON Schema. onPath holds the schemas being converted above this one:
// a recursive schema becomes {} where it recurs. Properties outside the view are dropped.
func (c *schemaConverter) convert(ref *openapi3.SchemaRef, depth int, onPath map[*openapi3.Schema]bool) map[string]any {
	if ref == nil || ref.Value == nil {
		return map[string]any{}
	}
	s := ref.Value
	c.nodes++
	if depth > c.maxDepth || c.nodes > c.maxNodes || onPath[s] {
		return map[string]any{}
	}
	if s.Always != nil {
		if *s.Always {
			return map[string]any{}
		}
		return map[string]any{"not": map[string]any{}}
	}
	onPath[s] = true
	defer delete(onPath, s)

	out := map[string]any{}
	if types := s.Type.Slice(); len(types) > 0 {
		if s.Nullable && !slices.Contains(types, "null") {
			types = append(slices.Clone(types), "null")
		}
		if len(types) == 1 {
			out["type"] = types[0]
		} else {
			out["type"] = types
		}
	}
	setString(out, "format", s.Format)
	if len(s.Enum) > 0 {
		out["enum"] = s.Enum
	}
	if s.Const != nil {
		out["const"] = s.Const
	}
	if c.view == inputView {
		c.constraints(out, s)
	}
	if s.Items != nil {
		out["items"] = c.convert(s.Items, depth+1, onPath)
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, p := range s.Properties {
			if c.hidden(p) {
				continue
			}
			props[name] = c.convert(p, depth+1, onPath)
		}
		out["properties"] = props
		var req []string
		for _, r := range s.Required {
			if _, ok := props[r]; ok {
				req = append(req, r)
			}
		}
		if len(req) > 0 {
			out["required"] = req
		}
	}
	switch ap := s.AdditionalProperties; {
	case ap.Schema != nil:
		out["additionalProperties"] = c.convert(ap.Schema, depth+1, onPath)
	case ap.Has != nil:
		out["additionalProperties"] = *ap.Has
	}
	for key, list := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "oneOf": s.OneOf, "anyOf": s.AnyOf} {
		if len(list) == 0 {
			continue
		}
		subs := make([]any, 0, len(list))
		for _, sub := range list {
			subs = append(subs, c.convert(sub, depth+1, onPath))
		}
		out[key] = subs
	}
	if c.view == inputView {
		if s.Example != nil {
			out["examples"] = []any{s.Example}
		} else if len(s.Examples) > 0 {
			out["examples"] = s.Examples
		}
	}
	return out
}

// constraints adds what helps a client fill a value in: title, description, pattern, const,
// default and bounds. Answers are shown by their shape alone (types, formats, enums,
// properties), which keeps a large response readable.
func (c *schemaConverter) constraints(out map[string]any, s *openapi3.Schema) {
	setString(out, "title", s.Title)
	setString(out, "description", s.Description)
	setString(out, "pattern", s.Pattern)
	if s.Default != nil {
		out["default"] = s.Default
	}
	if s.Min != nil {
		out["minimum"] = *s.Min
	}
	if s.Max != nil {
		out["maximum"] = *s.Max
	}
	if s.MinLength > 0 {
		out["minLength"] = s.MinLength
	}
	if s.MaxLength != nil {
		out["maxLength"] = *s.MaxLength
	}
	if s.MinItems > 0 {
		out["minItems"] = s.MinItems
	}
	if s.MaxItems != nil {
		out["maxItems"] = *s.MaxItems
	}
}

func setString(m map[string]any, key, v string) {
	if v != "" {
		m[key] = v
	}
}

// CredentialHint describes the credentials op requires, for a person or a model calling it:
// "Authorization: Bearer <token>" or "header X-API-Key", alternatives joined with " or ".
// It returns "" for an operation without security requirements.
func (doc *Document) CredentialHint(op *Operation) string {
	if op.Op == nil || doc == nil || doc.T == nil {
		return ""
	}
	reqs := doc.T.Security
	if op.Op.Security != nil {
		reqs = *op.Op.Security
	}
	var alts []string
	for _, req := range reqs {
		if len(req) == 0 {
			return "" // an empty requirement makes the credentials optional
		}
		var parts []string
		for _, name := range sortedKeys(req) {
			parts = append(parts, describeScheme(doc, name))
		}
		alt := strings.Join(parts, " and ")
		if !slices.Contains(alts, alt) {
			alts = append(alts, alt)
		}
	}
	return strings.Join(alts, " or ")
}

func describeScheme(doc *Document, name string) string {
	if doc.T.Components == nil || doc.T.Components.SecuritySchemes[name] == nil || doc.T.Components.SecuritySchemes[name].Value == nil {
		return name
	}
	s := doc.T.Components.SecuritySchemes[name].Value
	switch strings.ToLower(s.Type) {
	case "http":
		if strings.EqualFold(s.Scheme, "basic") {
			return "Authorization: Basic <credentials>"
		}
		return "Authorization: Bearer <token>"
	case "apikey":
		return fmt.Sprintf("%s %s", s.In, s.Name)
	case "oauth2", "openidconnect":
		return "Authorization: Bearer <token>"
	}
	return name
}
