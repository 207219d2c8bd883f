package overlay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"go.yaml.in/yaml/v4"

	"github.com/mockloop/mockloop/internal/yamldoc"
)

// Document is a JSON or YAML document as a node tree, to apply overlays to and write back in
// the syntax and layout it came in: JSON stays JSON (with its indentation, or compact),
// YAML stays YAML (with its indentation, its sequence style and its comments, as far as
// yaml/v4 keeps them).
type Document struct {
	// Root is the document node.
	Root *yaml.Node
	// JSON is set when the source was JSON.
	JSON bool

	indent     string // JSON: the indentation unit ("" for compact); YAML: unused
	yamlIndent int
	compactSeq bool // YAML: "- " at the indentation of its key
}

// ParseDocument parses data (JSON or YAML) into a Document.
func ParseDocument(data []byte) (*Document, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if root, err := parseJSON(trimmed); err == nil {
			return &Document{Root: root, JSON: true, indent: jsonIndent(data)}, nil
		}
		// Not JSON after all: a YAML flow mapping, or broken.
	}
	root, err := yamldoc.Parse(data)
	if err != nil {
		return nil, err
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, fmt.Errorf("empty document")
	}
	d := &Document{Root: root}
	d.yamlIndent, d.compactSeq = yamlLayout(data)
	return d, nil
}

var (
	jsonIndentRE = regexp.MustCompile(`\n([ \t]+)"`)
	yamlIndentRE = regexp.MustCompile(`(?m)^[^\s#-][^:#\n]*:[ \t]*(?:#.*)?\n((?:[ \t]*#.*\n|[ \t]*\n)*)( *)(- )?`)
	yamlSeqRE    = regexp.MustCompile(`(?m)^( *)[^\s#-][^:#\n]*:[ \t]*\n( *)- `)
)

// jsonIndent is the indentation of the first indented member: "" for compact JSON.
func jsonIndent(data []byte) string {
	if m := jsonIndentRE.FindSubmatch(data); m != nil {
		return string(m[1])
	}
	return ""
}

// yamlLayout reads the indentation of the first nested block and whether sequences under a key
// start at the key's own column ("key:\n- a").
func yamlLayout(data []byte) (indent int, compactSeq bool) {
	indent = 2
	m := yamlIndentRE.FindSubmatch(data)
	if m == nil {
		return indent, false
	}
	if n := len(m[2]); n >= 2 && n <= 8 {
		indent = n
	}
	if len(m[2]) == 0 && len(m[3]) > 0 {
		return indent, true
	}
	// The first block may be a mapping: look for a sequence under a key elsewhere.
	if s := yamlSeqRE.FindSubmatch(data); s != nil {
		return indent, len(s[1]) == len(s[2])
	}
	return indent, false
}

// Apply applies overlays in order (each named by the source at the same index in sources).
func (d *Document) Apply(overlays []*Overlay, sources []string) ([]Result, error) {
	results := make([]Result, 0, len(overlays))
	for i, o := range overlays {
		src := ""
		if i < len(sources) {
			src = sources[i]
		}
		r, err := o.Apply(d.Root, src)
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

// Bytes writes the document back in its syntax and layout.
func (d *Document) Bytes() ([]byte, error) {
	if d.JSON {
		compact, err := yamldoc.NodeToJSON(d.Root)
		if err != nil {
			return nil, err
		}
		if d.indent == "" {
			return compact, nil
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, compact, "", d.indent); err != nil {
			return nil, err
		}
		buf.WriteByte('\n')
		return buf.Bytes(), nil
	}
	var buf bytes.Buffer
	enc, err := yaml.NewDumper(&buf, yaml.WithV3Defaults(), yaml.WithIndent(d.yamlIndent),
		yaml.WithCompactSeqIndent(d.compactSeq), yaml.WithLineWidth(-1))
	if err != nil {
		return nil, err
	}
	if err := enc.Dump(d.Root); err != nil {
		return nil, fmt.Errorf("encode yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
