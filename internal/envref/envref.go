// Package envref expands ${NAME} references to environment variables, the one syntax plugin
// files, flags and proxy credentials share. "$${" writes a literal "${"; a '$' not followed by
// '{' is kept as is. Errors name the variable, never the value being expanded: it may be a
// secret.
package envref

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Expand replaces every ${NAME} in v with lookup(NAME) (os.LookupEnv when lookup is nil). An
// unset variable, an unterminated "${" or a malformed name is an error.
func Expand(v string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(v, "$") {
		return v, nil
	}
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var b strings.Builder
	for i := 0; i < len(v); {
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
			if !validName(name) {
				// The bad name is not quoted: it may be a mistyped secret.
				return "", errors.New(`invalid "${...}" reference: want ${NAME} with letters, digits and '_'`)
			}
			val, ok := lookup(name)
			if !ok {
				return "", fmt.Errorf("environment variable %s is not set", name)
			}
			b.WriteString(val)
			i += 2 + end + 1
		default:
			b.WriteByte(v[i])
			i++
		}
	}
	return b.String(), nil
}

// Names lists the variables v refers to with ${NAME}, in order, without duplicates.
func Names(v string) []string {
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
			if name := v[i+2 : i+2+end]; validName(name) && !slices.Contains(names, name) {
				names = append(names, name)
			}
			i += 2 + end + 1
		default:
			i++
		}
	}
	return names
}

// Check reports a malformed reference in v without resolving anything.
func Check(v string) error {
	_, err := Expand(v, func(string) (string, bool) { return "", true })
	return err
}

// validName accepts letters, digits and '_', not starting with a digit.
func validName(name string) bool {
	for i, r := range name {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return name != ""
}
