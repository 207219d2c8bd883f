package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/mockloop/mockloop/internal/yamldoc"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// LoadData is Load for bytes already in memory. source names them in messages; base is the
// location external $refs resolve against (nil: the current directory). Every failure is an
// *Error; LoadData never panics. The document keeps data (its strings share it): data must not
// change afterwards.
//
// A document loaded before comes from the load cache (cache.go) unless opts.NoCache or
// MOCKLOOP_NO_CACHE says otherwise; it is the document a fresh load returns.
//
// JSON documents take a fast path: a JSON scanner splits the top levels, each path item and
// component is decoded on its own (spread over the CPUs) from a node tree built straight from
// its text (jsonscan.go), then kin-openapi resolves the $refs.
// kin-openapi's loader instead parses the whole document into one YAML node tree first; on
// GitHub's 13 MB spec the fast path peaks at well under half its memory. YAML documents go
// through kin-openapi's loader.
func LoadData(ctx context.Context, source string, base *url.URL, data []byte, opts Options) (doc *Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, &Error{Source: source, Err: fmt.Errorf("cannot load document (internal error in the OpenAPI library: %v)", r)}
		}
	}()
	if base == nil {
		base = cwdBase()
	}
	cache := cacheFor(opts, len(data))
	var key string
	if cache != nil {
		key = cache.key(data, base)
		if s, ok := cache.get(key); ok {
			if d, err := documentFromSnapshot(source, data, s); err == nil {
				return d, nil
			}
		}
	}
	p := &parser{ctx: ctx, source: source, base: base, data: data, opts: opts}
	t, version, err := p.parse()
	if err != nil {
		return nil, err
	}
	d, err := newDocument(source, version, t, data, p.isJSON)
	if err == nil && cache != nil && !p.external.Load() {
		cache.put(key, &snapshot{Version: version, IsJSON: p.isJSON, T: t, Warnings: d.Warnings}, len(data))
	}
	return d, err
}

type parser struct {
	ctx    context.Context
	source string
	base   *url.URL
	data   []byte
	opts   Options
	isJSON bool
	top    map[string]string // a JSON document's top-level members (slices of its text)
	// numericSwagger is set for `swagger: 2.0` written as a number, which is read as "2.0".
	numericSwagger bool
	// external is set once the loader asks for an external $ref: such a document is not
	// cached, since the files it refers to may change while it does not.
	external atomic.Bool
}

func isSwaggerNumber(s string) bool { return s == "2" || s == "2.0" }

// quoteSwaggerVersion rewrites a JSON document's numeric "swagger" member as the string "2.0".
func quoteSwaggerVersion(data []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, err
	}
	top["swagger"] = json.RawMessage(`"2.0"`)
	return json.Marshal(top)
}

// head is where the document declares its version.
type head struct {
	key, value string // "openapi" or "swagger", and its value
	line       int    // line of the value, 0 when unknown
}

func (p *parser) fail(location string, err error) error {
	return &Error{Source: p.source, Location: location, Err: err}
}

func (p *parser) parse() (*openapi3.T, string, error) {
	if len(bytes.TrimSpace(p.data)) == 0 {
		return nil, "", p.fail("", errors.New("empty document"))
	}
	h, err := p.head()
	if err != nil {
		return nil, "", err
	}
	at := "/" + h.key
	if h.line > 0 {
		at += fmt.Sprintf(" (line %d)", h.line)
	}
	switch h.key {
	case "swagger":
		if h.value != "2.0" {
			return nil, "", p.fail(at, fmt.Errorf("unsupported swagger version %q (want 2.0)", h.value))
		}
		t, err := p.swagger()
		return t, h.value, err
	default:
		if !strings.HasPrefix(h.value, "3.0.") && !strings.HasPrefix(h.value, "3.1.") &&
			h.value != "3.0" && h.value != "3.1" {
			return nil, "", p.fail(at, fmt.Errorf("unsupported openapi version %q (want 3.0.x or 3.1.x)", h.value))
		}
		t, err := p.openapi3()
		return t, h.value, err
	}
}

// head finds the version field, and reports syntax errors with their line and column. It
// decides between the JSON and the YAML path: a document that starts with '{' and parses as
// JSON is JSON.
func (p *parser) head() (head, error) {
	if trimmed := bytes.TrimLeft(p.data, " \t\r\n\ufeff"); len(trimmed) > 0 && trimmed[0] == '{' {
		h, err := p.jsonHead()
		if err == nil {
			p.isJSON = true
			return h, nil
		}
		// A YAML flow mapping starts with '{' too; report the JSON error if YAML fails as well.
		if h2, err2 := p.yamlHead(); err2 == nil {
			return h2, nil
		}
		return head{}, err
	}
	// kin-openapi parses YAML itself; parse it here only when the version is not found by a
	// cheap scan. Syntax errors are then located when kin-openapi's load fails (loadError).
	if h, ok := scanYAMLHead(p.data); ok {
		return h, nil
	}
	return p.yamlHead()
}

// scanYAMLHead finds a block-style top-level "openapi:" or "swagger:" line and its string
// value, without parsing the document. ok is false when it is not that simple (flow style, a
// value YAML would not read as a string): the caller then parses.
func scanYAMLHead(data []byte) (head, bool) {
	var found head
	line := 0
	for rest := data; len(rest) > 0; {
		line++
		var l []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			l, rest = rest, nil
		}
		l = bytes.TrimPrefix(l, []byte("\ufeff"))
		var key string
		switch {
		case bytes.HasPrefix(l, []byte("openapi:")):
			key = "openapi"
		case bytes.HasPrefix(l, []byte("swagger:")):
			key = "swagger"
		default:
			continue
		}
		v := strings.TrimSpace(string(l[len(key)+1:]))
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		switch {
		case len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]:
			v = v[1 : len(v)-1]
			if strings.ContainsAny(v, "\\'\"") {
				return head{}, false
			}
		case v == "" || strings.ContainsAny(v, "\"'{}[]&*!|>%@`"):
			return head{}, false
		default:
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				return head{}, false // 3.1 unquoted is a number: let the parser say so
			}
		}
		h := head{key: key, value: v, line: line}
		if found.key == "" || key == "openapi" {
			found = h
		}
	}
	return found, found.key != ""
}

func (p *parser) jsonHead() (head, error) {
	// The top level split once serves both the version check and the fast decode. The text
	// is the data, not a copy (LoadData's contract: the data does not change).
	top, ok := lastMembers(unsafe.String(unsafe.SliceData(p.data), len(p.data)))
	if !ok {
		// Invalid JSON, or not an object: encoding/json says what and where.
		var m map[string]json.RawMessage
		err := json.Unmarshal(p.data, &m)
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn):
			line, col := lineCol(p.data, syn.Offset-1) // Offset counts the bad byte as read
			return head{}, p.fail(fmt.Sprintf("line %d, column %d", line, col), fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(syn.Error(), "json: ")))
		case err != nil || m == nil:
			return head{}, p.fail("", errors.New("not an OpenAPI document: the top level is not an object"))
		}
		top = make(map[string]string, len(m)) // a document the scanner missed: go on with these
		for k, v := range m {
			top[k] = string(v)
		}
	}
	p.top = top
	v := struct{ OpenAPI, Swagger json.RawMessage }{rawOf(top, "openapi"), rawOf(top, "swagger")}
	pick := func(key string, raw json.RawMessage) (head, error) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			if key == "swagger" && isSwaggerNumber(string(raw)) {
				p.numericSwagger = true
				return head{key: key, value: "2.0", line: p.jsonLineOf(key)}, nil
			}
			return head{}, p.fail("/"+key, fmt.Errorf("%s version must be a string, not %s", key, raw))
		}
		return head{key: key, value: s, line: p.jsonLineOf(key)}, nil
	}
	switch {
	case v.OpenAPI != nil:
		return pick("openapi", v.OpenAPI)
	case v.Swagger != nil:
		return pick("swagger", v.Swagger)
	}
	return head{}, p.fail("", errors.New(`not an OpenAPI document: no "openapi" or "swagger" version field`))
}

// rawOf is the text of a member, nil when absent.
func rawOf(top map[string]string, key string) json.RawMessage {
	raw, ok := top[key]
	if !ok {
		return nil
	}
	return json.RawMessage(raw)
}

// jsonLineOf is the line of a top-level key, found cheaply (it is near the top in practice).
func (p *parser) jsonLineOf(key string) int {
	i := bytes.Index(p.data, []byte(`"`+key+`"`))
	if i < 0 {
		return 0
	}
	line, _ := lineCol(p.data, int64(i))
	return line
}

func (p *parser) yamlHead() (head, error) {
	root, err := yamldoc.Parse(p.data)
	if err != nil {
		var de *yamldoc.Error
		if errors.As(err, &de) && de.Issues[0].Line > 0 {
			return head{}, p.fail(fmt.Sprintf("line %d", de.Issues[0].Line), fmt.Errorf("invalid YAML: %s", de.Issues[0].Message))
		}
		return head{}, p.fail("", fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return head{}, p.fail("", errors.New("not an OpenAPI document: the top level is not a mapping"))
	}
	var found *head
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Value != "openapi" && k.Value != "swagger" {
			continue
		}
		if k.Value == "swagger" && v.Kind == yaml.ScalarNode && isSwaggerNumber(v.Value) {
			// swagger: 2.0 unquoted is a number; common enough in old documents to accept.
			p.numericSwagger = true
			v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "2.0", Line: v.Line}
		}
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			return head{}, p.fail(fmt.Sprintf("/%s (line %d)", k.Value, v.Line),
				fmt.Errorf("%s version must be a string (quote it: %s: %q)", k.Value, k.Value, v.Value))
		}
		h := head{key: k.Value, value: v.Value, line: v.Line}
		if found == nil || h.key == "openapi" {
			found = &h
		}
	}
	if found == nil {
		return head{}, p.fail("", errors.New(`not an OpenAPI document: no "openapi" or "swagger" version field`))
	}
	return *found, nil
}

// lineCol turns a byte offset into a 1-based line and column (columns count bytes).
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

func (p *parser) loader() *openapi3.Loader {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	l.Context = p.ctx
	l.ReadFromURIFunc = p.readRef
	return l
}

// readRef reads an external $ref target: a file, or an http(s) URL with the configured client,
// the load's context and the URL policy of Options.AllowRefs.
func (p *parser) readRef(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
	p.external.Store(true)
	if p.opts.offline {
		return nil, fmt.Errorf("cannot read $ref %q: external references are disabled", u.String())
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return fetchRef(p.ctx, p.base, p.opts, u)
	}
	if IsHTTP(p.source) {
		// A remote document must not make the loader read local files.
		return nil, fmt.Errorf("cannot read $ref %q: a document loaded from a URL cannot refer to local files", u.String())
	}
	if u.Scheme != "" && u.Scheme != "file" {
		return nil, fmt.Errorf("cannot read $ref %q: unsupported scheme %q", u.String(), u.Scheme)
	}
	if p.source == ExampleSource {
		return nil, fmt.Errorf("cannot read $ref %q: the embedded example has no files", u.String())
	}
	return os.ReadFile(u.Path)
}

func (p *parser) openapi3() (*openapi3.T, error) {
	if !p.isJSON {
		t, err := p.loader().LoadFromDataWithPath(p.data, p.base)
		if err != nil {
			return nil, p.loadError(err)
		}
		return t, nil
	}
	t, err := decodeJSON(p.top)
	p.top = nil // the raw members are garbage once decoded
	if err != nil {
		// kin-openapi's own loader reads some documents encoding/json rejects; when it fails
		// too, the fast path's error says where.
		if t, err2 := p.loader().LoadFromDataWithPath(p.data, p.base); err2 == nil {
			return t, nil
		}
		var de *decodeError
		if errors.As(err, &de) {
			loc := de.at
			if line := pointerLines(p.data, true, map[string]bool{de.at: true})[de.at]; line > 0 {
				loc += fmt.Sprintf(" (line %d)", line)
			}
			return nil, p.fail(loc, de.err)
		}
		return nil, p.fail("", err)
	}
	if err := p.loader().ResolveRefsIn(t, p.base); err != nil {
		return nil, p.loadError(err)
	}
	return t, nil
}

func (p *parser) swagger() (*openapi3.T, error) {
	data := p.data
	if !p.isJSON {
		var err error
		if data, err = yamldoc.ToJSON(p.data); err != nil {
			if _, herr := p.yamlHead(); herr != nil {
				return nil, herr
			}
			return nil, p.fail("", fmt.Errorf("invalid YAML: %w", err))
		}
	}
	if p.numericSwagger {
		var err error
		if data, err = quoteSwaggerVersion(data); err != nil {
			return nil, p.fail("", fmt.Errorf("parse swagger 2.0: %w", err))
		}
	}
	var t2 openapi2.T
	if err := json.Unmarshal(data, &t2); err != nil {
		return nil, p.fail("", fmt.Errorf("parse swagger 2.0: %w", err))
	}
	t, err := openapi2conv.ToV3WithLoader(&t2, p.loader(), p.base)
	if err != nil {
		return nil, p.loadError(fmt.Errorf("convert swagger 2.0: %w", err))
	}
	return t, nil
}

// loadError puts a location on a kin-openapi load error: the $ref it names, or a line.
func (p *parser) loadError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return p.fail("", err)
	}
	if !p.isJSON {
		// The head was found by a scan: a syntax error is best told by the YAML parser.
		if _, herr := p.yamlHead(); herr != nil {
			return herr
		}
	}
	msg := err.Error()
	if ptr, text, line, ok := splitYAMLError(msg); ok {
		loc := ptr
		if line > 0 {
			loc += fmt.Sprintf(" (line %d)", line)
		}
		return p.fail(loc, errors.New(text))
	}
	if ref, ok := findBadRef(p.data, msg); ok {
		loc := ref.pointer
		if ref.line > 0 {
			loc += fmt.Sprintf(" (line %d)", ref.line)
		}
		return p.fail(loc, fmt.Errorf("cannot resolve $ref %q: %s", ref.value, stripKinPrefix(msg)))
	}
	return p.fail("", errors.New(stripKinPrefix(msg)))
}

// kinYAMLErrorRE matches kin-openapi's decode errors: "... line 6: cannot construct ... in
// /paths/~1a/get/parameters".
var kinYAMLErrorRE = regexp.MustCompile(`^(?:.*?: )?line (\d+): (.*) in (/\S*)$`)

// splitYAMLError takes the JSON pointer and line out of a kin-openapi decode error.
func splitYAMLError(msg string) (ptr, text string, line int, ok bool) {
	m := kinYAMLErrorRE.FindStringSubmatch(oneLine(msg))
	if m == nil {
		return "", "", 0, false
	}
	line, _ = strconv.Atoi(m[1])
	return m[3], m[2], line, true
}

func stripKinPrefix(msg string) string {
	return strings.TrimPrefix(msg, "failed to unmarshal data: ")
}
