package mock

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestDiscriminatorValue(t *testing.T) {
	d := &openapi3.Discriminator{PropertyName: "kind", Mapping: map[string]openapi3.MappingRef{
		"dog":    {Ref: "#/components/schemas/Dog"},
		"canine": {Ref: "#/components/schemas/Dog"}, // two keys for one schema: the first in key order
		"cat":    {Ref: "other.yaml#/components/schemas/Cat"},
		"empty":  {},
	}}
	tests := []struct{ ref, want string }{
		{"#/components/schemas/Dog", "canine"},
		{"#/components/schemas/Cat", "cat"}, // the same name in another document
		{"#/components/schemas/Bird", "Bird"},
		{"", ""},
	}
	c := &schemas{}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			for range 2 { // built, then from the index
				if got := c.discriminatorValue(d, tt.ref); got != tt.want {
					t.Fatalf("discriminatorValue(%q) = %q, want %q", tt.ref, got, tt.want)
				}
			}
		})
	}
}
