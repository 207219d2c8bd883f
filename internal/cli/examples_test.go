package cli

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

func TestExamplesAcceptFlags(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		want    *examplesAcceptOptions
		wantErr string
	}{
		{"everything", []string{"shop", "--from", "recs", "--spec", "api.yaml", "--operations", "getPet", "--overlay", "o.yaml",
			"--dry-run", "--name", "live-ok", "--force", "-o", "json"},
			&examplesAcceptOptions{Plugin: "shop", From: "recs", Spec: "api.yaml", Operations: []string{"getPet"}, Overlay: "o.yaml",
				DryRun: true, Name: "live-ok", Force: true, Output: "json", specGiven: true}, ""},
		{"write", []string{"--from", "recs", "--write"}, &examplesAcceptOptions{From: "recs", Write: true, Output: "table"}, ""},
		{"no from", []string{"--spec", "a.yaml"}, nil, "examples accept needs --from"},
		{"two outputs", []string{"--from", "r", "--overlay", "o.yaml", "--write"}, nil, "--overlay and --write are two outputs"},
		{"json to stdout with the overlay", []string{"--from", "r", "-o", "json"}, nil, "-o json prints the plan"},
		{"bad name", []string{"--from", "r", "--name", "a/b"}, nil, `--name "a/b"`},
		{"bad filter", []string{"--from", "r", "--operations", "GET pets"}, nil, "--operations"},
		{"bad plugin", []string{"a:b", "--from", "r"}, nil, `plugin name "a:b"`},
		{"a spec as the argument", []string{"api.yaml", "--from", "recs"}, &examplesAcceptOptions{From: "recs", Spec: "api.yaml", Output: "table", specGiven: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestRunEnv(t)
			var got *examplesAcceptOptions
			err := execCmd(newExamplesAcceptCmd(env.f, func(o *examplesAcceptOptions) error { got = o; return nil }), tt.argv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != ExitTrouble {
					t.Fatalf("err = %v (exit %d), want %q and exit 2", err, exitCode(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO, got.Plugins, got.LookupEnv, got.Client, got.Load = nil, nil, nil, nil, spec.Options{}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
