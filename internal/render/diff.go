package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"

	"github.com/mockloop/mockloop/internal/compare"
)

// diffValueMax is the widest value a difference table shows; longer ones are cut with "…"
// (the JSON output always has them whole).
const diffValueMax = 60

// DiffTable writes a comparison result for a terminal: a table with the columns LOCATION, KIND,
// MOCK and LIVE ("-" where a side has no value, long values abbreviated), then the summary
// line. With colour on, the kind is red for missing and changed, green for extra, yellow for
// type, status and header. An equal result prints only the summary line.
func DiffTable(w io.Writer, res compare.Result, colour bool) error {
	if len(res.Differences) > 0 {
		paint := diffPalette(colour)
		rows := make([][]string, 0, len(res.Differences))
		for _, d := range res.Differences {
			kind := string(d.Kind)
			if c := paint[d.Kind]; c != nil {
				kind = c.Sprint(kind)
			}
			rows = append(rows, []string{d.Location, kind, diffCell(d.Mock), diffCell(d.Live)})
		}
		if err := Table(w, []string{"LOCATION", "KIND", "MOCK", "LIVE"}, rows); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, DiffSummary(res))
	return err
}

func diffPalette(colour bool) map[compare.Kind]*color.Color {
	red, green, yellow := color.New(color.FgRed), color.New(color.FgGreen), color.New(color.FgYellow)
	for _, c := range []*color.Color{red, green, yellow} {
		if colour {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	return map[compare.Kind]*color.Color{
		compare.KindMissing: red, compare.KindChanged: red, compare.KindExtra: green,
		compare.KindType: yellow, compare.KindStatus: yellow, compare.KindHeader: yellow,
	}
}

// diffCell is a value as a table cell: "-" when absent, abbreviated when long.
func diffCell(v json.RawMessage) string {
	if v == nil {
		return "-"
	}
	s := string(v)
	if utf8.RuneCountInString(s) <= diffValueMax {
		return s
	}
	r := []rune(s)
	return string(r[:diffValueMax-1]) + "…"
}

// DiffSummary is the one-line summary of a result, e.g.
// "3 differences (2 changed, 1 missing), 4 ignored" or "no differences".
func DiffSummary(res compare.Result) string {
	var b strings.Builder
	switch n := len(res.Differences); n {
	case 0:
		b.WriteString("no differences")
	case 1:
		b.WriteString("1 difference")
	default:
		fmt.Fprintf(&b, "%d differences", n)
	}
	if len(res.Differences) > 0 {
		counts := res.Counts()
		var parts []string
		for _, k := range compare.Kinds {
			if counts[k] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
			}
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	if res.Ignored > 0 {
		fmt.Fprintf(&b, ", %d ignored", res.Ignored)
	}
	return b.String()
}

// DiffReport is the JSON form of a comparison result (`-o json`). Its schema is stable:
//
//	{
//	  "equal": false,                 // true when there is no difference
//	  "summary": {"differences": 3, "changed": 2, "missing": 1, "extra": 0,
//	              "type": 0, "status": 0, "header": 0, "ignored": 4},
//	  "differences": [                // in document order; [] when equal
//	    {"location": "$.items[0].price", "kind": "changed", "mock": 10, "live": 12}
//	  ]
//	}
//
// "mock" and "live" are the whole JSON values (strings for headers, text lines and byte
// summaries) and are left out where that side has no value.
type DiffReport struct {
	Equal       bool         `json:"equal"`
	Summary     DiffCounts   `json:"summary"`
	Differences []DiffDetail `json:"differences"`
}

// DiffCounts is the summary block of a DiffReport.
type DiffCounts struct {
	Differences int `json:"differences"`
	Changed     int `json:"changed"`
	Missing     int `json:"missing"`
	Extra       int `json:"extra"`
	Type        int `json:"type"`
	Status      int `json:"status"`
	Header      int `json:"header"`
	Ignored     int `json:"ignored"`
}

// DiffDetail is one difference in a DiffReport.
type DiffDetail struct {
	Location string          `json:"location"`
	Kind     string          `json:"kind"`
	Mock     json.RawMessage `json:"mock,omitempty"`
	Live     json.RawMessage `json:"live,omitempty"`
}

// NewDiffReport builds the JSON form of res.
func NewDiffReport(res compare.Result) DiffReport {
	c := res.Counts()
	r := DiffReport{
		Equal: res.Equal(),
		Summary: DiffCounts{
			Differences: len(res.Differences), Changed: c[compare.KindChanged], Missing: c[compare.KindMissing],
			Extra: c[compare.KindExtra], Type: c[compare.KindType], Status: c[compare.KindStatus],
			Header: c[compare.KindHeader], Ignored: res.Ignored,
		},
		Differences: make([]DiffDetail, 0, len(res.Differences)),
	}
	for _, d := range res.Differences {
		r.Differences = append(r.Differences, DiffDetail{Location: d.Location, Kind: string(d.Kind), Mock: d.Mock, Live: d.Live})
	}
	return r
}

// DiffJSON writes res as an indented DiffReport with a trailing newline.
func DiffJSON(w io.Writer, res compare.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(NewDiffReport(res)); err != nil {
		return fmt.Errorf("render diff: %w", err)
	}
	return nil
}
