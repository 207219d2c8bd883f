package mcpserver

import (
	"reflect"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/mockloop/mockloop/internal/compare"
)

// toleranceSchema is what compare.Tolerance accepts in JSON: a number, or an object of numbers
// keyed by "default" and JSONPaths.
var toleranceSchema = &jsonschema.Schema{
	Description: "relative numeric tolerance: a number (0.1 = 10%) or {\"default\": 0.1, \"$.price\": 0}",
	AnyOf: []*jsonschema.Schema{
		{Type: "number", Minimum: jsonschema.Ptr(0.0)},
		{Type: "object", AdditionalProperties: &jsonschema.Schema{Type: "number", Minimum: jsonschema.Ptr(0.0)}},
	},
}

// headerModeSchema is what compare.HeaderMode accepts in JSON: a boolean, or "all".
var headerModeSchema = &jsonschema.Schema{
	Description: "true: Content-Type and the headers the spec declares; \"all\": every header but per-response ones (Date, Server, tracing ids); false: none",
	AnyOf:       []*jsonschema.Schema{{Type: "boolean"}, {Type: "string", Enum: []any{"true", "false", "all"}}},
}

// inputSchema is the input schema of a typed tool, inferred from In as the SDK would, except
// that the types with their own JSON form (compare.Tolerance, compare.HeaderMode) are described as they are
// written. The input types are fixed at compile time: a failure is a programming error that
// the tests catch.
func inputSchema[In any]() *jsonschema.Schema {
	s, err := jsonschema.For[In](&jsonschema.ForOptions{TypeSchemas: map[reflect.Type]*jsonschema.Schema{
		reflect.TypeFor[compare.Tolerance]():  toleranceSchema,
		reflect.TypeFor[compare.HeaderMode](): headerModeSchema,
	}})
	if err != nil {
		panic("mcpserver: input schema of " + reflect.TypeFor[In]().String() + ": " + err.Error())
	}
	return s
}
