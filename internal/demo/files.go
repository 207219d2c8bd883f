package demo

import _ "embed"

//go:embed plan.yaml
var plan []byte

// Plan is the demo's test plan (YAML): the bookshop's operations with the comparison settings
// that tell the live bookshop's noise from its drift. GET /orders/{id} is left out: its mock
// answer is generated from the schema, so it would differ everywhere.
func Plan() []byte { return append([]byte(nil), plan...) }
