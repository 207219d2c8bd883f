package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"go.yaml.in/yaml/v4"
)

// Duration is a time.Duration written in files as a Go duration string ("30s", "1m30s").
// A bare number is read as seconds.
type Duration struct {
	time.Duration
}

// IsZero reports whether d is zero (so it is left out of files).
func (d Duration) IsZero() bool { return d.Duration == 0 }

// String is the Go duration string.
func (d Duration) String() string { return d.Duration.String() }

// MarshalYAML writes d as a duration string.
func (d Duration) MarshalYAML() (any, error) { return d.Duration.String(), nil }

// UnmarshalYAML reads a duration string or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration like \"30s\"", n.Line)
	}
	v, err := parseDuration(n.Value, n.Tag == "!!int" || n.Tag == "!!float")
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	numeric := len(b) > 0 && b[0] != '"'
	if numeric {
		s = string(b)
	} else if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration like \"30s\": %w", err)
	}
	v, err := parseDuration(s, numeric)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// ParseDuration reads a Go duration string, or a bare number as seconds; negative is an error.
func ParseDuration(s string) (Duration, error) {
	_, ferr := strconv.ParseFloat(s, 64)
	v, err := parseDuration(s, ferr == nil)
	return Duration{v}, err
}

func parseDuration(s string, numeric bool) (time.Duration, error) {
	var v time.Duration
	if numeric {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > float64(math.MaxInt64/int64(time.Second)) {
			return 0, fmt.Errorf("invalid duration %q: want a duration like \"30s\"", s)
		}
		v = time.Duration(f * float64(time.Second))
	} else {
		var err error
		v, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: want a duration like \"30s\"", s)
		}
	}
	if v < 0 {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	return v, nil
}

// Tolerance is the relative tolerance for numbers: a single number (`tolerance: 0.1`) or a map
// with an optional "default" and per-JSONPath values (`tolerance: {default: 0.1, "$.price": 0}`).
type Tolerance struct {
	Default float64
	Paths   map[string]float64
}

// IsZero reports whether t is exact everywhere with no per-path entries.
func (t Tolerance) IsZero() bool { return t.Default == 0 && len(t.Paths) == 0 }

// For returns the tolerance for a JSONPath: its own entry, else the default.
func (t Tolerance) For(path string) float64 {
	if v, ok := t.Paths[path]; ok {
		return v
	}
	return t.Default
}

// asMap is the map form, with "default" when it is non-zero.
func (t Tolerance) asMap() map[string]float64 {
	m := make(map[string]float64, len(t.Paths)+1)
	maps.Copy(m, t.Paths)
	if t.Default != 0 {
		m["default"] = t.Default
	}
	return m
}

// MarshalYAML writes a number when there are no per-path entries, else a map.
func (t Tolerance) MarshalYAML() (any, error) {
	if len(t.Paths) == 0 {
		return t.Default, nil
	}
	// A node keeps the keys in a stable order: default first, then paths sorted.
	n := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v float64) {
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: k},
			&yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(v, 'g', -1, 64)})
	}
	if t.Default != 0 {
		add("default", t.Default)
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
		*t = Tolerance{Default: f}
		return nil
	case yaml.MappingNode:
		var m map[string]float64
		if err := n.Decode(&m); err != nil {
			return fmt.Errorf("line %d: tolerance: want a number or a map of numbers", n.Line)
		}
		*t = fromMap(m)
		return nil
	}
	return fmt.Errorf("line %d: tolerance: want a number or a map of numbers", n.Line)
}

// MarshalJSON writes a number when there are no per-path entries, else an object.
func (t Tolerance) MarshalJSON() ([]byte, error) {
	if len(t.Paths) == 0 {
		return json.Marshal(t.Default)
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
		*t = fromMap(m)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New("tolerance: want a number or an object of numbers")
	}
	*t = Tolerance{Default: f}
	return nil
}

func fromMap(m map[string]float64) Tolerance {
	var t Tolerance
	for k, v := range m {
		if k == "default" {
			t.Default = v
			continue
		}
		if t.Paths == nil {
			t.Paths = make(map[string]float64, len(m))
		}
		t.Paths[k] = v
	}
	return t
}
