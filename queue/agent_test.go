package queue

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestAgentTransitions(t *testing.T) {
	dyn := func() *harness {
		return MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, []AgentConfig{
			agentIn("a1", false, Membership{Queue: "q"}), agentIn("a2", false, Membership{Queue: "q"}),
		})
	}
	t.Run("logged_out_to_available_on_login", func(t *testing.T) {
		h := dyn()
		h.wantState("a1", AgentLoggedOut)
		h.now = h.now.Add(time.Minute)
		effs := h.do(AgentLogin{Agent: "a1"})
		wantKinds(t, effs, "AgentStateChanged(available)")
		ev := ofType[AgentStateChanged](effs)[0]
		if ev.Prev != AgentLoggedOut || !ev.PrevSince.Equal(t0) || !ev.At.Equal(t0.Add(time.Minute)) {
			t.Fatalf("got %+v, want prev logged-out since %v", ev, t0)
		}
	})
	t.Run("login_paused_with_reason", func(t *testing.T) {
		h := dyn()
		effs := h.do(AgentLogin{Agent: "a1", Paused: true, Reason: "meeting"})
		if ev := ofType[AgentStateChanged](effs)[0]; ev.State != AgentPaused || ev.Reason != "meeting" {
			t.Fatalf("got %+v", ev)
		}
		if v, _ := h.e.Agent("a1"); v.Reason != "meeting" {
			t.Fatalf("got view reason=%q", v.Reason)
		}
	})
	t.Run("static_agent_is_logged_in_when_configured", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, nil)
		effs := h.do(ConfigureAgent{Config: agentIn("s1", true, Membership{Queue: "q"})})
		wantKinds(t, effs, "AgentConfigured AgentStateChanged(available)")
	})
	t.Run("agent_configured_before_its_queue_becomes_a_member", func(t *testing.T) {
		h := MustHarness(t, nil, []AgentConfig{agentIn("s1", true, Membership{Queue: "later"})})
		h.do(ConfigureQueue{Config: queueCfg("later", RRMemory)})
		wantRung(t, h.join("c1", "later"), "c1>s1")
	})
	t.Run("login_rings_a_waiting_caller_at_once", func(t *testing.T) {
		h := dyn()
		h.join("c1", "q")
		effs := h.do(AgentLogin{Agent: "a1"})
		wantKinds(t, effs, "AgentStateChanged(available) OfferStarted AgentStateChanged(ringing) RingAgent")
	})
	t.Run("logout_while_ringing_cancels_and_caller_rings_another", func(t *testing.T) {
		h := dyn()
		h.do(AgentLogin{Agent: "a1"})
		h.join("c1", "q")
		h.do(AgentLogin{Agent: "a2"})
		effs := h.do(AgentLogout{Agent: "a1"})
		wantKinds(t, effs, "OfferEnded(canceled) AgentStateChanged(logged-out) OfferStarted AgentStateChanged(ringing) CancelRing(elsewhere=false) RingAgent")
		wantRung(t, effs, "c1>a2")
	})
	t.Run("logout_during_call_shows_after_the_call_without_wrapup", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.WrapUpTime = time.Minute })},
			[]AgentConfig{agentIn("a1", false, Membership{Queue: "q"})})
		h.do(AgentLogin{Agent: "a1"})
		h.join("c1", "q")
		h.answer("a1")
		if effs := h.do(AgentLogout{Agent: "a1"}); len(effs) != 0 {
			t.Fatalf("got %s, want nothing during the call", kinds(effs))
		}
		h.wantState("a1", AgentOnCall)
		effs := h.do(CallEnded{Caller: "c1", By: PartyCaller})
		wantKinds(t, effs, "CallCompleted AgentStateChanged(logged-out) HangupAgent")
	})
	t.Run("logout_in_wrapup_ends_wrapup", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.WrapUpTime = time.Minute })}, staticAgents("q", 1))
		h.join("c1", "q")
		h.answer("a1")
		h.do(CallEnded{Caller: "c1", By: PartyCaller})
		h.now = h.now.Add(10 * time.Second)
		effs := h.do(AgentLogout{Agent: "a1"})
		wantKinds(t, effs, "WrapUpEnded AgentStateChanged(logged-out)")
		if _, ok := h.e.NextDeadline(); ok {
			t.Fatalf("wrap-up deadline still armed")
		}
	})
	t.Run("ringing_on_call_wrapup_available_carry_the_caller", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.WrapUpTime = time.Second })}, staticAgents("q", 1))
		var evs []AgentStateChanged
		evs = append(evs, ofType[AgentStateChanged](h.join("c1", "q"))...)
		evs = append(evs, ofType[AgentStateChanged](h.answer("a1"))...)
		evs = append(evs, ofType[AgentStateChanged](h.do(CallEnded{Caller: "c1", By: PartyAgent}))...)
		evs = append(evs, ofType[AgentStateChanged](h.advance(time.Second))...)
		var got []string
		for _, e := range evs {
			got = append(got, string(e.Prev)+">"+string(e.State)+":"+string(e.Caller)+":"+e.Queue)
		}
		want := []string{"available>ringing:c1:q", "ringing>on-call:c1:q", "on-call>wrap-up:c1:q", "wrap-up>available::"}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
	t.Run("device_state_is_reported", func(t *testing.T) {
		h := dyn()
		effs := h.do(AgentDeviceState{Agent: "a1", State: DeviceUnavailable})
		wantKinds(t, effs, "AgentDeviceChanged")
		if v, _ := h.e.Agent("a1"); v.Device != DeviceUnavailable {
			t.Fatalf("got device=%v", v.Device)
		}
		if effs := h.do(AgentDeviceState{Agent: "a1", State: DeviceUnavailable}); len(effs) != 0 {
			t.Fatalf("repeated state reported again: %s", kinds(effs))
		}
	})
	t.Run("at_most_one_offer_per_agent_across_queues", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("a", RingAll), queueCfg("b", RingAll)},
			[]AgentConfig{agentIn("x", false, Membership{Queue: "a"}, Membership{Queue: "b"})})
		h.join("c1", "a")
		h.join("c2", "b")
		effs := h.do(AgentLogin{Agent: "x"})
		if len(ofType[RingAgent](effs)) != 1 {
			t.Fatalf("got %s, want exactly one ring", kinds(effs))
		}
	})
	t.Run("set_agent_queues_adds_and_removes_memberships", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("a", RRMemory), queueCfg("b", RRMemory)},
			[]AgentConfig{agentIn("x", true, Membership{Queue: "a"})})
		h.join("c1", "b")
		effs := h.do(SetAgentQueues{Agent: "x", Queues: []Membership{{Queue: "b", Penalty: 2}}})
		qc := ofType[AgentQueuesChanged](effs)
		if len(qc) != 1 || !slices.Equal(qc[0].Added, []string{"b"}) || !slices.Equal(qc[0].Removed, []string{"a"}) {
			t.Fatalf("got %+v, want added b removed a", qc)
		}
		wantRung(t, effs, "c1>x")
		wantRung(t, h.join("c2", "a"))
		wantErrIs(t, h.doErr(SetAgentQueues{Agent: "x", Queues: []Membership{{Queue: "b"}, {Queue: "b"}}}), ErrInvalid)
	})
	t.Run("remove_agent_refused_on_a_call_allowed_otherwise", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.answer("a1")
		// CheckConfig answers as Apply does, and changes nothing.
		wantErrIs(t, h.e.CheckConfig(RemoveAgent{Agent: "a1"}), ErrNotAllowed)
		wantErrIs(t, h.doErr(RemoveAgent{Agent: "a1"}), ErrNotAllowed)
		h.do(CallEnded{Caller: "c1", By: PartyCaller})
		if err := h.e.CheckConfig(RemoveAgent{Agent: "a1"}); err != nil {
			t.Fatalf("check removal after the call: got=%v, want nil", err)
		}
		if _, ok := h.e.Agent("a1"); !ok {
			t.Fatalf("CheckConfig removed the agent")
		}
		effs := h.do(RemoveAgent{Agent: "a1"})
		wantKinds(t, effs, "AgentStateChanged(logged-out) AgentRemoved")
		if _, ok := h.e.Agent("a1"); ok {
			t.Fatalf("removed agent still known")
		}
		wantRung(t, h.join("c2", "q"))
	})
	t.Run("check_config_answers_as_apply", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, nil)
		bad := queueCfg("q", "nope")
		tests := []struct {
			name string
			in   Input
			want error
		}{
			{"invalid queue", ConfigureQueue{Config: bad}, ErrInvalid},
			{"unknown queue removed", RemoveQueue{Queue: "nope"}, ErrUnknownQueue},
			{"known queue removed", RemoveQueue{Queue: "q"}, nil},
			{"agent without device", ConfigureAgent{Config: AgentConfig{ID: "x"}}, ErrInvalid},
			{"unknown agent removed", RemoveAgent{Agent: "x"}, ErrUnknownAgent},
			{"not a configuration change", CallerHangup{Caller: "c"}, ErrInvalid},
		}
		for _, tt := range tests {
			err := h.e.CheckConfig(tt.in)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("%s: got=%v, want %v", tt.name, err, tt.want)
			}
		}
		if _, ok := h.e.Queue("q"); !ok {
			t.Fatalf("CheckConfig removed the queue")
		}
	})
	t.Run("remove_agent_while_ringing_cancels_the_ring", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 2))
		h.join("c1", "q")
		effs := h.do(RemoveAgent{Agent: "a1"})
		if len(ofType[CancelRing](effs)) != 1 {
			t.Fatalf("got %s, want the ring cancelled", kinds(effs))
		}
		wantRung(t, effs, "c1>a2")
	})
}

func TestPick(t *testing.T) {
	pickable := func(allow bool) *harness {
		return MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.AllowPick = allow })},
			[]AgentConfig{agentIn("a1", true, Membership{Queue: "q"}), agentIn("a2", false, Membership{Queue: "q"})})
	}
	t.Run("agent_picks_a_caller_out_of_order", func(t *testing.T) {
		h := pickable(true)
		h.do(AgentPause{Agent: "a1"})
		h.join("c1", "q")
		h.join("c2", "q")
		effs := h.do(Pick{Agent: "a1", Caller: "c2"})
		wantRung(t, effs, "c2>a1")
		h.answer("a1")
		h.wantOrder("q", "c1")
	})
	t.Run("pick_where_queue_forbids_is_refused", func(t *testing.T) {
		h := pickable(false)
		h.do(AgentPause{Agent: "a1"})
		h.join("c1", "q")
		wantErrIs(t, h.doErr(Pick{Agent: "a1", Caller: "c1"}), ErrNotAllowed)
	})
	t.Run("pick_cancels_the_callers_other_ring", func(t *testing.T) {
		h := pickable(true)
		h.join("c1", "q") // rings a1
		h.do(AgentLogin{Agent: "a2"})
		effs := h.do(Pick{Agent: "a2", Caller: "c1"})
		wantKinds(t, effs, "OfferEnded(canceled) AgentStateChanged(available) OfferStarted AgentStateChanged(ringing) CancelRing(elsewhere=false) RingAgent")
		wantRung(t, effs, "c1>a2")
	})
	t.Run("pick_by_a_busy_or_logged_out_agent_is_refused", func(t *testing.T) {
		h := pickable(true)
		h.join("c1", "q")
		h.join("c2", "q")
		wantErrIs(t, h.doErr(Pick{Agent: "a1", Caller: "c2"}), ErrNotAllowed) // a1 rings c1
		wantErrIs(t, h.doErr(Pick{Agent: "a2", Caller: "c2"}), ErrNotAllowed) // logged out
		wantErrIs(t, h.doErr(Pick{Agent: "a1", Caller: "zz"}), ErrUnknownCaller)
	})
}

func TestRemoveAndLost(t *testing.T) {
	t.Run("supervisor_hangs_up_a_waiting_caller", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, nil)
		h.join("c1", "q")
		wantKinds(t, h.do(Remove{Caller: "c1", Reason: LeftHungUp}), "CallerLeft(hungup) QueueOrderChanged HangupCaller")
	})
	t.Run("supervisor_redirects_a_waiting_caller", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, nil)
		h.join("c1", "q")
		wantKinds(t, h.do(Remove{Caller: "c1", Reason: LeftContinued}), "CallerLeft(continued) QueueOrderChanged Exit(CONTINUE)")
	})
	t.Run("caller_lost_in_a_restart_leaves_without_telephony", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, nil)
		h.join("c1", "q")
		wantKinds(t, h.do(CallerLost{Caller: "c1"}), "CallerLeft(lost) QueueOrderChanged")
	})
	t.Run("removing_a_queue_continues_its_callers_with_LEAVEEMPTY", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.join("c2", "q")
		effs := h.do(RemoveQueue{Queue: "q"})
		if x := ofType[Exit](effs); len(x) != 2 || x[0].Status != StatusLeaveEmpty {
			t.Fatalf("got %s, want two Exit LEAVEEMPTY", kinds(effs))
		}
		if len(ofType[CancelRing](effs)) != 1 || len(ofType[QueueRemoved](effs)) != 1 {
			t.Fatalf("got %s, want c1's ring cancelled and QueueRemoved", kinds(effs))
		}
		if _, ok := h.e.Queue("q"); ok {
			t.Fatalf("queue still known")
		}
		h.wantState("a1", AgentAvailable)
	})
}

func TestPenaltyChange(t *testing.T) {
	t.Run("lowering_a_members_penalty_into_range_rings_at_once", func(t *testing.T) {
		q := queueCfg("q", RRMemory, func(c *QueueConfig) { c.Rules = []PenaltyRule{{After: 0, MaxPenalty: 1}} })
		h := MustHarness(t, []QueueConfig{q}, []AgentConfig{agentIn("x", true, Membership{Queue: "q", Penalty: 5})})
		wantRung(t, h.join("c1", "q"))
		wantRung(t, h.do(SetAgentQueues{Agent: "x", Queues: []Membership{{Queue: "q", Penalty: 1}}}), "c1>x")
	})
}

func TestWrapUpTransitions(t *testing.T) {
	wrap := []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.WrapUpTime = 30 * time.Second })}
	t.Run("pause_during_wrapup_shows_paused_when_wrapup_ends", func(t *testing.T) {
		h := MustHarness(t, wrap, staticAgents("q", 1))
		h.join("c1", "q")
		h.join("c2", "q")
		h.answer("a1")
		h.do(CallEnded{Caller: "c1", By: PartyCaller})
		if effs := h.do(AgentPause{Agent: "a1", Reason: "coffee"}); len(effs) != 0 {
			t.Fatalf("got %s during wrap-up, want nothing", kinds(effs))
		}
		effs := h.advance(30 * time.Second)
		wantKinds(t, effs, "WrapUpEnded AgentStateChanged(paused)")
		if ev := ofType[AgentStateChanged](effs)[0]; ev.Reason != "coffee" || ev.Prev != AgentWrapUp {
			t.Fatalf("got %+v", ev)
		}
	})
	t.Run("wrapup_done_outside_wrapup_is_not_allowed", func(t *testing.T) {
		h := MustHarness(t, wrap, staticAgents("q", 1))
		wantErrIs(t, h.doErr(AgentWrapUpDone{Agent: "a1"}), ErrNotAllowed)
	})
	t.Run("agent_hangup_starts_wrapup_too", func(t *testing.T) {
		h := MustHarness(t, wrap, staticAgents("q", 1))
		h.join("c1", "q")
		h.answer("a1")
		wantKinds(t, h.do(CallEnded{Caller: "c1", By: PartyAgent}), "CallCompleted AgentStateChanged(wrap-up) HangupCaller")
	})
	t.Run("caller_channel_gone_during_call_ends_it_as_caller_hangup", func(t *testing.T) {
		h := MustHarness(t, wrap, staticAgents("q", 1))
		h.join("c1", "q")
		h.answer("a1")
		wantKinds(t, h.do(CallerHangup{Caller: "c1"}), "CallCompleted AgentStateChanged(wrap-up) HangupAgent")
		wantErrIs(t, h.doErr(CallEnded{Caller: "c1", By: PartyCaller}), ErrUnknownCaller)
	})
}
