#!/usr/bin/env bash
# scripts/goreleaser-check.sh: validate .goreleaser.yaml with the pinned GoReleaser.
#
# Not part of .ci/run: GoReleaser is only available as source from the Go module proxy, and
# compiling it takes 10 to 15 minutes on a 2-core machine, far beyond CI's budget. This script
# installs it once into $GORELEASER_BIN (default ~/.cache/mockloop/goreleaser/<version>) and
# reuses it afterwards; run it whenever .goreleaser.yaml, the Dockerfile or the archive contents
# change. A release (`goreleaser release --snapshot --clean`) runs the same check first.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=v2.13.0
BIN=${GORELEASER_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/mockloop/goreleaser/$VERSION}
if [ ! -x "$BIN/goreleaser" ]; then
	echo "installing goreleaser $VERSION into $BIN (once; it compiles from source)..." >&2
	GOBIN="$BIN" go install "github.com/goreleaser/goreleaser/v2@$VERSION"
fi
"$BIN/goreleaser" check
