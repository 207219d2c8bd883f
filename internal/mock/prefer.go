package mock

import (
	"strconv"
	"strings"
	"time"
)

// Prefer is a parsed Prefer request header: Prism's code, example and dynamic, which choose
// the mock answer, and mockloop's delay and fault, which the simulation step (internal/simulate)
// applies around any answer. Names and the values of dynamic and fault are case-insensitive
// (the engine matches example names in any case too).
type Prefer struct {
	Code    string // code=404: the response to serve
	Example string // example=name: the named example to serve
	Dynamic bool   // dynamic or dynamic=true: generated data, varied per request
	// Delay is delay=MS: a number of milliseconds, or a Go duration ("1.5s"). DelaySet says
	// delay was given; a value that is neither (or negative) leaves Delay at -1.
	Delay    time.Duration
	DelaySet bool
	// Fault is fault=KIND, lower-cased ("reset", "status"...); the step checks the kind.
	Fault string
}

// ParsePrefer reads the values of the Prefer header (RFC 7240 preferences separated by ","
// or ";", values optionally quoted). Unknown preferences are ignored.
func ParsePrefer(values []string) Prefer {
	var p Prefer
	for _, v := range values {
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "code":
				p.Code = val
			case "example":
				p.Example = val
			case "dynamic":
				p.Dynamic = val == "" || strings.EqualFold(val, "true")
			case "delay":
				p.Delay, p.DelaySet = parseDelay(val), true
			case "fault":
				p.Fault = strings.ToLower(val)
			}
		}
	}
	return p
}

// parseDelay reads milliseconds or a Go duration; -1 when it is neither or negative.
func parseDelay(s string) time.Duration {
	if ms, err := strconv.ParseFloat(s, 64); err == nil {
		if ms < 0 || ms != ms || ms > float64(maxDelay/time.Millisecond) {
			return -1
		}
		return time.Duration(ms * float64(time.Millisecond))
	}
	d, err := time.ParseDuration(strings.ToLower(s))
	if err != nil || d < 0 || d > maxDelay {
		return -1
	}
	return d
}

// maxDelay bounds what a Prefer delay can ask for (a day): beyond is a typo, not a test.
const maxDelay = 24 * time.Hour
