package store

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// t0 is a Monday 09:00 UTC, the start of a statistics interval.
var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func testOptions() Options {
	return Options{
		Location:   time.UTC,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		NoSync:     true,
		BcryptCost: 4,
		Timeout:    5 * time.Second,
	}
}

// MustOpen opens a database in a fresh temporary directory and closes it at
// the end of the test.
func MustOpen(tb testing.TB, opts Options) *DB {
	tb.Helper()
	return MustOpenPath(tb, filepath.Join(tb.TempDir(), "stasisq.db"), opts)
}

// MustOpenPath opens the database at path and closes it at the end of the test.
func MustOpenPath(tb testing.TB, path string, opts Options) *DB {
	tb.Helper()
	db, err := Open(path, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// MustFlush waits for the writer with a generous deadline.
func MustFlush(tb testing.TB, db *DB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Flush(ctx); err != nil {
		tb.Fatalf("Flush: %v", err)
	}
}

// callScript is what the engine emits for one caller, built step by step.
type callScript struct {
	caller queue.CallerID
	queue  string
	number string
	joined time.Time
	pos    int
}

func (c callScript) join() []queue.Event {
	return []queue.Event{
		queue.CallerJoined{At: c.joined, Caller: c.caller, Queue: c.queue, Number: c.number, Name: "Caller " + c.number,
			JoinedAt: c.joined, Position: c.pos},
	}
}

func (c callScript) ring(offer queue.OfferID, agent queue.AgentID, after time.Duration) []queue.Event {
	return []queue.Event{
		queue.OfferStarted{At: c.joined.Add(after), Offer: offer, Caller: c.caller, Agent: agent, Queue: c.queue},
		queue.AgentStateChanged{At: c.joined.Add(after), Agent: agent, State: queue.AgentRinging, Prev: queue.AgentAvailable,
			Caller: c.caller, Queue: c.queue},
	}
}

func (c callScript) answer(offer queue.OfferID, agent queue.AgentID, ringStart, after time.Duration) []queue.Event {
	at := c.joined.Add(after)
	ring := after - ringStart
	return []queue.Event{
		queue.OfferEnded{At: at, Offer: offer, Caller: c.caller, Agent: agent, Queue: c.queue, Result: "answered", RingTime: ring},
		queue.CallerLeft{At: at, Caller: c.caller, Queue: c.queue, Reason: queue.LeftAnswered, Position: 1, JoinPos: c.pos,
			Wait: after, Agent: agent},
		queue.CallConnected{At: at, Caller: c.caller, Agent: agent, Offer: offer, Queue: c.queue, Wait: after, RingTime: ring, Position: 1},
		queue.AgentStateChanged{At: at, Agent: agent, State: queue.AgentOnCall, Prev: queue.AgentRinging,
			PrevSince: c.joined.Add(ringStart), Caller: c.caller, Queue: c.queue},
	}
}

func (c callScript) complete(agent queue.AgentID, by queue.Party, wait, talk time.Duration) []queue.Event {
	at := c.joined.Add(wait + talk)
	return []queue.Event{
		queue.CallCompleted{At: at, Caller: c.caller, Agent: agent, Queue: c.queue, By: by, Wait: wait, Talk: talk},
		queue.AgentStateChanged{At: at, Agent: agent, State: queue.AgentWrapUp, Prev: queue.AgentOnCall,
			PrevSince: c.joined.Add(wait), Caller: c.caller, Queue: c.queue},
	}
}

func (c callScript) leave(reason queue.LeaveReason, pos int, wait time.Duration, key string) []queue.Event {
	return []queue.Event{
		queue.CallerLeft{At: c.joined.Add(wait), Caller: c.caller, Queue: c.queue, Reason: reason, Position: pos,
			JoinPos: c.pos, Wait: wait, Key: key},
	}
}

func concat(groups ...[]queue.Event) []queue.Event {
	var out []queue.Event
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// putSessionRaw stores s as it is, with none of PutSession's upkeep.
func (db *DB) putSessionRaw(s queue.Session) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return db.update(context.Background(), func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Put([]byte(s.ID), raw) })
}
