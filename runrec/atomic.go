package runrec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path so that readers see either the old
// file or the whole new one, never a part: it writes a temporary file in
// the same directory, syncs it, and renames it over path. The directory must
// exist.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := CreateAtomic(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}

// AtomicFile is the new content of a file, written as it comes to a
// temporary file beside it (so that a large document is never whole in
// memory) and put in place by Commit, as WriteFileAtomic does.
type AtomicFile struct {
	*os.File
	path string
	perm os.FileMode
}

// CreateAtomic starts writing path. Call Commit to put the file in place,
// or Abort to drop it.
func CreateAtomic(path string, perm os.FileMode) (*AtomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// A leading dot keeps collectors that read *.prom or *.json from
	// picking the temporary file up.
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return &AtomicFile{File: tmp, path: path, perm: perm}, nil
}

// Commit syncs the file and renames it over the path; on failure the
// temporary file is removed.
func (f *AtomicFile) Commit() error {
	err := f.Chmod(f.perm)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Close()
	} else {
		f.Close()
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	return nil
}

// Abort closes and removes the temporary file; the path is left as it was.
func (f *AtomicFile) Abort() {
	f.Close()
	os.Remove(f.Name())
}

// CheckWriteAtomic reports whether WriteFileAtomic could write path: path
// is not a directory, and a temporary file can be created beside it. It
// leaves nothing behind and does not touch path itself.
func CheckWriteAtomic(path string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot create a file in %s: %w", filepath.Clean(dir), err)
	}
	return errors.Join(tmp.Close(), os.Remove(tmp.Name()))
}
