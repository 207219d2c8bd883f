package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/mockloop/mockloop/internal/yamldoc"
)

// Config is the comparison settings as users write them: a plugin's `comparison:` block, a
// --config file, a test plan's or a case's `comparison:`, the command-line flags, an MCP
// tool's comparison_config. Layers of it are combined with Merge; Compile turns the result
// into a Comparer.
//
// The booleans and the default tolerance are pointers so that a layer can say "false" or "0"
// and win over a lower layer that said otherwise; nil means the layer does not set them.
type Config struct {
	// IgnoreFields: a bare name ignores that object key at any depth; a string starting with
	// "$" is a JSONPath (yalp/jsonpath syntax) that ignores exactly the locations it selects.
	IgnoreFields []string `yaml:"ignore_fields,omitempty" json:"ignore_fields,omitempty" jsonschema:"field names (any depth) or JSONPaths such as $.data[*].id to ignore"`
	// Tolerance is the relative tolerance for numbers: equal when |a-b| <= t * max(|a|,|b|).
	Tolerance Tolerance `yaml:"tolerance,omitempty" json:"tolerance,omitzero" jsonschema:"relative numeric tolerance: a number (0.1 = 10%) or {\"default\": 0.1, \"$.price\": 0}"`
	// StrictArrays compares arrays element by element; false (the default) as multisets.
	StrictArrays *bool `yaml:"strict_arrays,omitempty" json:"strict_arrays,omitempty" jsonschema:"compare arrays element by element (default: order ignored)"`
	// CompareHeaders says which response headers are compared (see HeaderMode): true is
	// Content-Type and the headers the spec declares for the response, all is every header
	// but the per-response ones; unset or false compares only IncludeHeaders.
	CompareHeaders HeaderMode `yaml:"compare_headers,omitempty" json:"compare_headers,omitempty" jsonschema:"true: Content-Type and the headers the spec declares; all: every header but per-response ones (Date, Server, tracing ids); false: none"`
	// IncludeHeaders are more header names to compare (case-insensitive), whatever
	// CompareHeaders says.
	IncludeHeaders []string `yaml:"include_headers,omitempty" json:"include_headers,omitempty" jsonschema:"more headers to compare"`
	// IgnoreHeaders are more header names to leave out (case-insensitive); they win over
	// every other header setting.
	IgnoreHeaders []string `yaml:"ignore_headers,omitempty" json:"ignore_headers,omitempty" jsonschema:"headers left out of the comparison"`
	// ArrayKeys matches the elements of the arrays a path (bare name or JSONPath) selects by
	// the value of a key field, e.g. {"$.items": "id"}, in either array mode.
	ArrayKeys map[string]string `yaml:"array_keys,omitempty" json:"array_keys,omitempty" jsonschema:"match array elements by a key: {\"$.items\": \"id\"}"`
	// UnorderedArrays are arrays (bare names or JSONPaths) compared as multisets even with
	// StrictArrays: their order is noise.
	UnorderedArrays []string `yaml:"unordered_arrays,omitempty" json:"unordered_arrays,omitempty" jsonschema:"arrays whose order is ignored even with strict_arrays"`
	// IgnoreAbsence are locations (bare names or JSONPaths) that may be absent on either
	// side: a value there is compared when both sides have one, and a missing or extra one is
	// not a difference.
	IgnoreAbsence []string `yaml:"ignore_absence,omitempty" json:"ignore_absence,omitempty" jsonschema:"fields that may be absent on either side: compared only when both have them"`
}

// HeaderMode is compare_headers: which response headers a comparison looks at. The zero value
// means the layer does not say. In files it is a boolean or "all".
type HeaderMode string

// Header modes.
const (
	// HeadersOff compares no header but Config.IncludeHeaders (also what no setting means).
	HeadersOff HeaderMode = "false"
	// HeadersDeclared compares Content-Type (media type and normalised parameters) and the
	// headers the spec declares for the response (Response.Declared); a declared header that
	// differs by nature on every response (Date, X-Request-Id) is compared for presence only.
	HeadersDeclared HeaderMode = "true"
	// HeadersAll compares every header but the hop-by-hop and per-response ones (Date, Server,
	// Content-Length, Set-Cookie, caching validators, tracing ids) and X-Mockloop-*.
	HeadersAll HeaderMode = "all"
)

// ParseHeaderMode reads true, false or all (case-insensitive; yes/no and on/off too).
func ParseHeaderMode(s string) (HeaderMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "declared":
		return HeadersDeclared, nil
	case "false", "no", "off", "none":
		return HeadersOff, nil
	case "all":
		return HeadersAll, nil
	}
	return "", fmt.Errorf("compare_headers: %q: want true, false or all", s)
}

// MarshalYAML writes true and false as booleans, all as a string.
func (h HeaderMode) MarshalYAML() (any, error) {
	switch h {
	case HeadersDeclared:
		return true, nil
	case HeadersOff:
		return false, nil
	}
	return string(h), nil
}

// UnmarshalYAML reads a boolean or "all".
func (h *HeaderMode) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: compare_headers: want true, false or all", n.Line)
	}
	m, err := ParseHeaderMode(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*h = m
	return nil
}

// MarshalJSON writes true and false as booleans, all as a string.
func (h HeaderMode) MarshalJSON() ([]byte, error) {
	switch h {
	case HeadersDeclared:
		return []byte("true"), nil
	case HeadersOff:
		return []byte("false"), nil
	case "":
		return []byte("null"), nil
	}
	return json.Marshal(string(h))
}

// UnmarshalJSON reads a boolean or a string ParseHeaderMode accepts.
func (h *HeaderMode) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("compare_headers: want true, false or \"all\"")
	}
	switch v := v.(type) {
	case nil:
		return nil // null: this layer does not say
	case bool:
		*h = HeadersOff
		if v {
			*h = HeadersDeclared
		}
		return nil
	case string:
		m, err := ParseHeaderMode(v)
		if err != nil {
			return err
		}
		*h = m
		return nil
	}
	return errors.New("compare_headers: want true, false or \"all\"")
}

// Bool returns a pointer to b, for the Config fields that a layer may leave unset.
func Bool(b bool) *bool { return &b }

// Number returns a pointer to f, for Tolerance.Default.
func Number(f float64) *float64 { return &f }

// IsZero reports whether c sets nothing (so it is left out of files).
func (c Config) IsZero() bool {
	return len(c.IgnoreFields) == 0 && c.Tolerance.IsZero() && c.StrictArrays == nil &&
		c.CompareHeaders == "" && len(c.IncludeHeaders) == 0 && len(c.IgnoreHeaders) == 0 &&
		len(c.ArrayKeys) == 0 && len(c.UnorderedArrays) == 0 && len(c.IgnoreAbsence) == 0
}

// Merge layers configurations, later layers winning: lists (ignore_fields, include_headers,
// ignore_headers, unordered_arrays, ignore_absence) are unions in order, maps (per-path
// tolerances, array_keys) merge key by key, and a value a layer sets (a boolean, the header
// mode, the default tolerance) replaces what an earlier layer set, false and 0 included. This
// is the one precedence rule: plugin < plan < case < flags.
func Merge(layers ...Config) Config {
	var out Config
	for _, l := range layers {
		out.IgnoreFields = appendNew(out.IgnoreFields, l.IgnoreFields)
		out.IncludeHeaders = appendNew(out.IncludeHeaders, l.IncludeHeaders)
		out.IgnoreHeaders = appendNew(out.IgnoreHeaders, l.IgnoreHeaders)
		out.UnorderedArrays = appendNew(out.UnorderedArrays, l.UnorderedArrays)
		out.IgnoreAbsence = appendNew(out.IgnoreAbsence, l.IgnoreAbsence)
		if l.Tolerance.Default != nil {
			out.Tolerance.Default = Number(*l.Tolerance.Default)
		}
		for k, v := range l.Tolerance.Paths {
			out.Tolerance.Paths = setKey(out.Tolerance.Paths, k, v)
		}
		for k, v := range l.ArrayKeys {
			out.ArrayKeys = setKey(out.ArrayKeys, k, v)
		}
		if l.StrictArrays != nil {
			out.StrictArrays = Bool(*l.StrictArrays)
		}
		if l.CompareHeaders != "" {
			out.CompareHeaders = l.CompareHeaders
		}
	}
	return out
}

func appendNew(dst, src []string) []string {
	for _, s := range src {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

func setKey[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}

// Validate reports every value that cannot be used, in one error: empty ignore_fields
// entries, negative or non-finite tolerances, empty array key fields. Patterns are checked
// by Compile.
func (c Config) Validate() error {
	var probs []string
	for _, list := range []struct {
		name string
		v    []string
	}{{"ignore_fields", c.IgnoreFields}, {"include_headers", c.IncludeHeaders}, {"ignore_headers", c.IgnoreHeaders},
		{"unordered_arrays", c.UnorderedArrays}, {"ignore_absence", c.IgnoreAbsence}} {
		for i, f := range list.v {
			if strings.TrimSpace(f) == "" {
				probs = append(probs, fmt.Sprintf("%s[%d] is empty", list.name, i))
			}
		}
	}
	switch c.CompareHeaders {
	case "", HeadersOff, HeadersDeclared, HeadersAll:
	default:
		probs = append(probs, fmt.Sprintf("compare_headers: %q: want true, false or all", string(c.CompareHeaders)))
	}
	check := func(name string, v float64) {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			probs = append(probs, fmt.Sprintf("tolerance %s: %v must be a number >= 0", name, v))
		}
	}
	if c.Tolerance.Default != nil {
		check("default", *c.Tolerance.Default)
	}
	for _, k := range sortedKeys(c.Tolerance.Paths) {
		check(strconv.Quote(k), c.Tolerance.Paths[k])
	}
	for _, k := range sortedKeys(c.ArrayKeys) {
		if strings.TrimSpace(c.ArrayKeys[k]) == "" {
			probs = append(probs, fmt.Sprintf("array_keys %q: key field is empty", k))
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return errors.New(strings.Join(probs, "; "))
}

// ParseConfig decodes a comparison file (the keys of a plugin's comparison block) strictly,
// for `--config comparison.yaml`. Errors name source, key and line.
func ParseConfig(data []byte, source string) (Config, error) {
	var c Config
	if err := yamldoc.DecodeStrict(data, &c); err != nil {
		return Config{}, fmt.Errorf("parse comparison %q: %w", source, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("parse comparison %q: %w", source, err)
	}
	return c, nil
}

// ParseTolerance reads the command-line form of a tolerance: "0.1" sets the default,
// "PATH=0.1" the tolerance at a path (a bare name or a JSONPath).
func ParseTolerance(s string) (Tolerance, error) {
	path, num, hasPath := strings.Cut(s, "=")
	if !hasPath {
		num = path
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return Tolerance{}, fmt.Errorf("%q: want a number >= 0, or PATH=NUMBER", s)
	}
	if !hasPath {
		return Tolerance{Default: &v}, nil
	}
	path = strings.TrimSpace(path)
	if path == "" {
		return Tolerance{}, fmt.Errorf("%q: empty path before =", s)
	}
	return Tolerance{Paths: map[string]float64{path: v}}, nil
}

// ParseArrayKey reads the command-line form of an array key: "PATH=FIELD".
func ParseArrayKey(s string) (path, field string, err error) {
	path, field, ok := strings.Cut(s, "=")
	path, field = strings.TrimSpace(path), strings.TrimSpace(field)
	if !ok || path == "" || field == "" {
		return "", "", fmt.Errorf("%q: want PATH=FIELD", s)
	}
	return path, field, nil
}

// Tolerance is the relative tolerance for numbers: a single number (`tolerance: 0.1`) or a map
// with an optional "default" and per-path values (`tolerance: {default: 0.1, "$.price": 0}`).
type Tolerance struct {
	// Default applies where no path entry does; nil when this layer does not set it.
	Default *float64
	// Paths are per-path tolerances, keyed by bare name or JSONPath; when several match a
	// place, the smallest wins.
	Paths map[string]float64
}

// IsZero reports whether t sets nothing.
func (t Tolerance) IsZero() bool { return t.Default == nil && len(t.Paths) == 0 }

// DefaultValue is the default tolerance, 0 (exact) when unset.
func (t Tolerance) DefaultValue() float64 {
	if t.Default == nil {
		return 0
	}
	return *t.Default
}

// asMap is the map form, with "default" when it is set.
func (t Tolerance) asMap() map[string]float64 {
	m := make(map[string]float64, len(t.Paths)+1)
	maps.Copy(m, t.Paths)
	if t.Default != nil {
		m["default"] = *t.Default
	}
	return m
}

// MarshalYAML writes a number when there are no per-path entries, else a map.
func (t Tolerance) MarshalYAML() (any, error) {
	if len(t.Paths) == 0 {
		return t.DefaultValue(), nil
	}
	// A node keeps the keys in a stable order: default first, then paths sorted.
	n := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v float64) {
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: k},
			&yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(v, 'g', -1, 64)})
	}
	if t.Default != nil {
		add("default", *t.Default)
	}
	for _, k := range slices.Sorted(maps.Keys(t.Paths)) {
		add(k, t.Paths[k])
	}
	return n, nil
}

// UnmarshalYAML reads a number or a map of numbers.
func (t *Tolerance) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		var f float64
		if err := n.Decode(&f); err != nil {
			return fmt.Errorf("line %d: tolerance: want a number or a map of numbers", n.Line)
		}
		*t = Tolerance{Default: &f}
		return nil
	case yaml.MappingNode:
		var m map[string]float64
		if err := n.Decode(&m); err != nil {
			return fmt.Errorf("line %d: tolerance: want a number or a map of numbers", n.Line)
		}
		*t = toleranceFromMap(m)
		return nil
	}
	return fmt.Errorf("line %d: tolerance: want a number or a map of numbers", n.Line)
}

// MarshalJSON writes a number when there are no per-path entries, else an object.
func (t Tolerance) MarshalJSON() ([]byte, error) {
	if len(t.Paths) == 0 {
		return json.Marshal(t.DefaultValue())
	}
	return json.Marshal(t.asMap())
}

// UnmarshalJSON reads a number or an object of numbers.
func (t *Tolerance) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var m map[string]float64
		if err := json.Unmarshal(b, &m); err != nil {
			return errors.New("tolerance: want a number or an object of numbers")
		}
		*t = toleranceFromMap(m)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New("tolerance: want a number or an object of numbers")
	}
	*t = Tolerance{Default: &f}
	return nil
}

func toleranceFromMap(m map[string]float64) Tolerance {
	var t Tolerance
	for k, v := range m {
		if k == "default" {
			t.Default = Number(v)
			continue
		}
		t.Paths = setKey(t.Paths, k, v)
	}
	return t
}
