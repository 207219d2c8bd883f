package mcpserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/testrun"
)

// maxResultBody bounds the response body an operation tool returns; the rest is dropped and
// the result says so.
const maxResultBody = 1 << 20

// operationArgs are an operation call's inputs by where they go (binding.parse fills them
// from the flat arguments).
type operationArgs struct {
	Path   map[string]any
	Query  map[string]any
	Header map[string]any
	Cookie map[string]any
	Body   any
	// hasBody tells a body to send from none.
	hasBody bool
}

// buildRequest turns an operation tool call into the HTTP request the plugin's handler gets.
// Required path parameters must be present; values are strings, numbers or booleans (arrays
// too for query parameters, sent as repeated keys).
func buildRequest(ctx context.Context, op *spec.Operation, a operationArgs) (*http.Request, error) {
	// Path: fill the template from the spec, so the request always routes to this operation.
	var path strings.Builder
	rest := op.Path
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			path.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			path.WriteString(rest)
			break
		}
		path.WriteString(rest[:i])
		name := rest[i+1 : i+j]
		v, ok := a.Path[name]
		if !ok {
			return nil, fmt.Errorf("missing path parameter %q", name)
		}
		s, err := scalarString(v)
		if err != nil {
			return nil, fmt.Errorf("path parameter %q: %w", name, err)
		}
		path.WriteString(url.PathEscape(s))
		rest = rest[i+j+1:]
	}
	for name := range a.Path {
		if !strings.Contains(op.Path, "{"+name+"}") {
			return nil, fmt.Errorf("unknown path parameter %q for %s", name, op.Key())
		}
	}

	q := url.Values{}
	for _, name := range sortedKeys(a.Query) {
		switch v := a.Query[name].(type) {
		case []any:
			for i, e := range v {
				s, err := scalarString(e)
				if err != nil {
					return nil, fmt.Errorf("query parameter %q[%d]: %w", name, i, err)
				}
				q.Add(name, s)
			}
		default:
			s, err := scalarString(v)
			if err != nil {
				return nil, fmt.Errorf("query parameter %q: %w", name, err)
			}
			q.Add(name, s)
		}
	}

	var body []byte
	contentType := ""
	if a.hasBody {
		var mt string
		if _, b := op.Inputs(); b != nil {
			mt = b.MediaType
		}
		switch s, isString := a.Body.(string); {
		case mt == "" || spec.IsJSONMediaType(mt):
			b, err := json.Marshal(a.Body)
			if err != nil {
				return nil, fmt.Errorf("body: %w", err)
			}
			body = b
			contentType = "application/json"
			if mt != "" && mt != "*/*" {
				contentType = mt
			}
		case isString:
			body = []byte(s)
			contentType = mt
		case mt == "application/x-www-form-urlencoded":
			obj, ok := a.Body.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("body: want an object of form fields for %s", mt)
			}
			form := url.Values{}
			for _, k := range sortedKeys(obj) {
				s, err := scalarString(obj[k])
				if err != nil {
					return nil, fmt.Errorf("body field %q: %w", k, err)
				}
				form.Set(k, s)
			}
			body = []byte(form.Encode())
			contentType = mt
		default:
			return nil, fmt.Errorf("body: the operation takes %s: pass the body as a string", mt)
		}
	}

	u := &url.URL{Path: path.String(), RawQuery: q.Encode()}
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, op.Method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", op.Key(), err)
	}
	if body == nil {
		req.Body = http.NoBody
		req.ContentLength = 0
	}
	req.RemoteAddr = "127.0.0.1:0"
	req.Host = "mockloop-mcp"
	req.RequestURI = u.RequestURI()
	for _, name := range sortedKeys(a.Header) {
		s, err := scalarString(a.Header[name])
		if err != nil {
			return nil, fmt.Errorf("header %q: %w", name, err)
		}
		if !validHeaderName(name) {
			return nil, fmt.Errorf("header %q: not a valid header name", name)
		}
		if strings.ContainsAny(s, "\r\n\x00") {
			return nil, fmt.Errorf("header %q: line breaks and NUL are not allowed in a value", name)
		}
		req.Header.Set(name, s)
	}
	for _, name := range sortedKeys(a.Cookie) {
		s, err := scalarString(a.Cookie[name])
		if err != nil {
			return nil, fmt.Errorf("cookie %q: %w", name, err)
		}
		if !validHeaderName(name) || strings.ContainsFunc(s, func(r rune) bool {
			return r < 0x21 || r > 0x7e || r == '"' || r == ',' || r == ';' || r == '\\'
		}) {
			return nil, fmt.Errorf("cookie %q: not a valid cookie name or value", name)
		}
		req.AddCookie(&http.Cookie{Name: name, Value: s})
	}
	if contentType != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", contentType)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json, */*;q=0.8")
	}
	return req, nil
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// scalarString formats a parameter value: strings as is, numbers as written, booleans as
// true/false. Objects, arrays and null are errors.
func scalarString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case nil:
		return "", fmt.Errorf("null is not a parameter value")
	default:
		return "", fmt.Errorf("want a string, number or boolean, got %T", v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// OperationResult is what an operation tool returns: the HTTP answer the plugin gave.
type OperationResult struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	// Body is the decoded JSON value when the response is JSON, else the text (or base64 when
	// BodyEncoding is "base64").
	Body         any    `json:"body,omitempty"`
	BodyEncoding string `json:"body_encoding,omitempty"`
	// Truncated is set when the body was larger than the result limit (1 MiB).
	Truncated bool `json:"truncated,omitempty"`
	// Mode is the side that answered (X-Mockloop-Mode), when the handler says.
	Mode string `json:"mode,omitempty"`

	request string           // the method and the path with its query, as sent (secrets hidden)
	answer  compare.Response // the whole answer as the comparison engine takes it (secrets hidden)
}

// result turns the recorded answer into an OperationResult, with every string in redact
// replaced by "***" (secrets a live API might echo back).
func result(r *testrun.Recorder, redact func(string) string) OperationResult {
	res := OperationResult{Status: r.Status, Headers: map[string]string{}, Truncated: r.Truncated}
	for _, k := range sortedKeys(r.HeaderMap) {
		res.Headers[k] = redact(strings.Join(r.HeaderMap[k], ", "))
	}
	res.Mode = r.HeaderMap.Get("X-Mockloop-Mode")
	raw := r.Body.Bytes()
	if len(raw) == 0 {
		return res
	}
	if spec.IsJSONMediaType(r.HeaderMap.Get("Content-Type")) || strings.Contains(r.HeaderMap.Get("Content-Type"), "json") {
		text := redact(string(raw))
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil && !dec.More() {
			res.Body = v
			return res
		}
	}
	if utf8.Valid(raw) {
		res.Body = redact(string(raw))
		return res
	}
	res.Body = base64.StdEncoding.EncodeToString(raw)
	res.BodyEncoding = "base64"
	return res
}
