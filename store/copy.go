package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// OpenCopy opens a copy of the database at path, so that a dry run neither
// writes to the file (store.Open may migrate and always opens read-write)
// nor waits for the lock a running "stasisq serve" holds. No file means an
// empty database. The returned cleanup closes and removes the copy.
func OpenCopy(path string) (*DB, func(), error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, func() {}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read database %s: %w", path, err)
	}
	dir, err := os.MkdirTemp("", "stasisq-copy-")
	if err != nil {
		return nil, nil, fmt.Errorf("copy database %s: %w", path, err)
	}
	cp := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(cp, data, 0o600); err != nil {
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

// asFile is an error about a copy reported as about the file copied.
type asFile struct {
	msg string
	err error
}

func (e *asFile) Error() string { return e.msg }
func (e *asFile) Unwrap() error { return e.err }
