package server

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
)

func TestValidateResponses(t *testing.T) {
	doc := loadFixture(t)
	op := doc.Operations[0]
	check := func(o *spec.Operation, r *http.Request, status int, h http.Header, body []byte) []problem.Item {
		if strings.Contains(string(body), "bad") {
			return []problem.Item{{Location: "body.id", Message: "must be an integer"}, {Location: "body.name", Message: "required"}}
		}
		return nil
	}
	tests := []struct {
		name       string
		errors     bool
		op         *spec.Operation
		body       string
		wantStatus int
		wantHeader string
		wantLogged bool
	}{
		{name: "conforming", op: op, body: `{"id":1}`, wantStatus: 200},
		{name: "violations: logged, counted, marked", op: op, body: `{"id":"bad"}`, wantStatus: 200, wantHeader: "2", wantLogged: true},
		{name: "violations with --errors: a 502 listing them", errors: true, op: op, body: `{"id":"bad"}`, wantStatus: 502, wantHeader: "2", wantLogged: true},
		{name: "not in the spec", op: nil, body: `{"id":"bad"}`, wantStatus: 200},
		{name: "too large: streamed unchecked", op: op, body: strings.Repeat("b", MaxValidatedBody+1), wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMetrics(doc.Operations)
			var log bytes.Buffer
			hook := ValidateResponses(check, m, &log, tt.errors)
			resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(tt.body))}
			if err := hook(resp, tt.op); err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || resp.Header.Get(HeaderViolations) != tt.wantHeader {
				t.Errorf("status %d, %s %q", resp.StatusCode, HeaderViolations, resp.Header.Get(HeaderViolations))
			}
			switch {
			case tt.wantStatus == 502:
				if !strings.Contains(string(got), `{"location":"body.id","message":"must be an integer"}`) || resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("502 body %s (%s)", got, resp.Header.Get("Content-Type"))
				}
			case string(got) != tt.body:
				t.Errorf("the body changed on its way through")
			}
			if logged := strings.Contains(log.String(), "response violation: GET /pets 200: body.id: must be an integer"); logged != tt.wantLogged {
				t.Errorf("log %q", log.String())
			}
			var v int64
			for _, row := range m.Snapshot() {
				v += row.Violations
			}
			if (v == 2) != tt.wantLogged {
				t.Errorf("violations counted: %d", v)
			}
		})
	}
}

func TestMetricsOperations(t *testing.T) {
	doc := loadFixture(t)
	if len(doc.Operations) < 2 {
		t.Fatal("fixture has fewer than 2 operations")
	}
	m := NewMetrics(doc.Operations)
	for i, op := range doc.Operations {
		for range i + 1 {
			m.Observe(op, plugin.ModeMock, http.StatusOK, 0, false)
		}
	}
	stranger := *doc.Operations[0] // the same method and path, another operation
	m.Observe(&stranger, plugin.ModeMock, http.StatusOK, 0, false)
	m.Observe(nil, plugin.ModeProxy, http.StatusNotFound, 0, false)
	got := map[string]int64{}
	for _, row := range m.Snapshot() {
		got[row.Operation] = row.Count
	}
	for i, op := range doc.Operations {
		if got[op.Key()] != int64(i+1) {
			t.Errorf("%s: count %d, want %d", op.Key(), got[op.Key()], i+1)
		}
	}
	if got["other"] != 2 {
		t.Errorf("other: count %d, want 2", got["other"])
	}
}
