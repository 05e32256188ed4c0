package aritest

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

// These transcripts came without a REST log: the requests below are the ones
// their README entries describe.

func TestScenarioAgentBusy(t *testing.T) {
	want := loadEvents(t, "agent-busy")
	s := MustServer(t, Options{})
	s.SetDevice("Local/2001@agents-busy", DeviceBehavior{Action: Busy})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	status, body := rc.do("POST", "/ari/channels?endpoint=Local/2001@agents-busy&app=queueapp&appArgs=agent,2001&channelId=agent-busy-1&timeout=15", nil)
	if status != 200 {
		t.Fatalf("originate: got=%d %s, want 200", status, body)
	}
	got := es.waitCount(len(want), 10*time.Second)
	compareEvents(t, want, settle(es, got))
}

func TestScenarioAgentNoAnswer(t *testing.T) {
	want := loadEvents(t, "agent-noanswer")
	s := MustServer(t, Options{})
	s.SetDevice("Local/2001@agents-noanswer", DeviceBehavior{Action: NoAnswer})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	start := time.Now()
	status, body := rc.do("POST", "/ari/channels?endpoint=Local/2001@agents-noanswer&app=queueapp&appArgs=agent,2001&channelId=agent-noanswer-1&timeout=1", nil)
	if status != 200 {
		t.Fatalf("originate: got=%d %s, want 200", status, body)
	}
	got := settle(es, es.waitCount(len(want), 10*time.Second))
	if d := time.Since(start); d < time.Second {
		t.Errorf("gave up after %v, want the 1 s originate timeout", d)
	}
	if len(got) != len(want) {
		t.Fatalf("got=%d events %v, want %d", len(got), eventTypes(got), len(want))
	}
	// Events 3 and 4 (Dial RINGING for the ;1 half, ChannelDialplan Wait for
	// the ;2 half) race in Asterisk: the ;2 half's dialplan goes on to Wait()
	// on its own thread while the originating thread reports the ringing it
	// read from the ;1 half. This recording has Dial RINGING first;
	// agent-rejects.jsonl (lines 6-7), caller-abandons-while-agent-rings.jsonl
	// (9-10) and ringall-two-agents.jsonl (9-10 and 16-17), recorded with the
	// same Ringing()/Wait() dialplan, have Wait first. Only that pair may
	// come in either order.
	compareEvents(t, want, inEitherOrder(t, want, got, 3, 5))
	for _, e := range got {
		if m := mustJSON(t, e); m["type"] == "Dial" && m["dialstatus"] == "NOANSWER" {
			t.Errorf("got a Dial NOANSWER on timeout, want only ChannelDestroyed cause 19")
		}
	}
}

func TestScenarioPJSIPAgent(t *testing.T) {
	want := loadEvents(t, "pjsip-agent-originate")
	s := MustServer(t, Options{})
	s.SetDevice("PJSIP/agent-sip", DeviceBehavior{Action: Answer, After: 20 * time.Millisecond})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	status, body := rc.do("POST", "/ari/channels?endpoint=PJSIP/agent-sip&app=queueapp&appArgs=agent,sip&channelId=agent-sip-test-1&timeout=15", nil)
	if status != 200 {
		t.Fatalf("originate: got=%d %s, want 200", status, body)
	}
	es.waitFor(0, 10*time.Second, isType("StasisStart"))
	if st := s.DeviceStateOf("PJSIP/agent-sip"); st != "INUSE" {
		t.Errorf("device state: got=%s, want INUSE", st)
	}
	if status, body := rc.do("DELETE", "/ari/channels/agent-sip-test-1?reason=normal", nil); status != 204 {
		t.Fatalf("hangup: got=%d %s, want 204", status, body)
	}
	got := es.waitCount(len(want), 10*time.Second)
	compareEvents(t, want, settle(es, got))
	if st := s.DeviceStateOf("PJSIP/agent-sip"); st != "NOT_INUSE" {
		t.Errorf("device state after hangup: got=%s, want NOT_INUSE", st)
	}
}

func TestScenarioBridgeMove(t *testing.T) {
	want := loadEvents(t, "bridge-move")
	s := MustServer(t, Options{PlaybackDuration: func(string) time.Duration { return 30 * time.Millisecond }})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	call, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"101"}, Number: "5551234", Name: "Test Caller"})
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	id := url.PathEscape(call.ID())
	steps := []struct{ method, path string }{
		{"POST", "/ari/bridges/hold-1?type=holding"},
		{"POST", "/ari/bridges/mix-1?type=mixing"},
		{"POST", "/ari/applications/queueapp/subscription?eventSource=bridge:mix-1"},
		{"POST", "/ari/bridges/hold-1/addChannel?channel=" + id},
		{"POST", "/ari/bridges/mix-1/addChannel?channel=" + id},
		{"POST", "/ari/channels/" + id + "/play?media=sound:queue-thankyou"},
	}
	for _, st := range steps {
		if status, body := rc.do(st.method, st.path, nil); status >= 300 {
			t.Fatalf("%s %s: got=%d %s", st.method, st.path, status, body)
		}
	}
	es.waitFor(0, 10*time.Second, isType("PlaybackFinished"))
	call.Hangup()
	<-call.Done()
	for _, p := range []string{"/ari/bridges/mix-1", "/ari/bridges/hold-1"} {
		if status, body := rc.do("DELETE", p, nil); status != 204 {
			t.Fatalf("DELETE %s: got=%d %s, want 204", p, status, body)
		}
	}
	got := es.waitCount(len(want), 10*time.Second)
	compareEvents(t, want, settle(es, got))
	if r := call.Result(); !r.HungUp || r.Continued {
		t.Errorf("result: got=%+v, want hung up", r)
	}
}

func TestScenarioStasisStartTwice(t *testing.T) {
	want := loadEvents(t, "stasisstart-demo")
	s := MustServer(t, Options{})
	s.SetStasisContext("from-callers", "queueapp")
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	status, body := rc.do("POST", "/ari/channels?endpoint=Local/100@from-callers&context=from-callers&extension=100&callerId=5551234", nil)
	if status != 200 {
		t.Fatalf("originate: got=%d %s, want 200", status, body)
	}
	phone := mustJSON(t, body)["id"].(string)
	_, start := es.waitFor(0, 10*time.Second, isType("StasisStart"))
	half := start["channel"].(map[string]any)["id"].(string)
	if status, _ := rc.do("POST", "/ari/channels/"+half+"/answer", nil); status != 204 {
		t.Fatalf("answer: got=%d, want 204", status)
	}
	es.waitFor(0, 10*time.Second, isTypeOn("StasisStart", phone))
	if status, _ := rc.do("DELETE", "/ari/channels/"+phone, nil); status != 204 {
		t.Fatalf("hangup: got=%d, want 204", status)
	}
	got := es.waitCount(len(want), 10*time.Second)
	compareEvents(t, want, settle(es, got))
}

// settle lets events that should not come show up before a comparison.
func settle(es *eventSocket, got []json.RawMessage) []json.RawMessage {
	time.Sleep(100 * time.Millisecond)
	return es.snapshot()
}
