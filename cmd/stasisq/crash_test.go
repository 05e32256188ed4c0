package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/ari/aritest"
	"stasisq/callflow"
	"stasisq/queue"
	"stasisq/store"
)

// The crash test of issue 5: the real "stasisq serve" binary as a
// subprocess against the fake Asterisk, killed with SIGKILL while callers
// wait and an agent's phone rings, then started again on the same database.

const (
	crashQueue    = "support"
	crashCallers  = 20
	crashPassword = "crash-test-password"
	alicePhone    = "PJSIP/1001"
	bobPhone      = "PJSIP/1002"
	carolPhone    = "PJSIP/1003"
	salesQueue    = "sales" // carol's: a call connected across the kill
	salesWrapUp   = 300 * time.Millisecond
	pauseReason   = "Lunch" // one of serve's default --pause-reasons
)

func TestCrashAndResume(t *testing.T) {
	bin := MustBuildStasisq(t)
	tests := []struct {
		name string
		// hangUpWhileDown are the 1-based positions of callers who hang up
		// while stasisq is dead: they must be closed as lost, not re-queued.
		hangUpWhileDown []int
	}{
		{name: "every caller stays", hangUpWhileDown: nil},
		{name: "three hang up while down", hangUpWhileDown: []int{2, 11, 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testCrashAndResume(t, bin, tt.hangUpWhileDown)
		})
	}
}

func testCrashAndResume(t *testing.T, bin string, hangUpWhileDown []int) {
	start := time.Now()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "stasisq.db")
	MustSeedCrashDB(t, dbPath)

	fake := aritest.NewServer(aritest.Options{User: testUser, Password: testPassword, AnswerDelay: 5 * time.Millisecond})
	t.Cleanup(fake.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ARI requests:\n%s", (&testEnv{fake: fake}).requestLog())
		}
	})
	// Nobody answers yet: callers pile up, bob's phone rings unanswered.
	fake.SetDevice(alicePhone, aritest.DeviceBehavior{Action: aritest.NoAnswer})
	fake.SetDevice(bobPhone, aritest.DeviceBehavior{Action: aritest.NoAnswer})
	fake.SetDevice(carolPhone, aritest.DeviceBehavior{Action: aritest.Answer})

	first := MustStartServe(t, bin, fake, dbPath)
	MustConsoleLogin(t, first.url, "alice", crashPassword).mustPost("/api/me/login", map[string]any{"paused": true, "reason": pauseReason})
	bob := MustConsoleLogin(t, first.url, "bob", crashPassword)
	bob.mustPost("/api/me/login", map[string]any{})
	bob.mustPost("/api/me/ready", nil)
	boss := MustConsoleLogin(t, first.url, "boss", crashPassword)
	pollUntil(t, waitFor, "alice is paused and bob available", func() (bool, string) {
		states := agentStates(boss)
		return states["alice"] == queue.AgentPaused && states["bob"] == queue.AgentAvailable, fmt.Sprint(states)
	})

	// Carol takes a sales call that is still going on at the kill.
	carol := MustConsoleLogin(t, first.url, "carol", crashPassword)
	carol.mustPost("/api/me/login", map[string]any{})
	carol.mustPost("/api/me/ready", nil)
	pollUntil(t, waitFor, "carol is available", func() (bool, string) {
		states := agentStates(boss)
		return states["carol"] == queue.AgentAvailable, fmt.Sprint(states)
	})
	beforeSales := time.Now()
	sales, err := fake.Call(context.Background(), aritest.CallSpec{App: testApp, Args: []string{salesQueue}, Number: "5559999", Name: "Sales caller"})
	if err != nil {
		t.Fatalf("sales call: %v", err)
	}
	select {
	case <-sales.Bridged():
	case <-time.After(waitFor):
		t.Fatalf("the sales call was never bridged with carol")
	}
	talkingSince := time.Now() // the call connected before this
	var carolLeg string
	pollUntil(t, waitFor, "carol is on the sales call", func() (bool, string) {
		c := agentViews(boss)["carol"]
		carolLeg, _ = callflow.AgentLegIDs(c.Offer)
		return c.State == queue.AgentOnCall && string(c.Caller) == sales.ID(), fmt.Sprintf("%s with %q", c.State, c.Caller)
	})

	calls := make([]*aritest.Call, crashCallers)
	for i := range calls {
		c, err := fake.Call(context.Background(), aritest.CallSpec{
			App: testApp, Args: []string{crashQueue},
			Number: fmt.Sprintf("55501%02d", i+1), Name: fmt.Sprintf("Caller %d", i+1),
		})
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		calls[i] = c
	}
	var before []queue.CallerView
	pollUntil(t, waitFor, fmt.Sprintf("%d callers wait in the order they called", crashCallers), func() (bool, string) {
		before = queueCallers(boss)
		return callerIDs(before) != nil && slices.Equal(callerIDs(before), callIDs(calls)), fmt.Sprint(callerIDs(before))
	})
	for i, c := range before {
		if c.Position != i+1 {
			t.Fatalf("caller %s at position %d, want %d", c.ID, c.Position, i+1)
		}
	}
	// Mid-flow: bob's phone rings for the first caller when the kill comes.
	pollUntil(t, waitFor, "bob's phone rings", func() (bool, string) {
		states := agentStates(boss)
		return states["bob"] == queue.AgentRinging, fmt.Sprint(states)
	})
	// The process owns the file lock, so the store cannot be read from here.
	// The call records and interval statistics are committed in the same
	// transaction as the resume state: once the API reads all the joins back
	// from the store, the positions and join times are on disk.
	pollUntil(t, waitFor, "every join and the sales call's answer are committed", func() (bool, string) {
		recs := callRecords(boss, start)
		connected := slices.ContainsFunc(recs, func(r queue.CallRecord) bool {
			return string(r.Caller) == sales.ID() && r.Outcome == queue.OutcomeConnected
		})
		return len(recs) == crashCallers+1 && connected, fmt.Sprintf("%d call records, sales call connected: %v", len(recs), connected)
	})
	var ringing []string
	pollUntil(t, waitFor, "bob's phone rings in Asterisk", func() (bool, string) {
		ringing = slices.DeleteFunc(agentLegs(fake), func(id string) bool { return id == carolLeg })
		return len(ringing) > 0, fmt.Sprint(fake.ChannelIDs())
	})
	first.kill()

	// What the dead process left on disk: every caller with its place and
	// join time, and both agents' sessions.
	st := MustLoadState(t, dbPath)
	if got, want := waitingIDs(st.Callers), callerIDs(before); !slices.Equal(got, want) {
		t.Fatalf("state after the kill: callers=%v, want %v", got, want)
	}
	for i, c := range st.Callers {
		if c.Position != before[i].Position || !c.JoinedAt.Equal(before[i].JoinedAt) {
			t.Errorf("state after the kill: %s at %d joined %v, want %d joined %v", c.ID, c.Position, c.JoinedAt, before[i].Position, before[i].JoinedAt)
		}
	}
	sessions := map[queue.AgentID]store.AgentSession{}
	for _, s := range st.Agents {
		sessions[s.ID] = s
	}
	if s := sessions["alice"]; !s.Paused || s.Reason != pauseReason {
		t.Errorf("state after the kill: alice %+v, want paused for %q", s, pauseReason)
	}
	if s := sessions["bob"]; s.State == "" || s.Paused {
		t.Errorf("state after the kill: bob %+v, want logged in, not paused", s)
	}
	if len(st.Calls) != 1 || string(st.Calls[0].Caller) != sales.ID() || st.Calls[0].Agent != "carol" || st.Calls[0].Queue != salesQueue {
		t.Errorf("state after the kill: calls %+v, want carol on %s's sales call", st.Calls, sales.ID())
	}

	gone := map[queue.CallerID]bool{}
	for _, pos := range hangUpWhileDown {
		calls[pos-1].Hangup()
		gone[queue.CallerID(calls[pos-1].ID())] = true
	}
	var want []queue.CallerView
	for _, c := range before {
		if !gone[c.ID] {
			want = append(want, c)
		}
	}

	second := MustStartServe(t, bin, fake, dbPath)
	boss = MustConsoleLogin(t, second.url, "boss", crashPassword)
	// The phone the dead process left ringing is hung up, not left to ring
	// out its timeout for a call nobody would be on.
	for _, leg := range ringing {
		pollUntil(t, waitFor, "the ringing leg of the dead process is hung up", func() (bool, string) {
			return slices.Contains(requestsOf(fake, http.MethodDelete, "/ari/channels/"+leg), leg), fmt.Sprint(ringing)
		})
	}
	var after []queue.CallerView
	pollUntil(t, waitFor, "the callers are resumed", func() (bool, string) {
		after = queueCallers(boss)
		return len(after) > 0, "no caller in the queue"
	})
	if got, wantIDs := callerIDs(after), callerIDs(want); !slices.Equal(got, wantIDs) {
		t.Fatalf("queue after the restart=%v, want %v (the same order, without those who hung up)", got, wantIDs)
	}
	for i, c := range after {
		if c.Position != i+1 {
			t.Errorf("caller %s at position %d after the restart, want %d", c.ID, c.Position, i+1)
		}
		if !c.JoinedAt.Equal(want[i].JoinedAt) {
			t.Errorf("caller %s joined %v after the restart, want %v (its original join time)", c.ID, c.JoinedAt, want[i].JoinedAt)
		}
		if c.Number != want[i].Number || c.Name != want[i].Name {
			t.Errorf("caller %s is %q <%s> after the restart, want %q <%s>", c.ID, c.Name, c.Number, want[i].Name, want[i].Number)
		}
	}
	if len(hangUpWhileDown) == 0 {
		for i, c := range after {
			if c.Position != before[i].Position {
				t.Errorf("caller %s at position %d after the restart, want %d as before", c.ID, c.Position, before[i].Position)
			}
		}
	}
	agents := agentViews(boss)
	if a := agents["alice"]; a.State != queue.AgentPaused || a.Reason != pauseReason {
		t.Errorf("alice after the restart: %s (%q), want paused (%q)", a.State, a.Reason, pauseReason)
	}
	if b := agents["bob"]; b.State != queue.AgentAvailable && b.State != queue.AgentRinging {
		t.Errorf("bob after the restart: %s, want still logged in and not paused", b.State)
	}
	// The sales call goes on across the restart, carol on it, until the
	// caller hangs up: then it ends as any call does.
	if c := agents["carol"]; c.State != queue.AgentOnCall || string(c.Caller) != sales.ID() {
		t.Errorf("carol after the restart: %s with %q, want on-call with %s", c.State, c.Caller, sales.ID())
	}
	select {
	case <-sales.Done():
		t.Fatalf("the sales call ended at the restart: %+v", sales.Result())
	default:
	}
	salesHangup := time.Now()
	sales.Hangup()
	pollUntil(t, waitFor, "carol wraps up after the sales call and is available again", func() (bool, string) {
		states := agentStates(boss)
		return states["carol"] == queue.AgentAvailable, fmt.Sprint(states)
	})
	pollUntil(t, waitFor, "carol's leg is hung up", func() (bool, string) {
		return slices.Contains(requestsOf(fake, http.MethodDelete, "/ari/channels/"+carolLeg), carolLeg), fmt.Sprint(fake.ChannelIDs())
	})
	pollUntil(t, waitFor, "callers who hung up while stasisq was down are closed as lost", func() (bool, string) {
		var open []string
		for _, r := range callRecords(boss, start) {
			if gone[r.Caller] && r.Outcome != string(queue.LeftLost) {
				open = append(open, string(r.Caller)+"="+r.Outcome)
			}
		}
		return len(open) == 0, fmt.Sprint(open)
	})

	// Now the phones answer and alice comes back from lunch: every caller
	// still there is put through and hangs up once bridged. Bob gives up on
	// the call ringing him unanswered (no answer), so the next one he gets
	// is answered.
	unanswered := agentLegs(fake)
	for _, phone := range []string{alicePhone, bobPhone} {
		fake.SetDevice(phone, aritest.DeviceBehavior{Action: aritest.Answer})
	}
	for _, leg := range unanswered {
		fake.HangupChannel(leg)
	}
	MustConsoleLogin(t, second.url, "alice", crashPassword).mustPost("/api/me/ready", nil)
	// In any order: a caller in its retry pause may be overtaken.
	waiting := map[string]*aritest.Call{}
	for _, c := range calls {
		if !gone[queue.CallerID(c.ID())] {
			waiting[c.ID()] = c
		}
	}
	deadline := time.Now().Add(2 * waitFor)
	for len(waiting) > 0 {
		for id, c := range waiting {
			select {
			case <-c.Bridged():
				c.Hangup()
				delete(waiting, id)
			case <-c.Done():
				t.Fatalf("caller %s left without being answered: %+v", id, c.Result())
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("callers never answered: %v; queue now %v, agents %v", slices.Sorted(maps.Keys(waiting)), callerIDs(queueCallers(boss)), agentStates(boss))
		}
		time.Sleep(10 * time.Millisecond)
	}
	pollUntil(t, waitFor, "the agents are free again", func() (bool, string) {
		states := agentStates(boss)
		return states["alice"] == queue.AgentAvailable && states["bob"] == queue.AgentAvailable, fmt.Sprint(states)
	})
	second.interrupt()

	// Totals, read from the store once the process has exited cleanly.
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatalf("open the store after the run: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	from, to := start.Add(-time.Hour), time.Now().Add(time.Hour)
	recs, err := db.Calls(ctx, queue.CallQuery{From: from, To: to, Limit: 1000})
	if err != nil {
		t.Fatalf("calls: %v", err)
	}
	joined := map[queue.CallerID]time.Time{}
	for _, c := range before {
		joined[c.ID] = c.JoinedAt
	}
	byCaller := map[queue.CallerID]queue.CallRecord{}
	perAgent := map[queue.AgentID]int{}
	answered, lost := 0, 0
	var salesRec *queue.CallRecord
	for _, r := range recs {
		if r.Queue == salesQueue {
			if salesRec != nil {
				t.Errorf("more than one sales call record: %+v and %+v", *salesRec, r)
			}
			salesRec = &r
			continue
		}
		if _, dup := byCaller[r.Caller]; dup {
			t.Errorf("caller %s has more than one call record", r.Caller)
		}
		byCaller[r.Caller] = r
		if !r.JoinedAt.Equal(joined[r.Caller]) {
			t.Errorf("record of %s: joined %v, want %v", r.Caller, r.JoinedAt, joined[r.Caller])
		}
		if !r.Resumed {
			t.Errorf("record of %s is not marked as carried across the restart", r.Caller)
		}
		switch {
		case gone[r.Caller]:
			lost++
			if r.Outcome != string(queue.LeftLost) || r.Open() {
				t.Errorf("record of %s (hung up while down): outcome %q, open %v; want lost and closed", r.Caller, r.Outcome, r.Open())
			}
		default:
			answered++
			perAgent[r.Agent]++
			if r.Outcome != queue.OutcomeCompleted || r.Open() || r.Agent == "" || r.CompletedBy != queue.PartyCaller {
				t.Errorf("record of %s: outcome %q with %q ended by %q, open %v; want completed with an agent, ended by the caller, closed", r.Caller, r.Outcome, r.Agent, r.CompletedBy, r.Open())
			}
		}
	}
	if len(byCaller) != crashCallers {
		t.Errorf("call records for %d callers, want %d", len(byCaller), crashCallers)
	}
	if want := crashCallers - len(hangUpWhileDown); answered != want {
		t.Errorf("%d answered records, want %d", answered, want)
	}
	ivs, err := db.QueueStats(ctx, crashQueue, from, to)
	if err != nil {
		t.Fatalf("queue stats: %v", err)
	}
	total := sumQueue(ivs)
	if total.Offered != len(byCaller) || total.Answered != answered || total.Abandoned != lost {
		t.Errorf("queue totals: offered %d, answered %d, abandoned %d; call records: %d, %d answered, %d lost",
			total.Offered, total.Answered, total.Abandoned, len(byCaller), answered, lost)
	}
	if other := total.TimedOut + total.Exited; other != 0 {
		t.Errorf("queue totals: %d timed out or exited, want 0", other)
	}
	for _, agent := range []queue.AgentID{"alice", "bob"} {
		ivs, err := db.AgentStats(ctx, agent, from, to)
		if err != nil {
			t.Fatalf("agent stats %s: %v", agent, err)
		}
		n := 0
		for _, iv := range ivs {
			n += iv.Calls
		}
		if n != perAgent[agent] {
			t.Errorf("agent %s: %d calls in the statistics, %d in the call records", agent, n, perAgent[agent])
		}
	}
	checkSalesCall(t, db, salesRec, sales.ID(), beforeSales, talkingSince, salesHangup, from, to)
	st, err = db.LoadState(ctx)
	if err != nil {
		t.Fatalf("load state: %v", err)
	}
	if len(st.Calls) != 0 {
		t.Errorf("calls left in the resume state after every call ended: %+v", st.Calls)
	}
	if len(st.Callers) != 0 {
		t.Errorf("callers left in the resume state after everyone was answered: %v", waitingIDs(st.Callers))
	}
	final := map[queue.AgentID]queue.AgentState{}
	for _, s := range st.Agents {
		final[s.ID] = s.State
	}
	if final["alice"] != queue.AgentAvailable || final["bob"] != queue.AgentAvailable || final["carol"] != queue.AgentAvailable {
		t.Errorf("agent sessions at exit=%v, want all three available", final)
	}
}

// checkSalesCall checks the record and totals of the call connected across
// the kill: closed, ended by the caller, with its talk counted from the
// first run's answer to the hang-up, and the same talk in the queue's and
// carol's statistics.
func checkSalesCall(t *testing.T, db *store.DB, rec *queue.CallRecord, caller string, beforeCall, talkingSince, hangup, from, to time.Time) {
	t.Helper()
	if rec == nil {
		t.Fatalf("no call record for the sales call %s", caller)
	}
	if rec.Caller != queue.CallerID(caller) || rec.Outcome != queue.OutcomeCompleted || rec.Open() || rec.Agent != "carol" || rec.CompletedBy != queue.PartyCaller {
		t.Errorf("sales record: %+v; want %s completed with carol, ended by the caller, closed", *rec, caller)
	}
	if got, want := rec.Talk, rec.EndedAt.Sub(rec.AnsweredAt); got != want {
		t.Errorf("sales record: talk %v, want %v (answered %v, ended %v)", got, want, rec.AnsweredAt, rec.EndedAt)
	}
	// The answer came between the call and the test seeing it bridged, the
	// end after the hang-up: the talk spans the whole restart.
	if minTalk, maxTalk := hangup.Sub(talkingSince), time.Since(beforeCall); rec.Talk < minTalk || rec.Talk > maxTalk {
		t.Errorf("sales record: talk %v, want between %v and %v", rec.Talk, minTalk, maxTalk)
	}
	ctx := context.Background()
	ivs, err := db.QueueStats(ctx, salesQueue, from, to)
	if err != nil {
		t.Fatalf("sales queue stats: %v", err)
	}
	var answered int
	var talk, wrap time.Duration
	for _, iv := range ivs {
		answered += iv.Answered
		talk += iv.TalkSum
		wrap += iv.WrapSum
	}
	if answered != 1 || talk != rec.Talk || wrap < salesWrapUp {
		t.Errorf("sales queue totals: answered %d, talk %v, wrap-up %v; want 1, %v (the record's), at least %v", answered, talk, wrap, rec.Talk, salesWrapUp)
	}
	agentIvs, err := db.AgentStats(ctx, "carol", from, to)
	if err != nil {
		t.Fatalf("carol's stats: %v", err)
	}
	var calls int
	var agentTalk time.Duration
	for _, iv := range agentIvs {
		calls += iv.Calls
		agentTalk += iv.Talk
	}
	if calls != 1 || agentTalk != rec.Talk {
		t.Errorf("carol's totals: %d calls, talk %v; want 1, %v", calls, agentTalk, rec.Talk)
	}
}

func sumQueue(ivs []queue.QueueInterval) queue.QueueInterval {
	var t queue.QueueInterval
	for _, iv := range ivs {
		t.Offered += iv.Offered
		t.Answered += iv.Answered
		t.Abandoned += iv.Abandoned
		t.TimedOut += iv.TimedOut
		t.Exited += iv.Exited
	}
	return t
}

// MustSeedCrashDB writes the configuration a fresh install would get from the
// admin: one queue, two agents with phones, a supervisor.
func MustSeedCrashDB(tb testing.TB, path string) {
	tb.Helper()
	db, err := store.Open(path, store.Options{BcryptCost: 4})
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	ctx := context.Background()
	q := queue.DefaultQueueConfig(crashQueue)
	// A ring timeout far longer than the restart takes: the phone the dead
	// process left ringing still rings when the new one reconciles.
	q.Timeout = 60 * time.Second
	q.Retry = 100 * time.Millisecond
	q.AnnouncePosition = "no"
	q.MinAnnounceFrequency = 0
	if err := db.PutQueue(ctx, q); err != nil {
		tb.Fatalf("put queue: %v", err)
	}
	sales := queue.DefaultQueueConfig(salesQueue)
	sales.AnnouncePosition = "no"
	sales.WrapUpTime = salesWrapUp
	if err := db.PutQueue(ctx, sales); err != nil {
		tb.Fatalf("put queue %s: %v", salesQueue, err)
	}
	users := []store.Agent{
		{Role: queue.RoleAgent, Config: queue.AgentConfig{ID: "alice", Name: "Alice", Device: alicePhone, Queues: []queue.Membership{{Queue: crashQueue}}}},
		{Role: queue.RoleAgent, Config: queue.AgentConfig{ID: "bob", Name: "Bob", Device: bobPhone, Queues: []queue.Membership{{Queue: crashQueue}}}},
		{Role: queue.RoleAgent, Config: queue.AgentConfig{ID: "carol", Name: "Carol", Device: carolPhone, Queues: []queue.Membership{{Queue: salesQueue}}}},
		{Role: queue.RoleSupervisor, Config: queue.AgentConfig{ID: "boss", Name: "Boss"}},
	}
	for _, u := range users {
		if err := db.PutAgent(ctx, u); err != nil {
			tb.Fatalf("put %s: %v", u.Config.ID, err)
		}
		if err := db.SetPassword(ctx, u.Config.ID, crashPassword); err != nil {
			tb.Fatalf("password of %s: %v", u.Config.ID, err)
		}
	}
}

func MustLoadState(tb testing.TB, path string) store.State {
	tb.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		tb.Fatalf("open the store after the kill: %v", err)
	}
	defer db.Close()
	st, err := db.LoadState(context.Background())
	if err != nil {
		tb.Fatalf("load state: %v", err)
	}
	return st
}

// MustBuildStasisq builds this package's binary into a temporary directory
// (without -race: the child is not what is under test for races). go test
// puts its own go command first on PATH.
func MustBuildStasisq(tb testing.TB) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(tb.TempDir(), "stasisq")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// pollUntil retries cond until it holds or timeout passes; cond returns
// what it saw, for the failure message.
func pollUntil(tb testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("gave up after %v waiting for: %s; last saw %s", timeout, what, saw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serveProcess is one "stasisq serve" subprocess.
type serveProcess struct {
	tb     testing.TB
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
	err    error // of Wait, once exited is closed

	mu  sync.Mutex
	out bytes.Buffer
}

// MustStartServe starts the binary on the fake and the database and waits
// until its web server listens.
func MustStartServe(tb testing.TB, bin string, fake *aritest.Server, dbPath string) *serveProcess {
	tb.Helper()
	return MustStartServeAt(tb, bin, fake.URL(), testUser, testPassword, dbPath)
}

// MustStartServeAt is MustStartServe against any ARI (a real Asterisk).
func MustStartServeAt(tb testing.TB, bin, ariURL, ariUser, ariPassword, dbPath string) *serveProcess {
	tb.Helper()
	cmd := exec.Command(bin, "serve",
		"--ari-url", ariURL, "--ari-user", ariUser, "--ari-password", ariPassword,
		"--app", testApp, "--listen", "127.0.0.1:0", "--db", dbPath, "--log-level", "debug")
	// Flags only: a STASISQ_* variable of the developer's must not change the run.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STASISQ_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatalf("stderr pipe: %v", err)
	}
	p := &serveProcess{tb: tb, cmd: cmd, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", bin, err)
	}
	listening := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.out.WriteString(line + "\n")
			p.mu.Unlock()
			if rest, ok := strings.CutPrefix(line, "stasisq listening on "); ok {
				u, _, _ := strings.Cut(rest, " ")
				select {
				case listening <- u:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() {
		<-copied // Wait closes the pipe: read everything first
		p.err = cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if tb.Failed() {
			tb.Logf("stasisq (pid %d) output:\n%s", cmd.Process.Pid, p.output())
		}
	})
	select {
	case p.url = <-listening:
	case <-p.exited:
		tb.Fatalf("stasisq exited at start: %v\n%s", p.err, p.output())
	case <-time.After(waitFor):
		tb.Fatalf("stasisq never said where it listens\n%s", p.output())
	}
	return p
}

func (p *serveProcess) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// kill is a crash: SIGKILL, nothing flushed, nothing closed.
func (p *serveProcess) kill() {
	p.tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.tb.Fatalf("kill -9: %v", err)
	}
	p.waitExit()
}

// interrupt is an orderly stop (Ctrl-C); it must exit 0.
func (p *serveProcess) interrupt() {
	p.tb.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		p.tb.Fatalf("interrupt: %v", err)
	}
	p.waitExit()
	if p.err != nil {
		p.tb.Fatalf("stasisq after SIGINT: %v, want a clean exit\n%s", p.err, p.output())
	}
}

func (p *serveProcess) waitExit() {
	p.tb.Helper()
	select {
	case <-p.exited:
	case <-time.After(waitFor):
		p.tb.Fatalf("stasisq did not exit\n%s", p.output())
	}
}

func queueCallers(c *consoleClient) []queue.CallerView {
	c.tb.Helper()
	var q queue.QueueView
	c.mustGet("/api/queues/"+crashQueue, &q)
	return q.Callers
}

func agentViews(c *consoleClient) map[string]queue.AgentView {
	c.tb.Helper()
	var list []queue.AgentView
	c.mustGet("/api/agents", &list)
	out := map[string]queue.AgentView{}
	for _, a := range list {
		out[a.Config.ID] = a
	}
	return out
}

func agentStates(c *consoleClient) map[string]queue.AgentState {
	c.tb.Helper()
	out := map[string]queue.AgentState{}
	for id, a := range agentViews(c) {
		out[id] = a.State
	}
	return out
}

func callRecords(c *consoleClient, since time.Time) []queue.CallRecord {
	c.tb.Helper()
	q := url.Values{}
	q.Set("from", since.Add(-time.Hour).UTC().Format(time.RFC3339))
	q.Set("to", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	q.Set("limit", "1000")
	var recs []queue.CallRecord
	c.mustGet("/api/calls?"+q.Encode(), &recs)
	return recs
}

func callerIDs(cs []queue.CallerView) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c.ID))
	}
	return out
}

func callIDs(calls []*aritest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.ID())
	}
	return out
}

// agentLegs lists the channels in Asterisk that stasisq originated to agents.
func agentLegs(fake *aritest.Server) []string {
	var out []string
	for _, id := range fake.ChannelIDs() {
		if callflow.IsAgentLeg(id) {
			out = append(out, id)
		}
	}
	return out
}

// requestsOf lists the resource ids of the requests made with method on
// paths under prefix.
func requestsOf(fake *aritest.Server, method, prefix string) []string {
	var out []string
	for _, r := range fake.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			out = append(out, path.Base(r.Path))
		}
	}
	return out
}

func waitingIDs(cs []store.WaitingCaller) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c.ID))
	}
	return out
}

// A restart hangs up the agent legs an earlier run left ringing (they are
// not in the application, so nothing else would), and a reconnect within
// one run leaves its own ringing legs alone.
func TestReconcileHangsUpPreviousRunsRingingLegs(t *testing.T) {
	e := MustStartEnv(t)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.NoAnswer})
	e.fake.SetDevice("PJSIP/1002", aritest.DeviceBehavior{Action: aritest.NoAnswer})
	e.MustQueue("support", func(q *queue.QueueConfig) { q.Timeout = 60 * time.Second })
	e.MustAgent("alice", "PJSIP/1001", "support")

	// As a run tagged "oldrun" would have dialled bob before it died.
	const stale = "sqa-oldrun-0000000007-1"
	mustOriginateStale(e, stale)
	if err := e.main.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	e.MustRunMain()
	e.waitUntil("the stale leg is hung up", func() bool {
		return e.countRequests("DELETE", "/ari/channels/"+stale) == 1 && !slices.Contains(e.fake.ChannelIDs(), stale)
	})

	call := e.MustCall("support")
	e.waitAgent("alice", queue.AgentRinging)
	own := agentLegOf(e, "alice")
	e.waitUntil("alice's phone rings", func() bool { return slices.Contains(e.fake.ChannelIDs(), own) })
	// A second stale leg tells when the reconcile after the reconnect has
	// run: its hang-up is submitted in the same pass as any of ours would be.
	const marker = "sqa-oldrun-0000000008-1"
	mustOriginateStale(e, marker)
	e.fake.DropWebsockets()
	e.waitUntil("stasisq reconnects and reconciles", func() bool {
		return e.countRequests("DELETE", "/ari/channels/"+marker) == 1 && e.main.App.Idle()
	})
	if n := e.countRequests("DELETE", "/ari/channels/"+own); n != 0 {
		t.Errorf("this run's ringing leg was hung up %d times by the reconcile, want 0", n)
	}
	if got := e.agentState("alice"); got != queue.AgentRinging {
		t.Errorf("alice after the reconnect: %s, want still ringing", got)
	}
	call.Hangup()
	e.waitDone(call)
	e.waitClean()
}

// mustOriginateStale dials bob's phone with an agent leg id of another run.
func mustOriginateStale(e *testEnv, id string) {
	e.tb.Helper()
	offer := mustOfferOfLeg(e.tb, id)
	_, other := callflow.AgentLegIDs(offer)
	if _, err := e.main.ARI.Originate(e.ctx(), ari.OriginateRequest{
		ChannelID: id, OtherChannelID: other, Endpoint: "PJSIP/1002",
		App: testApp, AppArgs: []string{callflow.AgentArg, string(offer)}, Timeout: 60,
	}); err != nil {
		e.tb.Fatalf("originate %s: %v", id, err)
	}
}
