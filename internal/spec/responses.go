package spec

import (
	"maps"
	"slices"
)

// ResponseContent is what an operation declares for one response key, in plain terms (for
// the packages that must not know kin-openapi): where it is written and its media types, with
// their examples. Responses describes the same responses as schemas.
type ResponseContent struct {
	// Key is the responses key: "200", "2XX", "default".
	Key string
	// Ref is the $ref the response is written as ("#/components/responses/NotFound"), "" when
	// inline.
	Ref string
	// MediaTypes are the content keys, sorted.
	MediaTypes []ResponseMedia
}

// ResponseMedia is one content entry of a response.
type ResponseMedia struct {
	Key string
	// Example is the single `example` value, when HasExample.
	Example    any
	HasExample bool
	// Examples are the names of the `examples`, sorted.
	Examples []string
}

// ResponseContents lists what o declares, by key in sorted order.
func (o *Operation) ResponseContents() []ResponseContent {
	if o.Op == nil || o.Op.Responses == nil {
		return nil
	}
	var out []ResponseContent
	for _, k := range slices.Sorted(slices.Values(o.Op.Responses.Keys())) {
		ref := o.Op.Responses.Value(k)
		if ref == nil || ref.Value == nil {
			continue
		}
		r := ResponseContent{Key: k, Ref: ref.Ref}
		for _, name := range slices.Sorted(maps.Keys(ref.Value.Content)) {
			mt := ref.Value.Content[name]
			if mt == nil {
				continue
			}
			m := ResponseMedia{Key: name, Example: mt.Example, HasExample: mt.Example != nil,
				Examples: slices.Sorted(maps.Keys(mt.Examples))}
			r.MediaTypes = append(r.MediaTypes, m)
		}
		out = append(out, r)
	}
	return out
}

// PathItemRef is the $ref the operation's path item is written as, "" when inline.
func (o *Operation) PathItemRef() string {
	if o.PathItem == nil {
		return ""
	}
	return o.PathItem.Ref
}
