// Command mockloop mocks, proxies and compares APIs described by OpenAPI documents.
package main

import (
	"os"

	"github.com/mockloop/mockloop/internal/cli"
)

// Set at build time by GoReleaser: -ldflags "-X main.version=v1.2.3 -X main.commit=... -X main.date=...".
// When empty, `mockloop version` reads the binary's own build information.
var version, commit, date string

func main() { os.Exit(cli.Main(cli.Stamp{Version: version, Commit: commit, Date: date})) }
