package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxFile bounds a recording file read (entries times bodies, with room).
const maxFile = 1 << 30

// Set is the recordings of one directory.
type Set struct {
	Dir string
	// Files are the recordings by operation key ("GET /pets/{id}").
	Files map[string]*File
	// Names are the file names (in Dir) by operation key.
	Names map[string]string
}

// Keys are the operations recorded, sorted.
func (s *Set) Keys() []string {
	keys := make([]string, 0, len(s.Files))
	for k := range s.Files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ReadDir reads every recording file (*.json) in dir. A file that is not a valid recording
// is an error naming it; so is a directory without any.
func ReadDir(dir string) (*Set, error) {
	files, err := readFiles(dir)
	if err != nil {
		if errors.Is(err, errNoFile) {
			return nil, fmt.Errorf("recordings %q: %w", dir, err)
		}
		return nil, err
	}
	s := &Set{Dir: dir, Files: map[string]*File{}, Names: map[string]string{}}
	for _, rf := range files {
		if prev, ok := s.Names[rf.file.Operation]; ok {
			return nil, fmt.Errorf("recordings %q: %s and %s both hold %s", dir, prev, rf.name, rf.file.Operation)
		}
		f := rf.file
		s.Files[f.Operation] = &f
		s.Names[f.Operation] = rf.name
	}
	return s, nil
}

type readFile struct {
	name string
	file File
}

// readFiles decodes the recording files of dir, in name order.
func readFiles(dir string) ([]readFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("recordings %q: %w", dir, err)
	}
	var out []readFile
	for _, de := range entries {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		f, err := readFileAt(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, readFile{name: name, file: f})
	}
	if len(out) == 0 {
		return nil, errNoFile
	}
	return out, nil
}

func readFileAt(path string) (File, error) {
	var f File
	fh, err := os.Open(path)
	if err != nil {
		return f, fmt.Errorf("recording %q: %w", path, err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFile+1))
	if err != nil {
		return f, fmt.Errorf("recording %q: %w", path, err)
	}
	if len(data) > maxFile {
		return f, fmt.Errorf("recording %q: larger than %d MiB", path, maxFile>>20)
	}
	if err := Decode(data, &f); err != nil {
		return f, fmt.Errorf("recording %q: %w", path, err)
	}
	return f, nil
}

// Decode reads one recording file strictly: unknown fields are errors, and so is anything
// that makes it unusable (another format version, a bad operation, a status out of range).
func Decode(data []byte, f *File) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line := bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n")) + 1
			return fmt.Errorf("line %d: %v", line, err)
		}
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return f.check()
}
