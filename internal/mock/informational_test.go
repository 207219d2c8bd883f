package mock

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestInformationalOnlyIs501(t *testing.T) {
	doc := loadSpec(t, "testdata/upgrade.yaml")
	e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
	tests := []struct {
		name, path, prefer string
		want               int
	}{
		{name: "only 101", path: "/ws", want: http.StatusNotImplemented},
		{name: "101 beside 200 answers 200", path: "/both", want: http.StatusOK},
		{name: "Prefer asks for the 101", path: "/both", prefer: "code=101", want: http.StatusNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.path, nil)
			if tt.prefer != "" {
				r.Header.Set("Prefer", tt.prefer)
			}
			w := httptest.NewRecorder()
			e.Respond(w, r, doc.Find("GET", tt.path))
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if tt.want == http.StatusNotImplemented {
				if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" || !strings.Contains(w.Body.String(), "101 Switching Protocols") {
					t.Errorf("answer %s %s, want a problem saying the 101 cannot be mocked", ct, w.Body)
				}
			}
		})
	}
}
