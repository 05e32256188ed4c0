package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// putIntervals writes drained intervals (full current values) into
// stats/queues/<queue> and stats/agents/<agent>, keyed by start, and adds
// what each gained since it was last written to its day (days.go) in the
// site's time zone loc.
func putIntervals(tx *bolt.Tx, loc *time.Location, qs map[intervalKey]queue.QueueInterval, as map[intervalKey]queue.AgentInterval) error {
	stats := tx.Bucket(bucketStats)
	for k, q := range qs {
		if k.name == "" {
			continue // nothing to file it under; the engine never sends one
		}
		var old queue.QueueInterval
		if err := putInterval(stats.Bucket(bucketStatsQueues), k, q, &old); err != nil {
			return fmt.Errorf("put interval of queue %s: %w", k.name, err)
		}
		day := dayOf(k.start, loc)
		if err := rollUp(stats.Bucket(bucketStatsQueueDays), k.name, day, queue.QueueInterval{Queue: k.name, Start: day}, queueDelta(q, old)); err != nil {
			return fmt.Errorf("put day of queue %s: %w", k.name, err)
		}
	}
	for k, a := range as {
		if k.name == "" {
			continue
		}
		var old queue.AgentInterval
		if err := putInterval(stats.Bucket(bucketStatsAgents), k, a, &old); err != nil {
			return fmt.Errorf("put interval of agent %s: %w", k.name, err)
		}
		day := dayOf(k.start, loc)
		if err := rollUp(stats.Bucket(bucketStatsAgentDays), k.name, day, queue.AgentInterval{Agent: queue.AgentID(k.name), Start: day}, agentDelta(a, old)); err != nil {
			return fmt.Errorf("put day of agent %s: %w", k.name, err)
		}
	}
	return nil
}

// putInterval writes v and decodes the value it replaced into old (left
// zero for a new interval).
func putInterval(parent *bolt.Bucket, k intervalKey, v, old any) error {
	b, err := parent.CreateBucketIfNotExists([]byte(k.name))
	if err != nil {
		return err
	}
	key := timeKey(time.Unix(0, k.start))
	if prev := b.Get(key); prev != nil {
		if err := json.Unmarshal(prev, old); err != nil {
			return fmt.Errorf("decode the stored interval: %w", err)
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// eachInterval calls fn with the raw intervals of one named bucket with start
// in [from, to) (zero to: unbounded).
func eachInterval(b *bolt.Bucket, from, to time.Time, fn func(v []byte) error) error {
	if b == nil {
		return nil
	}
	c := b.Cursor()
	var end []byte
	if !to.IsZero() {
		end = timeKey(to)
	}
	for k, v := c.Seek(timeKey(from)); k != nil; k, v = c.Next() {
		if end != nil && bytes.Compare(k, end) >= 0 {
			break
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// QueueStats returns a queue's intervals with start in [from, to), oldest
// first. The current interval is as of the last commit.
func (db *DB) QueueStats(ctx context.Context, queueName string, from, to time.Time) ([]queue.QueueInterval, error) {
	out, err := readIntervals(ctx, db, bucketStatsQueues, queueName, from, to, queueStart)
	if err != nil {
		return nil, fmt.Errorf("stats of queue %s: %w", queueName, err)
	}
	return out, nil
}

// AgentStats returns an agent's intervals with start in [from, to), oldest
// first.
func (db *DB) AgentStats(ctx context.Context, agent queue.AgentID, from, to time.Time) ([]queue.AgentInterval, error) {
	out, err := readIntervals(ctx, db, bucketStatsAgents, string(agent), from, to, agentStart)
	if err != nil {
		return nil, fmt.Errorf("stats of agent %s: %w", agent, err)
	}
	return out, nil
}

// readIntervals decodes the rows of stats/<kind>/<name> (intervals or
// days) starting in [from, to), their start in the DB's Location.
func readIntervals[T any](ctx context.Context, db *DB, kind []byte, name string, from, to time.Time, start func(*T) *time.Time) ([]T, error) {
	var out []T
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStats).Bucket(kind).Bucket([]byte(name))
		return eachInterval(b, from, to, func(v []byte) error {
			var iv T
			if err := json.Unmarshal(v, &iv); err != nil {
				return err
			}
			s := start(&iv)
			*s = s.In(db.opts.Location)
			out = append(out, iv)
			return nil
		})
	})
	return out, err
}

func queueStart(q *queue.QueueInterval) *time.Time { return &q.Start }
func agentStart(a *queue.AgentInterval) *time.Time { return &a.Start }

// IntervalsSince returns every queue's and agent's intervals that start at or
// after since, to seed a queue.Recorder at start.
func (db *DB) IntervalsSince(ctx context.Context, since time.Time) ([]queue.QueueInterval, []queue.AgentInterval, error) {
	var qs []queue.QueueInterval
	var as []queue.AgentInterval
	err := db.view(ctx, func(tx *bolt.Tx) error {
		stats := tx.Bucket(bucketStats)
		err := stats.Bucket(bucketStatsQueues).ForEachBucket(func(name []byte) error {
			return eachInterval(stats.Bucket(bucketStatsQueues).Bucket(name), since, time.Time{}, func(v []byte) error {
				var q queue.QueueInterval
				if err := json.Unmarshal(v, &q); err != nil {
					return fmt.Errorf("decode interval of queue %s: %w", name, err)
				}
				q.Start = q.Start.In(db.opts.Location)
				qs = append(qs, q)
				return nil
			})
		})
		if err != nil {
			return err
		}
		return stats.Bucket(bucketStatsAgents).ForEachBucket(func(name []byte) error {
			return eachInterval(stats.Bucket(bucketStatsAgents).Bucket(name), since, time.Time{}, func(v []byte) error {
				var a queue.AgentInterval
				if err := json.Unmarshal(v, &a); err != nil {
					return fmt.Errorf("decode interval of agent %s: %w", name, err)
				}
				a.Start = a.Start.In(db.opts.Location)
				as = append(as, a)
				return nil
			})
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("intervals since %s: %w", since.Format(time.RFC3339), err)
	}
	return qs, as, nil
}

// latestIntervalStart is the start of the newest interval of any queue or
// agent, zero if there is none.
func latestIntervalStart(tx *bolt.Tx) time.Time {
	var latest time.Time
	stats := tx.Bucket(bucketStats)
	for _, kind := range [][]byte{bucketStatsQueues, bucketStatsAgents} {
		parent := stats.Bucket(kind)
		_ = parent.ForEachBucket(func(name []byte) error {
			if k, _ := parent.Bucket(name).Cursor().Last(); k != nil {
				if t := keyTime(k); t.After(latest) {
					latest = t
				}
			}
			return nil
		})
	}
	return latest
}
