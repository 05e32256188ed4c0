package queue

import (
	"strings"
	"testing"
	"time"
)

func TestCallFlow(t *testing.T) {
	t.Run("join_with_free_agent_rings_it_at_once", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		effs := h.join("c1", "q")
		wantKinds(t, effs, "CallerJoined QueueOrderChanged OfferStarted AgentStateChanged(ringing) Accept RingAgent")
		r := ofType[RingAgent](effs)[0]
		if r.Device != "PJSIP/1001" || r.Timeout != 15*time.Second || r.Number != "555c1" || r.Queue != "q" {
			t.Fatalf("got ring=%+v, want device PJSIP/1001, 15s, number 555c1", r)
		}
		if !strings.HasPrefix(string(r.Offer), "t-") || len(r.Offer) != len("t-")+offerDigits {
			t.Fatalf("got offer id=%q, want prefix t- and %d digits", r.Offer, offerDigits)
		}
	})
	t.Run("answer_connects_and_caller_leaves_queue", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.now = h.now.Add(3 * time.Second)
		effs := h.answer("a1")
		wantKinds(t, effs, "OfferEnded(answered) CallerLeft(answered) QueueOrderChanged CallConnected AgentStateChanged(on-call) Connect")
		cc := ofType[CallConnected](effs)[0]
		if cc.Wait != 3*time.Second || cc.RingTime != 3*time.Second || cc.Position != 1 {
			t.Fatalf("got %+v, want wait 3s ring 3s position 1", cc)
		}
		h.wantOrder("q")
	})
	t.Run("caller_hangup_during_call_hangs_up_agent_and_starts_wrapup", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.WrapUpTime = 10 * time.Second })}, staticAgents("q", 1))
		h.join("c1", "q")
		h.answer("a1")
		h.now = h.now.Add(30 * time.Second)
		effs := h.do(CallEnded{Caller: "c1", By: PartyCaller})
		wantKinds(t, effs, "CallCompleted AgentStateChanged(wrap-up) HangupAgent")
		if cc := ofType[CallCompleted](effs)[0]; cc.Talk != 30*time.Second {
			t.Fatalf("got talk=%v, want 30s", cc.Talk)
		}
		if dl, ok := h.e.NextDeadline(); !ok || !dl.Equal(h.now.Add(10*time.Second)) {
			t.Fatalf("got deadline=%v,%v, want %v", dl, ok, h.now.Add(10*time.Second))
		}
	})
	t.Run("agent_hangup_hangs_up_caller", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.answer("a1")
		effs := h.do(CallEnded{Caller: "c1", By: PartyAgent})
		wantKinds(t, effs, "CallCompleted AgentStateChanged(available) HangupCaller")
	})
	t.Run("agent_hangup_continues_caller_when_queue_says_so", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.ContinueOnAgentHangup = true })}, staticAgents("q", 1))
		h.join("c1", "q")
		h.answer("a1")
		effs := h.do(CallEnded{Caller: "c1", By: PartyAgent})
		wantKinds(t, effs, "CallCompleted AgentStateChanged(available) Exit(CONTINUE)")
	})
	t.Run("call_end_without_wrapup_rings_next_caller_in_same_apply", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.join("c2", "q")
		h.answer("a1")
		effs := h.do(CallEnded{Caller: "c1", By: PartyCaller})
		wantRung(t, effs, "c2>a1")
	})
	t.Run("wrapup_end_rings_next_caller_at_once", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.WrapUpTime = 5 * time.Second })}, staticAgents("q", 1))
		h.join("c1", "q")
		h.join("c2", "q")
		h.answer("a1")
		h.do(CallEnded{Caller: "c1", By: PartyCaller})
		if effs := h.advance(4999 * time.Millisecond); len(rung(effs)) != 0 {
			t.Fatalf("rang during wrap-up: %s", kinds(effs))
		}
		effs := h.advance(time.Millisecond)
		wantKinds(t, effs, "WrapUpEnded AgentStateChanged(available) OfferStarted AgentStateChanged(ringing) RingAgent")
		if w := ofType[WrapUpEnded](effs)[0]; w.WrapUp != 5*time.Second || w.Queue != "q" {
			t.Fatalf("got %+v, want 5s in q", w)
		}
	})
	t.Run("wrapup_done_early_rings_next", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.WrapUpTime = time.Minute })}, staticAgents("q", 1))
		h.join("c1", "q")
		h.join("c2", "q")
		h.answer("a1")
		h.do(CallEnded{Caller: "c1", By: PartyCaller})
		h.now = h.now.Add(2 * time.Second)
		wantRung(t, h.do(AgentWrapUpDone{Agent: "a1"}), "c2>a1")
		wantErrIs(t, h.doErr(AgentWrapUpDone{Agent: "a1"}), ErrNotAllowed)
	})
	t.Run("caller_abandons_while_waiting", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, nil)
		h.join("c1", "q")
		h.now = h.now.Add(7 * time.Second)
		effs := h.do(CallerHangup{Caller: "c1"})
		wantKinds(t, effs, "CallerLeft(abandoned) QueueOrderChanged")
		if l := ofType[CallerLeft](effs)[0]; l.Wait != 7*time.Second || l.Position != 1 || l.JoinPos != 1 {
			t.Fatalf("got %+v", l)
		}
		wantErrIs(t, h.doErr(CallerHangup{Caller: "c1"}), ErrUnknownCaller)
	})
	t.Run("caller_hangup_while_ringing_cancels_ring_and_frees_agent", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		effs := h.do(CallerHangup{Caller: "c1"})
		wantKinds(t, effs, "OfferEnded(canceled) AgentStateChanged(available) CallerLeft(abandoned) QueueOrderChanged CancelRing(elsewhere=false)")
	})
	t.Run("answer_after_caller_left_hangs_up_agent", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		off := h.offerOf("a1")
		h.do(CallerHangup{Caller: "c1"})
		effs := h.do(OfferAnswered{Offer: off})
		wantKinds(t, effs, "HangupAgent")
		if ha := ofType[HangupAgent](effs)[0]; ha.Offer != off || ha.Agent != "a1" {
			t.Fatalf("got %+v", ha)
		}
		h.wantState("a1", AgentAvailable)
		wantErrIs(t, h.doErr(OfferAnswered{Offer: "t-nope"}), ErrUnknownOffer)
	})
	t.Run("unknown_queue_is_refused_with_status", func(t *testing.T) {
		h := MustHarness(t, nil, nil)
		effs := h.join("c1", "nope")
		wantKinds(t, effs, "CallerRefused Refuse")
		if r := ofType[Refuse](effs)[0]; r.Status != StatusUnknownQueue {
			t.Fatalf("got status=%v", r.Status)
		}
	})
	t.Run("duplicate_caller_is_an_error_and_changes_nothing", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, nil)
		h.join("c1", "q")
		wantErrIs(t, h.doErr(CallerJoin{Caller: "c1", Queue: "q"}), ErrDuplicate)
		h.wantOrder("q", "c1")
	})
}

func TestRingTimeout(t *testing.T) {
	t.Run("no_answer_within_timeout_cancels_and_rings_next_agent_at_once", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", Linear, func(c *QueueConfig) { c.Timeout = 10 * time.Second })}, staticAgents("q", 2))
		h.join("c1", "q")
		if dl, _ := h.e.NextDeadline(); !dl.Equal(t0.Add(10 * time.Second)) {
			t.Fatalf("got deadline=%v, want ring timeout %v", dl, t0.Add(10*time.Second))
		}
		effs := h.advance(10 * time.Second)
		wantKinds(t, effs, "OfferEnded(noanswer) AgentStateChanged(available) OfferStarted AgentStateChanged(ringing) CancelRing(elsewhere=false) RingAgent")
		wantRung(t, effs, "c1>a2")
	})
	t.Run("retry_waits_before_ringing_same_agent_again", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) {
			c.Timeout = 10 * time.Second
			c.Retry = 4 * time.Second
		})}, staticAgents("q", 1))
		h.join("c1", "q")
		effs := h.advance(10 * time.Second)
		wantRung(t, effs)
		if dl, _ := h.e.NextDeadline(); !dl.Equal(t0.Add(14 * time.Second)) {
			t.Fatalf("got deadline=%v, want retry end %v", dl, t0.Add(14*time.Second))
		}
		wantRung(t, h.advance(4*time.Second), "c1>a1")
	})
	t.Run("agent_blocked_for_retry_goes_to_next_caller", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.join("c2", "q")
		wantRung(t, h.fail("a1", RingRejected), "c2>a1")
	})
	t.Run("originate_error_reported_by_flow", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		effs := h.fail("a1", RingError)
		wantKinds(t, effs, "OfferEnded(error) AgentStateChanged(available)")
		h.wantState("a1", AgentAvailable)
	})
	t.Run("late_failure_of_cancelled_offer_is_ignored", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		off := h.offerOf("a1")
		h.advance(15 * time.Second)
		effs, err := h.e.Apply(h.now, OfferFailed{Offer: off, Reason: RingNoAnswer})
		if err != nil || !effs.Empty() {
			t.Fatalf("got effs=%v err=%v, want nothing", effs, err)
		}
	})
}

func TestRingAll(t *testing.T) {
	t.Run("rings_every_available_agent_first_answer_wins_losers_cancelled_elsewhere", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RingAll)}, staticAgents("q", 3))
		wantRung(t, h.join("c1", "q"), "c1>a1", "c1>a2", "c1>a3")
		effs := h.answer("a2")
		wantKinds(t, effs, "OfferEnded(answered) CallerLeft(answered) QueueOrderChanged CallConnected AgentStateChanged(on-call) "+
			"OfferEnded(canceled) AgentStateChanged(available) OfferEnded(canceled) AgentStateChanged(available) "+
			"Connect CancelRing(elsewhere=true) CancelRing(elsewhere=true)")
		for _, c := range ofType[CancelRing](effs) {
			if c.Agent == "a2" {
				t.Fatalf("winner cancelled: %+v", c)
			}
		}
	})
	t.Run("losers_ring_next_caller_immediately", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RingAll)}, staticAgents("q", 2))
		h.join("c1", "q")
		h.join("c2", "q")
		effs := h.answer("a1")
		wantRung(t, effs, "c2>a2")
	})
	t.Run("one_agent_failing_leaves_others_ringing", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RingAll)}, staticAgents("q", 2))
		h.join("c1", "q")
		effs := h.fail("a1", RingBusy)
		wantRung(t, effs)
		h.wantState("a2", AgentRinging)
		h.wantState("a1", AgentAvailable)
	})
	t.Run("only_the_best_penalty_tier_rings", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RingAll)}, []AgentConfig{
			agentIn("a1", true, Membership{Queue: "q", Penalty: 1}),
			agentIn("a2", true, Membership{Queue: "q", Penalty: 0}),
			agentIn("a3", true, Membership{Queue: "q", Penalty: 0}),
		})
		wantRung(t, h.join("c1", "q"), "c1>a2", "c1>a3")
	})
}

func TestPause(t *testing.T) {
	t.Run("paused_agent_is_not_rung_and_unpause_rings_at_once", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		effs := h.do(AgentPause{Agent: "a1", Reason: "lunch"})
		wantKinds(t, effs, "AgentStateChanged(paused)")
		if ev := ofType[AgentStateChanged](effs)[0]; ev.Reason != "lunch" || ev.Prev != AgentAvailable {
			t.Fatalf("got %+v", ev)
		}
		wantRung(t, h.join("c1", "q"))
		wantRung(t, h.do(AgentUnpause{Agent: "a1"}), "c1>a1")
	})
	t.Run("pause_during_call_takes_effect_after", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.join("c2", "q")
		h.answer("a1")
		if effs := h.do(AgentPause{Agent: "a1", Reason: "break"}); len(effs) != 0 {
			t.Fatalf("pause on call reported %s", kinds(effs))
		}
		effs := h.do(CallEnded{Caller: "c1", By: PartyCaller})
		wantRung(t, effs)
		h.wantState("a1", AgentPaused)
	})
	t.Run("pause_while_logged_out_is_not_allowed", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, []AgentConfig{agentIn("a1", false, Membership{Queue: "q"})})
		wantErrIs(t, h.doErr(AgentPause{Agent: "a1"}), ErrNotAllowed)
		wantErrIs(t, h.doErr(AgentPause{Agent: "zz"}), ErrUnknownAgent)
	})
}

// A decline in the console arrives while the agent's phone still rings: the
// engine must have that leg hung up, as it does for its own ring timeout.
// Failures the leg reports itself (no answer, busy...) need no hangup.
func TestRejectedOfferCancelsRing(t *testing.T) {
	t.Run("rejected_ringing_offer_is_cancelled_and_caller_rings_next_agent", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", Linear)}, staticAgents("q", 2))
		h.join("c1", "q")
		off := h.offerOf("a1")
		effs := h.fail("a1", RingRejected)
		wantKinds(t, effs, "OfferEnded(rejected) AgentStateChanged(available) OfferStarted AgentStateChanged(ringing) CancelRing(elsewhere=false) RingAgent")
		if got := ofType[CancelRing](effs)[0]; got != (CancelRing{Offer: off, Agent: "a1", Declined: true}) {
			t.Fatalf("got %+v, want CancelRing{Offer: %s, Agent: a1, Declined: true}", got, off)
		}
		wantRung(t, effs, "c1>a2")
	})
	for _, why := range []RingFailure{RingNoAnswer, RingBusy, RingUnavailable, RingError} {
		t.Run("failure_"+string(why)+"_reported_by_leg_needs_no_cancel", func(t *testing.T) {
			h := MustHarness(t, []QueueConfig{queueCfg("q", Linear)}, staticAgents("q", 1))
			h.join("c1", "q")
			if got := ofType[CancelRing](h.fail("a1", why)); len(got) != 0 {
				t.Fatalf("got %+v, want no CancelRing", got)
			}
		})
	}
	t.Run("rejecting_an_offer_already_cancelled_emits_nothing", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", Linear)}, staticAgents("q", 1))
		h.join("c1", "q")
		off := h.offerOf("a1")
		h.do(CallerHangup{Caller: "c1"})
		if effs := h.do(OfferFailed{Offer: off, Reason: RingRejected}); len(effs) != 0 {
			t.Fatalf("got %s, want nothing", kinds(effs))
		}
	})
}
