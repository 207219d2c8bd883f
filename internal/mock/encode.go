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

// encode renders v in the given kind. rootName names the XML root element.
func encode(k kind, v any, rootName string) ([]byte, error) {
	switch k {
	case kindJSON:
		return json.Marshal(v)
	case kindXML:
		var b bytes.Buffer
		b.WriteString(xml.Header)
		if rootName == "" {
			rootName = "root"
		}
		writeXML(&b, rootName, v)
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

func writeXML(b *bytes.Buffer, name string, v any) {
	name = xmlName(name)
	switch t := v.(type) {
	case map[string]any:
		b.WriteString("<" + name + ">")
		for _, k := range slices.Sorted(maps.Keys(t)) {
			writeXML(b, k, t[k])
		}
		b.WriteString("</" + name + ">")
	case []any:
		b.WriteString("<" + name + ">")
		for _, item := range t {
			writeXML(b, "item", item)
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
