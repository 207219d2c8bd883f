package plugin

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the plugin file parser: it must never panic, and whatever
// it accepts must validate, mask and encode without panicking and parse again after encoding.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fullFile))
	f.Add([]byte(simulationFile))
	f.Add([]byte("name: a\nspec: s\nmode: mock\n"))
	f.Add([]byte("comparison:\n  tolerance: {default: 0.1, \"$.a\": 1}\n"))
	f.Add([]byte("timeout: 1e400\n"))
	f.Add([]byte("timeout: -5\nretry_count: 99999999999999999999\n"))
	f.Add([]byte("auth: {auth_type: custom, credentials: {header.X: \"${A\"}}\n"))
	f.Add([]byte("&a [*a, *a]\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("upstream_proxy: http://u:${P}@proxy:3128\ntls: {ca_file: ${CA}, client_cert: c, client_key: \"-----BEGIN EC PRIVATE KEY-----\"}\n" +
		"endpoints: [{path: \"/u/{id}\", proxy_url: \"https://h/u/{id}?x=1\", tls: {insecure_skip_verify: true}}]\n" +
		"route_rules: [{pattern: /a, mode: proxy, percent: 12.5, key: X-User-Id}, {pattern: /b, mode: mock, weight: .nan}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		_ = p.Validate()
		m := p.Masked()
		out, err := Marshal(m)
		if err != nil {
			return
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("json: %v", err)
		}
		if _, err := Parse(out, "again.yaml"); err != nil {
			t.Fatalf("re-parse of encoded plugin failed: %v\n%s", err, out)
		}
	})
}

// FuzzResolveValue checks that expanding references never panics and that an error never
// contains the input (which may be a secret).
func FuzzResolveValue(f *testing.F) {
	for _, s := range []string{"${A}", "$${A}", "${", "x${A}y${B}", "$", "${1}", "${A}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		_, err := ResolveValue(v, func(k string) (string, bool) { return "val", k != "MISSING" })
		if err != nil && len(v) > 12 && strings.Contains(err.Error(), v) {
			t.Fatalf("error contains the value: %v", err)
		}
		_ = References(v)
	})
}
