package yamldoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v4"
)

// jsonNumber matches the JSON number grammar: such YAML scalars are copied verbatim, so large
// integers stay exact.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// ToJSON re-encodes one YAML document as JSON: mapping keys become strings (`200:` is "200"),
// numbers keep their text when it is a JSON number (large integers stay exact), aliases are
// expanded within a budget (no "billion laughs"), and timestamps stay the strings they were
// written as. Infinities and NaN have no JSON form: they are an error naming the line.
func ToJSON(data []byte) ([]byte, error) {
	doc, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, errors.New("parse YAML: empty document")
	}
	var buf bytes.Buffer
	budget := maxYAMLNodes
	if err := writeYAMLNode(&buf, doc.Content[0], 0, &budget); err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// NodeToJSON is ToJSON for a node tree already parsed (a document node or a value): key
// order kept, the same rules for numbers, aliases and non-JSON values.
func NodeToJSON(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	budget := maxYAMLNodes
	if err := writeYAMLNode(&buf, n, 0, &budget); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxYAMLNodes bounds the values written for one YAML document, so aliases of aliases (the
// "billion laughs") cannot expand without end.
const maxYAMLNodes = 10_000_000

func writeYAMLNode(buf *bytes.Buffer, n *yaml.Node, depth int, budget *int) error {
	if depth > 1000 {
		return errors.New("nesting (or alias expansion) too deep")
	}
	if *budget--; *budget < 0 {
		return errors.New("document too large after alias expansion")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return writeYAMLNode(buf, n.Content[0], depth+1, budget)
	case yaml.AliasNode:
		if n.Alias == nil {
			return fmt.Errorf("line %d: unknown alias", n.Line)
		}
		return writeYAMLNode(buf, n.Alias, depth+1, budget)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeYAMLNode(buf, c, depth+1, budget); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			k := n.Content[i]
			for k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a mapping key must be a scalar for JSON", k.Line)
			}
			key, _ := json.Marshal(k.Value)
			buf.Write(key)
			buf.WriteByte(':')
			if err := writeYAMLNode(buf, n.Content[i+1], depth+1, budget); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	}
	// Scalar.
	switch n.ShortTag() {
	case "!!null":
		buf.WriteString("null")
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return err
		}
		buf.WriteString(strconv.FormatBool(v))
	case "!!int", "!!float":
		if jsonNumber.MatchString(n.Value) {
			buf.WriteString(n.Value)
			return nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		if fv, ok := v.(float64); ok && (math.IsInf(fv, 0) || math.IsNaN(fv)) {
			return fmt.Errorf("line %d: %s is not a JSON number", n.Line, n.Value)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		buf.Write(b)
	default:
		b, _ := json.Marshal(n.Value)
		buf.Write(b)
	}
	return nil
}
