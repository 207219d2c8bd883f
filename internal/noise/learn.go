package noise

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/testrun"
)

// maxRounds bounds the rounds that look for arrays whose order changes (each round finds the
// innermost ones left).
const maxRounds = 4

// jitterMax is the largest relative difference still called jitter: beyond it a number is a
// value that changes (an id, a size, a count).
const jitterMax = 0.5

// caseNoise is what the answers of one case showed.
type caseNoise struct {
	skip    string
	answers int
	groups  map[string]*group
	order   map[string]*orderFinding
	leaves  map[string]bool
	strict  bool // the case's comparison compares arrays in order
}

// orderFinding is an array whose order changed.
type orderFinding struct {
	key   string
	count int
}

// group gathers the differences seen at one location (indexes as [*]).
type group struct {
	count      int
	status     bool
	text       bool
	header     bool
	presence   int // missing or extra
	changes    int // changed or type
	typeChange bool
	numbers    int
	strings    int
	bools      int
	shapes     map[string]int
	maxRel     float64
	unixTimes  int
	// counter: in every case where the location has no index, the values went up sample after
	// sample (by one, or in four values or more); notCounter once a case's did not.
	counter, notCounter bool
	seq                 map[int]string // this case's values by sample index (locations without [*])
	headerNames         string
}

func newGroup() *group { return &group{shapes: map[string]int{}, seq: map[int]string{}} }

// learnCase sends c Samples times to each live side and compares the answers.
func learnCase(ctx context.Context, pr *testrun.Prepared, c *testrun.Case, live testrun.Side, opts Options) *caseNoise {
	sides := []testrun.Side{live}
	if opts.Live2 != nil {
		sides = append(sides, opts.Live2)
	}
	var answers []compare.Response
	var failures []string
	for _, side := range sides {
		for range opts.Samples {
			if ctx.Err() != nil {
				return &caseNoise{skip: "interrupted"}
			}
			resp, err := testrun.Send(ctx, c, side, opts.Timeout)
			if err != nil {
				failures = append(failures, fmt.Sprintf("%s: %v", side.Name(), err))
				continue
			}
			answers = append(answers, resp.Compared(c.Op))
		}
	}
	total := opts.Samples * len(sides)
	if len(answers) < 2 {
		reason := fmt.Sprintf("%d of %d requests failed", len(failures), total)
		if len(failures) > 0 {
			reason += ": " + failures[0]
		}
		return &caseNoise{skip: reason}
	}
	base := testrun.CaseComparison(pr.Plan, c, pr.Options)
	cn := &caseNoise{answers: len(answers), groups: map[string]*group{}, order: map[string]*orderFinding{}, leaves: map[string]bool{},
		strict: base.StrictArrays != nil && *base.StrictArrays}
	learned, err := cn.learnOrder(base, answers)
	if err != nil {
		return &caseNoise{skip: fmt.Sprintf("comparison options: %v", err)}
	}
	final, err := compare.Compile(compare.Merge(base, learned))
	if err != nil {
		return &caseNoise{skip: fmt.Sprintf("comparison options: %v", err)}
	}
	for k := 1; k < len(answers); k++ {
		for _, d := range final.Compare(answers[0], answers[k]).Differences {
			cn.observe(d, k)
		}
	}
	for _, g := range cn.groups {
		g.endCase()
	}
	for _, a := range answers {
		if doc, err := compare.ParseJSON(a.Body); err == nil {
			for _, l := range doc.Leaves() {
				cn.leaves[l] = true
			}
		}
	}
	return cn
}

// learnOrder finds the arrays whose order changes between answers: compared element by
// element they differ more than compared as multisets. The innermost such arrays are learned
// first (an outer array differs whenever an inner one does), then the comparison is done again
// with them, until no more are found. Each is matched by the field that identifies its
// elements when one does, else as a multiset.
func (cn *caseNoise) learnOrder(base compare.Config, answers []compare.Response) (compare.Config, error) {
	var learned compare.Config
	for range maxRounds {
		strictCfg, looseCfg := compare.Merge(base, learned), compare.Merge(base, learned)
		strictCfg.StrictArrays, looseCfg.StrictArrays = compare.Bool(true), compare.Bool(false)
		strict, err := compare.Compile(strictCfg)
		if err != nil {
			return learned, err
		}
		loose, err := compare.Compile(looseCfg)
		if err != nil {
			return learned, err
		}
		countS, countL := map[string]int{}, map[string]int{}
		for k := 1; k < len(answers); k++ {
			for _, d := range strict.Compare(answers[0], answers[k]).Differences {
				for _, p := range arrayPrefixes(d.Location) {
					countS[p]++
				}
			}
			for _, d := range loose.Compare(answers[0], answers[k]).Differences {
				for _, p := range arrayPrefixes(d.Location) {
					countL[p]++
				}
			}
		}
		var flagged []string
		for p, n := range countS {
			if n > countL[p] && cn.order[p] == nil {
				flagged = append(flagged, p)
			}
		}
		var inner []string
		for _, p := range flagged {
			if !slices.ContainsFunc(flagged, func(q string) bool { return strings.HasPrefix(q, p+"[") || strings.HasPrefix(q, p+".") }) {
				inner = append(inner, p)
			}
		}
		if len(inner) == 0 {
			break
		}
		slices.Sort(inner)
		for _, p := range inner {
			key := identifyingKey(p, answers)
			cn.order[p] = &orderFinding{key: key, count: countS[p] - countL[p]}
			if key != "" {
				learned = compare.Merge(learned, compare.Config{ArrayKeys: map[string]string{p: key}})
			} else {
				learned = compare.Merge(learned, compare.Config{UnorderedArrays: []string{p}})
			}
		}
	}
	return learned, nil
}

// arrayPrefixes are the arrays a body location is inside, outermost first, indexes as [*]:
// $.a[3].b[0].c is in $.a and $.a[*].b.
func arrayPrefixes(loc string) []string {
	steps, ok := compare.ParseLocation(loc)
	if !ok {
		return nil
	}
	var out []string
	for i, s := range steps {
		if !s.IsKey {
			out = append(out, compare.FormatLocation(wild(steps[:i])))
		}
	}
	return out
}

func wild(steps []compare.Step) []compare.Step {
	out := slices.Clone(steps)
	for i := range out {
		if !out[i].IsKey {
			out[i].Index = compare.AnyIndex
		}
	}
	return out
}

// preferredKeys are tried first, in order, as the field that identifies array elements.
var preferredKeys = []string{"id", "uuid", "key", "code", "sku", "slug", "name"}

// identifyingKey is a field that identifies the elements of the arrays at path in every
// answer: every element is an object with that field, a string or number, unique within its
// array, and the arrays of two answers hold the same keys. "" when no field does.
func identifyingKey(path string, answers []compare.Response) string {
	var arrays [][][]any // per answer, the arrays at path, each a list of objects' fields
	for _, a := range answers {
		doc, err := compare.ParseJSON(a.Body)
		if err != nil {
			return ""
		}
		vals, err := doc.Select(path)
		if err != nil {
			return ""
		}
		var per [][]any
		for _, v := range vals {
			var elems []any
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			if dec.Decode(&elems) != nil {
				return ""
			}
			per = append(per, elems)
		}
		arrays = append(arrays, per)
	}
	var candidates []string
	for _, per := range arrays {
		for _, elems := range per {
			for _, e := range elems {
				obj, ok := e.(map[string]any)
				if !ok {
					return ""
				}
				if candidates == nil {
					candidates = slices.Sorted(maps.Keys(obj))
				}
			}
		}
	}
	slices.SortStableFunc(candidates, func(a, b string) int { return keyRank(a) - keyRank(b) })
	for _, f := range candidates {
		if identifies(f, arrays) {
			return f
		}
	}
	return ""
}

func keyRank(f string) int {
	if i := slices.Index(preferredKeys, f); i >= 0 {
		return i
	}
	lower := strings.ToLower(f)
	if strings.HasSuffix(lower, "id") || strings.HasSuffix(lower, "_key") {
		return len(preferredKeys)
	}
	return len(preferredKeys) + 1
}

// identifies reports whether field identifies the elements of every array, the same way in
// every answer.
func identifies(field string, arrays [][][]any) bool {
	var first []string
	for a, per := range arrays {
		for i, elems := range per {
			keys := make([]string, 0, len(elems))
			seen := map[string]bool{}
			for _, e := range elems {
				v, ok := e.(map[string]any)[field]
				if !ok {
					return false
				}
				var k string
				switch v := v.(type) {
				case string:
					k = "s" + v
				case json.Number:
					k = "n" + v.String()
				default:
					return false
				}
				if seen[k] {
					return false
				}
				seen[k] = true
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if a == 0 && i == 0 {
				first = keys
			} else if i == 0 && !slices.Equal(first, keys) {
				return false // another answer holds other elements: the field is not their identity
			}
		}
	}
	return true
}

// observe records one difference between the first answer and answer k.
func (cn *caseNoise) observe(d compare.Difference, k int) {
	loc := d.Location
	switch {
	case loc == "status", strings.HasPrefix(loc, "header "):
	case strings.HasPrefix(loc, "line "):
		loc = "line"
	case loc == "body":
	default:
		loc = compare.Wildcard(loc)
	}
	g := cn.groups[loc]
	if g == nil {
		g = newGroup()
		cn.groups[loc] = g
	}
	g.count++
	switch {
	case d.Kind == compare.KindStatus:
		g.status = true
		return
	case loc == "line" || loc == "body":
		g.text = true
		return
	case d.Kind == compare.KindHeader:
		g.header = true
		if d.Mock == nil || d.Live == nil {
			g.presence++
			return
		}
		g.changes++
		for _, v := range []json.RawMessage{d.Mock, d.Live} {
			var s string
			if json.Unmarshal(v, &s) == nil {
				g.shapes[stringShape(s)]++
			}
		}
		return
	case d.Kind == compare.KindMissing || d.Kind == compare.KindExtra:
		g.presence++
		return
	case d.Kind == compare.KindType:
		g.changes++
		g.typeChange = true
		return
	}
	g.changes++
	m, l := scalar(d.Mock), scalar(d.Live)
	switch {
	case m.kind == "number" && l.kind == "number":
		g.numbers++
		if unixTime(m.num) && unixTime(l.num) {
			g.unixTimes++
		}
		if hi := max(math.Abs(m.num), math.Abs(l.num)); hi > 0 {
			g.maxRel = max(g.maxRel, math.Abs(m.num-l.num)/hi)
		}
		if !strings.Contains(loc, "[*]") && m.integer && l.integer {
			g.seq[0], g.seq[k] = string(d.Mock), string(d.Live)
		} else {
			g.notCounter = true
		}
	case m.kind == "string" && l.kind == "string":
		g.strings++
		g.shapes[stringShape(m.str)]++
		g.shapes[stringShape(l.str)]++
	case m.kind == "boolean":
		g.bools++
	}
}

// endCase decides, for this case's values, whether the location counts up.
func (g *group) endCase() {
	if len(g.seq) < 2 || g.notCounter {
		g.seq = map[int]string{}
		return
	}
	// A number that jitters goes up three times in a row one time in six: with few answers,
	// only steps of one (a sequence) say counter; from four values on, going up every time.
	ks := slices.Sorted(maps.Keys(g.seq))
	up, ones := true, true
	for i := 1; i < len(ks); i++ {
		a, _ := strconv.ParseFloat(g.seq[ks[i-1]], 64)
		b, _ := strconv.ParseFloat(g.seq[ks[i]], 64)
		if !(b > a) {
			up = false
		}
		if b-a != 1 {
			ones = false
		}
	}
	up = up && (ones || len(ks) >= 4)
	if up {
		g.counter = true
	} else {
		g.notCounter = true
	}
	g.seq = map[int]string{}
}

func (g *group) merge(o *group) {
	g.count += o.count
	g.status = g.status || o.status
	g.text = g.text || o.text
	g.header = g.header || o.header
	g.presence += o.presence
	g.changes += o.changes
	g.typeChange = g.typeChange || o.typeChange
	g.numbers += o.numbers
	g.strings += o.strings
	g.bools += o.bools
	for k, v := range o.shapes {
		g.shapes[k] += v
	}
	g.maxRel = max(g.maxRel, o.maxRel)
	g.unixTimes += o.unixTimes
	g.counter = g.counter || o.counter
	g.notCounter = g.notCounter || o.notCounter
}

type scalarValue struct {
	kind    string // number, string, boolean, other
	num     float64
	integer bool
	str     string
}

func scalar(raw json.RawMessage) scalarValue {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return scalarValue{kind: "other"}
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return scalarValue{kind: "string", str: s}
		}
	case 't', 'f':
		return scalarValue{kind: "boolean"}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		f, err := strconv.ParseFloat(string(raw), 64)
		if err == nil || math.IsInf(f, 0) {
			return scalarValue{kind: "number", num: f, integer: !bytes.ContainsAny(raw, ".eE")}
		}
	}
	return scalarValue{kind: "other"}
}

// unixTime: seconds or milliseconds since 1970 between 2001 and 2096.
func unixTime(f float64) bool {
	return (f >= 1e9 && f < 4e9) || (f >= 1e12 && f < 4e12)
}

// finish classifies the group at loc; a location can be both sometimes absent and changing.
func (g *group) finish(loc string) []Location {
	switch {
	case g.status:
		return []Location{{Location: loc, Finding: FindingStatus, Count: g.count, Why: "changes between answers: the live API does not answer this case the same way twice"}}
	case g.text:
		return []Location{{Location: "body", Finding: FindingText, Count: g.count, Why: "changes between answers and is not JSON: compared as text, it cannot be subtracted"}}
	case g.header:
		name := strings.TrimPrefix(loc, "header ")
		l := Location{Location: loc, Finding: FindingHeader, Count: g.count, Suggest: compare.Config{IgnoreHeaders: []string{name}}}
		if g.changes > 0 {
			l.Shape = g.shape()
			l.Why = fmt.Sprintf("changes between answers (%s)", l.Shape)
		} else {
			l.Why = "is sometimes absent"
		}
		return []Location{l}
	}
	var out []Location
	if g.presence > 0 {
		out = append(out, Location{Location: loc, Finding: FindingPresence, Count: g.presence, Why: "is sometimes absent",
			Suggest: compare.Config{IgnoreAbsence: []string{loc}}})
	}
	if g.changes == 0 {
		return out
	}
	l := Location{Location: loc, Finding: FindingValue, Count: g.changes, Suggest: compare.Config{IgnoreFields: []string{loc}}}
	switch {
	case g.typeChange:
		l.Shape = "type"
		l.Why = "changes type between answers"
	case g.numbers == g.changes && g.unixTimes == g.numbers:
		l.Shape = "unix-time"
		l.Why = "changes between answers (unix-time)"
	case g.numbers == g.changes && g.counter && !g.notCounter:
		l.Shape = "counter"
		l.Why = "counts up on every answer (counter)"
	case g.numbers == g.changes && g.maxRel <= jitterMax:
		tol := roundUp(g.maxRel)
		l.Finding, l.Shape, l.MaxRelative = FindingJitter, "number", round6(g.maxRel)
		l.Why = fmt.Sprintf("jitters: up to %s apart", percent(g.maxRel))
		l.Suggest = compare.Config{Tolerance: compare.Tolerance{Paths: map[string]float64{loc: tol}}}
	case g.numbers == g.changes:
		l.Shape, l.MaxRelative = "number", round6(g.maxRel)
		l.Why = fmt.Sprintf("changes between answers (number, up to %s apart)", percent(g.maxRel))
	case g.strings == g.changes:
		l.Shape = g.shape()
		l.Why = fmt.Sprintf("changes between answers (%s)", l.Shape)
	case g.bools == g.changes:
		l.Shape = "boolean"
		l.Why = "changes between answers (boolean)"
	default:
		l.Shape = "mixed"
		l.Why = "changes between answers"
	}
	return append(out, l)
}

// shape is the one shape every string seen had, else text.
func (g *group) shape() string {
	if len(g.shapes) == 1 {
		for s := range g.shapes {
			return s
		}
	}
	return "text"
}

// roundUp rounds a relative difference up to one significant digit: 0.0234 is 0.03, 0.05 is
// 0.05, 0.96 is 1.
func roundUp(r float64) float64 {
	if r <= 0 || math.IsNaN(r) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(r)))
	d := math.Ceil(r/p - 1e-9)
	v, _ := strconv.ParseFloat(strconv.FormatFloat(d*p, 'g', 1, 64), 64)
	if v < r*(1-1e-9) { // guard against a power of ten just below r
		v, _ = strconv.ParseFloat(strconv.FormatFloat((d+1)*p, 'g', 1, 64), 64)
	}
	return v
}

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }

func percent(r float64) string {
	s := strconv.FormatFloat(r*100, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}

// opNoise gathers the cases of one operation.
type opNoise struct {
	op      string
	cases   []string
	answers int
	groups  map[string]*group
	order   map[string]*orderFinding
	leaves  map[string]bool
	strict  bool
}

func newOpNoise(op string) *opNoise {
	return &opNoise{op: op, groups: map[string]*group{}, order: map[string]*orderFinding{}, leaves: map[string]bool{}}
}

func (o *opNoise) add(name string, cn *caseNoise) {
	o.cases = append(o.cases, name)
	o.answers += cn.answers
	o.strict = o.strict || cn.strict
	for loc, g := range cn.groups {
		if o.groups[loc] == nil {
			o.groups[loc] = newGroup()
		}
		o.groups[loc].merge(g)
	}
	for p, f := range cn.order {
		if have := o.order[p]; have != nil {
			have.count += f.count
			if have.key != f.key {
				have.key = "" // two cases disagree on the key: match as a multiset
			}
			continue
		}
		c := *f
		o.order[p] = &c
	}
	for l := range cn.leaves {
		o.leaves[l] = true
	}
}

func (o *opNoise) finish() Operation {
	out := Operation{Operation: o.op, Cases: o.cases, Answers: o.answers, Locations: []Location{}}
	for _, p := range slices.Sorted(maps.Keys(o.order)) {
		f := o.order[p]
		l := Location{Location: p, Finding: FindingOrder, Key: f.key, Count: f.count}
		switch {
		case f.key != "":
			l.Why = fmt.Sprintf("changes order between answers: match the elements by %s", f.key)
			l.Suggest = compare.Config{ArrayKeys: map[string]string{p: f.key}}
		case o.strict:
			l.Why = "changes order between answers: compare it as a multiset"
			l.Suggest = compare.Config{UnorderedArrays: []string{p}}
		default:
			l.Why = "changes order between answers (already ignored: strict_arrays is off)"
		}
		out.Locations = append(out.Locations, l)
	}
	noisy := map[string]bool{}
	for _, loc := range slices.Sorted(maps.Keys(o.groups)) {
		for _, l := range o.groups[loc].finish(loc) {
			out.Locations = append(out.Locations, l)
			noisy[l.Location] = true
		}
	}
	slices.SortStableFunc(out.Locations, func(a, b Location) int { return strings.Compare(a.Location, b.Location) })
	for l := range o.leaves {
		if !noisy[l] {
			out.Stable++
		}
	}
	return out
}
