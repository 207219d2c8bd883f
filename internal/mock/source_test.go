package mock

import "testing"

func TestRespondSaysWhereTheBodyCameFrom(t *testing.T) {
	doc := rulesDoc(t)
	e := New(doc, Options{})
	tests := []struct {
		name, method, target string
		header               map[string]string
		want                 string
	}{
		{"the first conforming example", "GET", "/pets", nil, SourceExample},
		{"a named example", "GET", "/pets", map[string]string{"Prefer": "example=one"}, SourceExample},
		{"dynamic data", "GET", "/pets", map[string]string{"Prefer": "dynamic=true"}, SourceGenerated},
		{"no example: generated", "GET", "/animals", nil, SourceGenerated},
		{"no body", "DELETE", "/pets/1", nil, SourceGenerated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, e, doc, tt.method, tt.target, tt.header, "")
			if got := rec.Header().Get(HeaderSource); got != tt.want {
				t.Errorf("%s = %q, want %q (status %d)", HeaderSource, got, tt.want, rec.Code)
			}
		})
	}
}
