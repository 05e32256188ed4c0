package store

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestSessionKey(t *testing.T) {
	ctx := context.Background()
	t.Run("created_once_and_kept_across_reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "stasisq.db")
		db := MustOpenPath(t, path, testOptions())
		first, err := db.SessionKey(ctx)
		if err != nil {
			t.Fatalf("SessionKey: %v", err)
		}
		if len(first) != SessionKeySize {
			t.Fatalf("key length got=%d, want %d", len(first), SessionKeySize)
		}
		if bytes.Equal(first, make([]byte, SessionKeySize)) {
			t.Fatalf("key is all zero")
		}
		again, err := db.SessionKey(ctx)
		if err != nil || !bytes.Equal(again, first) {
			t.Fatalf("second call got=%x err=%v, want %x", again, err, first)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		reopened := MustOpenPath(t, path, testOptions())
		after, err := reopened.SessionKey(ctx)
		if err != nil || !bytes.Equal(after, first) {
			t.Fatalf("after reopen got=%x err=%v, want %x", after, err, first)
		}
	})
	t.Run("each_database_has_its_own", func(t *testing.T) {
		a, err := MustOpen(t, testOptions()).SessionKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := MustOpen(t, testOptions()).SessionKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(a, b) {
			t.Fatalf("two databases got the same key %x", a)
		}
	})
	t.Run("concurrent_first_calls_agree", func(t *testing.T) {
		db := MustOpen(t, testOptions())
		keys := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				k, err := db.SessionKey(ctx)
				if err != nil {
					t.Errorf("SessionKey: %v", err)
				}
				keys[i] = k
			})
		}
		wg.Wait()
		for i, k := range keys {
			if !bytes.Equal(k, keys[0]) {
				t.Fatalf("caller %d got=%x, want %x", i, k, keys[0])
			}
		}
	})
	t.Run("caller_cannot_change_stored_key", func(t *testing.T) {
		db := MustOpen(t, testOptions())
		k, err := db.SessionKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.Clone(k)
		k[0] ^= 0xff
		got, err := db.SessionKey(ctx)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got=%x err=%v, want %x", got, err, want)
		}
	})
	t.Run("short_stored_key_is_replaced", func(t *testing.T) {
		db := MustOpen(t, testOptions())
		if err := db.update(ctx, func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keySessionKey, []byte("short"))
		}); err != nil {
			t.Fatal(err)
		}
		k, err := db.SessionKey(ctx)
		if err != nil || len(k) != SessionKeySize {
			t.Fatalf("got=%x err=%v, want a new %d-byte key", k, err, SessionKeySize)
		}
	})
}
