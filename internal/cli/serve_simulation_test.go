package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/stack"
)

func TestServeSimulationFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, s *stack.Simulation)
		wantErr string
	}{
		{name: "none given: the plugin decides", check: func(t *testing.T, s *stack.Simulation) {
			if *s != (stack.Simulation{}) {
				t.Errorf("%+v", s)
			}
		}},
		{name: "all of them", args: []string{"--latency", "uniform:10ms,20ms", "--fault-rate", "0.1:reset", "--seed", "7", "--stateful", "--stateful-seed"},
			check: func(t *testing.T, s *stack.Simulation) {
				if s.Latency == nil || s.Latency.String() != "uniform:10ms,20ms" || s.Fault == nil || s.Fault.String() != "0.1:reset" ||
					s.Seed == nil || *s.Seed != 7 || s.Stateful == nil || !*s.Stateful || !s.StatefulSeed {
					t.Errorf("%+v", s)
				}
			}},
		{name: "a fixed latency and a status fault", args: []string{"--latency", "250ms", "--fault-rate", "0.5"},
			check: func(t *testing.T, s *stack.Simulation) {
				if s.Latency.Fixed.Duration != 250*time.Millisecond || s.Fault.StatusValue() != 503 || s.Fault.RateValue() != 0.5 {
					t.Errorf("%+v %+v", s.Latency, s.Fault)
				}
			}},
		{name: "--stateful=false over the plugin", args: []string{"--stateful=false"}, check: func(t *testing.T, s *stack.Simulation) {
			if s.Stateful == nil || *s.Stateful {
				t.Errorf("%+v", s)
			}
		}},
		{name: "bad latency", args: []string{"--latency", "soon"}, wantErr: `--latency: latency "soon": want 200ms, uniform:MIN,MAX or lognormal:MEDIAN,SIGMA`},
		{name: "latency out of range", args: []string{"--latency", "uniform:3s,1s"}, wantErr: "--latency uniform:3s,1s: uniform [3s, 1s]: min is above max"},
		{name: "bad fault", args: []string{"--fault-rate", "0.1:boom"}, wantErr: `--fault-rate: fault "0.1:boom": kind "boom": want one of reset, empty, malformed, timeout, status`},
		{name: "bad seed", args: []string{"--seed", "-1"}, wantErr: `invalid argument "-1" for "--seed"`},
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
				if code := exitCode(err); code != 2 {
					t.Errorf("exit code %d, want 2", code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got.Simulation)
		})
	}
}
