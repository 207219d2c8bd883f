package testrun

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/server"
)

// SchemaVersion names the JSON report schema; it changes only when a field changes meaning
// or disappears (new fields may be added).
const SchemaVersion = "mockloop.testrun/v1"

// Report is the result of a run: what `test run -o json` prints and `--report x.json` writes.
type Report struct {
	Schema     string   `json:"schema"`
	Spec       string   `json:"spec"`
	Plugin     string   `json:"plugin,omitempty"`
	Mode       string   `json:"mode"`       // mock, proxy or hybrid
	Sides      []string `json:"sides"`      // the sides called: mock, live
	Validation string   `json:"validation"` // strict, soft or off
	Shard      string   `json:"shard,omitempty"`
	// Recordings is the directory the live answers were recorded into (test run --record):
	// what 'examples accept --from REPORT' reads the bodies from.
	Recordings string `json:"recordings,omitempty"`
	// LeftOut names the operations a generated plan has no case for, each with why.
	LeftOut     []string  `json:"left_out,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	DurationMS  float64   `json:"duration_ms"`
	Interrupted bool      `json:"interrupted,omitempty"` // Ctrl-C: unfinished cases are skipped
	Aborted     string    `json:"aborted,omitempty"`     // why the run stopped early: a side is unreachable
	Incomplete  bool      `json:"incomplete,omitempty"`  // interrupted or aborted: what was run so far
	Summary     Summary   `json:"summary"`
	// Cases are in plan order, repeated runs after the first pass.
	Cases   []CaseResult `json:"cases"`
	Metrics *Metrics     `json:"metrics,omitempty"`
	// LogsError says why the running server's request log could not be attached to every
	// case (with CollectLogs): unreachable, or some entries already gone from its buffer.
	LogsError string `json:"logs_error,omitempty"`
	// Baseline says how the differences compare with --baseline's; nil without one.
	Baseline *BaselineSummary `json:"baseline,omitempty"`
	// Noise is what --learn-noise learned and how much it suppressed; nil without it.
	Noise *NoiseSummary `json:"noise,omitempty"`
}

// Summary counts the case runs by outcome.
type Summary struct {
	Total    int `json:"total"`
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	Warnings int `json:"warnings"` // runs that passed with warnings (soft validation)
	Errors   int `json:"errors"`   // failed runs of KindError, counted in Failed too
}

func (s *Summary) add(r *CaseResult) {
	r.settleKind()
	s.Total++
	switch r.Outcome {
	case OutcomePass:
		s.Passed++
		if len(r.Warnings) > 0 {
			s.Warnings++
		}
	case OutcomeFail:
		s.Failed++
		if r.FailureKind == KindError {
			s.Errors++
		}
	case OutcomeSkip:
		s.Skipped++
	}
}

// OK reports whether every case run passed (skipped runs are not passes).
func (s Summary) OK() bool { return s.Failed == 0 && s.Skipped == 0 }

// Outcome of one case run.
type Outcome string

// Outcomes.
const (
	OutcomePass Outcome = "pass"
	OutcomeFail Outcome = "fail"
	OutcomeSkip Outcome = "skip"
)

// CaseResult is one run of one case.
type CaseResult struct {
	Name        string  `json:"name"`
	Operation   string  `json:"operation"`              // "METHOD /path/template"
	OperationID string  `json:"operation_id,omitempty"` // operationId when the spec has one
	Method      string  `json:"method"`
	Path        string  `json:"path"`                // the concrete path requested
	Iteration   int     `json:"iteration,omitempty"` // 1.. with --repeat > 1
	Outcome     Outcome `json:"outcome"`
	// FailureKind is set when the run failed: KindFailure (the answers were checked and
	// found wrong) or KindError (they could not be checked: a side gave no answer).
	FailureKind FailureKind `json:"failure_kind,omitempty"`
	Reason      string      `json:"reason,omitempty"` // why a run was skipped
	DurationMS  float64     `json:"duration_ms"`
	// Failures are one-line reasons the run failed; Warnings do not fail it.
	Failures []string    `json:"failures,omitempty"`
	Warnings []string    `json:"warnings,omitempty"`
	Mock     *SideResult `json:"mock,omitempty"`
	Live     *SideResult `json:"live,omitempty"`
	// Differences are the differences between mock and live that fail the run: with a
	// baseline, the new ones.
	Differences []compare.Difference `json:"differences,omitempty"`
	// Logs are the running server's request-log entries of this case run's requests, oldest
	// first (with CollectLogs; secrets redacted by the server).
	Logs []server.RequestRecord `json:"logs,omitempty"`
	// Known are the differences the baseline lists: reported, not failing.
	Known []compare.Difference `json:"known,omitempty"`
	// Suppressed are the differences learned noise removed (--learn-noise), with why.
	Suppressed []Suppressed `json:"suppressed,omitempty"`

	compared    bool // mock and live answers were compared
	diffFailure int  // 1 + the index in Failures of the difference count; 0 for none
}

// DisplayName is the name with the iteration for repeated runs: "getPet #2".
func (r *CaseResult) DisplayName() string {
	if r.Iteration > 1 {
		return r.Name + " #" + strconv.Itoa(r.Iteration)
	}
	return r.Name
}

// SideResult is one side's answer to a case run.
type SideResult struct {
	Status    int            `json:"status,omitempty"` // 0 when no answer
	LatencyMS float64        `json:"latency_ms"`
	Error     string         `json:"error,omitempty"`    // why there was no answer
	Problems  []problem.Item `json:"problems,omitempty"` // spec violations of the answer

	failures, warnings []string
	// errored: the side gave no answer that could be checked (its failures are errors);
	// unreachable, when set, says that nothing answers at its address at all.
	errored     bool
	unreachable string
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
