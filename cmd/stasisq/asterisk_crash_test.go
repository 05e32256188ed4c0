package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"stasisq/internal/asteriskt"
	"stasisq/queue"
	"stasisq/store"
)

// TestAsteriskKill9: a stasisq process with 10 calls in progress and 30
// callers waiting on a real Asterisk is killed with SIGKILL and started
// again: the waiting callers are back in their order, the calls in
// progress go on and are recorded when they end, and then the waiting
// callers are answered in that order.
func TestAsteriskKill9(t *testing.T) {
	const talking, waiting = 10, 30
	bin := MustBuildStasisq(t)
	ast := asteriskt.Start(t, map[string]string{"extensions.conf": asteriskDialplan})
	obs := mustObserve(t, ast)
	db := filepath.Join(t.TempDir(), "stasisq.db")
	mustSeedKill9DB(t, db, talking)

	p := MustStartServeAt(t, bin, ast.ARIURL, ast.ARIUser, ast.ARIPassword, db)
	boss := MustConsoleLogin(t, p.url, "boss", crashPassword)
	var ids []string
	for i := 1; i <= talking+waiting; i++ {
		id := fmt.Sprintf("c%02d", i)
		ids = append(ids, id)
		obs.call(crashQueue, id)
		if i <= talking {
			// One at a time, so that the first ten are the ones talking.
			pollUntil(t, waitFor, id+" connected", func() (bool, string) {
				for _, a := range agentViews(boss) {
					if string(a.Caller) == id && a.State == queue.AgentOnCall {
						return true, ""
					}
				}
				return false, fmt.Sprint(agentStates(boss))
			})
		}
	}
	pollUntil(t, waitFor, "30 callers waiting", func() (bool, string) {
		return len(queueCallers(boss)) == waiting, fmt.Sprint(callerIDs(queueCallers(boss)))
	})
	// In the order Asterisk brought them in (dialplans run side by side,
	// so not always the order they were dialled).
	before := callerIDs(queueCallers(boss))
	if got := slices.Sorted(slices.Values(before)); !slices.Equal(got, ids[talking:]) {
		t.Fatalf("waiting before the crash: got %v, want %v", before, ids[talking:])
	}
	talkingSince := time.Now()

	p.kill()
	p2 := MustStartServeAt(t, bin, ast.ARIURL, ast.ARIUser, ast.ARIPassword, db)
	boss = MustConsoleLogin(t, p2.url, "boss", crashPassword)
	pollUntil(t, waitFor, "the waiting callers back in their order", func() (bool, string) {
		got := callerIDs(queueCallers(boss))
		return slices.Equal(got, before), fmt.Sprint(got)
	})
	pollUntil(t, waitFor, "the calls in progress resumed", func() (bool, string) {
		n := 0
		for _, a := range agentViews(boss) {
			if a.State == queue.AgentOnCall && slices.Contains(ids[:talking], string(a.Caller)) {
				n++
			}
		}
		return n == talking, fmt.Sprint(agentStates(boss))
	})

	// The talkers hang up: their records close, spanning the restart, and
	// the first ten waiting callers are answered, in order.
	hangup := time.Now()
	for _, id := range ids[:talking] {
		obs.hangup(id)
	}
	pollUntil(t, waitFor, "the next ten callers answered", func() (bool, string) {
		return slices.Equal(callerIDs(queueCallers(boss)), before[talking:]), fmt.Sprint(callerIDs(queueCallers(boss)))
	})
	// The records are written by the store's writer a moment after the
	// engine ends the calls: wait until all ten are closed.
	pollUntil(t, waitFor, "the ten calls' records closed", func() (bool, string) {
		open := 0
		for _, r := range callRecords(boss, talkingSince.Add(-time.Hour)) {
			if slices.Contains(ids[:talking], string(r.Caller)) && r.Open() {
				open++
			}
		}
		return open == 0, fmt.Sprintf("%d still open", open)
	})
	closed := 0
	for _, r := range callRecords(boss, talkingSince.Add(-time.Hour)) {
		if !slices.Contains(ids[:talking], string(r.Caller)) {
			continue
		}
		closed++
		// Answered before the crash, ended after the hang-up: the talk
		// spans the restart.
		if r.Outcome != queue.OutcomeCompleted || r.Open() || !r.AnsweredAt.Before(talkingSince) || r.EndedAt.Before(hangup) ||
			r.Talk != r.EndedAt.Sub(r.AnsweredAt) || r.Talk < hangup.Sub(talkingSince) {
			t.Errorf("record of %s: got %s, answered %v, ended %v, talk %v; want completed, answered before the crash at %v and ended after the hang-up at %v",
				r.Caller, r.Outcome, r.AnsweredAt, r.EndedAt, r.Talk, talkingSince, hangup)
		}
	}
	if closed != talking {
		t.Errorf("records of the calls in progress: got %d, want %d", closed, talking)
	}
	for _, id := range ids[talking:] {
		obs.hangup(id)
	}
	pollUntil(t, waitFor, "nothing left in Asterisk", func() (bool, string) {
		ch := obs.channels()
		return len(ch) == 0, fmt.Sprint(ch)
	})
}

// mustSeedKill9DB: the crash queue, n static echo agents, a supervisor.
func mustSeedKill9DB(tb testing.TB, path string, n int) { mustSeedCrashDB(tb, path, n, nil) }

// mustSeedCrashDB is mustSeedKill9DB with the queue changed by edit.
func mustSeedCrashDB(tb testing.TB, path string, n int, edit func(*queue.QueueConfig)) {
	tb.Helper()
	db, err := store.Open(path, store.Options{BcryptCost: 4})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	q := queue.DefaultQueueConfig(crashQueue)
	q.Timeout, q.Retry = 5*time.Second, 200*time.Millisecond
	q.AnnouncePosition, q.MinAnnounceFrequency = "no", 0
	if edit != nil {
		edit(&q)
	}
	if err := db.PutQueue(ctx, q); err != nil {
		tb.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("a%02d", i)
		a := queue.AgentConfig{ID: id, Name: id, Device: fmt.Sprintf("Local/10%02d@agents", i), Static: true, Queues: []queue.Membership{{Queue: crashQueue}}}
		if err := db.PutAgent(ctx, store.Agent{Role: queue.RoleAgent, Config: a}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := db.PutUser(ctx, queue.User{ID: "boss", Name: "Boss", Role: queue.RoleSupervisor}, crashPassword); err != nil {
		tb.Fatal(err)
	}
}
