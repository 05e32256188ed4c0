package store

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

// The expected lines below are written the way app_queue writes them:
// ast_queue_log prints "%ld|%s|%s|%s|%s|" (time, callid, queue, agent,
// event) and then the event's own format from app_queue.c:
//
//	ENTERQUEUE       "%s|%s|%d"     url, caller id number, qe.opos
//	CONNECT          "%ld|%s|%ld"   holdtime, peer uniqueid, ringtime (s)
//	COMPLETECALLER   "%ld|%ld|%d"   holdtime, calltime, qe->opos (same for COMPLETEAGENT)
//	ABANDON          "%d|%d|%ld"    qe.pos, qe.opos, waittime (same for EXITWITHTIMEOUT, EXITEMPTY)
//	EXITWITHKEY      "%s|%d|%d|%ld" digits, pos, opos, waittime
//	RINGNOANSWER     "%d"           rnatime (ms)
//	PAUSEALL         "%s", ""       then per queue PAUSE "%s", reason
//	ADDMEMBER        "%s", ""       callid "MANAGER" when added by the manager
//
// t0 is 1741597200.
func TestQueueLogLinesAsAppQueueWritesThem(t *testing.T) {
	alice := QueueLogContext{MemberName: "Alice Smith", Device: "PJSIP/1001", MemberQueues: []string{"support", "sales"}}
	withCall := func(c QueueLogContext, r queue.CallRecord) QueueLogContext { c.Call = r; return c }
	rec := queue.CallRecord{Caller: "1741597200.1", Number: "1001", JoinedAt: t0, JoinPosition: 2}
	tests := []struct {
		name string
		ev   queue.Event
		c    QueueLogContext
		want []string
	}{
		{"enterqueue", queue.CallerJoined{At: t0, Caller: "1741597200.1", Queue: "support", Number: "1001", JoinedAt: t0, Position: 2}, QueueLogContext{},
			[]string{"1741597200|1741597200.1|support|NONE|ENTERQUEUE||1001|2"}},
		{"enterqueue without caller id", queue.CallerJoined{At: t0, Caller: "1741597200.1", Queue: "support", JoinedAt: t0, Position: 1}, QueueLogContext{},
			[]string{"1741597200|1741597200.1|support|NONE|ENTERQUEUE|||1"}},
		{"resumed: no second enterqueue", queue.CallerJoined{At: t0, Caller: "x", Queue: "support", JoinedAt: t0, Resumed: true}, QueueLogContext{}, nil},
		{"connect, seconds truncated", queue.CallConnected{At: at(25 * time.Second), Caller: "1741597200.1", Agent: "alice", Offer: "stasisq-0001-000042",
			Queue: "support", Wait: 25900 * time.Millisecond, RingTime: 5999 * time.Millisecond}, withCall(alice, rec),
			[]string{"1741597225|1741597200.1|support|Alice Smith|CONNECT|25|stasisq-0001-000042|5"}},
		{"completecaller", queue.CallCompleted{At: at(115 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support", By: queue.PartyCaller,
			Wait: 25 * time.Second, Talk: 90 * time.Second}, withCall(alice, rec),
			[]string{"1741597315|1741597200.1|support|Alice Smith|COMPLETECALLER|25|90|2"}},
		{"completeagent", queue.CallCompleted{At: at(115 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support", By: queue.PartyAgent,
			Wait: 25 * time.Second, Talk: 90 * time.Second}, withCall(alice, rec),
			[]string{"1741597315|1741597200.1|support|Alice Smith|COMPLETEAGENT|25|90|2"}},
		{"abandon", queue.CallerLeft{At: at(40 * time.Second), Caller: "1741597200.1", Queue: "support", Reason: queue.LeftAbandoned, Position: 1, JoinPos: 2, Wait: 40 * time.Second},
			QueueLogContext{}, []string{"1741597240|1741597200.1|support|NONE|ABANDON|1|2|40"}},
		{"hung up by a supervisor is an abandon", queue.CallerLeft{At: at(40 * time.Second), Caller: "c", Queue: "support", Reason: queue.LeftHungUp, Position: 3, JoinPos: 3, Wait: 40 * time.Second},
			QueueLogContext{}, []string{"1741597240|c|support|NONE|ABANDON|3|3|40"}},
		{"exitwithtimeout", queue.CallerLeft{At: at(60 * time.Second), Caller: "c", Queue: "support", Reason: queue.LeftTimeout, Position: 2, JoinPos: 4, Wait: 60 * time.Second},
			QueueLogContext{}, []string{"1741597260|c|support|NONE|EXITWITHTIMEOUT|2|4|60"}},
		{"exitempty", queue.CallerLeft{At: at(30 * time.Second), Caller: "c", Queue: "support", Reason: queue.LeftLeaveEmpty, Position: 1, JoinPos: 1, Wait: 30 * time.Second},
			QueueLogContext{}, []string{"1741597230|c|support|NONE|EXITEMPTY|1|1|30"}},
		{"exitwithkey", queue.CallerLeft{At: at(8 * time.Second), Caller: "c", Queue: "support", Reason: queue.LeftExitKey, Key: "5", Position: 1, JoinPos: 1, Wait: 8 * time.Second},
			QueueLogContext{}, []string{"1741597208|c|support|NONE|EXITWITHKEY|5|1|1|8"}},
		{"answered: connect says it", queue.CallerLeft{At: t0, Caller: "c", Queue: "support", Reason: queue.LeftAnswered}, QueueLogContext{}, nil},
		{"ringnoanswer in ms", queue.OfferEnded{At: at(17 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support", Result: "noanswer", RingTime: 15 * time.Second},
			withCall(alice, rec), []string{"1741597217|1741597200.1|support|Alice Smith|RINGNOANSWER|15000"}},
		{"busy is a ringnoanswer too", queue.OfferEnded{At: at(3 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support", Result: "busy", RingTime: 1200 * time.Millisecond},
			withCall(alice, rec), []string{"1741597203|1741597200.1|support|Alice Smith|RINGNOANSWER|1200"}},
		{"ringcanceled: caller went", queue.OfferEnded{At: at(9 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support", Result: "canceled", RingTime: 4 * time.Second},
			withCall(alice, rec), []string{"1741597209|1741597200.1|support|Alice Smith|RINGCANCELED|4000"}},
		{"ringall loser: nothing", queue.OfferEnded{At: at(9 * time.Second), Caller: "1741597200.1", Agent: "bob", Queue: "support", Result: "canceled"},
			withCall(alice, queue.CallRecord{Caller: "1741597200.1", Agent: "alice", AnsweredAt: at(9 * time.Second)}), nil},
		{"agentlogin", queue.AgentStateChanged{At: t0, Agent: "alice", State: queue.AgentAvailable, Prev: queue.AgentLoggedOut}, alice,
			[]string{"1741597200|NONE|NONE|Alice Smith|AGENTLOGIN|PJSIP/1001"}},
		{"pause in every queue", queue.AgentStateChanged{At: at(200 * time.Second), Agent: "alice", State: queue.AgentPaused, Reason: "lunch", Prev: queue.AgentAvailable}, alice,
			[]string{"1741597400|NONE|NONE|Alice Smith|PAUSEALL|", "1741597400|NONE|support|Alice Smith|PAUSE|lunch", "1741597400|NONE|sales|Alice Smith|PAUSE|lunch"}},
		{"unpause", queue.AgentStateChanged{At: at(300 * time.Second), Agent: "alice", State: queue.AgentAvailable, Prev: queue.AgentPaused}, alice,
			[]string{"1741597500|NONE|NONE|Alice Smith|UNPAUSEALL|", "1741597500|NONE|support|Alice Smith|UNPAUSE|", "1741597500|NONE|sales|Alice Smith|UNPAUSE|"}},
		{"ringing is not logged", queue.AgentStateChanged{At: t0, Agent: "alice", State: queue.AgentRinging, Prev: queue.AgentAvailable}, alice, nil},
		{"agentlogoff with login time", queue.AgentStateChanged{At: at(time.Hour), Agent: "alice", State: queue.AgentLoggedOut, Prev: queue.AgentAvailable},
			func() QueueLogContext { c := alice; c.LoggedInAt = t0; return c }(),
			[]string{"1741600800|NONE|NONE|Alice Smith|AGENTLOGOFF|PJSIP/1001|3600"}},
		{"addmember and removemember", queue.AgentQueuesChanged{At: t0, Agent: "alice", Added: []string{"billing"}, Removed: []string{"sales"}}, alice,
			[]string{"1741597200|MANAGER|billing|Alice Smith|ADDMEMBER|", "1741597200|MANAGER|sales|Alice Smith|REMOVEMEMBER|"}},
		{"move: abandon here, enterqueue there", queue.CallerMoved{At: at(30 * time.Second), Caller: "1741597200.1", From: "support", To: "sales"},
			QueueLogContext{Call: rec, FromPosition: 1, ToPosition: 3},
			[]string{"1741597230|1741597200.1|support|NONE|ABANDON|1|2|30", "1741597230|1741597200.1|sales|NONE|ENTERQUEUE||1001|3"}},
		{"device state is not logged", queue.AgentDeviceChanged{At: t0, Agent: "alice", State: queue.DeviceInUse}, alice, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := QueueLogLines(tc.ev, tc.c)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("lines:\ngot=%q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestQueueLogWrittenByTheWriter runs a morning through the DB and compares
// the queue_log file byte for byte.
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
