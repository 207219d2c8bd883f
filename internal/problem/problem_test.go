package problem

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name      string
		in        Details
		status    int
		wantTitle string
		wantType  string
		wantItems int
	}{
		{name: "defaults", in: Details{Status: 404}, status: 404, wantTitle: "Not Found", wantType: "about:blank"},
		{name: "zero status is 500", in: Details{}, status: 500, wantTitle: "Internal Server Error", wantType: "about:blank"},
		{name: "errors listed", in: Details{Status: 400, Title: "Invalid request", Type: "https://x/bad",
			Errors: []Item{{Location: "query.limit", Message: "must be <= 100"}, {Location: "body.name", Message: "required"}}},
			status: 400, wantTitle: "Invalid request", wantType: "https://x/bad", wantItems: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("WWW-Authenticate", "Bearer")
			Write(rec, tt.in)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != ContentType {
				t.Errorf("Content-Type = %q", ct)
			}
			if rec.Header().Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("pre-set header lost")
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if got["title"] != tt.wantTitle || got["type"] != tt.wantType || got["status"] != float64(tt.status) {
				t.Errorf("body = %v", got)
			}
			items, _ := got["errors"].([]any)
			if len(items) != tt.wantItems {
				t.Errorf("errors = %v, want %d items", got["errors"], tt.wantItems)
			}
			if tt.wantItems > 0 {
				first := items[0].(map[string]any)
				if first["location"] != "query.limit" || first["message"] != "must be <= 100" {
					t.Errorf("first item = %v", first)
				}
			}
		})
	}
}

func TestWriteKeepsStatusText(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, Details{Status: http.StatusNotAcceptable, Detail: "no fit"})
	var d Details
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Title != "Not Acceptable" || d.Detail != "no fit" {
		t.Errorf("got %+v", d)
	}
}
