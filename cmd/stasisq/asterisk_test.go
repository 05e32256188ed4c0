package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/queue"
)

// An answered call on the real Asterisk: the caller waits, the agent's
// phone is rung and answers, both are in one bridge of ours; the caller
// hangs up, the call is recorded and nothing is left in Asterisk.
func TestAsteriskAnsweredCall(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@agents", "support")

	obs.call("support", "c01")
	e.waitAgent("alice", queue.AgentOnCall)
	pollUntil(t, waitFor, "caller and agent in one bridge", func() (bool, string) {
		bs := obs.bridges()
		for _, b := range bs {
			if slices.Contains(b.Channels, "c01") && len(b.Channels) == 2 {
				return true, ""
			}
		}
		return false, fmt.Sprint(bridgeMembers(bs))
	})
	obs.hangup("c01")
	e.waitEvent("c01", "call_completed")
	e.waitAgent("alice", queue.AgentAvailable)
	if c, ok := completed(e, "c01"); !ok || c.Agent != "alice" || c.By != queue.PartyCaller {
		t.Errorf("call completed: got %+v (%v), want alice's call ended by the caller", c, ok)
	}
	e.waitAsteriskClean(obs)
}

// connectedAgent is the agent the caller was connected to, "" if none.
func connectedAgent(e *testEnv, caller queue.CallerID) queue.AgentID {
	for _, ev := range e.events.all() {
		if c, ok := ev.(queue.CallConnected); ok && c.Caller == caller {
			return c.Agent
		}
	}
	return ""
}

// waitConnected waits until caller talks to agent.
func (e *testEnv) waitConnected(caller queue.CallerID, agent queue.AgentID) {
	e.tb.Helper()
	e.waitUntil(fmt.Sprintf("%s connected to %s", caller, agent), func() bool { return connectedAgent(e, caller) == agent })
}

// endCall hangs the caller up and waits until the agent is free and
// Asterisk is empty.
func (e *testEnv) endCall(obs *observer, caller string, agent string) {
	e.tb.Helper()
	obs.hangup(caller)
	e.waitEvent(queue.CallerID(caller), "call_completed")
	e.waitAgent(agent, queue.AgentAvailable)
	e.waitAsteriskClean(obs)
}

// A phone that rings unanswered: after the ring timeout the next agent is
// rung and answers (linear: alice, then bob).
func TestAsteriskNoAnswerNextAgent(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.Linear; q.Timeout = 2 * time.Second })
	e.MustAgent("alice", "Local/1001@noanswer", "support")
	e.MustAgent("bob", "Local/1002@agents", "support")
	obs.call("support", "c01")
	e.waitConnected("c01", "bob")
	if got := offerResults(e, "c01"); !slices.Equal(got, []string{"alice=noanswer", "bob=answered"}) {
		t.Errorf("offers: got %v, want alice unanswered, then bob", got)
	}
	e.endCall(obs, "c01", "bob")
}

// Busy and rejecting phones: the offer ends so and the next agent answers.
func TestAsteriskBusyAndRejectedPhones(t *testing.T) {
	for _, tc := range []struct{ context, result string }{{"busy", "busy"}, {"reject", "rejected"}} {
		t.Run(tc.context, func(t *testing.T) {
			e, obs := MustStartAsteriskEnv(t, nil)
			e.asteriskQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.Linear })
			e.MustAgent("alice", "Local/1001@"+tc.context, "support")
			e.MustAgent("bob", "Local/1002@agents", "support")
			obs.call("support", "c01")
			e.waitConnected("c01", "bob")
			if got := offerResults(e, "c01"); len(got) != 2 || got[0] != "alice="+tc.result {
				t.Errorf("offers: got %v, want alice %s first", got, tc.result)
			}
			e.endCall(obs, "c01", "bob")
		})
	}
}

// A phone that answers after a second of ringing.
func TestAsteriskSlowAnswer(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@slow", "support")
	start := time.Now()
	obs.call("support", "c01")
	e.waitConnected("c01", "alice")
	if took := time.Since(start); took < time.Second {
		t.Errorf("connected after %v, want the second the phone rang first", took)
	}
	e.endCall(obs, "c01", "alice")
}

// ringall: both phones ring, the first to answer wins, the other leg is
// hung up (nothing left ringing).
func TestAsteriskRingAll(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.RingAll })
	e.MustAgent("alice", "Local/1001@slow", "support")
	e.MustAgent("bob", "Local/1002@agents", "support")
	obs.call("support", "c01")
	e.waitConnected("c01", "bob")
	e.waitUntil("alice's ring cancelled", func() bool {
		return slices.Contains(offerResults(e, "c01"), "alice=canceled")
	})
	e.waitAgent("alice", queue.AgentAvailable)
	e.endCall(obs, "c01", "bob")
}

// rrmemory rotates: three calls one after another go alice, bob, alice.
func TestAsteriskRRMemoryRotation(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.RRMemory })
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.MustAgent("bob", "Local/1002@agents", "support")
	var got []queue.AgentID
	for _, id := range []string{"c01", "c02", "c03"} {
		obs.call("support", id)
		e.waitUntil(id+" connected", func() bool { return connectedAgent(e, queue.CallerID(id)) != "" })
		a := connectedAgent(e, queue.CallerID(id))
		got = append(got, a)
		e.endCall(obs, id, string(a))
	}
	if len(got) != 3 || got[0] == got[1] || got[0] != got[2] {
		t.Errorf("agents: got %v, want a rotation (x, y, x)", got)
	}
}

// linear: every call starts with the first member again.
func TestAsteriskLinearOrder(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.Linear })
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.MustAgent("bob", "Local/1002@agents", "support")
	for _, id := range []string{"c01", "c02"} {
		obs.call("support", id)
		e.waitConnected(queue.CallerID(id), "alice")
		e.endCall(obs, id, "alice")
	}
}

// A caller who hangs up while waiting: abandoned, hold music was on its
// channel, nothing left behind.
func TestAsteriskAbandonWhileWaiting(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.call("support", "c01")
	e.waitEvent("c01", "caller_joined")
	obs.waitAnswered("c01")
	obs.hangup("c01")
	e.waitUntil("abandoned", func() bool { l, n := leftReason(e, "c01"); return n == 1 && l.Reason == queue.LeftAbandoned })
	e.waitAsteriskClean(obs)
}

// A caller who hangs up while an agent's phone rings: the ring is ended,
// no agent leg is left ringing, the agent is free.
func TestAsteriskAbandonWhileRinging(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.Timeout = 30 * time.Second })
	e.MustAgent("alice", "Local/1001@noanswer", "support")
	obs.call("support", "c01")
	e.waitAgent("alice", queue.AgentRinging)
	obs.hangup("c01")
	e.waitUntil("abandoned", func() bool { l, n := leftReason(e, "c01"); return n == 1 && l.Reason == queue.LeftAbandoned })
	e.waitAgent("alice", queue.AgentAvailable)
	e.waitAsteriskClean(obs)
}

// maxwait: the caller goes back to the dialplan with QUEUESTATUS=TIMEOUT.
func TestAsteriskMaxWaitTimeout(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.MaxWait = time.Second })
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.call("support", "c01")
	if v := obs.verdict("c01"); len(v) == 0 || v[0] != "TIMEOUT" {
		t.Errorf("dialplan after the queue: got %q, want QUEUESTATUS=TIMEOUT", v)
	}
	e.waitAsteriskClean(obs)
}

// joinempty: with nobody to take the call the caller is refused at once,
// back in the dialplan with QUEUESTATUS=JOINEMPTY.
func TestAsteriskJoinEmpty(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) {
		q.JoinEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyUnavailable, queue.EmptyInvalid, queue.EmptyPenalty}
	})
	obs.call("support", "c01")
	if v := obs.verdict("c01"); len(v) == 0 || v[0] != "JOINEMPTY" {
		t.Errorf("dialplan after the queue: got %q, want QUEUESTATUS=JOINEMPTY", v)
	}
	e.waitAsteriskClean(obs)
}

// stasisq down: Stasis() fails at once and the dialplan takes its fallback
// (STASISSTATUS=FAILED), as asterisk-conf/extensions.conf does.
func TestAsteriskFallbackWhenStasisqIsDown(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	if err := e.main.Close(); err != nil {
		t.Fatal(err)
	}
	obs.call("support", "c01")
	if v := obs.verdict("c01"); len(v) < 3 || v[2] != "FAILED" {
		t.Errorf("dialplan after Stasis: got %q, want STASISSTATUS=FAILED", v)
	}
}

// The agent hangs up first on a queue that continues: the caller goes on in
// the dialplan with QUEUESTATUS=CONTINUE.
func TestAsteriskAgentHangsUpFirstAndTheCallerContinues(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.ContinueOnAgentHangup = true })
	e.MustAgent("alice", "Local/1001@shortcall", "support")
	obs.call("support", "c01")
	e.waitConnected("c01", "alice")
	if v := obs.verdict("c01"); len(v) == 0 || v[0] != "CONTINUE" {
		t.Errorf("dialplan after the call: got %q, want QUEUESTATUS=CONTINUE", v)
	}
	if c, ok := completed(e, "c01"); !ok || c.By != queue.PartyAgent {
		t.Errorf("call completed: got %+v (%v), want ended by the agent", c, ok)
	}
	e.waitAsteriskClean(obs)
}

// A supervisor moves the second caller to the front: it is rung first.
func TestAsteriskSupervisorReorder(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.call("support", "c01")
	e.waitEvent("c01", "caller_joined")
	obs.call("support", "c02")
	e.waitEvent("c02", "caller_joined")
	e.mustDo(queue.Reorder{Queue: "support", Caller: "c02", Position: 1})
	e.mustDo(queue.AgentUnpause{Agent: "alice"})
	e.waitConnected("c02", "alice")
	obs.hangup("c01")
	e.endCall(obs, "c02", "alice")
}

// A supervisor moves a waiting caller to another queue keeping its wait: an
// agent of that queue takes it, and its record says where it went.
func TestAsteriskMoveBetweenQueuesKeepingTheWait(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", nil)
	e.asteriskQueue("sales", nil)
	e.MustAgent("bob", "Local/1002@agents", "sales")
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	e.mustDo(queue.AgentPause{Agent: "bob", Reason: "x"})
	obs.call("support", "c01")
	e.waitEvent("c01", "caller_joined")
	e.mustDo(queue.Move{Caller: "c01", ToQueue: "sales", KeepWait: true})
	e.mustDo(queue.AgentUnpause{Agent: "bob"})
	e.waitConnected("c01", "bob")
	e.endCall(obs, "c01", "bob")
	rec := e.committedCall("c01")
	if rec.Queue != "sales" || len(rec.Moves) != 1 || !rec.Moves[0].KeepWait {
		t.Errorf("call record: got queue %s moves %+v, want moved to sales keeping its wait", rec.Queue, rec.Moves)
	}
}

// An agent working from the console (its HTTP API) pauses, picks a waiting
// caller from a queue that allows it, goes back to the pause after that
// call, and takes the other caller once ready.
func TestAsteriskAgentPicksACaller(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.AllowPick = true })
	e.MustAgent("alice", "Local/1001@agents", "support")
	// Alice works from the console, over its HTTP API, as an agent does.
	const password = "alice-pass-1"
	if err := e.main.DB.SetPassword(e.ctx(), "alice", password); err != nil {
		t.Fatal(err)
	}
	alice := MustConsoleLogin(t, e.main.URL(), "alice", password)
	alice.mustPost("/api/me/pause", map[string]string{"reason": "Break"})
	e.waitAgent("alice", queue.AgentPaused)
	obs.call("support", "c01")
	e.waitEvent("c01", "caller_joined")
	obs.call("support", "c02")
	e.waitEvent("c02", "caller_joined")
	alice.mustPost("/api/me/pick", map[string]string{"caller": "c02"})
	e.waitConnected("c02", "alice")
	obs.hangup("c02")
	e.waitEvent("c02", "call_completed")
	e.waitAgent("alice", queue.AgentPaused) // back to the pause she picked from
	// Unpaused from the console, she takes the caller still waiting.
	alice.mustPost("/api/me/ready", nil)
	e.waitConnected("c01", "alice")
	obs.hangup("c01")
	e.waitAsteriskClean(obs)
}

// Hold music reaches the waiting caller, and once bridged the caller hears
// the agent: the echo agent returns what the caller says (Asterisk's talk
// detection on the caller's own ear).
func TestAsteriskHoldMusicThenAudioPasses(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.call("support", "c01")
	pollUntil(t, waitFor, "hold music heard by the waiting caller", func() (bool, string) {
		return obs.heard("c01") > 0, fmt.Sprint(obs.heard("c01"))
	})
	e.mustDo(queue.AgentUnpause{Agent: "alice"})
	e.waitConnected("c01", "alice")
	// A fresh ear once bridged (the music stopped), then the caller speaks:
	// what comes back is the agent's side of the bridge.
	obs.listenAgain("c01")
	before := obs.heard("c01")
	obs.say("c01", "tt-monkeys")
	pollUntil(t, waitFor, "the caller hears its own voice back through the agent", func() (bool, string) {
		return obs.heard("c01") > before, fmt.Sprintf("heard %d times, %d before speaking", obs.heard("c01"), before)
	})
	e.endCall(obs, "c01", "alice")
}

// Position announcements are played to a waiting caller at their interval,
// one after another: the second starts only once the first has finished.
func TestAsteriskPositionAnnouncements(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) {
		q.AnnouncePosition = "yes"
		q.AnnounceFrequency = time.Second
		q.MinAnnounceFrequency = time.Second
	})
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.call("support", "c01")
	// stasisq asks for the next announcement only once the previous one's
	// PlaybackFinished came: three play requests, none refused, say the
	// first two finished on the real Asterisk.
	pollUntil(t, 20*time.Second, "three announcements played", func() (bool, string) {
		n := metricWith(scrapeMetrics(t, e.main.URL()), "stasisq_ari_request_duration_seconds_count", "/play/{playbackId}")
		return n >= 3, fmt.Sprintf("%v play requests", n)
	})
	if failed := metricWith(scrapeMetrics(t, e.main.URL()), "stasisq_ari_request_errors_total", "/play/{playbackId}"); failed != 0 {
		t.Errorf("play requests refused: %v, want none", failed)
	}
	if heard := obs.heard("c01"); heard == 0 {
		t.Errorf("the caller heard nothing while waiting, want music and announcements")
	}
	obs.hangup("c01")
	e.waitAsteriskClean(obs)
}

// The ARI websocket is cut during a call and the caller hangs up in the
// gap: after the reconnect stasisq finds the call over and records it once;
// the agent is free and nothing is left in Asterisk.
func TestAsteriskWebsocketCutMidCall(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	proxy := mustCutProxy(t, e.ast.HTTPPort)
	if err := e.main.Close(); err != nil {
		t.Fatal(err)
	}
	e.MustRunMain(func(c *Config) { c.ARIURL = proxy.URL() })
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@agents", "support")
	obs.call("support", "c01")
	e.waitConnected("c01", "alice")

	proxy.cut(true)
	e.waitUntil("stasisq notices the cut", func() bool { return !e.main.ARI.Connected() })
	obs.hangup("c01")
	pollUntil(t, waitFor, "the caller gone from Asterisk", func() (bool, string) {
		for _, ch := range obs.channels() {
			if strings.HasPrefix(ch, "c01 ") {
				return false, ch
			}
		}
		return true, ""
	})
	proxy.cut(false)
	e.waitEvent("c01", "call_completed")
	e.waitAgent("alice", queue.AgentAvailable)
	e.waitAsteriskClean(obs)
	n := 0
	for _, k := range e.events.kinds("c01") {
		if k == "call_completed" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("call_completed events: got %d, want exactly one", n)
	}
}

// metricWith sums the samples of metric whose labels contain label.
func metricWith(text, metric, label string) float64 {
	var sum float64
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, metric+"{") || !strings.Contains(line, label) {
			continue
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// After an announcement the waiting caller hears hold music again: on a
// real Asterisk 22 a playback ends the channel's music for good, so the
// call flow restarts it.
func TestAsteriskHoldMusicComesBackAfterAnAnnouncement(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) {
		q.AnnouncePosition = "yes"
		q.AnnounceFrequency = 20 * time.Second
		q.MinAnnounceFrequency = 20 * time.Second
	})
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.call("support", "c01")
	// The first playback stasisq starts (no bridge made yet: its first id).
	first := "sqp-" + e.main.App.RunTag() + "-00000001"
	pollUntil(t, 20*time.Second, "the first announcement played", func() (bool, string) {
		_, err := obs.ari.GetPlayback(e.ctx(), first)
		return err == nil, fmt.Sprint(err)
	})
	pollUntil(t, 10*time.Second, "the first announcement over", func() (bool, string) {
		_, err := obs.ari.GetPlayback(e.ctx(), first)
		return errors.Is(err, ari.ErrNotFound), fmt.Sprint(err)
	})
	// The next one is twenty seconds after the first's start.
	obs.listenAgain("c01")
	before := obs.heard("c01")
	pollUntil(t, 2*time.Second, "music between the announcements", func() (bool, string) {
		return obs.heard("c01") > before, "silence"
	})
	obs.hangup("c01")
	e.waitAsteriskClean(obs)
}

// asteriskPJSIP is a pjsip.conf with one desk phone, 1001, that registers.
const asteriskPJSIP = `[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:@SIP_PORT@

[1001]
type = endpoint
context = agents
disallow = all
allow = ulaw
direct_media = no
auth = 1001
aors = 1001

[1001]
type = auth
auth_type = userpass
username = 1001
password = phone-1001

[1001]
type = aor
max_contacts = 1
remove_existing = yes
`

// A SIP agent: a real desk phone (SIPp) registered to PJSIP is rung over
// ARI and answers; the call is bridged and ends cleanly.
func TestAsteriskSIPAgent(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, map[string]string{"pjsip.conf": asteriskPJSIP})
	mustRegisterPhone(t, e.ast, "1001", "phone-1001")
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "PJSIP/1001", "support")
	obs.call("support", "c01")
	e.waitConnected("c01", "alice")
	e.endCall(obs, "c01", "alice")
}

// An agent whose PJSIP phone is not registered is not rung (Asterisk says
// its device is unavailable); the registered one takes the call.
func TestAsteriskUnregisteredPhoneIsSkipped(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, map[string]string{"pjsip.conf": asteriskPJSIP + `
[1002]
type = endpoint
context = agents
disallow = all
allow = ulaw
aors = 1002

[1002]
type = aor
max_contacts = 1
`})
	mustRegisterPhone(t, e.ast, "1001", "phone-1001")
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.Linear })
	e.MustAgent("bob", "PJSIP/1002", "support")
	e.MustAgent("alice", "PJSIP/1001", "support")
	// A new agent's phone state comes from Asterisk a moment after the
	// agent is added (in one CI run the caller came first and bob was
	// rung): the caller comes once it has.
	e.waitUntil("bob's phone known to be unavailable", func() bool {
		for _, ev := range e.events.all() {
			if d, ok := ev.(queue.AgentDeviceChanged); ok && d.Agent == "bob" && d.State == queue.DeviceUnavailable {
				return true
			}
		}
		return false
	})
	obs.call("support", "c01")
	e.waitConnected("c01", "alice")
	for _, ev := range e.events.all() {
		if o, ok := ev.(queue.OfferStarted); ok && o.Agent == "bob" {
			t.Errorf("bob's unregistered phone was rung (%+v)", o)
		}
	}
	e.endCall(obs, "c01", "alice")
}

// The exit key: a waiting caller presses 0 and goes back to the dialplan
// with QUEUESTATUS=EXITWITHKEY and QUEUEEXITKEY=0; a key that is not an
// exit key changes nothing.
func TestAsteriskExitKey(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.ExitKeys = "0" })
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.call("support", "c01")
	obs.waitAnswered("c01")
	obs.press("c01", "5")
	time.Sleep(300 * time.Millisecond)
	if _, n := leftReason(e, "c01"); n != 0 {
		t.Fatalf("the caller left on a key that is not an exit key")
	}
	obs.press("c01", "0")
	if v := obs.verdict("c01"); len(v) < 2 || v[0] != "EXITWITHKEY" || v[1] != "0" {
		t.Errorf("dialplan after the queue: got %q, want QUEUESTATUS=EXITWITHKEY, QUEUEEXITKEY=0", v)
	}
	e.waitAsteriskClean(obs)
}

// A SIP caller: SIPp dials support through PJSIP, is queued, answered by
// the echo agent, and hangs up.
func TestAsteriskSIPCaller(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, map[string]string{"pjsip.conf": asteriskPJSIP + `
; unauthenticated callers (SIPp's uac) land in the callers' context
[anonymous]
type = endpoint
context = callers
disallow = all
allow = ulaw
direct_media = no
`})
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@agents", "support")
	uac := sipp(t, e.ast, "-sn", "uac", "-s", "support", "-m", "1", "-d", "3000", "-timeout", "20s", "-timeout_error",
		"-p", strconv.Itoa(freeUDPPort(t)))
	out, err := uac.CombinedOutput()
	if err != nil {
		t.Fatalf("SIPp caller: %v\n%s", err, out)
	}
	var caller queue.CallerID
	for _, ev := range e.events.all() {
		if j, ok := ev.(queue.CallerJoined); ok {
			caller = j.Caller
		}
	}
	if caller == "" {
		t.Fatal("the SIP caller never joined the queue")
	}
	if got := connectedAgent(e, caller); got != "alice" {
		t.Errorf("the SIP caller was connected to %q, want alice", got)
	}
	e.waitEvent(caller, "call_completed")
	if c, _ := completed(e, caller); c.By != queue.PartyCaller {
		t.Errorf("call completed by %s, want the caller (SIPp's BYE)", c.By)
	}
	e.waitAgent("alice", queue.AgentAvailable)
	e.waitAsteriskClean(obs)
}

// The hold-time announcement: after a first caller waited two seconds for
// its agent, the second of two callers waiting is told its expected wait
// (rounded to 5 s: "30 seconds", app_queue's rounding) after its position
// (the first hears it is next, and no hold time: say_position's posout),
// and every prompt of it plays to the end on the real Asterisk.
func TestAsteriskHoldTimeAnnouncement(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) {
		q.AnnouncePosition = "yes"
		q.AnnounceHoldTime = "yes"
		q.AnnounceRoundSeconds = 5
		q.AnnounceFrequency = 2 * time.Second
		q.MinAnnounceFrequency = 2 * time.Second
	})
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.call("support", "c00")
	obs.waitAnswered("c00")
	time.Sleep(2 * time.Second)
	e.mustDo(queue.AgentUnpause{Agent: "alice"})
	e.waitConnected("c00", "alice")
	e.endCall(obs, "c00", "alice")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})

	obs.call("support", "c01")
	obs.waitAnswered("c01")
	obs.call("support", "c02")
	pollUntil(t, 20*time.Second, "the hold time announced to c02 and played to the end", func() (bool, string) {
		var media []string
		var finished bool
		for _, ev := range e.ari.all() {
			switch p := ev.(type) {
			case *ari.PlaybackStarted:
				if p.Playback.TargetURI == "channel:c02" {
					media = append(media, p.Playback.MediaURI)
				}
			case *ari.PlaybackContinuing:
				if p.Playback.TargetURI == "channel:c02" {
					media = append(media, p.Playback.MediaURI)
				}
			case *ari.PlaybackFinished:
				finished = finished || p.Playback.TargetURI == "channel:c02" && slices.Contains(media, "sound:queue-seconds")
			}
		}
		// PlaybackContinuing names the media just played, then the next
		// event names it again: one entry per media.
		media = slices.Compact(media)
		want := []string{"sound:queue-holdtime", "number:30", "sound:queue-seconds"}
		i := slices.Index(media, want[0])
		return i >= 0 && len(media) >= i+3 && slices.Equal(media[i:i+3], want) && finished, fmt.Sprint(media)
	})
	obs.hangup("c01")
	obs.hangup("c02")
	e.waitAsteriskClean(obs)
}

// A supervisor redirects a waiting caller from the console's HTTP API: not
// before the admin has listed where to, never off the list (a redirect to
// an outbound context is toll fraud), and on the list the caller leaves the
// queue and goes on in that context and extension, QUEUESTATUS=WITHDRAW.
func TestAsteriskSupervisorRedirect(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, map[string]string{"extensions.conf": asteriskDialplan + `
[redirected]
exten => _X.,1,Stasis(observer,done,${QUEUESTATUS},redirected,${EXTEN})
 same => n,Hangup()

[outbound]
exten => _X.,1,Stasis(observer,done,${QUEUESTATUS},outbound,${EXTEN})
 same => n,Hangup()
`})
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	for _, u := range []queue.User{{ID: "sue", Name: "Sue", Role: queue.RoleSupervisor}, {ID: "ada", Name: "Ada", Role: queue.RoleAdmin}} {
		if err := e.main.DB.PutUser(e.ctx(), u, u.ID+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	sue := MustConsoleLogin(t, e.main.URL(), "sue", "sue-password")
	ada := MustConsoleLogin(t, e.main.URL(), "ada", "ada-password")
	obs.call("support", "c01")
	e.waitEvent("c01", "caller_joined")

	redirect := func(target string, want int) {
		t.Helper()
		sue.mustDo(http.MethodPost, "/api/callers/c01/redirect", map[string]string{"target": target}, want, nil)
	}
	redirect("redirected,2000,1", http.StatusForbidden) // no list yet
	ada.mustDo(http.MethodPut, "/api/admin/redirect-targets", map[string][]string{"targets": {"redirected,_2XXX"}}, http.StatusOK, nil)
	redirect("outbound,900123456,1", http.StatusForbidden)
	redirect("redirected,3000,1", http.StatusForbidden)
	if _, n := leftReason(e, "c01"); n != 0 {
		t.Fatalf("a refused redirect took the caller out of the queue")
	}
	redirect("redirected,2000,1", http.StatusNoContent)
	if v := obs.verdict("c01"); len(v) < 3 || v[0] != "WITHDRAW" || v[1] != "redirected" || v[2] != "2000" {
		t.Fatalf("dialplan after the redirect: got %q, want WITHDRAW in redirected at 2000", v)
	}
	if left, _ := leftReason(e, "c01"); left.Reason != queue.LeftContinued {
		t.Errorf("the caller left the queue as %q, want %q", left.Reason, queue.LeftContinued)
	}
	e.waitAsteriskClean(obs)
}

// app_queue's announce and reportholdtime on a real Asterisk: the agent who
// answers hears the queue's announcement and the caller's wait to the end
// (the playback on the agent's channel finishes), and only then does the
// caller enter the bridge with the agent.
func TestAsteriskAnnounceToAgent(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", func(q *queue.QueueConfig) {
		q.Announce = "beep"
		q.ReportHoldTime = true
	})
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.call("support", "c01")
	obs.waitAnswered("c01")
	time.Sleep(3 * time.Second)
	e.mustDo(queue.AgentUnpause{Agent: "alice"})
	e.waitConnected("c01", "alice")
	pollUntil(t, 20*time.Second, "the agent told the caller's wait, then bridged", func() (bool, string) {
		var media []string
		target, finishedAt, bridgedAt := "", -1, -1
		for i, ev := range e.ari.all() {
			switch p := ev.(type) {
			case *ari.PlaybackStarted:
				if p.Playback.TargetURI != "channel:c01" && target == "" && p.Playback.MediaURI == "sound:beep" {
					target = p.Playback.TargetURI
				}
				if p.Playback.TargetURI == target {
					media = append(media, p.Playback.MediaURI)
				}
			case *ari.PlaybackContinuing:
				if p.Playback.TargetURI == target {
					media = append(media, p.Playback.MediaURI)
				}
			case *ari.PlaybackFinished:
				if p.Playback.TargetURI == target && finishedAt < 0 {
					finishedAt = i
				}
			case *ari.ChannelEnteredBridge:
				if p.Channel.ID == "c01" && bridgedAt < 0 && strings.Contains(p.Bridge.Name, "-call") {
					bridgedAt = i
				}
			}
		}
		media = slices.Compact(media)
		// Waited 3 s or a little more: queue-reporthold, then the seconds.
		ok := len(media) >= 4 && slices.Equal(media[:2], []string{"sound:beep", "sound:queue-reporthold"}) &&
			strings.HasPrefix(media[2], "number:") && media[3] == "sound:queue-seconds"
		return ok && finishedAt >= 0 && bridgedAt > finishedAt,
			fmt.Sprintf("agent channel %s heard %v; finished at event %d, caller bridged at %d", target, media, finishedAt, bridgedAt)
	})
	e.endCall(obs, "c01", "alice")
}

// timeoutrestart on a real Asterisk: alice's phone rings for two seconds
// and then answers busy; bob, rung at once, rings for what is left of the
// 4 s attempt (app_queue's default) or, with timeoutrestart, for 4 s.
func TestAsteriskTimeoutRestart(t *testing.T) {
	const slowBusy = "\n[slowbusy]\nexten => _X.,1,Ringing()\n same => n,Wait(2)\n same => n,Busy(10)\n"
	for _, tc := range []struct {
		name     string
		restart  bool
		min, max time.Duration // bob's ring
	}{
		{"rest_of_the_attempt", false, 1200 * time.Millisecond, 3 * time.Second},
		{"timeoutrestart", true, 3500 * time.Millisecond, 5500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, obs := MustStartAsteriskEnv(t, map[string]string{"extensions.conf": asteriskDialplan + slowBusy})
			e.asteriskQueue("support", func(q *queue.QueueConfig) {
				q.Strategy = queue.Linear
				q.Timeout = 4 * time.Second
				q.TimeoutRestart = tc.restart
			})
			e.MustAgent("alice", "Local/1001@slowbusy", "support")
			e.MustAgent("bob", "Local/1002@noanswer", "support")
			obs.call("support", "c01")
			var offers []queue.OfferEnded
			pollUntil(t, 20*time.Second, "alice busy, then bob unanswered", func() (bool, string) {
				offers = offersOf(e, "c01")
				return len(offers) >= 2, fmt.Sprint(offerResults(e, "c01"))
			})
			if got := offerResults(e, "c01")[:2]; !slices.Equal(got, []string{"alice=busy", "bob=noanswer"}) {
				t.Fatalf("offers: got %v, want alice busy, then bob unanswered", got)
			}
			t.Logf("alice busy after %s, bob rang %s", offers[0].RingTime, offers[1].RingTime)
			if rt := offers[1].RingTime; rt < tc.min || rt > tc.max {
				t.Errorf("bob rang for %s after alice's busy at %s, want %s to %s", rt, offers[0].RingTime, tc.min, tc.max)
			}
			obs.hangup("c01")
			e.waitAsteriskClean(obs)
		})
	}
}

// A caller the dialplan answered before Stasis() (Answer() first, as most
// dialplans do): stasisq sends no answer request of its own (one REST call
// less per call), and the caller still hears hold music and is put
// through.
func TestAsteriskCallerAnsweredByTheDialplan(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, map[string]string{"extensions.conf": asteriskDialplan + `
[answered]
exten => _[a-z].,1,Answer()
 same => n,Stasis(stasisq,${EXTEN})
 same => n,Hangup()
`})
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.dial("Local/support@answered", "c01")
	pollUntil(t, waitFor, "hold music heard by the answered caller", func() (bool, string) {
		return obs.heard("c01") > 0, fmt.Sprint(obs.heard("c01"))
	})
	e.mustDo(queue.AgentUnpause{Agent: "alice"})
	e.waitConnected("c01", "alice")
	e.endCall(obs, "c01", "alice")
	if n := answerRequests(t, e); n != 0 {
		t.Errorf("answer requests sent for a caller already answered: %d, want 0", n)
	}
}

// The two parts of a ring's latency an operator reads in /metrics: how
// late Asterisk delivered its events (by their own timestamps) and how long
// stasisq took from the input behind a ring to its originate. One call
// on a quiet Asterisk on this host: both counted, both well under a second;
// and no subscription request refused.
func TestAsteriskRingLatencyMetrics(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@agents", "support")
	obs.call("support", "c01")
	e.waitConnected("c01", "alice")
	e.endCall(obs, "c01", "alice")
	text := scrapeMetrics(t, e.main.URL())
	for _, m := range []struct {
		name      string
		atLeast   float64
		meanUnder float64
	}{
		// StasisStart, Dial, StasisEnd, ChannelDestroyed of both legs at least.
		{"stasisq_ari_event_delay_seconds", 4, 0.5},
		{"stasisq_ring_dispatch_seconds", 1, 0.5},
	} {
		n, _ := promSum(text, m.name+"_count")
		sum, _ := promSum(text, m.name+"_sum")
		if n < m.atLeast || sum/n >= m.meanUnder {
			t.Errorf("%s: %v observed, %v s in all; want at least %v, a mean under %v s", m.name, n, sum, m.atLeast, m.meanUnder)
		}
	}
	// Starting asks Asterisk nothing it refuses: the subscription to every
	// device state is undone only when the application lists one (asked
	// blindly, Asterisk 22 answers 422 "Event source was not subscribed to").
	if failed := metricWith(text, "stasisq_ari_request_errors_total", "/subscription"); failed != 0 {
		t.Errorf("%v failed subscription requests on /metrics, want none", failed)
	}
}

// answerRequests is how many POST /channels/{id}/answer stasisq sent, from
// its /metrics.
func answerRequests(t *testing.T, e *testEnv) int {
	t.Helper()
	resp, err := http.Get(e.main.URL() + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read /metrics: %v", err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "stasisq_ari_request_duration_seconds_count{") && strings.Contains(line, `route="POST /channels/{channelId}/answer"`) {
			f := strings.Fields(line)
			n, err := strconv.Atoi(f[len(f)-1])
			if err != nil {
				t.Fatalf("/metrics line %q: %v", line, err)
			}
			return n
		}
	}
	return 0
}
