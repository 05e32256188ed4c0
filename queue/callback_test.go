package queue

import (
	"strings"
	"testing"
	"time"
)

func TestParseHours(t *testing.T) {
	mon := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) // a Monday
	at := func(day int, hhmm string) time.Time {
		d, _ := time.ParseDuration(strings.Replace(hhmm, ":", "h", 1) + "m")
		return mon.AddDate(0, 0, day).Add(d)
	}
	tests := []struct {
		spec    string
		open    []time.Time
		closed  []time.Time
		wantErr string
	}{
		{spec: "", open: []time.Time{at(0, "03:00"), at(6, "23:59")}},
		{spec: "mon-fri 08:00-18:00; sat 09:00-13:00",
			open:   []time.Time{at(0, "08:00"), at(4, "17:59"), at(5, "09:30")},
			closed: []time.Time{at(0, "07:59"), at(0, "18:00"), at(5, "13:00"), at(6, "10:00")}},
		{spec: "fri-mon 20:00-24:00", open: []time.Time{at(4, "21:00"), at(6, "23:00"), at(0, "20:00")}, closed: []time.Time{at(1, "21:00")}},
		{spec: "MON,wed 10:00-11:00", open: []time.Time{at(2, "10:30")}, closed: []time.Time{at(1, "10:30")}},
		{spec: "mon 18:00-08:00", wantErr: "end after the start"},
		{spec: "funday 08:00-09:00", wantErr: "days are"},
		{spec: "mon-fri", wantErr: "want days and hours"},
		{spec: "mon 8-9", wantErr: "HH:MM"},
		{spec: "mon 25:00-26:00", wantErr: "HH:MM"},
	}
	for _, tt := range tests {
		h, err := ParseHours(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v, want one saying %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.spec, err)
		}
		for _, o := range tt.open {
			if !h.Open(o) {
				t.Errorf("%q: closed at %s, want open", tt.spec, o.Format("Mon 15:04"))
			}
		}
		for _, c := range tt.closed {
			if h.Open(c) {
				t.Errorf("%q: open at %s, want closed", tt.spec, c.Format("Mon 15:04"))
			}
		}
	}
}

func TestValidateCallback(t *testing.T) {
	ok := DefaultQueueConfig("q")
	ok.CallbackMode, ok.CallbackDial = CallbackAgentFirst, "PJSIP/{number}@trunk"
	ok.Sounds = map[string]string{SoundCallbackOffer: "custom/press-1-to-be-called-back", SoundCallbackScheduled: ""}
	if err := ValidateQueue(ok); err != nil {
		t.Fatalf("a good callback queue: %v", err)
	}
	for _, tt := range []struct {
		edit  func(*QueueConfig)
		field string
	}{
		{func(q *QueueConfig) { q.CallbackMode = "sometimes" }, "callback_mode"},
		{func(q *QueueConfig) { q.CallbackDial = "PJSIP/trunk" }, "callback_dial"},
		{func(q *QueueConfig) { q.CallbackDigit = "12" }, "callback_digit"},
		{func(q *QueueConfig) { q.ExitKeys = "01" }, "callback_digit"}, // 1 is the callback's key
		{func(q *QueueConfig) { q.CallbackAttempts = 11 }, "callback_attempts"},
		{func(q *QueueConfig) { q.CallbackRetry = -time.Second }, "callback_retry"},
		{func(q *QueueConfig) { q.CallbackRingTimeout = time.Hour }, "callback_ring_timeout"},
		{func(q *QueueConfig) { q.CallbackHours = "someday 9-5" }, "callback_hours"},
		{func(q *QueueConfig) { q.Sounds = map[string]string{"callback-ofer": "x"} }, "sounds"},
	} {
		q := ok
		tt.edit(&q)
		err := ValidateQueue(q)
		if err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: got %v, want an error on it", tt.field, err)
		}
	}
}

// The callback is offered only within its hours and when the expected
// wait is long enough; the key does nothing otherwise.
func TestCallbackOfferedByHoursAndWait(t *testing.T) {
	q := DefaultQueueConfig("q")
	q.CallbackMode, q.CallbackDial = CallbackCustomerFirst, "Local/{number}@out"
	q.CallbackHours = "mon-fri 08:00-18:00" // t0 is Monday 09:00 UTC
	q.CallbackMinWait = time.Minute
	h := MustHarness(t, []QueueConfig{q}, nil)
	h.do(CallerJoin{Caller: "c1", Queue: "q", Number: "5551234", JoinedAt: h.now})
	if effs := h.do(CallerDTMF{Caller: "c1", Digit: "1"}); len(effs) != 0 {
		t.Errorf("expected wait 0 of the 1 min needed: the key gave %v, want nothing", effs)
	}
	q.CallbackMinWait = 0
	q.CallbackHours = "sat-sun 08:00-18:00"
	h.do(ConfigureQueue{Config: q})
	if effs := h.do(CallerDTMF{Caller: "c1", Digit: "1"}); len(effs) != 0 {
		t.Errorf("out of hours: the key gave %v, want nothing", effs)
	}
	q.CallbackHours = ""
	h.do(ConfigureQueue{Config: q})
	if effs := h.do(CallerDTMF{Caller: "c1", Digit: "1"}); len(effs) != 2 {
		t.Errorf("offered: the key gave %v, want the number read back", effs)
	}
}

// A callback moved to a queue that offers none keeps the terms it was
// accepted on: its first queue's mode and dial string.
func TestCallbackMovedKeepsItsTerms(t *testing.T) {
	sales := DefaultQueueConfig("sales")
	sales.CallbackMode, sales.CallbackDial, sales.CallbackCallerID = CallbackCustomerFirst, "PJSIP/{number}@trunk", "Sales <100>"
	plain := DefaultQueueConfig("plain")
	h := MustHarness(t, []QueueConfig{sales, plain}, []AgentConfig{{ID: "a1", Device: "PJSIP/a1", Queues: []Membership{{Queue: "plain"}}}})
	h.do(CallerJoin{Caller: "c1", Queue: "sales", Number: "5551234", JoinedAt: h.now})
	h.do(CallerDTMF{Caller: "c1", Digit: "1"})
	h.do(CallerDTMF{Caller: "c1", Digit: "1"})
	h.do(AnnouncementDone{Caller: "c1"})
	h.do(Move{Caller: "c1", ToQueue: "plain", KeepWait: true})
	var dial *DialCallback
	for _, e := range h.do(AgentLogin{Agent: "a1"}) {
		if d, ok := e.(DialCallback); ok {
			dial = &d
		}
	}
	if dial == nil || dial.Endpoint != "PJSIP/5551234@trunk" || dial.CallerID != "Sales <100>" || dial.Offer != "" {
		t.Fatalf("a1 free for the moved callback: %+v, want the customer dialled first on sales' trunk", dial)
	}
}

// A supervisor removes a callback like any caller: holding its place, or
// while its customer is being dialled (the flow hangs that leg up).
func TestCallbackRemovedBySupervisor(t *testing.T) {
	q := DefaultQueueConfig("q")
	q.CallbackMode, q.CallbackDial = CallbackCustomerFirst, "Local/{number}@out"
	h := MustHarness(t, []QueueConfig{q}, []AgentConfig{{ID: "a1", Device: "PJSIP/a1", Queues: []Membership{{Queue: "q"}}}})
	ask := func(id CallerID) {
		h.do(CallerJoin{Caller: id, Queue: "q", Number: "555" + string(id), JoinedAt: h.now})
		h.do(CallerDTMF{Caller: id, Digit: "1"})
		h.do(CallerDTMF{Caller: id, Digit: "1"})
		h.do(AnnouncementDone{Caller: id})
	}
	ask("c1")
	ask("c2")
	left := func(effs []Effect, id CallerID) bool {
		var gone, hungUp bool
		for _, e := range effs {
			switch e := e.(type) {
			case CallerLeft:
				gone = gone || (e.Caller == id && e.Reason == LeftHungUp)
			case HangupCaller:
				hungUp = hungUp || e.Caller == id
			}
		}
		return gone && hungUp
	}
	if effs := h.do(Remove{Caller: "c2", Reason: LeftHungUp}); !left(effs, "c2") {
		t.Errorf("removing the waiting callback c2: %v, want it gone (CallerLeft hungup, HangupCaller)", effs)
	}
	effs := h.do(AgentLogin{Agent: "a1"})
	if v, ok := h.e.Caller("c1"); !ok || v.Callback != "dialing" {
		t.Fatalf("a1 free: %v; c1 %+v, want its customer dialled", effs, v)
	}
	if effs := h.do(Remove{Caller: "c1", Reason: LeftHungUp}); !left(effs, "c1") {
		t.Errorf("removing c1 while its customer rings: %v, want it gone and its leg hung up", effs)
	}
	if err := h.doErr(CallbackAnswered{Caller: "c1"}); err == nil {
		t.Errorf("the customer of a removed callback answering: no error, want the engine to refuse it")
	}
}

// Agent first, the agent hangs up while its customer is being dialled: the
// customer's leg is hung up and the callback is back in its place for the
// next agent, who is rung for it at once.
func TestCallbackAgentHangsUpWhileDialling(t *testing.T) {
	q := DefaultQueueConfig("q")
	q.CallbackMode, q.CallbackDial = CallbackAgentFirst, "Local/{number}@out"
	h := MustHarness(t, []QueueConfig{q}, []AgentConfig{
		{ID: "a1", Device: "PJSIP/a1", Queues: []Membership{{Queue: "q"}}},
		{ID: "a2", Device: "PJSIP/a2", Queues: []Membership{{Queue: "q"}}},
	})
	h.do(CallerJoin{Caller: "c1", Queue: "q", Number: "5551234", JoinedAt: h.now})
	h.do(CallerDTMF{Caller: "c1", Digit: "1"})
	h.do(CallerDTMF{Caller: "c1", Digit: "1"})
	h.do(AnnouncementDone{Caller: "c1"})
	h.do(AgentLogin{Agent: "a1"})
	h.answer("a1")
	if v, _ := h.e.Caller("c1"); v.Callback != "dialing" {
		t.Fatalf("c1 after a1 answered: %+v, want its customer dialled", v)
	}
	h.do(AgentLogin{Agent: "a2"}) // free, but c1 is being dialled
	effs := h.do(CallEnded{Caller: "c1", By: PartyAgent})
	var hungUp, rang bool
	for _, e := range effs {
		switch e := e.(type) {
		case HangupCaller:
			hungUp = hungUp || e.Caller == "c1"
		case RingAgent:
			rang = rang || (e.Caller == "c1" && e.Callback)
		}
	}
	if !hungUp || !rang {
		t.Errorf("a1 hung up while c1's customer rang: %v; want the customer's leg hung up and another agent rung for the callback", effs)
	}
	if st := h.state("a1"); st == AgentOnCall {
		t.Errorf("a1 after hanging up: %s, want it off the call (ringall rings it again)", st)
	}
}

// Customer first, the end of the connecting prompt never reported: the
// customer is rung to the agent after connectPromptFallback, not left off
// the agents for announceDoneFallback's minutes.
func TestCallbackConnectPromptReportLost(t *testing.T) {
	q := DefaultQueueConfig("q")
	q.CallbackMode, q.CallbackDial = CallbackCustomerFirst, "Local/{number}@out"
	h := MustHarness(t, []QueueConfig{q}, []AgentConfig{{ID: "a1", Device: "PJSIP/a1", Queues: []Membership{{Queue: "q"}}}})
	h.do(CallerJoin{Caller: "c1", Queue: "q", Number: "5551234", JoinedAt: h.now})
	h.do(CallerDTMF{Caller: "c1", Digit: "1"})
	h.do(CallerDTMF{Caller: "c1", Digit: "1"})
	h.do(AnnouncementDone{Caller: "c1"})
	h.do(AgentLogin{Agent: "a1"})
	if effs := h.do(CallbackAnswered{Caller: "c1"}); h.state("a1") != AgentAvailable {
		t.Fatalf("the customer answered: %v; a1 %s, want a1 left free while the prompt plays", effs, h.state("a1"))
	}
	if effs := h.advance(connectPromptFallback - time.Second); h.state("a1") != AgentAvailable {
		t.Fatalf("%v before the fallback: %v; a1 %s, want still free", connectPromptFallback-time.Second, effs, h.state("a1"))
	}
	h.advance(time.Second)
	h.wantState("a1", AgentRinging)
}
