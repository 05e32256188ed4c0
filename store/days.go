package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// Day roll-ups: beside each queue's and agent's 15-minute intervals the
// store keeps their sum per day of the site's calendar (the DB's Location),
// in stats/queue_days/<queue> and stats/agent_days/<agent> keyed by the
// day's start (schema 4). A report by day or week over months then reads
// one row per day instead of up to 96: the 90-day report of a 500-agent
// site stays well under a second. The writer keeps them current in the
// transaction that writes the intervals, adding the change of each
// interval (its new value less the stored one: figures grow, maxima
// included, except an abandon taken back when its caller returned, which
// the difference carries as well).
var (
	bucketStatsQueueDays = []byte("queue_days")
	bucketStatsAgentDays = []byte("agent_days")
)

// dayOf is the start of the site's day an interval starting at start is in.
func dayOf(start int64, loc *time.Location) time.Time {
	y, m, d := time.Unix(0, start).In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// queueDelta is what the interval gained from old to cur.
func queueDelta(cur, old queue.QueueInterval) queue.QueueInterval {
	return queue.QueueInterval{
		Offered: cur.Offered - old.Offered, Answered: cur.Answered - old.Answered, AnsweredInSL: cur.AnsweredInSL - old.AnsweredInSL,
		Abandoned: cur.Abandoned - old.Abandoned, AbandonedShort: cur.AbandonedShort - old.AbandonedShort,
		TimedOut: cur.TimedOut - old.TimedOut, Exited: cur.Exited - old.Exited,
		Callbacks: cur.Callbacks - old.Callbacks, CallbacksFailed: cur.CallbacksFailed - old.CallbacksFailed,
		WaitSum: cur.WaitSum - old.WaitSum, AbandonWaitSum: cur.AbandonWaitSum - old.AbandonWaitSum,
		TalkSum: cur.TalkSum - old.TalkSum, WrapSum: cur.WrapSum - old.WrapSum,
		WaitMax: cur.WaitMax, TalkMax: cur.TalkMax, WrapMax: cur.WrapMax, // Add keeps the larger
		WaitHist: histDelta(cur.WaitHist, old.WaitHist),
	}
}

func histDelta(cur, old [len(queue.WaitBuckets) + 1]int) [len(queue.WaitBuckets) + 1]int {
	for i := range cur {
		cur[i] -= old[i]
	}
	return cur
}

func agentDelta(cur, old queue.AgentInterval) queue.AgentInterval {
	d := queue.AgentInterval{
		Calls: cur.Calls - old.Calls, NoAnswers: cur.NoAnswers - old.NoAnswers, Talk: cur.Talk - old.Talk,
		WrapUp: cur.WrapUp - old.WrapUp, Paused: cur.Paused - old.Paused, LoggedIn: cur.LoggedIn - old.LoggedIn,
	}
	for reason, v := range cur.PausedBy {
		if g := v - old.PausedBy[reason]; g != 0 {
			if d.PausedBy == nil {
				d.PausedBy = map[string]time.Duration{}
			}
			d.PausedBy[reason] = g
		}
	}
	return d
}

// rollUp adds change to the day row of name in parent.
func rollUp[T any, P interface {
	*T
	Add(T)
}](parent *bolt.Bucket, name string, day time.Time, fresh T, change T) error {
	b, err := parent.CreateBucketIfNotExists([]byte(name))
	if err != nil {
		return err
	}
	key := timeKey(day)
	row := fresh
	if raw := b.Get(key); raw != nil {
		if err := json.Unmarshal(raw, &row); err != nil {
			return fmt.Errorf("decode day %s of %s: %w", day.Format(time.DateOnly), name, err)
		}
	}
	P(&row).Add(change)
	raw, err := json.Marshal(row)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// migrateDayRollups builds the day roll-ups of a schema-3 database from
// its intervals (schema 3 to 4).
func migrateDayRollups(tx *bolt.Tx, loc *time.Location) error {
	stats := tx.Bucket(bucketStats)
	if stats == nil {
		return nil
	}
	for _, kinds := range [][2][]byte{{bucketStatsQueues, bucketStatsQueueDays}, {bucketStatsAgents, bucketStatsAgentDays}} {
		src := stats.Bucket(kinds[0])
		if src == nil {
			continue
		}
		if err := stats.DeleteBucket(kinds[1]); err != nil && err != bolt.ErrBucketNotFound {
			return err
		}
		dst, err := stats.CreateBucket(kinds[1])
		if err != nil {
			return err
		}
		err = src.ForEachBucket(func(name []byte) error {
			return src.Bucket(name).ForEach(func(k, v []byte) error {
				day := dayOf(keyTime(k).UnixNano(), loc)
				if string(kinds[0]) == string(bucketStatsQueues) {
					var iv queue.QueueInterval
					if err := json.Unmarshal(v, &iv); err != nil {
						return err
					}
					return rollUp(dst, string(name), day, queue.QueueInterval{Queue: string(name), Start: day}, iv)
				}
				var iv queue.AgentInterval
				if err := json.Unmarshal(v, &iv); err != nil {
					return err
				}
				return rollUp(dst, string(name), day, queue.AgentInterval{Agent: queue.AgentID(name), Start: day}, iv)
			})
		})
		if err != nil {
			return fmt.Errorf("roll %s up by day: %w", kinds[0], err)
		}
	}
	return nil
}

// QueueDays returns a queue's day roll-ups with the day's start in [from,
// to), oldest first: as QueueStats, one row per day of the site.
func (db *DB) QueueDays(ctx context.Context, queueName string, from, to time.Time) ([]queue.QueueInterval, error) {
	out, err := readIntervals(ctx, db, bucketStatsQueueDays, queueName, from, to, queueStart)
	if err != nil {
		return nil, fmt.Errorf("days of queue %s: %w", queueName, err)
	}
	return out, nil
}

// AgentDays is QueueDays for an agent.
func (db *DB) AgentDays(ctx context.Context, agent queue.AgentID, from, to time.Time) ([]queue.AgentInterval, error) {
	out, err := readIntervals(ctx, db, bucketStatsAgentDays, string(agent), from, to, agentStart)
	if err != nil {
		return nil, fmt.Errorf("days of agent %s: %w", agent, err)
	}
	return out, nil
}
