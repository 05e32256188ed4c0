package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// OpenCopy opens a copy of the database at path, so that a dry run neither
// writes to the file (store.Open may migrate and always opens read-write)
// nor waits for the lock a running "stasisq serve" holds. No file means an
// empty database. The returned cleanup closes and removes the copy.
func OpenCopy(path string) (*DB, func(), error) {
	src, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, func() {}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read database %s: %w", path, err)
	}
	defer src.Close()
	// Streamed: a database of gigabytes of call records is not read into
	// memory.
	dir, err := ScratchDir(path, ".stasisq-copy-")
	if err != nil {
		return nil, nil, fmt.Errorf("copy database %s: %w", path, err)
	}
	cp := filepath.Join(dir, "copy.db")
	if err := copyFile(cp, src); err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("copy database %s: %w", path, err)
	}
	db, err := Open(cp, Options{NoSync: true})
	if err != nil {
		_ = os.RemoveAll(dir)
		// What is wrong, and what to do, is about the user's file, not
		// the temporary copy.
		return nil, nil, &asFile{msg: strings.ReplaceAll(err.Error(), cp, path), err: err}
	}
	cleanup := func() {
		// A copy nobody writes back: closing or removing it can fail
		// only with the temporary directory gone already.
		_ = db.Close()
		_ = os.RemoveAll(dir)
	}
	return db, cleanup, nil
}

// ScratchDir makes a new directory for the temporary files of work on the
// database at path: beside it (not in /tmp, which may be a tmpfs, that is
// memory), or in the system's temporary directory when that directory
// does not exist or cannot be written (a dry run by a user who may only
// read the database). The caller removes it.
func ScratchDir(path, pattern string) (string, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), pattern)
	if err == nil {
		return dir, nil
	}
	dir, terr := os.MkdirTemp("", strings.TrimPrefix(pattern, "."))
	if terr != nil {
		return "", errors.Join(err, terr)
	}
	return dir, nil
}

func copyFile(path string, src io.Reader) error {
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// asFile is an error about a copy reported as about the file copied.
type asFile struct {
	msg string
	err error
}

func (e *asFile) Error() string { return e.msg }
func (e *asFile) Unwrap() error { return e.err }
