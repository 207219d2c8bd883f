package mcpserver

import (
	"slices"

	"github.com/mockloop/mockloop/internal/spec"
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
	params, body := op.Inputs()
	props := map[string]any{}
	var required []string
	for _, in := range paramLocations {
		group := map[string]any{}
		var groupRequired []string
		for _, p := range params {
			if p.In != in {
				continue
			}
			s := p.Schema
			if p.Description != "" {
				s["description"] = p.Description
			}
			group[p.Name] = s
			if p.Required {
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
	if body != nil {
		s := body.Schema
		desc := "request body"
		if body.MediaType != "" {
			desc += " (" + body.MediaType + ")"
		}
		if body.Description != "" {
			desc += ": " + body.Description
		}
		if _, has := s["description"]; !has {
			s["description"] = desc
		}
		props["body"] = s
		if body.Required {
			required = append(required, "body")
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}
