package mcpserver

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

func loadPets(t *testing.T) *spec.Document {
	t.Helper()
	doc, err := loadPetsDoc()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func loadPetsDoc() (*spec.Document, error) {
	return spec.Load(context.Background(), "testdata/pets.yaml", spec.Options{})
}

func findOp(t *testing.T, doc *spec.Document, key string) *spec.Operation {
	t.Helper()
	for _, op := range doc.Operations {
		if op.Key() == key {
			return op
		}
	}
	t.Fatalf("no operation %s", key)
	return nil
}

func TestOperationInputSchema(t *testing.T) {
	doc := loadPets(t)
	tests := []struct {
		op   string
		want string
	}{
		{"GET /pets/{petId}", `{"properties":{"path":{"description":"path parameters","properties":{"petId":{"type":"integer"}},"required":["petId"],"type":"object"}},"required":["path"],"type":"object"}`},
		{"GET /pets", `{"properties":{"header":{"description":"header parameters","properties":{"X-Request-Id":{"type":"string"}},"type":"object"},"query":{"description":"query parameters","properties":{"limit":{"maximum":100,"minimum":1,"type":"integer"},"tag":{"items":{"type":"string"},"type":"array"}},"type":"object"}},"type":"object"}`},
		// readOnly id is left out of the body; the recursive parent stops where it recurs.
		{"POST /pets", `{"properties":{"body":{"description":"request body (application/json)","properties":{"name":{"maxLength":50,"type":"string"},"parent":{"properties":{"name":{"type":"string"},"parent":{}},"required":["name"],"type":"object"},"tag":{"type":["string","null"]}},"required":["name"],"type":"object"}},"required":["body"],"type":"object"}`},
		{"DELETE /pets/{petId}", `{"properties":{"path":{"description":"path parameters","properties":{"petId":{"type":"integer"}},"required":["petId"],"type":"object"}},"required":["path"],"type":"object"}`},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			got, err := json.Marshal(operationInputSchema(findOp(t, doc, tt.op)))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("schema:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSecurityHint(t *testing.T) {
	doc := loadPets(t)
	tests := map[string]string{
		"GET /pets":            "",
		"DELETE /pets/{petId}": "header X-API-Key",
	}
	for key, want := range tests {
		t.Run(key, func(t *testing.T) {
			if got := doc.CredentialHint(findOp(t, doc, key)); got != want {
				t.Errorf("CredentialHint = %q, want %q", got, want)
			}
		})
	}
}
