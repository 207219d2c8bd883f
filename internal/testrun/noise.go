package testrun

import (
	"github.com/mockloop/mockloop/internal/compare"
)

// Noise is what was learned about the live side's noise by comparing it with itself (package
// noise, test run --learn-noise): a comparison layer per operation that subtracts it, and why
// a difference it removes is noise. It must be safe for concurrent use.
type Noise interface {
	// Layer is the comparison layer that subtracts the noise of operation ("METHOD /path"):
	// merged under the case's own layers, so that what the user wrote wins.
	Layer(operation string) compare.Config
	// Why says why d, a difference of operation that Layer removes, is noise.
	Why(operation string, d compare.Difference) string
	// Summary is what was learned: the answers per case and the layers of every operation
	// merged.
	Summary() NoiseSummary
}

// NoiseSummary is the "noise" object of a report run with --learn-noise.
type NoiseSummary struct {
	// Samples is how many live answers per case the noise was learned from.
	Samples int `json:"samples"`
	// Learned is what was subtracted, every operation's layer merged.
	Learned compare.Config `json:"learned"`
	// Suppressed counts the differences learned noise removed in this run.
	Suppressed int `json:"suppressed"`
}

// Suppressed is a difference that learned noise removed, or (By "settings", with --explain)
// that a comparison setting removed, with the reason.
type Suppressed struct {
	compare.Difference
	Reason string `json:"reason"`
	// By is "" for learned noise, "settings" for the comparison settings.
	By string `json:"by,omitempty"`
}

// subtractNoise compares the answers again with the operation's noise layer under the case's
// configuration; the differences that are gone are suppressed, with why.
func subtractNoise(n Noise, op string, cfg compare.Config, cmps *comparers, diffs []compare.Difference, m, l compare.Response) ([]compare.Difference, []Suppressed, error) {
	layer := n.Layer(op)
	if layer.IsZero() {
		return diffs, nil, nil
	}
	cmp, err := cmps.get(compare.Merge(layer, cfg))
	if err != nil {
		return diffs, nil, err
	}
	kept := cmp.Compare(m, l).Differences
	left := make(map[string]bool, len(kept))
	for _, d := range kept {
		left[d.Location+"\x00"+string(d.Kind)] = true
	}
	var sup []Suppressed
	for _, d := range diffs {
		if !left[d.Location+"\x00"+string(d.Kind)] {
			sup = append(sup, Suppressed{Difference: d, Reason: n.Why(op, d)})
		}
	}
	return kept, sup, nil
}

// mergeNoise adds up the noise summaries of shard reports: the suppressed counts add, the
// learned layers merge (each shard learned from its own cases).
func mergeNoise(reps []*Report) *NoiseSummary {
	var out *NoiseSummary
	for _, r := range reps {
		if r.Noise == nil {
			continue
		}
		if out == nil {
			out = &NoiseSummary{}
		}
		out.Samples = max(out.Samples, r.Noise.Samples)
		out.Learned = compare.Merge(out.Learned, r.Noise.Learned)
		out.Suppressed += r.Noise.Suppressed
	}
	return out
}
