package plugin

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ResolveValue expands ${NAME} references in v with lookup (os.LookupEnv in production).
// "$${" writes a literal "${"; a '$' not followed by '{' is kept as is. An unset variable is an
// error naming the variable; errors never contain v itself, which may be a secret.
func ResolveValue(v string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(v, "$") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		c := v[i]
		if c != '$' {
			b.WriteByte(c)
			i++
			continue
		}
		switch {
		case strings.HasPrefix(v[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(v[i:], "${"):
			end := strings.IndexByte(v[i+2:], '}')
			if end < 0 {
				return "", errors.New(`unterminated "${" reference`)
			}
			name := v[i+2 : i+2+end]
			if err := checkVarName(name); err != nil {
				return "", err
			}
			val, ok := lookup(name)
			if !ok {
				return "", fmt.Errorf("environment variable %s is not set", name)
			}
			b.WriteString(val)
			i += 2 + end + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// References lists the variable names v refers to with ${NAME}, in order, without duplicates.
func References(v string) []string {
	var names []string
	for i := 0; i < len(v); {
		switch {
		case strings.HasPrefix(v[i:], "$${"):
			i += 3
		case strings.HasPrefix(v[i:], "${"):
			end := strings.IndexByte(v[i+2:], '}')
			if end < 0 {
				return names
			}
			name := v[i+2 : i+2+end]
			if checkVarName(name) == nil && !slices.Contains(names, name) {
				names = append(names, name)
			}
			i += 2 + end + 1
		default:
			i++
		}
	}
	return names
}

// checkRefs reports a malformed ${...} reference in v without resolving anything.
func checkRefs(v string) error {
	_, err := ResolveValue(v, func(string) (string, bool) { return "", true })
	return err
}

// checkVarName accepts environment variable names: letters, digits and '_', not starting with
// a digit. The bad name is not quoted: it may be a mistyped secret.
func checkVarName(name string) error {
	ok := name != ""
	for i, r := range name {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			ok = false
			break
		}
	}
	if ok {
		return nil
	}
	return errors.New(`invalid "${...}" reference: want ${NAME} with letters, digits and '_'`)
}
