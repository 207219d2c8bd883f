package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/compare"
)

// comparisonFlags are the comparison options a command takes on its command line (`diff`,
// `test run`, `plugin create`): the keys of a plugin's comparison block as flags, plus --config
// for a file of them.
type comparisonFlags struct {
	Config         string
	IgnoreFields   []string
	Tolerance      []string // "0.1" (default) or "PATH=0.1"
	StrictArrays   bool
	CompareHeaders headerModeFlag
	IncludeHeaders []string
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
	fl.Var(&f.CompareHeaders, "compare-headers", "compare response headers: true (the flag alone) compares Content-Type and the headers the spec declares, all every header but per-response ones (Date, Server, tracing ids), false none")
	fl.Lookup("compare-headers").NoOptDefVal = "true"
	fl.StringArrayVar(&f.IncludeHeaders, "compare-header", nil, "compare this response header too (repeatable)")
	fl.StringArrayVar(&f.IgnoreHeaders, "ignore-header", nil, "header to leave out when comparing headers (repeatable)")
	fl.StringArrayVar(&f.ArrayKeys, "array-key", nil, "match the elements of an array by a key field: 'PATH=FIELD', e.g. '$.items=id' (repeatable)")
}

// layer is the comparison layer the command line describes: the --config file, then the flags
// given on the command line, which win (a boolean flag given as false too). It is merged over
// the plugin's and the plan's layers with compare.Merge.
func (f comparisonFlags) layer(cmd *cobra.Command) (compare.Config, error) {
	var file compare.Config
	if f.Config != "" {
		data, err := os.ReadFile(f.Config)
		if err != nil {
			return compare.Config{}, usageErrorf("--config: %v", err)
		}
		if file, err = compare.ParseConfig(data, f.Config); err != nil {
			return compare.Config{}, usageErrorf("%v", err)
		}
	}
	flags := compare.Config{IgnoreFields: f.IgnoreFields, IgnoreHeaders: f.IgnoreHeaders, IncludeHeaders: f.IncludeHeaders}
	for _, t := range f.Tolerance {
		tol, err := compare.ParseTolerance(t)
		if err != nil {
			return compare.Config{}, usageErrorf("invalid --tolerance %v", err)
		}
		flags = compare.Merge(flags, compare.Config{Tolerance: tol})
	}
	for _, k := range f.ArrayKeys {
		path, field, err := compare.ParseArrayKey(k)
		if err != nil {
			return compare.Config{}, usageErrorf("invalid --array-key %v", err)
		}
		flags = compare.Merge(flags, compare.Config{ArrayKeys: map[string]string{path: field}})
	}
	if cmd.Flags().Changed("strict-arrays") {
		flags.StrictArrays = compare.Bool(f.StrictArrays)
	}
	if cmd.Flags().Changed("compare-headers") {
		flags.CompareHeaders = f.CompareHeaders.mode
	}
	return compare.Merge(file, flags), nil
}

// headerModeFlag is --compare-headers[=true|false|all]: given alone it is true.
type headerModeFlag struct{ mode compare.HeaderMode }

func (h *headerModeFlag) String() string {
	if h.mode == "" {
		return "false"
	}
	return string(h.mode)
}

func (h *headerModeFlag) Set(s string) error {
	m, err := compare.ParseHeaderMode(s)
	if err != nil {
		return fmt.Errorf("want true, false or all")
	}
	h.mode = m
	return nil
}

func (h *headerModeFlag) Type() string { return "mode" }
