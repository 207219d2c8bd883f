package testrun

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/mockloop/mockloop/internal/compare"
)

// A settingRule is one rule of a comparison configuration (an ignore_fields entry, the
// tolerance, the array mode...): the configuration without it, and how to say why a difference
// it suppresses is not one.
type settingRule struct {
	without compare.Config
	why     func(compare.Difference) string
}

// settingRules are cfg's rules that can make a difference disappear, each with cfg minus it.
func settingRules(cfg compare.Config) []settingRule {
	var rules []settingRule
	for i, f := range cfg.IgnoreFields {
		c := cfg
		c.IgnoreFields = slices.Delete(slices.Clone(cfg.IgnoreFields), i, i+1)
		reason := "ignore_fields: " + f
		rules = append(rules, settingRule{c, func(compare.Difference) string { return reason }})
	}
	for i, h := range cfg.IgnoreHeaders {
		c := cfg
		c.IgnoreHeaders = slices.Delete(slices.Clone(cfg.IgnoreHeaders), i, i+1)
		reason := "ignore_headers: " + h
		rules = append(rules, settingRule{c, func(compare.Difference) string { return reason }})
	}
	for i, f := range cfg.IgnoreAbsence {
		c := cfg
		c.IgnoreAbsence = slices.Delete(slices.Clone(cfg.IgnoreAbsence), i, i+1)
		reason := "ignore_absence: " + f
		rules = append(rules, settingRule{c, func(compare.Difference) string { return reason }})
	}
	if !cfg.Tolerance.IsZero() {
		c := cfg
		c.Tolerance = compare.Tolerance{}
		name := "tolerance"
		if t := cfg.Tolerance; t.Default != nil && len(t.Paths) == 0 {
			name = "tolerance " + strconv.FormatFloat(*t.Default, 'g', -1, 64)
		}
		rules = append(rules, settingRule{c, func(d compare.Difference) string { return toleranceReason(name, d) }})
	}
	if cfg.StrictArrays == nil || !*cfg.StrictArrays {
		c := cfg
		c.StrictArrays = compare.Bool(true)
		c.UnorderedArrays, c.ArrayKeys = nil, nil
		rules = append(rules, settingRule{c, func(compare.Difference) string {
			return "strict_arrays: false (the same elements, in another order)"
		}})
	}
	for i, a := range cfg.UnorderedArrays {
		c := cfg
		c.UnorderedArrays = slices.Delete(slices.Clone(cfg.UnorderedArrays), i, i+1)
		reason := "unordered_arrays: " + a + " (its order is ignored)"
		rules = append(rules, settingRule{c, func(compare.Difference) string { return reason }})
	}
	for path, key := range cfg.ArrayKeys {
		c := cfg
		c.ArrayKeys = map[string]string{}
		for p, k := range cfg.ArrayKeys {
			if p != path {
				c.ArrayKeys[p] = k
			}
		}
		reason := fmt.Sprintf("array_keys: %s matched by %s", path, key)
		rules = append(rules, settingRule{c, func(compare.Difference) string { return reason }})
	}
	return rules
}

// toleranceReason says how far apart two numbers are that the tolerance let pass.
func toleranceReason(name string, d compare.Difference) string {
	a, okA := new(big.Float).SetString(strings.TrimSpace(string(d.Mock)))
	b, okB := new(big.Float).SetString(strings.TrimSpace(string(d.Live)))
	if !okA || !okB || a.Sign() == 0 && b.Sign() == 0 {
		return name
	}
	diff := new(big.Float).Sub(a, b)
	diff.Abs(diff)
	larger := new(big.Float).Abs(a)
	if bb := new(big.Float).Abs(b); bb.Cmp(larger) > 0 {
		larger = bb
	}
	rel, _ := new(big.Float).Quo(diff, larger).Float64()
	return fmt.Sprintf("%s (%.2g%% apart)", name, rel*100)
}

// explainSettings lists the differences cfg's rules suppress, each with the rule, found by
// leaving one rule out at a time: what the comparison without the rule reports and the full
// comparison does not is that rule's doing. kept are the full comparison's differences.
// Differences under an array that the array mode suppresses are reported once, at the array.
//
// noise are the differences learned noise already suppressed: they are not the settings'.
func explainSettings(cfg compare.Config, cmps *comparers, kept []compare.Difference, noise []Suppressed, m, l compare.Response) []Suppressed {
	keep := make(map[string]bool, len(kept)+len(noise))
	for _, d := range kept {
		keep[d.Location+"\x00"+string(d.Kind)] = true
	}
	for _, s := range noise {
		keep[s.Location+"\x00"+string(s.Kind)] = true
	}
	var out []Suppressed
	seen := map[string]int{}
	for _, r := range settingRules(cfg) {
		cmp, err := cmps.get(r.without)
		if err != nil {
			continue
		}
		for _, d := range cmp.Compare(m, l).Differences {
			k := d.Location + "\x00" + string(d.Kind)
			if keep[k] {
				continue
			}
			reason := r.why(d)
			if strings.HasPrefix(reason, "strict_arrays: false") {
				if i := strings.IndexByte(d.Location, '['); i > 0 {
					d = compare.Difference{Location: d.Location[:i], Kind: compare.KindChanged}
					k = d.Location + "\x00order"
				}
			}
			if i, ok := seen[k]; ok {
				if !strings.Contains(out[i].Reason, reason) {
					out[i].Reason += "; " + reason
				}
				continue
			}
			seen[k] = len(out)
			out = append(out, Suppressed{Difference: d, Reason: reason, By: "settings"})
		}
	}
	return out
}
