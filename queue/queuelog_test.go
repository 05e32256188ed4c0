package queue

import (
	"strings"
	"testing"
	"time"
)

// qlT0 is 1741597200, the time the expected queue_log lines start at.
var qlT0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

func qlAt(d time.Duration) time.Time { return qlT0.Add(d) }

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
// qlT0 is 1741597200.
func TestQueueLogLinesAsAppQueueWritesThem(t *testing.T) {
	alice := QueueLogContext{MemberName: "Alice Smith", Device: "PJSIP/1001", MemberQueues: []string{"support", "sales"}}
	withCall := func(c QueueLogContext, r CallRecord) QueueLogContext { c.Call = r; return c }
	rec := CallRecord{Caller: "1741597200.1", Number: "1001", JoinedAt: qlT0, JoinPosition: 2}
	tests := []struct {
		name string
		ev   Event
		c    QueueLogContext
		want []string
	}{
		{"enterqueue", CallerJoined{At: qlT0, Caller: "1741597200.1", Queue: "support", Number: "1001", JoinedAt: qlT0, Position: 2}, QueueLogContext{},
			[]string{"1741597200|1741597200.1|support|NONE|ENTERQUEUE||1001|2"}},
		{"enterqueue without caller id", CallerJoined{At: qlT0, Caller: "1741597200.1", Queue: "support", JoinedAt: qlT0, Position: 1}, QueueLogContext{},
			[]string{"1741597200|1741597200.1|support|NONE|ENTERQUEUE|||1"}},
		{"resumed: no second enterqueue", CallerJoined{At: qlT0, Caller: "x", Queue: "support", JoinedAt: qlT0, Resumed: true}, QueueLogContext{}, nil},
		{"connect, seconds truncated", CallConnected{At: qlAt(25 * time.Second), Caller: "1741597200.1", Agent: "alice", Offer: "stasisq-0001-000042",
			Queue: "support", Wait: 25900 * time.Millisecond, RingTime: 5999 * time.Millisecond}, withCall(alice, rec),
			[]string{"1741597225|1741597200.1|support|Alice Smith|CONNECT|25|stasisq-0001-000042|5"}},
		{"completecaller", CallCompleted{At: qlAt(115 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support", By: PartyCaller,
			Wait: 25 * time.Second, Talk: 90 * time.Second}, withCall(alice, rec),
			[]string{"1741597315|1741597200.1|support|Alice Smith|COMPLETECALLER|25|90|2"}},
		{"completeagent", CallCompleted{At: qlAt(115 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support", By: PartyAgent,
			Wait: 25 * time.Second, Talk: 90 * time.Second}, withCall(alice, rec),
			[]string{"1741597315|1741597200.1|support|Alice Smith|COMPLETEAGENT|25|90|2"}},
		{"abandon", CallerLeft{At: qlAt(40 * time.Second), Caller: "1741597200.1", Queue: "support", Reason: LeftAbandoned, Position: 1, JoinPos: 2, Wait: 40 * time.Second},
			QueueLogContext{}, []string{"1741597240|1741597200.1|support|NONE|ABANDON|1|2|40"}},
		{"hung up by a supervisor is an abandon", CallerLeft{At: qlAt(40 * time.Second), Caller: "c", Queue: "support", Reason: LeftHungUp, Position: 3, JoinPos: 3, Wait: 40 * time.Second},
			QueueLogContext{}, []string{"1741597240|c|support|NONE|ABANDON|3|3|40"}},
		{"callback requested", CallbackRequested{At: qlAt(30 * time.Second), Caller: "c", Queue: "support", Number: "5550100", Position: 2},
			QueueLogContext{}, []string{"1741597230|c|support|NONE|CALLBACKREQUEST|5550100|2"}},
		{"callback try, agent first", CallbackAttempt{At: qlAt(90 * time.Second), Caller: "c", Queue: "support", Number: "5550100", Attempt: 1, Agent: "alice"},
			alice, []string{"1741597290|c|support|Alice Smith|CALLBACKATTEMPT|5550100|1"}},
		{"callback try, customer first", CallbackAttempt{At: qlAt(90 * time.Second), Caller: "c", Queue: "support", Number: "5550100", Attempt: 2},
			QueueLogContext{}, []string{"1741597290|c|support|NONE|CALLBACKATTEMPT|5550100|2"}},
		{"callback try failed", CallbackAttemptEnded{At: qlAt(95 * time.Second), Caller: "c", Queue: "support", Attempt: 1, Result: "busy"},
			QueueLogContext{}, []string{"1741597295|c|support|NONE|CALLBACKFAILED|busy|1"}},
		{"callback answered: CONNECT follows", CallbackAttemptEnded{At: qlAt(95 * time.Second), Caller: "c", Queue: "support", Attempt: 1, Result: "answered"},
			QueueLogContext{}, nil},
		{"callback given up is an abandon", CallerLeft{At: qlAt(300 * time.Second), Caller: "c", Queue: "support", Reason: LeftCallbackFailed, Position: 1, JoinPos: 2, Wait: 300 * time.Second},
			QueueLogContext{}, []string{"1741597500|c|support|NONE|ABANDON|1|2|300"}},
		{"exitwithtimeout", CallerLeft{At: qlAt(60 * time.Second), Caller: "c", Queue: "support", Reason: LeftTimeout, Position: 2, JoinPos: 4, Wait: 60 * time.Second},
			QueueLogContext{}, []string{"1741597260|c|support|NONE|EXITWITHTIMEOUT|2|4|60"}},
		{"exitempty", CallerLeft{At: qlAt(30 * time.Second), Caller: "c", Queue: "support", Reason: LeftLeaveEmpty, Position: 1, JoinPos: 1, Wait: 30 * time.Second},
			QueueLogContext{}, []string{"1741597230|c|support|NONE|EXITEMPTY|1|1|30"}},
		{"exitwithkey", CallerLeft{At: qlAt(8 * time.Second), Caller: "c", Queue: "support", Reason: LeftExitKey, Key: "5", Position: 1, JoinPos: 1, Wait: 8 * time.Second},
			QueueLogContext{}, []string{"1741597208|c|support|NONE|EXITWITHKEY|5|1|1|8"}},
		{"answered: connect says it", CallerLeft{At: qlT0, Caller: "c", Queue: "support", Reason: LeftAnswered}, QueueLogContext{}, nil},
		{"ringnoanswer in ms", OfferEnded{At: qlAt(17 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support", Result: "noanswer", RingTime: 15 * time.Second},
			withCall(alice, rec), []string{"1741597217|1741597200.1|support|Alice Smith|RINGNOANSWER|15000"}},
		{"busy is a ringnoanswer too", OfferEnded{At: qlAt(3 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support", Result: "busy", RingTime: 1200 * time.Millisecond},
			withCall(alice, rec), []string{"1741597203|1741597200.1|support|Alice Smith|RINGNOANSWER|1200"}},
		{"ringcanceled: caller went", OfferEnded{At: qlAt(9 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support", Result: "canceled", RingTime: 4 * time.Second},
			withCall(alice, rec), []string{"1741597209|1741597200.1|support|Alice Smith|RINGCANCELED|4000"}},
		{"ringall loser: nothing", OfferEnded{At: qlAt(9 * time.Second), Caller: "1741597200.1", Agent: "bob", Queue: "support", Result: "canceled"},
			withCall(alice, CallRecord{Caller: "1741597200.1", Agent: "alice", AnsweredAt: qlAt(9 * time.Second)}), nil},
		{"agentlogin", AgentStateChanged{At: qlT0, Agent: "alice", State: AgentAvailable, Prev: AgentLoggedOut}, alice,
			[]string{"1741597200|NONE|NONE|Alice Smith|AGENTLOGIN|PJSIP/1001"}},
		{"pause in every queue", AgentStateChanged{At: qlAt(200 * time.Second), Agent: "alice", State: AgentPaused, Reason: "lunch", Prev: AgentAvailable}, alice,
			[]string{"1741597400|NONE|NONE|Alice Smith|PAUSEALL|", "1741597400|NONE|support|Alice Smith|PAUSE|lunch", "1741597400|NONE|sales|Alice Smith|PAUSE|lunch"}},
		{"unpause", AgentStateChanged{At: qlAt(300 * time.Second), Agent: "alice", State: AgentAvailable, Prev: AgentPaused}, alice,
			[]string{"1741597500|NONE|NONE|Alice Smith|UNPAUSEALL|", "1741597500|NONE|support|Alice Smith|UNPAUSE|", "1741597500|NONE|sales|Alice Smith|UNPAUSE|"}},
		{"pause in one queue (autopause=yes)", MemberPaused{At: qlAt(200 * time.Second), Agent: "alice", Queue: "sales", Paused: true, Reason: "autopause"}, alice,
			[]string{"1741597400|NONE|sales|Alice Smith|PAUSE|autopause"}},
		{"unpause in one queue", MemberPaused{At: qlAt(300 * time.Second), Agent: "alice", Queue: "sales"}, alice,
			[]string{"1741597500|NONE|sales|Alice Smith|UNPAUSE|"}},
		{"ringing is not logged", AgentStateChanged{At: qlT0, Agent: "alice", State: AgentRinging, Prev: AgentAvailable}, alice, nil},
		{"agentlogoff with login time", AgentStateChanged{At: qlAt(time.Hour), Agent: "alice", State: AgentLoggedOut, Prev: AgentAvailable},
			func() QueueLogContext { c := alice; c.LoggedInAt = qlT0; return c }(),
			[]string{"1741600800|NONE|NONE|Alice Smith|AGENTLOGOFF|PJSIP/1001|3600"}},
		{"addmember and removemember", AgentQueuesChanged{At: qlT0, Agent: "alice", Added: []string{"billing"}, Removed: []string{"sales"}}, alice,
			[]string{"1741597200|MANAGER|billing|Alice Smith|ADDMEMBER|", "1741597200|MANAGER|sales|Alice Smith|REMOVEMEMBER|"}},
		{"move: abandon here, enterqueue there", CallerMoved{At: qlAt(30 * time.Second), Caller: "1741597200.1", From: "support", To: "sales"},
			QueueLogContext{Call: rec, FromPosition: 1, ToPosition: 3},
			[]string{"1741597230|1741597200.1|support|NONE|ABANDON|1|2|30", "1741597230|1741597200.1|sales|NONE|ENTERQUEUE||1001|3"}},
		{"device state is not logged", AgentDeviceChanged{At: qlT0, Agent: "alice", State: DeviceInUse}, alice, nil},
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
// app_queue.c (Asterisk 12 and later) logs a transfer in place of the
// COMPLETE* line: handle_blind_transfer "BLINDTRANSFER" "%s|%s|%ld|%ld|%d"
// of exten, context, holdtime, calltime, opos; log_attended_transfer
// "ATTENDEDTRANSFER" "%s|%ld|%ld|%d" of the destination string, holdtime,
// calltime, opos.
func TestQueueLogOfATransferAsAppQueueWritesIt(t *testing.T) {
	alice := QueueLogContext{MemberName: "Alice Smith", Call: CallRecord{Caller: "1741597200.1", JoinPosition: 2}}
	tests := []struct {
		name string
		ev   Event
		want []string
	}{
		{"blind transfer", CallerTransferred{At: qlAt(115 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support",
			By: PartyAgent, Exten: "200", Context: "internal", Wait: 25900 * time.Millisecond, Talk: 90 * time.Second},
			[]string{"1741597315|1741597200.1|support|Alice Smith|BLINDTRANSFER|200|internal|25|90|2"}},
		{"attended transfer to a bridge", CallerTransferred{At: qlAt(115 * time.Second), Caller: "1741597200.1", Agent: "alice", Queue: "support",
			By: PartyAgent, Attended: "BRIDGE|b-42", Wait: 25 * time.Second, Talk: 90 * time.Second},
			[]string{"1741597315|1741597200.1|support|Alice Smith|ATTENDEDTRANSFER|BRIDGE|b-42|25|90|2"}},
		{"the completion of a transferred call writes nothing", CallCompleted{At: qlAt(115 * time.Second), Caller: "1741597200.1", Agent: "alice",
			Queue: "support", By: PartyTransfer, Wait: 25 * time.Second, Talk: 90 * time.Second}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := QueueLogLines(tc.ev, alice)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("lines:\ngot=%q\nwant %q", got, tc.want)
			}
		})
	}
}
