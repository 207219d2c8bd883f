// Package envref expands ${NAME} references to environment variables and ${file:PATH}
// references to files (Docker and Kubernetes secrets), the one syntax plugin files, flags and
// proxy credentials share. "$${" writes a literal "${"; a '$' not followed by '{' is kept as is.
// Errors name the variable or the file, never the value being expanded: it may be a secret.
//
// A file is read when the reference is expanded and read again when it has changed since
// (its modification time or size, or another file at the path), so a rotated secret is
// picked up without a restart; the trailing line break secret files usually end with is
// dropped.
package envref

import (
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// filePrefix starts a file reference: ${file:/run/secrets/api_key}.
const filePrefix = "file:"

// maxFile bounds a secret file: credentials are short.
const maxFile = 64 << 10

// Expand replaces every ${NAME} in v with lookup(NAME) (os.LookupEnv when lookup is nil) and
// every ${file:PATH} with the content of PATH. An unset variable, an unreadable file, an
// unterminated "${" or a malformed name is an error.
func Expand(v string, lookup func(string) (string, bool)) (string, error) {
	return expand(v, lookup, readFile)
}

func expand(v string, lookup func(string) (string, bool), file func(string) (string, error)) (string, error) {
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
			if path, ok := strings.CutPrefix(name, filePrefix); ok {
				if path == "" {
					return "", errors.New(`invalid "${file:...}" reference: want ${file:PATH}`)
				}
				val, err := file(path)
				if err != nil {
					return "", err
				}
				b.WriteString(val)
				i += 2 + end + 1
				continue
			}
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
	for ref := range refs(v) {
		if validName(ref) && !slices.Contains(names, ref) {
			names = append(names, ref)
		}
	}
	return names
}

// Files lists the files v refers to with ${file:PATH}, in order, without duplicates.
func Files(v string) []string {
	var files []string
	for ref := range refs(v) {
		if path, ok := strings.CutPrefix(ref, filePrefix); ok && path != "" && !slices.Contains(files, path) {
			files = append(files, path)
		}
	}
	return files
}

// refs yields what stands between "${" and "}" in v, in order, skipping "$${" escapes and
// stopping at an unterminated reference.
func refs(v string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := 0; i < len(v); {
			switch {
			case strings.HasPrefix(v[i:], "$${"):
				i += 3
			case strings.HasPrefix(v[i:], "${"):
				end := strings.IndexByte(v[i+2:], '}')
				if end < 0 || !yield(v[i+2:i+2+end]) {
					return
				}
				i += 2 + end + 1
			default:
				i++
			}
		}
	}
}

// Check reports a malformed reference in v without resolving anything (no variable is read,
// no file opened).
func Check(v string) error {
	_, err := expand(v, func(string) (string, bool) { return "", true }, func(string) (string, error) { return "", nil })
	return err
}

// cached is a secret file as last read.
type cached struct {
	info os.FileInfo // its stat, for os.SameFile: a file renamed over it (an atomic
	mod  time.Time   // replacement, a Kubernetes symlink swap) may keep both of these
	size int64
	val  string
}

var (
	filesMu sync.Mutex
	files   = map[string]cached{}
)

// readFile returns the content of a secret file, from the cache while the file has not
// changed.
func readFile(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("credential file %s: %w", path, unwrapPath(err))
	}
	filesMu.Lock()
	c, ok := files[path]
	filesMu.Unlock()
	if ok && os.SameFile(c.info, info) && c.mod.Equal(info.ModTime()) && c.size == info.Size() {
		return c.val, nil
	}
	if info.Size() > maxFile {
		return "", fmt.Errorf("credential file %s: larger than %d KiB", path, maxFile>>10)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("credential file %s: %w", path, unwrapPath(err))
	}
	val := strings.TrimRight(string(data), "\r\n")
	filesMu.Lock()
	files[path] = cached{info: info, mod: info.ModTime(), size: info.Size(), val: val}
	filesMu.Unlock()
	return val, nil
}

// unwrapPath drops the path an *os.PathError repeats.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
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
