package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fatih/color"

	"github.com/mockloop/mockloop/internal/examples"
)

// ExamplesTable writes what `examples accept` does (or would do): one row per recorded
// operation and status (the example's name, the action: add, replace, forced, refused,
// skipped, and a note), then the problems of each refused or forced body, then a summary
// line. With colour, add is green, replace yellow, refused red.
func ExamplesTable(w io.Writer, res *examples.Result, colour bool) error {
	paint := map[string]func(string) string{}
	for _, a := range []string{examples.ActionAdd, examples.ActionReplace, examples.ActionForced, examples.ActionRefused, examples.ActionSkipped} {
		paint[a] = plainSprint
	}
	if colour {
		paint[examples.ActionAdd] = colorSprint(color.FgGreen, color.Bold)
		paint[examples.ActionReplace] = colorSprint(color.FgYellow, color.Bold)
		paint[examples.ActionForced] = colorSprint(color.FgMagenta, color.Bold)
		paint[examples.ActionRefused] = colorSprint(color.FgRed, color.Bold)
	}
	rows := make([][]string, 0, len(res.Changes))
	for _, c := range res.Changes {
		rows = append(rows, []string{c.Operation, strconv.Itoa(c.Status), c.MediaType, c.Example, paint[c.Action](c.Action), c.Note})
	}
	if err := Table(w, []string{"OPERATION", "STATUS", "MEDIA TYPE", "EXAMPLE", "ACTION", "NOTE"}, rows); err != nil {
		return err
	}
	var b strings.Builder
	for _, c := range res.Changes {
		if len(c.Problems) == 0 {
			continue
		}
		word := "breaks its schema (drift)"
		if c.Action == examples.ActionForced {
			word = "breaks its schema, accepted with --force"
		}
		fmt.Fprintf(&b, "\n%s %d %s:\n", c.Operation, c.Status, paint[c.Action](word))
		for _, p := range c.Problems {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", ExamplesSummary(res))
	_, err := io.WriteString(w, b.String())
	return err
}

// ExamplesSummary is the one-line count of an accept: "2 added, 1 replaced, 1 refused
// (drift), 0 skipped".
func ExamplesSummary(res *examples.Result) string {
	s := fmt.Sprintf("%d added, %d replaced, %d refused (drift), %d skipped",
		res.Count(examples.ActionAdd), res.Count(examples.ActionReplace), res.Count(examples.ActionRefused), res.Count(examples.ActionSkipped))
	if n := res.Count(examples.ActionForced); n > 0 {
		s += fmt.Sprintf(", %d forced", n)
	}
	return s
}
