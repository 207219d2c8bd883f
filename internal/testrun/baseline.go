package testrun

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/yamldoc"
)

// BaselineSchema names the baseline file format.
const BaselineSchema = "mockloop.baseline/v1"

// Baseline is the reviewed list of known differences between mock and live that
// `test run --baseline FILE` does not fail on: a difference of a case run matches an entry of
// the same case, operation, location and kind. It is a JSON or YAML file a user can read, edit
// and review in a pull request; `--update-baseline` writes it sorted and stable.
type Baseline struct {
	Schema      string          `yaml:"schema" json:"schema"`
	Differences []BaselineEntry `yaml:"differences" json:"differences"`
}

// BaselineEntry is one known difference. Mock and Live are the values when it was recorded,
// for the reviewer: they are not matched (a known difference whose value changes stays known).
// An entry without an operation matches the case's difference whatever its operation.
type BaselineEntry struct {
	Case      string       `yaml:"case" json:"case"`
	Operation string       `yaml:"operation,omitempty" json:"operation,omitempty"`
	Location  string       `yaml:"location" json:"location"`
	Kind      compare.Kind `yaml:"kind" json:"kind"`
	Mock      Value        `yaml:"mock,omitempty" json:"mock,omitempty"`
	Live      Value        `yaml:"live,omitempty" json:"live,omitempty"`
}

func (e BaselineEntry) key() string {
	return e.Case + "\x00" + e.Operation + "\x00" + e.Location + "\x00" + string(e.Kind)
}

// compareEntries orders entries by case, operation, location and kind.
func compareEntries(a, b BaselineEntry) int {
	return cmp.Or(cmp.Compare(a.Case, b.Case), cmp.Compare(a.Operation, b.Operation),
		cmp.Compare(a.Location, b.Location), cmp.Compare(a.Kind, b.Kind))
}

// Value is a JSON value kept as its text. In a YAML baseline it is written as the YAML value it
// is ("Widget", 100, {id: 1}), in a JSON one as itself.
type Value json.RawMessage

// MarshalJSON writes the value as it is.
func (v Value) MarshalJSON() ([]byte, error) {
	if len(v) == 0 {
		return []byte("null"), nil
	}
	return v, nil
}

// UnmarshalJSON keeps the value's text.
func (v *Value) UnmarshalJSON(b []byte) error {
	*v = Value(bytes.Clone(b))
	return nil
}

// MarshalYAML writes the value as a YAML value, collections in flow style.
func (v Value) MarshalYAML() (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(v, &doc); err != nil || len(doc.Content) == 0 {
		return string(v), nil
	}
	n := doc.Content[0]
	var flow func(*yaml.Node)
	flow = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			n.Style = yaml.FlowStyle
		}
		for _, c := range n.Content {
			flow(c)
		}
	}
	flow(n)
	return n, nil
}

// UnmarshalYAML reads a YAML value as its JSON text.
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	data, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	j, err := yamldoc.ToJSON(data)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*v = Value(j)
	return nil
}

// BaselineFormat is the format of a baseline file by its extension: "json" or "yaml".
func BaselineFormat(name string) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return "json", nil
	case ".yaml", ".yml":
		return "yaml", nil
	}
	return "", fmt.Errorf("baseline %q: want a .yaml, .yml or .json file", name)
}

// ParseBaseline reads a baseline file (its format from name's extension) strictly: unknown
// keys, a wrong schema and entries without case, location or a known kind are errors that name
// the file and the entry.
func ParseBaseline(data []byte, name string) (*Baseline, error) {
	format, err := BaselineFormat(name)
	if err != nil {
		return nil, err
	}
	var b Baseline
	if format == "json" {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return nil, fmt.Errorf("baseline %q: %v", name, oneLine(err.Error()))
		}
		if dec.More() {
			return nil, fmt.Errorf("baseline %q: more than one JSON value", name)
		}
	} else if err := yamldoc.DecodeStrict(data, &b); err != nil {
		return nil, fmt.Errorf("baseline %q: %w", name, err)
	}
	if b.Schema != BaselineSchema {
		return nil, fmt.Errorf("baseline %q: schema %q, want %q", name, b.Schema, BaselineSchema)
	}
	seen := map[string]bool{}
	for i, e := range b.Differences {
		where := fmt.Sprintf("baseline %q: differences[%d]", name, i)
		switch {
		case strings.TrimSpace(e.Case) == "":
			return nil, fmt.Errorf("%s: no case", where)
		case strings.TrimSpace(e.Location) == "":
			return nil, fmt.Errorf("%s: no location", where)
		case !slices.Contains(compare.Kinds, e.Kind):
			return nil, fmt.Errorf("%s: kind %q is not one of %s", where, e.Kind, kindList())
		case seen[e.key()]:
			return nil, fmt.Errorf("%s: the same difference is listed twice (%s %s %s)", where, e.Case, e.Location, e.Kind)
		}
		seen[e.key()] = true
	}
	return &b, nil
}

func kindList() string {
	parts := make([]string, len(compare.Kinds))
	for i, k := range compare.Kinds {
		parts[i] = string(k)
	}
	return strings.Join(parts, ", ")
}

// baselineHeader is the comment at the top of a YAML baseline.
const baselineHeader = `# mockloop baseline: the known differences between mock and live.
# 'mockloop test run --baseline FILE' reports a difference listed here as known, and it does not
# fail the run; a listed difference no longer seen is fixed; any other difference is new and
# fails the run. An entry matches by case, operation, location and kind; mock and live are the
# values when it was recorded, for review. '--update-baseline' rewrites this file (sorted);
# edit it freely, one entry per accepted difference.
`

// Marshal writes the baseline in format ("json" or "yaml"), entries sorted: the same
// differences always give the same bytes.
func (b *Baseline) Marshal(format string) ([]byte, error) {
	out := Baseline{Schema: BaselineSchema, Differences: slices.Clone(b.Differences)}
	if out.Differences == nil {
		out.Differences = []BaselineEntry{}
	}
	slices.SortFunc(out.Differences, compareEntries)
	if format == "json" {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return nil, fmt.Errorf("write baseline: %w", err)
		}
		return buf.Bytes(), nil
	}
	data, err := yamldoc.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("write baseline: %w", err)
	}
	return append([]byte(baselineHeader), data...), nil
}

// BaselineSummary is the "baseline" object of a report run with --baseline: how many of the
// differences found were known (in the baseline) and new (not in it, failing the run), and
// which listed differences of the cases that ran were not seen any more (fixed).
type BaselineSummary struct {
	File  string `json:"file,omitempty"`
	Known int    `json:"known"`
	New   int    `json:"new"`
	Fixed int    `json:"fixed"`
	// FixedDifferences are the fixed entries, sorted.
	FixedDifferences []BaselineEntry `json:"fixed_differences,omitempty"`
}

// ApplyBaseline judges the report's differences against b (file names it in the summary): in
// every case run that compared mock and live, the differences b lists move to Known and no
// longer fail the run, the others stay in Differences and do; the outcomes and the summary
// are counted again and Report.Baseline says known, new and fixed. An entry is fixed when its
// case was compared in this run (another shard's cases are not judged) and none of its runs
// had the difference. Applying again (another baseline) starts over from all the differences.
func ApplyBaseline(rep *Report, b *Baseline, file string) {
	if b == nil {
		b = &Baseline{}
	}
	known := make(map[string]bool, len(b.Differences))
	for _, e := range b.Differences {
		known[e.key()] = true
	}
	seen := map[string]bool{}
	compared := map[string]bool{} // case names compared, and case\x00operation
	sum := &BaselineSummary{File: file}
	rep.Summary = Summary{}
	for i := range rep.Cases {
		r := &rep.Cases[i]
		if r.compared {
			compared[r.Name] = true
			compared[r.Name+"\x00"+r.Operation] = true
			all := append(slices.Clone(r.Known), r.Differences...)
			r.Known, r.Differences = nil, nil
			for _, d := range all {
				e := BaselineEntry{Case: r.Name, Operation: r.Operation, Location: d.Location, Kind: d.Kind}
				anyOp := BaselineEntry{Case: r.Name, Location: d.Location, Kind: d.Kind}
				switch {
				case known[e.key()]:
					seen[e.key()] = true
					r.Known = append(r.Known, d)
				case known[anyOp.key()]:
					seen[anyOp.key()] = true
					r.Known = append(r.Known, d)
				default:
					r.Differences = append(r.Differences, d)
				}
			}
			sum.Known += len(r.Known)
			sum.New += len(r.Differences)
			r.setDifferenceFailure()
		}
		rep.Summary.add(r)
	}
	for _, e := range b.Differences {
		ran := compared[e.Case+"\x00"+e.Operation] || (e.Operation == "" && compared[e.Case])
		if ran && !seen[e.key()] {
			sum.FixedDifferences = append(sum.FixedDifferences, e)
		}
	}
	slices.SortFunc(sum.FixedDifferences, compareEntries)
	sum.Fixed = len(sum.FixedDifferences)
	rep.Baseline = sum
}

// UpdatedBaseline is b with the differences of the cases compared in rep replaced by what rep
// found (known and new), and the entries of the cases rep did not compare (another shard's, a
// filtered-out operation's) kept as they are.
func UpdatedBaseline(b *Baseline, rep *Report) *Baseline {
	out := &Baseline{Schema: BaselineSchema}
	compared := map[string]bool{}
	for i := range rep.Cases {
		if rep.Cases[i].compared {
			compared[rep.Cases[i].Name] = true
		}
	}
	if b != nil {
		for _, e := range b.Differences {
			if !compared[e.Case] {
				out.Differences = append(out.Differences, e)
			}
		}
	}
	seen := map[string]bool{}
	for i := range rep.Cases {
		r := &rep.Cases[i]
		if !r.compared {
			continue
		}
		for _, d := range append(slices.Clone(r.Known), r.Differences...) {
			e := BaselineEntry{Case: r.Name, Operation: r.Operation, Location: d.Location, Kind: d.Kind, Mock: Value(d.Mock), Live: Value(d.Live)}
			if !seen[e.key()] {
				seen[e.key()] = true
				out.Differences = append(out.Differences, e)
			}
		}
	}
	slices.SortFunc(out.Differences, compareEntries)
	return out
}

// setDifferenceFailure rewrites the failure that counts the run's differences after they were
// judged again: removed when none is left, else counting what is left. The outcome follows.
func (r *CaseResult) setDifferenceFailure() {
	if r.diffFailure > 0 && r.diffFailure <= len(r.Failures) {
		r.Failures = slices.Delete(r.Failures, r.diffFailure-1, r.diffFailure)
	}
	r.diffFailure = 0
	if n := len(r.Differences); n > 0 {
		r.Failures = append(r.Failures, differenceFailure(n))
		r.diffFailure = len(r.Failures)
	}
	if r.Outcome != OutcomeSkip {
		r.Outcome = OutcomePass
		if len(r.Failures) > 0 {
			r.Outcome = OutcomeFail
		}
	}
}

func differenceFailure(n int) string {
	return fmt.Sprintf("%d %s between mock and live", n, plural(n, "difference", "differences"))
}

// mergeBaseline adds up the baseline summaries of shard reports (their cases are disjoint).
func mergeBaseline(reps []*Report) *BaselineSummary {
	var out *BaselineSummary
	for _, r := range reps {
		if r.Baseline == nil {
			continue
		}
		if out == nil {
			out = &BaselineSummary{File: r.Baseline.File}
		}
		out.Known += r.Baseline.Known
		out.New += r.Baseline.New
		out.FixedDifferences = append(out.FixedDifferences, r.Baseline.FixedDifferences...)
	}
	if out != nil {
		slices.SortFunc(out.FixedDifferences, compareEntries)
		out.FixedDifferences = slices.CompactFunc(out.FixedDifferences, func(a, b BaselineEntry) bool { return a.key() == b.key() })
		out.Fixed = len(out.FixedDifferences)
	}
	return out
}
