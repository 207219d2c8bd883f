package upstream

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/mockloop/mockloop/internal/plugin"
)

// urlTemplate is a proxy_url with {name} placeholders in its path, as the original guide
// writes it: proxy_url: https://api.example.com/users/{id} for the endpoint /users/{id}.
type urlTemplate struct {
	// parts alternate literal path text (as written, already escaped) and parameter names:
	// parts[0] literal, parts[1] name, parts[2] literal, ...
	parts    []string
	rawQuery string
}

// parseProxyURL reads an endpoint's proxy_url: a base URL (the request path is joined under
// it) or a template whose placeholders are all parameters of the endpoint's path. It returns
// the template (nil for a base URL) and the URL of the upstream to connect to.
func parseProxyURL(raw, path string) (*urlTemplate, *url.URL, error) {
	names := plugin.TemplateParams(raw)
	if len(names) == 0 {
		u, err := parseTarget(raw)
		return nil, u, err
	}
	have := plugin.TemplateParams(path)
	for _, n := range names {
		if n == "" || !contains(have, n) {
			return nil, nil, fmt.Errorf("{%s} is not a parameter of the endpoint's path %q", n, path)
		}
	}
	rest, ok := strings.CutPrefix(raw, "http://")
	scheme := "http"
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "https://"); !ok {
			return nil, nil, errors.New("a proxy_url template must start with http:// or https://")
		}
		scheme = "https"
	}
	authority, p, _ := strings.Cut(rest, "/")
	p = "/" + p
	p, _, _ = strings.Cut(p, "#")
	p, query, _ := strings.Cut(p, "?")
	if strings.ContainsAny(authority, "{}") || strings.ContainsAny(query, "{}") {
		return nil, nil, errors.New("{name} placeholders may appear in the URL's path only")
	}
	u, err := parseTarget(scheme + "://" + authority)
	if err != nil {
		return nil, nil, err
	}
	if _, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(raw)); err != nil {
		return nil, nil, fmt.Errorf("invalid URL: %s", safeError(err))
	}
	t := &urlTemplate{rawQuery: query}
	for {
		open := strings.IndexByte(p, '{')
		end := strings.IndexByte(p[max(open, 0):], '}')
		if open < 0 || end < 0 {
			t.parts = append(t.parts, p)
			break
		}
		t.parts = append(t.parts, p[:open], p[open+1:open+end])
		p = p[open+end+1:]
	}
	for i := 0; i < len(t.parts); i += 2 {
		if _, err := url.PathUnescape(t.parts[i]); err != nil {
			return nil, nil, fmt.Errorf("path %q: %v", t.parts[i], err)
		}
	}
	return t, u, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fill builds the request's upstream URL: origin's scheme and host, the template's path with
// each {name} replaced by the path parameter's value, escaped (a "/" in a value stays inside
// its segment; a value with a "." or ".." segment is refused), and the template's query. params are the operation's path parameters; when one
// is missing (the endpoint matched a request outside the spec) it is read from the request path
// by the endpoint's own template.
func (t *urlTemplate) fill(origin *url.URL, params map[string]string, epPath, reqPath string) (*url.URL, error) {
	var fromPath map[string]string
	var raw strings.Builder
	for i, part := range t.parts {
		if i%2 == 0 {
			raw.WriteString(part)
			continue
		}
		v, ok := params[part]
		if !ok {
			if fromPath == nil {
				fromPath = paramsFromPath(epPath, reqPath)
			}
			if v, ok = fromPath[part]; !ok {
				return nil, fmt.Errorf("no value for {%s} of the proxy_url template in %s", part, reqPath)
			}
		}
		if _, dot := dotSegment(v); dot {
			// Escaped or not ("%2F.."), many servers read it as a step up the path.
			return nil, fmt.Errorf("the value of {%s} has a dot segment", part)
		}
		raw.WriteString(url.PathEscape(v))
	}
	u := &url.URL{Scheme: origin.Scheme, Host: origin.Host, RawQuery: t.rawQuery}
	u.RawPath = raw.String()
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, err
	}
	u.Path = p
	if u.EscapedPath() != u.RawPath {
		// url.URL keeps RawPath only when it is a valid encoding of Path; ours is.
		u.RawPath = ""
	}
	return u, nil
}

// paramsFromPath reads the {name} values of the template tmpl from the request path p, the
// template's segments aligned with the end of the path (the client may have used a base path
// before them). A template with ** yields nothing.
func paramsFromPath(tmpl, p string) map[string]string {
	ts, ps := splitPath(tmpl), splitPath(p)
	out := map[string]string{}
	if len(ps) < len(ts) || contains(ts, "**") {
		return out
	}
	ps = ps[len(ps)-len(ts):]
	for i, seg := range ts {
		open := strings.IndexByte(seg, '{')
		end := strings.LastIndexByte(seg, '}')
		if open < 0 || end < open {
			continue
		}
		prefix, suffix := seg[:open], seg[end+1:]
		v := ps[i]
		if strings.HasPrefix(v, prefix) && strings.HasSuffix(v[len(prefix):], suffix) {
			out[seg[open+1:end]] = v[len(prefix) : len(v)-len(suffix)]
		}
	}
	return out
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// dotSegment reports a path segment that would climb out of the target's base path: "." or
// "..", also when percent-encoded (the path is decoded), when followed by Tomcat's ";params",
// or separated by a backslash, which some servers read as "/".
func dotSegment(p string) (string, bool) {
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		s, _, _ := strings.Cut(seg, ";")
		if s == "." || s == ".." {
			return seg, true
		}
	}
	return "", false
}
