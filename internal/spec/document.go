package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockloop/mockloop/internal/problem"
)

// newDocument indexes a resolved document and collects its load warnings.
func newDocument(source, version string, t *openapi3.T, raw []byte, isJSON bool) (*Document, error) {
	d, err := indexDocument(source, version, t, raw, isJSON)
	if err != nil {
		return nil, err
	}
	w := &walker{doc: t, seenPattern: map[*openapi3.Schema]bool{}}
	w.run()
	d.Warnings = append(d.Warnings, w.warnings...)
	for _, c := range d.router.Conflicts() {
		d.Warnings = append(d.Warnings, problem.Item{
			Location: "/paths/" + escapePointer(c.Path) + "/" + strings.ToLower(c.Method),
			Message:  fmt.Sprintf("path %s conflicts with %s (same shape): %s requests are routed to %s", c.Path, c.Winner, c.Method, c.Winner),
		})
	}
	d.Warnings = append(d.Warnings, unusedComponents(t, referencedComponents(raw))...)
	return d, nil
}

// documentFromSnapshot is the document a cached snapshot holds, indexed; its warnings are the
// ones computed when the snapshot was written.
func documentFromSnapshot(source string, raw []byte, s *snapshot) (*Document, error) {
	if s.T == nil {
		return nil, errors.New("snapshot without a document")
	}
	d, err := indexDocument(source, s.Version, s.T, raw, s.IsJSON)
	if err != nil {
		return nil, err
	}
	d.Warnings = s.Warnings
	return d, nil
}

// indexDocument lists the operations of a resolved document and builds its router.
func indexDocument(source, version string, t *openapi3.T, raw []byte, isJSON bool) (*Document, error) {
	d := &Document{T: t, Source: source, SourceVersion: version, raw: raw, isJSON: isJSON}
	if t.Paths != nil {
		for _, path := range t.Paths.Keys() {
			item := t.Paths.Value(path)
			if item == nil {
				continue
			}
			for _, method := range methodOrder {
				op := item.GetOperation(method)
				if op == nil {
					continue
				}
				d.Operations = append(d.Operations, &Operation{
					Method:     method,
					Path:       path,
					ID:         op.OperationID,
					Op:         op,
					PathItem:   item,
					Parameters: mergeParams(item.Parameters, op.Parameters),
					index:      len(d.Operations),
				})
			}
		}
	}
	r, err := NewRouter(d.Operations)
	if err != nil {
		return nil, &Error{Source: source, Location: "/paths", Err: err}
	}
	d.router = r
	d.BasePath = basePath(t.Servers)
	return d, nil
}

var methodOrder = []string{
	http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
	http.MethodOptions, http.MethodHead, http.MethodPatch, http.MethodTrace,
}

func mergeParams(pathLevel, opLevel openapi3.Parameters) openapi3.Parameters {
	out := make(openapi3.Parameters, 0, len(pathLevel)+len(opLevel))
	seen := map[string]bool{}
	for _, p := range opLevel {
		if p == nil || p.Value == nil {
			continue
		}
		seen[p.Value.In+"\x00"+p.Value.Name] = true
		out = append(out, p)
	}
	for _, p := range pathLevel {
		if p == nil || p.Value == nil || seen[p.Value.In+"\x00"+p.Value.Name] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// basePath is the path of the first server's URL, with variables at their defaults, without
// a trailing slash; "" when that is the root or cannot be worked out.
func basePath(servers openapi3.Servers) string {
	if len(servers) == 0 || servers[0] == nil {
		return ""
	}
	s := servers[0]
	raw := s.URL
	for name, v := range s.Variables {
		if v != nil {
			raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
		}
	}
	if strings.ContainsAny(raw, "{}") {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	if p != "" && p[0] != '/' {
		// A relative server URL ("v2" or "./v2") is relative to the document's location,
		// which a mock server does not have; treat its path as rooted.
		p = "/" + strings.TrimPrefix(p, "./")
	}
	return p
}

// walker visits the resolved document once: it removes the regex patterns Go cannot compile,
// with a warning for each, and warns about schema keywords no value can satisfy.
type walker struct {
	doc         *openapi3.T
	seenPattern map[*openapi3.Schema]bool
	warnings    []problem.Item
	patterns    map[string]error // compile result per pattern text
}

func (w *walker) run() {
	w.patterns = map[string]error{}
	// Components first, so a pattern in a shared schema is reported where it is written.
	if c := w.doc.Components; c != nil {
		for _, name := range sortedKeys(c.Schemas) {
			w.schema(c.Schemas[name], "/components/schemas/"+escapePointer(name), 0)
		}
		for _, name := range sortedKeys(c.Parameters) {
			w.parameter(c.Parameters[name], "/components/parameters/"+escapePointer(name))
		}
		for _, name := range sortedKeys(c.Headers) {
			w.header(c.Headers[name], "/components/headers/"+escapePointer(name))
		}
		for _, name := range sortedKeys(c.RequestBodies) {
			w.requestBody(c.RequestBodies[name], "/components/requestBodies/"+escapePointer(name))
		}
		for _, name := range sortedKeys(c.Responses) {
			w.response(c.Responses[name], "/components/responses/"+escapePointer(name))
		}
		for _, name := range sortedKeys(c.Callbacks) {
			if cb := c.Callbacks[name]; cb != nil && cb.Value != nil {
				for _, p := range cb.Value.Keys() {
					w.pathItem(cb.Value.Value(p), "/components/callbacks/"+escapePointer(name)+"/"+escapePointer(p))
				}
			}
		}
	}
	if w.doc.Paths != nil {
		for _, p := range w.doc.Paths.Keys() {
			w.pathItem(w.doc.Paths.Value(p), "/paths/"+escapePointer(p))
		}
	}
	for _, name := range sortedKeys(w.doc.Webhooks) {
		w.pathItem(w.doc.Webhooks[name], "/webhooks/"+escapePointer(name))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (w *walker) pathItem(item *openapi3.PathItem, at string) {
	if item == nil {
		return
	}
	for _, p := range item.Parameters {
		w.parameter(p, at+"/parameters")
	}
	for method, op := range item.Operations() {
		if op == nil {
			continue
		}
		opAt := at + "/" + strings.ToLower(method)
		for i, p := range op.Parameters {
			w.parameter(p, fmt.Sprintf("%s/parameters/%d", opAt, i))
		}
		w.requestBody(op.RequestBody, opAt+"/requestBody")
		if op.Responses != nil {
			for _, code := range op.Responses.Keys() {
				w.response(op.Responses.Value(code), opAt+"/responses/"+escapePointer(code))
			}
		}
	}
}

func (w *walker) parameter(p *openapi3.ParameterRef, at string) {
	if p == nil || p.Ref != "" || p.Value == nil {
		return // a $ref is walked where its target is written
	}
	w.schema(p.Value.Schema, at+"/schema", 0)
	w.content(p.Value.Content, at+"/content")
}

func (w *walker) header(h *openapi3.HeaderRef, at string) {
	if h == nil || h.Ref != "" || h.Value == nil {
		return
	}
	w.schema(h.Value.Schema, at+"/schema", 0)
	w.content(h.Value.Content, at+"/content")
}

func (w *walker) requestBody(b *openapi3.RequestBodyRef, at string) {
	if b == nil || b.Ref != "" || b.Value == nil {
		return
	}
	w.content(b.Value.Content, at+"/content")
}

func (w *walker) response(r *openapi3.ResponseRef, at string) {
	if r == nil || r.Ref != "" || r.Value == nil {
		return
	}
	for _, name := range sortedKeys(r.Value.Headers) {
		w.header(r.Value.Headers[name], at+"/headers/"+escapePointer(name))
	}
	w.content(r.Value.Content, at+"/content")
}

func (w *walker) content(c openapi3.Content, at string) {
	for _, mt := range sortedKeys(c) {
		if m := c[mt]; m != nil {
			w.schema(m.Schema, at+"/"+escapePointer(mt)+"/schema", 0)
		}
	}
}

// schema checks the patterns of a schema written at `at` and of the schemas nested in it.
// Referenced schemas are checked where they are written (components), each schema once.
func (w *walker) schema(s *openapi3.SchemaRef, at string, depth int) {
	if s == nil || s.Value == nil {
		return
	}
	v := s.Value
	if w.seenPattern[v] || depth > 200 {
		return
	}
	w.seenPattern[v] = true
	if v.Pattern != "" {
		if err := w.compile(v.Pattern); err != nil {
			w.warnings = append(w.warnings, problem.Item{
				Location: at + "/pattern",
				Message:  fmt.Sprintf("pattern %q is not supported by Go's regexp (%v); it is not enforced", v.Pattern, err),
			})
			if v.Extensions == nil {
				v.Extensions = map[string]any{}
			}
			v.Extensions["x-mockloop-unsupported-pattern"] = v.Pattern
			v.Pattern = ""
		}
	}
	w.keywords(v, at)
	list := func(name string, refs openapi3.SchemaRefs) {
		for i, r := range refs {
			w.schema(r, fmt.Sprintf("%s/%s/%d", at, name, i), depth+1)
		}
	}
	list("allOf", v.AllOf)
	list("oneOf", v.OneOf)
	list("anyOf", v.AnyOf)
	list("prefixItems", v.PrefixItems)
	w.schema(v.Not, at+"/not", depth+1)
	w.schema(v.Items, at+"/items", depth+1)
	w.schema(v.AdditionalProperties.Schema, at+"/additionalProperties", depth+1)
	w.schema(v.Contains, at+"/contains", depth+1)
	w.schema(v.PropertyNames, at+"/propertyNames", depth+1)
	w.schema(v.If, at+"/if", depth+1)
	w.schema(v.Then, at+"/then", depth+1)
	w.schema(v.Else, at+"/else", depth+1)
	for _, group := range []struct {
		name string
		m    openapi3.Schemas
	}{{"properties", v.Properties}, {"patternProperties", v.PatternProperties}, {"$defs", v.Defs}, {"dependentSchemas", v.DependentSchemas}} {
		for _, name := range sortedKeys(group.m) {
			w.schema(group.m[name], at+"/"+group.name+"/"+escapePointer(name), depth+1)
		}
	}
}

// knownTypes are the JSON Schema type names.
var knownTypes = map[string]bool{
	openapi3.TypeString: true, openapi3.TypeNumber: true, openapi3.TypeInteger: true, openapi3.TypeBoolean: true,
	openapi3.TypeArray: true, openapi3.TypeObject: true, openapi3.TypeNull: true,
}

// keywords warns about schema keywords no value can satisfy: an unknown type name, or bounds
// that exclude each other. Validators reject every value there, so a mock cannot answer
// validly; users want to hear it once rather than find it in a failing test.
func (w *walker) keywords(v *openapi3.Schema, at string) {
	warn := func(where, format string, args ...any) {
		w.warnings = append(w.warnings, problem.Item{Location: at + where, Message: fmt.Sprintf(format, args...)})
	}
	for _, t := range v.Type.Slice() {
		if !knownTypes[t] {
			warn("/type", "unknown type %q: no value matches it (types are string, number, integer, boolean, array, object, null)", t)
		}
	}
	if len(v.Enum) > 0 && !v.Type.IsEmpty() && !anyEnumOfType(v) {
		warn("/enum", "no enum value is of the declared type %s: no value satisfies both", strings.Join(v.Type.Slice(), " or "))
	}
	if h := v.AdditionalProperties.Has; h != nil && !*h {
		for _, name := range v.Required {
			if _, ok := v.Properties[name]; !ok && !matchesAny(v.PatternProperties, name) {
				warn("/required", "required property %q is not among the properties and additionalProperties is false: no object satisfies both (properties declared in allOf parts do not count)", name)
			}
		}
	}
	if v.Min != nil && v.Max != nil && *v.Min > *v.Max {
		warn("/minimum", "minimum %g is above maximum %g: no number satisfies both", *v.Min, *v.Max)
	}
	if v.MaxLength != nil && v.MinLength > *v.MaxLength {
		warn("/minLength", "minLength %d is above maxLength %d: no string satisfies both", v.MinLength, *v.MaxLength)
	}
	if v.MaxItems != nil && v.MinItems > *v.MaxItems {
		warn("/minItems", "minItems %d is above maxItems %d: no array satisfies both", v.MinItems, *v.MaxItems)
	}
	if v.MaxProps != nil && v.MinProps > *v.MaxProps {
		warn("/minProperties", "minProperties %d is above maxProperties %d: no object satisfies both", v.MinProps, *v.MaxProps)
	}
}

// matchesAny reports whether a patternProperties key matches name (keys Go cannot compile
// are taken to match).
func matchesAny(patterns openapi3.Schemas, name string) bool {
	for p := range patterns {
		re, err := regexp.Compile(codepointRE.ReplaceAllString(p, `\x{$1}`))
		if err != nil || re.MatchString(name) {
			return true
		}
	}
	return false
}

// anyEnumOfType reports whether one of v's enum values has one of its declared types.
func anyEnumOfType(v *openapi3.Schema) bool {
	for _, e := range v.Enum {
		var t string
		switch x := e.(type) {
		case nil:
			if v.Nullable || v.Type.IncludesNull() {
				return true
			}
			continue
		case string:
			t = openapi3.TypeString
		case bool:
			t = openapi3.TypeBoolean
		case float64:
			t = openapi3.TypeNumber
			if x == math.Trunc(x) && v.Type.Permits(openapi3.TypeInteger) {
				return true
			}
		case int, int64, json.Number:
			t = openapi3.TypeNumber
			if v.Type.Permits(openapi3.TypeInteger) {
				return true
			}
		case map[string]any, map[any]any:
			t = openapi3.TypeObject
		case []any:
			t = openapi3.TypeArray
		default:
			return true // a value this check does not know: assume it fits
		}
		if v.Type.Permits(t) {
			return true
		}
	}
	return false
}

var codepointRE = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// compile is how kin-openapi compiles a pattern: Go regexp, with \uXXXX written as \x{XXXX}.
func (w *walker) compile(pattern string) error {
	if err, ok := w.patterns[pattern]; ok {
		return err
	}
	_, err := regexp.Compile(codepointRE.ReplaceAllString(pattern, `\x{$1}`))
	w.patterns[pattern] = err
	return err
}

// referencedComponents scans the source bytes for "#/components/KIND/NAME" (and Swagger 2.0's
// "#/definitions/NAME", "#/parameters/NAME", "#/responses/NAME"), wherever they are: paths,
// components, webhooks or extensions such as x-webhooks. It is one pass over the bytes.
func referencedComponents(raw []byte) map[string]bool {
	used := map[string]bool{}
	for _, prefix := range []struct{ find, kind string }{
		{"#/components/", ""},
		{"#/definitions/", "schemas"},
		{"#/parameters/", "parameters"},
		{"#/responses/", "responses"},
	} {
		rest := raw
		for {
			i := bytes.Index(rest, []byte(prefix.find))
			if i < 0 {
				break
			}
			rest = rest[i+len(prefix.find):]
			end := bytes.IndexAny(rest, "\"' \t\r\n,}]")
			if end < 0 {
				end = len(rest)
			}
			ref := string(rest[:end])
			if prefix.kind != "" {
				ref = prefix.kind + "/" + ref
			}
			kind, name, _ := strings.Cut(ref, "/")
			name, _, _ = strings.Cut(name, "/")
			used["#/components/"+kind+"/"+unescapePointer(fragmentPointer(name))] = true
		}
	}
	return used
}

// unusedComponents lists the components nothing reachable from paths or webhooks refers to.
func unusedComponents(t *openapi3.T, used map[string]bool) []problem.Item {
	c := t.Components
	if c == nil {
		return nil
	}
	for _, req := range t.Security {
		for name := range req {
			used["#/components/securitySchemes/"+name] = true
		}
	}
	if t.Paths != nil {
		for _, item := range t.Paths.Map() {
			if item == nil {
				continue
			}
			for _, op := range item.Operations() {
				if op == nil || op.Security == nil {
					continue
				}
				for _, req := range *op.Security {
					for name := range req {
						used["#/components/securitySchemes/"+name] = true
					}
				}
			}
		}
	}
	var out []problem.Item
	check := func(kind string, names []string) {
		for _, name := range names {
			if !used["#/components/"+kind+"/"+name] {
				out = append(out, problem.Item{
					Location: "/components/" + kind + "/" + escapePointer(name),
					Message:  fmt.Sprintf("%s %q is not used", singular[kind], name),
				})
			}
		}
	}
	check("schemas", sortedKeys(c.Schemas))
	check("parameters", sortedKeys(c.Parameters))
	check("headers", sortedKeys(c.Headers))
	check("requestBodies", sortedKeys(c.RequestBodies))
	check("responses", sortedKeys(c.Responses))
	check("securitySchemes", sortedKeys(c.SecuritySchemes))
	check("examples", sortedKeys(c.Examples))
	return out
}

var singular = map[string]string{
	"schemas": "schema", "parameters": "parameter", "headers": "header",
	"requestBodies": "request body", "responses": "response",
	"securitySchemes": "security scheme", "examples": "example",
}
