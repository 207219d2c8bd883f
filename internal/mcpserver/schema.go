package mcpserver

import (
	"fmt"
	"mime"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mockloop/mockloop/internal/spec"
)

// Schema conversion limits: a tool's input schema is read by a language model, so it is kept
// to what helps it fill the arguments. Deeper or larger parts become {} (any value).
const (
	maxSchemaDepth = 8
	maxSchemaNodes = 1500
)

// paramLocations are the parameter groups of an operation tool's input, in schema order.
var paramLocations = []string{"path", "query", "header", "cookie"}

// operationInputSchema builds the JSON Schema of an operation tool's arguments:
//
//	{"path": {...}, "query": {...}, "header": {...}, "cookie": {...}, "body": <request body>}
//
// with a group only when the operation has parameters there, "body" only when it takes a
// request body, and a group (or body) required when something in it is required.
func operationInputSchema(op *spec.Operation) map[string]any {
	c := &schemaConverter{}
	props := map[string]any{}
	var required []string
	for _, in := range paramLocations {
		group := map[string]any{}
		var groupRequired []string
		for _, pr := range op.Parameters {
			if pr == nil || pr.Value == nil || pr.Value.In != in {
				continue
			}
			p := pr.Value
			s := c.paramSchema(p)
			if p.Description != "" {
				s["description"] = p.Description
			}
			group[p.Name] = s
			if p.Required || in == "path" {
				groupRequired = append(groupRequired, p.Name)
			}
		}
		if len(group) == 0 {
			continue
		}
		g := map[string]any{
			"type":        "object",
			"description": in + " parameters",
			"properties":  group,
		}
		if len(groupRequired) > 0 {
			slices.Sort(groupRequired)
			g["required"] = groupRequired
			required = append(required, in)
		}
		props[in] = g
	}
	if rb := requestBody(op); rb != nil {
		mt, media := bodyMediaType(rb.Content)
		var s map[string]any
		if media != nil && media.Schema != nil {
			s = c.convert(media.Schema, 0, map[*openapi3.Schema]bool{}, true)
		} else {
			s = map[string]any{}
		}
		desc := "request body"
		if mt != "" {
			desc += " (" + mt + ")"
		}
		if rb.Description != "" {
			desc += ": " + rb.Description
		}
		if _, has := s["description"]; !has {
			s["description"] = desc
		}
		props["body"] = s
		if rb.Required {
			required = append(required, "body")
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// requestBody returns the operation's request body, nil when it has none.
func requestBody(op *spec.Operation) *openapi3.RequestBody {
	if op.Op == nil || op.Op.RequestBody == nil || op.Op.RequestBody.Value == nil {
		return nil
	}
	return op.Op.RequestBody.Value
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
		if isJSONMediaType(n) {
			return n, content[n]
		}
	}
	return names[0], content[names[0]]
}

// isJSONMediaType reports whether a media type (or Content-Type value) is JSON:
// application/json, any +json suffix, or */* .
func isJSONMediaType(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(v))
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "*/*"
}

// schemaConverter turns OpenAPI schemas into plain JSON Schema values, counting nodes so one
// huge operation cannot produce a huge tool list.
type schemaConverter struct {
	nodes int
}

func (c *schemaConverter) paramSchema(p *openapi3.Parameter) map[string]any {
	if p.Schema != nil {
		return c.convert(p.Schema, 0, map[*openapi3.Schema]bool{}, true)
	}
	for _, mt := range p.Content {
		if mt != nil && mt.Schema != nil {
			return c.convert(mt.Schema, 0, map[*openapi3.Schema]bool{}, true)
		}
	}
	return map[string]any{}
}

// convert maps ref to JSON Schema. onPath holds the schemas being converted above this one:
// a recursive schema becomes {} where it recurs. input drops readOnly properties, which a
// client does not send.
func (c *schemaConverter) convert(ref *openapi3.SchemaRef, depth int, onPath map[*openapi3.Schema]bool, input bool) map[string]any {
	if ref == nil || ref.Value == nil {
		return map[string]any{}
	}
	s := ref.Value
	c.nodes++
	if depth > maxSchemaDepth || c.nodes > maxSchemaNodes || onPath[s] {
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
	setString(out, "title", s.Title)
	setString(out, "description", s.Description)
	setString(out, "format", s.Format)
	setString(out, "pattern", s.Pattern)
	if len(s.Enum) > 0 {
		out["enum"] = s.Enum
	}
	if s.Const != nil {
		out["const"] = s.Const
	}
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
	if s.Items != nil {
		out["items"] = c.convert(s.Items, depth+1, onPath, input)
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, p := range s.Properties {
			if input && p != nil && p.Value != nil && p.Value.ReadOnly {
				continue
			}
			props[name] = c.convert(p, depth+1, onPath, input)
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
		out["additionalProperties"] = c.convert(ap.Schema, depth+1, onPath, input)
	case ap.Has != nil:
		out["additionalProperties"] = *ap.Has
	}
	for key, list := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "oneOf": s.OneOf, "anyOf": s.AnyOf} {
		if len(list) == 0 {
			continue
		}
		subs := make([]any, 0, len(list))
		for _, sub := range list {
			subs = append(subs, c.convert(sub, depth+1, onPath, input))
		}
		out[key] = subs
	}
	if s.Example != nil {
		out["examples"] = []any{s.Example}
	} else if len(s.Examples) > 0 {
		out["examples"] = s.Examples
	}
	return out
}

func setString(m map[string]any, key, v string) {
	if v != "" {
		m[key] = v
	}
}

// securityHint describes the credentials an operation requires, for its tool description:
// "Authorization: Bearer <token>" or "header X-API-Key", alternatives joined with " or ".
// It returns "" for an operation without security requirements.
func securityHint(doc *spec.Document, op *spec.Operation) string {
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

func describeScheme(doc *spec.Document, name string) string {
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
