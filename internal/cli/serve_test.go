package cli

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

func TestServeFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *serveOptions)
		wantErr string
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, o *serveOptions) {
			if o.Addr != stack.DefaultAddr || o.LogFormat != "text" || o.MaxBody != server.DefaultMaxBodyBytes || o.ShutdownTimeout != 10*time.Second || o.LogLevel != "info" || o.LogLevelFlag != nil {
				t.Errorf("defaults = %+v", o)
			}
			if !reflect.DeepEqual(o.Flags, stack.Flags{}) {
				t.Errorf("no flag was given, but Flags = %+v", o.Flags)
			}
		}},
		{name: "everything", args: []string{"shop", "--spec", "s.yaml", "--mode", "hybrid", "--target", "http://x", "--addr", ":0",
			"--no-validate-requests", "--no-security", "--cors", "--admin-token", "t", "--log-format", "json", "--quiet",
			"--no-mode-override", "--validate-responses", "--max-body", "5", "--verbose", "--shutdown-timeout", "3s",
			"--log-level", "debug", "--upstream-proxy", "none", "--tls-cert", "c.pem", "--tls-key", "k.pem",
			"--overlay", "o.yaml", "--record", "rec", "--record-max-body", "9", "--record-max-entries", "4", "--record-keep", "all",
			"--replay", "old", "--replay-match", "exact"},
			check: func(t *testing.T, o *serveOptions) {
				want := serveOptions{Plugin: "shop", Spec: "s.yaml", Mode: "hybrid", Target: "http://x", Addr: ":0",
					NoValidateRequests: true, NoSecurity: true, CORS: true, AdminToken: "t", LogFormat: "json", Quiet: true,
					NoModeOverride: true, ValidateResponses: true, MaxBody: 5, Verbose: true, ShutdownTimeout: 3 * time.Second, ReadTimeout: 30 * time.Second,
					LogLevel: "debug", UpstreamProxy: "none", TLSCert: "c.pem", TLSKey: "k.pem",
					Overlays: []string{"o.yaml"}, Record: recordFlags{Dir: "rec", MaxBody: 9, MaxEntries: 4, Keep: "all"}, Replay: "old", ReplayMatch: "exact", ShadowRate: 0.1}
				got := *o
				if got.LogLevelFlag == nil || *got.LogLevelFlag != "debug" || got.Flags.UpstreamProxy == nil || *got.Flags.UpstreamProxy != "none" {
					t.Errorf("--log-level and --upstream-proxy not reported as given: %+v", got)
				}
				got.Flags, got.IO, got.Plugins, got.LookupEnv, got.Client, got.Load, got.Simulation, got.LogLevelFlag = stack.Flags{}, nil, nil, nil, nil, spec.Options{}, nil, nil
				if !reflect.DeepEqual(got, want) {
					t.Errorf("options\n got %+v\nwant %+v", got, want)
				}
				fl := o.Flags
				if fl.Mode == nil || *fl.Mode != "hybrid" || fl.Addr == nil || *fl.Addr != ":0" || fl.CORS == nil || !*fl.CORS || fl.Spec == nil || fl.LogFormat == nil ||
					fl.Replay == nil || *fl.Replay != "old" {
					t.Errorf("Flags do not report the flags given: %+v", fl)
				}
			}},
		{name: "spec argument", args: []string{"api/openapi.yaml", "--port", "4010"}, check: func(t *testing.T, o *serveOptions) {
			if o.Plugin != "" || o.Spec != "api/openapi.yaml" || o.Flags.Spec == nil || *o.Flags.Spec != "api/openapi.yaml" {
				t.Errorf("a spec path as the argument: Plugin %q, Spec %q, Flags.Spec %v", o.Plugin, o.Spec, o.Flags.Spec)
			}
		}},
		{name: "spec URL argument", args: []string{"https://example.com/openapi"}, check: func(t *testing.T, o *serveOptions) {
			if o.Plugin != "" || o.Spec != "https://example.com/openapi" {
				t.Errorf("a spec URL as the argument: Plugin %q, Spec %q", o.Plugin, o.Spec)
			}
		}},
		{name: "plugin name is not a spec", args: []string{"petstore"}, check: func(t *testing.T, o *serveOptions) {
			if o.Plugin != "petstore" || o.Spec != "" {
				t.Errorf("Plugin %q, Spec %q", o.Plugin, o.Spec)
			}
		}},
		{name: "spec twice", args: []string{"a.yaml", "--spec", "b.yaml"}, wantErr: "a.yaml and --spec b.yaml both name a spec: give one"},
		{name: "bad plugin name", args: []string{"no good"}, wantErr: `plugin name "no good"`},
		{name: "two plugins", args: []string{"a", "b"}, wantErr: "accepts at most 1 arg"},
		{name: "negative body limit", args: []string{"--max-body", "-1"}, wantErr: "--max-body must not be negative"},
		{name: "bad replay match", args: []string{"--replay-match", "near"}, wantErr: `--replay-match: want closest or exact, got "near"`},
		{name: "bad record body", args: []string{"--record-max-body", "0"}, wantErr: "--record-max-body: 0 is not a positive number"},
		{name: "shadow", args: []string{"--shadow", "--shadow-rate", "0.5"}, check: func(t *testing.T, o *serveOptions) {
			if !o.Shadow || o.ShadowRate != 0.5 {
				t.Errorf("shadow %v rate %v", o.Shadow, o.ShadowRate)
			}
		}},
		{name: "bad shadow rate", args: []string{"--shadow", "--shadow-rate", "0"}, wantErr: "--shadow-rate 0: want a share above 0 and at most 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios, LookupEnv: func(string) (string, bool) { return "", false }}
			var got *serveOptions
			cmd := newServeCmd(f, func(o *serveOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}
