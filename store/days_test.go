package store

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// A day's row is the sum of its intervals, however often the writer
// rewrote the current interval (each commit writes its full value), and a
// schema-3 database gets its days built from its intervals on open.
func TestDayRollUpsSumTheirIntervals(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/s.db"
	db := MustOpenPath(t, path, testOptions())
	// Calls in three intervals over two days, each flushed on its own so
	// that the writer rewrites intervals already stored.
	for i, at := range []time.Duration{10 * time.Minute, 12 * time.Minute, 50 * time.Minute, 25 * time.Hour} {
		c := callScript{caller: queue.CallerID("c" + string(rune('a'+i))), queue: "support", number: "1", joined: t0.Add(at), pos: 1}
		db.Record(concat(c.join(), c.ring("o", "alice", time.Second), c.answer("o", "alice", time.Second, 20*time.Second),
			c.complete("alice", queue.PartyCaller, 20*time.Second, time.Minute))...)
		MustFlush(t, db)
	}
	check := func(db *DB, what string) {
		t.Helper()
		ivs, err := db.QueueStats(ctx, "support", time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		days, err := db.QueueDays(ctx, "support", time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		sums := map[time.Time]queue.QueueInterval{}
		for _, iv := range ivs {
			d := dayOf(iv.Start.UnixNano(), db.opts.Location)
			s := sums[d]
			s.Add(iv)
			sums[d] = s
		}
		if len(days) != 2 || len(sums) != 2 {
			t.Fatalf("%s: %d days, %d days of intervals, want 2", what, len(days), len(sums))
		}
		for _, d := range days {
			s := sums[d.Start]
			if d.Offered != s.Offered || d.Answered != s.Answered || d.WaitSum != s.WaitSum || d.TalkSum != s.TalkSum || d.WaitMax != s.WaitMax {
				t.Errorf("%s: day %s: %+v, want the sum of its intervals %+v", what, d.Start, d, s)
			}
		}
		if days[0].Offered != 3 || days[1].Offered != 1 {
			t.Errorf("%s: offered by day %d, %d; want 3, 1", what, days[0].Offered, days[1].Offered)
		}
		agents, err := db.AgentDays(ctx, "alice", time.Time{}, time.Time{})
		if err != nil || len(agents) != 2 || agents[0].Calls != 3 {
			t.Errorf("%s: alice's days %+v (%v), want 3 calls on the first", what, agents, err)
		}
	}
	check(db, "kept by the writer")

	// As a schema-3 database: no days; opening it builds them.
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		stats := tx.Bucket(bucketStats)
		for _, b := range [][]byte{bucketStatsQueueDays, bucketStatsAgentDays} {
			if err := stats.DeleteBucket(b); err != nil {
				return err
			}
		}
		return setSchemaVersion(tx, 3)
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	check(MustOpenPath(t, path, testOptions()), "built on open")
}

// An agent interval rewritten with more pause time adds only what it
// gained to its day, reason by reason.
func TestAgentDeltaByReason(t *testing.T) {
	old := queue.AgentInterval{Paused: 5 * time.Minute, PausedBy: map[string]time.Duration{"Break": 5 * time.Minute}}
	cur := queue.AgentInterval{Paused: 9 * time.Minute, PausedBy: map[string]time.Duration{"Break": 5 * time.Minute, "Lunch": 4 * time.Minute}}
	d := agentDelta(cur, old)
	if d.Paused != 4*time.Minute || len(d.PausedBy) != 1 || d.PausedBy["Lunch"] != 4*time.Minute {
		t.Fatalf("delta %+v, want 4m paused, all of it Lunch", d)
	}
}
