package mock

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// kind is how a media type's body is encoded.
type kind int

// The order is the preference when Accept does not decide.
const (
	kindJSON kind = iota
	kindText
	kindXML
	kindForm
	kindBinary
)

// mediaKind classifies a declared media type (without parameters).
func mediaKind(typ, sub string) kind {
	switch {
	case typ == "*", sub == "json", strings.HasSuffix(sub, "+json"), typ == "application" && sub == "*":
		return kindJSON
	case sub == "xml", strings.HasSuffix(sub, "+xml"):
		return kindXML
	case typ == "text":
		return kindText
	case typ == "application" && sub == "x-www-form-urlencoded", typ == "multipart":
		return kindForm
	}
	return kindBinary
}

// wildcardTypes are what a declared media range is answered with: a type the range covers.
var wildcardTypes = map[string]string{
	"*": "application/json", "application": "application/json", "text": "text/plain",
	"image": "image/png", "audio": "audio/mpeg", "video": "video/mp4", "font": "font/woff2",
	"multipart": "multipart/form-data",
}

// concreteType is the media type served for a declared range (type/*, */*): JSON for */* and
// application/*, a common subtype otherwise, type/octet-stream for types not listed.
func concreteType(typ, sub string) string {
	if sub != "*" && typ != "*" {
		return typ + "/" + sub
	}
	if t, ok := wildcardTypes[typ]; ok {
		return t
	}
	return typ + "/octet-stream"
}

// splitMediaType parses "type/sub; params" into lower-case type and subtype.
func splitMediaType(s string) (typ, sub string) {
	mt, _, err := mime.ParseMediaType(s)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(s, ";", 2)[0]))
	}
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok {
		return mt, "*"
	}
	return typ, sub
}

// encode renders v in the given kind. schema (may be nil) names the XML elements.
func encode(k kind, v any, schema *openapi3.SchemaRef) ([]byte, error) {
	switch k {
	case kindJSON:
		return json.Marshal(v)
	case kindXML:
		var b bytes.Buffer
		b.WriteString(xml.Header)
		writeXML(&b, xmlRoot(schema), v, schema, 0)
		return b.Bytes(), nil
	case kindText, kindBinary:
		switch t := v.(type) {
		case string:
			return []byte(t), nil
		case nil:
			return nil, nil
		case []byte:
			return t, nil
		case float64, int, int64, bool:
			return []byte(scalarString(t)), nil
		}
		return json.Marshal(v)
	case kindForm:
		m, ok := v.(map[string]any)
		if !ok {
			return []byte(url.Values{"value": {scalarString(v)}}.Encode()), nil
		}
		q := url.Values{}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			switch t := m[k].(type) {
			case []any:
				for _, item := range t {
					q.Add(k, scalarString(item))
				}
			default:
				q.Set(k, scalarString(t))
			}
		}
		return []byte(q.Encode()), nil
	}
	return json.Marshal(v)
}

// scalarString renders a value the way it appears in a header, query string or form field.
func scalarString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(t, 10)
	case int:
		return strconv.Itoa(t)
	case []any:
		parts := make([]string, len(t))
		for i, item := range t {
			parts[i] = scalarString(item)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(t)) {
			parts = append(parts, k, scalarString(t[k]))
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// writeXML writes v as element name. Object properties become child elements (or attributes
// when their schema says xml.attribute), array items repeat an element named by the items'
// xml.name or $ref; depth bounds nesting of pathological values.
func writeXML(b *bytes.Buffer, name string, v any, schema *openapi3.SchemaRef, depth int) {
	name = xmlName(name)
	var s *openapi3.Schema
	if schema != nil {
		s = schema.Value
	}
	if depth > 64 {
		b.WriteString("<" + name + "/>")
		return
	}
	switch t := v.(type) {
	case map[string]any:
		b.WriteString("<" + name)
		keys := slices.Sorted(maps.Keys(t))
		var children []string
		for _, k := range keys {
			p := propSchema(s, k)
			if p != nil && p.Value != nil && p.Value.XML != nil && p.Value.XML.Attribute {
				b.WriteString(" " + xmlName(xmlElemName(k, p)) + `="`)
				_ = xml.EscapeText(b, []byte(scalarString(t[k])))
				b.WriteString(`"`)
				continue
			}
			children = append(children, k)
		}
		b.WriteString(">")
		for _, k := range children {
			p := propSchema(s, k)
			if items, ok := t[k].([]any); ok && !(p != nil && p.Value != nil && p.Value.XML != nil && p.Value.XML.Wrapped) {
				// OpenAPI arrays are unwrapped by default: the items repeat in place.
				var itemSchema *openapi3.SchemaRef
				if p != nil && p.Value != nil {
					itemSchema = p.Value.Items
				}
				itemName := xmlElemName(k, p)
				if itemSchema != nil && itemSchema.Value != nil && itemSchema.Value.XML != nil && itemSchema.Value.XML.Name != "" {
					itemName = itemSchema.Value.XML.Name
				}
				for _, item := range items {
					writeXML(b, itemName, item, itemSchema, depth+1)
				}
				continue
			}
			writeXML(b, xmlElemName(k, p), t[k], p, depth+1)
		}
		b.WriteString("</" + name + ">")
	case []any:
		var items *openapi3.SchemaRef
		if s != nil {
			items = s.Items
		}
		itemName := "item"
		if items != nil {
			itemName = xmlElemName(refNameOr(items.Ref, "item"), items)
		}
		b.WriteString("<" + name + ">")
		for _, item := range t {
			writeXML(b, itemName, item, items, depth+1)
		}
		b.WriteString("</" + name + ">")
	case nil:
		b.WriteString("<" + name + "/>")
	default:
		b.WriteString("<" + name + ">")
		_ = xml.EscapeText(b, []byte(scalarString(t)))
		b.WriteString("</" + name + ">")
	}
}

func propSchema(s *openapi3.Schema, k string) *openapi3.SchemaRef {
	if s == nil {
		return nil
	}
	return s.Properties[k]
}

// xmlElemName is the schema's xml.name, else name.
func xmlElemName(name string, r *openapi3.SchemaRef) string {
	if r != nil && r.Value != nil && r.Value.XML != nil && r.Value.XML.Name != "" {
		return r.Value.XML.Name
	}
	return name
}

func refNameOr(ref, def string) string {
	if ref == "" {
		return def
	}
	return refName(ref)
}

// xmlName makes s a valid XML element name.
func xmlName(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '_' || r == '-' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if i == 0 && !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			b.WriteByte('_')
		}
		if ok {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "item"
	}
	return b.String()
}

// xmlRoot is the root element name for a body schema: xml.name, else the $ref name.
func xmlRoot(r *openapi3.SchemaRef) string {
	if r == nil {
		return "root"
	}
	if r.Value != nil && r.Value.XML != nil && r.Value.XML.Name != "" {
		return r.Value.XML.Name
	}
	if r.Ref != "" {
		return refName(r.Ref)
	}
	return "root"
}
