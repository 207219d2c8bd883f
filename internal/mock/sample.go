package mock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mockloop/mockloop/internal/spec"
)

// Sample is a request an operation accepts, built from the document alone.
type Sample struct {
	Path        string              // the template filled in, e.g. /pets/42 (no server base path)
	PathParams  map[string]string   // decoded path parameter values
	Query       map[string][]string // query parameters
	Headers     map[string]string   // header parameters and a placeholder credential when secured
	Cookies     map[string]string   // cookie parameters (and an api key cookie when secured so)
	ContentType string              // "" when no body
	Body        []byte              // encoded request body, nil when none
}

// Apply sets on r, a request for s's path and query, the rest of what s carries: its headers,
// cookies and Content-Type, and no body when s has none.
func (s Sample) Apply(r *http.Request) {
	if s.Body == nil {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	for k, v := range s.Headers {
		r.Header.Set(k, v)
	}
	for k, v := range s.Cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if s.ContentType != "" {
		r.Header.Set("Content-Type", s.ContentType)
	}
}

// Placeholder is the credential value SampleRequest uses: security is checked for presence.
const Placeholder = "mockloop-placeholder"

// SampleRequest builds a request op accepts: required parameters and the body from the
// document's examples when they conform, else generated valid values (deterministic per
// operation); secured operations get a placeholder credential of the first accepted kind.
func (e *Engine) SampleRequest(op *spec.Operation) Sample {
	od := e.operation(op)
	s := Sample{
		PathParams: map[string]string{},
		Query:      map[string][]string{},
		Headers:    map[string]string{},
		Cookies:    map[string]string{},
	}
	seed := requestSeed(op.Key(), "sample", "")
	for _, ref := range op.Parameters {
		p := ref.Value
		if p == nil || (!p.Required && p.In != openapi3.ParameterInPath) || ignoredHeader(p) {
			continue
		}
		v := e.paramValue(p, seed)
		switch p.In {
		case openapi3.ParameterInPath:
			s.PathParams[p.Name] = serializeSimple(v, p.Explode != nil && *p.Explode)
		case openapi3.ParameterInQuery:
			addQuery(s.Query, p, v)
		case openapi3.ParameterInHeader:
			s.Headers[p.Name] = serializeSimple(v, p.Explode != nil && *p.Explode)
		case openapi3.ParameterInCookie:
			s.Cookies[p.Name] = serializeSimple(v, false)
		}
	}
	s.Path = fillPath(op.Path, s.PathParams)
	e.sampleBody(op, &s, seed)
	for _, c := range placeholderRequirement(od) {
		switch where, name, value := c.placeholder(); where {
		case "header":
			s.Headers[name] = value
		case "query":
			s.Query[name] = []string{value}
		case "cookie":
			s.Cookies[name] = value
		}
	}
	return s
}

// AddPlaceholderCredentials gives r the placeholder credential SampleRequest would put in a
// sample of op, when op is secured and r carries the credentials of none of the alternatives
// it accepts; otherwise r is left alone. It is for requests built elsewhere that the mock is
// to answer (an MCP operation tool in mock mode): the mock checks credentials for presence.
func (e *Engine) AddPlaceholderCredentials(op *spec.Operation, r *http.Request) {
	od := e.operation(op)
	if _, ok := od.authorized(r); ok {
		return
	}
	for _, c := range placeholderRequirement(od) {
		switch where, name, value := c.placeholder(); where {
		case "header":
			r.Header.Set(name, value)
		case "query":
			q := r.URL.Query()
			q.Set(name, value)
			r.URL.RawQuery = q.Encode()
			if r.RequestURI != "" {
				r.RequestURI = r.URL.RequestURI()
			}
		case "cookie":
			r.AddCookie(&http.Cookie{Name: name, Value: value})
		}
	}
}

// placeholderRequirement is the security alternative placeholder credentials are made for:
// the first one, or none when the operation is not secured or allows anonymous access.
func placeholderRequirement(od *operation) requirement {
	for _, alt := range od.security {
		if len(alt) == 0 {
			return nil
		}
	}
	if len(od.security) == 0 {
		return nil
	}
	req := od.security[0]
	// An API key in the Authorization header next to a Basic or Bearer scheme (both required):
	// the key goes first, so that the scheme's credential, written after it, is the one sent,
	// and the key, checked for presence, is present in it too.
	for i, c := range req {
		if c.kind == "header" && c.header == "Authorization" && i > 0 {
			out := append(requirement{c}, req[:i]...)
			return append(out, req[i+1:]...)
		}
	}
	return req
}

// placeholder is where c goes (header, query or cookie; "" for a scheme the mock does not
// check), its name there and a placeholder value of the right kind.
func (c *credential) placeholder() (where, name, value string) {
	switch c.kind {
	case "header", "query", "cookie":
		if c.header == "Authorization" {
			return c.kind, c.header, Placeholder // one spelling, so a scheme's value replaces it
		}
		return c.kind, c.name, Placeholder
	case "basic":
		return "header", "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("mockloop:"+Placeholder))
	case "bearer", "http":
		return "header", "Authorization", c.name + " " + Placeholder
	}
	return "", "", ""
}

// paramValue is the parameter's example when it conforms to its schema, else a generated value.
func (e *Engine) paramValue(p *openapi3.Parameter, seed uint64) any {
	schema := p.Schema
	if schema == nil {
		for _, mt := range p.Content {
			if mt != nil { // `application/json:` with no value
				schema = mt.Schema
				break
			}
		}
	}
	var candidates []any
	if p.Example != nil {
		candidates = append(candidates, p.Example)
	}
	for _, ex := range orderedExamples(p.Examples) {
		candidates = append(candidates, ex.value)
	}
	for _, c := range candidates {
		if schema == nil || schema.Value == nil || e.schemas.conforms(schema.Value, c, false) {
			return c
		}
	}
	if schema == nil {
		return "value"
	}
	v := e.schemas.generateNamed(schema, seed^hashString(p.In+p.Name), false, p.Name, false)
	if items, ok := v.([]any); ok && len(items) == 0 && p.Required && schema.Value != nil && schema.Value.Items != nil {
		// An empty list serializes to nothing at all, which is not a value for a required
		// parameter: send one item where the schema allows it.
		one := []any{e.schemas.generateNamed(schema.Value.Items, seed^hashString(p.In+p.Name+"[0]"), false, p.Name, true)}
		if e.schemas.conforms(schema.Value, one, false) {
			v = one
		}
	}
	if len(p.Content) > 0 {
		b, _ := json.Marshal(v)
		return string(b)
	}
	if v == nil {
		return ""
	}
	return v
}

func hashString(s string) uint64 { return requestSeed(s, "", "") }

// serializeSimple renders a value in the simple style (path and header parameters).
func serializeSimple(v any, explode bool) string {
	if m, ok := v.(map[string]any); ok && explode {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, k+"="+scalarString(m[k]))
		}
		return strings.Join(parts, ",")
	}
	return scalarString(v)
}

func addQuery(q map[string][]string, p *openapi3.Parameter, v any) {
	explode := p.Explode == nil || *p.Explode
	style := p.Style
	switch t := v.(type) {
	case []any:
		if explode {
			for _, item := range t {
				q[p.Name] = append(q[p.Name], scalarString(item))
			}
			return
		}
		sep := ","
		switch style {
		case "spaceDelimited":
			sep = " "
		case "pipeDelimited":
			sep = "|"
		}
		parts := make([]string, len(t))
		for i, item := range t {
			parts[i] = scalarString(item)
		}
		q[p.Name] = []string{strings.Join(parts, sep)}
	case map[string]any:
		keys := slices.Sorted(maps.Keys(t))
		switch {
		case style == "deepObject":
			for _, k := range keys {
				q[p.Name+"["+k+"]"] = []string{scalarString(t[k])}
			}
		case explode:
			for _, k := range keys {
				q[k] = []string{scalarString(t[k])}
			}
		default:
			q[p.Name] = []string{scalarString(t)}
		}
	default:
		q[p.Name] = []string{scalarString(v)}
	}
}

// escapeLiteral escapes the literal part of a path template as a client must send it: a
// '#', '?' or space in a template (some documents key operations by "/#Action=...") would
// otherwise end the path.
func escapeLiteral(s string) string {
	if !strings.ContainsAny(s, "#? %") {
		return s
	}
	return (&url.URL{Path: s}).EscapedPath()
}

// fillPath substitutes {name} segments (also inside a segment, e.g. {id}.json), escaped.
func fillPath(template string, params map[string]string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(template, '{')
		if open < 0 {
			b.WriteString(escapeLiteral(template))
			return b.String()
		}
		end := strings.IndexByte(template[open:], '}')
		if end < 0 {
			b.WriteString(escapeLiteral(template))
			return b.String()
		}
		b.WriteString(escapeLiteral(template[:open]))
		name := template[open+1 : open+end]
		v, ok := params[name]
		if !ok || v == "" {
			v = "1"
			params[name] = v
		}
		b.WriteString(url.PathEscape(v))
		template = template[open+end+1:]
	}
}

// sampleBody fills the body from the request body's preferred media type (JSON first).
func (e *Engine) sampleBody(op *spec.Operation, s *Sample, seed uint64) {
	rb := op.Op.RequestBody
	if rb == nil || rb.Value == nil || len(rb.Value.Content) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(rb.Value.Content))
	// A media type with no value (`application/json:`) offers nothing to send.
	names = slices.DeleteFunc(names, func(n string) bool { return rb.Value.Content[n] == nil })
	if len(names) == 0 {
		return
	}
	slices.SortStableFunc(names, func(a, b string) int {
		return rank(a) - rank(b)
	})
	name := names[0]
	mt := rb.Value.Content[name]
	ct := strings.TrimSpace(strings.SplitN(name, ",", 2)[0])
	typ, sub := splitMediaType(ct)
	if strings.Contains(ct, "*") {
		ct, typ, sub = "application/json", "application", "json"
	}
	k := mediaKind(typ, sub)
	var v any
	var found bool
	var candidates []any
	if mt.Example != nil {
		candidates = append(candidates, mt.Example)
	}
	for _, ex := range orderedExamples(mt.Examples) {
		candidates = append(candidates, ex.value)
	}
	for _, c := range candidates {
		if mt.Schema == nil || mt.Schema.Value == nil || e.schemas.conforms(mt.Schema.Value, c, false) {
			v, found = c, true
			break
		}
	}
	if !found {
		if mt.Schema == nil {
			v = map[string]any{}
		} else {
			v = e.schemas.generateValid(mt.Schema, seed^hashString("body"), false)
		}
	}
	if typ == "multipart" {
		s.Body, s.ContentType = multipartBody(v)
		return
	}
	if k == kindForm {
		s.Body, s.ContentType = formBody(v, mt.Encoding), ct
		return
	}
	b, err := encode(k, v, mt.Schema)
	if err != nil {
		return
	}
	s.Body, s.ContentType = b, ct
}

// rank orders request media types: JSON, then forms, then the rest.
func rank(name string) int {
	typ, sub := splitMediaType(name)
	switch mediaKind(typ, sub) {
	case kindJSON:
		return 0
	case kindForm:
		return 1
	case kindText:
		return 2
	}
	return 3
}

// formBody encodes v as application/x-www-form-urlencoded the way the declared encodings ask:
// objects as deepObject (a[b]=c) unless their encoding is form without explode (a=b,c),
// arrays of scalars as repeated keys (a=1&a=2) or comma-joined without explode, arrays of
// objects indexed (a[0][b]=c). A value that is not an object is sent as one field, value.
func formBody(v any, enc map[string]*openapi3.Encoding) []byte {
	m, ok := v.(map[string]any)
	if !ok {
		return []byte(url.Values{"value": {scalarString(v)}}.Encode())
	}
	q := url.Values{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		unexploded := false
		if e := enc[k]; e != nil && e.Style == openapi3.SerializationForm && e.Explode != nil && !*e.Explode {
			unexploded = true
		}
		switch t := m[k].(type) {
		case map[string]any:
			if unexploded {
				q.Set(k, scalarString(t))
				continue
			}
			addBrackets(q, k, t)
		case []any:
			if unexploded || !allScalars(t) {
				if unexploded {
					q.Set(k, scalarString(t))
				} else {
					addBrackets(q, k, t)
				}
				continue
			}
			for _, item := range t {
				q.Add(k, scalarString(item))
			}
		default:
			q.Set(k, scalarString(t))
		}
	}
	return []byte(q.Encode())
}

// addBrackets adds v under key in the bracket convention: objects a[b], lists a[0].
func addBrackets(q url.Values, key string, v any) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			addBrackets(q, key+"["+k+"]", t[k])
		}
	case []any:
		for i, item := range t {
			addBrackets(q, key+"["+strconv.Itoa(i)+"]", item)
		}
	default:
		q.Add(key, scalarString(t))
	}
}

func allScalars(items []any) bool {
	for _, it := range items {
		switch it.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func multipartBody(v any) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if m, ok := v.(map[string]any); ok {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			switch t := m[k].(type) {
			case map[string]any:
				// Object parts travel as JSON, which is how the validator decodes them.
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", `form-data; name="`+k+`"`)
				h.Set("Content-Type", "application/json")
				if pw, err := w.CreatePart(h); err == nil {
					b, _ := json.Marshal(t)
					_, _ = pw.Write(b)
				}
			case []any:
				for _, item := range t {
					_ = w.WriteField(k, scalarString(item))
				}
			default:
				_ = w.WriteField(k, scalarString(t))
			}
		}
	}
	_ = w.Close()
	return b.Bytes(), w.FormDataContentType()
}
