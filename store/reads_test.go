package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"stasisq/queue"
)

func TestIntervalStatsPersistAndContinueAfterReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stats.db")
	db := MustOpenPath(t, path, testOptions())
	alice := queue.AgentID("alice")

	sl := queue.DefaultQueueConfig("support")
	sl.ServiceLevel = time.Minute
	db.Record(queue.QueueConfigured{At: t0, Config: sl})
	db.Record(queue.AgentStateChanged{At: t0, Agent: alice, State: queue.AgentAvailable, Prev: queue.AgentLoggedOut})
	c1 := callScript{caller: "c1", queue: "support", number: "1", joined: at(time.Minute), pos: 1}
	db.Record(concat(c1.join(), c1.ring("o1", alice, time.Second), c1.answer("o1", alice, time.Second, 10*time.Second),
		c1.complete(alice, queue.PartyAgent, 10*time.Second, 50*time.Second))...)
	c2 := callScript{caller: "c2", queue: "support", number: "2", joined: at(20 * time.Minute), pos: 1} // next interval
	db.Record(concat(c2.join(), c2.leave(queue.LeftAbandoned, 1, 30*time.Second, ""))...)
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// After a restart, a third call in the first interval adds to it.
	db = MustOpenPath(t, path, testOptions())
	c3 := callScript{caller: "c3", queue: "support", number: "3", joined: at(5 * time.Minute), pos: 1}
	db.Record(concat(c3.join(), c3.leave(queue.LeftTimeout, 1, 2*time.Minute, ""))...)
	MustFlush(t, db)

	qs, err := db.QueueStats(ctx, "support", t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("QueueStats: %v", err)
	}
	if len(qs) != 2 {
		t.Fatalf("QueueStats: got=%d intervals %+v, want 2", len(qs), qs)
	}
	first, second := qs[0], qs[1]
	if !first.Start.Equal(t0) || first.Offered != 2 || first.Answered != 1 || first.AnsweredInSL != 1 || first.TimedOut != 1 ||
		first.WaitSum != 10*time.Second || first.TalkSum != 50*time.Second {
		t.Errorf("first interval: got=%+v, want start %v, offered 2, answered 1 in SL, 1 timed out, wait 10s, talk 50s", first, t0)
	}
	if !second.Start.Equal(at(15*time.Minute)) || second.Offered != 1 || second.Abandoned != 1 || second.AbandonWaitSum != 30*time.Second {
		t.Errorf("second interval: got=%+v, want start %v, offered 1, abandoned 1 after 30s", second, at(15*time.Minute))
	}
	// The range is [from, to).
	if qs, err := db.QueueStats(ctx, "support", at(15*time.Minute), at(30*time.Minute)); err != nil || len(qs) != 1 {
		t.Errorf("QueueStats of the second interval only: got=%+v, %v", qs, err)
	}
	if qs, err := db.QueueStats(ctx, "nosuch", t0, at(time.Hour)); err != nil || len(qs) != 0 {
		t.Errorf("QueueStats of an unknown queue: got=%+v, %v, want none", qs, err)
	}

	as, err := db.AgentStats(ctx, alice, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("AgentStats: %v", err)
	}
	if len(as) == 0 || as[0].Calls != 1 || as[0].Talk != 50*time.Second || as[0].LoggedIn <= 0 {
		t.Errorf("AgentStats: got=%+v, want 1 call of 50s and logged-in time in the first interval", as)
	}

	sinceQ, sinceA, err := db.IntervalsSince(ctx, at(15*time.Minute))
	if err != nil {
		t.Fatalf("IntervalsSince: %v", err)
	}
	if len(sinceQ) != 1 || !reflect.DeepEqual(sinceQ[0], second) {
		t.Errorf("IntervalsSince queues: got=%+v, want only %+v", sinceQ, second)
	}
	for _, a := range sinceA {
		if a.Start.Before(at(15 * time.Minute)) {
			t.Errorf("IntervalsSince agents: %+v starts before the cut", a)
		}
	}
}

func TestCallsQueryAndCSV(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testOptions())
	for i, q := range []string{"support", "sales", "support", "support"} {
		c := callScript{caller: queue.CallerID("c" + string(rune('0'+i))), queue: q, number: "100" + string(rune('0'+i)),
			joined: at(time.Duration(i) * time.Minute), pos: 1}
		db.Record(concat(c.join(), c.leave(queue.LeftAbandoned, 1, 30*time.Second, ""))...)
	}
	// c1 was moved from sales: it counts for support queries too.
	db.Record(callScript{caller: "c9", queue: "sales", number: "=HYPERLINK(\"x\")", joined: at(10 * time.Minute), pos: 1}.join()...)
	db.Record(queue.CallerMoved{At: at(11 * time.Minute), Caller: "c9", From: "sales", To: "billing"})
	MustFlush(t, db)

	ids := func(rs []queue.CallRecord) []queue.CallerID {
		var out []queue.CallerID
		for _, r := range rs {
			out = append(out, r.Caller)
		}
		return out
	}
	tests := []struct {
		name string
		q    queue.CallQuery
		want []queue.CallerID
	}{
		{"all", queue.CallQuery{}, []queue.CallerID{"c0", "c1", "c2", "c3", "c9"}},
		{"range [1m, 3m)", queue.CallQuery{From: at(time.Minute), To: at(3 * time.Minute)}, []queue.CallerID{"c1", "c2"}},
		{"support", queue.CallQuery{Queue: "support"}, []queue.CallerID{"c0", "c2", "c3"}},
		{"moved from sales", queue.CallQuery{Queue: "sales"}, []queue.CallerID{"c1", "c9"}},
		{"limit", queue.CallQuery{Limit: 2}, []queue.CallerID{"c0", "c1"}},
		{"empty range", queue.CallQuery{From: at(time.Hour)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Calls(ctx, tc.q)
			if err != nil {
				t.Fatalf("Calls: %v", err)
			}
			if !reflect.DeepEqual(ids(got), tc.want) {
				t.Errorf("Calls(%+v): got=%v, want %v", tc.q, ids(got), tc.want)
			}
		})
	}

	var buf bytes.Buffer
	if err := db.WriteCallsCSV(ctx, &buf, queue.CallQuery{Queue: "support", Limit: 1}); err != nil {
		t.Fatalf("WriteCallsCSV: %v", err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("read back CSV: %v", err)
	}
	if len(rows) != 2 || !reflect.DeepEqual(rows[0], CallsCSVHeader) {
		t.Fatalf("CSV: got=%q, want header and one row", rows)
	}
	row := map[string]string{}
	for i, h := range rows[0] {
		row[h] = rows[1][i]
	}
	want := map[string]string{"caller": "c0", "queue": "support", "number": "1000", "joined_at": "2025-03-10T09:00:00Z",
		"ended_at": "2025-03-10T09:00:30Z", "outcome": "abandoned", "wait_s": "30.000", "answered_at": "", "moves": ""}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("CSV %s: got=%q, want %q", k, row[k], v)
		}
	}

	buf.Reset()
	if err := db.WriteCallsCSV(ctx, &buf, queue.CallQuery{From: at(10 * time.Minute)}); err != nil {
		t.Fatalf("WriteCallsCSV: %v", err)
	}
	rows, _ = csv.NewReader(&buf).ReadAll()
	if len(rows) != 2 || rows[1][3] != `'=HYPERLINK("x")` || rows[1][slices.Index(rows[0], "moves")] != "sales>billing" {
		t.Errorf("CSV of c9: got=%q, want the number defused and moves sales>billing", rows)
	}
}

func TestPruneDeletesOldCallsAndIntervals(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testOptions())
	old := callScript{caller: "old", queue: "support", number: "1", joined: t0, pos: 1}
	recent := callScript{caller: "new", queue: "support", number: "2", joined: t0.Add(48 * time.Hour), pos: 1}
	db.Record(concat(old.join(), old.leave(queue.LeftAbandoned, 1, time.Minute, ""))...)
	db.Record(concat(recent.join(), recent.leave(queue.LeftAbandoned, 1, time.Minute, ""))...)
	waiting := callScript{caller: "still", queue: "support", number: "3", joined: at(time.Minute), pos: 1}
	db.Record(waiting.join()...)
	MustFlush(t, db)

	p, err := db.Prune(ctx, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if p.Calls != 2 || p.Intervals != 2 {
		t.Errorf("Prune: got=%+v, want 2 calls (old and still) and 2 intervals (the old one and its day)", p)
	}
	calls, _ := db.Calls(ctx, queue.CallQuery{})
	if len(calls) != 1 || calls[0].Caller != "new" {
		t.Errorf("calls after prune: got=%+v, want only the recent one", calls)
	}
	if _, err := db.Call(ctx, "old"); err == nil {
		t.Errorf("Call(old) after prune: got a record, want ErrNotFound (index pruned too)")
	}
	qs, _ := db.QueueStats(ctx, "support", time.Time{}, time.Time{})
	if len(qs) != 1 || !qs[0].Start.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("intervals after prune: got=%+v, want only the recent one", qs)
	}
	// Resume state is not history: the waiting caller stays in it.
	st, _ := db.LoadState(ctx)
	if len(st.Callers) != 1 || st.Callers[0].ID != "still" {
		t.Errorf("state after prune: got=%+v, want the waiting caller kept", st.Callers)
	}
}

func TestRetentionRunsInTheBackground(t *testing.T) {
	opts := testOptions()
	opts.Retention = time.Hour // t0 is long ago: everything goes
	opts.PruneEvery = 10 * time.Millisecond
	db := MustOpen(t, opts)
	c := callScript{caller: "ancient", queue: "support", number: "1", joined: t0, pos: 1}
	db.Record(concat(c.join(), c.leave(queue.LeftAbandoned, 1, time.Minute, ""))...)
	MustFlush(t, db)
	deadline := time.Now().Add(30 * time.Second)
	for {
		calls, err := db.Calls(context.Background(), queue.CallQuery{})
		if err != nil {
			t.Fatalf("Calls: %v", err)
		}
		if len(calls) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("record older than retention still there after 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An agent who sits in one state shows in the stored intervals as the
// events' time moves on (the writer advances the recorder), without events
// of its own, and no more than a second behind: the writer advances every
// agent's figures once the events' time has moved a second, not with every
// commit; a stop counts them up to the last event.
func TestIdleAgentFiguresKeptCurrent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "idle.db")
	db := MustOpenPath(t, path, testOptions())
	alice := queue.AgentID("alice")
	db.Record(queue.QueueConfigured{At: t0, Config: queue.DefaultQueueConfig("support")})
	db.Record(queue.AgentStateChanged{At: t0, Agent: alice, State: queue.AgentAvailable, Prev: queue.AgentLoggedOut})
	db.Record(queue.AgentStateChanged{At: at(time.Minute), Agent: alice, State: queue.AgentPaused, Reason: "lunch",
		Prev: queue.AgentAvailable, PrevSince: t0})
	MustFlush(t, db)
	stored := func() queue.AgentInterval {
		t.Helper()
		as, err := db.AgentStats(ctx, alice, t0, at(15*time.Minute))
		if err != nil || len(as) != 1 {
			t.Fatalf("AgentStats: %+v, %v, want one interval", as, err)
		}
		return as[0]
	}
	// Other callers' events move the time on while alice stays paused.
	for i, step := range []time.Duration{10 * time.Minute, 10*time.Minute + 400*time.Millisecond, 10*time.Minute + 1200*time.Millisecond} {
		c := callScript{caller: queue.CallerID("c" + string(rune('1'+i))), queue: "support", number: "1", joined: at(step), pos: 1}
		db.Record(c.join()...)
		MustFlush(t, db)
		a := stored()
		if behind := at(step).Sub(t0) - a.LoggedIn; behind < 0 || behind > time.Second {
			t.Errorf("at %v: logged in %v stored, %v behind the events (want within a second)", step, a.LoggedIn, behind)
		}
		if want := a.LoggedIn - time.Minute; a.Paused != want || a.PausedBy["lunch"] != want {
			t.Errorf("at %v: paused %v (lunch %v), want %v", step, a.Paused, a.PausedBy["lunch"], want)
		}
	}
	if a := stored(); a.LoggedIn != 10*time.Minute+1200*time.Millisecond {
		t.Errorf("logged in %v stored after the last event, want 10m1.2s", a.LoggedIn)
	}
	// A last event within the second, then a stop: Close counts the idle
	// agent's time up to it, as every commit once did.
	c := callScript{caller: "c9", queue: "support", number: "9", joined: at(10*time.Minute + 1700*time.Millisecond), pos: 1}
	db.Record(c.join()...)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = MustOpenPath(t, path, testOptions())
	if a := stored(); a.LoggedIn != 10*time.Minute+1700*time.Millisecond || a.Paused != 9*time.Minute+1700*time.Millisecond {
		t.Errorf("after a stop: logged in %v, paused %v stored, want 10m1.7s and 9m1.7s (up to the last event)", a.LoggedIn, a.Paused)
	}
}
