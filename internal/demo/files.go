package demo

import _ "embed"

//go:embed plan.yaml
var plan []byte

//go:embed baseline.yaml
var baseline []byte

// Plan is the demo's test plan (YAML): the bookshop's operations with the comparison settings
// that tell the live bookshop's noise from its drift. GET /orders/{id} is left out: its mock
// answer is generated from the schema, so it would differ everywhere.
func Plan() []byte { return append([]byte(nil), plan...) }

// Baseline is the demo's baseline (YAML, as test run --update-baseline writes it): the one
// real drift of the live bookshop, favourite_genres renamed, known and accepted.
func Baseline() []byte { return append([]byte(nil), baseline...) }
