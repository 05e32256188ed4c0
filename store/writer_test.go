package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"stasisq/queue"
)

func TestCallRecords(t *testing.T) {
	alice := queue.AgentID("alice")
	c := callScript{caller: "1741597200.1", queue: "support", number: "1001", joined: t0, pos: 1}
	tests := []struct {
		name   string
		events []queue.Event
		want   queue.CallRecord
	}{
		{
			name: "answered and completed by the caller",
			events: concat(c.join(), c.ring("o1", alice, 2*time.Second),
				[]queue.Event{queue.OfferEnded{At: at(17 * time.Second), Offer: "o1", Caller: c.caller, Agent: alice, Queue: c.queue, Result: "noanswer", RingTime: 15 * time.Second}},
				c.ring("o2", alice, 20*time.Second),
				c.answer("o2", alice, 20*time.Second, 25*time.Second),
				c.complete(alice, queue.PartyCaller, 25*time.Second, 90*time.Second)),
			want: queue.CallRecord{Queue: "support", Number: "1001", Name: "Caller 1001", JoinedAt: t0,
				FirstRingAt: at(2 * time.Second), AnsweredAt: at(25 * time.Second), LeftAt: at(25 * time.Second),
				EndedAt: at(115 * time.Second), Agent: alice, Outcome: queue.OutcomeCompleted, CompletedBy: queue.PartyCaller,
				JoinPosition: 1, ExitPosition: 1, Wait: 25 * time.Second, RingTime: 5 * time.Second, Talk: 90 * time.Second,
				Offers: 2, Unanswered: 1, Rings: []queue.CallRing{
					{Agent: alice, At: at(2 * time.Second), Result: "noanswer", Ended: at(17 * time.Second)},
					{Agent: alice, At: at(20 * time.Second), Result: "answered", Ended: at(25 * time.Second)}}},
		},
		{
			name:   "connected, not yet ended",
			events: concat(c.join(), c.ring("o1", alice, time.Second), c.answer("o1", alice, time.Second, 3*time.Second)),
			want: queue.CallRecord{Queue: "support", Number: "1001", Name: "Caller 1001", JoinedAt: t0,
				FirstRingAt: at(time.Second), AnsweredAt: at(3 * time.Second), LeftAt: at(3 * time.Second),
				Agent: alice, Outcome: queue.OutcomeConnected, JoinPosition: 1, ExitPosition: 1, Wait: 3 * time.Second,
				RingTime: 2 * time.Second, Offers: 1, Rings: []queue.CallRing{{Agent: alice, At: at(time.Second), Result: "answered", Ended: at(3 * time.Second)}}},
		},
		{
			name:   "abandoned",
			events: concat(c.join(), c.leave(queue.LeftAbandoned, 1, 40*time.Second, "")),
			want: queue.CallRecord{Queue: "support", Number: "1001", Name: "Caller 1001", JoinedAt: t0,
				LeftAt: at(40 * time.Second), EndedAt: at(40 * time.Second), Outcome: "abandoned",
				JoinPosition: 1, ExitPosition: 1, Wait: 40 * time.Second},
		},
		{
			name:   "exit key",
			events: concat(c.join(), c.leave(queue.LeftExitKey, 1, 8*time.Second, "5")),
			want: queue.CallRecord{Queue: "support", Number: "1001", Name: "Caller 1001", JoinedAt: t0,
				LeftAt: at(8 * time.Second), EndedAt: at(8 * time.Second), Outcome: "exit", ExitKey: "5",
				JoinPosition: 1, ExitPosition: 1, Wait: 8 * time.Second},
		},
		{
			name: "moved twice, priority raised, then timed out",
			events: concat(c.join(), []queue.Event{
				queue.CallerMoved{At: at(10 * time.Second), Caller: c.caller, From: "support", To: "sales", KeepWait: true},
				queue.CallerPriorityChanged{At: at(11 * time.Second), Caller: c.caller, Queue: "sales", Priority: 7},
				queue.CallerMoved{At: at(12 * time.Second), Caller: c.caller, From: "sales", To: "billing"},
				queue.CallerLeft{At: at(60 * time.Second), Caller: c.caller, Queue: "billing", Reason: queue.LeftTimeout,
					Position: 2, JoinPos: 1, Wait: 60 * time.Second},
			}),
			want: queue.CallRecord{Queue: "billing", Number: "1001", Name: "Caller 1001", Priority: 7, JoinedAt: t0,
				LeftAt: at(60 * time.Second), EndedAt: at(60 * time.Second), Outcome: "timeout",
				JoinPosition: 1, ExitPosition: 2, Wait: 60 * time.Second,
				Moves: []queue.CallMove{{At: at(10 * time.Second), From: "support", To: "sales", KeepWait: true},
					{At: at(12 * time.Second), From: "sales", To: "billing"}}},
		},
		{
			name: "refused",
			events: []queue.Event{queue.CallerRefused{At: t0, Caller: c.caller, Queue: "support", Number: "1001",
				Name: "Caller 1001", Status: queue.StatusJoinEmpty}},
			want: queue.CallRecord{Queue: "support", Number: "1001", Name: "Caller 1001", JoinedAt: t0, EndedAt: t0,
				Outcome: queue.OutcomeRefused, Status: queue.StatusJoinEmpty},
		},
	}
	for _, tc := range tests {
		for _, mode := range []string{"one batch", "one event per batch"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "calls.db")
				db := MustOpenPath(t, path, testOptions())
				if mode == "one batch" {
					db.Record(tc.events...)
				} else {
					for _, ev := range tc.events {
						db.Record(ev)
						MustFlush(t, db)
					}
				}
				// Read back after a reopen: the record is on disk, not in memory.
				if err := db.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				db = MustOpenPath(t, path, testOptions())
				got, err := db.Call(context.Background(), c.caller)
				if err != nil {
					t.Fatalf("Call: %v", err)
				}
				want := tc.want
				want.Caller = c.caller
				want.ID = callID(callKey(want.JoinedAt, c.caller))
				if !reflect.DeepEqual(got, want) {
					t.Errorf("record:\ngot=%+v\nwant %+v", got, want)
				}
			})
		}
	}
}

func TestSameChannelJoinsTwiceGetsTwoRecords(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testOptions())
	first := callScript{caller: "ch-1", queue: "support", number: "1001", joined: t0, pos: 1}
	second := callScript{caller: "ch-1", queue: "sales", number: "1001", joined: at(time.Minute), pos: 1}
	db.Record(concat(first.join(), first.leave(queue.LeftTimeout, 1, 30*time.Second, ""))...)
	db.Record(second.join()...)
	MustFlush(t, db)

	calls, err := db.Calls(ctx, queue.CallQuery{})
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	if len(calls) != 2 || calls[0].Outcome != "timeout" || calls[1].Outcome != queue.OutcomeWaiting || calls[1].Queue != "sales" {
		t.Fatalf("Calls: got=%+v, want the timed-out visit then the waiting one", calls)
	}
	latest, err := db.Call(ctx, "ch-1")
	if err != nil || latest.ID != calls[1].ID {
		t.Errorf("Call(ch-1): got=%+v, %v, want the latest visit %s", latest, err, calls[1].ID)
	}
}

func TestResumedCallerKeepsItsRecord(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "resume.db")
	db := MustOpenPath(t, path, testOptions())
	c := callScript{caller: "ch-9", queue: "support", number: "1009", joined: t0, pos: 1}
	db.Record(c.join()...)
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db = MustOpenPath(t, path, testOptions())
	db.Record(queue.CallerJoined{At: at(5 * time.Minute), Caller: c.caller, Queue: c.queue, Number: c.number,
		JoinedAt: t0, Position: 1, Resumed: true})
	db.Record(c.leave(queue.LeftAbandoned, 1, 6*time.Minute, "")...)
	MustFlush(t, db)
	calls, err := db.Calls(ctx, queue.CallQuery{})
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	if len(calls) != 1 {
		t.Fatalf("Calls: got=%d records, want 1 (the resume continues the visit)", len(calls))
	}
	if got := calls[0]; !got.Resumed || got.Outcome != "abandoned" || !got.JoinedAt.Equal(t0) || got.Wait != 6*time.Minute {
		t.Errorf("record: got=%+v, want resumed, abandoned, joined at t0, waited 6m", got)
	}
}

func TestStateRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db := MustOpenPath(t, path, testOptions())

	a := callScript{caller: "a", queue: "support", number: "1", joined: t0, pos: 1}
	b := callScript{caller: "b", queue: "support", number: "2", joined: at(time.Second), pos: 2}
	c := callScript{caller: "c", queue: "support", number: "3", joined: at(2 * time.Second), pos: 3}
	d := callScript{caller: "d", queue: "sales", number: "4", joined: at(3 * time.Second), pos: 1}
	db.Record(append(a.join(), queue.QueueOrderChanged{At: t0, Queue: "support", Callers: []queue.CallerID{"a"}})...)
	db.Record(append(b.join(), queue.QueueOrderChanged{At: b.joined, Queue: "support", Callers: []queue.CallerID{"a", "b"}})...)
	db.Record(append(c.join(), queue.QueueOrderChanged{At: c.joined, Queue: "support", Callers: []queue.CallerID{"a", "b", "c"}})...)
	db.Record(append(d.join(), queue.QueueOrderChanged{At: d.joined, Queue: "sales", Callers: []queue.CallerID{"d"}})...)
	// A supervisor puts c first and raises its priority; a abandons; d moves to support keeping its wait.
	db.Record(queue.QueueOrderChanged{At: at(10 * time.Second), Queue: "support", Callers: []queue.CallerID{"c", "a", "b"}})
	db.Record(queue.CallerPriorityChanged{At: at(11 * time.Second), Caller: "c", Queue: "support", Priority: 9})
	db.Record(append(a.leave(queue.LeftAbandoned, 2, 12*time.Second, ""),
		queue.QueueOrderChanged{At: at(12 * time.Second), Queue: "support", Callers: []queue.CallerID{"c", "b"}})...)
	db.Record(queue.CallerMoved{At: at(13 * time.Second), Caller: "d", From: "sales", To: "support", KeepWait: true},
		queue.QueueOrderChanged{At: at(13 * time.Second), Queue: "sales"},
		queue.QueueOrderChanged{At: at(13 * time.Second), Queue: "support", Callers: []queue.CallerID{"c", "b", "d"}})
	// Agents: alice logs in and pauses, bob logs in then out, carol is on a call.
	db.Record(queue.AgentStateChanged{At: t0, Agent: "alice", State: queue.AgentAvailable, Prev: queue.AgentLoggedOut})
	db.Record(queue.AgentStateChanged{At: at(time.Minute), Agent: "alice", State: queue.AgentPaused, Reason: "lunch", Prev: queue.AgentAvailable, PrevSince: t0})
	db.Record(queue.AgentStateChanged{At: t0, Agent: "bob", State: queue.AgentAvailable, Prev: queue.AgentLoggedOut})
	db.Record(queue.AgentStateChanged{At: at(time.Minute), Agent: "bob", State: queue.AgentLoggedOut, Prev: queue.AgentAvailable, PrevSince: t0})
	db.Record(queue.AgentStateChanged{At: t0, Agent: "carol", State: queue.AgentAvailable, Prev: queue.AgentLoggedOut})
	db.Record(queue.AgentStateChanged{At: at(2 * time.Minute), Agent: "carol", State: queue.AgentOnCall, Prev: queue.AgentRinging,
		PrevSince: at(time.Minute), Caller: "z", Queue: "sales"})
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db = MustOpenPath(t, path, testOptions())
	got, err := db.LoadState(ctx)
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	want := State{
		Callers: []WaitingCaller{
			{ID: "c", Queue: "support", Priority: 9, Number: "3", Name: "Caller 3", JoinedAt: c.joined, Position: 1},
			{ID: "b", Queue: "support", Number: "2", Name: "Caller 2", JoinedAt: b.joined, Position: 2},
			{ID: "d", Queue: "support", Number: "4", Name: "Caller 4", JoinedAt: d.joined, Position: 3},
		},
		Agents: []AgentSession{
			{ID: "alice", State: queue.AgentPaused, Paused: true, Reason: "lunch", Since: at(time.Minute), LoggedInAt: t0},
			{ID: "carol", State: queue.AgentOnCall, Since: at(2 * time.Minute), LoggedInAt: t0, Caller: "z", Queue: "sales"},
		},
		// z's record was never written: the call is known from carol's session alone.
		Calls: []ConnectedCall{{Caller: "z", Agent: "carol", Queue: "sales", ConnectedAt: at(2 * time.Minute)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadState:\ngot=%+v\nwant %+v", got, want)
	}
}

func TestMoveWithoutKeepWaitRestartsTheWait(t *testing.T) {
	db := MustOpen(t, testOptions())
	c := callScript{caller: "m", queue: "support", number: "1", joined: t0, pos: 1}
	db.Record(c.join()...)
	db.Record(queue.CallerMoved{At: at(time.Minute), Caller: "m", From: "support", To: "sales"},
		queue.QueueOrderChanged{At: at(time.Minute), Queue: "sales", Callers: []queue.CallerID{"x", "m"}})
	MustFlush(t, db)
	st, err := db.LoadState(context.Background())
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	want := []WaitingCaller{{ID: "m", Queue: "sales", Number: "1", Name: "Caller 1", JoinedAt: at(time.Minute), Position: 2}}
	if !reflect.DeepEqual(st.Callers, want) {
		t.Errorf("callers: got=%+v, want %+v", st.Callers, want)
	}
}

func TestTakeBatchKeepsGroupsWhole(t *testing.T) {
	ev := func(n int) []queue.Event {
		out := make([]queue.Event, n)
		for i := range out {
			out[i] = queue.QueueOrderChanged{Queue: "q"}
		}
		return out
	}
	w := &writer{size: 3}
	for _, n := range []int{2, 2, 5, 1, 1, 1} {
		w.pending = append(w.pending, ev(n))
		w.npending += n
	}
	var sizes []int
	for w.npending > 0 {
		sizes = append(sizes, len(w.takeLocked()))
	}
	want := []int{2, 2, 5, 3} // a group never splits; a big group goes alone
	if !reflect.DeepEqual(sizes, want) {
		t.Errorf("batch sizes: got=%v, want %v", sizes, want)
	}
}

func TestFlushWaitsForEverythingRecorded(t *testing.T) {
	// A long BatchDelay: Flush must close the batch itself, not wait it out.
	opts := testOptions()
	opts.BatchDelay = time.Hour
	db := MustOpen(t, opts)
	for i := range 50 {
		c := callScript{caller: queue.CallerID("c" + string(rune('A'+i))), queue: "q", number: "1", joined: at(time.Duration(i) * time.Second), pos: i + 1}
		db.Record(c.join()...)
	}
	MustFlush(t, db)
	calls, err := db.Calls(context.Background(), queue.CallQuery{})
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	if len(calls) != 50 {
		t.Errorf("records after Flush: got=%d, want 50", len(calls))
	}
}

func TestBatchDelayCommitsWithoutFlush(t *testing.T) {
	db := MustOpen(t, testOptions()) // default 10ms
	c := callScript{caller: "lonely", queue: "q", number: "1", joined: t0, pos: 1}
	db.Record(c.join()...)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := db.Call(context.Background(), "lonely"); err == nil {
			return
		} else if !errors.Is(err, queue.ErrNotFound) {
			t.Fatalf("Call: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("record not committed 30s after Record: the batch timer never fired")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFlushHonoursContext(t *testing.T) {
	opts := testOptions()
	opts.BatchDelay = time.Hour
	db := MustOpen(t, opts)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	db.Record(callScript{caller: "x", queue: "q", joined: t0, pos: 1}.join()...)
	// Either the writer was quick enough, or the cancelled context is reported.
	if err := db.Flush(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Flush(cancelled): got=%v, want nil or context.Canceled", err)
	}
}

func TestRecordAfterCloseIsDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "closed.db")
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	db.Record(callScript{caller: "late", queue: "q", joined: t0, pos: 1}.join()...) // must not panic or block
	if err := db.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close: got=%v, want nil (nothing accepted)", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// OnCommit is told of every committed batch: together they hold every
// event recorded, each batch at least one, with its transaction's time.
func TestOnCommitCountsEveryBatch(t *testing.T) {
	var mu sync.Mutex
	var batches, events int
	var took time.Duration
	opts := testOptions()
	opts.OnCommit = func(n int, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if n < 1 {
			t.Errorf("a committed batch of %d events", n)
		}
		batches++
		events += n
		took += d
	}
	db := MustOpenPath(t, filepath.Join(t.TempDir(), "oncommit.db"), opts)
	for i := range 5 {
		db.Record(queue.AgentStateChanged{At: at(time.Duration(i) * time.Second), Agent: "alice", State: queue.AgentAvailable, Prev: queue.AgentLoggedOut})
		MustFlush(t, db)
	}
	db.Record(queue.QueueConfigured{At: at(time.Minute), Config: queue.DefaultQueueConfig("support")},
		queue.QueueConfigured{At: at(time.Minute), Config: queue.DefaultQueueConfig("sales")})
	MustFlush(t, db)
	mu.Lock()
	defer mu.Unlock()
	if events != 7 || batches < 6 || took <= 0 {
		t.Errorf("OnCommit saw %d events in %d batches taking %v, want 7 events in at least 6 batches (a flush each), some time", events, batches, took)
	}
}
