package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"stasisq/ari/aritest"
	"stasisq/queue"
)

// Every test here runs the whole application (engine, call flow, store in a
// temporary directory) against the fake Asterisk over real HTTP and
// websockets, and checks the ARI requests made, the domain events emitted
// and the final state.

func offersOf(e *testEnv, caller queue.CallerID) []queue.OfferEnded {
	var out []queue.OfferEnded
	for _, ev := range e.events.all() {
		if o, ok := ev.(queue.OfferEnded); ok && o.Caller == caller {
			out = append(out, o)
		}
	}
	return out
}

func leftReason(e *testEnv, caller queue.CallerID) (queue.CallerLeft, int) {
	var last queue.CallerLeft
	n := 0
	for _, ev := range e.events.all() {
		if l, ok := ev.(queue.CallerLeft); ok && l.Caller == caller {
			last = l
			n++
		}
	}
	return last, n
}

func completed(e *testEnv, caller queue.CallerID) (queue.CallCompleted, bool) {
	for _, ev := range e.events.all() {
		if c, ok := ev.(queue.CallCompleted); ok && c.Caller == caller {
			return c, true
		}
	}
	return queue.CallCompleted{}, false
}

func TestAnsweredCall(t *testing.T) {
	e := MustStartEnv(t)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer, After: 50 * time.Millisecond})
	e.MustQueue("support", nil)
	e.MustAgent("alice", "PJSIP/1001", "support")

	call := e.MustCall("support")
	caller := queue.CallerID(call.ID())
	e.waitAgent("alice", queue.AgentOnCall)
	leg := agentLegOf(e, "alice")
	e.waitUntil("caller and agent share a bridge", func() bool {
		return e.countRequests("POST", "/ari/bridges/sqb-") >= 2 // create + addChannel
	})

	// Caller answered and on hold music on its own channel, the agent dialled
	// with an id of ours, the hold music stopped before bridging.
	// (The originate runs on its own lane: it may go out before the MOH.)
	e.assertOrder(
		"POST /ari/channels/"+call.ID()+"/answer",
		"POST /ari/channels/"+call.ID()+"/moh",
		"DELETE /ari/channels/"+call.ID()+"/moh",
		"POST /ari/bridges/sqb-",
		"POST /ari/bridges/sqb-",
	)
	var added []string
	for _, r := range e.fake.Requests() {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/ari/bridges/sqb-") && strings.HasSuffix(r.Path, "/addChannel") {
			added = append(added, r.Query.Get("channel"))
		}
	}
	if want := []string{call.ID() + "," + leg}; !slices.Equal(added, want) {
		t.Errorf("addChannel calls channel=%q, want %q (caller and agent in one call)", added, want)
	}
	e.assertOrder("POST /ari/channels/"+leg, "DELETE /ari/channels/"+call.ID()+"/moh")
	orig := e.findRequest("POST", "/ari/channels/"+leg)
	if got := orig.Query.Get("app"); got != testApp {
		t.Errorf("originate app=%q, want %q", got, testApp)
	}
	if got, want := orig.Query.Get("appArgs"), "agent,"+string(mustOfferOfLeg(t, leg)); got != want {
		t.Errorf("originate appArgs=%q, want %q", got, want)
	}
	if got := orig.Query.Get("formats"); got != "ulaw" {
		t.Errorf("originate formats=%q, want ulaw", got)
	}
	if got := orig.Query.Get("callerId"); !strings.Contains(got, "5551234") || !strings.Contains(got, "Test Caller") {
		t.Errorf("originate callerId=%q, want the caller's name and number", got)
	}
	if got := orig.Query.Get("timeout"); got != "6" {
		t.Errorf("originate timeout=%q, want 6 (the queue's ring timeout, 5 s, and a second: the engine ends the ring, Asterisk only if stasisq cannot)", got)
	}
	if other := orig.Query.Get("otherChannelId"); other == "" || strings.HasPrefix(strings.ToLower(other), strings.ToLower(leg)) || strings.HasPrefix(strings.ToLower(leg), strings.ToLower(other)) {
		t.Errorf("otherChannelId=%q clashes by prefix with channelId=%q", other, leg)
	}

	call.Hangup()
	e.waitDone(call)
	e.waitAgent("alice", queue.AgentAvailable)
	e.waitClean()
	if n := e.countRequests("DELETE", "/ari/channels/"+leg); n != 1 {
		t.Errorf("agent leg hung up %d times, want 1", n)
	}
	if n := e.countRequests("DELETE", "/ari/bridges/sqb-"); n < 1 {
		t.Errorf("mixing bridge never destroyed")
	}
	if got, want := e.events.kinds(caller), []string{"caller_joined", "offer_started", "offer_ended", "caller_left", "call_connected", "call_completed"}; !containsInOrder(got, want...) {
		t.Errorf("events=%v, want in order %v", got, want)
	}
	if l, n := leftReason(e, caller); n != 1 || l.Reason != queue.LeftAnswered || l.Agent != "alice" {
		t.Errorf("caller left %d times, last=%+v; want once, answered by alice", n, l)
	}
	if c, ok := completed(e, caller); !ok || c.By != queue.PartyCaller {
		t.Errorf("call completed=%+v (%v), want by caller", c, ok)
	}
	if res := call.Result(); !res.HungUp || res.Continued {
		t.Errorf("call result=%+v, want hung up by the caller", res)
	}
}

func TestRingAllTwoPhones(t *testing.T) {
	e := MustStartEnv(t)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.NoAnswer})
	e.fake.SetDevice("PJSIP/1002", aritest.DeviceBehavior{Action: aritest.Answer, After: 200 * time.Millisecond})
	e.MustQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.RingAll })
	e.MustAgent("alice", "PJSIP/1001", "support")
	e.MustAgent("bob", "PJSIP/1002", "support")

	call := e.MustCall("support")
	caller := queue.CallerID(call.ID())
	e.waitAgent("bob", queue.AgentOnCall)
	e.waitAgent("alice", queue.AgentAvailable)
	aliceLeg, bobLeg := agentLegOf(e, "alice"), agentLegOf(e, "bob")
	if aliceLeg == "" || bobLeg == "" {
		t.Fatalf("both phones must ring: alice=%q bob=%q", aliceLeg, bobLeg)
	}
	e.waitUntil("the loser is hung up", func() bool { return e.countRequests("DELETE", "/ari/channels/"+aliceLeg) == 1 })
	loser := e.findRequest("DELETE", "/ari/channels/"+aliceLeg)
	if got := loser.Query.Get("reason"); got != "answered_elsewhere" {
		t.Errorf("loser hung up with reason=%q, want answered_elsewhere", got)
	}
	var results []string
	for _, o := range offersOf(e, caller) {
		results = append(results, string(o.Agent)+":"+o.Result)
	}
	slices.Sort(results)
	if want := []string{"alice:canceled", "bob:answered"}; !slices.Equal(results, want) {
		t.Errorf("offers=%v, want %v", results, want)
	}
	call.Hangup()
	e.waitDone(call)
	e.waitAgent("bob", queue.AgentAvailable)
	e.waitClean()
}

// Ring failures: the first agent (linear strategy) fails in some way, the
// second answers; the caller is connected to the second.
func TestRingFailureNextAgent(t *testing.T) {
	tests := []struct {
		name   string
		device aritest.DeviceBehavior
		result queue.RingFailure
	}{
		{"no answer", aritest.DeviceBehavior{Action: aritest.NoAnswer}, queue.RingNoAnswer},
		{"busy", aritest.DeviceBehavior{Action: aritest.Busy}, queue.RingBusy},
		// A registered phone whose ring fails (congestion): unavailable. One
		// that is not registered at all is never rung: see
		// TestUnregisteredPhoneIsNotRung.
		{"unavailable", aritest.DeviceBehavior{Action: aritest.Congestion}, queue.RingUnavailable},
		{"rejects", aritest.DeviceBehavior{Action: aritest.Reject, After: 100 * time.Millisecond}, queue.RingBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustStartEnv(t)
			e.fake.SetDevice("PJSIP/1001", tt.device)
			e.fake.SetDevice("PJSIP/1002", aritest.DeviceBehavior{Action: aritest.Answer, After: 20 * time.Millisecond})
			e.MustQueue("support", func(q *queue.QueueConfig) {
				q.Strategy = queue.Linear
				q.Timeout = time.Second
			})
			e.MustAgent("alice", "PJSIP/1001", "support")
			e.MustAgent("bob", "PJSIP/1002", "support")

			call := e.MustCall("support")
			caller := queue.CallerID(call.ID())
			e.waitAgent("bob", queue.AgentOnCall)
			offers := offersOf(e, caller)
			if len(offers) < 2 || offers[0].Agent != "alice" || offers[0].Result != string(tt.result) {
				t.Fatalf("offers=%+v, want alice %s first", offers, tt.result)
			}
			if last := offers[len(offers)-1]; last.Agent != "bob" || last.Result != "answered" {
				t.Errorf("last offer=%+v, want bob answered", last)
			}
			if s := e.agentState("alice"); s == queue.AgentRinging || s == queue.AgentOnCall {
				t.Errorf("alice is %s after her failed ring", s)
			}
			call.Hangup()
			e.waitDone(call)
			e.waitClean()
		})
	}
}

// An agent whose phone Asterisk knows to be unregistered (endpoint
// offline) is not rung, as app_queue skips an unavailable member; the next
// agent takes the call.
func TestUnregisteredPhoneIsNotRung(t *testing.T) {
	e := MustStartEnv(t)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Unavailable})
	e.fake.SetDevice("PJSIP/1002", aritest.DeviceBehavior{Action: aritest.Answer, After: 20 * time.Millisecond})
	e.MustQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.Linear })
	e.MustAgent("alice", "PJSIP/1001", "support")
	e.MustAgent("bob", "PJSIP/1002", "support")
	e.waitUntil("alice's phone known to be unavailable", func() bool {
		snap, err := e.main.App.Snapshot(e.ctx())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range snap.Agents {
			if a.Config.ID == "alice" {
				return a.Device == queue.DeviceUnavailable
			}
		}
		return false
	})
	call := e.MustCall("support")
	caller := queue.CallerID(call.ID())
	e.waitAgent("bob", queue.AgentOnCall)
	if offers := offersOf(e, caller); len(offers) != 1 || offers[0].Agent != "bob" {
		t.Errorf("offers=%+v, want only bob rung", offers)
	}
	call.Hangup()
	e.waitDone(call)
	e.waitClean()
}

func TestCallerAbandonsWhileWaiting(t *testing.T) {
	e := MustStartEnv(t)
	e.MustQueue("support", nil)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer})
	e.MustAgent("alice", "PJSIP/1001", "support")
	if err := e.main.App.Do(e.ctx(), queue.AgentPause{Agent: "alice", Reason: "lunch"}); err != nil {
		t.Fatalf("pause: %v", err)
	}
	call := e.MustCall("support")
	caller := queue.CallerID(call.ID())
	e.waitUntil("the caller is on hold", func() bool { return e.countRequests("POST", "/ari/channels/"+call.ID()+"/moh") == 1 })
	call.Hangup()
	e.waitDone(call)
	e.waitUntil("the abandon is recorded", func() bool { _, n := leftReason(e, caller); return n == 1 })
	if l, _ := leftReason(e, caller); l.Reason != queue.LeftAbandoned {
		t.Errorf("caller left with %q, want abandoned", l.Reason)
	}
	if n := e.countRequests("POST", "/ari/channels/sqa-"); n != 0 {
		t.Errorf("%d agents rung for a caller nobody could take", n)
	}
	e.waitClean()
}

func TestCallerAbandonsWhileAgentRings(t *testing.T) {
	e := MustStartEnv(t)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.NoAnswer})
	e.MustQueue("support", func(q *queue.QueueConfig) { q.Timeout = 30 * time.Second })
	e.MustAgent("alice", "PJSIP/1001", "support")

	call := e.MustCall("support")
	caller := queue.CallerID(call.ID())
	e.waitAgent("alice", queue.AgentRinging)
	leg := agentLegOf(e, "alice")
	e.waitUntil("the agent's phone rings", func() bool { return slices.Contains(e.fake.ChannelIDs(), leg) })
	call.Hangup()
	e.waitDone(call)
	// The agent is free at once, not after the 30 s ring timeout.
	e.waitAgent("alice", queue.AgentAvailable)
	e.waitUntil("the agent leg is hung up", func() bool { return e.countRequests("DELETE", "/ari/channels/"+leg) == 1 })
	if l, n := leftReason(e, caller); n != 1 || l.Reason != queue.LeftAbandoned {
		t.Errorf("caller left %d times, last %+v; want once, abandoned", n, l)
	}
	if o := offersOf(e, caller); len(o) != 1 || o[0].Result != "canceled" {
		t.Errorf("offers=%+v, want one canceled", o)
	}
	e.waitClean()
}

func TestAgentHangsUpFirst(t *testing.T) {
	tests := []struct {
		name      string
		continue_ bool
	}{
		{"caller hung up", false},
		{"caller continues", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustStartEnv(t)
			e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer, TalkFor: 200 * time.Millisecond})
			e.MustQueue("support", func(q *queue.QueueConfig) { q.ContinueOnAgentHangup = tt.continue_ })
			e.MustAgent("alice", "PJSIP/1001", "support")
			call := e.MustCall("support")
			caller := queue.CallerID(call.ID())
			res := e.waitDone(call)
			if tt.continue_ {
				if !res.Continued || res.Vars["QUEUESTATUS"] != "CONTINUE" {
					t.Errorf("result=%+v, want continued with QUEUESTATUS=CONTINUE", res)
				}
			} else if !res.HungUp || res.Continued {
				t.Errorf("result=%+v, want hung up by stasisq", res)
			}
			e.waitUntil("the call is completed", func() bool { _, ok := completed(e, caller); return ok })
			if c, _ := completed(e, caller); c.By != queue.PartyAgent {
				t.Errorf("completed by %q, want agent", c.By)
			}
			e.waitAgent("alice", queue.AgentAvailable)
			e.waitClean()
		})
	}
}

func TestMaxWaitTimeout(t *testing.T) {
	e := MustStartEnv(t)
	e.MustQueue("support", func(q *queue.QueueConfig) { q.MaxWait = 300 * time.Millisecond })
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer})
	e.MustAgent("alice", "PJSIP/1001", "support")
	if err := e.main.App.Do(e.ctx(), queue.AgentPause{Agent: "alice", Reason: "meeting"}); err != nil {
		t.Fatalf("pause: %v", err)
	}
	call := e.MustCall("support")
	res := e.waitDone(call)
	if !res.Continued || res.Vars["QUEUESTATUS"] != "TIMEOUT" {
		t.Errorf("result=%+v, want continued with QUEUESTATUS=TIMEOUT", res)
	}
	if l, n := leftReason(e, queue.CallerID(call.ID())); n != 1 || l.Reason != queue.LeftTimeout {
		t.Errorf("caller left %d times, last %+v; want once, timeout", n, l)
	}
	e.assertOrder("POST /ari/channels/"+call.ID()+"/moh", "DELETE /ari/channels/"+call.ID()+"/moh", "POST /ari/channels/"+call.ID()+"/variable", "POST /ari/channels/"+call.ID()+"/continue")
	e.waitClean()
}

func TestRefused(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*queue.QueueConfig)
		agents bool
		before int // callers already waiting
		status string
	}{
		{"joinempty", func(q *queue.QueueConfig) {
			q.JoinEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyUnavailable, queue.EmptyInvalid, queue.EmptyUnknown}
		}, false, 0, "JOINEMPTY"},
		{"full", func(q *queue.QueueConfig) { q.MaxLen = 1 }, true, 1, "FULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustStartEnv(t)
			e.MustQueue("support", tt.edit)
			if tt.agents {
				e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer})
				e.MustAgent("alice", "PJSIP/1001", "support")
				if err := e.main.App.Do(e.ctx(), queue.AgentPause{Agent: "alice", Reason: "x"}); err != nil {
					t.Fatalf("pause: %v", err)
				}
			}
			var waiting []*aritest.Call
			for range tt.before {
				c := e.MustCall("support")
				waiting = append(waiting, c)
				e.waitUntil("the first caller is queued", func() bool { return e.countRequests("POST", "/ari/channels/"+c.ID()+"/moh") == 1 })
			}
			call := e.MustCall("support")
			res := e.waitDone(call)
			if !res.Continued || res.Vars["QUEUESTATUS"] != tt.status {
				t.Errorf("result=%+v, want continued with QUEUESTATUS=%s", res, tt.status)
			}
			if n := e.countRequests("POST", "/ari/channels/"+call.ID()+"/answer"); n != 0 {
				t.Errorf("a refused caller was answered")
			}
			if got := e.events.kinds(queue.CallerID(call.ID())); !slices.Equal(got, []string{"caller_refused"}) {
				t.Errorf("events=%v, want [caller_refused]", got)
			}
			for _, c := range waiting {
				c.Hangup()
				e.waitDone(c)
			}
			e.waitClean()
		})
	}
}

func TestExitKey(t *testing.T) {
	e := MustStartEnv(t)
	e.MustQueue("support", func(q *queue.QueueConfig) { q.ExitKeys = "5" })
	call := e.MustCall("support")
	e.waitUntil("the caller is on hold", func() bool { return e.countRequests("POST", "/ari/channels/"+call.ID()+"/moh") == 1 })
	call.SendDTMF("5")
	res := e.waitDone(call)
	if !res.Continued || res.Vars["QUEUESTATUS"] != string(queue.StatusExitKey) || res.Vars["QUEUEEXITKEY"] != "5" {
		t.Errorf("result=%+v, want continued with QUEUESTATUS=%s QUEUEEXITKEY=5", res, queue.StatusExitKey)
	}
	if l, n := leftReason(e, queue.CallerID(call.ID())); n != 1 || l.Reason != queue.LeftExitKey {
		t.Errorf("caller left %d times, last %+v; want once, exit", n, l)
	}
	e.waitClean()
}

func TestAnnouncementsNeverOverlap(t *testing.T) {
	e := MustStartEnv(t, func(o *aritest.Options) {
		o.PlaybackDuration = func(string) time.Duration { return 150 * time.Millisecond }
	})
	e.MustQueue("support", func(q *queue.QueueConfig) {
		q.PeriodicAnnounce = []string{"queue-periodic-announce"}
		q.PeriodicAnnounceFrequency = 200 * time.Millisecond
		q.AnnouncePosition = "yes"
		q.AnnounceFrequency = 300 * time.Millisecond
		q.MinAnnounceFrequency = 0
	})
	call := e.MustCall("support")
	e.waitUntil("several announcements played", func() bool {
		return e.countRequests("POST", "/ari/channels/"+call.ID()+"/play") >= 4
	})
	call.Hangup()
	e.waitDone(call)
	// Each playback starts only after the previous one finished, in the
	// order Asterisk emitted the events.
	playing := ""
	started := 0
	for _, raw := range e.fake.Events() {
		var ev struct {
			Type     string `json:"type"`
			Playback struct {
				ID        string `json:"id"`
				TargetURI string `json:"target_uri"`
			} `json:"playback"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil || ev.Playback.TargetURI != "channel:"+call.ID() {
			continue
		}
		switch ev.Type {
		case "PlaybackStarted":
			if playing != "" {
				t.Errorf("playback %s started while %s was still playing", ev.Playback.ID, playing)
			}
			playing = ev.Playback.ID
			started++
		case "PlaybackFinished":
			if ev.Playback.ID == playing {
				playing = ""
			}
		}
	}
	if started < 4 {
		t.Errorf("%d playbacks started, want at least 4", started)
	}
	e.waitClean()
}

func TestAnnouncementStoppedWhenAgentAnswers(t *testing.T) {
	e := MustStartEnv(t, func(o *aritest.Options) {
		o.PlaybackDuration = func(string) time.Duration { return 5 * time.Second }
	})
	e.MustQueue("support", func(q *queue.QueueConfig) {
		q.PeriodicAnnounce = []string{"queue-periodic-announce"}
		q.PeriodicAnnounceFrequency = 50 * time.Millisecond
	})
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer})
	call := e.MustCall("support")
	e.waitUntil("an announcement plays", func() bool { return e.countRequests("POST", "/ari/channels/"+call.ID()+"/play") >= 1 })
	e.MustAgent("alice", "PJSIP/1001", "support")
	e.waitAgent("alice", queue.AgentOnCall)
	e.waitUntil("bridged", func() bool { return e.countRequests("POST", "/ari/bridges/sqb-") >= 2 }) // create + addChannel
	e.assertOrder("POST /ari/channels/"+call.ID()+"/play", "DELETE /ari/playbacks/", "POST /ari/bridges/sqb-")
	if n := e.countRequests("POST", "/ari/channels/"+call.ID()+"/play"); n != 1 {
		t.Errorf("%d plays, want 1: queued announcements must be dropped on connect", n)
	}
	call.Hangup()
	e.waitDone(call)
	e.waitClean()
}

func TestWrapUpThenNextCall(t *testing.T) {
	e := MustStartEnv(t)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer, TalkFor: 100 * time.Millisecond})
	e.MustQueue("support", func(q *queue.QueueConfig) { q.WrapUpTime = 400 * time.Millisecond })
	e.MustAgent("alice", "PJSIP/1001", "support")
	first := e.MustCall("support")
	e.waitAgent("alice", queue.AgentOnCall)
	second := e.MustCall("support")
	e.waitDone(first)
	e.waitAgent("alice", queue.AgentWrapUp)
	wrapStart := time.Now()
	if n := len(offersOf(e, queue.CallerID(second.ID()))); n != 0 {
		t.Fatalf("second caller rung during wrap-up (%d offers)", n)
	}
	e.waitUntil("the second caller is offered to alice", func() bool {
		return len(offersOf(e, queue.CallerID(second.ID()))) > 0 || agentRinging(e, "alice", second.ID())
	})
	if d := time.Since(wrapStart); d < 250*time.Millisecond {
		t.Errorf("next call after %v of a 400ms wrap-up", d)
	}
	e.waitDone(second)
	e.waitAgent("alice", queue.AgentWrapUp)
	e.waitAgent("alice", queue.AgentAvailable)
	e.waitClean()
}

func agentRinging(e *testEnv, agent, caller string) bool {
	for _, ev := range e.events.all() {
		if o, ok := ev.(queue.OfferStarted); ok && string(o.Agent) == agent && string(o.Caller) == caller {
			return true
		}
	}
	return false
}

func TestWebsocketDroppedMidCall(t *testing.T) {
	e := MustStartEnv(t)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer})
	e.MustQueue("support", nil)
	e.MustAgent("alice", "PJSIP/1001", "support")
	e.MustAgent("bob", "PJSIP/1002", "support")
	if err := e.main.App.Do(e.ctx(), queue.AgentPause{Agent: "bob", Reason: "x"}); err != nil {
		t.Fatalf("pause: %v", err)
	}
	talking := e.MustCall("support")
	e.waitAgent("alice", queue.AgentOnCall)
	e.waitUntil("bridged", func() bool { return e.countRequests("POST", "/ari/bridges/sqb-") >= 2 }) // create + addChannel
	waiting := e.MustCall("support")
	e.waitUntil("the second caller is on hold", func() bool { return e.countRequests("POST", "/ari/channels/"+waiting.ID()+"/moh") == 1 })
	apps := e.countRequests("GET", "/ari/applications/"+testApp)

	e.fake.DropWebsockets()
	// Both hang up while stasisq is not listening: their events are lost.
	e.waitUntil("stasisq notices the drop", func() bool { return !e.main.ARI.Connected() })
	talking.Hangup()
	waiting.Hangup()
	e.waitUntil("stasisq reconciles after reconnecting", func() bool {
		return e.countRequests("GET", "/ari/applications/"+testApp) > apps
	})
	e.waitAgent("alice", queue.AgentAvailable)
	e.waitUntil("the waiting caller is closed", func() bool { _, n := leftReason(e, queue.CallerID(waiting.ID())); return n == 1 })
	if _, ok := completed(e, queue.CallerID(talking.ID())); !ok {
		t.Errorf("the call in progress was never completed")
	}
	if l, _ := leftReason(e, queue.CallerID(waiting.ID())); l.Reason != queue.LeftAbandoned {
		t.Errorf("waiting caller left with %q, want abandoned", l.Reason)
	}
	e.waitClean()

	// And the app still works after the reconnect.
	again := e.MustCall("support")
	e.waitAgent("alice", queue.AgentOnCall)
	again.Hangup()
	e.waitDone(again)
	e.waitClean()
}

func TestOriginateServerErrorRetried(t *testing.T) {
	e := MustStartEnv(t)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer})
	e.MustQueue("support", nil)
	e.MustAgent("alice", "PJSIP/1001", "support")
	if err := e.main.App.Do(e.ctx(), queue.AgentPause{Agent: "alice", Reason: "x"}); err != nil {
		t.Fatalf("pause: %v", err)
	}
	call := e.MustCall("support")
	e.waitUntil("the caller is on hold", func() bool { return e.countRequests("POST", "/ari/channels/"+call.ID()+"/moh") == 1 })
	e.fake.FailNext("POST", "/ari/channels/sqa-", 500, "Allocation failed")
	if err := e.main.App.Do(e.ctx(), queue.AgentUnpause{Agent: "alice"}); err != nil {
		t.Fatalf("unpause: %v", err)
	}
	e.waitAgent("alice", queue.AgentOnCall)
	offers := offersOf(e, queue.CallerID(call.ID()))
	if len(offers) != 2 || offers[0].Result != string(queue.RingError) || offers[1].Result != "answered" {
		t.Errorf("offers=%+v, want an error then answered", offers)
	}
	var statuses []int
	for _, r := range e.fake.Requests() {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/ari/channels/sqa-") {
			statuses = append(statuses, r.Status)
		}
	}
	if len(statuses) != 2 || statuses[0] != 500 || statuses[1] != 200 {
		t.Errorf("originate statuses=%v, want [500 200]", statuses)
	}
	if l, n := leftReason(e, queue.CallerID(call.ID())); n != 1 || l.Reason != queue.LeftAnswered {
		t.Errorf("caller left %d times (%+v), want once answered: it must stay queued after the 500", n, l)
	}
	call.Hangup()
	e.waitDone(call)
	e.waitClean()
}

func TestRestartResumesWaitingCallers(t *testing.T) {
	e := MustStartEnv(t)
	e.MustQueue("support", nil)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer})
	e.MustAgent("alice", "PJSIP/1001", "support")
	if err := e.main.App.Do(e.ctx(), queue.AgentPause{Agent: "alice", Reason: "x"}); err != nil {
		t.Fatalf("pause: %v", err)
	}
	first := e.MustCall("support")
	e.waitUntil("first on hold", func() bool { return e.countRequests("POST", "/ari/channels/"+first.ID()+"/moh") == 1 })
	second := e.MustCall("support")
	e.waitUntil("second on hold", func() bool { return e.countRequests("POST", "/ari/channels/"+second.ID()+"/moh") == 1 })
	gone := e.MustCall("support")
	e.waitUntil("third on hold", func() bool { return e.countRequests("POST", "/ari/channels/"+gone.ID()+"/moh") == 1 })

	if err := e.main.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	gone.Hangup() // while stasisq is down
	e.MustRunMain()

	snap, err := e.main.App.Snapshot(e.ctx())
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, q := range snap.Queues {
		for _, c := range q.Callers {
			order = append(order, string(c.ID))
		}
	}
	if want := []string{first.ID(), second.ID()}; !slices.Equal(order, want) {
		t.Errorf("queue after restart=%v, want %v (in their order, the hung-up one gone)", order, want)
	}
	if l, _ := leftReason(e, queue.CallerID(gone.ID())); l.Reason != queue.LeftLost {
		t.Errorf("caller who left during the restart: reason %q, want lost", l.Reason)
	}
	if err := e.main.App.Do(e.ctx(), queue.AgentUnpause{Agent: "alice"}); err != nil && e.agentState("alice") != queue.AgentAvailable {
		t.Fatalf("unpause: %v", err)
	}
	e.waitUntil("the first caller is offered first", func() bool { return agentRinging(e, "alice", first.ID()) })
	first.Hangup()
	second.Hangup()
	e.waitDone(first)
	e.waitDone(second)
	e.waitClean()
}

// An agent declining in the console: the engine ends the offer and cancels
// the ring as declined, the call flow hangs the ringing phone up (reason busy) and the caller is offered to
// the next agent.
func TestAgentRejectsFromConsole(t *testing.T) {
	e := MustStartEnv(t)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.NoAnswer})
	e.fake.SetDevice("PJSIP/1002", aritest.DeviceBehavior{Action: aritest.Answer})
	e.MustQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.Linear; q.Timeout = 30 * time.Second })
	e.MustAgent("alice", "PJSIP/1001", "support")
	e.MustAgent("bob", "PJSIP/1002", "support")
	call := e.MustCall("support")
	e.waitAgent("alice", queue.AgentRinging)
	leg := agentLegOf(e, "alice")
	e.waitUntil("alice's phone rings", func() bool { return slices.Contains(e.fake.ChannelIDs(), leg) })
	offer := mustOfferOfLeg(t, leg)
	if err := e.main.App.Do(e.ctx(), queue.OfferFailed{Offer: offer, Reason: queue.RingRejected}); err != nil {
		t.Fatalf("reject: %v", err)
	}
	e.waitAgent("bob", queue.AgentOnCall)
	e.waitUntil("alice's phone stops ringing", func() bool { return e.countRequests("DELETE", "/ari/channels/"+leg) == 1 })
	if got := e.findRequest("DELETE", "/ari/channels/"+leg).Query.Get("reason"); got != "busy" {
		t.Errorf("rejected leg hung up with reason=%q, want busy", got)
	}
	call.Hangup()
	e.waitDone(call)
	e.waitClean()
}

// "stasisq serve" as a whole: the HTTP server answers on URL(), with the
// console and /metrics.
func TestServeHTTP(t *testing.T) {
	e := MustStartEnv(t)
	for _, path := range []string{"/metrics", "/"} {
		resp, err := http.Get(e.main.URL() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status=%d, want 200", path, resp.StatusCode)
		}
	}
}

// memberdelay: the agent has answered, and the caller is put through only
// the queue's delay later (app_queue's memberdelay).
func TestMemberDelay(t *testing.T) {
	e := MustStartEnv(t)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer, After: 20 * time.Millisecond})
	e.MustQueue("support", func(c *queue.QueueConfig) { c.MemberDelay = time.Second })
	e.MustAgent("alice", "PJSIP/1001", "support")
	call := e.MustCall("support")
	e.waitEvent(queue.CallerID(call.ID()), "call_connected")
	connected := time.Now()
	select {
	case <-call.Bridged():
	case <-time.After(waitFor):
		t.Fatalf("caller never bridged; requests:\n%s", e.requestLog())
	}
	if d := time.Since(connected); d < 900*time.Millisecond {
		t.Errorf("bridged %v after the agent answered, want the 1 s memberdelay", d)
	}
	call.Hangup()
	e.waitDone(call)
	e.waitClean()
}
