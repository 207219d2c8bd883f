package cli

import (
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/mockloop/mockloop/internal/yamldoc"
	"github.com/spf13/cobra"
)

// addOutputFlag binds -o/--output to p with the allowed formats (the first is the default).
func addOutputFlag(cmd *cobra.Command, p *string, formats ...string) {
	cmd.Flags().StringVarP(p, "output", "o", formats[0], "output format: "+strings.Join(formats, ", "))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// checkOutput rejects a format not among formats.
func checkOutput(v string, formats ...string) error {
	if slices.Contains(formats, v) {
		return nil
	}
	return usageErrorf("invalid --output %q: want %s", v, strings.Join(formats, ", "))
}

// writeJSON writes v as indented JSON with a trailing newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeYAML writes v as YAML.
func writeYAML(w io.Writer, v any) error {
	return yamldoc.Encode(w, v)
}
