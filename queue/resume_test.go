package queue

import (
	"testing"
	"time"
)

// resumedCall is a call a previous run connected 90 s before t0 after a
// 20 s wait, between caller c1 and agent a1 of queue q.
func resumedCall() CallResumed {
	return CallResumed{Caller: "c1", Agent: "a1", Queue: "q", Offer: "old-0000000001",
		ConnectedAt: t0.Add(-90 * time.Second), Wait: 20 * time.Second, Number: "5551", Name: "Ann"}
}

func TestCallResumed(t *testing.T) {
	wrap := func(c *QueueConfig) { c.WrapUpTime = 10 * time.Second }

	t.Run("resumed_agent_is_on_call_with_its_caller_and_not_rung", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, wrap)}, staticAgents("q", 1))
		effs := h.do(resumedCall())
		wantKinds(t, effs, "AgentStateChanged(on-call)")
		if ev := ofType[AgentStateChanged](effs)[0]; ev.Caller != "c1" || ev.Queue != "q" {
			t.Fatalf("got AgentStateChanged caller=%q queue=%q, want c1 q", ev.Caller, ev.Queue)
		}
		v, _ := h.e.Agent("a1")
		if v.Caller != "c1" || v.CallerNumber != "5551" || v.Offer != "old-0000000001" {
			t.Fatalf("got agent view caller=%q number=%q offer=%q, want c1 5551 old-0000000001", v.Caller, v.CallerNumber, v.Offer)
		}
		if qv, _ := h.e.Queue("q"); qv.RealTime.InProgress != 1 || qv.RealTime.Waiting != 0 {
			t.Fatalf("got in progress=%d waiting=%d, want 1 0", qv.RealTime.InProgress, qv.RealTime.Waiting)
		}
		wantRung(t, h.join("c2", "q"))
	})

	t.Run("caller_hangup_completes_with_talk_from_connect_time_then_wrap_up", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, wrap)}, staticAgents("q", 1))
		h.do(resumedCall())
		h.advance(5 * time.Second)
		effs := h.do(CallEnded{Caller: "c1", By: PartyCaller})
		wantKinds(t, effs, "CallCompleted AgentStateChanged(wrap-up) HangupAgent")
		cc := ofType[CallCompleted](effs)[0]
		if cc.Talk != 95*time.Second || cc.Wait != 20*time.Second || cc.Agent != "a1" || cc.Queue != "q" {
			t.Fatalf("got CallCompleted talk=%v wait=%v agent=%s queue=%s, want 1m35s 20s a1 q", cc.Talk, cc.Wait, cc.Agent, cc.Queue)
		}
		if ha := ofType[HangupAgent](effs)[0]; ha.Offer != "old-0000000001" {
			t.Fatalf("got HangupAgent offer=%q, want old-0000000001", ha.Offer)
		}
		h.advance(10 * time.Second)
		h.wantState("a1", AgentAvailable)
		if qd, ad := h.e.stats.QueueDay("q", h.now), h.e.stats.AgentDay("a1", h.now); qd.TalkSum != 95*time.Second || ad.Calls != 1 {
			t.Fatalf("got today's talk=%v calls=%d, want 1m35s 1", qd.TalkSum, ad.Calls)
		}
	})

	t.Run("agent_hangup_hangs_up_the_caller", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, wrap)}, staticAgents("q", 1))
		h.do(resumedCall())
		wantKinds(t, h.do(CallEnded{Caller: "c1", By: PartyAgent}), "CallCompleted AgentStateChanged(wrap-up) HangupCaller")
	})

	t.Run("logged_out_agent_goes_on_call_and_back_to_logged_out", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, []AgentConfig{agentIn("a1", false, Membership{Queue: "q"})})
		h.do(resumedCall())
		h.wantState("a1", AgentOnCall)
		h.do(AgentLogin{Agent: "a1"})
		h.wantState("a1", AgentOnCall)
		h.do(CallEnded{Caller: "c1", By: PartyCaller})
		h.wantState("a1", AgentAvailable)
	})

	t.Run("waiting_caller_is_rung_when_the_resumed_call_ends", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.do(resumedCall())
		wantRung(t, h.join("c2", "q"))
		wantRung(t, h.do(CallEnded{Caller: "c1", By: PartyCaller}), "c2>a1")
	})

	t.Run("connect_time_in_the_future_counts_from_now", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		in := resumedCall()
		in.ConnectedAt = t0.Add(time.Hour)
		h.do(in)
		h.advance(3 * time.Second)
		if cc := ofType[CallCompleted](h.do(CallEnded{Caller: "c1", By: PartyAgent})); cc[0].Talk != 3*time.Second {
			t.Fatalf("got talk=%v, want 3s", cc[0].Talk)
		}
	})

	refusals := []struct {
		name   string
		setup  func(h *harness)
		change func(in *CallResumed)
		want   error
	}{
		{"unknown_queue_is_refused", nil, func(in *CallResumed) { in.Queue = "nope" }, ErrUnknownQueue},
		{"unknown_agent_is_refused", nil, func(in *CallResumed) { in.Agent = "nobody" }, ErrUnknownAgent},
		{"missing_offer_is_refused", nil, func(in *CallResumed) { in.Offer = "" }, ErrInvalid},
		{"caller_already_known_is_refused", func(h *harness) { h.do(AgentPause{Agent: "a1"}); h.join("c1", "q") }, nil, ErrDuplicate},
		{"ringing_agent_is_refused", func(h *harness) { h.join("c9", "q") }, nil, ErrNotAllowed},
		{"agent_on_another_call_is_refused", func(h *harness) { h.join("c9", "q"); h.answer("a1") }, nil, ErrNotAllowed},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
			if tt.setup != nil {
				tt.setup(h)
			}
			in := resumedCall()
			if tt.change != nil {
				tt.change(&in)
			}
			before, _ := h.e.Agent("a1")
			wantErrIs(t, h.doErr(in), tt.want)
			if after, _ := h.e.Agent("a1"); after.State != before.State {
				t.Fatalf("got agent state=%v after a refusal, want %v", after.State, before.State)
			}
		})
	}
}
