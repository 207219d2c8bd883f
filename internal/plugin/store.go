package plugin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mockloop/mockloop/internal/atomicfile"
	"github.com/mockloop/mockloop/internal/yamldoc"
)

// ErrNotFound is wrapped by Store errors for a plugin that does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is wrapped by Store.Save when the plugin exists and force is false.
var ErrExists = errors.New("already exists")

// fileExt is the extension of plugin files: NAME.yaml.
const fileExt = ".yaml"

// Store keeps one YAML file per plugin in a directory. Names are checked with ValidName before
// any file is touched. Writes are atomic (temp file in the same directory, then rename), files
// are 0600 and the directory is created 0700 on the first save.
type Store struct {
	dir string
}

// NewStore returns the store for dir. The directory need not exist yet.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path is the file a plugin named name lives in (whether or not it exists).
func (s *Store) Path(name string) string { return filepath.Join(s.dir, name+fileExt) }

// Get reads and parses the plugin named name. A missing plugin is an error wrapping
// ErrNotFound: `plugin "x" not found in DIR`.
func (s *Store) Get(name string) (*Plugin, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	return s.read(name)
}

func (s *Store) read(name string) (*Plugin, error) {
	path := s.Path(name)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("plugin %q %w in %s", name, ErrNotFound, s.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read plugin %q: %w", name, err)
	}
	p, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	if p.Name == "" {
		p.Name = name
	} else if p.Name != name {
		return nil, fmt.Errorf("parse plugin %q: name %q does not match the file name", path, p.Name)
	}
	return p, nil
}

// List reads every plugin in the directory, sorted by name. A missing directory is an empty
// list; a file that does not parse is an error naming it.
func (s *Store) List() ([]*Plugin, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list plugins: %w", err)
	}
	var out []*Plugin
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), fileExt)
		if !ok || e.IsDir() || ValidName(name) != nil {
			continue // temp files start with '.', other files are not ours
		}
		p, err := s.read(name)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Plugin) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Save validates p and writes it atomically. When the plugin exists and force is false it
// fails with an error wrapping ErrExists and leaves the file alone.
func (s *Store) Save(p *Plugin, force bool) error {
	if err := ValidName(p.Name); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	data, err := Marshal(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create plugins directory: %w", err)
	}
	final := s.Path(p.Name)
	if force {
		err = atomicfile.WriteBytes(final, data, 0o600)
	} else if err = atomicfile.Create(final, data, 0o600); errors.Is(err, fs.ErrExist) {
		return s.existsErr(p.Name)
	}
	if err != nil {
		return fmt.Errorf("save plugin %q: %w", p.Name, err)
	}
	return nil
}

func (s *Store) existsErr(name string) error {
	return fmt.Errorf("plugin %q %w in %s", name, ErrExists, s.dir)
}

// Delete removes the plugin named name; a missing plugin is an error wrapping ErrNotFound.
func (s *Store) Delete(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	err := os.Remove(s.Path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("plugin %q %w in %s", name, ErrNotFound, s.dir)
	}
	if err != nil {
		return fmt.Errorf("delete plugin %q: %w", name, err)
	}
	return nil
}

// Marshal encodes p as a plugin file (YAML, two-space indent).
func Marshal(p *Plugin) ([]byte, error) {
	data, err := yamldoc.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode plugin %q: %w", p.Name, err)
	}
	return data, nil
}
