package cli

import (
	"slices"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/spec"
)

// overlayUsage is the help of --overlay, the same on every command that loads a spec.
const overlayUsage = "apply this OpenAPI Overlay 1.0 file to the spec after loading it (repeatable; after the plugin's overlays)"

// addOverlayFlag adds --overlay to a command that loads a spec.
func addOverlayFlag(cmd *cobra.Command, v *[]string) {
	cmd.Flags().StringArrayVar(v, "overlay", nil, overlayUsage)
}

// withOverlays is load with the command line's --overlay files added (stack.LoadOptions puts
// a plugin's overlays before them).
func withOverlays(load spec.Options, overlays []string) spec.Options {
	load.Overlays = append(slices.Clip(load.Overlays), overlays...)
	return load
}
