package simulate

import (
	"net/http"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
)

// Report is the body of GET /__mockloop/simulation: what is configured and what was applied.
type Report struct {
	Seed    uint64       `json:"seed"`
	Latency string       `json:"latency,omitempty"` // the flag form: 200ms, uniform:..., lognormal:...
	Fault   string       `json:"fault,omitempty"`   // RATE:KIND
	Rules   []RuleReport `json:"rules"`
	Counts
}

// RuleReport is one rule with the requests it decided for.
type RuleReport struct {
	Rule      string `json:"rule"`
	Pattern   string `json:"pattern,omitempty"`
	Operation string `json:"operation,omitempty"`
	Method    string `json:"method,omitempty"`
	Condition string `json:"condition,omitempty"`
	Latency   string `json:"latency,omitempty"`
	Fault     string `json:"fault,omitempty"`
	Hits      int64  `json:"hits"`
}

// Counts are what the simulation applied since the start (also in GET /__mockloop/status).
type Counts struct {
	Delayed int64            `json:"delayed"`
	Faults  map[string]int64 `json:"faults"` // by kind, only kinds applied
}

// Counts reports how many answers were delayed and failed.
func (s *Simulator) Counts() Counts {
	c := Counts{Delayed: s.delayed.Load(), Faults: map[string]int64{}}
	for i, k := range kinds {
		if n := s.faults[i].Load(); n > 0 {
			c.Faults[k] = n
		}
	}
	return c
}

// Report is what GET /__mockloop/simulation shows.
func (s *Simulator) Report() Report {
	rep := Report{Seed: s.seed, Rules: []RuleReport{}, Counts: s.Counts()}
	if !s.seeded {
		rep.Seed = 0 // a random seed is not worth showing: it cannot be asked for again
	}
	rep.Latency, rep.Fault = latencyText(s.latency), faultText(s.fault)
	for _, c := range s.rules {
		rep.Rules = append(rep.Rules, RuleReport{Rule: c.label, Pattern: c.spec.Pattern, Operation: c.spec.Operation,
			Method: c.spec.Method, Condition: c.spec.Condition, Latency: latencyText(c.latency), Fault: faultText(c.fault), Hits: c.hits.Load()})
	}
	return rep
}

func latencyText(d *distribution) string {
	if d == nil {
		return ""
	}
	return d.src.String()
}

func faultText(f *fault) string {
	if f == nil {
		return ""
	}
	pf := plugin.Fault{Rate: &f.rate, Kind: f.kind}
	if f.kind == plugin.FaultStatus {
		pf.Status = f.status
	}
	return pf.String()
}

// Admin is the admin endpoint GET /__mockloop/simulation, with the counts in the status.
func (s *Simulator) Admin() server.AdminRoute {
	return server.AdminRoute{
		Name:    "simulation",
		Methods: "GET",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			server.WriteJSON(w, http.StatusOK, s.Report())
		}),
		Status: func() any { return s.Counts() },
	}
}
