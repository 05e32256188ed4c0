package store

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

// TestEngineEventsThroughTheStore feeds what the real engine emits (ringall
// with two agents, one call answered and completed, one abandoned while
// ringing) into the store, the way the call flow will: every Apply's events
// in one Record.
func TestEngineEventsThroughTheStore(t *testing.T) {
	var qlog bytes.Buffer
	opts := testOptions()
	opts.QueueLog = &qlog
	db := MustOpen(t, opts)
	ctx := context.Background()
	eng := queue.NewEngine(queue.Options{Location: time.UTC, OfferPrefix: "t-"})
	now := t0
	apply := func(in queue.Input) []queue.Effect {
		t.Helper()
		ready, err := eng.Apply(now, in)
		if err != nil {
			t.Fatalf("Apply(%T): %v", in, err)
		}
		effects := ready.Effects()
		var events []queue.Event
		for _, ef := range effects {
			if ev, ok := ef.(queue.Event); ok {
				events = append(events, ev)
			}
		}
		db.Record(events...)
		return effects
	}
	offers := func(effects []queue.Effect) []queue.OfferID {
		var out []queue.OfferID
		for _, ef := range effects {
			if r, ok := ef.(queue.RingAgent); ok {
				out = append(out, r.Offer)
			}
		}
		return out
	}

	cfg := queue.DefaultQueueConfig("support")
	cfg.WrapUpTime = 0
	apply(queue.ConfigureQueue{Config: cfg})
	for _, id := range []string{"alice", "bob"} {
		ac := queue.AgentConfig{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Device: "PJSIP/" + id, Queues: []queue.Membership{{Queue: "support"}}}
		if err := db.PutAgent(ctx, Agent{Config: ac}); err != nil {
			t.Fatal(err)
		}
		apply(queue.ConfigureAgent{Config: ac})
		apply(queue.AgentLogin{Agent: queue.AgentID(id)})
		apply(queue.AgentDeviceState{Agent: queue.AgentID(id), State: queue.DeviceNotInUse})
	}

	ringing := offers(apply(queue.CallerJoin{Caller: "c1", Queue: "support", Number: "1001", JoinedAt: now}))
	if len(ringing) != 2 {
		t.Fatalf("ringall rang %d agents, want 2", len(ringing))
	}
	now = now.Add(4 * time.Second)
	apply(queue.OfferAnswered{Offer: ringing[0]})
	now = now.Add(60 * time.Second)
	apply(queue.CallEnded{Caller: "c1", By: queue.PartyCaller})
	now = now.Add(time.Second)
	apply(queue.Tick{})

	ringing = offers(apply(queue.CallerJoin{Caller: "c2", Queue: "support", Number: "1002", JoinedAt: now}))
	now = now.Add(3 * time.Second)
	apply(queue.CallerHangup{Caller: "c2"})
	MustFlush(t, db)

	c1, err := db.Call(ctx, "c1")
	if err != nil {
		t.Fatalf("Call(c1): %v", err)
	}
	if c1.Outcome != queue.OutcomeCompleted || c1.Agent == "" || c1.Offers != 2 || c1.Wait != 4*time.Second || c1.Talk != 60*time.Second || c1.CompletedBy != queue.PartyCaller {
		t.Errorf("c1: got=%+v, want completed by the caller after 4s wait and 60s talk, 2 offers", c1)
	}
	c2, err := db.Call(ctx, "c2")
	if err != nil {
		t.Fatalf("Call(c2): %v", err)
	}
	if c2.Outcome != string(queue.LeftAbandoned) || c2.Wait != 3*time.Second || len(ringing) == 0 || c2.Offers != len(ringing) {
		t.Errorf("c2: got=%+v, want abandoned after 3s, %d offers", c2, len(ringing))
	}
	st, err := db.LoadState(ctx)
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	if len(st.Callers) != 0 || len(st.Agents) != 2 {
		t.Errorf("state: got=%+v, want no callers and both agents logged in", st)
	}

	// Lines per event kind; the exact bytes are TestQueueLogLines' business.
	count := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(qlog.String()), "\n") {
		f := strings.Split(l, "|")
		if len(f) < 5 {
			t.Fatalf("queue_log line %q has fewer than 5 fields", l)
		}
		count[f[4]]++
	}
	want := map[string]int{"AGENTLOGIN": 2, "ENTERQUEUE": 2, "CONNECT": 1, "COMPLETECALLER": 1, "RINGCANCELED": len(ringing), "ABANDON": 1}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("queue_log %s lines: got=%d, want %d (all: %v)\n%s", k, count[k], v, count, qlog.String())
		}
	}

	// A pause in one queue (autopause=yes) is kept with the session for a
	// restart, and its end too.
	sessionOf := func(id queue.AgentID) AgentSession {
		t.Helper()
		MustFlush(t, db)
		st, err := db.LoadState(ctx)
		if err != nil {
			t.Fatalf("LoadState: %v", err)
		}
		for _, s := range st.Agents {
			if s.ID == id {
				return s
			}
		}
		t.Fatalf("no session for %s in %+v", id, st.Agents)
		return AgentSession{}
	}
	apply(queue.MemberPause{Agent: "alice", Queue: "support", Paused: true, Reason: "autopause"})
	if s := sessionOf("alice"); len(s.PausedIn) != 1 || s.PausedIn[0] != "support" || s.State != queue.AgentAvailable {
		t.Errorf("after a pause in support: session %+v, want available, paused in support", s)
	}
	apply(queue.AgentUnpause{Agent: "alice"})
	if s := sessionOf("alice"); len(s.PausedIn) != 0 {
		t.Errorf("after unpause: session %+v, want paused nowhere", s)
	}
	if !strings.Contains(qlog.String(), "|support|Alice|PAUSE|autopause") || !strings.Contains(qlog.String(), "|support|Alice|UNPAUSE|") {
		t.Errorf("queue_log lacks the PAUSE and UNPAUSE in support:\n%s", qlog.String())
	}
}

// The browser phones' secret is made once and kept: every later call and
// every later run gets the same 32 bytes.
func TestPhoneSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stasisq.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	first, err := db.PhoneSecret(context.Background())
	if err != nil || len(first) != 32 {
		t.Fatalf("got %d bytes, %v; want 32", len(first), err)
	}
	again, err := db.PhoneSecret(context.Background())
	if err != nil || !bytes.Equal(again, first) {
		t.Fatalf("the second call gave another secret (%v)", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reopened, err := db.PhoneSecret(context.Background())
	if err != nil || !bytes.Equal(reopened, first) {
		t.Fatalf("after a restart the secret changed (%v): every browser phone's password would", err)
	}
}
