package server

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

type violation string

func (v violation) String() string { return string(v) }

func TestValidateResponses(t *testing.T) {
	doc := loadFixture(t)
	op := doc.Operations[0]
	m := NewMetrics(doc.Operations)
	var log bytes.Buffer
	var checked []string
	check := func(o *spec.Operation, r *http.Request, status int, h http.Header, body []byte) []violation {
		checked = append(checked, string(body))
		if strings.Contains(string(body), "bad") {
			return []violation{"body.id: must be an integer", "body.name: required"}
		}
		return nil
	}
	hook := ValidateResponses(check, m, &log)
	tests := []struct {
		name    string
		op      *spec.Operation
		body    string
		readAll bool
		checked bool
	}{
		{name: "conforming", op: op, body: `{"id":1}`, readAll: true, checked: true},
		{name: "violations", op: op, body: `{"id":"bad"}`, readAll: true, checked: true},
		{name: "not in the spec", op: nil, body: `{"id":"bad"}`, readAll: true},
		{name: "client went away", op: op, body: `{"id":"bad"}`},
		{name: "too large", op: op, body: strings.Repeat("b", MaxValidatedBody+1), readAll: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checked = nil
			resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
			if err := hook(resp, tt.op); err != nil {
				t.Fatal(err)
			}
			var got []byte
			if tt.readAll {
				got, _ = io.ReadAll(resp.Body)
			} else {
				got = make([]byte, 3)
				io.ReadFull(resp.Body, got)
			}
			resp.Body.Close()
			if tt.readAll && string(got) != tt.body {
				t.Errorf("body changed on its way through")
			}
			if (len(checked) == 1) != tt.checked || (tt.checked && checked[0] != tt.body) {
				t.Errorf("checked %d bodies, want the whole body checked: %v", len(checked), tt.checked)
			}
		})
	}
	snap := m.Snapshot()
	if len(snap) != 1 || snap[0].Violations != 2 || snap[0].Count != 0 {
		t.Errorf("metrics = %+v, want 2 violations on %s", snap, op.Key())
	}
	if want := "response violation: GET /pets 200: body.id: must be an integer\n"; !strings.Contains(log.String(), want) || strings.Count(log.String(), "\n") != 2 {
		t.Errorf("log = %q, want two lines like %q", log.String(), want)
	}
}

// TestMetricsOperations checks that each operation is counted under its own key, and that an
// operation NewMetrics was not given counts as other.
func TestMetricsOperations(t *testing.T) {
	doc := loadFixture(t)
	if len(doc.Operations) < 2 {
		t.Fatal("fixture has fewer than 2 operations")
	}
	m := NewMetrics(doc.Operations)
	for i, op := range doc.Operations {
		for range i + 1 {
			m.Observe(op, http.StatusOK, 0)
		}
	}
	stranger := *doc.Operations[0] // the same method and path, another operation
	m.Observe(&stranger, http.StatusOK, 0)
	m.Observe(nil, http.StatusNotFound, 0)
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
