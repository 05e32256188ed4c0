package queue

import (
	"testing"
	"time"
)

// serve answers the ring of agent and ends the call at once, so that the
// agent is free again (queues here have no wrap-up).
func (h *harness) serve(agent string) {
	h.tb.Helper()
	v, _ := h.e.Agent(AgentID(agent))
	h.answer(agent)
	h.do(CallEnded{Caller: v.Caller, By: PartyCaller})
}

// ringedBy returns the single agent rung in effs.
func ringedBy(tb testing.TB, effs []Effect) string {
	tb.Helper()
	r := ofType[RingAgent](effs)
	if len(r) != 1 {
		tb.Fatalf("got %d rings, want 1: %s", len(r), kinds(effs))
	}
	return string(r[0].Agent)
}

func TestStrategy(t *testing.T) {
	t.Run("rrmemory_resumes_after_last_agent_rung", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 3))
		var got []string
		for _, c := range []string{"c1", "c2", "c3", "c4"} {
			a := ringedBy(t, h.join(c, "q"))
			got = append(got, a)
			h.serve(a)
		}
		if want := []string{"a1", "a2", "a3", "a1"}; !equal(got, want) {
			t.Fatalf("got rotation=%v, want %v", got, want)
		}
	})
	t.Run("rrmemory_rotation_survives_a_no_answer", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 3))
		h.join("c1", "q")
		wantRung(t, h.fail("a1", RingNoAnswer), "c1>a2")
		h.serve("a2")
		if a := ringedBy(t, h.join("c2", "q")); a != "a3" {
			t.Fatalf("got %s, want a3 (after a2, the last rung)", a)
		}
	})
	t.Run("rrmemory_rotates_in_login_order", func(t *testing.T) {
		agents := []AgentConfig{agentIn("a1", false, Membership{Queue: "q"}), agentIn("a2", false, Membership{Queue: "q"})}
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, agents)
		h.do(AgentLogin{Agent: "a2"})
		h.do(AgentLogin{Agent: "a1"})
		if a := ringedBy(t, h.join("c1", "q")); a != "a2" {
			t.Fatalf("got %s, want a2 (logged in first)", a)
		}
	})
	t.Run("rrordered_rotates_in_configuration_order", func(t *testing.T) {
		agents := []AgentConfig{agentIn("a1", false, Membership{Queue: "q"}), agentIn("a2", false, Membership{Queue: "q"})}
		h := MustHarness(t, []QueueConfig{queueCfg("q", RROrdered)}, agents)
		h.do(AgentLogin{Agent: "a2"})
		h.do(AgentLogin{Agent: "a1"})
		var got []string
		for _, c := range []string{"c1", "c2", "c3"} {
			a := ringedBy(t, h.join(c, "q"))
			got = append(got, a)
			h.serve(a)
		}
		if want := []string{"a1", "a2", "a1"}; !equal(got, want) {
			t.Fatalf("got rotation=%v, want %v", got, want)
		}
	})
	t.Run("linear_always_starts_from_first_member", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", Linear)}, staticAgents("q", 3))
		for _, c := range []string{"c1", "c2", "c3"} {
			a := ringedBy(t, h.join(c, "q"))
			if a != "a1" {
				t.Fatalf("caller %s: got %s, want a1", c, a)
			}
			h.serve(a)
		}
	})
	t.Run("linear_follows_the_members_order_not_the_order_configured", func(t *testing.T) {
		// After a restart agents are configured in id order; the member
		// => lines said a3, a1, a2.
		h := MustHarness(t, []QueueConfig{queueCfg("q", Linear, func(c *QueueConfig) { c.Retry = time.Second })}, []AgentConfig{
			agentIn("a1", true, Membership{Queue: "q", Order: 2}),
			agentIn("a2", true, Membership{Queue: "q", Order: 3}),
			agentIn("a3", true, Membership{Queue: "q", Order: 1}),
		})
		wantRung(t, h.join("c1", "q"), "c1>a3")
		wantRung(t, h.fail("a3", RingNoAnswer), "c1>a1")
		wantRung(t, h.fail("a1", RingNoAnswer), "c1>a2")
	})
	t.Run("linear_goes_down_the_list_then_wraps", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", Linear, func(c *QueueConfig) { c.Retry = time.Second })}, staticAgents("q", 3))
		h.join("c1", "q")
		wantRung(t, h.fail("a1", RingNoAnswer), "c1>a2")
		wantRung(t, h.fail("a2", RingNoAnswer), "c1>a3")
		wantRung(t, h.fail("a3", RingNoAnswer))
		// a1's retry pause ends first: the list starts over.
		wantRung(t, h.advance(time.Second), "c1>a1")
	})
	t.Run("leastrecent_rings_agent_whose_last_call_ended_longest_ago", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", LeastRecent)}, staticAgents("q", 3))
		// a1 and a2 take calls (a2's ends later); a3 never took one.
		h.join("c1", "q")
		h.serve("a1")
		h.now = h.now.Add(time.Minute)
		h.join("c2", "q")
		if a := h.state("a2"); a != AgentRinging {
			t.Fatalf("a2: got %v, want ringing (a2 and a3 never called, a2 first in order)", a)
		}
		h.serve("a2")
		if a := ringedBy(t, h.join("c3", "q")); a != "a3" {
			t.Fatalf("got %s, want a3 (never had a call)", a)
		}
		h.serve("a3")
		if a := ringedBy(t, h.join("c4", "q")); a != "a1" {
			t.Fatalf("got %s, want a1 (oldest last call)", a)
		}
	})
	t.Run("fewestcalls_rings_agent_with_fewest_answered_calls", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", FewestCalls)}, staticAgents("q", 2))
		h.join("c1", "q")
		h.serve("a1")
		if a := ringedBy(t, h.join("c2", "q")); a != "a2" {
			t.Fatalf("got %s, want a2 (0 calls)", a)
		}
		// An unanswered ring is not a call.
		h.fail("a2", RingNoAnswer)
		h.serve("a1") // c2 went to a1 after a2 failed
		h.join("c3", "q")
		if a := h.state("a2"); a != AgentRinging {
			t.Fatalf("a2: got %v, want ringing (a1 has 2 calls, a2 none)", a)
		}
	})
	t.Run("random_rings_every_agent_of_the_best_tier_and_no_other", func(t *testing.T) {
		agents := append(staticAgents("q", 3), agentIn("a9", true, Membership{Queue: "q", Penalty: 5}))
		h := MustHarness(t, []QueueConfig{queueCfg("q", Random)}, agents)
		seen := map[string]int{}
		for i := range 300 {
			a := ringedBy(t, h.join(id("c", i), "q"))
			seen[a]++
			h.serve(a)
		}
		if seen["a9"] != 0 || seen["a1"] < 50 || seen["a2"] < 50 || seen["a3"] < 50 {
			t.Fatalf("got picks=%v, want a1..a3 about 100 each and a9 never", seen)
		}
	})
	t.Run("wrandom_weighs_penalty_instead_of_tiering", func(t *testing.T) {
		agents := []AgentConfig{agentIn("a1", true, Membership{Queue: "q"}), agentIn("a2", true, Membership{Queue: "q", Penalty: 9})}
		h := MustHarness(t, []QueueConfig{queueCfg("q", WRandom)}, agents)
		seen := map[string]int{}
		for i := range 1000 {
			a := ringedBy(t, h.join(id("c", i), "q"))
			seen[a]++
			h.serve(a)
		}
		// a1's metric is uniform on [0,1000), a2's on [0,10000): a2 wins about 5%.
		if seen["a2"] == 0 || seen["a2"] > 120 {
			t.Fatalf("got picks=%v, want a2 about 50 of 1000", seen)
		}
	})
	t.Run("longest_idle_counts_idle_from_end_of_wrapup", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", LongestIdle, func(c *QueueConfig) { c.WrapUpTime = time.Minute })}, staticAgents("q", 3))
		h.do(AgentPause{Agent: "a3"})
		h.join("c1", "q")
		h.join("c2", "q")
		h.answer("a1")
		h.answer("a2")
		h.do(CallEnded{Caller: "c1", By: PartyCaller}) // a1's call ends first...
		h.now = h.now.Add(10 * time.Second)
		h.do(CallEnded{Caller: "c2", By: PartyCaller})
		h.do(AgentWrapUpDone{Agent: "a2"}) // ...but a2 is ready 50 s before a1
		h.advance(time.Minute)
		h.wantState("a1", AgentAvailable)
		if a := ringedBy(t, h.join("c3", "q")); a != "a2" {
			t.Fatalf("got %s, want a2 (idle longest since its wrap-up ended)", a)
		}
	})
	t.Run("skills_rings_best_matching_agent", func(t *testing.T) {
		agents := []AgentConfig{
			{ID: "a1", Device: "PJSIP/a1", Static: true, Queues: []Membership{{Queue: "q"}}, Skills: map[string]int{"fr": 60}},
			{ID: "a2", Device: "PJSIP/a2", Static: true, Queues: []Membership{{Queue: "q"}}, Skills: map[string]int{"fr": 90, "de": 10}},
			{ID: "a3", Device: "PJSIP/a3", Static: true, Queues: []Membership{{Queue: "q"}}},
		}
		h := MustHarness(t, []QueueConfig{queueCfg("q", SkillsBased)}, agents)
		effs := h.do(CallerJoin{Caller: "c1", Queue: "q", Skills: map[string]int{"fr": 50}, JoinedAt: h.now})
		if a := ringedBy(t, effs); a != "a2" {
			t.Fatalf("got %s, want a2 (fr 90 beats fr 60)", a)
		}
		effs = h.do(CallerJoin{Caller: "c2", Queue: "q", Skills: map[string]int{"fr": 70}, JoinedAt: h.now})
		wantRung(t, effs) // a1's fr 60 is below the 70 required; a3 has none
	})
	t.Run("skills_ties_go_to_longest_idle", func(t *testing.T) {
		agents := []AgentConfig{
			{ID: "a1", Device: "PJSIP/a1", Static: true, Queues: []Membership{{Queue: "q"}}, Skills: map[string]int{"fr": 80}},
			{ID: "a2", Device: "PJSIP/a2", Static: true, Queues: []Membership{{Queue: "q"}}, Skills: map[string]int{"fr": 80}},
		}
		h := MustHarness(t, []QueueConfig{queueCfg("q", SkillsBased)}, agents)
		h.join("c0", "q")
		h.serve("a1")
		h.now = h.now.Add(time.Second)
		h.join("c1", "q")
		h.serve("a2")
		h.now = h.now.Add(time.Second)
		effs := h.do(CallerJoin{Caller: "c2", Queue: "q", Skills: map[string]int{"fr": 10}, JoinedAt: h.now})
		if a := ringedBy(t, effs); a != "a1" {
			t.Fatalf("got %s, want a1 (idle since earlier)", a)
		}
	})
}

func TestPenalty(t *testing.T) {
	t.Run("lower_penalty_rung_first_higher_only_when_none_available", func(t *testing.T) {
		for _, s := range []Strategy{RRMemory, RROrdered, Linear, LeastRecent, FewestCalls, Random, LongestIdle, SkillsBased} {
			t.Run(string(s), func(t *testing.T) {
				agents := []AgentConfig{
					agentIn("a1", true, Membership{Queue: "q", Penalty: 2}),
					agentIn("a2", true, Membership{Queue: "q", Penalty: 1}),
				}
				h := MustHarness(t, []QueueConfig{queueCfg("q", s)}, agents)
				if a := ringedBy(t, h.join("c1", "q")); a != "a2" {
					t.Fatalf("got %s, want a2 (penalty 1)", a)
				}
				if a := ringedBy(t, h.join("c2", "q")); a != "a1" {
					t.Fatalf("got %s, want a1 (penalty 2, the only one left)", a)
				}
			})
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func id(prefix string, i int) string {
	return prefix + string(rune('A'+i/676%26)) + string(rune('A'+i/26%26)) + string(rune('A'+i%26))
}
