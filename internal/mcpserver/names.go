package mcpserver

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/mockloop/mockloop/internal/spec"
)

// maxToolName is the longest tool name we emit. MCP allows 128 characters, but widely used
// clients reject names longer than 64 or outside [a-zA-Z0-9_-], so names stay within both.
const maxToolName = 64

// sanitizeName maps s onto [a-zA-Z0-9_-]: every other rune becomes '_', runs of '_' collapse,
// and '_' is trimmed at both ends.
func sanitizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	lastUnderscore := false
	for _, r := range s {
		ok := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-'
		if ok {
			b.WriteRune(r)
			lastUnderscore = false
			continue
		}
		if !lastUnderscore {
			b.WriteByte('_')
			lastUnderscore = true
		}
	}
	return strings.Trim(b.String(), "_")
}

// operationSlug is the part of a tool name that names the operation: its operationId, or
// "<method>_<path segments>" when it has none (GET /pets/{petId} → get_pets_petId).
func operationSlug(op *spec.Operation) string {
	if s := sanitizeName(op.ID); s != "" {
		return s
	}
	s := sanitizeName(strings.ToLower(op.Method) + "_" + op.Path)
	if s == "" {
		return strings.ToLower(op.Method)
	}
	return s
}

// shorten fits name into maxToolName characters. A name that is too long keeps its start and
// gets a hash of the whole name, so two long names that share a prefix stay distinct and a
// name is the same on every run.
func shorten(name string) string {
	if len(name) <= maxToolName {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	suffix := fmt.Sprintf("_%08x", h.Sum32())
	return strings.TrimRight(name[:maxToolName-len(suffix)], "_-") + suffix
}

// toolName is "<plugin>_<operation slug>", sanitised and shortened.
func toolName(pluginName string, op *spec.Operation) string {
	return shorten(sanitizeName(pluginName) + "_" + operationSlug(op))
}

// uniqueName returns name, or name with the smallest suffix _2, _3, ... that taken does not
// hold. Callers visit operations in a fixed order, so the result is deterministic.
func uniqueName(name string, taken func(string) bool) string {
	if !taken(name) {
		return name
	}
	for i := 2; ; i++ {
		suffix := fmt.Sprintf("_%d", i)
		base := name
		if len(base)+len(suffix) > maxToolName {
			base = base[:maxToolName-len(suffix)]
		}
		if c := base + suffix; !taken(c) {
			return c
		}
	}
}
