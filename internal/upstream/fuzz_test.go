package upstream

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzProxyURLTemplate: any proxy_url and path parse without a panic, and a filled template
// keeps its host and never gains a dot segment from a parameter value.
func FuzzProxyURLTemplate(f *testing.F) {
	f.Add("https://api.example.com/users/{id}", "/users/{id}", "42", "/users/42")
	f.Add("http://h/a/{x}/b{y}c?q=1", "/a/{x}/{y}", "..", "/a/../b")
	f.Add("https://h/{id", "/{id}", "a/b", "/a%2Fb")
	f.Add("http://h/%zz/{id}", "/{id}", "x", "/x")
	f.Fuzz(func(t *testing.T, raw, path, value, reqPath string) {
		tmpl, origin, err := parseProxyURL(raw, path)
		if err != nil || tmpl == nil {
			return
		}
		params := map[string]string{}
		for i := 1; i < len(tmpl.parts); i += 2 {
			params[tmpl.parts[i]] = value
		}
		u, err := tmpl.fill(origin, params, path, reqPath)
		if err != nil {
			return
		}
		if u.Host != origin.Host || u.Scheme != origin.Scheme {
			t.Fatalf("filled %q went to %s://%s", raw, u.Scheme, u.Host)
		}
		if _, err := url.Parse(u.String()); err != nil {
			t.Fatalf("filled URL %q does not parse: %v", u, err)
		}
		literal := ""
		for i := 0; i < len(tmpl.parts); i += 2 {
			literal += tmpl.parts[i] + "x"
		}
		if _, ok := dotSegment(literal); !ok {
			if seg, ok := dotSegment(u.Path); ok {
				t.Fatalf("a parameter value made the dot segment %q in %q", seg, u.Path)
			}
		}
	})
}

func FuzzDotSegment(f *testing.F) {
	for _, s := range []string{"/../a", "/a/..;x/b", "/a\\..\\b", "/...", "/.a", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		seg, ok := dotSegment(p)
		if ok && !strings.Contains(p, seg) {
			t.Fatalf("reported %q not in %q", seg, p)
		}
	})
}
