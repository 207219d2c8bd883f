package testrun

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// TestPrepareReplays: a plugin's replay: answers the in-process mock side from its recordings,
// as serve and mcp do, so mock against live compares the recorded answer with today's.
func TestPrepareReplays(t *testing.T) {
	const body = `{"items":[{"id":"9b2f6a52-3c1d-4e8a-9f0b-2d7c5e1a4b60","isbn":"9780441013593","title":"Recorded Dune","author":"Frank Herbert","genre":"science-fiction","price":9.99,"in_stock":12}],"next_cursor":"x"}`
	doc, err := spec.Load(context.Background(), spec.ExampleSource, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w, err := record.NewWriter(dir, doc, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://127.0.0.1/books?limit=20", nil)
	if err := w.Add(&server.Exchange{Operation: doc.Find("GET", "/books").Operation, Request: r, Status: 200,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body), Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
	defer live.Close()

	tests := []struct {
		name       string
		replay     string
		wantChange bool // the title differs between the sides
	}{
		{"with replay: the recorded answer", dir, false},
		{"without: the spec's example", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &plugin.Plugin{Name: "books", Spec: spec.ExampleSource, Mode: plugin.ModeMock, Replay: tt.replay}
			pr, err := Prepare(context.Background(), Request{Plugin: p, Live: live.URL, Mode: "hybrid", Operations: []string{"listBooks"}, Validation: "off"})
			if err != nil {
				t.Fatal(err)
			}
			defer pr.Close()
			rep := pr.Run(context.Background(), nil)
			if len(rep.Cases) != 1 {
				t.Fatalf("cases %+v", rep.Cases)
			}
			changed := false
			for _, d := range rep.Cases[0].Differences {
				if strings.Contains(d.Location, "title") {
					changed = true
				}
			}
			if changed != tt.wantChange {
				t.Errorf("title differs = %v, want %v: %+v", changed, tt.wantChange, rep.Cases[0].Differences)
			}
		})
	}
}
