package plugin

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEPluginExample: the plugin file README.md shows under "### Plugins" parses and
// validates, so copying it is a start that works.
func TestREADMEPluginExample(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "### Plugins")
	if !ok {
		t.Fatal(`README.md has no "### Plugins" section`)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(section)
	if m == nil {
		t.Fatal(`README.md's "### Plugins" section has no yaml block`)
	}
	p, err := Parse([]byte(m[1]), "README.md")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("the README's plugin does not validate: %v", err)
	}
	if p.Name != "shop" || p.Auth == nil || len(p.RouteRules) != 3 || p.Comparison.IsZero() {
		t.Errorf("parsed %+v", p)
	}
}
