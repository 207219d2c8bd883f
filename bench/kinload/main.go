// Command kinload loads an OpenAPI document with plain kin-openapi (openapi3.Loader, the way most
// Go tools do) and prints how long it took: the reference for mockloop's spec-loading numbers in
// bench/scale.sh (which measures it with bench/coldstart: time and peak RSS).
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kinload SPEC")
		os.Exit(2)
	}
	start := time.Now()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	doc, err := loader.LoadFromFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "kinload:", err)
		os.Exit(2)
	}
	fmt.Printf("loaded %s: %d paths in %s\n", os.Args[1], doc.Paths.Len(), time.Since(start).Round(time.Millisecond))
}
