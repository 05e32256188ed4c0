package queue

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func refusedWith(tb testing.TB, effs []Effect, want QueueStatus) {
	tb.Helper()
	r := ofType[Refuse](effs)
	if len(r) != 1 || r[0].Status != want {
		tb.Fatalf("got %s, want Refuse %s", kinds(effs), want)
	}
	if ev := ofType[CallerRefused](effs); len(ev) != 1 || ev[0].Status != want {
		tb.Fatalf("got %s, want CallerRefused %s", kinds(effs), want)
	}
}

func accepted(tb testing.TB, effs []Effect) {
	tb.Helper()
	if len(ofType[Accept](effs)) != 1 {
		tb.Fatalf("got %s, want Accept", kinds(effs))
	}
}

func TestJoinEmpty(t *testing.T) {
	joinEmpty := func(conds ...EmptyCondition) func(*QueueConfig) {
		return func(c *QueueConfig) { c.JoinEmpty = conds }
	}
	tests := []struct {
		name   string
		conds  []EmptyCondition
		setup  func(h *harness)
		refuse bool
	}{
		{"no_joinempty_joins_a_queue_without_members", nil, func(h *harness) { h.do(AgentLogout{Agent: "a1"}) }, false},
		{"no_logged_in_member_refuses_with_JOINEMPTY", []EmptyCondition{EmptyPaused}, func(h *harness) { h.do(AgentLogout{Agent: "a1"}) }, true},
		{"paused_members_refuse_with_JOINEMPTY", []EmptyCondition{EmptyPaused}, func(h *harness) { h.do(AgentPause{Agent: "a1"}) }, true},
		{"paused_members_count_without_paused_condition", []EmptyCondition{EmptyInUse}, func(h *harness) { h.do(AgentPause{Agent: "a1"}) }, false},
		{"inuse_device_refuses_with_inuse", []EmptyCondition{EmptyInUse}, func(h *harness) {
			h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse})
		}, true},
		{"unavailable_device_refuses_with_unavailable", []EmptyCondition{EmptyUnavailable}, func(h *harness) {
			h.do(AgentDeviceState{Agent: "a1", State: DeviceUnavailable})
		}, true},
		{"unavailable_device_counts_without_unavailable", []EmptyCondition{EmptyPaused, EmptyInUse}, func(h *harness) {
			h.do(AgentDeviceState{Agent: "a1", State: DeviceUnavailable})
		}, false},
		{"invalid_device_refuses_with_invalid", []EmptyCondition{EmptyInvalid}, func(h *harness) {
			h.do(AgentDeviceState{Agent: "a1", State: DeviceInvalid})
		}, true},
		{"unknown_device_refuses_with_unknown", []EmptyCondition{EmptyUnknown}, func(h *harness) {}, true},
		{"ringing_member_refuses_with_ringing", []EmptyCondition{EmptyRinging}, func(h *harness) { h.join("c0", "q") }, true},
		{"member_on_call_refuses_with_inuse", []EmptyCondition{EmptyInUse}, func(h *harness) {
			h.join("c0", "q")
			h.answer("a1")
		}, true},
		{"member_in_wrapup_refuses_with_wrapup", []EmptyCondition{EmptyWrapup}, func(h *harness) {
			h.join("c0", "q")
			h.answer("a1")
			h.do(CallEnded{Caller: "c0", By: PartyCaller})
		}, true},
		{"member_out_of_penalty_range_refuses_with_penalty", []EmptyCondition{EmptyPenalty}, func(h *harness) {}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mods := []func(*QueueConfig){joinEmpty(tt.conds...), func(c *QueueConfig) { c.WrapUpTime = time.Minute }}
			if tt.name == "member_out_of_penalty_range_refuses_with_penalty" {
				mods = append(mods, func(c *QueueConfig) { c.Rules = []PenaltyRule{{After: 0, MaxPenalty: 0}} })
			}
			agents := []AgentConfig{agentIn("a1", true, Membership{Queue: "q", Penalty: 3})}
			h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, mods...)}, agents)
			if tt.setup != nil {
				tt.setup(h)
			}
			effs := h.join("c1", "q")
			if tt.refuse {
				refusedWith(t, effs, StatusJoinEmpty)
				if _, ok := h.e.Caller("c1"); ok {
					t.Fatalf("refused caller is still known")
				}
			} else {
				accepted(t, effs)
			}
		})
	}
	t.Run("resumed_caller_is_never_refused", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, joinEmpty(EmptyPaused), func(c *QueueConfig) { c.MaxLen = 1 })}, nil)
		accepted(t, h.do(CallerJoin{Caller: "c1", Queue: "q", Resume: true, JoinedAt: t0}))
		accepted(t, h.do(CallerJoin{Caller: "c2", Queue: "q", Resume: true, JoinedAt: t0}))
	})
}

func TestMaxLen(t *testing.T) {
	t.Run("full_queue_refuses_with_FULL", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.MaxLen = 2 })}, nil)
		accepted(t, h.join("c1", "q"))
		accepted(t, h.join("c2", "q"))
		refusedWith(t, h.join("c3", "q"), StatusFull)
		h.do(CallerHangup{Caller: "c1"})
		accepted(t, h.join("c4", "q"))
	})
}

func TestLeaveWhenEmpty(t *testing.T) {
	leave := func(conds ...EmptyCondition) QueueConfig {
		return queueCfg("q", RRMemory, func(c *QueueConfig) { c.LeaveWhenEmpty = conds })
	}
	t.Run("last_member_pausing_makes_waiting_callers_leave_with_LEAVEEMPTY", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{leave(EmptyPaused)}, []AgentConfig{agentIn("a1", true, Membership{Queue: "q"})})
		h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse}) // busy elsewhere: callers wait
		h.join("c1", "q")
		h.join("c2", "q")
		effs := h.do(AgentPause{Agent: "a1"})
		wantKinds(t, effs, "AgentStateChanged(paused) CallerLeft(leaveempty) QueueOrderChanged CallerLeft(leaveempty) QueueOrderChanged Exit(LEAVEEMPTY) Exit(LEAVEEMPTY)")
		h.wantOrder("q")
	})
	t.Run("last_member_logging_out_empties_the_queue", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{leave(EmptyPaused)}, []AgentConfig{agentIn("a1", true, Membership{Queue: "q"})})
		h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse})
		h.join("c1", "q")
		effs := h.do(AgentLogout{Agent: "a1"})
		if got := ofType[Exit](effs); len(got) != 1 || got[0].Status != StatusLeaveEmpty {
			t.Fatalf("got %s, want Exit LEAVEEMPTY", kinds(effs))
		}
	})
	t.Run("device_unavailable_empties_with_unavailable", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{leave(EmptyUnavailable)}, []AgentConfig{agentIn("a1", true, Membership{Queue: "q"})})
		h.do(AgentPause{Agent: "a1"})
		h.join("c1", "q")
		wantRung(t, h.do(AgentDeviceState{Agent: "a1", State: DeviceNotInUse}))
		h.wantOrder("q", "c1")
		effs := h.do(AgentDeviceState{Agent: "a1", State: DeviceUnavailable})
		if len(ofType[Exit](effs)) != 1 {
			t.Fatalf("got %s, want the caller to leave", kinds(effs))
		}
	})
	t.Run("a_member_still_able_keeps_callers", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{leave(EmptyPaused)}, []AgentConfig{
			agentIn("a1", true, Membership{Queue: "q"}), agentIn("a2", true, Membership{Queue: "q"}),
		})
		h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse})
		h.do(AgentDeviceState{Agent: "a2", State: DeviceInUse})
		h.join("c1", "q")
		effs := h.do(AgentPause{Agent: "a1"})
		wantKinds(t, effs, "AgentStateChanged(paused)")
	})
}

func TestMaxWait(t *testing.T) {
	t.Run("caller_leaves_with_TIMEOUT_at_maxwait_exactly", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.MaxWait = 90 * time.Second })}, nil)
		h.join("c1", "q")
		if dl, _ := h.e.NextDeadline(); !dl.Equal(t0.Add(90 * time.Second)) {
			t.Fatalf("got deadline=%v, want %v", dl, t0.Add(90*time.Second))
		}
		if effs := h.advance(90*time.Second - time.Nanosecond); len(effs) != 0 {
			t.Fatalf("early: %s", kinds(effs))
		}
		wantKinds(t, h.advance(time.Nanosecond), "CallerLeft(timeout) QueueOrderChanged Exit(TIMEOUT)")
	})
	t.Run("per_caller_maxwait_overrides_the_queue", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.MaxWait = 90 * time.Second })}, nil)
		h.do(CallerJoin{Caller: "c1", Queue: "q", JoinedAt: t0, MaxWait: 20 * time.Second})
		wantKinds(t, h.advance(20*time.Second), "CallerLeft(timeout) QueueOrderChanged Exit(TIMEOUT)")
	})
	t.Run("timeoutpriority_app_cuts_the_ring_short", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.MaxWait = 20 * time.Second })}, staticAgents("q", 1))
		h.do(AgentPause{Agent: "a1"})
		h.join("c1", "q")
		h.advance(12 * time.Second)
		effs := h.do(AgentUnpause{Agent: "a1"})
		if r := ofType[RingAgent](effs); len(r) != 1 || r[0].Timeout != 8*time.Second {
			t.Fatalf("got %+v, want one ring of 8s (what is left of maxwait)", r)
		}
		wantKinds(t, h.advance(8*time.Second), "OfferEnded(canceled) AgentStateChanged(available) CallerLeft(timeout) QueueOrderChanged Exit(TIMEOUT) CancelRing(elsewhere=false)")
	})
	t.Run("timeoutpriority_conf_lets_the_ring_finish_then_times_out", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) {
			c.MaxWait = 20 * time.Second
			c.TimeoutPriority = "conf"
		})}, staticAgents("q", 1))
		h.do(AgentPause{Agent: "a1"})
		h.join("c1", "q")
		h.advance(12 * time.Second)
		effs := h.do(AgentUnpause{Agent: "a1"})
		if r := ofType[RingAgent](effs); len(r) != 1 || r[0].Timeout != 15*time.Second {
			t.Fatalf("got %+v, want one ring of the queue's 15s", r)
		}
		if effs := h.advance(8 * time.Second); len(effs) != 0 {
			t.Fatalf("at maxwait during a conf ring: %s, want nothing", kinds(effs))
		}
		wantKinds(t, h.advance(7*time.Second), "OfferEnded(noanswer) AgentStateChanged(available) CallerLeft(timeout) QueueOrderChanged Exit(TIMEOUT) CancelRing(elsewhere=false)")
	})
}

func TestExitKeys(t *testing.T) {
	h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.ExitKeys = "0#" })}, nil)
	h.join("c1", "q")
	t.Run("digit_not_an_exit_key_is_ignored", func(t *testing.T) {
		if effs := h.do(CallerDTMF{Caller: "c1", Digit: "5"}); len(effs) != 0 {
			t.Fatalf("got %s", kinds(effs))
		}
	})
	t.Run("exit_key_leaves_with_EXITWITHKEY_and_the_key", func(t *testing.T) {
		effs := h.do(CallerDTMF{Caller: "c1", Digit: "#"})
		wantKinds(t, effs, "CallerLeft(exit) QueueOrderChanged Exit(EXITWITHKEY)")
		if x := ofType[Exit](effs)[0]; x.Key != "#" {
			t.Fatalf("got key=%q, want #", x.Key)
		}
		if l := ofType[CallerLeft](effs)[0]; l.Key != "#" {
			t.Fatalf("got key=%q, want #", l.Key)
		}
	})
}

func TestQueueRules(t *testing.T) {
	t.Run("absolute_max_penalty_at_join_then_relative_raise_after_N_seconds", func(t *testing.T) {
		q := queueCfg("q", RRMemory, func(c *QueueConfig) {
			c.Rules = []PenaltyRule{
				{After: 30 * time.Second, MaxPenalty: 2, MaxRelative: true, MinRelative: true},
				{After: 0, MaxPenalty: 0},
			}
		})
		h := MustHarness(t, []QueueConfig{q}, []AgentConfig{agentIn("a1", true, Membership{Queue: "q", Penalty: 2})})
		wantRung(t, h.join("c1", "q"))
		if dl, _ := h.e.NextDeadline(); !dl.Equal(t0.Add(30 * time.Second)) {
			t.Fatalf("got deadline=%v, want the rule at %v", dl, t0.Add(30*time.Second))
		}
		wantRung(t, h.advance(30*time.Second), "c1>a1")
	})
	t.Run("min_penalty_excludes_lower_penalty_members", func(t *testing.T) {
		q := queueCfg("q", RRMemory, func(c *QueueConfig) {
			c.Rules = []PenaltyRule{{After: 0, MinPenalty: 1, MaxRelative: true}}
		})
		h := MustHarness(t, []QueueConfig{q}, []AgentConfig{
			agentIn("a1", true, Membership{Queue: "q", Penalty: 0}),
			agentIn("a2", true, Membership{Queue: "q", Penalty: 4}),
		})
		wantRung(t, h.join("c1", "q"), "c1>a2")
	})
	t.Run("relative_change_never_goes_below_zero", func(t *testing.T) {
		q := queueCfg("q", RRMemory, func(c *QueueConfig) {
			c.Rules = []PenaltyRule{{After: 0, MaxPenalty: 1}, {After: time.Second, MaxPenalty: -5, MaxRelative: true, MinRelative: true}}
		})
		h := MustHarness(t, []QueueConfig{q}, []AgentConfig{agentIn("a1", true, Membership{Queue: "q", Penalty: 0})})
		h.do(AgentPause{Agent: "a1"})
		h.join("c1", "q")
		h.advance(time.Second)
		wantRung(t, h.do(AgentUnpause{Agent: "a1"}), "c1>a1") // max is clamped to 0, not -4
	})
	t.Run("rules_follow_a_caller_moved_to_another_queue", func(t *testing.T) {
		a := queueCfg("a", RRMemory)
		b := queueCfg("b", RRMemory, func(c *QueueConfig) { c.Rules = []PenaltyRule{{After: 0, MaxPenalty: 0}} })
		h := MustHarness(t, []QueueConfig{a, b}, []AgentConfig{agentIn("x", true, Membership{Queue: "b", Penalty: 1})})
		h.join("c1", "a")
		wantRung(t, h.do(Move{Caller: "c1", ToQueue: "b"}))
	})
}

func TestAutoPause(t *testing.T) {
	base := func(mods ...func(*QueueConfig)) []QueueConfig {
		return []QueueConfig{queueCfg("q", RRMemory, append([]func(*QueueConfig){func(c *QueueConfig) { c.AutoPause = AutoPauseAll }}, mods...)...)}
	}
	t.Run("autopause_all_pauses_at_first_no_answer", func(t *testing.T) {
		h := MustHarness(t, base(), staticAgents("q", 1))
		h.join("c1", "q")
		effs := h.advance(15 * time.Second)
		wantKinds(t, effs, "OfferEnded(noanswer) AgentStateChanged(paused) CancelRing(elsewhere=false)")
		if ev := ofType[AgentStateChanged](effs)[0]; ev.Reason != "autopause" {
			t.Fatalf("got reason=%q, want autopause", ev.Reason)
		}
	})
	t.Run("autopause_after_N_consecutive_no_answers", func(t *testing.T) {
		h := MustHarness(t, base(func(c *QueueConfig) { c.AutoPauseNoAnswer = 3 }), staticAgents("q", 1))
		h.join("c1", "q")
		for i := range 2 {
			h.fail("a1", RingNoAnswer)
			h.wantState("a1", AgentAvailable)
			h.advance(5 * time.Second) // retry
			if i == 0 {
				h.wantState("a1", AgentRinging)
			}
		}
		h.fail("a1", RingRejected)
		h.wantState("a1", AgentPaused)
	})
	t.Run("answer_resets_the_no_answer_count", func(t *testing.T) {
		h := MustHarness(t, base(func(c *QueueConfig) { c.AutoPauseNoAnswer = 2 }), staticAgents("q", 1))
		h.join("c1", "q")
		h.fail("a1", RingNoAnswer)
		h.advance(5 * time.Second)
		h.serve("a1")
		h.join("c2", "q")
		h.fail("a1", RingNoAnswer)
		h.wantState("a1", AgentAvailable)
	})
	t.Run("autopause_no_never_pauses", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.fail("a1", RingNoAnswer)
		h.wantState("a1", AgentAvailable)
	})
	t.Run("busy_counts_only_with_autopausebusy", func(t *testing.T) {
		h := MustHarness(t, base(), staticAgents("q", 1))
		h.join("c1", "q")
		h.fail("a1", RingBusy)
		h.wantState("a1", AgentAvailable)
		h2 := MustHarness(t, base(func(c *QueueConfig) { c.AutoPauseBusy = true }), staticAgents("q", 1))
		h2.join("c1", "q")
		h2.fail("a1", RingBusy)
		h2.wantState("a1", AgentPaused)
	})
	t.Run("unavailable_counts_only_with_autopauseunavail", func(t *testing.T) {
		h := MustHarness(t, base(), staticAgents("q", 1))
		h.join("c1", "q")
		h.fail("a1", RingUnavailable)
		h.wantState("a1", AgentAvailable)
		h2 := MustHarness(t, base(func(c *QueueConfig) { c.AutoPauseUnavail = true }), staticAgents("q", 1))
		h2.join("c1", "q")
		h2.fail("a1", RingUnavailable)
		h2.wantState("a1", AgentPaused)
	})
	t.Run("originate_error_never_counts", func(t *testing.T) {
		h := MustHarness(t, base(), staticAgents("q", 1))
		h.join("c1", "q")
		h.fail("a1", RingError)
		h.wantState("a1", AgentAvailable)
	})
	t.Run("autopausedelay_spares_an_agent_whose_last_call_was_recent", func(t *testing.T) {
		h := MustHarness(t, base(func(c *QueueConfig) {
			c.AutoPauseDelay = time.Minute
			c.Timeout = 2 * time.Minute
		}), staticAgents("q", 1))
		h.join("c1", "q")
		h.serve("a1")
		h.now = h.now.Add(30 * time.Second)
		h.join("c2", "q")
		h.fail("a1", RingNoAnswer) // 30 s after the call: spared
		h.wantState("a1", AgentAvailable)
		h.advance(5 * time.Second) // retry
		h.wantState("a1", AgentRinging)
		h.advance(30 * time.Second)
		h.fail("a1", RingNoAnswer) // 65 s after the call
		h.wantState("a1", AgentPaused)
	})
	t.Run("autopause_all_pauses_the_agent", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.AutoPause = AutoPauseAll }), queueCfg("r", RRMemory)},
			[]AgentConfig{agentIn("a1", true, Membership{Queue: "q"}, Membership{Queue: "r"})})
		h.join("c1", "q")
		h.fail("a1", RingNoAnswer)
		wantRung(t, h.join("c2", "r"))
		h.wantState("a1", AgentPaused)
	})
	// autopause=yes pauses the member in the queue whose ring failed
	// (app_queue's rna: set_member_paused with that queue's name): the agent
	// is still available, rung for its other queues, counts as paused for
	// joinempty there; "ready" ends it and a restart keeps it.
	two := func() ([]QueueConfig, []AgentConfig) {
		return []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.AutoPause = AutoPauseYes }), queueCfg("r", RRMemory)},
			[]AgentConfig{agentIn("a1", true, Membership{Queue: "q"}, Membership{Queue: "r"})}
	}
	t.Run("autopause_yes_pauses_in_that_queue_only", func(t *testing.T) {
		qs, as := two()
		h := MustHarness(t, qs, as)
		h.join("c1", "q")
		effs := h.fail("a1", RingNoAnswer)
		wantKinds(t, effs, "OfferEnded(noanswer) MemberPaused AgentStateChanged(available)")
		if ev := ofType[MemberPaused](effs)[0]; ev.Queue != "q" || !ev.Paused || ev.Reason != "autopause" {
			t.Fatalf("got %+v, want a1 paused in q for autopause", ev)
		}
		h.wantState("a1", AgentAvailable)
		h.advance(10 * time.Second) // retry over: q's caller still does not ring a1
		h.wantState("a1", AgentAvailable)
		if v, _ := h.e.Agent("a1"); !slices.Equal(v.PausedIn, []string{"q"}) {
			t.Fatalf("view got paused_in=%v, want [q]", v.PausedIn)
		}
		wantRung(t, h.join("c2", "r"), "c2>a1")
	})
	t.Run("autopause_yes_counts_as_paused_for_joinempty", func(t *testing.T) {
		qs, as := two()
		qs[0].JoinEmpty = []EmptyCondition{EmptyPaused}
		h := MustHarness(t, qs, as)
		h.join("c1", "q")
		h.fail("a1", RingNoAnswer)
		h.do(CallerHangup{Caller: "c1"})
		if len(ofType[CallerRefused](h.join("c2", "q"))) != 1 {
			t.Fatal("c2 joined q, whose only member is paused there, want refused (joinempty=paused)")
		}
	})
	t.Run("ready_ends_a_pause_in_one_queue", func(t *testing.T) {
		qs, as := two()
		h := MustHarness(t, qs, as)
		h.join("c1", "q")
		h.fail("a1", RingNoAnswer)
		h.advance(10 * time.Second)
		effs := h.do(AgentUnpause{Agent: "a1"})
		if ev := ofType[MemberPaused](effs); len(ev) != 1 || ev[0].Paused || ev[0].Queue != "q" {
			t.Fatalf("unpause got %s, want a1 unpaused in q", kinds(effs))
		}
		wantRung(t, effs, "c1>a1")
	})
	t.Run("login_restores_pauses_in_one_queue", func(t *testing.T) {
		qs, _ := two()
		h := MustHarness(t, qs, []AgentConfig{agentIn("a1", false, Membership{Queue: "q"}, Membership{Queue: "r"})})
		h.do(AgentLogin{Agent: "a1", PausedIn: []string{"q"}})
		wantRung(t, h.join("c1", "q"))
		wantRung(t, h.join("c2", "r"), "c2>a1")
		h.do(AgentLogout{Agent: "a1"})
		h.do(AgentLogin{Agent: "a1"})
		if v, _ := h.e.Agent("a1"); len(v.PausedIn) != 0 {
			t.Fatalf("after logout and login got paused_in=%v, want none", v.PausedIn)
		}
	})
}

// timeoutrestart: the agent rung straight after another's busy rings for
// what is left of the attempt (app_queue's default, ring_one after a busy
// member), or for the full timeout with timeoutrestart=yes; a ring that
// timed out starts a new attempt; ringall is not affected.
func TestTimeoutRestart(t *testing.T) {
	ringsFor := func(t *testing.T, effs []Effect) time.Duration {
		t.Helper()
		rs := ofType[RingAgent](effs)
		if len(rs) != 1 {
			t.Fatalf("got %s, want one ring", kinds(effs))
		}
		return rs[0].Timeout
	}
	tests := []struct {
		name     string
		strategy Strategy
		restart  bool
		after    time.Duration // rung this long before the first agent fails
		failure  RingFailure
		want     time.Duration // the next agent's ring
	}{
		{"busy_leaves_the_rest_of_the_attempt", Linear, false, 10 * time.Second, RingBusy, 5 * time.Second},
		{"a_decline_too", Linear, false, 4 * time.Second, RingRejected, 11 * time.Second},
		{"timeoutrestart_gives_the_full_timeout", Linear, true, 10 * time.Second, RingBusy, 15 * time.Second},
		{"under_half_a_second_left_starts_a_new_attempt", Linear, false, 14*time.Second + 600*time.Millisecond, RingBusy, 15 * time.Second},
		{"no_answer_ends_the_attempt", Linear, false, 15 * time.Second, RingNoAnswer, 15 * time.Second},
		{"rrmemory_as_linear", RRMemory, false, 10 * time.Second, RingBusy, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := MustHarness(t, []QueueConfig{queueCfg("q", tt.strategy, func(c *QueueConfig) {
				c.Timeout = 15 * time.Second
				c.TimeoutRestart = tt.restart
			})}, staticAgents("q", 2))
			if got := ringsFor(t, h.join("c1", "q")); got != 15*time.Second {
				t.Fatalf("first ring for %s, want 15s", got)
			}
			var effs []Effect
			if tt.failure == RingNoAnswer {
				effs = h.advance(tt.after) // the engine's ring timer
			} else {
				h.advance(tt.after)
				effs = h.fail("a1", tt.failure)
			}
			if got := ringsFor(t, effs); got != tt.want {
				t.Errorf("the next agent rings for %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("ringall_rings_each_for_the_full_timeout", func(t *testing.T) {
		agents := staticAgents("q", 3)
		h := MustHarness(t, []QueueConfig{queueCfg("q", RingAll, func(c *QueueConfig) { c.Timeout = 15 * time.Second })}, agents)
		h.do(AgentPause{Agent: "a3", Reason: "x"})
		wantRung(t, h.join("c1", "q"), "c1>a1", "c1>a2")
		h.advance(5 * time.Second)
		wantRung(t, h.do(AgentUnpause{Agent: "a3"})) // not while the others ring
		h.advance(5 * time.Second)
		h.fail("a1", RingBusy)
		if got := ringsFor(t, h.fail("a2", RingBusy)); got != 15*time.Second {
			t.Errorf("a3, rung after the others' busy, rings for %s, want 15s", got)
		}
	})
}

// member => ...,paused=yes: a static agent starts paused in that queue
// alone, as app_queue loads the member; ready ends it, a configuration
// change does not bring it back, a new membership with it does.
func TestConfiguredMemberPause(t *testing.T) {
	qs := []QueueConfig{queueCfg("q", RRMemory), queueCfg("r", RRMemory)}
	static := agentIn("a1", true, Membership{Queue: "q", Paused: true}, Membership{Queue: "r"})
	t.Run("starts_paused_in_that_queue_only", func(t *testing.T) {
		h := MustHarness(t, qs, []AgentConfig{static})
		if v, _ := h.e.Agent("a1"); !slices.Equal(v.PausedIn, []string{"q"}) || v.State != AgentAvailable {
			t.Fatalf("got state=%s paused_in=%v, want available, paused in q", v.State, v.PausedIn)
		}
		wantRung(t, h.join("c1", "q"))
		wantRung(t, h.join("c2", "r"), "c2>a1")
	})
	t.Run("ready_ends_it_and_a_reconfiguration_keeps_it_ended", func(t *testing.T) {
		h := MustHarness(t, qs, []AgentConfig{static})
		h.join("c1", "q")
		effs := h.do(AgentUnpause{Agent: "a1"})
		wantRung(t, effs, "c1>a1")
		changed := static
		changed.Name = "renamed"
		h.do(ConfigureAgent{Config: changed})
		if v, _ := h.e.Agent("a1"); len(v.PausedIn) != 0 {
			t.Fatalf("after a rename got paused_in=%v, want none", v.PausedIn)
		}
	})
	t.Run("a_new_membership_starts_paused", func(t *testing.T) {
		h := MustHarness(t, qs, []AgentConfig{agentIn("a1", true, Membership{Queue: "r"})})
		effs := h.do(ConfigureAgent{Config: static})
		if ev := ofType[MemberPaused](effs); len(ev) != 1 || ev[0].Queue != "q" || !ev[0].Paused {
			t.Fatalf("adding q with paused got %s, want a1 paused in q", kinds(effs))
		}
	})
	t.Run("only_a_static_agent", func(t *testing.T) {
		dynamic := agentIn("a1", false, Membership{Queue: "q", Paused: true})
		err := ValidateAgent(dynamic)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[0].Field != "queues[0].paused" {
			t.Fatalf("got %v, want a field error on queues[0].paused", err)
		}
	})
}

// penaltymemberslimit: a queue with that many members or fewer rings them
// as if they had no penalty (app_queue's calc_metric).
func TestPenaltyMembersLimit(t *testing.T) {
	members := []AgentConfig{
		agentIn("a1", true, Membership{Queue: "q", Penalty: 5}),
		agentIn("a2", true, Membership{Queue: "q", Penalty: 0}),
	}
	h := MustHarness(t, []QueueConfig{queueCfg("q", RingAll, func(c *QueueConfig) { c.PenaltyMembersLimit = 2 })}, members)
	wantRung(t, h.join("c1", "q"), "c1>a1", "c1>a2")
	h = MustHarness(t, []QueueConfig{queueCfg("q", RingAll, func(c *QueueConfig) { c.PenaltyMembersLimit = 1 })}, members)
	wantRung(t, h.join("c1", "q"), "c1>a2")
}

func TestRingInUse(t *testing.T) {
	yes := true
	t.Run("device_in_use_is_not_rung_unless_ringinuse", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse})
		wantRung(t, h.join("c1", "q"))
		wantRung(t, h.do(AgentDeviceState{Agent: "a1", State: DeviceNotInUse}), "c1>a1")
	})
	t.Run("app_queues_default_rings_a_phone_in_use", func(t *testing.T) {
		c := DefaultQueueConfig("q") // ringinuse=yes, init_queue's default
		h := MustHarness(t, []QueueConfig{c}, staticAgents("q", 1))
		h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse})
		wantRung(t, h.join("c1", "q"), "c1>a1")
	})
	t.Run("queue_ringinuse_rings_a_busy_device", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.RingInUse = true })}, staticAgents("q", 1))
		h.do(AgentDeviceState{Agent: "a1", State: DeviceBusy})
		wantRung(t, h.join("c1", "q"), "c1>a1")
	})
	t.Run("agent_ringinuse_overrides_the_queue", func(t *testing.T) {
		a := agentIn("a1", true, Membership{Queue: "q"})
		a.RingInUse = &yes
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, []AgentConfig{a})
		h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse})
		wantRung(t, h.join("c1", "q"), "c1>a1")
	})
	t.Run("unavailable_device_is_never_rung", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.RingInUse = true })}, staticAgents("q", 1))
		h.do(AgentDeviceState{Agent: "a1", State: DeviceUnavailable})
		wantRung(t, h.join("c1", "q"))
		wantRung(t, h.do(AgentDeviceState{Agent: "a1", State: DeviceUnknown}), "c1>a1")
	})
	t.Run("in_use_reported_during_our_own_call_does_not_block_the_next_ring", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.join("c2", "q")
		h.answer("a1")
		h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse})
		wantRung(t, h.do(CallEnded{Caller: "c1", By: PartyCaller}), "c2>a1")
	})
}

func TestStrictOrder(t *testing.T) {
	t.Run("agent_logging_in_rings_the_first_caller", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, []AgentConfig{agentIn("a1", false, Membership{Queue: "q"})})
		for _, c := range []string{"c1", "c2", "c3"} {
			h.join(c, "q")
			h.now = h.now.Add(time.Second)
		}
		wantRung(t, h.do(AgentLogin{Agent: "a1"}), "c1>a1")
	})
	t.Run("higher_priority_is_served_first_then_join_time", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, []AgentConfig{agentIn("a1", false, Membership{Queue: "q"})})
		h.joinPrio("c1", "q", 0)
		h.now = h.now.Add(time.Second)
		h.joinPrio("c2", "q", 5)
		h.now = h.now.Add(time.Second)
		h.joinPrio("c3", "q", 5)
		h.wantOrder("q", "c2", "c3", "c1")
		wantRung(t, h.do(AgentLogin{Agent: "a1"}), "c2>a1")
	})
	t.Run("no_caller_is_rung_while_one_ahead_could_take_the_agent", func(t *testing.T) {
		// Many callers, agents freeing one at a time: every ring goes to the
		// first idle caller in order.
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 3))
		for i := range 20 {
			h.join(id("c", i), "q")
			h.now = h.now.Add(time.Millisecond)
		}
		served := 0
		for served < 20 {
			for _, a := range []string{"a1", "a2", "a3"} {
				if h.state(a) != AgentRinging {
					continue
				}
				v, _ := h.e.Agent(AgentID(a))
				if want := CallerID(id("c", served)); v.Caller != want {
					t.Fatalf("%s rings %s, want %s (next in order)", a, v.Caller, want)
				}
				h.serve(a)
				served++
			}
		}
	})
	t.Run("caller_between_retries_does_not_hold_the_agent_back", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.join("c2", "q")
		wantRung(t, h.fail("a1", RingNoAnswer), "c2>a1")
	})
	t.Run("weight_higher_queue_wins_a_shared_agent", func(t *testing.T) {
		lo := queueCfg("lo", RRMemory)
		hi := queueCfg("hi", RRMemory, func(c *QueueConfig) { c.Weight = 10 })
		h := MustHarness(t, []QueueConfig{lo, hi}, []AgentConfig{agentIn("a1", false, Membership{Queue: "lo"}, Membership{Queue: "hi"})})
		h.joinPrio("c-lo", "lo", 9)
		h.now = h.now.Add(time.Minute)
		h.join("c-hi", "hi")
		wantRung(t, h.do(AgentLogin{Agent: "a1"}), "c-hi>a1")
	})
	t.Run("equal_weight_priority_then_longest_wait_across_queues", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("a", RRMemory), queueCfg("b", RRMemory)},
			[]AgentConfig{agentIn("x", false, Membership{Queue: "a"}, Membership{Queue: "b"})})
		h.join("c1", "a")
		h.now = h.now.Add(time.Second)
		h.join("c2", "b")
		h.now = h.now.Add(time.Second)
		h.joinPrio("c3", "b", 1)
		wantRung(t, h.do(AgentLogin{Agent: "x"}), "c3>x")
		h.serve("x")
		// c1 waited longer than c2.
		if v, _ := h.e.Agent("x"); v.Caller != "c1" {
			t.Fatalf("got %s, want c1", v.Caller)
		}
	})
}

func TestReorder(t *testing.T) {
	setup := func(t *testing.T) *harness {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, []AgentConfig{agentIn("a1", false, Membership{Queue: "q"})})
		for _, c := range []string{"c1", "c2", "c3", "c4"} {
			h.join(c, "q")
			h.now = h.now.Add(time.Second)
		}
		return h
	}
	t.Run("reorder_lands_exactly_there_others_keep_relative_order", func(t *testing.T) {
		h := setup(t)
		effs := h.do(Reorder{Queue: "q", Caller: "c4", Position: 2})
		ev := ofType[QueueOrderChanged](effs)
		if len(ev) != 1 || !slices.Equal(ev[0].Callers, []CallerID{"c1", "c4", "c2", "c3"}) {
			t.Fatalf("got %+v, want one QueueOrderChanged c1 c4 c2 c3", ev)
		}
		h.wantOrder("q", "c1", "c4", "c2", "c3")
		h.join("c5", "q")
		h.wantOrder("q", "c1", "c4", "c2", "c3", "c5")
		h.do(Reorder{Queue: "q", Caller: "c1", Position: 99})
		h.wantOrder("q", "c4", "c2", "c3", "c5", "c1")
		wantRung(t, h.do(AgentLogin{Agent: "a1"}), "c4>a1")
	})
	t.Run("reorder_is_stable_for_callers_who_joined_at_the_same_instant", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, nil)
		var model []CallerID
		for i := range 30 {
			h.join(id("c", i), "q")
			model = append(model, CallerID(id("c", i)))
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for range 500 {
			c := model[rng.IntN(len(model))]
			pos := 1 + rng.IntN(len(model))
			h.do(Reorder{Queue: "q", Caller: c, Position: pos})
			i := slices.Index(model, c)
			model = slices.Delete(model, i, i+1)
			model = slices.Insert(model, pos-1, c)
			if got := h.order("q"); !slices.Equal(got, model) {
				t.Fatalf("after moving %s to %d: got %v, want %v", c, pos, got, model)
			}
		}
	})
	t.Run("reorder_of_unknown_caller_or_wrong_queue_is_refused", func(t *testing.T) {
		h := setup(t)
		wantErrIs(t, h.doErr(Reorder{Queue: "q", Caller: "zz", Position: 1}), ErrUnknownCaller)
		wantErrIs(t, h.doErr(Reorder{Queue: "other", Caller: "c1", Position: 1}), ErrNotAllowed)
		wantErrIs(t, h.doErr(Reorder{Queue: "q", Caller: "c1", Position: 0}), ErrInvalid)
	})
	t.Run("set_priority_repositions_and_reports", func(t *testing.T) {
		h := setup(t)
		effs := h.do(SetPriority{Caller: "c3", Priority: 5})
		wantKinds(t, effs, "CallerPriorityChanged QueueOrderChanged")
		h.wantOrder("q", "c3", "c1", "c2", "c4")
		h.do(SetPriority{Caller: "c3", Priority: 0})
		h.wantOrder("q", "c1", "c2", "c3", "c4")
	})
	t.Run("move_keepwait_keeps_place_by_original_join_time", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("a", RRMemory), queueCfg("b", RRMemory)}, nil)
		h.join("old", "a")
		h.now = h.now.Add(time.Minute)
		h.join("b1", "b")
		h.now = h.now.Add(time.Minute)
		effs := h.do(Move{Caller: "old", ToQueue: "b", KeepWait: true})
		wantKinds(t, effs, "CallerMoved QueueOrderChanged QueueOrderChanged")
		h.wantOrder("b", "old", "b1")
		h.wantOrder("a")
		if v, _ := h.e.Caller("old"); !v.JoinedAt.Equal(t0) || v.Queue != "b" {
			t.Fatalf("got %+v, want joined at %v in b", v, t0)
		}
	})
	t.Run("move_without_keepwait_goes_last", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("a", RRMemory), queueCfg("b", RRMemory)}, nil)
		h.join("old", "a")
		h.now = h.now.Add(time.Minute)
		h.join("b1", "b")
		h.do(Move{Caller: "old", ToQueue: "b"})
		h.wantOrder("b", "b1", "old")
	})
	t.Run("move_cancels_rings_from_the_old_queue", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("a", RRMemory), queueCfg("b", RRMemory)}, staticAgents("a", 1))
		h.join("c1", "a")
		effs := h.do(Move{Caller: "c1", ToQueue: "b"})
		if len(ofType[CancelRing](effs)) != 1 {
			t.Fatalf("got %s, want the ring cancelled", kinds(effs))
		}
		h.wantState("a1", AgentAvailable)
	})
	t.Run("resume_restores_position_keeping_join_time", func(t *testing.T) {
		h := setup(t)
		joined := t0.Add(-time.Hour)
		effs := h.do(CallerJoin{Caller: "r", Queue: "q", Resume: true, Position: 2, JoinedAt: joined})
		if j := ofType[CallerJoined](effs)[0]; !j.Resumed || j.Position != 2 || !j.JoinedAt.Equal(joined) {
			t.Fatalf("got %+v, want resumed at 2 joined %v", j, joined)
		}
		h.wantOrder("q", "c1", "r", "c2", "c3", "c4")
	})
}

func TestReconfigure(t *testing.T) {
	t.Run("new_maxwait_applies_to_callers_already_waiting", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, nil)
		h.join("c1", "q")
		h.now = h.now.Add(10 * time.Second)
		h.join("c2", "q")
		h.now = h.now.Add(10 * time.Second)
		effs := h.do(ConfigureQueue{Config: queueCfg("q", RRMemory, func(c *QueueConfig) { c.MaxWait = 15 * time.Second })})
		// c1 waited 20 s: out at once; c2 at 10+15 s.
		if x := ofType[Exit](effs); len(x) != 1 || x[0].Caller != "c1" || x[0].Status != StatusTimeout {
			t.Fatalf("got %s, want c1 timed out", kinds(effs))
		}
		if dl, _ := h.e.NextDeadline(); !dl.Equal(t0.Add(25 * time.Second)) {
			t.Fatalf("got deadline=%v, want %v", dl, t0.Add(25*time.Second))
		}
	})
	t.Run("ringinuse_turned_on_rings_a_busy_agent_for_waiting_callers", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse})
		h.join("c1", "q")
		wantRung(t, h.do(ConfigureQueue{Config: queueCfg("q", RRMemory, func(c *QueueConfig) { c.RingInUse = true })}), "c1>a1")
	})
}
