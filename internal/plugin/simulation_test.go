package plugin

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

const simulationFile = `name: sim
spec: petstore.yaml
mode: mock
simulation:
  latency: 20ms
  fault: {rate: 0.05, kind: reset}
  rules:
    - operation: getPetById
      latency: {uniform: [100ms, 300ms]}
    - pattern: /store/**
      method: POST
      condition: "'X-Slow' in request.headers"
      latency: {lognormal: {median: 80ms, sigma: 0.4}}
      fault: {kind: status, status: 500}
    - pattern: /user/*
      latency: uniform:1ms,2ms
      fault: {kind: timeout, after: 2s, rate: 0.5}
stateful: {seed_examples: true, max_resources: 50}
overrides:
  getPetById:
    status: 503
    headers: {Retry-After: "1"}
    body: {message: down}
  findPetsByStatus:
    responses:
      - {status: 500}
      - {example: available}
    cycle: true
    times: 4
`

func TestSimulationKeys(t *testing.T) {
	p, err := Parse([]byte(simulationFile), "sim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	s := p.Simulation
	if s.Latency.Fixed.Duration != 20*time.Millisecond || s.Fault.RateValue() != 0.05 || s.Fault.KindValue() != FaultReset {
		t.Errorf("global: %+v %+v", s.Latency, s.Fault)
	}
	if got := s.Rules[0].Latency.Uniform; len(got) != 2 || got[0].Duration != 100*time.Millisecond || got[1].Duration != 300*time.Millisecond {
		t.Errorf("uniform: %v", got)
	}
	if l := s.Rules[1].Latency.Lognormal; l == nil || l.Median.Duration != 80*time.Millisecond || l.Sigma != 0.4 {
		t.Errorf("lognormal: %+v", l)
	}
	if f := s.Rules[1].Fault; f.RateValue() != 1 || f.StatusValue() != 500 {
		t.Errorf("rule fault: %+v", f)
	}
	if f := s.Rules[2].Fault; f.HoldValue() != 2*time.Second || s.Rules[2].Latency.Uniform[1].Duration != 2*time.Millisecond {
		t.Errorf("timeout rule: %+v %+v", f, s.Rules[2].Latency)
	}
	if *p.Stateful != (Stateful{Enabled: true, SeedExamples: true, MaxResources: 50}) {
		t.Errorf("stateful: %+v", p.Stateful)
	}
	o := p.Overrides["getPetById"]
	if o.Status != 503 || o.Headers["Retry-After"] != "1" || o.Body.(map[string]any)["message"] != "down" {
		t.Errorf("override: %+v", o)
	}
	if seq := p.Overrides["findPetsByStatus"].Sequence(); len(seq) != 2 || seq[1].Example != "available" {
		t.Errorf("sequence: %+v", seq)
	}

	t.Run("round trip through YAML and JSON", func(t *testing.T) {
		out, err := Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out, "again.yaml")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !reflect.DeepEqual(again.Simulation, p.Simulation) || !reflect.DeepEqual(again.Stateful, p.Stateful) {
			t.Errorf("YAML round trip changed it:\n%s", out)
		}
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON Plugin
		if err := json.Unmarshal(data, &fromJSON); err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		if !reflect.DeepEqual(fromJSON.Simulation, p.Simulation) || !reflect.DeepEqual(fromJSON.Stateful, p.Stateful) {
			t.Errorf("JSON round trip changed it:\n%s", data)
		}
		if !strings.Contains(string(data), `"latency":"20ms"`) || !strings.Contains(string(data), `"uniform":["100ms","300ms"]`) {
			t.Errorf("JSON forms: %s", data)
		}
	})
	t.Run("stateful: true is a boolean both ways", func(t *testing.T) {
		p, err := Parse([]byte("name: a\nspec: s\nmode: mock\nstateful: true\n"), "a.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if *p.Stateful != (Stateful{Enabled: true}) {
			t.Errorf("%+v", p.Stateful)
		}
		out, _ := Marshal(p)
		if !strings.Contains(string(out), "stateful: true\n") {
			t.Errorf("written as:\n%s", out)
		}
		var s Stateful
		if err := json.Unmarshal([]byte(`{"enabled": false, "max_resources": 3}`), &s); err != nil || s != (Stateful{MaxResources: 3}) {
			t.Errorf("%+v %v", s, err)
		}
	})
}

func TestSimulationKeyErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown latency key", "simulation: {latency: {normal: 1s}}", `line 4: unknown key "normal" (want uniform, lognormal)`},
		{"unknown lognormal key", "simulation: {latency: {lognormal: {median: 1s, mu: 2}}}", `unknown key "mu" (want median, sigma)`},
		{"unknown stateful key", "stateful: {seed: true}", `unknown key "seed"`},
		{"bad latency scalar", "simulation: {latency: soon}", `latency "soon": want 200ms`},
		{"stateful not a bool", "stateful: maybe", "stateful: want true, false or a mapping"},
		{"unknown override key", "overrides: {a: {staus: 200}}", `unknown key "staus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte("name: a\nspec: s\nmode: mock\n"+tt.yaml+"\n"), "a.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidateSimulation(t *testing.T) {
	rate := func(f float64) *float64 { return &f }
	ms := func(n int) Duration { return Duration{time.Duration(n) * time.Millisecond} }
	tests := []struct {
		name   string
		change func(p *Plugin)
		want   string
	}{
		{"rate above 1", func(p *Plugin) { p.Simulation = &Simulation{Fault: &Fault{Rate: rate(1.5)}} }, "simulation.fault: rate 1.5: want 0 to 1"},
		{"unknown kind", func(p *Plugin) { p.Simulation = &Simulation{Fault: &Fault{Kind: "slow"}} }, `kind "slow": want one of reset, empty, malformed, timeout, status`},
		{"status with another kind", func(p *Plugin) { p.Simulation = &Simulation{Fault: &Fault{Kind: "reset", Status: 500}} }, "status applies to kind status only"},
		{"status out of range", func(p *Plugin) { p.Simulation = &Simulation{Fault: &Fault{Status: 700}} }, "status 700: want 100 to 599"},
		{"after without timeout", func(p *Plugin) { p.Simulation = &Simulation{Fault: &Fault{After: ms(5)}} }, "after applies to kind timeout only"},
		{"uniform reversed", func(p *Plugin) { p.Simulation = &Simulation{Latency: &Latency{Uniform: []Duration{ms(3), ms(1)}}} }, "min is above max"},
		{"uniform of one", func(p *Plugin) { p.Simulation = &Simulation{Latency: &Latency{Uniform: []Duration{ms(3)}}} }, "uniform takes [min, max], got 1 values"},
		{"lognormal without median", func(p *Plugin) { p.Simulation = &Simulation{Latency: &Latency{Lognormal: &Lognormal{Sigma: 1}}} }, "median must be positive"},
		{"lognormal sigma", func(p *Plugin) {
			p.Simulation = &Simulation{Latency: &Latency{Lognormal: &Lognormal{Median: ms(1), Sigma: 9}}}
		}, "sigma 9: want 0 to 4"},
		{"two distributions", func(p *Plugin) {
			p.Simulation = &Simulation{Latency: &Latency{Fixed: ms(1), Uniform: []Duration{ms(1), ms(2)}}}
		}, "give one of a duration, uniform or lognormal"},
		{"a day of latency", func(p *Plugin) { p.Simulation = &Simulation{Latency: &Latency{Fixed: Duration{25 * time.Hour}}} }, "longer than 1h0m0s"},
		{"rule without effect", func(p *Plugin) { p.Simulation = &Simulation{Rules: []SimulationRule{{Pattern: "/a"}}} }, "simulation.rules[0]: give a latency, a fault or both"},
		{"rule pattern", func(p *Plugin) {
			p.Simulation = &Simulation{Rules: []SimulationRule{{Pattern: "a", Latency: &Latency{}}}}
		}, `simulation.rules[0]: pattern "a" must start with / or *`},
		{"rule method", func(p *Plugin) {
			p.Simulation = &Simulation{Rules: []SimulationRule{{Method: "FETCH", Latency: &Latency{}}}}
		}, `method "FETCH"`},
		{"rule fault", func(p *Plugin) {
			p.Simulation = &Simulation{Rules: []SimulationRule{{Fault: &Fault{Rate: rate(-1)}}}}
		}, "simulation.rules[0].fault: rate -1"},
		{"max resources", func(p *Plugin) { p.Stateful = &Stateful{Enabled: true, MaxResources: -1} }, "stateful: max_resources -1"},
		{"override both forms", func(p *Plugin) {
			p.Overrides = map[string]Override{"a": {OverrideResponse: OverrideResponse{Status: 200}, Responses: []OverrideResponse{{}}}}
		}, "overrides.a: give responses or one answer"},
		{"override body and example", func(p *Plugin) {
			p.Overrides = map[string]Override{"a": {OverrideResponse: OverrideResponse{Body: 1, Example: "x"}}}
		}, "give a body or an example, not both"},
		{"override sequence status", func(p *Plugin) {
			p.Overrides = map[string]Override{"a": {Responses: []OverrideResponse{{Status: 99}}}}
		}, "responses[0]: status 99"},
		{"override cycle alone", func(p *Plugin) { p.Overrides = map[string]Override{"a": {Cycle: true}} }, "cycle applies to responses only"},
		{"override times", func(p *Plugin) { p.Overrides = map[string]Override{"a": {Times: -2}} }, "times -2"},
		{"override header", func(p *Plugin) {
			p.Overrides = map[string]Override{"a": {OverrideResponse: OverrideResponse{Headers: map[string]string{"Bad Name": "x"}}}}
		}, `header name "Bad Name"`},
		{"a valid block", func(p *Plugin) {
			p.Simulation = &Simulation{Latency: &Latency{Fixed: ms(5)}, Rules: []SimulationRule{{Operation: "x", Fault: &Fault{Kind: "timeout", After: ms(10)}}}}
			p.Overrides = map[string]Override{"x": {Responses: []OverrideResponse{{Status: 500}, {Example: "e"}}, Cycle: true, Times: 3}}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlugin()
			tt.change(p)
			err := p.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseLatencyAndFault(t *testing.T) {
	ms := func(n int) Duration { return Duration{time.Duration(n) * time.Millisecond} }
	latencies := []struct {
		in   string
		want Latency
		err  string
	}{
		{"200ms", Latency{Fixed: ms(200)}, ""},
		{"1.5", Latency{Fixed: ms(1500)}, ""},
		{"uniform:100ms,300ms", Latency{Uniform: []Duration{ms(100), ms(300)}}, ""},
		{"Uniform: 1ms , 2ms", Latency{Uniform: []Duration{ms(1), ms(2)}}, ""},
		{"lognormal:80ms,0.4", Latency{Lognormal: &Lognormal{Median: ms(80), Sigma: 0.4}}, ""},
		{"uniform:100ms", Latency{}, "takes two values"},
		{"gauss:1,2", Latency{}, `unknown distribution "gauss"`},
		{"lognormal:80ms,wide", Latency{}, `sigma "wide" is not a number`},
		{"-5ms", Latency{}, "want 200ms"},
	}
	for _, tt := range latencies {
		t.Run("latency "+tt.in, func(t *testing.T) {
			got, err := ParseLatency(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v", got, err)
			}
			if again, _ := ParseLatency(got.String()); !reflect.DeepEqual(again, got) {
				t.Errorf("String %q does not parse back", got.String())
			}
		})
	}
	faults := []struct {
		in, want, err string
	}{
		{"0.05", "0.05:503", ""},
		{"0.05:reset", "0.05:reset", ""},
		{"1:EMPTY", "1:empty", ""},
		{"0.1:500", "0.1:500", ""},
		{"0.2:timeout", "0.2:timeout", ""},
		{"often", "", `rate "often" is not a number`},
		{"2", "", "rate 2: want 0 to 1"},
		{"0.1:boom", "", `kind "boom"`},
		{"0.1:900", "", "status 900"},
	}
	for _, tt := range faults {
		t.Run("fault "+tt.in, func(t *testing.T) {
			got, err := ParseFault(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Errorf("got %q, %v", got.String(), err)
			}
		})
	}
}

// FuzzParseSimulationFlags: the flag forms of latency and faults never panic, and what they
// accept prints back to itself.
func FuzzParseSimulationFlags(f *testing.F) {
	for _, s := range []string{"200ms", "uniform:1ms,2ms", "lognormal:80ms,0.4", "0.05:reset", "0.1:500", ":", ",", "uniform:,", "1e400", "NaN:status"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if l, err := ParseLatency(s); err == nil {
			_ = l.Check()
			if again, err := ParseLatency(l.String()); err != nil || !reflect.DeepEqual(again, l) {
				t.Fatalf("%q -> %q -> %+v, %v", s, l.String(), again, err)
			}
		}
		if fa, err := ParseFault(s); err == nil {
			if again, err := ParseFault(fa.String()); err != nil || again.String() != fa.String() {
				t.Fatalf("%q -> %q -> %v", s, fa.String(), err)
			}
		}
	})
}
