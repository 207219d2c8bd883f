package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// Simulation is a plugin's `simulation:` block: latency and faults for every request, and by
// rule. For each of the two, the first rule that matches a request and sets it decides, else
// the block's own value; a request's `Prefer: delay=MS` or `Prefer: fault=KIND` decides over
// both.
type Simulation struct {
	Latency *Latency         `yaml:"latency,omitempty" json:"latency,omitempty" jsonschema:"latency of every answer: 200ms, {uniform: [100ms, 300ms]} or {lognormal: {median: 80ms, sigma: 0.4}}"`
	Fault   *Fault           `yaml:"fault,omitempty" json:"fault,omitempty" jsonschema:"a fault injected into a share of the answers"`
	Rules   []SimulationRule `yaml:"rules,omitempty" json:"rules,omitempty" jsonschema:"latency and faults for the requests each rule matches (in order)"`
}

// SimulationRule gives the requests it matches a latency, a fault, or both. It matches like a
// route rule: a path glob or template, or an operationId (or both), a method, a condition.
type SimulationRule struct {
	Name      string   `yaml:"name,omitempty" json:"name,omitempty" jsonschema:"a label for the rule"`
	Pattern   string   `yaml:"pattern,omitempty" json:"pattern,omitempty" jsonschema:"path glob (* one segment, ** any) or OpenAPI path template"`
	Operation string   `yaml:"operation,omitempty" json:"operation,omitempty" jsonschema:"an operationId"`
	Method    string   `yaml:"method,omitempty" json:"method,omitempty" jsonschema:"HTTP method; empty matches any"`
	Condition string   `yaml:"condition,omitempty" json:"condition,omitempty" jsonschema:"expression over request.method, request.path, request.headers, request.params"`
	Latency   *Latency `yaml:"latency,omitempty" json:"latency,omitempty"`
	Fault     *Fault   `yaml:"fault,omitempty" json:"fault,omitempty"`
}

// Latency is how long an answer is held back: exactly one of a fixed duration, a uniform
// range or a log-normal distribution. In files it is a duration ("200ms"), the flag form
// ("uniform:100ms,300ms", "lognormal:80ms,0.4"), or a mapping ({uniform: [100ms, 300ms]},
// {lognormal: {median: 80ms, sigma: 0.4}}).
type Latency struct {
	Fixed     Duration
	Uniform   []Duration // [min, max]
	Lognormal *Lognormal
}

// Lognormal is a log-normal latency: half the answers are faster than Median; Sigma is the
// standard deviation of the logarithm (0.4 gives a moderate tail).
type Lognormal struct {
	Median Duration `yaml:"median" json:"median"`
	Sigma  float64  `yaml:"sigma" json:"sigma"`
}

// Limits of simulation values: beyond them is a typo, not a test.
const (
	MaxLatency      = time.Hour
	maxSigma        = 4.0
	MaxFaultHold    = time.Hour
	MaxResourcesCap = 1_000_000
)

// ParseLatency reads the flag form of a latency: "200ms" (fixed), "uniform:100ms,300ms" or
// "lognormal:80ms,0.4" (median, sigma). A bare number is seconds, as in every duration here.
func ParseLatency(s string) (Latency, error) {
	kind, args, found := strings.Cut(strings.TrimSpace(s), ":")
	if !found {
		d, err := ParseDuration(kind)
		if err != nil {
			return Latency{}, fmt.Errorf("latency %q: want 200ms, uniform:MIN,MAX or lognormal:MEDIAN,SIGMA", s)
		}
		return Latency{Fixed: d}, nil
	}
	a, b, ok := strings.Cut(args, ",")
	if !ok {
		return Latency{}, fmt.Errorf("latency %q: %s takes two values separated by a comma", s, kind)
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "uniform":
		lo, err1 := ParseDuration(a)
		hi, err2 := ParseDuration(b)
		if err := errors.Join(err1, err2); err != nil {
			return Latency{}, fmt.Errorf("latency %q: %w", s, err)
		}
		return Latency{Uniform: []Duration{lo, hi}}, nil
	case "lognormal":
		median, err := ParseDuration(a)
		if err != nil {
			return Latency{}, fmt.Errorf("latency %q: median: %w", s, err)
		}
		sigma, err := strconv.ParseFloat(b, 64)
		if err != nil {
			return Latency{}, fmt.Errorf("latency %q: sigma %q is not a number", s, b)
		}
		return Latency{Lognormal: &Lognormal{Median: median, Sigma: sigma}}, nil
	}
	return Latency{}, fmt.Errorf("latency %q: unknown distribution %q (want uniform or lognormal)", s, kind)
}

// Check lists what is wrong with l (nothing when valid).
func (l Latency) Check() []string {
	var out []string
	n := 0
	if l.Fixed.Duration != 0 {
		n++
	}
	if l.Uniform != nil {
		n++
		if len(l.Uniform) != 2 {
			out = append(out, fmt.Sprintf("uniform takes [min, max], got %d values", len(l.Uniform)))
		} else if l.Uniform[0].Duration > l.Uniform[1].Duration {
			out = append(out, fmt.Sprintf("uniform [%s, %s]: min is above max", l.Uniform[0], l.Uniform[1]))
		}
	}
	if l.Lognormal != nil {
		n++
		if l.Lognormal.Median.Duration <= 0 {
			out = append(out, "lognormal median must be positive")
		}
		if !(l.Lognormal.Sigma >= 0 && l.Lognormal.Sigma <= maxSigma) {
			out = append(out, fmt.Sprintf("lognormal sigma %g: want 0 to %g", l.Lognormal.Sigma, maxSigma))
		}
	}
	if n > 1 {
		out = append(out, "give one of a duration, uniform or lognormal")
	}
	for _, d := range append(append([]Duration{l.Fixed}, l.Uniform...), l.lognormalMedian()) {
		if d.Duration > MaxLatency {
			out = append(out, fmt.Sprintf("%s is longer than %s", d, MaxLatency))
			break
		}
	}
	return out
}

func (l Latency) lognormalMedian() Duration {
	if l.Lognormal == nil {
		return Duration{}
	}
	return l.Lognormal.Median
}

// String is the flag form of l.
func (l Latency) String() string {
	switch {
	case len(l.Uniform) == 2:
		return "uniform:" + l.Uniform[0].String() + "," + l.Uniform[1].String()
	case l.Lognormal != nil:
		return "lognormal:" + l.Lognormal.Median.String() + "," + strconv.FormatFloat(l.Lognormal.Sigma, 'g', -1, 64)
	}
	return l.Fixed.String()
}

// latencyFields is the mapping form of a Latency.
type latencyFields struct {
	Uniform   []Duration `yaml:"uniform,omitempty" json:"uniform,omitempty"`
	Lognormal *Lognormal `yaml:"lognormal,omitempty" json:"lognormal,omitempty"`
}

// MarshalYAML writes a fixed latency as a duration, the others as a mapping.
func (l Latency) MarshalYAML() (any, error) {
	if l.Uniform == nil && l.Lognormal == nil {
		return l.Fixed.String(), nil
	}
	return latencyFields{Uniform: l.Uniform, Lognormal: l.Lognormal}, nil
}

// UnmarshalYAML reads a duration, the flag form, or a mapping with uniform or lognormal.
func (l *Latency) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		v, err := parseLatencyScalar(n.Value, n.Tag == "!!int" || n.Tag == "!!float")
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		*l = v
		return nil
	case yaml.MappingNode:
		var f latencyFields
		if err := decodeKnown(n, &f, "uniform", "lognormal"); err != nil {
			return err
		}
		if f.Lognormal != nil {
			if err := knownKeys(n, "lognormal", "median", "sigma"); err != nil {
				return err
			}
		}
		*l = Latency{Uniform: f.Uniform, Lognormal: f.Lognormal}
		return nil
	}
	return fmt.Errorf("line %d: latency: want 200ms, {uniform: [MIN, MAX]} or {lognormal: {median: D, sigma: S}}", n.Line)
}

// MarshalJSON writes a fixed latency as a duration string, the others as an object.
func (l Latency) MarshalJSON() ([]byte, error) {
	if l.Uniform == nil && l.Lognormal == nil {
		return json.Marshal(l.Fixed.String())
	}
	return json.Marshal(latencyFields{Uniform: l.Uniform, Lognormal: l.Lognormal})
}

// UnmarshalJSON reads a duration string, a number of seconds, the flag form, or an object.
func (l *Latency) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var f latencyFields
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		*l = Latency{Uniform: f.Uniform, Lognormal: f.Lognormal}
		return nil
	}
	var s string
	numeric := len(b) > 0 && b[0] != '"'
	if numeric {
		s = string(b)
	} else if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("latency: want a duration like \"200ms\" or an object")
	}
	v, err := parseLatencyScalar(s, numeric)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

func parseLatencyScalar(s string, numeric bool) (Latency, error) {
	if numeric {
		d, err := parseDuration(s, true)
		return Latency{Fixed: Duration{d}}, err
	}
	return ParseLatency(s)
}

// Fault kinds: what a simulated fault does to an answer.
const (
	FaultReset     = "reset"     // close the connection with a TCP reset, nothing sent
	FaultEmpty     = "empty"     // close the connection without a response
	FaultMalformed = "malformed" // send bytes that are not HTTP, then close
	FaultTimeout   = "timeout"   // hold the request until the client gives up (or After)
	FaultStatus    = "status"    // answer Status (503 unless given) with a problem+json body
)

// FaultKinds lists the fault kinds in the order help texts name them.
var FaultKinds = []string{FaultReset, FaultEmpty, FaultMalformed, FaultTimeout, FaultStatus}

// Defaults of a fault.
const (
	DefaultFaultStatus = http.StatusServiceUnavailable
	DefaultFaultHold   = 30 * time.Second
)

// Fault injects a failure into a share of the answers.
type Fault struct {
	// Rate is the share of matching requests that fail, 0 to 1; nil (not written) is 1.
	Rate *float64 `yaml:"rate,omitempty" json:"rate,omitempty" jsonschema:"share of the matching requests that fail, 0 to 1 (default 1)"`
	// Kind is one of FaultKinds; "" is status.
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty" jsonschema:"reset, empty, malformed, timeout or status (default status)"`
	// Status is the status of a status fault (DefaultFaultStatus when 0).
	Status int `yaml:"status,omitempty" json:"status,omitempty" jsonschema:"the status of a status fault (default 503)"`
	// After bounds a timeout fault's hold (DefaultFaultHold when 0).
	After Duration `yaml:"after,omitempty" json:"after,omitempty,omitzero" jsonschema:"how long a timeout fault holds the request at most (default 30s)"`
}

// RateValue is the fault's rate, 1 when not given.
func (f Fault) RateValue() float64 {
	if f.Rate == nil {
		return 1
	}
	return *f.Rate
}

// KindValue is the fault's kind, status when not given.
func (f Fault) KindValue() string {
	if f.Kind == "" {
		return FaultStatus
	}
	return strings.ToLower(f.Kind)
}

// StatusValue is a status fault's status, DefaultFaultStatus when not given.
func (f Fault) StatusValue() int {
	if f.Status == 0 {
		return DefaultFaultStatus
	}
	return f.Status
}

// HoldValue is how long a timeout fault holds a request at most.
func (f Fault) HoldValue() time.Duration {
	if f.After.Duration == 0 {
		return DefaultFaultHold
	}
	return f.After.Duration
}

// String is the flag form of f: RATE[:KIND], a status fault's kind written as its status.
func (f Fault) String() string {
	rate := strconv.FormatFloat(f.RateValue(), 'g', -1, 64)
	if f.KindValue() == FaultStatus {
		return rate + ":" + strconv.Itoa(f.StatusValue())
	}
	return rate + ":" + f.KindValue()
}

// ParseFault reads the flag form of a fault: RATE[:KIND], KIND one of FaultKinds or a status
// code (a status fault with that status): "0.05", "0.05:reset", "0.1:500".
func ParseFault(s string) (Fault, error) {
	rateText, kind, _ := strings.Cut(strings.TrimSpace(s), ":")
	rate, err := strconv.ParseFloat(strings.TrimSpace(rateText), 64)
	if err != nil {
		return Fault{}, fmt.Errorf("fault %q: rate %q is not a number (want RATE[:KIND], e.g. 0.05:reset)", s, rateText)
	}
	f := Fault{Rate: &rate}
	kind = strings.ToLower(strings.TrimSpace(kind))
	if code, err := strconv.Atoi(kind); err == nil {
		f.Kind, f.Status = FaultStatus, code
	} else {
		f.Kind = kind
	}
	if msgs := f.Check(); len(msgs) > 0 {
		return Fault{}, fmt.Errorf("fault %q: %s", s, strings.Join(msgs, "; "))
	}
	return f, nil
}

// Check lists what is wrong with f (nothing when valid).
func (f Fault) Check() []string {
	var out []string
	if r := f.RateValue(); !(r >= 0 && r <= 1) {
		out = append(out, fmt.Sprintf("rate %g: want 0 to 1", r))
	}
	kind := f.KindValue()
	if !slices.Contains(FaultKinds, kind) {
		out = append(out, fmt.Sprintf("kind %q: want one of %s", f.Kind, strings.Join(FaultKinds, ", ")))
	}
	if f.Status != 0 && (kind != FaultStatus || f.Status < 100 || f.Status > 599) {
		if kind != FaultStatus {
			out = append(out, "status applies to kind status only")
		} else {
			out = append(out, fmt.Sprintf("status %d: want 100 to 599", f.Status))
		}
	}
	if f.After.Duration != 0 && kind != FaultTimeout {
		out = append(out, "after applies to kind timeout only")
	}
	if f.After.Duration > MaxFaultHold {
		out = append(out, fmt.Sprintf("after %s is longer than %s", f.After, MaxFaultHold))
	}
	return out
}

// Stateful is a plugin's `stateful:` key: `true`, or a mapping with the options (a mapping
// turns it on unless it says enabled: false).
type Stateful struct {
	Enabled bool
	// SeedExamples fills the collections from the spec's examples at start and on reset.
	SeedExamples bool
	// MaxResources bounds each collection (0: the default); the oldest resource goes first.
	MaxResources int
}

type statefulFields struct {
	Enabled      *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	SeedExamples bool  `yaml:"seed_examples,omitempty" json:"seed_examples,omitempty"`
	MaxResources int   `yaml:"max_resources,omitempty" json:"max_resources,omitempty"`
}

func (s Stateful) fields() any {
	if !s.SeedExamples && s.MaxResources == 0 {
		return s.Enabled
	}
	f := statefulFields{SeedExamples: s.SeedExamples, MaxResources: s.MaxResources}
	if !s.Enabled {
		f.Enabled = &s.Enabled
	}
	return f
}

func (s *Stateful) set(f statefulFields) {
	*s = Stateful{Enabled: f.Enabled == nil || *f.Enabled, SeedExamples: f.SeedExamples, MaxResources: f.MaxResources}
}

// MarshalYAML writes true or false when there are no options, else a mapping.
func (s Stateful) MarshalYAML() (any, error) { return s.fields(), nil }

// UnmarshalYAML reads a boolean or a mapping of the options.
func (s *Stateful) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("line %d: stateful: want true, false or a mapping", n.Line)
		}
		*s = Stateful{Enabled: b}
		return nil
	case yaml.MappingNode:
		var f statefulFields
		if err := decodeKnown(n, &f, "enabled", "seed_examples", "max_resources"); err != nil {
			return err
		}
		s.set(f)
		return nil
	}
	return fmt.Errorf("line %d: stateful: want true, false or a mapping", n.Line)
}

// MarshalJSON writes true or false when there are no options, else an object.
func (s Stateful) MarshalJSON() ([]byte, error) { return json.Marshal(s.fields()) }

// UnmarshalJSON reads a boolean or an object of the options.
func (s *Stateful) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var f statefulFields
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return fmt.Errorf("stateful: %w", err)
		}
		s.set(f)
		return nil
	}
	var v bool
	if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("stateful: want true, false or an object")
	}
	*s = Stateful{Enabled: v}
	return nil
}

// OverrideResponse is one answer an override gives: a status, headers and a body, or a named
// example of the operation (with the status it is declared under, when several have it).
type OverrideResponse struct {
	Status  int               `yaml:"status,omitempty" json:"status,omitempty" jsonschema:"status code (default: the operation's success status)"`
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty" jsonschema:"response headers"`
	Body    any               `yaml:"body,omitempty" json:"body,omitempty" jsonschema:"response body: JSON, or a string sent as is when Content-Type is not JSON"`
	Example string            `yaml:"example,omitempty" json:"example,omitempty" jsonschema:"a named example of the operation to answer with, instead of a body"`
}

// Override replaces the answers of one operation: one answer, or a sequence of them (each
// used once, then the last repeats, or with Cycle the sequence starts again). With Times,
// the override is removed after that many answers.
type Override struct {
	OverrideResponse `yaml:",inline"`
	Responses        []OverrideResponse `yaml:"responses,omitempty" json:"responses,omitempty" jsonschema:"a sequence of answers, used in order"`
	Cycle            bool               `yaml:"cycle,omitempty" json:"cycle,omitempty" jsonschema:"start the sequence again after its last answer"`
	Times            int                `yaml:"times,omitempty" json:"times,omitempty" jsonschema:"remove the override after this many answers (0: never)"`
}

// Sequence is the override's answers in order: Responses, or the one answer.
func (o Override) Sequence() []OverrideResponse {
	if len(o.Responses) > 0 {
		return o.Responses
	}
	return []OverrideResponse{o.OverrideResponse}
}

// Check lists what is wrong with o (nothing when valid). Whether the operation declares an
// example is checked where the spec is known.
func (o Override) Check() []string {
	var out []string
	one := o.OverrideResponse
	if len(o.Responses) > 0 && (one.Status != 0 || one.Headers != nil || one.Body != nil || one.Example != "") {
		out = append(out, "give responses or one answer (status, headers, body, example), not both")
	}
	if o.Cycle && len(o.Responses) == 0 {
		out = append(out, "cycle applies to responses only")
	}
	if o.Times < 0 {
		out = append(out, fmt.Sprintf("times %d must not be negative", o.Times))
	}
	for i, r := range o.Sequence() {
		where := ""
		if len(o.Responses) > 0 {
			where = fmt.Sprintf("responses[%d]: ", i)
		}
		if r.Status != 0 && (r.Status < 200 || r.Status > 599) {
			out = append(out, fmt.Sprintf("%sstatus %d: want 200 to 599", where, r.Status))
		}
		if r.Example != "" && r.Body != nil {
			out = append(out, where+"give a body or an example, not both")
		}
		for k := range r.Headers {
			if !validHeaderName(k) {
				out = append(out, fmt.Sprintf("%sheader name %q is not valid", where, k))
			}
		}
	}
	return out
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// checkSimulation lists the problems of the simulation, stateful and overrides keys.
func (p *Plugin) checkSimulation(add func(where, format string, args ...any)) {
	if s := p.Simulation; s != nil {
		if s.Latency != nil {
			for _, m := range s.Latency.Check() {
				add("simulation.latency", "%s", m)
			}
		}
		if s.Fault != nil {
			for _, m := range s.Fault.Check() {
				add("simulation.fault", "%s", m)
			}
		}
		for i, r := range s.Rules {
			where := fmt.Sprintf("simulation.rules[%d]", i)
			if r.Pattern != "" && !strings.HasPrefix(r.Pattern, "/") && !strings.HasPrefix(r.Pattern, "*") {
				add(where, "pattern %q must start with / or *", r.Pattern)
			}
			if r.Method != "" && !slices.Contains(httpMethods, strings.ToUpper(r.Method)) {
				add(where, "method %q: want one of %s", r.Method, strings.Join(httpMethods, ", "))
			}
			if r.Latency == nil && r.Fault == nil {
				add(where, "give a latency, a fault or both")
			}
			if r.Latency != nil {
				for _, m := range r.Latency.Check() {
					add(where+".latency", "%s", m)
				}
			}
			if r.Fault != nil {
				for _, m := range r.Fault.Check() {
					add(where+".fault", "%s", m)
				}
			}
		}
	}
	if s := p.Stateful; s != nil && (s.MaxResources < 0 || s.MaxResources > MaxResourcesCap) {
		add("stateful", "max_resources %d: want 0 (the default) to %d", s.MaxResources, MaxResourcesCap)
	}
	for _, id := range sortedKeys(p.Overrides) {
		where := "overrides." + id
		if strings.TrimSpace(id) == "" {
			where = "overrides"
			add(where, "an operationId is empty")
		}
		for _, m := range p.Overrides[id].Check() {
			add(where, "%s", m)
		}
	}
}

// decodeKnown decodes a mapping node into v after checking its keys: node.Decode inside an
// UnmarshalYAML does not keep the strict decoder's check of unknown keys.
func decodeKnown(n *yaml.Node, v any, keys ...string) error {
	if err := checkNodeKeys(n, keys); err != nil {
		return err
	}
	if err := n.Decode(v); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// knownKeys checks the keys of the mapping under key in n.
func knownKeys(n *yaml.Node, key string, keys ...string) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.MappingNode {
			return checkNodeKeys(n.Content[i+1], keys)
		}
	}
	return nil
}

func checkNodeKeys(n *yaml.Node, keys []string) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(keys, k.Value) {
			return fmt.Errorf("line %d: unknown key %q (want %s)", k.Line, k.Value, strings.Join(keys, ", "))
		}
	}
	return nil
}
