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

// DiffJSON writes res in its JSON form (compare.Result.MarshalJSON: equal, summary and
// differences), indented, with a trailing newline.
func DiffJSON(w io.Writer, res compare.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return fmt.Errorf("render diff: %w", err)
	}
	return nil
}
