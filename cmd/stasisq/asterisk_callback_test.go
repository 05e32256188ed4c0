package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/internal/asteriskt"
	"stasisq/queue"
)

// callbackQueue is support with keep-my-place callback in mode, customers
// reached in context (customers answer, busycustomers are busy), two tries
// a second apart; alice is paused so that callers wait.
func callbackQueue(e *testEnv, mode, context string) {
	e.tb.Helper()
	e.asteriskQueue("support", func(q *queue.QueueConfig) {
		q.CallbackMode, q.CallbackDial = mode, "Local/{number}@"+context
		q.CallbackCallerID = "Support <5550000>"
		q.CallbackAttempts, q.CallbackRetry, q.CallbackRingTimeout = 2, time.Second, 5*time.Second
	})
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
}

// askCallback: caller id presses 1 (callback), hears its number, presses 1
// (confirm) and is hung up by stasisq, holding its place.
func askCallback(e *testEnv, obs *observer, id string) {
	e.tb.Helper()
	obs.waitAnswered(id)
	obs.press(id, "1")
	e.waitUntil(id+"'s number read back", func() bool { return startedMedia(e, id, "sound:you-entered") })
	obs.press(id, "1")
	e.waitEvent(queue.CallerID(id), "callback_requested")
	e.waitUntil(id+" holding its place without its line", func() bool {
		return callbackState(e, id) == "waiting" && !obs.hasChannel(id)
	})
}

// callbackState is the snapshot's callback state of caller id in support.
func callbackState(e *testEnv, id string) string {
	snap, err := e.main.App.Snapshot(e.ctx())
	if err != nil {
		e.tb.Fatal(err)
	}
	for _, q := range snap.Queues {
		for _, c := range q.Callers {
			if string(c.ID) == id {
				return c.Callback
			}
		}
	}
	return ""
}

// hasChannel reports whether Asterisk still has channel id.
func (o *observer) hasChannel(id string) bool {
	for _, c := range o.channels() {
		if strings.HasPrefix(c, id+" ") {
			return true
		}
	}
	return false
}

// customerBridged waits until caller's callback leg (sqk-…) and an agent
// leg (sqa-…) are the two channels of one bridge.
func customerBridged(e *testEnv, obs *observer) string {
	e.tb.Helper()
	var leg string
	e.waitUntil("the customer and the agent bridged", func() bool {
		for _, b := range obs.bridges() {
			var cust, agent bool
			for _, ch := range b.Channels {
				if strings.HasPrefix(ch, "sqk-") {
					cust, leg = true, ch
				}
				agent = agent || strings.HasPrefix(ch, "sqa-")
			}
			if cust && agent && len(b.Channels) == 2 {
				return true
			}
		}
		return false
	})
	return leg
}

// The callback's record: requested for number, its tries' results.
func checkCallbackRecord(t *testing.T, e *testEnv, caller queue.CallerID, number, outcome string, results ...string) {
	t.Helper()
	r := e.committedCall(caller)
	var got []string
	if r.Callback != nil {
		for _, try := range r.Callback.Tries {
			got = append(got, try.Result)
		}
	}
	if r.Callback == nil || r.Callback.Number != number || r.Outcome != outcome || fmt.Sprint(got) != fmt.Sprint(results) {
		t.Errorf("record of %s: outcome %s, callback %+v (tries %v); want %s, a callback to %s, tries %v", caller, r.Outcome, r.Callback, got, outcome, number, results)
	}
}

// Agent first: a caller asks for a callback and hangs up; a caller who
// joins after it waits behind it; when alice is free she is rung for the
// callback, answers, the customer is dialled on a Local channel, answers,
// and the two are bridged; then alice takes the caller who waited.
func TestAsteriskCallbackAgentFirst(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	callbackQueue(e, queue.CallbackAgentFirst, "customers")
	obs.callAs("support", "c01", "5550101")
	askCallback(e, obs, "c01")
	obs.call("support", "c02")
	e.waitEvent("c02", "caller_joined")
	if o := waitingOrder(e, "support"); len(o) != 2 || o[0] != "c01" {
		t.Fatalf("order: %v, want the callback c01 first", o)
	}
	e.mustDo(queue.AgentUnpause{Agent: "alice"})
	e.waitConnected("c01", "alice")
	customerBridged(e, obs)
	// The customer's side ends the call; alice then takes c02.
	if err := e.main.App.HangupCaller(e.ctx(), "c01"); err != nil {
		t.Fatal(err)
	}
	e.waitEvent("c01", "call_completed")
	e.waitConnected("c02", "alice")
	e.endCall(obs, "c02", "alice")
	checkCallbackRecord(t, e, "c01", "5550101", queue.OutcomeCompleted, "answered")
}

// Customer first: when alice is free the customer is dialled first, answers,
// hears "one moment please" through and is then rung to alice as any caller
// (alice, a Local echo, answers at once: rung during the prompt, she cut it).
func TestAsteriskCallbackCustomerFirst(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	callbackQueue(e, queue.CallbackCustomerFirst, "customers")
	obs.callAs("support", "c01", "5550102")
	askCallback(e, obs, "c01")
	e.mustDo(queue.AgentUnpause{Agent: "alice"})
	e.waitConnected("c01", "alice")
	leg := customerBridged(e, obs)
	if !startedMedia(e, leg, "sound:one-moment-please") {
		t.Errorf("the customer on %s did not hear one-moment-please before the agent", leg)
	}
	if !promptEndedBeforeAgent(e, leg, "sound:one-moment-please") {
		t.Errorf("alice's leg came before the end of the customer's one-moment-please: the prompt was cut")
	}
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	if err := e.main.App.HangupCaller(e.ctx(), "c01"); err != nil {
		t.Fatal(err)
	}
	e.waitEvent("c01", "call_completed")
	e.waitAsteriskClean(obs)
	checkCallbackRecord(t, e, "c01", "5550102", queue.OutcomeCompleted, "answered")
}

// A busy customer, twice: each try frees alice at once, the callback waits
// its retry in its place, and after the second it gives up.
func TestAsteriskCallbackRetriesExhausted(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	callbackQueue(e, queue.CallbackAgentFirst, "busycustomers")
	obs.callAs("support", "c01", "5550103")
	askCallback(e, obs, "c01")
	e.mustDo(queue.AgentUnpause{Agent: "alice"})
	e.waitUntil("the callback given up", func() bool { l, n := leftReason(e, "c01"); return n == 1 && l.Reason == queue.LeftCallbackFailed })
	e.waitAgent("alice", queue.AgentAvailable)
	e.waitAsteriskClean(obs)
	checkCallbackRecord(t, e, "c01", "5550103", string(queue.LeftCallbackFailed), "busy", "busy")
}

// kill -9 of stasisq while a callback holds its place: the restarted
// process has it in the same place (from the store, no channel to find in
// Asterisk), and when the agent is free the customer is called back and
// bridged.
func TestAsteriskCallbackAcrossKill9(t *testing.T) {
	bin := MustBuildStasisq(t)
	ast := asteriskt.Start(t, map[string]string{"extensions.conf": asteriskDialplan})
	obs := mustObserve(t, ast)
	db := filepath.Join(t.TempDir(), "stasisq.db")
	mustSeedCallbackDB(t, db)
	p := MustStartServeAt(t, bin, ast.ARIURL, ast.ARIUser, ast.ARIPassword, db)
	boss := MustConsoleLogin(t, p.url, "boss", crashPassword)
	boss.mustPost("/api/agents/a01/pause", map[string]string{"reason": "Meeting"})
	obs.callAs(crashQueue, "c01", "5550104")
	obs.waitAnswered("c01")
	obs.press("c01", "1")
	time.Sleep(500 * time.Millisecond) // the number read back starts
	obs.press("c01", "1")
	obs.call(crashQueue, "c02")
	pollUntil(t, waitFor, "c01 a callback ahead of c02, its line gone", func() (bool, string) {
		cs := queueCallers(boss)
		return len(cs) == 2 && cs[0].ID == "c01" && cs[0].Callback == "waiting" && !obs.hasChannel("c01") && callbackStored(boss, "c01"), fmt.Sprintf("%+v", cs)
	})

	p.kill()
	p2 := MustStartServeAt(t, bin, ast.ARIURL, ast.ARIUser, ast.ARIPassword, db)
	boss = MustConsoleLogin(t, p2.url, "boss", crashPassword)
	pollUntil(t, waitFor, "the callback back in its place", func() (bool, string) {
		cs := queueCallers(boss)
		return len(cs) == 2 && cs[0].ID == "c01" && cs[0].Callback == "waiting" && cs[0].CallbackNumber == "5550104" && cs[1].ID == "c02", fmt.Sprintf("%+v", cs)
	})
	boss.mustPost("/api/agents/a01/unpause", nil)
	pollUntil(t, waitFor, "a01 on the call back to c01", func() (bool, string) {
		a := agentViews(boss)["a01"]
		return a.State == queue.AgentOnCall && a.Caller == "c01", fmt.Sprintf("%s %s", a.State, a.Caller)
	})
	pollUntil(t, waitFor, "the customer bridged with a01", func() (bool, string) {
		for _, b := range obs.bridges() {
			if len(b.Channels) == 2 && (strings.HasPrefix(b.Channels[0], "sqk-") || strings.HasPrefix(b.Channels[1], "sqk-")) {
				return true, ""
			}
		}
		return false, fmt.Sprint(obs.bridges())
	})
	boss.mustPost("/api/agents/a01/pause", map[string]string{"reason": "Break"})
	boss.mustPost("/api/callers/c01/hangup", nil)
	obs.hangup("c02")
	pollUntil(t, waitFor, "nothing left in Asterisk", func() (bool, string) {
		ch := obs.channels()
		return len(ch) == 0, fmt.Sprint(ch)
	})
}

// callbackStored reports whether the store has committed caller's callback
// request (the API reads call records from it).
func callbackStored(c *consoleClient, caller string) bool {
	for _, r := range callRecords(c, time.Now().Add(-time.Hour)) {
		if string(r.Caller) == caller && r.Callback != nil {
			return true
		}
	}
	return false
}

// mustSeedCallbackDB: the crash queue with agent-first callback to the
// customers context, one static echo agent (a01, Local/1001), a supervisor.
func mustSeedCallbackDB(tb testing.TB, path string) {
	tb.Helper()
	mustSeedCrashDB(tb, path, 1, func(q *queue.QueueConfig) {
		q.CallbackMode, q.CallbackDial = queue.CallbackAgentFirst, "Local/{number}@customers"
	})
}

// promptEndedBeforeAgent: stasisq had the end of media on channel leg
// before any event of an agent's leg (sqa-…), which it originates only
// when it rings one.
func promptEndedBeforeAgent(e *testEnv, leg, media string) bool {
	for _, ev := range e.ari.all() {
		switch ev := ev.(type) {
		case *ari.PlaybackFinished:
			if ev.Playback.TargetURI == "channel:"+leg && ev.Playback.MediaURI == media {
				return true
			}
		case *ari.StasisStart:
			if strings.HasPrefix(ev.Channel.ID, "sqa-") {
				return false
			}
		}
	}
	return false
}
