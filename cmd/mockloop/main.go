// Command mockloop mocks, proxies and compares APIs described by OpenAPI documents.
package main

import (
	"os"

	"github.com/mockloop/mockloop/internal/cli"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() { os.Exit(cli.Main(version)) }
