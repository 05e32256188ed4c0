package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets. Top-level names never change meaning; a layout change is a new
// schema version with a migration.
var (
	bucketMeta   = []byte("meta")
	bucketQueues = []byte("queues")
	bucketAgents = []byte("agents")
	// calls: key = join time (big-endian unix nanos) + caller id, value = JSON CallRecord.
	bucketCalls = []byte("calls")
	// callsByCaller: caller id -> key in calls of that caller's latest record (schema 2).
	bucketCallsByCaller = []byte("calls_by_caller")
	// stats holds two buckets, queues and agents, each holding one bucket per
	// queue (agent) keyed by interval start (big-endian unix nanos).
	bucketStats       = []byte("stats")
	bucketStatsQueues = []byte("queues")
	bucketStatsAgents = []byte("agents")
	// stats also holds queue_days and agent_days: the same per day of the
	// site (schema 4, days.go).
	// state holds three buckets: callers (caller id -> waitingRecord),
	// order (queue -> its callers' ids in order, schema 3) and agents
	// (agent id -> AgentSession).
	bucketState        = []byte("state")
	bucketStateCallers = []byte("callers")
	bucketStateOrder   = []byte("order")
	bucketStateAgents  = []byte("agents")

	keySchema = []byte("schema")
)

// SchemaVersion is the layout this code reads and writes.
const SchemaVersion = 4

// migrations[v] takes a database at schema v to v+1, inside the transaction
// that also records the new version, so a crash mid-migration leaves the old
// version intact. loc is the site's time zone (the DB's Location), for
// what is kept by the site's calendar.
var migrations = map[int]func(tx *bolt.Tx, loc *time.Location) error{
	1: func(tx *bolt.Tx, _ *time.Location) error { return migrateAddCallerIndex(tx) },
	2: func(tx *bolt.Tx, _ *time.Location) error { return migrateQueueOrderKeys(tx) },
	3: migrateDayRollups,
}

// initSchema creates the buckets of a new database, or migrates an existing
// one to SchemaVersion.
func (db *DB) initSchema() error {
	return db.update(context.Background(), func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				empty = false
				return nil
			})
			if !empty {
				return fmt.Errorf("open database %s: it is a bbolt file but not a stasisq database (no %q bucket); %s",
					db.path, bucketMeta, whatToDo(db.path))
			}
			return createSchema(tx, SchemaVersion)
		}
		raw := meta.Get(keySchema)
		if len(raw) != 4 {
			return fmt.Errorf("open database %s: schema version unreadable; %s", db.path, whatToDo(db.path))
		}
		version := int(binary.BigEndian.Uint32(raw))
		if version > SchemaVersion {
			return fmt.Errorf("open database %s: schema version %d was written by a newer stasisq (this one knows %d); run the newer version or restore a backup",
				db.path, version, SchemaVersion)
		}
		for v := version; v < SchemaVersion; v++ {
			m, ok := migrations[v]
			if !ok {
				return fmt.Errorf("open database %s: no migration from schema %d", db.path, v)
			}
			if err := m(tx, db.opts.Location); err != nil {
				return fmt.Errorf("open database %s: migrate schema %d to %d: %w", db.path, v, v+1, err)
			}
			db.log.Info("migrated database schema", "path", db.path, "from", v, "to", v+1)
		}
		if err := setSchemaVersion(tx, SchemaVersion); err != nil {
			return err
		}
		// Buckets every version has; recreate any lost by hand-editing.
		return ensureBuckets(tx)
	})
}

func setSchemaVersion(tx *bolt.Tx, v int) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketMeta, err)
	}
	var raw [4]byte
	binary.BigEndian.PutUint32(raw[:], uint32(v))
	return meta.Put(keySchema, raw[:])
}

func createSchema(tx *bolt.Tx, version int) error {
	if err := setSchemaVersion(tx, version); err != nil {
		return err
	}
	return ensureBuckets(tx)
}

func ensureBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketQueues, bucketAgents, bucketCalls, bucketCallsByCaller, bucketSessions, bucketAudit} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	stats, err := tx.CreateBucketIfNotExists(bucketStats)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketStats, err)
	}
	for _, name := range [][]byte{bucketStatsQueues, bucketStatsAgents, bucketStatsQueueDays, bucketStatsAgentDays} {
		if _, err := stats.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s/%s: %w", bucketStats, name, err)
		}
	}
	state, err := tx.CreateBucketIfNotExists(bucketState)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketState, err)
	}
	for _, name := range [][]byte{bucketStateCallers, bucketStateOrder, bucketStateAgents} {
		if _, err := state.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s/%s: %w", bucketState, name, err)
		}
	}
	return nil
}

// migrateAddCallerIndex (1 -> 2): schema 1 found a caller's open record by
// scanning calls; schema 2 keeps an index by caller id. Keys are time-ordered,
// so the last key seen for a caller is its latest record.
func migrateAddCallerIndex(tx *bolt.Tx) error {
	calls := tx.Bucket(bucketCalls)
	if calls == nil {
		return fmt.Errorf("bucket %s missing", bucketCalls)
	}
	idx, err := tx.CreateBucketIfNotExists(bucketCallsByCaller)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketCallsByCaller, err)
	}
	return calls.ForEach(func(k, _ []byte) error {
		if len(k) <= 8 {
			return fmt.Errorf("call key %x too short", k)
		}
		return idx.Put(append([]byte(nil), k[8:]...), append([]byte(nil), k...))
	})
}
