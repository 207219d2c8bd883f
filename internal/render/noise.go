package render

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/fatih/color"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/noise"
	"github.com/mockloop/mockloop/internal/testrun"
)

// NoiseSchema names the JSON form of `mockloop noise learn -o json`.
const NoiseSchema = "mockloop.noise/v1"

// NoiseTable writes what noise learning found: a row per location that is not stable
// (operation, location, finding, shape, the suggestion that subtracts it, why), the cases
// skipped, and a summary line. colour colours the findings: what can be subtracted in cyan,
// what cannot (a status, a text body) in red.
func NoiseTable(w io.Writer, m *noise.Model, colour bool) error {
	ok, bad := plainSprint, plainSprint
	if colour {
		ok = colorSprint(color.FgCyan)
		bad = colorSprint(color.FgRed, color.Bold)
	}
	var rows [][]string
	noisy, stable, answers := 0, 0, 0
	for _, o := range m.Operations {
		stable += o.Stable
		answers += o.Answers
		for _, l := range o.Locations {
			noisy++
			finding := ok(string(l.Finding))
			sugg := strings.Join(ConfigLines(l.Suggest), "; ")
			if sugg == "" {
				sugg = "-"
				if l.Finding == noise.FindingStatus || l.Finding == noise.FindingText {
					finding = bad(string(l.Finding))
				}
			}
			shape := l.Shape
			if shape == "" {
				shape = "-"
			}
			rows = append(rows, []string{o.Operation, l.Location, finding, shape, sugg, l.Why})
		}
	}
	if len(rows) > 0 {
		if err := Table(w, []string{"OPERATION", "LOCATION", "FINDING", "SHAPE", "SUGGESTION", "WHY"}, rows); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	for _, s := range m.Skipped {
		fmt.Fprintf(w, "skipped %s (%s): %s\n", s.Case, s.Operation, s.Reason)
	}
	if len(m.Skipped) > 0 {
		fmt.Fprintln(w)
	}
	samples := fmt.Sprintf("%d answers per case", m.Samples)
	if m.Live2 {
		samples = fmt.Sprintf("%d answers per case from each live side", m.Samples)
	}
	line := fmt.Sprintf("%d %s, %d answers compared (%s): %d noisy %s, %d stable",
		len(m.Operations), plural(len(m.Operations), "operation", "operations"), answers, samples,
		noisy, plural(noisy, "location", "locations"), stable)
	if len(m.Skipped) > 0 {
		line += fmt.Sprintf("; %d %s skipped", len(m.Skipped), plural(len(m.Skipped), "case", "cases"))
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// noiseJSON is the JSON form of a learned model.
type noiseJSON struct {
	Schema string `json:"schema"`
	*noise.Model
	// Suggestions are every operation's suggestions merged.
	Suggestions compare.Config `json:"suggestions"`
	// Plugin and Added, with --write: the plugin written and what was added to its comparison.
	Plugin string          `json:"plugin,omitempty"`
	Added  *compare.Config `json:"added,omitempty"`
}

// NoiseJSON writes the model as indented JSON (schema NoiseSchema); with --write, plugin
// names the plugin written and added is what its comparison block gained.
func NoiseJSON(w io.Writer, m *noise.Model, plugin string, added *compare.Config) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(noiseJSON{Schema: NoiseSchema, Model: m, Suggestions: m.Suggestions(), Plugin: plugin, Added: added}); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// ConfigLines describes a comparison layer one setting per line, as a user would write it on
// the command line: "ignore_fields $.updated_at", "tolerance $.price=0.03".
func ConfigLines(c compare.Config) []string {
	var out []string
	for _, f := range c.IgnoreFields {
		out = append(out, "ignore_fields "+f)
	}
	if c.Tolerance.Default != nil {
		out = append(out, "tolerance "+strconv.FormatFloat(*c.Tolerance.Default, 'g', -1, 64))
	}
	for _, p := range slices.Sorted(maps.Keys(c.Tolerance.Paths)) {
		out = append(out, fmt.Sprintf("tolerance %s=%s", p, strconv.FormatFloat(c.Tolerance.Paths[p], 'g', -1, 64)))
	}
	for _, p := range slices.Sorted(maps.Keys(c.ArrayKeys)) {
		out = append(out, fmt.Sprintf("array_keys %s=%s", p, c.ArrayKeys[p]))
	}
	for _, f := range c.UnorderedArrays {
		out = append(out, "unordered_arrays "+f)
	}
	for _, f := range c.IgnoreAbsence {
		out = append(out, "ignore_absence "+f)
	}
	for _, h := range c.IgnoreHeaders {
		out = append(out, "ignore_headers "+h)
	}
	for _, h := range c.IncludeHeaders {
		out = append(out, "include_headers "+h)
	}
	if c.StrictArrays != nil {
		out = append(out, "strict_arrays "+strconv.FormatBool(*c.StrictArrays))
	}
	if c.CompareHeaders != "" {
		out = append(out, "compare_headers "+string(c.CompareHeaders))
	}
	return out
}

// NoiseLine is "learned noise (3 answers per case): 4 differences suppressed" for a run with
// --learn-noise, "" without it.
func NoiseLine(rep *testrun.Report) string {
	n := rep.Noise
	if n == nil {
		return ""
	}
	return fmt.Sprintf("learned noise (%d answers per case): %d %s suppressed", n.Samples, n.Suppressed, plural(n.Suppressed, "difference", "differences"))
}

// suppressedLines are a case's differences removed as learned noise ("suppressed") or, with
// --explain, by the comparison settings ("ignored"), one line each.
func suppressedLines(r *testrun.CaseResult) []string {
	var out []string
	for _, s := range r.Suppressed {
		label := "suppressed"
		if s.By == "settings" {
			label = "ignored"
		}
		if s.Mock == nil && s.Live == nil {
			out = append(out, fmt.Sprintf("%s: %s  (%s)", label, s.Location, s.Reason))
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s  %s  mock=%s  live=%s  (%s)", label, s.Location, s.Kind, rawCell(s.Mock), rawCell(s.Live), s.Reason))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
