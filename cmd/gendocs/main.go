// Command gendocs writes docs/cli/*.md, docs/man/*.1 and completions/* from mockloop's command tree.
// Run it from the repository root: go run ./cmd/gendocs
package main

import (
	"fmt"
	"os"

	"github.com/mockloop/mockloop/internal/cli"
)

func main() {
	if err := cli.GenerateDocs("docs/cli", "docs/man", "completions"); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
