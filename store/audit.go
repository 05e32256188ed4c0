package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// bucketAudit: key = time (big-endian unix nanos) + a sequence number
// (entries in the same nanosecond), value = JSON queue.AuditEntry.
var bucketAudit = []byte("audit")

// MaxAuditEntries bounds the audit log; the oldest go first.
const MaxAuditEntries = 200_000

// AddAudit stores one entry, and now and then drops the oldest beyond
// MaxAuditEntries.
func (db *DB) AddAudit(ctx context.Context, e queue.AuditEntry) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key := make([]byte, 16)
		binary.BigEndian.PutUint64(key, uint64(e.At.UnixNano()))
		binary.BigEndian.PutUint64(key[8:], seq)
		if err := b.Put(key, raw); err != nil {
			return err
		}
		if seq%1000 != 0 {
			return nil
		}
		// Counting walks the bucket: done once every thousand entries, so
		// the log holds at most MaxAuditEntries + 1000.
		c := b.Cursor()
		for n, k := b.Stats().KeyN-MaxAuditEntries, []byte(nil); n > 0; n-- {
			if k, _ = c.First(); k == nil {
				break
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit %s by %s: %w", e.Action, e.User, err)
	}
	return nil
}

// Audit returns up to limit entries from [from, to), newest first.
func (db *DB) Audit(ctx context.Context, from, to time.Time, limit int) ([]queue.AuditEntry, error) {
	out := []queue.AuditEntry{}
	err := db.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		end := make([]byte, 16)
		binary.BigEndian.PutUint64(end, uint64(to.UnixNano()))
		start := uint64(from.UnixNano())
		k, v := c.Seek(end)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			if binary.BigEndian.Uint64(k) < start {
				break
			}
			var e queue.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode entry %x: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}
