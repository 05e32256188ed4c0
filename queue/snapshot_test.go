package queue

import (
	"testing"
	"time"
)

func TestSnapshot(t *testing.T) {
	t.Run("real_time_figures", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.ServiceLevel = 20 * time.Second })},
			append(staticAgents("q", 3), agentIn("a9", false, Membership{Queue: "q"})))
		h.do(AgentPause{Agent: "a3", Reason: "lunch"})
		h.join("c1", "q") // a1
		h.join("c2", "q") // a2
		h.now = h.now.Add(10 * time.Second)
		h.answer("a1")
		h.join("c3", "q")
		h.now = h.now.Add(30 * time.Second)
		h.answer("a2") // c2 waited 40 s: beyond the service level
		h.join("c4", "q")
		h.now = h.now.Add(5 * time.Second)

		s := h.e.Snapshot(h.now)
		if len(s.Queues) != 1 || len(s.Agents) != 4 {
			t.Fatalf("got %d queues %d agents", len(s.Queues), len(s.Agents))
		}
		rt := s.Queues[0].RealTime
		if rt.Waiting != 2 || rt.LongestWait != 35*time.Second || rt.InProgress != 2 {
			t.Fatalf("got waiting=%d longest=%v in progress=%d, want 2, 35s, 2", rt.Waiting, rt.LongestWait, rt.InProgress)
		}
		want := map[AgentState]int{AgentOnCall: 2, AgentPaused: 1, AgentLoggedOut: 1}
		for st, n := range want {
			if rt.Agents[st] != n {
				t.Fatalf("got agents=%v, want %v", rt.Agents, want)
			}
		}
		if rt.Today.Offered != 4 || rt.Today.Answered != 2 || rt.Today.AnsweredInSL != 1 || rt.ServiceLevel != 50 {
			t.Fatalf("got today=%+v sl=%v, want offered 4, answered 2, 1 in SL, 50%%", rt.Today, rt.ServiceLevel)
		}
		c := s.Queues[0].Callers
		if c[0].ID != "c3" || c[0].Position != 1 || c[1].ID != "c4" || c[1].Position != 2 {
			t.Fatalf("got callers=%+v", c)
		}
		for _, a := range s.Agents {
			if a.Config.ID == "a1" && (a.State != AgentOnCall || a.Caller != "c1" || a.CallerNumber != "555c1" || a.Queue != "q") {
				t.Fatalf("got a1=%+v", a)
			}
		}
	})
	t.Run("snapshot_shares_nothing_with_the_engine", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.JoinEmpty = []EmptyCondition{EmptyPaused} })},
			[]AgentConfig{{ID: "a1", Device: "d", Static: true, Queues: []Membership{{Queue: "q"}}, Skills: map[string]int{"x": 1}}})
		s := h.e.Snapshot(h.now)
		s.Queues[0].Config.JoinEmpty[0] = "mutated"
		s.Agents[0].Config.Skills["x"] = 99
		s.Agents[0].Config.Queues[0].Penalty = 7
		s2 := h.e.Snapshot(h.now)
		if s2.Queues[0].Config.JoinEmpty[0] != EmptyPaused || s2.Agents[0].Config.Skills["x"] != 1 || s2.Agents[0].Config.Queues[0].Penalty != 0 {
			t.Fatalf("snapshot aliases engine state: %+v", s2)
		}
	})
	t.Run("ringing_caller_lists_the_agents_being_offered", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RingAll)}, staticAgents("q", 2))
		h.join("c1", "q")
		v, ok := h.e.Caller("c1")
		if !ok || len(v.Ringing) != 2 || v.Position != 1 {
			t.Fatalf("got %+v, want ringing a1 a2 at position 1", v)
		}
	})
	t.Run("expected_wait_is_position_times_handle_time_over_staffed_agents", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.WrapUpTime = 20 * time.Second })}, staticAgents("q", 2))
		h.join("c1", "q")
		h.answer("a1")
		h.now = h.now.Add(100 * time.Second)
		h.do(CallEnded{Caller: "c1", By: PartyCaller}) // handle time 100 + 20 = 120 s
		h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse})
		h.do(AgentDeviceState{Agent: "a2", State: DeviceInUse})
		for _, c := range []string{"c2", "c3", "c4"} {
			h.join(c, "q")
		}
		for i, want := range []time.Duration{60 * time.Second, 120 * time.Second, 180 * time.Second} {
			v, _ := h.e.Caller(CallerID([]string{"c2", "c3", "c4"}[i]))
			if v.ExpectedWait != want {
				t.Fatalf("position %d: got expected wait=%v, want %v", i+1, v.ExpectedWait, want)
			}
		}
	})
}

func TestNextDeadline(t *testing.T) {
	t.Run("nothing_scheduled_when_idle", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		if dl, ok := h.e.NextDeadline(); ok {
			t.Fatalf("got deadline %v, want none", dl)
		}
	})
	t.Run("answered_ring_no_longer_schedules_its_timeout", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
		h.join("c1", "q")
		h.answer("a1")
		if dl, ok := h.e.NextDeadline(); ok {
			t.Fatalf("got deadline %v, want none", dl)
		}
	})
	t.Run("earliest_of_ring_timeout_maxwait_and_wrapup", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) {
			c.MaxWait = 12 * time.Second
			c.TimeoutPriority = "conf"
			c.WrapUpTime = 3 * time.Second
		})}, staticAgents("q", 2))
		h.join("c1", "q")
		h.answer("a1")
		h.do(CallEnded{Caller: "c1", By: PartyCaller})
		h.now = h.now.Add(time.Second)
		h.join("c2", "q") // rings a2 until 16 s, maxwait at 13 s
		for _, want := range []time.Duration{3 * time.Second, 13 * time.Second, 16 * time.Second} {
			dl, ok := h.e.NextDeadline()
			if !ok || !dl.Equal(t0.Add(want)) {
				t.Fatalf("got deadline=%v, want %v", dl.Sub(t0), want)
			}
			h.now = dl
			h.do(Tick{})
		}
	})
}
