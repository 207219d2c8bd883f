// Package mock answers an OpenAPI operation without a backend: it picks the response (lowest
// 2xx, or what a Prism-style `Prefer` header asks for), negotiates the media type from Accept,
// serves the declared examples or data generated from the schema (deterministic per request),
// validates requests against the operation, and builds sample requests an operation accepts.
// Everything derived from the document is prepared by New; a request does no spec parsing.
package mock

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
)

// HeaderSource on an answer says where its body came from: SourceExample (a declared example)
// or SourceGenerated (data generated from the schema, or no body); answerers before the engine
// set their own (a replayed recording says "recording").
const (
	HeaderSource    = "X-Mockloop-Source"
	SourceExample   = "example"
	SourceGenerated = "generated"
)

// Shared, never mutated values of HeaderSource.
var (
	sourceExample   = []string{SourceExample}
	sourceGenerated = []string{SourceGenerated}
)

// Options tune an Engine. `mockloop serve` sets ValidateRequests and CheckSecurity by default.
type Options struct {
	// ValidateRequests checks parameters and bodies against the operation: 400/422 when invalid.
	ValidateRequests bool
	// CheckSecurity answers 401 when a secured operation is called without its credential.
	CheckSecurity bool
	// Dynamic generates every answer afresh, as `Prefer: dynamic=true` does for one request.
	Dynamic bool
	// Seed varies generated data: answers stay deterministic per request for a given seed, and
	// with Dynamic the sequence of answers is reproducible. 0 is the built-in seed (and, with
	// Dynamic, the clock).
	Seed uint64
	// PlainData turns realistic data off: values generated for schemas without examples come
	// from the schema alone (type, format, bounds, pattern), not from what the property,
	// parameter or header name suggests (`email`, `created_at`, `currency`...; see
	// docs/mock-data.md). The plugin file key `mock_data: plain` sets it.
	PlainData bool
}

// Engine answers operations of one document. It is safe for concurrent use.
type Engine struct {
	doc     *spec.Document
	opts    Options
	schemas *schemas
	// ops holds each operation of doc prepared, by Operation.Index, filled on first use: a
	// server answers its first request without preparing the thousands of operations of a
	// large document first.
	ops    []atomic.Pointer[operation]
	filter *openapi3filter.Options
	// docSecurity is the document's top-level security requirements, worked out once and
	// shared by every operation that declares none of its own (most of them, in most
	// documents): one copy in memory, and one the CPU keeps in its caches.
	docSecurity func() []requirement
	dynamic     atomic.Uint64
	// cachedBytes is the size of all generated bodies cached, bounded by maxCacheBytes.
	cachedBytes atomic.Int64
}

// operation is everything Respond needs about one operation, prepared once.
type operation struct {
	op        *spec.Operation
	key       string         // op.Key(), built once (it concatenates)
	seedBase  uint64         // the request seed's hash state after the key (see requestSeed)
	route     *routers.Route // what openapi3filter validates (see requestPlan)
	req       requestPlan
	responses []*response // sorted by key
	preferred *response   // the default choice: lowest 2xx, else default, else first
	security  []requirement
	codes     string // the declared response keys, for error messages
	// warnings are what of the operation cannot be honoured (see Engine.Warnings).
	warnings []problem.Item

	// Validation of a request without a body depends only on its path, query and the
	// declared header and cookie parameters: results are cached, bounded, by those.
	headerParams []string // canonical names (http.CanonicalHeaderKey), to index r.Header

	cookieParams bool
	verdicts     verdictCache

	// Response validation depends only on the status, the Content-Type, the headers the
	// operation's responses declare and the body: the test runner validates both sides' answers,
	// which are byte-identical whenever mock and live agree, so verdicts are cached by those.
	respHeaders  []string // canonical names of every header any response declares
	respVerdicts verdictCache
}

// verdict is a cached request validation result.
type verdict struct {
	status int
	items  []problem.Item
}

type response struct {
	key     string // "200", "2XX", "default"
	status  int    // the status served when Prefer does not name one
	media   []*media
	headers []responseHeader
	hdrOnce sync.Once
	hdr     http.Header // generated header values (deterministic)
}

type responseHeader struct {
	name string
	h    *openapi3.Header
}

// media is one declared media type of a response, in preference order (JSON first).
type media struct {
	name        string // the content key as declared
	contentType string // what is sent as Content-Type
	typ, sub    string
	kind        kind
	schema      *openapi3.SchemaRef
	example     any // the media-level example, nil when none
	hasExample  bool
	examples    []namedExample
	// emptyJSON: JSON with neither schema nor example; the answer is {}.
	emptyJSON bool

	defOnce sync.Once
	defBody []byte // the first conforming example, encoded; nil: generate
	defOK   bool

	gen bodyCache // seed -> generated body

	ctHeader []string                    // []string{contentType}
	clen     atomic.Pointer[lengthValue] // the last Content-Length value, usually the only one
}

type lengthValue struct {
	n int
	v []string
}

// contentLength is the Content-Length header value for n, reusing the last one built.
func (md *media) contentLength(n int) []string {
	if c := md.clen.Load(); c != nil && c.n == n {
		return c.v
	}
	c := &lengthValue{n: n, v: []string{strconv.Itoa(n)}}
	md.clen.Store(c)
	return c.v
}

type namedExample struct {
	name  string
	value any
}

// maxCacheBytes bounds the size of all of an engine's cached generated bodies together (each
// media type caches at most inlineSlots+cacheSlots of them).
const maxCacheBytes = 64 << 20

// New returns the engine for doc; each operation is prepared when it is first answered,
// validated or sampled. The document must not change afterwards.
func New(doc *spec.Document, opts Options) *Engine {
	useJSONBodyDecoder()
	e := &Engine{
		doc:     doc,
		opts:    opts,
		schemas: &schemas{v31: doc.T.IsOpenAPI31OrLater(), plain: opts.PlainData},
		ops:     make([]atomic.Pointer[operation], len(doc.Operations)),
	}
	e.docSecurity = sync.OnceValue(func() []requirement {
		return e.requirements(&spec.Operation{Op: &openapi3.Operation{}})
	})
	e.filter = &openapi3filter.Options{
		MultiError:                 true,
		SkipSettingDefaults:        true, // never rewrite the caller's request
		AuthenticationFunc:         openapi3filter.NoopAuthenticationFunc,
		RegexCompiler:              tolerantRegex,
		ExcludeReadOnlyValidations: false,
		SchemaValidationOptions:    schemaOptions(),
	}
	return e
}

// Warnings lists what the engine cannot honour as the document says, each once, located by
// a JSON pointer into the document: response headers that describe the transport
// (Content-Encoding, Transfer-Encoding...), which the mock never sends; text or binary
// responses declared with an object or array schema, which no answer can be held to; and
// request parts that no validator can check (such a part is accepted as it comes; the rest of
// the request is still checked). It prepares the operations not prepared yet (without keeping them), which takes a while on very
// large documents: callers run it off the request path, as serve runs ExampleProblems. It
// stops early, returning what it found, when ctx ends.
func (e *Engine) Warnings(ctx context.Context) []problem.Item {
	seen := map[problem.Item]bool{}
	var out []problem.Item
	for i, op := range e.doc.Operations {
		if ctx.Err() != nil {
			break
		}
		od := e.ops[i].Load()
		if od == nil {
			od = e.prepare(op)
		}
		for _, w := range od.warnings {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// operation is op prepared: once for an operation of the engine's document (when two requests
// race to prepare it, one result is kept: preparing only reads the document), every time for an
// operation from another document rather than fail.
func (e *Engine) operation(op *spec.Operation) *operation {
	i := op.Index()
	if i < 0 || i >= len(e.ops) || e.doc.Operations[i] != op {
		return e.prepare(op)
	}
	slot := &e.ops[i]
	if od := slot.Load(); od != nil {
		return od
	}
	od := e.prepare(op)
	if slot.CompareAndSwap(nil, od) {
		return od
	}
	return slot.Load()
}

// prepare derives everything a request needs about op, and what of op cannot be honoured
// (operation.warnings).
func (e *Engine) prepare(op *spec.Operation) *operation {
	var warns []problem.Item
	od := &operation{
		op:  op,
		key: op.Key(),
	}
	at := "/paths/" + escapePointer(op.Path) + "/" + strings.ToLower(op.Method)
	if op.Op.Responses != nil {
		keys := op.Op.Responses.Keys()
		sort.Strings(keys)
		for _, k := range keys {
			ref := op.Op.Responses.Value(k)
			if ref == nil || ref.Value == nil {
				continue
			}
			where := at + "/responses/" + escapePointer(k)
			if ref.Ref != "" {
				where = refPointer(ref.Ref)
			}
			resp, w := prepareResponse(k, ref.Value, where)
			od.responses = append(od.responses, resp)
			warns = append(warns, w...)
		}
	}
	plan, w := e.prepareRequest(op, validationOperation(op.Op), at)
	warns = append(warns, w...)
	od.req = plan
	od.route = plan.route
	for _, r := range od.responses {
		for _, h := range r.headers {
			if name := http.CanonicalHeaderKey(h.name); !slices.Contains(od.respHeaders, name) {
				od.respHeaders = append(od.respHeaders, name)
			}
		}
	}
	od.preferred = preferredResponse(od.responses)
	if od.preferred == nil {
		// No declared response: answer an empty 200 rather than fail.
		od.preferred = &response{key: "default", status: http.StatusOK}
	}
	keys := make([]string, len(od.responses))
	for i, r := range od.responses {
		keys[i] = r.key
	}
	od.codes = strings.Join(keys, ", ")
	od.seedBase = seedStart(od.key)
	if op.Op.Security == nil {
		od.security = e.docSecurity()
	} else {
		od.security = e.requirements(op)
	}
	for _, p := range op.Parameters {
		if p.Value == nil {
			continue
		}
		switch p.Value.In {
		case openapi3.ParameterInHeader:
			od.headerParams = append(od.headerParams, http.CanonicalHeaderKey(p.Value.Name))
		case openapi3.ParameterInCookie:
			od.cookieParams = true
		}
	}
	od.warnings = warns
	return od
}

// transportHeaders describe the connection, not the answer: a mock that declared
// `Content-Encoding: br` over a plain body would break every client, and the others are the
// HTTP server's to set (Content-Length) or hop-by-hop (RFC 9110 section 7.6.1).
var transportHeaders = map[string]bool{
	"Content-Encoding": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Keep-Alive": true, "Upgrade": true, "Te": true, "Trailer": true, "Proxy-Connection": true,
}

// validationOperation is op as response validation sees it: without the transport headers
// its responses declare (neither a mock nor a proxied answer is held to them: the HTTP stack
// sets or strips them). It is op itself when there are none.
func validationOperation(op *openapi3.Operation) *openapi3.Operation {
	if op.Responses == nil {
		return op
	}
	var out *openapi3.Operation
	for k, ref := range op.Responses.Map() {
		if ref == nil || ref.Value == nil {
			continue
		}
		var kept openapi3.Headers
		dropped := false
		for name, h := range ref.Value.Headers {
			if transportHeaders[http.CanonicalHeaderKey(name)] {
				dropped = true
				continue
			}
			if kept == nil {
				kept = openapi3.Headers{}
			}
			kept[name] = h
		}
		if !dropped {
			continue
		}
		if out == nil {
			c := *op
			c.Responses = openapi3.NewResponsesWithCapacity(op.Responses.Len())
			for k2, r2 := range op.Responses.Map() {
				c.Responses.Set(k2, r2)
			}
			out = &c
		}
		r := *ref.Value
		r.Headers = kept
		out.Responses.Set(k, &openapi3.ResponseRef{Value: &r})
	}
	if out == nil {
		return op
	}
	return out
}

// escapePointer escapes a JSON pointer segment (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// refPointer is where a local $ref points ("#/components/x" -> "/components/x"); other refs
// are kept as written.
func refPointer(ref string) string {
	if rest, ok := strings.CutPrefix(ref, "#"); ok {
		return rest
	}
	return ref
}

// preferredResponse is the lowest 2xx (exact codes before 2XX), else default, else the first.
func preferredResponse(rs []*response) *response {
	var best *response
	for _, r := range rs {
		if r.key[0] == '2' && (best == nil || r.key < best.key) {
			best = r
		}
	}
	if best != nil {
		return best
	}
	for _, r := range rs {
		if r.key == "default" {
			return r
		}
	}
	if len(rs) > 0 {
		return rs[0]
	}
	return nil
}

// prepareResponse prepares one declared response; at locates it in the document for warnings.
func prepareResponse(key string, r *openapi3.Response, at string) (*response, []problem.Item) {
	var warns []problem.Item
	out := &response{key: key, status: statusFor(key)}
	for _, name := range slices.Sorted(maps.Keys(r.Content)) {
		mt := r.Content[name]
		if mt == nil {
			continue
		}
		first := strings.TrimSpace(strings.SplitN(name, ",", 2)[0])
		typ, sub := splitMediaType(first)
		m := &media{
			name:   name,
			typ:    typ,
			sub:    sub,
			kind:   mediaKind(typ, sub),
			schema: mt.Schema,
		}
		m.contentType = first
		if strings.Contains(first, "*") {
			m.contentType = concreteType(typ, sub)
			m.kind = mediaKind(splitMediaType(m.contentType))
		}
		m.ctHeader = []string{m.contentType}
		if m.kind == kindJSON && mt.Schema == nil && mt.Example == nil && len(mt.Examples) == 0 {
			// Declared JSON without a schema or an example: any JSON value is right, and an
			// empty body under a JSON Content-Type is not JSON at all.
			m.emptyJSON = true
		}
		if mt.Example != nil {
			m.example, m.hasExample = mt.Example, true
		}
		m.examples = orderedExamples(mt.Examples)
		if (m.kind == kindText || m.kind == kindBinary) && mt.Schema != nil && mt.Schema.Value != nil {
			if t := structure(mt.Schema.Value); t == openapi3.TypeObject || t == openapi3.TypeArray {
				warns = append(warns, problem.Item{
					Location: at + "/content/" + escapePointer(name) + "/schema",
					Message:  "a " + name + " body cannot be held to an " + t + " schema: such answers are not checked (the mock sends the value as JSON text)",
				})
			}
		}
		out.media = append(out.media, m)
	}
	// JSON first, then text, XML, forms, binary; declared names in order within a kind.
	sort.SliceStable(out.media, func(i, j int) bool { return out.media[i].kind < out.media[j].kind })
	for _, name := range slices.Sorted(maps.Keys(r.Headers)) {
		h := r.Headers[name]
		if h == nil || h.Value == nil || strings.EqualFold(name, "Content-Type") {
			continue
		}
		if transportHeaders[http.CanonicalHeaderKey(name)] {
			where := at + "/headers/" + escapePointer(name)
			if h.Ref != "" {
				where = refPointer(h.Ref)
			}
			warns = append(warns, problem.Item{Location: where, Message: "response header " + name + " describes the transport, not the answer: the mock does not send it"})
			continue
		}
		out.headers = append(out.headers, responseHeader{name: name, h: h.Value})
	}
	return out, warns
}

// orderedExamples lists named examples in document order when the loader recorded positions,
// else by name (kin-openapi keeps them in a map).
func orderedExamples(ex openapi3.Examples) []namedExample {
	names := slices.Sorted(maps.Keys(ex))
	line := func(n string) int {
		if r := ex[n]; r != nil && r.Origin != nil && r.Origin.Key != nil {
			return r.Origin.Key.Line
		}
		return 0
	}
	sort.SliceStable(names, func(i, j int) bool { return line(names[i]) < line(names[j]) })
	var out []namedExample
	for _, n := range names {
		r := ex[n]
		if r == nil || r.Value == nil || (r.Value.Value == nil && r.Value.ExternalValue != "") {
			continue
		}
		out = append(out, namedExample{name: n, value: r.Value.Value})
	}
	return out
}

// statusFor is the status served for a response key: the code itself, the first code of a
// range (2XX -> 200), 200 for default.
func statusFor(key string) int {
	if n, err := strconv.Atoi(key); err == nil && n >= 100 && n <= 599 {
		return n
	}
	if len(key) == 3 && (key[1] == 'X' || key[1] == 'x') && key[0] >= '1' && key[0] <= '5' {
		return int(key[0]-'0') * 100
	}
	return http.StatusOK
}

// Respond writes the mock answer for the operation m matched: a 401/400/422 problem when the
// request is refused, a 406 when nothing in Accept can be served, a 422 when Prefer names a
// status or example the operation does not declare, else the chosen response.
func (e *Engine) Respond(w http.ResponseWriter, r *http.Request, m spec.Match) {
	if m.Operation == nil {
		// The caller routes; answer sensibly rather than crash if it did not.
		problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: "no operation matches " + r.Method + " " + r.URL.Path})
		return
	}
	od := e.operation(m.Operation)
	if e.refuse(w, r, od, m.PathParams) {
		return
	}
	// r.Header indexed with canonical names is what Header.Values does, without
	// canonicalizing the name again on every request.
	pref := ParsePrefer(r.Header["Prefer"])
	pref.Dynamic = pref.Dynamic || e.opts.Dynamic
	e.write(w, r, od, pref, false)
}

// refuse answers a request the engine does not accept: 401 without the credentials the
// operation requires, 400/422 when it does not match the operation (as the options say). It
// reports whether it answered.
func (e *Engine) refuse(w http.ResponseWriter, r *http.Request, od *operation, pathParams map[string]string) bool {
	if e.opts.CheckSecurity {
		if challenge, ok := od.authorized(r); !ok {
			w.Header().Set("WWW-Authenticate", challenge)
			problem.Write(w, problem.Details{
				Status: http.StatusUnauthorized,
				Detail: "this operation requires credentials: " + od.securityText(),
			})
			return true
		}
	}
	if e.opts.ValidateRequests {
		if status, items := e.validateRequest(r, od, pathParams); status != 0 {
			problem.Write(w, problem.Details{
				Status: status,
				Title:  "Invalid request",
				Detail: "the request does not match " + od.key,
				Errors: items,
			})
			return true
		}
	}
	return false
}

// write answers with the response pref chooses. A Prefer the operation cannot honour (a code
// or example it does not declare) is a 422, or, with soft, writes nothing and returns false.
func (e *Engine) write(w http.ResponseWriter, r *http.Request, od *operation, pref Prefer, soft bool) bool {
	resp, status, md, ex, p := od.choose(pref, r.Header["Accept"])
	if p == nil && status < 200 {
		p = informational(od.key, status)
	}
	if p != nil {
		if soft && p.Status == http.StatusUnprocessableEntity {
			return false
		}
		problem.Write(w, *p)
		return true
	}
	h := w.Header()
	for name, vals := range resp.headerValues(e, pref.Dynamic) {
		h[name] = vals
	}
	if md == nil || !bodyAllowed(status) {
		h[HeaderSource] = sourceGenerated
		w.WriteHeader(status)
		return true
	}
	body, fromExample := e.body(od, md, r, ex, pref.Dynamic)
	if fromExample {
		h[HeaderSource] = sourceExample
	} else {
		h[HeaderSource] = sourceGenerated
	}
	// Shared, never mutated header values: Set and Add on them replace or copy.
	h["Content-Type"] = md.ctHeader
	h["Content-Length"] = md.contentLength(len(body))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return true
}

// bodyAllowed reports whether a response with status may carry a body (RFC 9110: not 1xx,
// 204 or 304).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// choose picks the response, status, media type and named example for a request. A non-nil
// problem is the answer instead (406, or 422 for a Prefer the operation cannot honour).
func (od *operation) choose(pref Prefer, accept []string) (*response, int, *media, *namedExample, *problem.Details) {
	resp := od.preferred
	status := 0
	if pref.Code != "" {
		resp = od.byCode(pref.Code)
		if resp == nil {
			return nil, 0, nil, nil, &problem.Details{
				Status: http.StatusUnprocessableEntity,
				Title:  "Unknown response code in Prefer",
				Detail: "Prefer asks for code=" + pref.Code + "; " + od.key + " declares: " + od.codes,
			}
		}
		status, _ = strconv.Atoi(pref.Code)
	}
	var buf [8]acceptRange
	ranges := parseAccept(buf[:0], accept)
	if pref.Example != "" {
		candidates := []*response{resp}
		if pref.Code == "" {
			for _, r := range od.responses {
				if r != resp {
					candidates = append(candidates, r)
				}
			}
		}
		var names []string
		for _, c := range candidates {
			md := negotiate(c.media, ranges)
			if md == nil {
				continue
			}
			for i := range md.examples {
				if strings.EqualFold(md.examples[i].name, pref.Example) {
					if status == 0 {
						status = c.status
					}
					return c, status, md, &md.examples[i], nil
				}
				if !slices.Contains(names, md.examples[i].name) {
					names = append(names, md.examples[i].name)
				}
			}
		}
		detail := "Prefer asks for example=" + pref.Example + "; " + od.key + " has no such example"
		if len(names) > 0 {
			detail += " (examples: " + strings.Join(names, ", ") + ")"
		} else {
			detail += " (it declares no named examples)"
		}
		return nil, 0, nil, nil, &problem.Details{Status: http.StatusUnprocessableEntity, Title: "Unknown example in Prefer", Detail: detail}
	}
	if status == 0 {
		status = resp.status
	}
	if len(resp.media) == 0 {
		return resp, status, nil, nil, nil
	}
	md := negotiate(resp.media, ranges)
	if md == nil {
		var offered []string
		for _, m := range resp.media {
			offered = append(offered, m.contentType)
		}
		return nil, 0, nil, nil, &problem.Details{
			Status: http.StatusNotAcceptable,
			Detail: "Accept matches none of the media types of this response: " + strings.Join(offered, ", "),
		}
	}
	return resp, status, md, nil, nil
}

// byCode finds the response for a status code: exact, then its range (4XX), then default.
func (od *operation) byCode(code string) *response {
	n, err := strconv.Atoi(code)
	if err != nil || n < 100 || n > 599 {
		return nil
	}
	rng := code[:1] + "XX"
	var ranged, def *response
	for _, r := range od.responses {
		switch strings.ToUpper(r.key) {
		case code:
			return r
		case rng:
			ranged = r
		case "DEFAULT":
			def = r
		}
	}
	if ranged != nil {
		return ranged
	}
	return def
}

// body is the encoded body for the chosen media type: the named example, the first conforming
// declared example, or data generated from the schema (seeded by the request unless dynamic).
// fromExample says the body is an example's.
func (e *Engine) body(od *operation, md *media, r *http.Request, ex *namedExample, dynamic bool) (body []byte, fromExample bool) {
	if ex != nil {
		b, _ := encode(md.kind, ex.value, md.schema)
		return b, true
	}
	if !dynamic {
		md.defOnce.Do(func() { md.defBody, md.defOK = e.defaultExample(md) })
		if md.defOK {
			return md.defBody, true
		}
	}
	if md.schema == nil {
		if md.emptyJSON {
			return emptyObject, false
		}
		return nil, false
	}
	var seed uint64
	if dynamic {
		base := e.opts.Seed
		if base == 0 {
			base = uint64(time.Now().UnixNano())
		}
		seed = e.dynamic.Add(1)*0x9e3779b97f4a7c15 ^ base
	} else {
		seed = seedFrom(od.seedBase, r.URL.Path, r.URL.RawQuery) ^ e.opts.Seed*0x9e3779b97f4a7c15
		if b, ok := md.gen.get(seed); ok {
			return b, false
		}
	}
	v := e.schemas.generateValid(md.schema, seed, true)
	b, err := encode(md.kind, v, md.schema)
	if err != nil {
		b = nil
	}
	if !dynamic {
		md.gen.put(seed, b, &e.cachedBytes, maxCacheBytes)
	}
	return b, false
}

// emptyObject is the body of a JSON response declared without schema or example.
var emptyObject = []byte("{}")

// defaultExample encodes the media example or the first named example that conforms to the
// schema (any, when there is no schema). Examples that do not conform are served only when
// Prefer names them.
func (e *Engine) defaultExample(md *media) ([]byte, bool) {
	var candidates []any
	if md.hasExample {
		candidates = append(candidates, md.example)
	}
	for _, ex := range md.examples {
		candidates = append(candidates, ex.value)
	}
	for _, c := range candidates {
		if md.schema != nil && md.schema.Value != nil && md.kind == kindJSON && !e.schemas.conforms(md.schema.Value, c, true) {
			continue
		}
		b, err := encode(md.kind, c, md.schema)
		if err == nil {
			return b, true
		}
	}
	return nil, false
}

// requestSeed is FNV-1a over the operation key, path and query (no allocation). FNV hashes
// byte by byte, so the state after the key is computed once per operation (seedStart) and a
// request hashes only its path and query (seedFrom); the result is the same.
func requestSeed(key, path, query string) uint64 {
	return seedFrom(seedStart(key), path, query)
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// seedStart is the FNV-1a state after the operation key and its separator.
func seedStart(key string) uint64 {
	return fnvAdd(fnvAdd(fnvOffset, key), "\x00")
}

// seedFrom continues the hash h over path, "?" and query.
func seedFrom(h uint64, path, query string) uint64 {
	return fnvAdd(fnvAdd(fnvAdd(h, path), "?"), query)
}

func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// headerValues are the declared response headers with generated values: computed once, or
// afresh for dynamic requests.
func (resp *response) headerValues(e *Engine, dynamic bool) http.Header {
	if len(resp.headers) == 0 {
		return nil
	}
	if dynamic {
		return e.makeHeaders(resp, uint64(time.Now().UnixNano()))
	}
	resp.hdrOnce.Do(func() { resp.hdr = e.makeHeaders(resp, 1) })
	return resp.hdr
}

func (e *Engine) makeHeaders(resp *response, seed uint64) http.Header {
	out := make(http.Header, len(resp.headers))
	for _, rh := range resp.headers {
		schema := rh.h.Schema
		if schema == nil {
			for _, mt := range rh.h.Content {
				schema = mt.Schema
				break
			}
		}
		var v any
		found := false
		var candidates []any
		if rh.h.Example != nil {
			candidates = append(candidates, rh.h.Example)
		}
		for _, ex := range orderedExamples(rh.h.Examples) {
			candidates = append(candidates, ex.value)
		}
		for _, c := range candidates {
			if schema == nil || schema.Value == nil || e.schemas.conforms(schema.Value, c, true) {
				v, found = c, true
				break
			}
		}
		if !found {
			if schema == nil {
				continue
			}
			v = e.schemas.generateHeader(schema, seed^hashString(rh.name), rh.name)
		}
		if v == nil {
			continue // a header cannot say null: leaving it out is the honest answer
		}
		// The simple style, as OpenAPI serializes headers.
		out[http.CanonicalHeaderKey(rh.name)] = []string{serializeSimple(v, rh.h.Explode != nil && *rh.h.Explode)}
	}
	return out
}

// acceptRange is one entry of an Accept header.
type acceptRange struct {
	typ, sub string
	q        float64
}

// parseAccept appends the ranges of the Accept header values to dst.
func parseAccept(dst []acceptRange, values []string) []acceptRange {
	for _, v := range values {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			mt, params, _ := strings.Cut(part, ";")
			mt = strings.TrimSpace(mt)
			typ, sub, ok := strings.Cut(mt, "/")
			if !ok {
				if typ != "*" {
					continue
				}
				sub = "*"
			}
			q := 1.0
			for params != "" {
				var p string
				p, params, _ = strings.Cut(params, ";")
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			dst = append(dst, acceptRange{typ: typ, sub: sub, q: q})
		}
	}
	return dst
}

// negotiate picks the media type the client accepts with the highest q (the most specific
// matching range decides a media type's q); ties go to the declared preference order (JSON
// first). No Accept header accepts anything.
func negotiate(ms []*media, ranges []acceptRange) *media {
	if len(ms) == 0 {
		return nil
	}
	if len(ranges) == 0 {
		return ms[0]
	}
	var best *media
	bestQ := 0.0
	for _, m := range ms {
		q, spec := -1.0, -1
		for _, a := range ranges {
			s := matchRange(m, a)
			if s > spec {
				q, spec = a.q, s
			}
		}
		if spec >= 0 && q > bestQ {
			best, bestQ = m, q
		}
	}
	return best
}

// matchRange reports how specifically a matches m: 2 exact, 1 type/*, 0 */*, -1 no match.
// A declared wildcard media type (*/*, image/*) matches what it covers.
func matchRange(m *media, a acceptRange) int {
	typeOK := a.typ == "*" || m.typ == "*" || strings.EqualFold(a.typ, m.typ)
	subOK := a.sub == "*" || m.sub == "*" || strings.EqualFold(a.sub, m.sub)
	if !typeOK || !subOK {
		return -1
	}
	switch {
	case a.typ == "*":
		return 0
	case a.sub == "*":
		return 1
	}
	return 2
}
