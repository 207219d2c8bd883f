#!/usr/bin/env bash
# End-to-end check of `mockloop mcp` with a client that is not ours: the MCP inspector's CLI
# (Node >= 20). It builds mockloop, installs the pinned inspector CLI into mcp/node_modules,
# then over stdio: lists the tools, creates a plugin on the embedded example API, calls one of
# its operation tools, and lists the resources. Not part of `go test ./...`.
#
#   $ mcp/inspector.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "building mockloop" >&2
(cd "$root" && go build -o "$work/mockloop" ./cmd/mockloop)

if [ ! -x "$here/node_modules/.bin/mcp-inspector-cli" ]; then
	echo "installing @modelcontextprotocol/inspector-cli" >&2
	(cd "$here" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi) >&2
fi

# The inspector CLI 1.0.3 finds its own package.json as ../package.json from the working
# directory: run it from a directory below mcp/.
mkdir -p "$here/.run"
cd "$here/.run"
inspect() {
	node "$here/node_modules/@modelcontextprotocol/inspector-cli/build/index.js" \
		"$work/mockloop" mcp --plugins-dir "$work/plugins" "$@" 2>"$work/stderr"
}
expect() { # expect NAME PATTERN OUTPUT
	if ! grep -q -- "$2" <<<"$3"; then
		echo "FAIL: $1: output does not match $2" >&2
		echo "$3" >&2
		cat "$work/stderr" >&2
		exit 1
	fi
	echo "ok: $1" >&2
}

out="$(inspect --method tools/list)"
expect "tools/list has the fixed tools" '"name": "execute_test_plan"' "$out"

out="$(inspect --method tools/call --tool-name create_mcp_plugin --tool-arg plugin_name=shop)"
expect "create_mcp_plugin adds operation tools" 'shop_getBook' "$out"

out="$(inspect --method tools/list)"
expect "tools/list has the plugin's operation tools" '"name": "shop_getBook"' "$out"

out="$(inspect --method tools/call --tool-name shop_getBook --tool-arg 'path={"bookId":"9b2f6a52-3c1d-4e8a-9f0b-2d7c5e1a4b60"}')"
expect "operation tool answers from the mock" '"X-Mockloop-Mode": "mock"' "$out"
expect "operation tool returns the status" '"status": 200' "$out"

out="$(inspect --method resources/list)"
expect "resources/list has the plugin's spec" 'mockloop://plugins/shop/spec' "$out"

out="$(inspect --method tools/call --tool-name delete_plugin --tool-arg plugin_name=shop)"
expect "delete_plugin removes the tools" 'shop_getBook' "$out"

echo "PASS: mockloop mcp works with the MCP inspector CLI" >&2
