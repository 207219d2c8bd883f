package record

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/redact"
)

// Redactor keeps secrets out of recordings, and computes fingerprints from what is left (so
// a replayed request matches whatever credential it carries). It applies the one redaction
// policy: header and query names (redact.Policy), known secret values (the stack's
// credentials, in every form they travel in), and the body fields a plugin's redact: list
// names. It is safe for concurrent use.
type Redactor struct {
	policy  *redact.Policy
	secrets func(string) string
	fields  *compare.Fields
}

// NewRedactor builds a Redactor: policy (nil: redact.Default), secrets replaces known secret
// values with *** (nil: none), fields is a redact: list in the ignore_fields grammar.
func NewRedactor(policy *redact.Policy, secrets func(string) string, fields []string) (*Redactor, error) {
	if policy == nil {
		policy = redact.Default
	}
	if secrets == nil {
		secrets = func(s string) string { return s }
	}
	f, err := compare.CompileFields("redact", fields)
	if err != nil {
		return nil, err
	}
	return &Redactor{policy: policy, secrets: secrets, fields: f}, nil
}

// hopHeaders are never recorded: they describe one connection, not the answer.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Te",
	"Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

// Headers is h as recorded: hop-by-hop headers (and those Connection names) and mockloop's
// own X-Mockloop-* headers left out, credential headers (Authorization, cookies, API-key
// headers) as ***, known secrets in other values as ***.
func (rd *Redactor) Headers(h http.Header) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	drop := map[string]bool{}
	for _, c := range h.Values("Connection") {
		for _, name := range strings.Split(c, ",") {
			drop[http.CanonicalHeaderKey(strings.TrimSpace(name))] = true
		}
	}
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if drop[ck] || slices.Contains(hopHeaders, ck) || strings.HasPrefix(ck, "X-Mockloop-") {
			continue
		}
		if rd.policy.SecretHeader(ck) {
			out[ck] = []string{redact.Mask}
			continue
		}
		vals := make([]string, len(vs))
		for i, v := range vs {
			vals[i] = rd.secrets(v)
		}
		out[ck] = vals
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Query is the raw query as recorded: secret parameters as ***, known secrets in the other
// values as ***. A query that does not parse is kept whole under the key "" (redacted as text).
func (rd *Redactor) Query(raw string) map[string][]string {
	if raw == "" {
		return nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return map[string][]string{"": {rd.secrets(rd.policy.Query(raw))}}
	}
	out := make(map[string][]string, len(q))
	for k, vs := range q {
		if rd.policy.SecretParam(k) {
			out[k] = []string{redact.Mask}
			continue
		}
		vals := make([]string, len(vs))
		for i, v := range vs {
			vals[i] = rd.secrets(v)
		}
		out[rd.secrets(k)] = vals
	}
	return out
}

// Body is a body as recorded: the redact: fields of a JSON body as "***" (their locations
// returned), then known secrets anywhere in it as ***.
func (rd *Redactor) Body(b []byte) ([]byte, []string) {
	if len(b) == 0 {
		return b, nil
	}
	var where []string
	if !rd.fields.Empty() {
		b, where, _ = rd.fields.Mask(b, redact.Mask)
	}
	if s := rd.secrets(string(b)); s != string(b) {
		b = []byte(s)
	}
	return b, where
}

// Text is s with known secrets as ***.
func (rd *Redactor) Text(s string) string { return rd.secrets(s) }

// bodyHash is the hex SHA-256 of a request body as fingerprints read it: compacted when JSON,
// redacted; "" for an empty body.
func (rd *Redactor) bodyHash(b []byte) string {
	if len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if json.Compact(&buf, b) == nil {
		b = buf.Bytes()
	}
	b, _ = rd.Body(b)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Fingerprint identifies a request among the recordings of its operation: a hash of the
// method, the operation, the path parameters, the query (as recorded: credentials are ***, so
// any credential matches) and the body hash. Parameter and value order does not matter.
func Fingerprint(method, operation string, pathParams map[string]string, query map[string][]string, bodySHA256 string) string {
	h := sha256.New()
	write := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	write(strings.ToUpper(method), operation)
	for _, k := range sortedKeys(pathParams) {
		write("p", k, pathParams[k])
	}
	for _, k := range sortedKeys(query) {
		vals := slices.Clone(query[k])
		slices.Sort(vals)
		write(append([]string{"q", k}, vals...)...)
	}
	write("b", bodySHA256)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// request is what the recording and the fingerprint keep of a request.
func (rd *Redactor) request(method, path, rawQuery string, pathParams map[string]string, header http.Header, body []byte, operation string) (Request, string) {
	req := Request{
		Method:  method,
		Path:    rd.secrets(path),
		Query:   rd.Query(rawQuery),
		Headers: rd.Headers(header),
	}
	if len(pathParams) > 0 {
		req.PathParams = make(map[string]string, len(pathParams))
		for k, v := range pathParams {
			req.PathParams[k] = rd.secrets(v)
		}
	}
	req.BodySHA256 = rd.bodyHash(body)
	req.BodySize = len(body)
	return req, Fingerprint(method, operation, req.PathParams, req.Query, req.BodySHA256)
}
