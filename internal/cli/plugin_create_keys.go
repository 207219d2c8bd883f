package cli

import (
	"path/filepath"
	"strings"

	"github.com/mockloop/mockloop/internal/plugin"
)

// The flags of plugin create for the plugin keys of mcp, overlays and recordings: --mcp-tools,
// --overlay, --replay and --redact. Each given flag replaces the --from-file plugin's value.

// mcpToolModes are the values of --mcp-tools, for completion.
func mcpToolModes() []string {
	out := make([]string, len(plugin.MCPToolModes))
	for i, m := range plugin.MCPToolModes {
		out[i] = string(m)
	}
	return out
}

// applyRecordingFlags sets the keys the flags give. A bad value is a usage error naming the
// flag; the rest (a redact field's grammar, an overlay that does not apply, a directory
// without recordings) is found by Validate, the spec load and stack.Check, before anything is
// written.
func applyRecordingFlags(p *plugin.Plugin, opts *pluginCreateOptions) error {
	if opts.Set["mcp-tools"] {
		m, err := plugin.ParseMCPTools(opts.MCPTools)
		if err != nil {
			return usageErrorf("--mcp-tools: %v", err)
		}
		p.MCPTools = m
	}
	if opts.Set["overlay"] {
		overlays := make([]string, 0, len(opts.Overlays))
		for i, o := range opts.Overlays {
			o = strings.TrimSpace(o)
			switch {
			case o == "":
				return usageErrorf("--overlay #%d: empty: name an Overlay file", i+1)
			case o == "-":
				return usageErrorf("--overlay -: a plugin cannot read an overlay from stdin; save it to a file")
			}
			abs, err := absLocal(o)
			if err != nil {
				return usageErrorf("--overlay %q: %v", o, err)
			}
			overlays = append(overlays, abs)
		}
		p.Overlays = overlays
	}
	for i, o := range p.Overlays {
		if strings.TrimSpace(o) == "-" {
			return usageErrorf("overlays[%d]: a plugin cannot read an overlay from stdin; save it to a file", i)
		}
	}
	if opts.Set["replay"] {
		dir := strings.TrimSpace(opts.Replay)
		if dir == "" {
			return usageErrorf("--replay: empty: name a directory of recordings")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return usageErrorf("--replay %q: %v", dir, err)
		}
		p.Replay = abs
	}
	if opts.Set["redact"] {
		fields := make([]string, 0, len(opts.Redact))
		for i, f := range opts.Redact {
			if f = strings.TrimSpace(f); f == "" {
				return usageErrorf("--redact #%d: empty: name a body field", i+1)
			}
			fields = append(fields, f)
		}
		p.Redact = fields
	}
	return nil
}

// absLocal makes a local path absolute; URLs are kept as they are.
func absLocal(s string) (string, error) {
	if !isLocalPath(s) || filepath.IsAbs(s) {
		return s, nil
	}
	return filepath.Abs(s)
}

// fromFilePaths makes the --from-file plugin's relative overlay and replay paths relative to
// the file, as its spec is, and absolute.
func fromFilePaths(p *plugin.Plugin, dir string) {
	abs := func(s string) string {
		if filepath.IsAbs(s) {
			return s
		}
		if a, err := filepath.Abs(filepath.Join(dir, s)); err == nil {
			return a
		}
		return filepath.Join(dir, s)
	}
	for i, o := range p.Overlays {
		if strings.TrimSpace(o) != "" && o != "-" && isLocalPath(o) {
			p.Overlays[i] = abs(o)
		}
	}
	if strings.TrimSpace(p.Replay) != "" {
		p.Replay = abs(p.Replay)
	}
}
