package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"stasisq/queue"
)

// The scratch book gives back what it was given, in the order agents were
// added, across the batches it writes to its file: updates of agents
// already written and of ones still in memory, logins freed and taken
// again.
func TestAgentScratchKeepsOrderAcrossBatches(t *testing.T) {
	s, err := NewAgentScratch(filepath.Join(t.TempDir(), "scratch.db"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 2*scratchBatch + 123
	key := func(i int) string { return fmt.Sprintf("pjsip/%d", (i*7919)%n) } // not in key order
	for i := 0; i < n; i++ {
		if err := s.Add(key(i), queue.AgentConfig{ID: fmt.Sprint("a", i), Device: key(i)}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetLogin(fmt.Sprint("a", i), key(i)); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 999 {
			// One written long ago, and the one just added.
			for _, j := range []int{i - 900, i} {
				a, ok, err := s.Agent(key(j))
				if err != nil || !ok {
					t.Fatalf("agent %d: %v %v", j, ok, err)
				}
				a.Name = fmt.Sprint("named ", j)
				if err := s.Update(key(j), a); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.SetLogin(fmt.Sprint("a", i-900), ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One written to the file long ago, one still in memory.
	for _, k := range []string{key(5), key(n - 1)} {
		if err := s.Add(k, queue.AgentConfig{}); err == nil {
			t.Errorf("adding the agent of %s twice was accepted", k)
		}
	}
	if s.Len() < n {
		t.Errorf("Len %d, want %d", s.Len(), n)
	}
	i := 0
	err = s.Each(func(a queue.AgentConfig) error {
		if i >= n {
			return nil
		}
		want := fmt.Sprint("a", i)
		named := i%1000 == 99 && i+900 < n || i%1000 == 999
		if a.ID != want || a.Device != key(i) || named != (a.Name == fmt.Sprint("named ", i)) {
			return fmt.Errorf("agent %d is %+v, want %s on %s (named %v)", i, a, want, key(i), named)
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Errorf("Each gave %d agents, want %d", i, n)
	}
	for _, tc := range []struct {
		id   string
		want bool
	}{{"a0", true}, {"a99", false}, {"a1099", false}, {"a1100", true}, {fmt.Sprint("a", n-1), true}, {"nobody", false}} {
		if _, ok, err := s.Login(tc.id); err != nil || ok != tc.want {
			t.Errorf("login %s: held %v (%v), want %v", tc.id, ok, err, tc.want)
		}
	}
	path := s.path
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left the scratch file (stat err=%v)", err)
	}
}

// Rewrite replaces the file with the copy fn changed, or, when fn fails,
// leaves it as it was; the copy never stays beside it.
func TestRewriteIsAllOrNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stasisq.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.PutQueue(ctx, queue.DefaultQueueConfig("kept")); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("disk full")
	err = db.Rewrite(ctx, func(cp *DB) error {
		if err := cp.PutQueue(ctx, queue.DefaultQueueConfig("lost")); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Rewrite: %v, want fn's error", err)
	}
	if _, err := db.Queue(ctx, "lost"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("a failed Rewrite's queue is in the file: %v", err)
	}
	// The copy takes the file's mode and, for root (an import run as root
	// into the service's database), its owner.
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	asRoot := os.Getuid() == 0
	if asRoot {
		if err := os.Chown(path, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	err = db.Rewrite(ctx, func(cp *DB) error { return cp.PutQueue(ctx, queue.DefaultQueueConfig("added")) })
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after the rewrite %v, want 0640", fi.Mode().Perm())
	}
	if st := fi.Sys().(*syscall.Stat_t); asRoot && (st.Uid != 65534 || st.Gid != 65534) {
		t.Errorf("owner after the rewrite %d:%d, want 65534:65534", st.Uid, st.Gid)
	}
	if _, err := os.Stat(path + ".rewrite"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy is beside the file (stat err=%v)", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, want := range map[string]bool{"kept": true, "added": true, "lost": false} {
		if _, err := db.Queue(ctx, name); (err == nil) != want {
			t.Errorf("queue %s after the rewrites: %v, want present %v", name, err, want)
		}
	}
}

// Scratch files go beside the database, or to the system's temporary
// directory when its directory does not exist.
func TestScratchDirBesideTheDatabase(t *testing.T) {
	base := t.TempDir()
	dir, err := ScratchDir(filepath.Join(base, "stasisq.db"), ".stasisq-x-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if filepath.Dir(dir) != base || !strings.HasPrefix(filepath.Base(dir), ".stasisq-x-") {
		t.Errorf("scratch %s, want .stasisq-x-… in %s", dir, base)
	}
	other, err := ScratchDir(filepath.Join(base, "missing", "stasisq.db"), ".stasisq-x-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(other)
	if filepath.Dir(other) != filepath.Clean(os.TempDir()) {
		t.Errorf("scratch %s for a database whose directory is missing, want it in %s", other, os.TempDir())
	}
}
