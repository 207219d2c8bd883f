// Package render turns results into what a user reads: plain tables (tablewriter), coloured
// diffs (fatih/color, decided by the caller and passed in as a bool), and JSON, JUnit and HTML
// reports. It knows the result types of compare and testrun, never the reverse.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Table writes rows under header as a plain, borderless table: cells left-aligned, columns
// separated by three spaces, no colour, no wrapping, no reformatting of the cells and no
// trailing blanks, so it reads well in a terminal and greps well in a pipe. Rows shorter than
// header are padded with empty cells; longer rows are an error.
func Table(w io.Writer, header []string, rows [][]string) error {
	if len(header) == 0 {
		return errors.New("render table: no columns")
	}
	for i, r := range rows {
		if len(r) > len(header) {
			return fmt.Errorf("render table: row %d has %d cells, header has %d", i, len(r), len(header))
		}
	}
	cell := tw.CellConfig{
		Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
		Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
		Padding:    tw.CellPadding{Global: tw.Padding{Right: "   ", Overwrite: true}},
	}
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off, ShowHeader: tw.Off, ShowFooter: tw.Off},
				Lines:      tw.Lines{ShowTop: tw.Off, ShowBottom: tw.Off, ShowHeaderLine: tw.Off, ShowFooterLine: tw.Off},
			},
		})),
		tablewriter.WithConfig(tablewriter.Config{Header: cell, Row: cell}),
	)
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = h
	}
	t.Header(hdr...)
	for _, r := range rows {
		cells := make([]string, len(header))
		copy(cells, r)
		if err := t.Append(cells); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	// The last column is padded to its width; drop the blanks at the end of each line.
	out := make([]byte, 0, buf.Len())
	for line := range bytes.Lines(buf.Bytes()) {
		out = append(out, bytes.TrimRight(line, " \n")...)
		out = append(out, '\n')
	}
	_, err := w.Write(out)
	return err
}
