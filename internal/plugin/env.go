package plugin

import "github.com/mockloop/mockloop/internal/envref"

// ResolveValue expands ${NAME} references in v with lookup (os.LookupEnv in production); see
// envref.Expand for the rules. Errors never contain v itself, which may be a secret.
func ResolveValue(v string, lookup func(string) (string, bool)) (string, error) {
	return envref.Expand(v, lookup)
}

// References lists the variable names v refers to with ${NAME}, in order, without duplicates.
func References(v string) []string { return envref.Names(v) }

// checkRefs reports a malformed ${...} reference in v without resolving anything.
func checkRefs(v string) error { return envref.Check(v) }
