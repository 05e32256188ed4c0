package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// writeSchema1 builds a database as schema 1 left it: no calls_by_caller
// index.
func writeSchema1(tb testing.TB, path string, records []queue.CallRecord) {
	tb.Helper()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatalf("bolt.Open: %v", err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		var v [4]byte
		binary.BigEndian.PutUint32(v[:], 1)
		if err := meta.Put(keySchema, v[:]); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketQueues, bucketAgents} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		calls, err := tx.CreateBucket(bucketCalls)
		if err != nil {
			return err
		}
		for _, r := range records {
			raw, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := calls.Put(callKey(r.JoinedAt, r.Caller), raw); err != nil {
				return err
			}
		}
		stats, err := tx.CreateBucket(bucketStats)
		if err != nil {
			return err
		}
		for _, n := range [][]byte{bucketStatsQueues, bucketStatsAgents} {
			if _, err := stats.CreateBucket(n); err != nil {
				return err
			}
		}
		state, err := tx.CreateBucket(bucketState)
		if err != nil {
			return err
		}
		for _, n := range [][]byte{bucketStateCallers, bucketStateAgents} {
			if _, err := state.CreateBucket(n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("write schema 1: %v", err)
	}
}

func schemaVersion(tb testing.TB, path string) int {
	tb.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		tb.Fatalf("bolt.Open: %v", err)
	}
	defer bdb.Close()
	v := -1
	_ = bdb.View(func(tx *bolt.Tx) error {
		v = int(binary.BigEndian.Uint32(tx.Bucket(bucketMeta).Get(keySchema)))
		return nil
	})
	return v
}

func TestMigrateFromSchema1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	old := []queue.CallRecord{
		{Caller: "ch-1", Queue: "support", JoinedAt: t0, EndedAt: at(time.Minute), Outcome: "abandoned"},
		{Caller: "ch-1", Queue: "sales", JoinedAt: at(2 * time.Minute), Outcome: queue.OutcomeWaiting},
		{Caller: "ch-2", Queue: "support", JoinedAt: at(3 * time.Minute), Outcome: queue.OutcomeWaiting},
	}
	for i := range old {
		old[i].ID = callID(callKey(old[i].JoinedAt, old[i].Caller))
	}
	writeSchema1(t, path, old)

	db := MustOpenPath(t, path, testOptions())
	for _, tc := range []struct {
		caller queue.CallerID
		want   string
	}{{"ch-1", "sales"}, {"ch-2", "support"}} {
		got, err := db.Call(ctx, tc.caller)
		if err != nil || got.Queue != tc.want {
			t.Errorf("Call(%s) after migration: got=%+v, %v, want the latest visit in %s", tc.caller, got, err, tc.want)
		}
	}
	// The writer works on the migrated file: ch-2's open record is found by the index.
	db.Record(queue.CallerLeft{At: at(4 * time.Minute), Caller: "ch-2", Queue: "support", Reason: queue.LeftTimeout, Wait: time.Minute})
	MustFlush(t, db)
	if got, err := db.Call(ctx, "ch-2"); err != nil || got.Outcome != "timeout" {
		t.Errorf("Call(ch-2) after an event: got=%+v, %v, want outcome timeout", got, err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := schemaVersion(t, path); got != SchemaVersion {
		t.Errorf("schema version after Open: got=%d, want %d", got, SchemaVersion)
	}
}

func TestOpenRefusesWhatItCannotRead(t *testing.T) {
	valid := filepath.Join(t.TempDir(), "valid.db")
	db := MustOpenPath(t, valid, testOptions())
	db.Record(callScript{caller: "x", queue: "q", joined: t0, pos: 1}.join()...)
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	validBytes, err := os.ReadFile(valid)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		write func(path string)
		want  string // besides the path
	}{
		{"garbage", func(p string) { writeFile(t, p, bytes.Repeat([]byte("not a database "), 1000)) }, "move it aside"},
		{"empty file", func(p string) { writeFile(t, p, nil) }, "empty"},
		{"zeroed pages", func(p string) { writeFile(t, p, make([]byte, 4*4096)) }, "move it aside"},
		{"truncated", func(p string) { writeFile(t, p, validBytes[:4096+100]) }, "move it aside"},
		{"bad meta checksum", func(p string) {
			b := bytes.Clone(validBytes)
			// Both meta pages (0 and 1) damaged: bbolt cannot fall back.
			for _, page := range []int{0, 1} {
				for i := 16 + 32; i < 16+48; i++ {
					b[page*pageSize(b)+i] ^= 0xff
				}
			}
			writeFile(t, p, b)
		}, "move it aside"},
		{"another program's bbolt file", func(p string) {
			bdb, err := bolt.Open(p, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			_ = bdb.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
			_ = bdb.Close()
		}, "not a stasisq database"},
		{"newer schema", func(p string) {
			writeFile(t, p, validBytes)
			bdb, err := bolt.Open(p, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			_ = bdb.Update(func(tx *bolt.Tx) error {
				var v [4]byte
				binary.BigEndian.PutUint32(v[:], SchemaVersion+1)
				return tx.Bucket(bucketMeta).Put(keySchema, v[:])
			})
			_ = bdb.Close()
		}, "newer stasisq"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "broken.db")
			tc.write(path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			db, err := Open(path, testOptions())
			if err == nil {
				_ = db.Close()
				t.Fatalf("Open: got=nil error, want one naming %s", path)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open error: got=%q, want it to name %s and say %q", err, path, tc.want)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("file gone after a refused Open: %v", err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("Open changed the file it refused (%d -> %d bytes)", len(before), len(after))
			}
			// A dry run reads a copy; what it says is about this file.
			if db, _, err := OpenCopy(path); err == nil {
				_ = db.Close()
				t.Errorf("OpenCopy: got=nil error, want one naming %s", path)
			} else if !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "stasisq-copy-") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("OpenCopy error: got=%q, want it to name %s (not the copy) and say %q", err, path, tc.want)
			}
		})
	}
}

// pageSize reads the page size from a bbolt file's first meta page.
func pageSize(b []byte) int {
	// page header (16 bytes), then meta: magic uint32, version uint32, pageSize uint32.
	return int(binary.LittleEndian.Uint32(b[16+8:]))
}

func writeFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func TestOpenLockedByAnotherOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	MustOpenPath(t, path, testOptions())
	opts := testOptions()
	opts.Timeout = 100 * time.Millisecond
	db, err := Open(path, opts)
	if err == nil {
		_ = db.Close()
		t.Fatalf("second Open: got=nil, want a lock error")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another stasisq") {
		t.Errorf("second Open: got=%q, want it to name the file and suggest another stasisq holds it", err)
	}
}

// writeSchema2 builds a database as schema 2 left it: every waiting caller's
// position in its own record, no order keys.
func writeSchema2(tb testing.TB, path string, waiting []WaitingCaller) {
	tb.Helper()
	writeSchema1(tb, path, nil)
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatalf("bolt.Open: %v", err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bolt.Tx) error {
		var v [4]byte
		binary.BigEndian.PutUint32(v[:], 2)
		if err := tx.Bucket(bucketMeta).Put(keySchema, v[:]); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketCallsByCaller); err != nil {
			return err
		}
		callers := tx.Bucket(bucketState).Bucket(bucketStateCallers)
		for _, wc := range waiting {
			raw, err := json.Marshal(wc)
			if err != nil {
				return err
			}
			if err := callers.Put([]byte(wc.ID), raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("write schema 2: %v", err)
	}
}

func TestMigrateFromSchema2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	waiting := []WaitingCaller{
		// support's positions are 1..n: they become its order key.
		{ID: "a", Queue: "support", Number: "1", JoinedAt: t0, Position: 1},
		{ID: "b", Queue: "support", Number: "2", JoinedAt: at(time.Second), Position: 2},
		{ID: "c", Queue: "support", Priority: 5, Number: "3", JoinedAt: at(2 * time.Second), Position: 3},
		// sales' one caller is second (the first was not yet committed): it
		// keeps its position in its record.
		{ID: "d", Queue: "sales", Number: "4", JoinedAt: at(3 * time.Second), Position: 2},
	}
	writeSchema2(t, path, waiting)

	db := MustOpenPath(t, path, testOptions())
	mustState := func(t *testing.T, db *DB, want []WaitingCaller) {
		t.Helper()
		st, err := db.LoadState(ctx)
		if err != nil {
			t.Fatalf("LoadState: %v", err)
		}
		if !reflect.DeepEqual(st.Callers, want) {
			t.Errorf("callers:\ngot=%+v\nwant %+v", st.Callers, want)
		}
	}
	want := []WaitingCaller{waiting[3], waiting[0], waiting[1], waiting[2]} // by queue, then position
	mustState(t, db, want)

	// The writer carries on from the migrated file: c goes first in support,
	// d is listed in sales.
	db.Record(queue.QueueOrderChanged{At: at(time.Minute), Queue: "support", Callers: []queue.CallerID{"c", "a", "b"}},
		queue.QueueOrderChanged{At: at(time.Minute), Queue: "sales", Callers: []queue.CallerID{"d"}})
	MustFlush(t, db)
	want[0].Position = 1
	want[1], want[2], want[3] = waiting[2], waiting[0], waiting[1]
	want[1].Position, want[2].Position, want[3].Position = 1, 2, 3
	mustState(t, db, want)
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := schemaVersion(t, path); got != SchemaVersion {
		t.Errorf("schema version after Open: got=%d, want %d", got, SchemaVersion)
	}
	// One order key per queue; no caller record holds a position any more.
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("bolt.Open: %v", err)
	}
	_ = bdb.View(func(tx *bolt.Tx) error {
		st := tx.Bucket(bucketState)
		ids, err := decodeOrder(st.Bucket(bucketStateOrder).Get([]byte("support")))
		if err != nil || !reflect.DeepEqual(ids, []queue.CallerID{"c", "a", "b"}) {
			t.Errorf("support's order key: got=%v, %v, want [c a b]", ids, err)
		}
		return st.Bucket(bucketStateCallers).ForEach(func(k, v []byte) error {
			if bytes.Contains(v, []byte(`"position"`)) {
				t.Errorf("caller %s record: got=%s, want no position (the order key has it)", k, v)
			}
			return nil
		})
	})
	_ = bdb.Close()

	// Reopened, the state read from the file is what the writer had.
	db = MustOpenPath(t, path, testOptions())
	mustState(t, db, want)
}
