package mock

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
)

// formatValidators are the string formats checked beyond kin-openapi's defaults (date,
// date-time, byte), as Prism checks them. Per validation, never registered globally.
var formatValidators = map[string]openapi3.StringFormatValidator{
	"uuid":  regexpFormat(openapi3.FormatOfStringForUUIDOfRFC9562, "not a UUID"),
	"email": regexpFormat(openapi3.FormatOfStringForEmail, "not an email address"),
	"ipv4":  openapi3.NewIPValidator(true),
	"ipv6":  openapi3.NewIPValidator(false),
}

// numberFormats hold `type: number` values with an integer format to what the format says, as
// Prism (ajv-formats) does: kin-openapi checks no number format by default, and the registry of
// OpenAPI formats defines int32 and int64 for integer and number alike.
var numberFormats = map[string]openapi3.NumberFormatValidator{
	"int32": integerFormat(math.MinInt32, math.MaxInt32, "int32"),
	"int64": integerFormat(math.MinInt64, math.MaxInt64, "int64"),
}

// integerFormats check the ranges of `type: integer` formats, which kin-openapi leaves open.
var integerFormats = map[string]openapi3.IntegerFormatValidator{
	"int32": openapi3.NewRangeFormatValidator[int64](math.MinInt32, math.MaxInt32),
}

// integerFormat accepts whole numbers within [lo, hi].
func integerFormat(lo, hi float64, name string) openapi3.NumberFormatValidator {
	return openapi3.NewCallbackValidator(func(v float64) error {
		if v != math.Trunc(v) {
			return errors.New("not an integer (format " + name + ")")
		}
		if v < lo || v > hi {
			return errors.New("out of the " + name + " range")
		}
		return nil
	})
}

// regexpFormat checks a format with a pattern and says what is wrong in words, not regexp.
func regexpFormat(pattern, message string) openapi3.StringFormatValidator {
	re := regexp.MustCompile(pattern)
	return openapi3.NewCallbackValidator(func(s string) error {
		if !re.MatchString(s) {
			return errors.New(message)
		}
		return nil
	})
}

// schemaOptions are the schema validation options every validation here uses.
func schemaOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{
		openapi3.SetSchemaRegexCompiler(tolerantRegex),
		openapi3.WithStringFormatValidators(formatValidators),
		openapi3.WithNumberFormatValidators(numberFormats),
		openapi3.WithIntegerFormatValidators(integerFormats),
	}
}

// matchAll stands in for a pattern RE2 cannot compile: such patterns are skipped, not enforced.
type matchAll struct{}

func (matchAll) MatchString(string) bool { return true }

// tolerantRegex compiles schema patterns for kin-openapi's validator; a pattern Go cannot
// compile (lookaheads, backreferences) accepts everything instead of failing validation.
func tolerantRegex(expr string) (openapi3.RegexMatcher, error) {
	if cp := compilePattern(expr); cp != nil {
		return cp.full, nil
	}
	return matchAll{}, nil
}

// credential is one security scheme a request must carry, reduced to where it is looked for.
type credential struct {
	scheme string // the security scheme's name in components
	kind   string // header, query, cookie (apiKey); basic, bearer, http (Authorization); none
	name   string // the header/query/cookie name (apiKey), the auth scheme (http)
	header string // kind header: name canonicalized, to index r.Header
}

// requirement is one alternative of an operation's security: all its credentials are needed.
// An empty requirement means anonymous access is allowed.
type requirement []credential

func (e *Engine) requirements(op *spec.Operation) []requirement {
	sec := op.Op.Security
	if sec == nil {
		sec = &e.doc.T.Security
	}
	if sec == nil || len(*sec) == 0 {
		return nil
	}
	var schemes openapi3.SecuritySchemes
	if e.doc.T.Components != nil {
		schemes = e.doc.T.Components.SecuritySchemes
	}
	var out []requirement
	for _, sr := range *sec {
		req := requirement{}
		for _, name := range slices.Sorted(maps.Keys(sr)) {
			c := credential{scheme: name, kind: "none"}
			if ref := schemes[name]; ref != nil && ref.Value != nil {
				s := ref.Value
				switch strings.ToLower(s.Type) {
				case "apikey":
					c.kind, c.name = strings.ToLower(s.In), s.Name
					c.header = http.CanonicalHeaderKey(s.Name)
				case "http":
					switch strings.ToLower(s.Scheme) {
					case "basic":
						c.kind, c.name = "basic", "Basic"
					case "bearer":
						c.kind, c.name = "bearer", "Bearer"
					default:
						c.kind, c.name = "http", s.Scheme
					}
				case "oauth2", "openidconnect":
					c.kind, c.name = "bearer", "Bearer"
				}
			}
			req = append(req, c)
		}
		out = append(out, req)
	}
	return out
}

// firstValue is r.Header.Get for a name already canonical: Get canonicalizes its argument on
// every call, which is needless for names fixed at load.
func firstValue(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c *credential) present(r *http.Request) bool {
	switch c.kind {
	case "header":
		return firstValue(r.Header, c.header) != ""
	case "query":
		return r.URL.Query().Has(c.name)
	case "cookie":
		_, err := r.Cookie(c.name)
		return err == nil
	case "basic", "bearer", "http":
		auth := firstValue(r.Header, "Authorization")
		scheme, rest, ok := strings.Cut(auth, " ")
		return ok && strings.EqualFold(scheme, c.name) && strings.TrimSpace(rest) != ""
	}
	return true
}

// authorized reports whether r carries the credentials of at least one security alternative
// (presence only: any value is accepted, as Prism does). When not, challenge is the
// WWW-Authenticate value.
func (od *operation) authorized(r *http.Request) (challenge string, ok bool) {
	if len(od.security) == 0 {
		return "", true
	}
	for _, req := range od.security {
		all := true
		for i := range req {
			if !req[i].present(r) {
				all = false
				break
			}
		}
		if all {
			return "", true
		}
	}
	var challenges []string
	for _, req := range od.security {
		for _, c := range req {
			var ch string
			switch c.kind {
			case "basic", "bearer", "http":
				ch = c.name + ` realm="mockloop"`
			case "header", "query", "cookie":
				ch = `ApiKey realm="mockloop", name="` + c.name + `", in="` + c.kind + `"`
			}
			if ch != "" && !slices.Contains(challenges, ch) {
				challenges = append(challenges, ch)
			}
		}
	}
	if len(challenges) == 0 {
		challenges = []string{`Bearer realm="mockloop"`}
	}
	return strings.Join(challenges, ", "), false
}

// securityText describes the accepted credentials, e.g. `api_key (header "api_key") or
// petstore_auth (Authorization: Bearer)`.
func (od *operation) securityText() string {
	var alts []string
	for _, req := range od.security {
		var parts []string
		for _, c := range req {
			switch c.kind {
			case "header", "query", "cookie":
				parts = append(parts, c.scheme+" ("+c.kind+" "+strconv.Quote(c.name)+")")
			case "basic", "bearer", "http":
				parts = append(parts, c.scheme+" (Authorization: "+c.name+")")
			default:
				parts = append(parts, c.scheme)
			}
		}
		alts = append(alts, strings.Join(parts, " and "))
	}
	return strings.Join(alts, " or ")
}

// validateRequest checks parameters and body. status is 0 when the request conforms, 400 for
// parameter or unparseable-body problems, 422 when only a parsed body violates its schema.
func (e *Engine) validateRequest(r *http.Request, od *operation, pathParams map[string]string) (int, []problem.Item) {
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		return e.validateUncached(r, od, pathParams)
	}
	// The key is built in a stack buffer (heap only when it outgrows it) and the lookup does
	// not copy it: a cached verdict costs no allocation. Only a new entry gets its own string.
	var buf [256]byte
	key := appendVerdictKey(buf[:0], r, od)
	if v, ok := od.verdicts.get(key); ok {
		return v.status, v.items
	}
	status, items := e.validateUncached(r, od, pathParams)
	od.verdicts.put(key, verdict{status, items})
	return status, items
}

// appendVerdictKey appends to b what the validation of a bodiless request depends on. The
// router derives the path parameters from the path, so the path stands for them.
func appendVerdictKey(b []byte, r *http.Request, od *operation) []byte {
	b = append(b, r.URL.EscapedPath()...)
	b = append(b, '?')
	b = append(b, r.URL.RawQuery...)
	for _, name := range od.headerParams { // canonical: r.Header[name] is Header.Values(name)
		b = append(b, 0)
		for _, v := range r.Header[name] {
			b = append(b, v...)
			b = append(b, 1)
		}
	}
	if od.cookieParams {
		b = append(b, 0)
		for _, v := range r.Header["Cookie"] {
			b = append(b, v...)
			b = append(b, 1)
		}
	}
	return b
}

func (e *Engine) validateUncached(r *http.Request, od *operation, pathParams map[string]string) (int, []problem.Item) {
	route := od.route
	own, how := od.req.ownBody(r)
	if own != nil {
		route = od.req.noBody // the body is checked by checkOwn
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParams,
		Route:      route,
		Options:    e.filter,
	}
	err := validateSafely(func() error { return openapi3filter.ValidateRequest(r.Context(), input) })
	status := 0
	var items []problem.Item
	add := func(code int, loc, msg string) {
		if code == http.StatusBadRequest || status == 0 {
			status = code
		}
		items = append(items, problem.Item{Location: loc, Message: msg})
	}
	for _, err := range flatten(err) {
		if err == nil {
			continue
		}
		var re *openapi3filter.RequestError
		if !errors.As(err, &re) {
			var sre *openapi3filter.SecurityRequirementsError
			if errors.As(err, &sre) {
				continue // credentials are checked by authorized, for presence only
			}
			add(http.StatusBadRequest, "request", err.Error())
			continue
		}
		switch {
		case re.Parameter != nil:
			if !re.Parameter.Required && absent(r, re.Parameter) {
				continue // nothing was sent, so nothing can be wrong with it
			}
			loc := re.Parameter.In + "." + re.Parameter.Name
			if schemaErrs := schemaErrors(re.Err); len(schemaErrs) > 0 {
				for _, se := range schemaErrs {
					add(http.StatusBadRequest, loc+pointerSuffix(se.JSONPointer()), reason(se))
				}
			} else {
				add(http.StatusBadRequest, loc, paramMessage(re))
			}
		case re.RequestBody != nil:
			var pe *openapi3filter.ParseError
			if errors.As(re.Err, &pe) && pe.Kind == openapi3filter.KindUnsupportedFormat {
				continue // a body no decoder reads is not checked (see requestPlan)
			}
			if schemaErrs := schemaErrors(re.Err); len(schemaErrs) > 0 {
				for _, se := range schemaErrs {
					add(http.StatusUnprocessableEntity, "body"+pointerSuffix(se.JSONPointer()), reason(se))
				}
			} else if re.Err != nil && !errors.Is(re.Err, openapi3filter.ErrInvalidRequired) && re.Reason == "" {
				// The 2020-12 validator (OpenAPI 3.1) reports schema violations in its own type.
				add(http.StatusUnprocessableEntity, "body", re.Err.Error())
			} else {
				add(http.StatusBadRequest, "body", bodyMessage(re))
			}
		default:
			add(http.StatusBadRequest, "request", re.Error())
		}
	}
	e.checkOwn(r, &od.req, own, how, add)
	if len(items) == 0 {
		return 0, nil
	}
	return status, items
}

// checkValue validates a decoded value against its schema, reporting each violation at loc
// plus its JSON pointer.
func (e *Engine) checkValue(s *openapi3.SchemaRef, v any, loc string, code int, add func(code int, loc, msg string)) {
	if s == nil || s.Value == nil {
		return
	}
	opts := append(schemaOptions(), openapi3.VisitAsRequest(), openapi3.MultiErrors())
	if e.schemas.v31 {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	err := validateSafely(func() error { return s.Value.VisitJSON(v, opts...) })
	if err == nil {
		return
	}
	if errs := schemaErrors(err); len(errs) > 0 {
		for _, se := range errs {
			add(code, loc+pointerSuffix(se.JSONPointer()), reason(se))
		}
		return
	}
	add(code, loc, err.Error())
}

// validateSafely turns a panic inside the validator (a document it cannot handle) into an
// error rather than a crashed request.
func validateSafely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("validator failed on this operation")
		}
	}()
	return f()
}

func paramMessage(re *openapi3filter.RequestError) string {
	if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
		return "required parameter is missing"
	}
	if re.Err != nil {
		var pe *openapi3filter.ParseError
		if errors.As(re.Err, &pe) {
			return pe.Error()
		}
		return re.Err.Error()
	}
	return re.Reason
}

func bodyMessage(re *openapi3filter.RequestError) string {
	if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
		return "request body is required"
	}
	msg := re.Reason
	if re.Err != nil {
		if msg != "" {
			msg += ": "
		}
		msg += re.Err.Error()
	}
	return msg
}

// flatten unpacks kin-openapi's MultiError (recursively) into single errors.
func flatten(err error) []error {
	if me, ok := err.(openapi3.MultiError); ok {
		var out []error
		for _, e := range me {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// schemaErrors returns the schema violations inside err, flattening multi-errors.
func schemaErrors(err error) []*openapi3.SchemaError {
	if err == nil {
		return nil
	}
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var out []*openapi3.SchemaError
		for _, e := range me {
			out = append(out, schemaErrors(e)...)
		}
		return out
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return []*openapi3.SchemaError{se}
	}
	return nil
}

// reason is a schema error's message without the location prefixes the JSON Schema 2020-12
// validator repeats in it (`error at "/0": at '/0': value must be ...`): the location is
// reported separately.
func reason(se *openapi3.SchemaError) string {
	msg := se.Reason
	if strings.HasPrefix(msg, `error at "`) {
		if _, rest, ok := strings.Cut(msg, `": `); ok {
			msg = rest
		}
	}
	if strings.HasPrefix(msg, "at '") {
		if _, rest, ok := strings.Cut(msg, "': "); ok {
			msg = rest
		}
	}
	return msg
}

// pointerSuffix renders a JSON pointer as ".name[0].id".
func pointerSuffix(ptr []string) string {
	var b strings.Builder
	for _, seg := range ptr {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		b.WriteString("." + seg)
	}
	return b.String()
}

// ValidateResponse checks a response (status, headers, body) against what op declares for
// that status; an empty result means it conforms. r is the request that produced it (nil: a
// plain request for op is assumed). Bodies in media types kin-openapi cannot decode (XML,
// images) are not checked.
func (e *Engine) ValidateResponse(op *spec.Operation, r *http.Request, status int, header http.Header, body []byte) []problem.Item {
	od := e.operation(op)
	if r == nil {
		r = &http.Request{Method: op.Method, URL: &url.URL{Path: op.Path}, Header: http.Header{}}
	}
	if header == nil {
		header = http.Header{}
	}
	var key []byte
	if len(body) <= maxCachedResponse {
		key = appendResponseKey(make([]byte, 0, 64+len(body)), od, status, header, body)
		if v, ok := od.respVerdicts.get(key); ok {
			return problemsOf(v.items)
		}
	}
	out := e.validateResponse(od, r, status, header, body)
	if key != nil {
		od.respVerdicts.put(key, verdict{status: status, items: slices.Clone(out)})
	}
	return out
}

// maxCachedResponse bounds the bodies whose verdicts are cached: the key holds the whole body,
// so at most cacheSlots such keys per operation stay in memory.
const maxCachedResponse = 64 << 10

// appendResponseKey appends to b everything response validation reads: the status, the
// Content-Type, the values of the headers the operation's responses declare, and the body.
func appendResponseKey(b []byte, od *operation, status int, header http.Header, body []byte) []byte {
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, 0)
	for _, v := range header["Content-Type"] {
		b = append(b, v...)
		b = append(b, 0)
	}
	for _, name := range od.respHeaders {
		b = append(b, 1)
		for _, v := range header[name] {
			b = append(b, v...)
			b = append(b, 0)
		}
	}
	b = append(b, 2)
	return append(b, body...)
}

// problemsOf copies cached items into a fresh slice the caller may keep and change.
func problemsOf(items []problem.Item) []problem.Item {
	if len(items) == 0 {
		return nil
	}
	return slices.Clone(items)
}

// How a response body is validated.
const (
	bodyKin    = iota // by openapi3filter
	bodyScalar        // a text body holding a number or boolean: parsed here, then checked
	bodyNone          // a text or binary body under an object or array schema: not checked
)

// textBody says how the body of a response with this status and Content-Type is checked.
// openapi3filter reads text and binary bodies as strings, so it holds `text/plain` with
// `type: integer` (Microsoft Graph's /$count) to "value must be an integer" whatever the
// body says: such bodies are parsed by the schema's type here. A text or binary body under
// an object or array schema cannot be checked at all (the engine warns at load).
func (od *operation) textBody(status int, header http.Header) (*openapi3.SchemaRef, int) {
	resps := od.route.Operation.Responses
	if resps == nil {
		return nil, bodyKin
	}
	ref := resps.Status(status)
	if ref == nil {
		ref = resps.Default()
	}
	if ref == nil || ref.Value == nil {
		return nil, bodyKin
	}
	ct := header.Get("Content-Type")
	mt := ref.Value.Content.Get(ct)
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil, bodyKin
	}
	if k := mediaKind(splitMediaType(ct)); k != kindText && k != kindBinary {
		return nil, bodyKin
	}
	switch structure(mt.Schema.Value) {
	case openapi3.TypeInteger, openapi3.TypeNumber, openapi3.TypeBoolean:
		return mt.Schema, bodyScalar
	case openapi3.TypeObject, openapi3.TypeArray:
		return nil, bodyNone
	}
	return nil, bodyKin
}

// structure is the one type a schema's declared types (and allOf) agree on, "" when none is
// declared or they allow several (a string among them is left to openapi3filter).
func structure(s *openapi3.Schema) string {
	t := ""
	var visit func(s *openapi3.Schema, depth int) bool
	visit = func(s *openapi3.Schema, depth int) bool {
		if depth > 8 {
			return true
		}
		for _, x := range s.Type.Slice() {
			if x == openapi3.TypeNull {
				continue
			}
			if t != "" && t != x {
				return false
			}
			t = x
		}
		for _, sub := range s.AllOf {
			if sub != nil && sub.Value != nil && !visit(sub.Value, depth+1) {
				return false
			}
		}
		return true
	}
	if !visit(s, 0) {
		return ""
	}
	return t
}

// textScalar decodes a text body for a number or boolean schema: the trimmed text as JSON
// when it parses (42, 4.2, true), else the text itself, which then fails the type check.
func textScalar(body []byte) any {
	text := strings.TrimSpace(string(body))
	var v any
	if err := json.Unmarshal([]byte(text), &v); err == nil {
		switch v.(type) {
		case float64, bool, nil:
			return v
		}
	}
	return text
}

// validateResponse is ValidateResponse without the cache.
func (e *Engine) validateResponse(od *operation, r *http.Request, status int, header http.Header, body []byte) []problem.Item {
	opts := e.filter
	textSchema, how := od.textBody(status, header)
	if (!bodyAllowed(status) && len(body) == 0) || how != bodyKin {
		// A 204/304 has no body whatever content the document declares for it; a text body
		// with a non-string schema is checked below.
		o := *e.filter
		o.ExcludeResponseBody = true
		opts = &o
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, Route: od.route, Options: opts},
		Status:                 status,
		Header:                 header,
		Options:                opts,
	}
	input.SetBodyBytes(body)
	err := validateSafely(func() error { return openapi3filter.ValidateResponse(context.Background(), input) })
	var out []problem.Item
	if how == bodyScalar && r.Method != http.MethodHead {
		v := textScalar(body)
		e.checkValue(textSchema, v, "body", 0, func(_ int, loc, msg string) {
			out = append(out, problem.Item{Location: loc, Message: msg})
		})
	}
	if err == nil {
		return out
	}
	for _, err := range flatten(err) {
		var re *openapi3filter.ResponseError
		if !errors.As(err, &re) {
			out = append(out, problem.Item{Location: "response", Message: err.Error()})
			continue
		}
		var pe *openapi3filter.ParseError
		if errors.As(re.Err, &pe) && pe.Kind == openapi3filter.KindUnsupportedFormat {
			continue
		}
		loc := "body"
		if strings.Contains(re.Reason, "Content-Type") {
			loc = "header.Content-Type"
		} else if strings.HasPrefix(re.Reason, "response header ") || strings.HasPrefix(re.Reason, "unable to decode header ") {
			if _, rest, ok := strings.Cut(re.Reason, `"`); ok {
				name, _, _ := strings.Cut(rest, `"`)
				loc = "header." + name
			}
		}
		if schemaErrs := schemaErrors(re.Err); len(schemaErrs) > 0 {
			for _, se := range schemaErrs {
				l := loc
				if loc == "body" {
					l += pointerSuffix(se.JSONPointer())
				}
				out = append(out, problem.Item{Location: l, Message: reason(se)})
			}
			continue
		}
		out = append(out, problem.Item{Location: loc, Message: re.Error()})
	}
	return out
}
