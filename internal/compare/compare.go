// Package compare is mockloop's comparison engine: a pure function over two responses (status,
// headers, body) or two JSON documents that returns the differences between them, each with
// a location that can be pasted into ignore_fields, a kind, and the mock and live values.
//
// JSON bodies are compared structurally in both directions; numbers are compared as exact
// decimals (1 equals 1.0, large integers are never rounded) or within a relative tolerance;
// arrays are compared element by element (strict) or as multisets; non-JSON bodies are
// compared as text, line by line, or as bytes by length and SHA-256. A Comparer holds compiled
// options and no other state: it is safe for concurrent use.
package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Kind says how two values differ.
type Kind string

// Kinds of difference.
const (
	KindChanged Kind = "changed" // both sides have a value of the same type, and the values differ
	KindMissing Kind = "missing" // the mock has it, the live side does not
	KindExtra   Kind = "extra"   // the live side has it, the mock does not
	KindType    Kind = "type"    // the two values have different JSON types (null is a type)
	KindStatus  Kind = "status"  // the status codes differ
	KindHeader  Kind = "header"  // a header is missing, extra, or has another value
)

// Kinds lists every kind in the order summaries print them.
var Kinds = []Kind{KindChanged, KindMissing, KindExtra, KindType, KindStatus, KindHeader}

// Difference is one place where mock and live differ.
type Difference struct {
	// Location is a JSONPath for body values ($, $.a.b[0], $["odd key"]), "status" for the
	// status code, "header NAME" for a header, "line N" for a text body, "body" for bytes.
	Location string `json:"location"`
	Kind     Kind   `json:"kind"`
	// Mock and Live are the values as JSON text (strings for headers, text lines and byte
	// summaries); nil where that side has no value.
	Mock json.RawMessage `json:"mock,omitempty"`
	Live json.RawMessage `json:"live,omitempty"`
}

// Result is the outcome of one comparison.
type Result struct {
	// Differences in document order: status, headers, then the body.
	Differences []Difference
	// Ignored counts the places where the two sides differ but an ignore rule
	// (ignore_fields, ignore_headers, volatile headers) said not to report it.
	Ignored int
}

// Equal reports whether no difference was found.
func (r Result) Equal() bool { return len(r.Differences) == 0 }

// Summary is the "summary" object of a Result's JSON form.
type Summary struct {
	Differences int `json:"differences"`
	Changed     int `json:"changed"`
	Missing     int `json:"missing"`
	Extra       int `json:"extra"`
	Type        int `json:"type"`
	Status      int `json:"status"`
	Header      int `json:"header"`
	Ignored     int `json:"ignored"`
}

// Summary counts the differences by kind.
func (r Result) Summary() Summary {
	c := r.Counts()
	return Summary{
		Differences: len(r.Differences), Changed: c[KindChanged], Missing: c[KindMissing],
		Extra: c[KindExtra], Type: c[KindType], Status: c[KindStatus], Header: c[KindHeader],
		Ignored: r.Ignored,
	}
}

// resultJSON is the JSON form of a Result: what `mockloop diff -o json` prints and MCP's
// diff_responses returns.
type resultJSON struct {
	Equal       bool         `json:"equal"`
	Summary     Summary      `json:"summary"`
	Differences []Difference `json:"differences"`
}

// MarshalJSON writes {"equal", "summary", "differences"}; differences is [] when equal.
func (r Result) MarshalJSON() ([]byte, error) {
	diffs := r.Differences
	if diffs == nil {
		diffs = []Difference{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // values are shown as the documents had them: <, > and & too
	if err := enc.Encode(resultJSON{Equal: r.Equal(), Summary: r.Summary(), Differences: diffs}); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (r *Result) UnmarshalJSON(b []byte) error {
	var v resultJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Result{Differences: v.Differences, Ignored: v.Summary.Ignored}
	return nil
}

// Counts returns the number of differences of each kind.
func (r Result) Counts() map[Kind]int {
	c := make(map[Kind]int, len(Kinds))
	for _, d := range r.Differences {
		c[d.Kind]++
	}
	return c
}

// Comparer is a compiled Config. It is immutable and safe for concurrent use.
type Comparer struct {
	cfg          Config
	tolDefault   float64 // the default tolerance
	strictArrays bool
	headerMode   HeaderMode
	m            matcher

	ignoreBare map[string]bool
	ignoreAt   state // final positions of ignore paths

	tolBare map[string]float64
	tolAt   []posValue[float64]
	tolAny  bool // some tolerance is non-zero: equality is no longer hash equality

	keyBare map[string]string
	keyAt   []posValue[string]

	unorderedBare map[string]bool
	unorderedAt   state
	absentBare    map[string]bool
	absentAt      state

	ignoreHeaders  map[string]bool
	includeHeaders map[string]bool
	seed           maphash.Seed
}

type posValue[T any] struct {
	pos int
	v   T
}

// PatternError is an ignore_fields, tolerance, array_keys, unordered_arrays or ignore_absence
// entry that does not compile.
type PatternError struct {
	Option  string // ignore_fields, tolerance, array_keys, unordered_arrays or ignore_absence
	Pattern string
	Err     error
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("%s: bad path %q: %v", e.Option, e.Pattern, e.Err)
}

func (e *PatternError) Unwrap() error { return e.Err }

// Compile checks and compiles cfg once; a bad pattern is a *PatternError naming it, a bad
// value (Config.Validate) an error naming the option.
func Compile(cfg Config) (*Comparer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Comparer{cfg: cfg, seed: maphash.MakeSeed(), tolDefault: cfg.Tolerance.DefaultValue()}
	c.strictArrays = cfg.StrictArrays != nil && *cfg.StrictArrays
	c.headerMode = cfg.CompareHeaders
	if c.headerMode == "" {
		c.headerMode = HeadersOff
	}
	c.tolAny = c.tolDefault > 0
	for _, set := range []struct {
		option string
		list   []string
		bare   *map[string]bool
		at     *state
	}{
		{"ignore_fields", cfg.IgnoreFields, &c.ignoreBare, &c.ignoreAt},
		{"unordered_arrays", cfg.UnorderedArrays, &c.unorderedBare, &c.unorderedAt},
		{"ignore_absence", cfg.IgnoreAbsence, &c.absentBare, &c.absentAt},
	} {
		for _, f := range set.list {
			if !strings.HasPrefix(f, "$") {
				if *set.bare == nil {
					*set.bare = map[string]bool{}
				}
				(*set.bare)[f] = true
				continue
			}
			pos, err := c.m.add(f)
			if err != nil {
				return nil, &PatternError{Option: set.option, Pattern: f, Err: err}
			}
			set.at.set(pos)
		}
	}
	for _, k := range sortedKeys(cfg.Tolerance.Paths) {
		t := cfg.Tolerance.Paths[k]
		if t > 0 {
			c.tolAny = true
		}
		if !strings.HasPrefix(k, "$") {
			if c.tolBare == nil {
				c.tolBare = map[string]float64{}
			}
			c.tolBare[k] = t
			continue
		}
		pos, err := c.m.add(k)
		if err != nil {
			return nil, &PatternError{Option: "tolerance", Pattern: k, Err: err}
		}
		c.tolAt = append(c.tolAt, posValue[float64]{pos, t})
	}
	for _, k := range sortedKeys(cfg.ArrayKeys) {
		field := strings.TrimSpace(cfg.ArrayKeys[k])
		if !strings.HasPrefix(k, "$") {
			if c.keyBare == nil {
				c.keyBare = map[string]string{}
			}
			c.keyBare[k] = field
			continue
		}
		pos, err := c.m.add(k)
		if err != nil {
			return nil, &PatternError{Option: "array_keys", Pattern: k, Err: err}
		}
		c.keyAt = append(c.keyAt, posValue[string]{pos, field})
	}
	c.ignoreHeaders = map[string]bool{}
	for _, h := range cfg.IgnoreHeaders {
		c.ignoreHeaders[http.CanonicalHeaderKey(strings.TrimSpace(h))] = true
	}
	c.includeHeaders = map[string]bool{}
	for _, h := range cfg.IncludeHeaders {
		c.includeHeaders[http.CanonicalHeaderKey(strings.TrimSpace(h))] = true
	}
	return c, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Config returns the configuration c was compiled from.
func (c *Comparer) Config() Config { return c.cfg }

// Response is one side of a comparison. Status 0 means "no status" (not compared); a nil
// Header is not compared.
type Response struct {
	Status      int
	Header      http.Header
	Body        []byte
	ContentType string // when empty, Header's Content-Type is used
	// Declared are the header names the spec declares for this response (its operation and
	// status): compare_headers: true compares the union of both sides' Declared. The caller
	// that knows the spec fills it in.
	Declared []string
}

// Compare compares a mock response with a live one: status, headers (as CompareHeaders and
// IncludeHeaders say), then the bodies. Bodies that both parse as JSON are compared
// structurally; otherwise as text line by line when both are text, else as bytes. It never
// fails.
func (c *Comparer) Compare(mock, live Response) Result {
	var res Result
	if mock.Status != 0 && live.Status != 0 && mock.Status != live.Status {
		res.Differences = append(res.Differences, Difference{
			Location: "status", Kind: KindStatus,
			Mock: json.RawMessage(fmt.Sprint(mock.Status)), Live: json.RawMessage(fmt.Sprint(live.Status)),
		})
	}
	if (c.headerMode != HeadersOff || len(c.includeHeaders) > 0) && mock.Header != nil && live.Header != nil {
		c.compareHeaders(&res, mock, live)
	}
	c.compareBodies(&res, mock, live)
	return res
}

// CompareJSON parses two JSON documents and compares them. A parse error names the side
// ("mock" or "live") and wraps a *SyntaxError.
func (c *Comparer) CompareJSON(mock, live []byte) (Result, error) {
	a, err := ParseJSON(mock)
	if err != nil {
		return Result{}, fmt.Errorf("mock: %w", err)
	}
	b, err := ParseJSON(live)
	if err != nil {
		return Result{}, fmt.Errorf("live: %w", err)
	}
	return c.CompareDocuments(a, b), nil
}

// CompareDocuments compares two parsed JSON documents.
func (c *Comparer) CompareDocuments(mock, live *Document) Result {
	var res Result
	c.compareDocs(&res, mock, live)
	return res
}

func (c *Comparer) compareDocs(res *Result, mock, live *Document) {
	w := &walker{c: c, rec: true, res: res, msrc: mock.src, lsrc: live.src}
	w.path = make([]segment, 0, 16)
	st := c.rootState()
	if x := st.and(&c.ignoreAt); !x.empty() {
		if w.cw().node(&mock.root, &live.root, &st, nil, 0) > 0 {
			res.Ignored++
		}
		return
	}
	w.node(&mock.root, &live.root, &st, nil, maxBudget)
}

// Location formats a location as a JSONPath that yalp/jsonpath (and so ignore_fields)
// accepts: identifiers after a dot, other keys as ["quoted"], indexes as [n].
func formatLocation(path []segment) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, g := range path {
		if !g.isKey {
			fmt.Fprintf(&b, "[%d]", g.index)
			continue
		}
		if isIdent(g.key) {
			b.WriteByte('.')
			b.Write(g.key)
		} else {
			b.WriteByte('[')
			b.WriteString(strconv.Quote(string(g.key)))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// isIdent reports whether k can follow a dot: what text/scanner (and so yalp) reads as one
// identifier, restricted to ASCII.
func isIdent(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	for i, ch := range k {
		switch {
		case ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'):
		case ch >= '0' && ch <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
