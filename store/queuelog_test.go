package store

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

func TestQueueLogWrittenByTheWriter(t *testing.T) {
	var out bytes.Buffer
	opts := testOptions()
	opts.QueueLog = &out
	db := MustOpen(t, opts)
	ctx := context.Background()
	err := db.PutAgent(ctx, Agent{Config: queue.AgentConfig{ID: "alice", Name: "Alice Smith", Device: "PJSIP/1001",
		Queues: []queue.Membership{{Queue: "support"}}}})
	if err != nil {
		t.Fatalf("PutAgent: %v", err)
	}
	// bob has no record: he logs under his id.
	db.Record(queue.AgentStateChanged{At: t0, Agent: "alice", State: queue.AgentAvailable, Prev: queue.AgentLoggedOut})
	c := callScript{caller: "1741597200.1", queue: "support", number: "1001", joined: t0, pos: 1}
	db.Record(c.join()...)
	db.Record(c.ring("o1", "bob", 2*time.Second)...)
	db.Record(queue.OfferEnded{At: at(17 * time.Second), Offer: "o1", Caller: c.caller, Agent: "bob", Queue: "support", Result: "noanswer", RingTime: 15 * time.Second})
	db.Record(c.ring("o2", "alice", 20*time.Second)...)
	db.Record(c.answer("o2", "alice", 20*time.Second, 25*time.Second)...)
	db.Record(c.complete("alice", queue.PartyAgent, 25*time.Second, 90*time.Second)...)
	d := callScript{caller: "1741597260.7", queue: "support", number: "1002", joined: at(time.Minute), pos: 1}
	db.Record(d.join()...)
	db.Record(d.ring("o3", "alice", 130*time.Second)...)
	db.Record(queue.OfferEnded{At: at(time.Minute + 134*time.Second), Offer: "o3", Caller: d.caller, Agent: "alice", Queue: "support", Result: "canceled", RingTime: 4 * time.Second})
	db.Record(d.leave(queue.LeftAbandoned, 1, 134*time.Second, "")...)
	db.Record(queue.AgentStateChanged{At: at(time.Hour), Agent: "alice", State: queue.AgentLoggedOut, Prev: queue.AgentAvailable})
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	want := "" +
		"1741597200|NONE|NONE|Alice Smith|AGENTLOGIN|PJSIP/1001\n" +
		"1741597200|1741597200.1|support|NONE|ENTERQUEUE||1001|1\n" +
		"1741597217|1741597200.1|support|bob|RINGNOANSWER|15000\n" +
		"1741597225|1741597200.1|support|Alice Smith|CONNECT|25|o2|5\n" +
		"1741597315|1741597200.1|support|Alice Smith|COMPLETEAGENT|25|90|1\n" +
		"1741597260|1741597260.7|support|NONE|ENTERQUEUE||1002|1\n" +
		"1741597394|1741597260.7|support|Alice Smith|RINGCANCELED|4000\n" +
		"1741597394|1741597260.7|support|NONE|ABANDON|1|1|134\n" +
		"1741600800|NONE|NONE|Alice Smith|AGENTLOGOFF|PJSIP/1001|3600\n"
	if out.String() != want {
		t.Errorf("queue_log:\ngot:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestQueueLogOfAMoveUsesCommittedPositions(t *testing.T) {
	var out bytes.Buffer
	opts := testOptions()
	opts.QueueLog = &out
	db := MustOpen(t, opts)
	a := callScript{caller: "a", queue: "support", number: "1", joined: t0, pos: 1}
	b := callScript{caller: "b", queue: "support", number: "2", joined: at(time.Second), pos: 2}
	c := callScript{caller: "c", queue: "sales", number: "3", joined: at(2 * time.Second), pos: 1}
	db.Record(append(a.join(), queue.QueueOrderChanged{At: t0, Queue: "support", Callers: []queue.CallerID{"a"}})...)
	db.Record(append(b.join(), queue.QueueOrderChanged{At: b.joined, Queue: "support", Callers: []queue.CallerID{"a", "b"}})...)
	MustFlush(t, db) // a and b from the bucket, c from the batch in progress
	db.Record(append(c.join(), queue.QueueOrderChanged{At: c.joined, Queue: "sales", Callers: []queue.CallerID{"c"}})...)
	db.Record(queue.CallerMoved{At: at(31 * time.Second), Caller: "b", From: "support", To: "sales"},
		queue.QueueOrderChanged{At: at(31 * time.Second), Queue: "support", Callers: []queue.CallerID{"a"}},
		queue.QueueOrderChanged{At: at(31 * time.Second), Queue: "sales", Callers: []queue.CallerID{"c", "b"}})
	MustFlush(t, db)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"1741597231|b|support|NONE|ABANDON|2|2|30",
		"1741597231|b|sales|NONE|ENTERQUEUE||2|2",
	}
	if len(lines) < 2 || strings.Join(lines[len(lines)-2:], "\n") != strings.Join(want, "\n") {
		t.Errorf("queue_log of the move:\ngot=%q\nwant last lines %q", lines, want)
	}
}
