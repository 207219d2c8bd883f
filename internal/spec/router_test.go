package spec

import (
	"context"
	"os"
	"strings"
	"testing"
)

func routerFor(t testing.TB, templates ...string) *Router {
	t.Helper()
	var ops []*Operation
	for _, tpl := range templates {
		method, path, _ := strings.Cut(tpl, " ")
		ops = append(ops, &Operation{Method: method, Path: path})
	}
	r, err := NewRouter(ops)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRouterFind(t *testing.T) {
	r := routerFor(t,
		"GET /",
		"GET /pets",
		"POST /pets",
		"GET /pets/{id}",
		"GET /pets/{id}.json",
		"GET /pets/mine",
		"DELETE /pets/{petId}",
		"GET /pets/{id}/photos/{photoId}",
		"GET /repos/{owner}/{repo}",
		"GET /repos/{owner}/{repo}/compare/{base}...{head}",
		"GET /files/{name}.{ext}",
		"GET /dirs/",
		"GET /café",
		"PUT /v/{version}-beta",
	)
	tests := []struct {
		name, method, path string
		want               string // operation key, "" for none
		params             map[string]string
		allowed            string
	}{
		{"root", "GET", "/", "GET /", nil, ""},
		{"static", "GET", "/pets", "GET /pets", nil, ""},
		{"method", "POST", "/pets", "POST /pets", nil, ""},
		{"param", "GET", "/pets/42", "GET /pets/{id}", map[string]string{"id": "42"}, ""},
		{"static beats param", "GET", "/pets/mine", "GET /pets/mine", nil, ""},
		{"suffix shape beats bare param", "GET", "/pets/42.json", "GET /pets/{id}.json", map[string]string{"id": "42"}, ""},
		{"suffix alone is not a value", "GET", "/pets/.json", "GET /pets/{id}", map[string]string{"id": ".json"}, ""},
		{"names per method", "DELETE", "/pets/42", "DELETE /pets/{petId}", map[string]string{"petId": "42"}, ""},
		{"two params", "GET", "/pets/1/photos/2", "GET /pets/{id}/photos/{photoId}", map[string]string{"id": "1", "photoId": "2"}, ""},
		{"params in one segment", "GET", "/files/report.tar.gz", "GET /files/{name}.{ext}", map[string]string{"name": "report", "ext": "tar.gz"}, ""},
		{"literal between params", "GET", "/repos/a/b/compare/main...dev", "GET /repos/{owner}/{repo}/compare/{base}...{head}", map[string]string{"owner": "a", "repo": "b", "base": "main", "head": "dev"}, ""},
		{"prefix literal", "PUT", "/v/2-beta", "PUT /v/{version}-beta", map[string]string{"version": "2"}, ""},
		{"trailing slash ignored", "GET", "/pets/", "GET /pets", nil, ""},
		{"trailing slash on a param", "GET", "/pets/42/", "GET /pets/{id}", map[string]string{"id": "42"}, ""},
		{"template with trailing slash", "GET", "/dirs/", "GET /dirs/", nil, ""},
		{"template with trailing slash, request without", "GET", "/dirs", "GET /dirs/", nil, ""},
		{"trailing slash on a miss", "GET", "/owners/", "", nil, ""},
		{"trailing slash after a dead end", "GET", "/pets/1/photos/", "", nil, ""},
		{"trailing slash on a wrong method", "PATCH", "/pets/", "", nil, "GET,HEAD,POST"},
		{"missing trailing slash on a wrong method", "POST", "/dirs", "", nil, "GET,HEAD"},
		{"percent-encoded value", "GET", "/pets/a%20b", "GET /pets/{id}", map[string]string{"id": "a b"}, ""},
		{"encoded slash stays in the value", "GET", "/repos/o/a%2Fb", "GET /repos/{owner}/{repo}", map[string]string{"owner": "o", "repo": "a/b"}, ""},
		{"encoded static segment", "GET", "/caf%C3%A9", "GET /café", nil, ""},
		{"query ignored", "GET", "/pets?limit=1", "GET /pets", nil, ""},
		{"HEAD falls back to GET", "HEAD", "/pets/42", "GET /pets/{id}", map[string]string{"id": "42"}, ""},
		{"wrong method", "PATCH", "/pets", "", nil, "GET,HEAD,POST"},
		{"wrong method on param path", "PUT", "/pets/42", "", nil, "DELETE,GET,HEAD"},
		{"unknown path", "GET", "/owners", "", nil, ""},
		{"too deep", "GET", "/pets/1/photos", "", nil, ""},
		{"empty param value", "GET", "/repos//x", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := r.Find(tt.method, tt.path)
			got := ""
			if m.Operation != nil {
				got = m.Operation.Key()
			}
			if got != tt.want {
				t.Fatalf("Find(%s %s) = %v, want %q", tt.method, tt.path, m, tt.want)
			}
			if len(m.PathParams) != len(tt.params) {
				t.Errorf("params = %v, want %v", m.PathParams, tt.params)
			}
			for k, v := range tt.params {
				if m.PathParams[k] != v {
					t.Errorf("param %s = %q, want %q", k, m.PathParams[k], v)
				}
			}
			if a := strings.Join(m.Allowed, ","); a != tt.allowed {
				t.Errorf("Allowed = %q, want %q", a, tt.allowed)
			}
		})
	}
}

func TestRouterConflicts(t *testing.T) {
	r := routerFor(t, "GET /a/{id}", "GET /a/{name}", "PUT /a/{name}", "GET /a/{id}.json")
	c := r.Conflicts()
	if len(c) != 1 || c[0] != (Conflict{Method: "GET", Path: "/a/{name}", Winner: "/a/{id}"}) {
		t.Fatalf("Conflicts() = %+v", c)
	}
	if m := r.Find("PUT", "/a/1"); m.Operation == nil || m.PathParams["name"] != "1" {
		t.Errorf("PUT /a/{name} lost: %v", m)
	}
}

func TestRouterBadTemplate(t *testing.T) {
	for _, tpl := range []string{"GET /a/{id", "GET /a/id}", "GET /a/{x}{y}"} {
		t.Run(tpl, func(t *testing.T) {
			var ops []*Operation
			method, path, _ := strings.Cut(tpl, " ")
			ops = append(ops, &Operation{Method: method, Path: path})
			if _, err := NewRouter(ops); err == nil {
				t.Fatalf("no error for %q", tpl)
			}
		})
	}
}

func TestDocumentFindBasePath(t *testing.T) {
	d, err := Load(context.Background(), "testdata/petstore-3.0.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{"/pets/1", "GET /pets/{petId}"},
		{"/v2/pets/1", "GET /pets/{petId}"},
		{"/v2/pets", "GET /pets"},
		{"/v2", ""},
		{"/v2x/pets", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m := d.Find("GET", tt.path)
			got := ""
			if m.Operation != nil {
				got = m.Operation.Key()
			}
			if got != tt.want {
				t.Fatalf("Find(GET %s) = %v, want %q", tt.path, m, tt.want)
			}
		})
	}
	if m := d.Find("DELETE", "/v2/pets"); len(m.Allowed) == 0 {
		t.Errorf("405 under the base path: %v", m)
	}
}

// BenchmarkFind routes a request for every operation of the GitHub spec, with real-looking
// values in place of the parameters.
func BenchmarkFind(b *testing.B) {
	d := loadGitHub(b)
	type req struct{ method, path string }
	reqs := make([]req, 0, len(d.Operations))
	for _, op := range d.Operations {
		reqs = append(reqs, req{op.Method, fillTemplate(op.Path)})
	}
	for _, r := range reqs {
		if m := d.Find(r.method, r.path); m.Operation == nil {
			b.Fatalf("no route for %s %s", r.method, r.path)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := reqs[i%len(reqs)]
		d.Find(r.method, r.path)
	}
}

func fillTemplate(tpl string) string {
	var sb strings.Builder
	for {
		open := strings.IndexByte(tpl, '{')
		if open < 0 {
			sb.WriteString(tpl)
			return sb.String()
		}
		close := strings.IndexByte(tpl[open:], '}') + open
		sb.WriteString(tpl[:open])
		sb.WriteString("v42")
		tpl = tpl[close+1:]
	}
}

func loadGitHub(b testing.TB) *Document {
	b.Helper()
	if _, err := os.Stat(githubSpec); err != nil {
		b.Skip("no shared GitHub spec")
	}
	d, err := Load(context.Background(), githubSpec, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return d
}
