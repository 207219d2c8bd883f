package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
)

// Build information set at link time by GoReleaser (-X main.version=..., main.commit, main.date);
// when they are empty, version reads the module version and the VCS stamp Go records in every
// binary built from a checkout (go build, go install, go run).
type buildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Date    string `json:"date,omitempty"`
	Dirty   bool   `json:"dirty,omitempty"` // built from a checkout with uncommitted changes
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// readBuildInfo is debug.ReadBuildInfo, replaceable in tests.
var readBuildInfo = debug.ReadBuildInfo

// resolveBuild completes what the linker set with the binary's own build information.
func resolveBuild(version, commit, date string) buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	info, ok := readBuildInfo()
	if !ok {
		if b.Version == "" {
			b.Version = "dev"
		}
		return b
	}
	if (b.Version == "" || b.Version == "dev") && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if b.Commit == "" {
				b.Commit = s.Value
			}
		case "vcs.time":
			if b.Date == "" {
				b.Date = s.Value
			}
		case "vcs.modified":
			b.Dirty = s.Value == "true"
		}
	}
	if b.Version == "" || b.Version == "dev" {
		// A checkout build: name it by its commit, as Go's pseudo-versions do.
		b.Version = "dev"
		if b.Commit != "" {
			b.Version = "dev-" + b.Commit[:min(12, len(b.Commit))]
			if b.Dirty {
				b.Version += "-dirty"
			}
		}
	}
	return b
}

func (b buildInfo) String() string {
	var extra []string
	if b.Commit != "" {
		extra = append(extra, "commit "+b.Commit[:min(12, len(b.Commit))])
	}
	if b.Date != "" {
		extra = append(extra, "built "+b.Date)
	}
	extra = append(extra, b.Go, b.OS+"/"+b.Arch)
	return fmt.Sprintf("mockloop %s (%s)", b.Version, strings.Join(extra, ", "))
}

type versionOptions struct {
	IO     *iostreams.IOStreams
	Build  buildInfo
	Output string
}

func newVersionCmd(f *Factory) *cobra.Command {
	opts := &versionOptions{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the mockloop version, commit and build date",
		Long: `Print the version, the commit and the build date of this binary, and the Go version and
platform it was built for. Release builds carry what GoReleaser stamped; a binary built from a
checkout (go install, go build) names the module version or its commit.

-o json prints {"version", "commit", "date", "dirty", "go", "os", "arch"}.`,
		Args:    cobra.NoArgs,
		Example: "  $ mockloop version\n  $ mockloop version -o json",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Build = resolveBuild(f.Version, f.Commit, f.Date)
			if err := checkOutput(opts.Output, "text", "json"); err != nil {
				return err
			}
			if opts.Output == "json" {
				return writeJSON(opts.IO.Out, opts.Build)
			}
			_, err := fmt.Fprintln(opts.IO.Out, opts.Build)
			return err
		},
	}
	addOutputFlag(cmd, &opts.Output, "text", "json")
	return cmd
}
