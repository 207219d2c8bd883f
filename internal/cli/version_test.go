package cli

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/iostreams"
)

func TestResolveBuild(t *testing.T) {
	checkout := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-11-30T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	installed := &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}
	tests := []struct {
		name                  string
		version, commit, date string
		info                  *debug.BuildInfo
		want                  buildInfo
	}{
		{"release stamp wins", "v1.2.3", "abc", "2026-01-01", checkout, buildInfo{Version: "v1.2.3", Commit: "abc", Date: "2026-01-01", Dirty: true}},
		{"go install of a tagged module", "", "", "", installed, buildInfo{Version: "v1.4.0"}},
		{"a checkout build is named by its commit", "", "", "", checkout,
			buildInfo{Version: "dev-0123456789ab-dirty", Commit: "0123456789abcdef0123", Date: "2026-11-30T10:00:00Z", Dirty: true}},
		{"nothing known", "", "", "", nil, buildInfo{Version: "dev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := readBuildInfo
			defer func() { readBuildInfo = old }()
			readBuildInfo = func() (*debug.BuildInfo, bool) { return tt.info, tt.info != nil }
			got := resolveBuild(tt.version, tt.commit, tt.date)
			got.Go, got.OS, got.Arch = "", "", ""
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	f := &Factory{IOStreams: ios, LookupEnv: func(string) (string, bool) { return "", false }, Version: "v9.9.9", Commit: "feedface", Date: "2026-12-01"}
	if code := Run(t.Context(), f, []string{"version"}); code != 0 || !strings.HasPrefix(out.String(), "mockloop v9.9.9 (commit feedface, built 2026-12-01, go") {
		t.Errorf("exit %d: %q", code, out.String())
	}
	out.Reset()
	var b buildInfo
	if code := Run(t.Context(), f, []string{"version", "-o", "json"}); code != 0 || json.Unmarshal(out.Bytes(), &b) != nil || b.Version != "v9.9.9" || b.Commit != "feedface" || b.Go == "" {
		t.Errorf("exit %d: %q", code, out.String())
	}
	out.Reset()
	if code := Run(t.Context(), f, []string{"--version"}); code != 0 || out.String() != "mockloop v9.9.9\n" {
		t.Errorf("--version: %q", out.String())
	}
}
