package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/plugin"
)

// comparisonFlags are the comparison options a command takes on its command line (`diff`,
// `test run`): the flags of a plugin's comparison block, plus --config for a file of them.
type comparisonFlags struct {
	Config         string
	IgnoreFields   []string
	Tolerance      []string // "0.1" (default) or "PATH=0.1"
	StrictArrays   bool
	CompareHeaders bool
	IgnoreHeaders  []string
	ArrayKeys      []string // "PATH=FIELD"
}

// addComparisonFlags binds the comparison flags to f.
func addComparisonFlags(cmd *cobra.Command, f *comparisonFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.Config, "config", "", "comparison options file (YAML, the keys of a plugin's comparison block)")
	fl.StringArrayVar(&f.IgnoreFields, "ignore-field", nil, "ignore a field: a bare name at any depth, or a JSONPath such as '$.data[*].id' (repeatable)")
	fl.StringArrayVar(&f.Tolerance, "tolerance", nil, "relative tolerance for numbers, e.g. 0.1, or per path: '$.price=0' (repeatable)")
	fl.BoolVar(&f.StrictArrays, "strict-arrays", false, "compare arrays element by element instead of ignoring order")
	fl.BoolVar(&f.CompareHeaders, "compare-headers", false, "compare response headers too (volatile ones such as Date are skipped)")
	fl.StringArrayVar(&f.IgnoreHeaders, "ignore-header", nil, "header to leave out when comparing headers (repeatable)")
	fl.StringArrayVar(&f.ArrayKeys, "array-key", nil, "match the elements of an array by a key field: 'PATH=FIELD', e.g. '$.items=id' (repeatable)")
}

// comparison is the comparison layer the flags describe: the --config file, then the flags
// given on the command line (set reports which), which win.
func (f comparisonFlags) comparison(set func(name string) bool) (plugin.Comparison, error) {
	return f.apply(plugin.Comparison{}, set)
}

// apply layers the --config file over base, then the command-line flags over both: lists are
// appended, maps merged key by key, and a flag given on the command line replaces the value.
func (f comparisonFlags) apply(base plugin.Comparison, set func(name string) bool) (plugin.Comparison, error) {
	c := cloneComparison(base)
	if f.Config != "" {
		data, err := os.ReadFile(f.Config)
		if err != nil {
			return c, usageErrorf("--config: %v", err)
		}
		cfg, err := plugin.ParseComparison(data, f.Config)
		if err != nil {
			return c, &ExitError{Code: ExitTrouble, Err: err}
		}
		c.IgnoreFields = append(c.IgnoreFields, cfg.IgnoreFields...)
		c.IgnoreHeaders = append(c.IgnoreHeaders, cfg.IgnoreHeaders...)
		if cfg.Tolerance.Default != 0 {
			c.Tolerance.Default = cfg.Tolerance.Default
		}
		for k, v := range cfg.Tolerance.Paths {
			c.Tolerance.Paths = setMap(c.Tolerance.Paths, k, v)
		}
		for k, v := range cfg.ArrayKeys {
			c.ArrayKeys = setMap(c.ArrayKeys, k, v)
		}
		c.StrictArrays = c.StrictArrays || cfg.StrictArrays
		c.CompareHeaders = c.CompareHeaders || cfg.CompareHeaders
	}
	c.IgnoreFields = append(c.IgnoreFields, f.IgnoreFields...)
	c.IgnoreHeaders = append(c.IgnoreHeaders, f.IgnoreHeaders...)
	for _, t := range f.Tolerance {
		path, num, hasPath := strings.Cut(t, "=")
		if !hasPath {
			num = path
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || v < 0 {
			return c, usageErrorf("invalid --tolerance %q: want a number >= 0, or PATH=NUMBER", t)
		}
		if hasPath {
			c.Tolerance.Paths = setMap(c.Tolerance.Paths, strings.TrimSpace(path), v)
		} else {
			c.Tolerance.Default = v
		}
	}
	for _, k := range f.ArrayKeys {
		path, field, ok := strings.Cut(k, "=")
		if !ok || strings.TrimSpace(path) == "" || strings.TrimSpace(field) == "" {
			return c, usageErrorf("invalid --array-key %q: want PATH=FIELD", k)
		}
		c.ArrayKeys = setMap(c.ArrayKeys, strings.TrimSpace(path), strings.TrimSpace(field))
	}
	if set("strict-arrays") {
		c.StrictArrays = f.StrictArrays
	}
	if set("compare-headers") {
		c.CompareHeaders = f.CompareHeaders
	}
	return c, nil
}

func setMap[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}

func cloneComparison(c plugin.Comparison) plugin.Comparison {
	out := c
	out.IgnoreFields = append([]string(nil), c.IgnoreFields...)
	out.IgnoreHeaders = append([]string(nil), c.IgnoreHeaders...)
	out.Tolerance.Paths = nil
	for k, v := range c.Tolerance.Paths {
		out.Tolerance.Paths = setMap(out.Tolerance.Paths, k, v)
	}
	out.ArrayKeys = nil
	for k, v := range c.ArrayKeys {
		out.ArrayKeys = setMap(out.ArrayKeys, k, v)
	}
	return out
}

// compareOptions converts a plugin's comparison block to the engine's options.
func compareOptions(c plugin.Comparison) compare.Options {
	return compare.Options{
		IgnoreFields:   c.IgnoreFields,
		Tolerance:      c.Tolerance.Default,
		PathTolerance:  c.Tolerance.Paths,
		StrictArrays:   c.StrictArrays,
		ArrayKeys:      c.ArrayKeys,
		CompareHeaders: c.CompareHeaders,
		IgnoreHeaders:  c.IgnoreHeaders,
	}
}

// compileComparison compiles c; a bad pattern is trouble (exit 2) naming it.
func compileComparison(c plugin.Comparison) (*compare.Comparer, error) {
	cmp, err := compare.Compile(compareOptions(c))
	if err != nil {
		return nil, &ExitError{Code: ExitTrouble, Err: fmt.Errorf("comparison options: %w", err)}
	}
	return cmp, nil
}
