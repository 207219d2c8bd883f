"""Writes .golangci.yml: the depguard rules that hold the import arrows of docs/architecture.md.

Run it from anywhere after changing the tables: python3 scripts/lintrules.py
"""
import os


arrows = {
 "golden": "",
 "loopback": "",
 "cli": "*",
 "mcpserver": "compare plugin spec stack testrun upstream redact problem",
 "render": "compare examples noise testrun problem",
 "noise": "compare testrun",
 "shadow": "compare mock redact server spec testrun",
 "examples": "atomicfile mock overlay problem record spec",
 "testrun": "compare latency mock plugin problem record redact server spec stack upstream yamldoc",
 "stack": "mock override plugin problem record redact route server simulate spec state upstream",
 "simulate": "mock plugin problem route server spec",
 "override": "mock plugin problem server spec",
 "state": "mock problem server spec",
 "record": "atomicfile compare mock redact server spec",
 "server": "latency plugin problem redact route spec",
 "upstream": "envref plugin problem redact route spec",
 "route": "plugin spec",
 "mock": "jsonvalue problem spec",
 "plugin": "atomicfile compare envref problem redact yamldoc",
 "spec": "atomicfile iostreams overlay problem redact yamldoc",
 "overlay": "yamldoc",
 "compare": "yamldoc",
 "demo": "",
 "atomicfile": "",
 "envref": "", "iostreams": "", "jsonvalue": "", "latency": "", "problem": "", "redact": "", "yamldoc": "", 
}
third = [
 ("github.com/spf13/cobra", ["cli"], "Cobra is the command line: internal/cli only"),
 ("github.com/spf13/pflag", ["cli"], "flags are the command line's: internal/cli only"),
 ("github.com/schollz/progressbar", ["cli"], "the progress bar is the command line's: internal/cli only"),
 ("github.com/getkin/kin-openapi", ["spec", "mock"], "kin-openapi stays where the spec is loaded, validated and answered: internal/spec and internal/mock"),
 ("github.com/fatih/color", ["render"], "colour is decided at the edge and drawn by internal/render only"),
 ("github.com/olekukonko/tablewriter", ["render"], "tables are drawn by internal/render only"),
 ("github.com/yalp/jsonpath", ["compare"], "JSONPath is wrapped in one file of internal/compare"),
 ("github.com/theory/jsonpath", ["overlay"], "RFC 9535 JSONPath (Overlay targets) is internal/overlay's"),
 ("github.com/expr-lang/expr", ["route"], "rule conditions are compiled by internal/route only"),
 ("github.com/modelcontextprotocol/go-sdk", ["mcpserver", "cli"], "the MCP SDK belongs to internal/mcpserver (and the CLI's transport)"),
 ("golang.org/x/oauth2", ["upstream"], "token requests are internal/upstream's"),
 ("github.com/prometheus/client_golang", ["server"], "the Prometheus encoding of the server's metrics lives in internal/server"),
 ("github.com/fsnotify/fsnotify", ["cli"], "watching files for serve --watch is the command's"),
 ("go.yaml.in/yaml/v3", [], "one YAML library: go.yaml.in/yaml/v4"),
 ("gopkg.in/yaml.v3", [], "one YAML library: go.yaml.in/yaml/v4"),
 ("gopkg.in/yaml.v2", [], "one YAML library: go.yaml.in/yaml/v4"),
]
mod = "github.com/mockloop/mockloop/internal/"
out = ['# Linters of the house (golangci-lint v2). The depguard rules are the import arrows of',
       '# docs/architecture.md: a package that imports against them fails the build (.ci/run).',
       'version: "2"', 'run:', '  tests: true', 'linters:', '  default: none', '  enable:', '    - depguard', '  settings:', '    depguard:', '      rules:']
for pkg, allowed in arrows.items():
    if allowed == "*":
        continue
    allow = set(allowed.split())
    deny = [p for p in arrows if p != pkg and p not in allow]
    out += [f'        {pkg}:', '          list-mode: lax', '          files:', f'            - "**/internal/{pkg}/*.go"', '            - "!$test"', '          deny:']
    for d in sorted(deny):
        out += [f'            - pkg: {mod}{d}$', f'              desc: "internal/{pkg} may import only: {allowed or "no internal package"} (docs/architecture.md)"']
for lib, owners, desc in third:
    name = "only-" + lib.split("/")[-1].replace(".", "-")
    if lib == "github.com/theory/jsonpath":
        name = "only-rfc9535-jsonpath"
    files = ['            - "$all"', '            - "!$test"'] + [f'            - "!**/internal/{o}/*.go"' for o in owners]
    out += [f'        {name}:', '          list-mode: lax', '          files:'] + files + ['          deny:', f'            - pkg: {lib}', f'              desc: "{desc}"']
for helper in ["golden", "loopback"]:
    out += [f'        {helper}-in-tests-only:', '          list-mode: lax', '          files:', '            - "$all"', '            - "!$test"', '          deny:', f'            - pkg: {mod}{helper}$', f'              desc: "internal/{helper} is a test helper"']
out += ['        no-httptest-in-code:', '          list-mode: lax', '          files:', '            - "!$test"', '          deny:', '            - pkg: net/http/httptest', '              desc: "httptest is for tests (it registers a flag)"']
out += ['  exclusions:', '    generated: lax', '    paths:', '      - bench/']
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '.golangci.yml'), 'w').write("\n".join(out)+"\n")
