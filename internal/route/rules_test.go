package route

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

func TestRulesGuideConditions(t *testing.T) {
	// The three examples of the original MockLoop guide, exactly as written there.
	rs, err := Compile([]plugin.RouteRule{
		{Pattern: "/**", Condition: "request.method == 'POST'", Mode: plugin.ModeMock},
		{Pattern: "/**", Condition: "'X-Test-Mode' not in request.headers", Mode: plugin.ModeProxy},
		{Pattern: "/**", Condition: "request.params.get('mock') == 'true'", Mode: plugin.ModeMock},
	}, plugin.ModeProxy, false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		method   string
		target   string
		header   map[string]string
		wantMode plugin.Mode
		wantRule string
	}{
		{"POST goes to the mock", "POST", "/pets", map[string]string{"X-Test-Mode": "1"}, plugin.ModeMock, "#1 /**"},
		{"no test header goes live", "GET", "/pets", nil, plugin.ModeProxy, "#2 /**"},
		{"test header, lower case", "GET", "/pets", map[string]string{"x-test-mode": "1"}, plugin.ModeProxy, ""},
		{"test header and ?mock=true", "GET", "/pets?mock=true", map[string]string{"X-TEST-MODE": "on"}, plugin.ModeMock, "#3 /**"},
		{"test header and ?mock=false", "GET", "/pets?mock=false", map[string]string{"X-Test-Mode": "on"}, plugin.ModeProxy, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				r.Header[k] = []string{v} // as sent, not canonicalized
			}
			d := rs.Decide(r, nil)
			if d.Mode != tt.wantMode || d.Rule != tt.wantRule {
				t.Errorf("Decide = %+v, want mode %s rule %q", d, tt.wantMode, tt.wantRule)
			}
		})
	}
}

func TestRulesPatternsPriorityMethod(t *testing.T) {
	rules := []plugin.RouteRule{
		{Pattern: "/pets/*", Mode: plugin.ModeMock},
		{Pattern: "/pets/{petId}", Method: "delete", Mode: plugin.ModeProxy, Priority: 10, Fallback: plugin.ModeMock},
		{Pattern: "/stores/**/items", Mode: plugin.ModeProxy, Name: "store items"},
		{Pattern: "/users/**", Mode: plugin.ModeMock, Priority: 5},
		{Pattern: "/users/admin", Mode: plugin.ModeProxy, Priority: 5}, // tie: the earlier rule wins
		{Pattern: "/files/*.json", Method: "GET, HEAD", Mode: plugin.ModeProxy},
	}
	rs, err := Compile(rules, plugin.ModeMock, false)
	if err != nil {
		t.Fatal(err)
	}
	petOp := &spec.Operation{Method: "GET", Path: "/pets/{petId}"}
	tests := []struct {
		name, method, path string
		op                 *spec.Operation
		want               Decision
	}{
		{"glob one segment", "GET", "/pets/1", nil, Decision{Mode: plugin.ModeMock, Rule: "#1 /pets/*"}},
		{"glob does not cross segments", "GET", "/pets/1/photos", nil, Decision{Mode: plugin.ModeMock}},
		{"priority first", "DELETE", "/pets/1", nil, Decision{Mode: plugin.ModeProxy, Rule: "#2 DELETE /pets/{petId}", Fallback: true}},
		{"operation template under a base path", "GET", "/v2/pets/1", petOp, Decision{Mode: plugin.ModeMock, Rule: "#1 /pets/*"}},
		{"double star in the middle", "GET", "/stores/a/b/c/items", nil, Decision{Mode: plugin.ModeProxy, Rule: "store items"}},
		{"double star matches none", "GET", "/stores/items", nil, Decision{Mode: plugin.ModeProxy, Rule: "store items"}},
		{"double star no match", "GET", "/stores/a/itemz", nil, Decision{Mode: plugin.ModeMock}},
		{"tie keeps given order", "GET", "/users/admin", nil, Decision{Mode: plugin.ModeMock, Rule: "#4 /users/**"}},
		{"glob inside a segment", "HEAD", "/files/a.json", nil, Decision{Mode: plugin.ModeProxy, Rule: "#6 GET,HEAD /files/*.json"}},
		{"method list excludes", "POST", "/files/a.json", nil, Decision{Mode: plugin.ModeMock}},
		{"trailing slash", "GET", "/pets/1/", nil, Decision{Mode: plugin.ModeMock, Rule: "#1 /pets/*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rs.Decide(httptest.NewRequest(tt.method, tt.path, nil), tt.op); got != tt.want {
				t.Errorf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
	stats := rs.Stats()
	if stats[0].Rule != "#2 DELETE /pets/{petId}" || stats[0].Hits != 1 || stats[0].Priority != 10 {
		t.Errorf("first stat = %+v", stats[0])
	}
	hits := map[string]int64{}
	for _, s := range stats {
		hits[s.Rule] = s.Hits
	}
	if hits["#1 /pets/*"] != 3 || hits["store items"] != 2 || hits["#5 /users/admin"] != 0 {
		t.Errorf("hits = %v", hits)
	}
}

func TestRulesDefaultFallback(t *testing.T) {
	rs, err := Compile([]plugin.RouteRule{{Pattern: "/a", Mode: plugin.ModeProxy}}, plugin.ModeProxy, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/a", "/b"} {
		if d := rs.Decide(httptest.NewRequest("GET", p, nil), nil); !d.Fallback || d.Mode != plugin.ModeProxy {
			t.Errorf("%s: %+v, want proxy with fallback", p, d)
		}
	}
}

func TestCompileRulesErrors(t *testing.T) {
	tests := []struct {
		name        string
		rules       []plugin.RouteRule
		defaultMode plugin.Mode
		want        []string
	}{
		{"bad condition syntax", []plugin.RouteRule{{Pattern: "/a", Mode: plugin.ModeMock}, {Pattern: "/b", Mode: plugin.ModeMock, Condition: "request.method == "}},
			plugin.ModeMock, []string{"route rule 2 (/b)", "line 1, column"}},
		{"unknown field", []plugin.RouteRule{{Pattern: "/a", Mode: plugin.ModeMock, Condition: "request.body == 'x'"}},
			plugin.ModeMock, []string{"route rule 1 (/a)", "column 9", "has no field body"}},
		{"not boolean", []plugin.RouteRule{{Pattern: "/a", Mode: plugin.ModeMock, Condition: "request.method"}},
			plugin.ModeMock, []string{"route rule 1", "expected bool"}},
		{"no I/O functions", []plugin.RouteRule{{Pattern: "/a", Mode: plugin.ModeMock, Condition: "readFile('/etc/passwd') != ''"}},
			plugin.ModeMock, []string{"route rule 1", "readFile"}},
		{"bad mode", []plugin.RouteRule{{Pattern: "/a", Mode: "live"}}, plugin.ModeMock, []string{"route rule 1", `mode "live"`}},
		{"hybrid rule", []plugin.RouteRule{{Pattern: "/a", Mode: plugin.ModeHybrid}}, plugin.ModeMock, []string{"must be mock or proxy"}},
		{"relative pattern", []plugin.RouteRule{{Pattern: "pets", Mode: plugin.ModeMock}}, plugin.ModeMock, []string{"route rule 1", "must start with /"}},
		{"empty pattern", []plugin.RouteRule{{Mode: plugin.ModeMock}}, plugin.ModeMock, []string{"empty pattern"}},
		{"bad glob", []plugin.RouteRule{{Pattern: "/a/[x", Mode: plugin.ModeMock}}, plugin.ModeMock, []string{"segment \"[x\""}},
		{"partial double star", []plugin.RouteRule{{Pattern: "/a/**b", Mode: plugin.ModeMock}}, plugin.ModeMock, []string{"whole segment"}},
		{"bad method", []plugin.RouteRule{{Pattern: "/a", Method: "GET /", Mode: plugin.ModeMock}}, plugin.ModeMock, []string{"invalid method"}},
		{"bad default", nil, plugin.ModeHybrid, []string{"default mode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.rules, tt.defaultMode, false)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestConditionEnv(t *testing.T) {
	r := httptest.NewRequest("PUT", "/pets/7?mock=true&tag=a&tag=b", nil)
	r.Header.Add("Accept", "text/plain")
	r.Header.Add("Accept", "application/json")
	r.AddCookie(&http.Cookie{Name: "session", Value: "abc"})
	env := NewConditionEnv(r)
	tests := []struct {
		cond string
		want bool
	}{
		{"request.method == 'PUT'", true},
		{"request.path == '/pets/7'", true},
		{"request.path startsWith '/pets/'", true},
		{"request.headers['accept'] == 'text/plain, application/json'", true},
		{"request.headers.get('ACCEPT') contains 'json'", true},
		{"'accept' in request.headers", true},
		{"'X-Other' in request.headers", false},
		{"request.params.get('tag') == 'a'", true},
		{"request.params.get('absent') == ''", true},
		{"request.query.mock == 'true'", true},
		{"'mock' in request.params", true},
		{"'Mock' in request.params", false},
		{"request.cookies.get('session') == 'abc'", true},
		{"request.cookies['session'] == 'abc' && request.method in ['PUT', 'PATCH']", true},
		{"len(request.headers) > 0", true},
		{"request.path matches '^/pets/[0-9]+$'", true},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			c, err := CompileCondition(tt.cond)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Eval(env)
			if err != nil || got != tt.want {
				t.Errorf("= %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestConditionRuntimeErrorDoesNotMatch(t *testing.T) {
	rs, err := Compile([]plugin.RouteRule{{Pattern: "/**", Mode: plugin.ModeProxy, Condition: "[1][int(request.params.get('i'))] == 1"}}, plugin.ModeMock, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := rs.Decide(httptest.NewRequest("GET", "/x?i=5", nil), nil); d.Mode != plugin.ModeMock {
		t.Errorf("a failing condition matched: %+v", d)
	}
	if d := rs.Decide(httptest.NewRequest("GET", "/x?i=0", nil), nil); d.Mode != plugin.ModeProxy {
		t.Errorf("a true condition did not match: %+v", d)
	}
}

func FuzzCompileCondition(f *testing.F) {
	for _, s := range []string{"request.method == 'POST'", "'X-Test-Mode' not in request.headers",
		"request.params.get('mock') == 'true'", "request.headers[request.path] == ''", "1 +", "(("} {
		f.Add(s)
	}
	r := httptest.NewRequest("GET", "/a/b?mock=true", nil)
	r.Header.Set("X-Test-Mode", "1")
	env := NewConditionEnv(r)
	f.Fuzz(func(t *testing.T, src string) {
		c, err := CompileCondition(src)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
			return
		}
		_, _ = c.Eval(env)
	})
}

func FuzzMatchPattern(f *testing.F) {
	f.Add("/pets/*", "/pets/1")
	f.Add("/**/a/**/b", "/x/a/y/z/b")
	f.Add("/{id}.json", "/1.json")
	f.Fuzz(func(t *testing.T, pattern, path string) {
		segs, err := compilePattern(pattern)
		if err != nil {
			return
		}
		_ = matchSegments(segs, splitSegments(path))
	})
}

func BenchmarkDecide(b *testing.B) {
	rs, err := Compile([]plugin.RouteRule{
		{Pattern: "/users/**", Mode: plugin.ModeMock},
		{Pattern: "/**", Condition: "request.method == 'POST'", Mode: plugin.ModeMock},
		{Pattern: "/**", Condition: "'X-Test-Mode' not in request.headers", Mode: plugin.ModeProxy},
	}, plugin.ModeProxy, false)
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/pets/1?mock=true", nil)
	r.Header.Set("X-Test-Mode", "1")
	b.ReportAllocs()
	for b.Loop() {
		rs.Decide(r, nil)
	}
}
