package route

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

func TestMatcher(t *testing.T) {
	getPet := &spec.Operation{ID: "getPet", Method: "GET", Path: "/pets/{id}"}
	tests := []struct {
		name   string
		ms     MatchSpec
		method string
		target string
		op     *spec.Operation
		header map[string]string
		want   bool
	}{
		{"empty matches anything", MatchSpec{}, "DELETE", "/anything", nil, nil, true},
		{"operationId", MatchSpec{Operation: "getPet"}, "GET", "/pets/1", getPet, nil, true},
		{"another operationId", MatchSpec{Operation: "listPets"}, "GET", "/pets/1", getPet, nil, false},
		{"operationId needs an operation", MatchSpec{Operation: "getPet"}, "GET", "/nowhere", nil, nil, false},
		{"glob on the request path", MatchSpec{Pattern: "/pets/*"}, "GET", "/pets/1", nil, nil, true},
		{"template on the operation's template", MatchSpec{Pattern: "/pets/{petId}"}, "GET", "/pets/1", getPet, nil, true},
		{"** any depth", MatchSpec{Pattern: "/**"}, "GET", "/a/b/c", nil, nil, true},
		{"pattern misses", MatchSpec{Pattern: "/owners/*"}, "GET", "/pets/1", getPet, nil, false},
		{"methods listed", MatchSpec{Method: "put, get"}, "GET", "/pets/1", getPet, nil, true},
		{"method misses", MatchSpec{Method: "POST"}, "GET", "/pets/1", getPet, nil, false},
		{"all of them", MatchSpec{Pattern: "/pets/*", Operation: "getPet", Method: "GET", Condition: "request.headers['x-slow'] == '1'"},
			"GET", "/pets/1", getPet, map[string]string{"X-Slow": "1"}, true},
		{"condition false", MatchSpec{Condition: "'X-Slow' in request.headers"}, "GET", "/pets/1", getPet, nil, false},
		{"condition failing at run time does not match", MatchSpec{Condition: "int(request.params.get('n')) > 1"}, "GET", "/p?n=abc", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileMatcher(tt.ms)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			req := NewRequest(r, tt.op)
			if got := m.Match(&req); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
			if got := m.Match(&req); got != tt.want {
				t.Errorf("second Match on the same request = %v", got)
			}
		})
	}
}

func TestCompileMatcherErrors(t *testing.T) {
	tests := []struct {
		name string
		ms   MatchSpec
		want string
	}{
		{"pattern", MatchSpec{Pattern: "pets"}, `pattern: "pets" must start with /`},
		{"method", MatchSpec{Method: "GET /x"}, `invalid method "GET /x"`},
		{"condition", MatchSpec{Condition: "request.nope"}, `condition "request.nope": `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileMatcher(tt.ms)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
