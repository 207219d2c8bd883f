package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
)

// Request validation is kin-openapi's openapi3filter, except for what it cannot decode, which
// would otherwise be refused although the document allows it:
//
//   - query parameters of style deepObject: openapi3filter refuses an array in that style
//     ("invalid serialization method"), even when the parameter was not sent, and reads nested
//     objects only partly. They are decoded here (a[b][c]=v, a[]=v, a[0]=v, a=v) and checked
//     against their schemas.
//   - query lists whose items declare no type of their own (allOf, oneOf): openapi3filter
//     reads the items as empty. They are read here, items converted by their schemas.
//   - application/x-www-form-urlencoded bodies with nested objects or arrays of objects, or
//     deepObject-encoded properties (Stripe's `metadata[foo]=bar`), or untyped properties:
//     decoded here the same way, values converted to the types their schema names, then
//     checked against the body schema.
//   - multipart/form-data bodies: openapi3filter refuses a schema without `type: object` and
//     reads a part whose schema is empty ({}, "any value") as null, which it then refuses.
//     Parts are decoded here (JSON parts as JSON, the others as text) and checked the same way.
//
// and for what nobody can check, which is accepted as it comes, with one warning at load:
//
//   - bodies in media types no decoder reads (application/jwt...), and text or binary bodies
//     declared with an object or array schema; the required-ness of the body is still checked.
//   - query objects holding objects in the form style, which has no defined serialization
//     (AWS query documents); their presence, when required, is still checked.
//
// Everything else of the request still goes through openapi3filter.

// requestPlan is what request validation needs beyond kin-openapi's route, prepared once.
type requestPlan struct {
	// route is what openapi3filter validates: the operation without the parameters checked
	// here; noBody is the same without its request body, for requests whose body is checked
	// here (nil when there are none).
	route, noBody *routers.Route
	params        []*openapi3.Parameter // deepObject query parameters, checked here
	opaque        []*openapi3.Parameter // query parameters nobody can decode: presence only
	lists         []*openapi3.Parameter // query lists whose items have no declared type
	forms         []*openapi3.MediaType // urlencoded media types decoded here
	multiparts    []*openapi3.MediaType // multipart/form-data media types decoded here
	unchecked     []*openapi3.MediaType // media types nobody decodes: accepted
	body          *openapi3.RequestBody
}

// prepareRequest splits op's request between openapi3filter and this file; op is the
// operation response validation sees (see validationOperation); at locates op for warnings.
func (e *Engine) prepareRequest(sop *spec.Operation, op *openapi3.Operation, at string) (requestPlan, []problem.Item) {
	var plan requestPlan
	var warns []problem.Item
	var kinParams openapi3.Parameters
	for _, ref := range sop.Parameters {
		p := ref.Value
		switch {
		case ignoredHeader(p):
			continue // "the parameter definition SHALL be ignored" (OpenAPI 3, Parameter Object)
		case p.In == openapi3.ParameterInQuery && p.Style == openapi3.SerializationDeepObject && p.Schema != nil:
			plan.params = append(plan.params, p)
			continue
		case p.In == openapi3.ParameterInQuery && nestedInForm(p):
			// OpenAPI defines no query serialization for an object holding objects or lists
			// of objects in the form style (AWS query documents use Name.Member.1=...).
			plan.opaque = append(plan.opaque, p)
			where := paramLocation(sop, ref, at)
			warns = append(warns, problem.Item{Location: where, Message: "query parameter " + p.Name + " has a shape the form style cannot serialize unambiguously (objects in objects or lists, or a free-form map): it is not checked beyond being present when required"})
			continue
		case p.In == openapi3.ParameterInQuery && untypedItems(p.Schema):
			// openapi3filter parses list items by their declared type: items written as
			// allOf/oneOf (or {}) come out empty and are refused ("empty value").
			plan.lists = append(plan.lists, p)
			continue
		}
		kinParams = append(kinParams, ref)
	}
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		plan.body = rb.Value
		for _, name := range slices.Sorted(maps.Keys(rb.Value.Content)) {
			mt := rb.Value.Content[name]
			if mt == nil {
				continue
			}
			base := strings.ToLower(strings.TrimSpace(strings.SplitN(name, ";", 2)[0]))
			switch {
			case base == "application/x-www-form-urlencoded" && formNeedsOwnDecoder(mt):
				plan.forms = append(plan.forms, mt)
			case base == "multipart/form-data":
				plan.multiparts = append(plan.multiparts, mt)
			case !decodable(base, mt.Schema) || structuredBytes(base, mt.Schema):
				plan.unchecked = append(plan.unchecked, mt)
				where := at + "/requestBody/content/" + escapePointer(name)
				if rb.Ref != "" {
					where = refPointer(rb.Ref) + "/content/" + escapePointer(name)
				}
				why := "no validator reads that media type"
				if structuredBytes(base, mt.Schema) {
					why = "a text or binary body cannot be held to an " + structure(mt.Schema.Value) + " schema"
				}
				warns = append(warns, problem.Item{Location: where, Message: "request bodies of type " + name + " are not checked (" + why + "); they are accepted as they come"})
			}
		}
	}
	vop := op
	item := sop.PathItem
	if len(kinParams) != len(sop.Parameters) {
		c := *op
		c.Parameters = kinParams
		vop = &c
		// The path item's parameters are merged into sop.Parameters already.
		pi := openapi3.PathItem{}
		if sop.PathItem != nil {
			pi = *sop.PathItem
		}
		pi.Parameters = nil
		item = &pi
	}
	plan.route = &routers.Route{Spec: e.doc.T, Path: sop.Path, PathItem: item, Method: sop.Method, Operation: vop}
	if len(plan.forms) > 0 || len(plan.multiparts) > 0 || len(plan.unchecked) > 0 {
		c := *vop
		c.RequestBody = nil
		plan.noBody = &routers.Route{Spec: e.doc.T, Path: sop.Path, PathItem: item, Method: sop.Method, Operation: &c}
	}
	return plan, warns
}

// paramLocation is where a parameter of sop is written: its component, else its place in the
// operation's or the path item's list (at locates the operation).
func paramLocation(sop *spec.Operation, ref *openapi3.ParameterRef, at string) string {
	if ref.Ref != "" {
		return refPointer(ref.Ref)
	}
	for i, p := range sop.Op.Parameters {
		if p == ref {
			return fmt.Sprintf("%s/parameters/%d", at, i)
		}
	}
	if sop.PathItem != nil {
		for i, p := range sop.PathItem.Parameters {
			if p == ref {
				return fmt.Sprintf("%s/parameters/%d", at[:strings.LastIndexByte(at, '/')], i)
			}
		}
	}
	return at + "/parameters"
}

// untypedItems reports whether s is a list whose item schema declares no type.
func untypedItems(s *openapi3.SchemaRef) bool {
	if s == nil || s.Value == nil || !s.Value.Type.Is(openapi3.TypeArray) {
		return false
	}
	it := s.Value.Items
	return it != nil && it.Value != nil && it.Value.Type.IsEmpty()
}

// nestedInForm reports whether p, a query parameter in the form style, has a shape that style
// cannot serialize unambiguously: an object with a property that is an object or a list of
// objects (form flattens one level only), a list of objects, or, exploded, an object that
// declares no properties (its keys cannot be told from the other parameters).
func nestedInForm(p *openapi3.Parameter) bool {
	if p.Style != "" && p.Style != openapi3.SerializationForm {
		return false
	}
	if p.Schema == nil || p.Schema.Value == nil {
		return false
	}
	s := p.Schema.Value
	var structured func(v *openapi3.Schema, depth int) bool
	structured = func(v *openapi3.Schema, depth int) bool {
		v = mergeAllOf(v, map[*openapi3.Schema]bool{})
		if v.Type.Is(openapi3.TypeObject) || len(v.Properties) > 0 {
			return true
		}
		for _, b := range append(slices.Clone(v.AnyOf), v.OneOf...) {
			if b != nil && b.Value != nil && depth < 4 && structured(b.Value, depth+1) {
				return true
			}
		}
		return false
	}
	switch {
	case s.Type.Is(openapi3.TypeArray):
		return s.Items != nil && s.Items.Value != nil && (structured(s.Items.Value, 0) || s.Items.Value.Type.Is(openapi3.TypeArray))
	case !s.Type.Is(openapi3.TypeObject):
		return false
	case len(s.Properties) == 0:
		return (p.Explode == nil || *p.Explode) && (s.AdditionalProperties.Schema != nil || s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has)
	}
	for _, prop := range s.Properties {
		if prop == nil || prop.Value == nil {
			continue
		}
		v := prop.Value
		if structured(v, 0) {
			return true
		}
		if v.Type.Is(openapi3.TypeArray) && v.Items != nil && v.Items.Value != nil && !v.Items.Value.Type.IsEmpty() &&
			!(v.Items.Value.Type.Is(openapi3.TypeString) || v.Items.Value.Type.Is(openapi3.TypeInteger) || v.Items.Value.Type.Is(openapi3.TypeNumber) || v.Items.Value.Type.Is(openapi3.TypeBoolean)) {
			return true
		}
	}
	return false
}

// ignoredHeader reports whether p is a header parameter OpenAPI says to ignore: Accept,
// Content-Type and Authorization are described elsewhere (content, security).
func ignoredHeader(p *openapi3.Parameter) bool {
	if p.In != openapi3.ParameterInHeader {
		return false
	}
	switch http.CanonicalHeaderKey(p.Name) {
	case "Accept", "Content-Type", "Authorization":
		return true
	}
	return false
}

// structuredBytes reports whether a text or binary media type declares an object or array
// schema: openapi3filter reads such bodies as strings, which no such schema accepts.
func structuredBytes(base string, schema *openapi3.SchemaRef) bool {
	if schema == nil || schema.Value == nil {
		return false
	}
	if k := mediaKind(splitMediaType(base)); k != kindText && k != kindBinary {
		return false
	}
	t := structure(schema.Value)
	return t == openapi3.TypeObject || t == openapi3.TypeArray
}

// decodable reports whether openapi3filter can read a body of media type base.
func decodable(base string, schema *openapi3.SchemaRef) bool {
	switch {
	case strings.Contains(base, "*"):
		return true // a wildcard: the request's own type decides
	case openapi3filter.RegisteredBodyDecoder(base) != nil, strings.HasSuffix(base, "+json"):
		return true
	case schema != nil && schema.Value != nil && (schema.Value.Format == "binary" || schema.Value.ContentMediaType != ""):
		return true // read as raw bytes
	}
	return false
}

// formNeedsOwnDecoder reports whether an urlencoded body schema has what openapi3filter's
// decoder refuses or drops: a root that is not plainly an object, object properties it cannot
// tell apart from the rest of the form, arrays of non-scalars, or deepObject encodings.
func formNeedsOwnDecoder(mt *openapi3.MediaType) bool {
	if mt.Schema == nil || mt.Schema.Value == nil {
		return false
	}
	s := mt.Schema.Value
	if !s.Type.Is(openapi3.TypeObject) || len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0 {
		return true
	}
	for _, enc := range mt.Encoding {
		if enc != nil && enc.Style == openapi3.SerializationDeepObject {
			return true
		}
	}
	for name, p := range s.Properties {
		if p == nil || p.Value == nil {
			continue
		}
		pv := p.Value
		switch {
		case len(pv.AllOf)+len(pv.AnyOf)+len(pv.OneOf) > 0, pv.Type.IsEmpty():
			// openapi3filter decodes a property without a type (even `{}`, any value) as
			// null, then refuses the null.
			return true
		case pv.Type.Is(openapi3.TypeObject):
			enc := mt.Encoding[name]
			if enc == nil || !(enc.Style == openapi3.SerializationDeepObject || (enc.Style == openapi3.SerializationForm && enc.Explode != nil && !*enc.Explode)) {
				return true
			}
		case pv.Type.Is(openapi3.TypeArray):
			if pv.Items == nil || pv.Items.Value == nil {
				return true
			}
			it := pv.Items.Value.Type
			if !(it.Is(openapi3.TypeString) || it.Is(openapi3.TypeInteger) || it.Is(openapi3.TypeNumber) || it.Is(openapi3.TypeBoolean)) {
				return true
			}
		}
	}
	return false
}

// How a body is read here.
const (
	readNone = iota
	readForm
	readMultipart
	readUnchecked
)

// ownBody finds the media type of r's body among those this file handles, by the rules
// openapi3filter uses to match a Content-Type to the declared content, and how to read it.
func (p *requestPlan) ownBody(r *http.Request) (*openapi3.MediaType, int) {
	if p.noBody == nil || p.body == nil {
		return nil, readNone
	}
	got := p.body.Content.Get(r.Header.Get("Content-Type"))
	switch {
	case got == nil:
		return nil, readNone
	case slices.Contains(p.forms, got):
		return got, readForm
	case slices.Contains(p.multiparts, got):
		return got, readMultipart
	case slices.Contains(p.unchecked, got):
		return got, readUnchecked
	}
	return nil, readNone
}

// checkQuery validates the query parameters openapi3filter was not given: lists whose items
// declare no type, and deepObject parameters. add records a problem.
func (e *Engine) checkQuery(r *http.Request, p *requestPlan, add func(code int, loc, msg string)) {
	if len(p.lists) == 0 && len(p.params) == 0 {
		return
	}
	q := r.URL.Query() // once, for both kinds
	// found reports whether a parameter is there to check, and records a required one that
	// is not.
	found := func(param *openapi3.Parameter, ok bool) bool {
		if !ok && param.Required {
			add(http.StatusBadRequest, "query."+param.Name, "required parameter is missing")
		}
		return ok
	}
	for _, param := range p.lists {
		vals, ok := q[param.Name]
		if !found(param, ok) {
			continue
		}
		if param.Explode != nil && !*param.Explode && len(vals) == 1 {
			sep := ","
			switch param.Style {
			case openapi3.SerializationSpaceDelimited:
				sep = " "
			case openapi3.SerializationPipeDelimited:
				sep = "|"
			}
			vals = strings.Split(vals[0], sep)
		}
		v := e.coerce(listOf(vals), param.Schema, 0)
		e.checkValue(param.Schema, v, "query."+param.Name, http.StatusBadRequest, add)
	}
	if len(p.params) == 0 {
		return
	}
	tree := bracketTree(q, nil, nil)
	for _, param := range p.params {
		v, ok := tree[param.Name]
		if !found(param, ok) {
			continue
		}
		v = e.coerce(v, param.Schema, 0)
		e.checkValue(param.Schema, v, "query."+param.Name, http.StatusBadRequest, add)
	}
}

// checkOwn validates the parts of r that openapi3filter was not given: deepObject query
// parameters and, when mt is not nil, the body. add records a problem.
func (e *Engine) checkOwn(r *http.Request, p *requestPlan, mt *openapi3.MediaType, how int, add func(code int, loc, msg string)) {
	for _, param := range p.opaque {
		// A free-form map's keys cannot be told from other parameters: its presence is
		// not checked either.
		if param.Required && len(param.Schema.Value.Properties) > 0 && absent(r, param) {
			add(http.StatusBadRequest, "query."+param.Name, "required parameter is missing")
		}
	}
	e.checkQuery(r, p, add)
	if mt == nil {
		return
	}
	var data []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b))
		if err != nil {
			add(http.StatusBadRequest, "body", "reading the body failed: "+err.Error())
			return
		}
		data = b
	}
	if len(data) == 0 {
		if p.body.Required {
			add(http.StatusBadRequest, "body", "request body is required")
		}
		return
	}
	var tree map[string]any
	switch how {
	case readForm:
		values, err := url.ParseQuery(string(data))
		if err != nil {
			add(http.StatusBadRequest, "body", "the form cannot be parsed: "+err.Error())
			return
		}
		tree = bracketTree(values, mt.Encoding, literalNames(mt.Schema))
	case readMultipart:
		var err error
		if tree, err = multipartTree(r.Header.Get("Content-Type"), data); err != nil {
			add(http.StatusBadRequest, "body", "the multipart body cannot be parsed: "+err.Error())
			return
		}
	default:
		return // a media type no validator reads: accepted (warned about at load)
	}
	v := e.coerce(tree, mt.Schema, 0)
	e.checkValue(mt.Schema, v, "body", http.StatusUnprocessableEntity, add)
}

// maxParts bounds the parts of a multipart body read for validation.
const maxParts = 1000

// multipartTree reads the parts of a multipart/form-data body into values by part name:
// JSON parts decoded, the others as text (file contents included); a name repeated, or
// written with brackets, collects as bracketTree does.
func multipartTree(contentType string, data []byte) (map[string]any, error) {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, err
	}
	if params["boundary"] == "" {
		return nil, errors.New("no boundary in Content-Type")
	}
	mr := multipart.NewReader(bytes.NewReader(data), params["boundary"])
	values := url.Values{}
	decoded := map[string]any{}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if n >= maxParts {
			return nil, fmt.Errorf("more than %d parts", maxParts)
		}
		name := part.FormName()
		content, err := io.ReadAll(part)
		if err != nil {
			return nil, err
		}
		if name == "" {
			continue
		}
		if typ, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); typ == "application/json" || strings.HasSuffix(typ, "+json") {
			var v any
			if json.Unmarshal(content, &v) == nil {
				if old, ok := decoded[name]; ok {
					decoded[name] = merge(old, v)
				} else {
					decoded[name] = v
				}
				continue
			}
		}
		values.Add(name, string(content))
	}
	tree := bracketTree(values, nil, nil)
	for k, v := range decoded {
		if old, ok := tree[k]; ok {
			tree[k] = merge(old, v)
		} else {
			tree[k] = v
		}
	}
	return tree, nil
}

// literalNames are the top-level property names of a body schema that contain a bracket
// (etags[etag]): such keys are taken as written, not as nesting.
func literalNames(s *openapi3.SchemaRef) map[string]bool {
	if s == nil || s.Value == nil {
		return nil
	}
	var out map[string]bool
	for name := range mergeAllOf(s.Value, map[*openapi3.Schema]bool{}).Properties {
		if strings.ContainsRune(name, '[') {
			if out == nil {
				out = map[string]bool{}
			}
			out[name] = true
		}
	}
	return out
}

// bracketTree turns form or query values into nested values by the bracket convention of
// deepObject (and of Rails, PHP, Stripe): a[b][c]=v is {"a": {"b": {"c": "v"}}}, a[]=v and a
// repeated key collect a list, a[0][x]=v an object keyed "0" (coerce turns it into a list
// where the schema wants one). Leaves are strings or lists of strings. A top-level property
// whose encoding is form without explode splits its value at commas; a key in literal stays
// whole.
func bracketTree(values url.Values, enc map[string]*openapi3.Encoding, literal map[string]bool) map[string]any {
	root := map[string]any{}
	keys := slices.Sorted(maps.Keys(values))
	for _, key := range keys {
		vals := values[key]
		path := splitBrackets(key)
		if literal[key] {
			path = []string{key} // the schema names a property so, brackets and all
		}
		if len(path) == 0 {
			continue
		}
		if len(path) == 1 {
			if e := enc[path[0]]; e != nil && e.Style == openapi3.SerializationForm && e.Explode != nil && !*e.Explode && len(vals) == 1 {
				vals = strings.Split(vals[0], ",")
				if len(vals) > 1 {
					insert(root, path, listOf(vals))
					continue
				}
			}
		}
		if path[len(path)-1] == "" {
			insert(root, path[:len(path)-1], listOf(vals))
			continue
		}
		if len(vals) == 1 {
			insert(root, path, vals[0])
		} else {
			insert(root, path, listOf(vals))
		}
	}
	return root
}

func listOf(vals []string) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}

// maxBracketDepth bounds how deep a bracketed key nests; a deeper key is taken literally, one
// segment, so hostile keys (a[a][a]... thousands deep) cost no more than any other.
const maxBracketDepth = 32

// splitBrackets splits "a[b][c]" into [a b c] and "a[]" into [a ""]; a key that does not
// follow the convention, or nests deeper than maxBracketDepth, is one segment.
func splitBrackets(key string) []string {
	open := strings.IndexByte(key, '[')
	if open <= 0 || !strings.HasSuffix(key, "]") || strings.Count(key, "[") > maxBracketDepth {
		return []string{key}
	}
	out := []string{key[:open]}
	rest := key[open:]
	for rest != "" {
		if rest[0] != '[' {
			return []string{key}
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return []string{key}
		}
		out = append(out, rest[1:end])
		rest = rest[end+1:]
	}
	return out
}

// insert sets v at path in m, creating objects on the way; a list stored where more nesting
// follows, or a value stored twice, is merged rather than lost.
func insert(m map[string]any, path []string, v any) {
	for i, seg := range path {
		if i == len(path)-1 {
			if old, ok := m[seg]; ok {
				m[seg] = merge(old, v)
			} else {
				m[seg] = v
			}
			return
		}
		child, ok := m[seg].(map[string]any)
		if !ok {
			child = map[string]any{}
			if old, had := m[seg]; had {
				child[""] = old // a=1 and a[b]=2: keep both, the schema decides
			}
			m[seg] = child
		}
		m = child
	}
}

func merge(a, b any) any {
	var out []any
	for _, v := range []any{a, b} {
		if l, ok := v.([]any); ok {
			out = append(out, l...)
		} else {
			out = append(out, v)
		}
	}
	return out
}

// maxCoerceDepth bounds coerce on hostile nesting (a[a][a]...).
const maxCoerceDepth = 32

// coerce converts a decoded form or query value to the types its schema names: strings to
// numbers, integers and booleans, objects keyed 0, 1, 2... to lists, single values to
// one-item lists. For oneOf/anyOf each branch is tried and the first conversion that branch
// accepts is kept. What does not convert is left as it is, so validation reports it.
func (e *Engine) coerce(v any, r *openapi3.SchemaRef, depth int) any {
	if r == nil || r.Value == nil || depth > maxCoerceDepth {
		return v
	}
	s := r.Value
	if len(s.AllOf) > 0 {
		s = e.schemas.merge(s)
	}
	for _, branches := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(branches) == 0 {
			continue
		}
		var first any
		for i, b := range branches {
			c := e.coerce(v, b, depth+1)
			if i == 0 {
				first = c
			}
			if b != nil && b.Value != nil && e.schemas.conforms(b.Value, c, false) {
				return c
			}
		}
		return first
	}
	types := s.Type.Slice()
	if len(types) == 0 {
		types = []string{schemaType(s)}
	}
	for _, t := range types {
		if c, ok := coerceTo(e, v, s, t, depth); ok {
			return c
		}
	}
	return v
}

// coerceTo converts v to type t of schema s, or reports false.
func coerceTo(e *Engine, v any, s *openapi3.Schema, t string, depth int) (any, bool) {
	switch t {
	case openapi3.TypeObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		out := make(map[string]any, len(m))
		for k, child := range m {
			ps := s.Properties[k]
			if ps == nil {
				ps = s.AdditionalProperties.Schema
			}
			out[k] = e.coerce(child, ps, depth+1)
		}
		return out, true
	case openapi3.TypeArray:
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		case map[string]any:
			// a[0]=x&a[1]=y: an object keyed by indexes is a list in that order.
			keys := make([]int, 0, len(x))
			for k := range x {
				n, err := strconv.Atoi(k)
				if err != nil || n < 0 {
					return nil, false
				}
				keys = append(keys, n)
			}
			sort.Ints(keys)
			for _, k := range keys {
				items = append(items, x[strconv.Itoa(k)])
			}
		default:
			items = []any{x}
		}
		out := make([]any, len(items))
		for i, it := range items {
			out[i] = e.coerce(it, s.Items, depth+1)
		}
		return out, true
	case openapi3.TypeInteger, openapi3.TypeNumber:
		str, ok := scalarOf(v)
		if !ok {
			return nil, false
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(str), 64)
		if err != nil {
			return nil, false
		}
		return f, true
	case openapi3.TypeBoolean:
		str, ok := scalarOf(v)
		if !ok {
			return nil, false
		}
		switch str {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return nil, false
	case openapi3.TypeString:
		str, ok := scalarOf(v)
		return str, ok
	case openapi3.TypeNull:
		if str, ok := scalarOf(v); ok && str == "" {
			return nil, true
		}
		return nil, false
	}
	return nil, false
}

// scalarOf is the single string v holds: itself, or the first of a list of strings (a
// repeated key where one value is expected, as openapi3filter reads it).
func scalarOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []any:
		if len(x) > 0 {
			if s, ok := x[0].(string); ok {
				return s, true
			}
		}
	}
	return "", false
}

// absent reports whether the request does not carry parameter p at all.
func absent(r *http.Request, p *openapi3.Parameter) bool {
	switch p.In {
	case openapi3.ParameterInQuery:
		q := r.URL.Query()
		if q.Has(p.Name) {
			return false
		}
		prefix := p.Name + "["
		for k := range q {
			if strings.HasPrefix(k, prefix) {
				return false
			}
		}
		if p.Explode == nil || *p.Explode {
			// An exploded object spreads its properties over the query: any of them counts.
			if p.Schema != nil && p.Schema.Value != nil {
				for name := range p.Schema.Value.Properties {
					if q.Has(name) {
						return false
					}
				}
			}
		}
		return true
	case openapi3.ParameterInHeader:
		return len(r.Header.Values(p.Name)) == 0
	case openapi3.ParameterInCookie:
		_, err := r.Cookie(p.Name)
		return err != nil
	}
	return false
}
