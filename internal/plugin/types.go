package plugin

import (
	"encoding/json"
	"fmt"
	"math"
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
