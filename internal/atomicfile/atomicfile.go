// Package atomicfile writes files that readers see whole or not at all: the content goes to a
// temporary file in the same directory, which is then renamed over the target (or, for
// Create, linked to it). Plugin files, reports, baselines, recordings, the spec cache and the
// ready file all go through it.
package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Option changes how a file is written.
type Option func(*options)

type options struct{ noSync bool }

// NoSync skips the fsync before the rename: for caches, whose entries are checked when read
// and rebuilt when broken, the atomicity matters and the durability does not.
func NoSync() Option { return func(o *options) { o.noSync = true } }

// Write replaces path with what write produces. The temporary file is created 0600 (so a
// secret is never readable by others, not even for a moment), given perm, synced and renamed
// over path. On any error it is removed and path is left as it was.
func Write(path string, perm os.FileMode, write func(io.Writer) error, opts ...Option) error {
	tmp, err := temp(path, perm, write, opts)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteBytes is Write of data.
func WriteBytes(path string, data []byte, perm os.FileMode, opts ...Option) error {
	return Write(path, perm, func(w io.Writer) error { _, err := w.Write(data); return err }, opts...)
}

// Create writes data to path only if path does not exist: an error wrapping fs.ErrExist when
// it does, also when another writer creates it at the same time (a hard link, which fails on
// an existing name; on file systems without hard links, a check then a rename).
func Create(path string, data []byte, perm os.FileMode, opts ...Option) error {
	if _, err := os.Lstat(path); err == nil {
		return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
	}
	tmp, err := temp(path, perm, func(w io.Writer) error { _, err := w.Write(data); return err }, opts)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // after a link, the spare name; after a rename, nothing
	err = os.Link(tmp, path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
	}
	return os.Rename(tmp, path)
}

// temp writes the content to a new temporary file beside path and returns its name.
func temp(path string, perm os.FileMode, write func(io.Writer) error, opts []Option) (string, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", err
	}
	err = write(f)
	if err == nil && perm != 0o600 {
		err = f.Chmod(perm)
	}
	if err == nil && !o.noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
