package spec

import _ "embed"

//go:embed example.yaml
var example []byte

// Example returns the embedded example API (OpenAPI 3.0 YAML), the one ExampleSource loads. The
// caller may keep the slice; it is a copy.
func Example() []byte { return append([]byte(nil), example...) }
