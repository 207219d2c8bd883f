// Package redact is mockloop's one policy for keeping secrets out of what it prints, logs,
// reports and records: which header and query parameter names carry credentials, how a URL is
// shown (no password, no secret query values), and how known secret values are replaced in
// any text, in every form they travel in (as given, URL-encoded, inside Basic auth).
package redact

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Mask is what every secret is shown as.
const Mask = "***"

// secretWords appear in names that carry credentials: X-Auth-Token, client_secret, apiKey...
var secretWords = []string{"auth", "token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "signature", "credential", "session"}

// secretParams are short query parameter names that carry credentials by convention.
var secretParams = []string{"key", "sig", "code"}

// LooksSecret reports whether a header, parameter or field name looks like it carries a
// credential (case-insensitive).
func LooksSecret(name string) bool {
	lower := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// Policy knows which header and query names carry secrets: the well-known ones, the ones that
// look secret, and the ones a configuration names (the api key header of a plugin). It is
// immutable and safe for concurrent use.
type Policy struct {
	headers map[string]bool // canonical header names always hidden
	params  map[string]bool // lower-case query names always hidden
}

// NewPolicy returns the default policy plus the given header and query parameter names.
func NewPolicy(headers, params []string) *Policy {
	p := &Policy{headers: map[string]bool{}, params: map[string]bool{}}
	for _, h := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key"} {
		p.headers[h] = true
	}
	for _, h := range headers {
		p.headers[http.CanonicalHeaderKey(h)] = true
	}
	for _, q := range params {
		p.params[strings.ToLower(q)] = true
	}
	return p
}

// Default is the policy without configured names.
var Default = NewPolicy(nil, nil)

// SecretHeader reports whether the header's values are hidden.
func (p *Policy) SecretHeader(name string) bool {
	return p.headers[http.CanonicalHeaderKey(name)] || LooksSecret(name)
}

// SecretParam reports whether the query parameter's values are hidden.
func (p *Policy) SecretParam(name string) bool {
	lower := strings.ToLower(name)
	return p.params[lower] || slices.Contains(secretParams, lower) || LooksSecret(lower)
}

// Headers flattens h (values joined with ", ") with the secret ones replaced by Mask; nil
// for an empty h.
func (p *Policy) Headers(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		if p.SecretHeader(k) {
			out[k] = Mask
			continue
		}
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// AppendQuery appends the raw query string with the values of secret parameters replaced by
// Mask, keeping everything else byte for byte. seen, when not nil, caches the verdict per raw
// name (a log writer sees the same few names on every line); it is cleared when it grows past
// a bound, so a client sending ever new names costs only the lookups.
func (p *Policy) AppendQuery(b []byte, raw string, seen map[string]bool) []byte {
	for more := true; more; {
		var pair string
		pair, raw, more = strings.Cut(raw, "&")
		key, _, hasValue := strings.Cut(pair, "=")
		if hasValue && p.secretRawParam(key, seen) {
			b = append(b, key...)
			b = append(b, "="+Mask...)
		} else {
			b = append(b, pair...)
		}
		if more {
			b = append(b, '&')
		}
	}
	return b
}

func (p *Policy) secretRawParam(key string, seen map[string]bool) bool {
	if v, ok := seen[key]; ok {
		return v
	}
	name, err := url.QueryUnescape(key)
	if err != nil {
		name = key
	}
	v := p.SecretParam(name)
	if seen != nil {
		if len(seen) >= 1024 {
			clear(seen)
		}
		seen[key] = v
	}
	return v
}

// Query is the raw query string with secret values replaced by Mask.
func (p *Policy) Query(raw string) string {
	if raw == "" {
		return ""
	}
	return string(p.AppendQuery(nil, raw, nil))
}

// URL is raw as mockloop shows it in messages, status, reports and logs: a password in the
// user info becomes Mask, secret query values become Mask, the fragment is dropped. Text that
// is not a URL is shown as "(unparsable URL)", since it may be a secret typed in the wrong place.
func (p *Policy) URL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.URLOf(u)
}

// URLOf is URL for a parsed URL; u is not modified.
func (p *Policy) URLOf(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	c.RawQuery = p.Query(c.RawQuery)
	masked := false
	if c.User != nil {
		if _, ok := c.User.Password(); ok {
			c.User = url.UserPassword(c.User.Username(), Mask)
			masked = true
		}
	}
	s := c.String()
	if masked {
		// url.URL escapes the mask's asterisks in user info.
		s = strings.Replace(s, ":"+url.QueryEscape(Mask)+"@", ":"+Mask+"@", 1)
	}
	return s
}

// URL is Default.URL.
func URL(raw string) string { return Default.URL(raw) }

// Origin is scheme://host of a URL (never its user info, path or query), for messages that
// name a server; "(invalid URL)" when raw has no host.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host
}

// minSecret is the shortest value Secrets replaces: shorter ones ("1", "on") would mangle
// unrelated text and reveal little.
const minSecret = 3

// Secrets is a set of secret values to hide in any text. Each value is also hidden in the
// forms it travels in: URL query-escaped and path-escaped, and, for credential pairs added with
// AddPair, inside the base64 of a Basic Authorization header. The zero value is empty; it is
// not safe for concurrent Add, but Replace may run concurrently once filled.
type Secrets struct {
	values []string // longest first
}

// Add hides v and its escaped forms.
func (s *Secrets) Add(values ...string) {
	for _, v := range values {
		s.add(v)
		s.add(url.QueryEscape(v))
		s.add(url.PathEscape(v))
	}
}

// AddPair hides a user and password (or client id and secret) as Basic auth carries them:
// base64 of "user:password", with and without the form encoding RFC 6749 asks of OAuth2
// clients. The password itself is hidden too; the user alone is not a secret.
func (s *Secrets) AddPair(user, password string) {
	if password == "" {
		return
	}
	s.Add(password)
	for _, pair := range []string{user + ":" + password, url.QueryEscape(user) + ":" + url.QueryEscape(password)} {
		s.add(base64.StdEncoding.EncodeToString([]byte(pair)))
		s.add(base64.URLEncoding.EncodeToString([]byte(pair)))
	}
}

func (s *Secrets) add(v string) {
	if len(v) < minSecret || slices.Contains(s.values, v) {
		return
	}
	i, _ := slices.BinarySearchFunc(s.values, v, func(a, b string) int { return len(b) - len(a) })
	s.values = slices.Insert(s.values, i, v)
}

// Len is the number of values hidden (escaped forms included).
func (s *Secrets) Len() int {
	if s == nil {
		return 0
	}
	return len(s.values)
}

// Replace returns text with every secret replaced by Mask, longest first, so a secret that
// contains another is hidden whole.
func (s *Secrets) Replace(text string) string {
	if s == nil {
		return text
	}
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Mask)
		}
	}
	return text
}
