package queue

import (
	"slices"
	"testing"
	"time"
)

func announceQueue(mods ...func(*QueueConfig)) QueueConfig {
	return queueCfg("q", RRMemory, append([]func(*QueueConfig){func(c *QueueConfig) {
		c.AnnounceFrequency = 30 * time.Second
		c.MinAnnounceFrequency = 15 * time.Second
		c.AnnouncePosition = "yes"
	}}, mods...)...)
}

// announced returns the media announced to caller in effs, one slice per Announce.
func announced(effs []Effect, caller string) [][]string {
	var out [][]string
	for _, a := range ofType[Announce](effs) {
		if string(a.Caller) == caller {
			out = append(out, a.Media)
		}
	}
	return out
}

func wantAnnounced(tb testing.TB, effs []Effect, caller string, want ...[]string) {
	tb.Helper()
	got := announced(effs, caller)
	if len(got) != len(want) {
		tb.Fatalf("caller %s: got announcements=%v, want %v", caller, got, want)
	}
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			tb.Fatalf("caller %s: got announcements=%v, want %v", caller, got, want)
		}
	}
}

// announced is the flow reporting that the caller's last Announce is over.
func (h *harness) announced(caller string) []Effect {
	h.tb.Helper()
	return h.do(AnnouncementDone{Caller: CallerID(caller)})
}

var (
	sayNext = []string{"sound:queue-youarenext", "sound:queue-thankyou"}
	sayPos2 = []string{"sound:queue-thereare", "number:2", "sound:queue-callswaiting", "sound:queue-thankyou"}
)

func TestAnnouncePosition(t *testing.T) {
	t.Run("the_queues_own_sounds_replace_the_prompts", func(t *testing.T) {
		// queue-youarenext = custom/next, queue-thankyou = (none), as in
		// queues.conf.
		h := MustHarness(t, []QueueConfig{announceQueue(func(c *QueueConfig) {
			c.Sounds = map[string]string{"queue-youarenext": "custom/next", "queue-thankyou": ""}
		})}, nil)
		wantAnnounced(t, h.join("c1", "q"), "c1", []string{"sound:custom/next"})
		wantAnnounced(t, h.join("c2", "q"), "c2", []string{"sound:queue-thereare", "number:2", "sound:queue-callswaiting"})
	})
	t.Run("announced_as_soon_as_the_caller_waits", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue()}, nil)
		wantAnnounced(t, h.join("c1", "q"), "c1", sayNext)
		wantAnnounced(t, h.join("c2", "q"), "c2", sayPos2)
	})
	t.Run("never_announced_to_a_caller_being_rung", func(t *testing.T) {
		first := func(c *QueueConfig) { c.AnnounceToFirstUser = true }
		h := MustHarness(t, []QueueConfig{announceQueue(first)}, staticAgents("q", 1))
		wantAnnounced(t, h.join("c1", "q"), "c1")
		wantAnnounced(t, h.advance(14*time.Second), "c1")
		// The ring fails at 15 s: with announce-to-first-user the caller
		// hears its position while it waits out retry.
		effs := h.advance(time.Second)
		wantAnnounced(t, effs, "c1", sayNext)
	})
	t.Run("silent_between_rings_at_its_turn_without_announce_to_first_user", func(t *testing.T) {
		// app_queue's head-caller loop announces only with
		// announce-to-first-user (queue_exec's makeannouncement): a caller
		// waiting out retry for a free agent hears nothing; once no agent is
		// free for it, it waits as any caller and is told its position.
		h := MustHarness(t, []QueueConfig{announceQueue()}, staticAgents("q", 1))
		h.join("c1", "q")
		wantAnnounced(t, h.advance(15*time.Second), "c1") // ring fails at 15 s; retry 5 s
		effs := h.advance(5 * time.Second)
		wantAnnounced(t, effs, "c1")
		if len(ofType[RingAgent](effs)) != 1 {
			t.Fatalf("after retry got %s, want a1 rung again", kinds(effs))
		}
		h.fail("a1", RingNoAnswer)
		wantAnnounced(t, h.advance(2*time.Second), "c1")
		wantAnnounced(t, h.do(AgentPause{Agent: "a1", Reason: "lunch"}), "c1")
		// Retry ends at 25 s: no agent is free for c1 any more.
		wantAnnounced(t, h.advance(3*time.Second-time.Nanosecond), "c1")
		wantAnnounced(t, h.advance(time.Nanosecond), "c1", sayNext)
	})
	t.Run("never_announced_after_connect", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue()}, staticAgents("q", 1))
		h.join("c1", "q")
		h.answer("a1")
		if effs := h.advance(10 * time.Minute); len(ofType[Announce](effs)) != 0 {
			t.Fatalf("announced to a connected caller: %s", kinds(effs))
		}
	})
	t.Run("repeated_every_announce_frequency_exactly", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue()}, nil)
		h.join("c1", "q")
		h.announced("c1")
		wantAnnounced(t, h.advance(30*time.Second-time.Nanosecond), "c1")
		wantAnnounced(t, h.advance(time.Nanosecond), "c1", sayNext)
		h.announced("c1")
		wantAnnounced(t, h.advance(30*time.Second), "c1", sayNext)
	})
	t.Run("position_change_announced_once_min_announce_frequency_passed", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue()}, nil)
		h.join("c1", "q")
		h.join("c2", "q")
		h.announced("c1")
		h.announced("c2")
		h.now = h.now.Add(5 * time.Second)
		h.do(CallerHangup{Caller: "c1"})
		wantAnnounced(t, h.advance(10*time.Second-time.Nanosecond), "c2")
		wantAnnounced(t, h.advance(time.Nanosecond), "c2", sayNext)
	})
	t.Run("announce_position_more_says_more_than_the_limit", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue(func(c *QueueConfig) {
			c.AnnouncePosition = "more"
			c.AnnouncePositionLimit = 2
		})}, nil)
		h.join("c1", "q")
		wantAnnounced(t, h.join("c2", "q"), "c2", sayPos2)
		wantAnnounced(t, h.join("c3", "q"), "c3", []string{"sound:queue-quantity1", "number:2", "sound:queue-quantity2", "sound:queue-thankyou"})
	})
	t.Run("announce_position_limit_says_nothing_beyond_the_limit", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue(func(c *QueueConfig) {
			c.AnnouncePosition = "limit"
			c.AnnouncePositionLimit = 2
		})}, nil)
		h.join("c1", "q")
		wantAnnounced(t, h.join("c2", "q"), "c2", sayPos2)
		wantAnnounced(t, h.join("c3", "q"), "c3")
	})
	t.Run("announce_position_no_says_no_position", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue(func(c *QueueConfig) { c.AnnouncePosition = "no" })}, nil)
		wantAnnounced(t, h.join("c1", "q"), "c1")
	})
}

// busyQueue has one agent that took a call of talk seconds and whose device
// is now busy elsewhere, so that it is staffed but not free: expected wait
// is position × talk.
func busyQueue(t *testing.T, talk time.Duration, mods ...func(*QueueConfig)) *harness {
	h := MustHarness(t, []QueueConfig{announceQueue(mods...)}, staticAgents("q", 1))
	h.join("c0", "q")
	h.answer("a1")
	h.now = h.now.Add(talk)
	h.do(CallEnded{Caller: "c0", By: PartyCaller})
	h.do(AgentDeviceState{Agent: "a1", State: DeviceInUse})
	h.join("c1", "q")
	return h
}

func TestAnnounceHoldTime(t *testing.T) {
	holdYes := func(c *QueueConfig) { c.AnnounceHoldTime = "yes" }
	t.Run("holdtime_yes_says_minutes_of_expected_wait", func(t *testing.T) {
		h := busyQueue(t, 2*time.Minute, holdYes)
		// position 2 × 120 s handle time ÷ 1 agent = 240 s: (240+30)/60 = 4 minutes.
		wantAnnounced(t, h.join("c2", "q"), "c2", []string{"sound:queue-thereare", "number:2", "sound:queue-callswaiting",
			"sound:queue-holdtime", "number:4", "sound:queue-minutes", "sound:queue-thankyou"})
		if v, _ := h.e.Caller("c2"); v.ExpectedWait != 4*time.Minute {
			t.Fatalf("got expected wait=%v, want 4m", v.ExpectedWait)
		}
	})
	t.Run("holdtime_under_two_minutes_says_less_than_2", func(t *testing.T) {
		h := busyQueue(t, 30*time.Second, holdYes)
		wantAnnounced(t, h.join("c2", "q"), "c2", []string{"sound:queue-thereare", "number:2", "sound:queue-callswaiting",
			"sound:queue-holdtime", "sound:queue-less-than", "number:2", "sound:queue-minutes", "sound:queue-thankyou"})
	})
	t.Run("announce_round_seconds_adds_rounded_seconds", func(t *testing.T) {
		h := busyQueue(t, 2*time.Minute, holdYes, func(c *QueueConfig) { c.AnnounceRoundSeconds = 20 })
		// app_queue: ((240+30) - 60×4) / 20 × 20 = 20 seconds.
		wantAnnounced(t, h.join("c2", "q"), "c2", []string{"sound:queue-thereare", "number:2", "sound:queue-callswaiting",
			"sound:queue-holdtime", "number:4", "sound:queue-minutes", "number:20", "sound:queue-seconds", "sound:queue-thankyou"})
	})
	t.Run("holdtime_once_is_said_only_the_first_time", func(t *testing.T) {
		h := busyQueue(t, 2*time.Minute, func(c *QueueConfig) { c.AnnounceHoldTime = "once" })
		if got := announced(h.join("c2", "q"), "c2"); len(got) != 1 || !slices.Contains(got[0], "sound:queue-holdtime") {
			t.Fatalf("got %v, want hold time in the first announcement", got)
		}
		h.announced("c2")
		effs := h.advance(30 * time.Second)
		if got := announced(effs, "c2"); len(got) != 1 || slices.Contains(got[0], "sound:queue-holdtime") {
			t.Fatalf("got %v, want one announcement without hold time", got)
		}
	})
	t.Run("caller_next_in_line_hears_no_holdtime", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue(holdYes)}, nil)
		wantAnnounced(t, h.join("c1", "q"), "c1", sayNext)
	})
}

func TestPeriodicAnnounce(t *testing.T) {
	periodic := func(random bool) func(*QueueConfig) {
		return func(c *QueueConfig) {
			c.AnnounceFrequency = 0
			c.PeriodicAnnounce = []string{"queue-periodic-announce", "custom/busy"}
			c.PeriodicAnnounceFrequency = 20 * time.Second
			c.RandomPeriodicAnnounce = random
		}
	}
	t.Run("periodic_announcements_in_turn_every_frequency_from_join", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, periodic(false))}, nil)
		wantAnnounced(t, h.join("c1", "q"), "c1")
		wantAnnounced(t, h.advance(20*time.Second-time.Nanosecond), "c1")
		wantAnnounced(t, h.advance(time.Nanosecond), "c1", []string{"sound:queue-periodic-announce"})
		h.announced("c1")
		wantAnnounced(t, h.advance(20*time.Second), "c1", []string{"sound:custom/busy"})
		h.announced("c1")
		wantAnnounced(t, h.advance(20*time.Second), "c1", []string{"sound:queue-periodic-announce"})
	})
	t.Run("random_periodic_announce_picks_from_the_list", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, periodic(true))}, nil)
		h.join("c1", "q")
		seen := map[string]int{}
		for range 100 {
			for _, m := range announced(h.advance(20*time.Second), "c1") {
				seen[m[0]]++
			}
			h.announced("c1")
		}
		if len(seen) != 2 || seen["sound:queue-periodic-announce"]+seen["sound:custom/busy"] != 100 {
			t.Fatalf("got %v, want both sounds over 100 announcements", seen)
		}
	})
	t.Run("periodic_announcement_waits_for_a_ring_to_end", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, periodic(false), func(c *QueueConfig) {
			c.Timeout = 30 * time.Second
			c.AnnounceToFirstUser = true
		})}, staticAgents("q", 1))
		h.join("c1", "q")
		wantAnnounced(t, h.advance(29*time.Second), "c1")
		effs := h.advance(2 * time.Second) // ring times out at 30 s
		wantAnnounced(t, effs, "c1", []string{"sound:queue-periodic-announce"})
	})
}

// TestAnnounceTiming follows app_queue's caller thread, which plays one
// announcement at a time: say_position sets last_pos to the time it began
// and say_periodic_announcement sets last_periodic_announce_time likewise,
// so intervals count from the start of the previous announcement, but one
// that falls due while another plays starts when that one ends.
func TestAnnounceTiming(t *testing.T) {
	withPeriodic := func(c *QueueConfig) {
		c.PeriodicAnnounce = []string{"queue-periodic-announce"}
		c.PeriodicAnnounceFrequency = 20 * time.Second
	}
	sayPeriodic := []string{"sound:queue-periodic-announce"}
	t.Run("frequency_counts_from_start_of_previous_announcement", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue()}, nil)
		h.join("c1", "q")
		wantAnnounced(t, h.advance(10*time.Second), "c1") // a 10 s prompt
		h.announced("c1")
		wantAnnounced(t, h.advance(20*time.Second-time.Nanosecond), "c1")
		wantAnnounced(t, h.advance(time.Nanosecond), "c1", sayNext) // 30 s after it began
	})
	t.Run("announcement_due_while_one_plays_starts_when_it_ends", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue()}, nil)
		h.join("c1", "q")
		wantAnnounced(t, h.advance(45*time.Second), "c1") // a 45 s prompt, longer than announce-frequency
		wantAnnounced(t, h.announced("c1"), "c1", sayNext)
		wantAnnounced(t, h.advance(10*time.Second), "c1")
		h.announced("c1")
		wantAnnounced(t, h.advance(20*time.Second-time.Nanosecond), "c1")
		wantAnnounced(t, h.advance(time.Nanosecond), "c1", sayNext) // 30 s after the second began
	})
	t.Run("periodic_waits_for_the_position_announcement_playing", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue(withPeriodic)}, nil)
		wantAnnounced(t, h.join("c1", "q"), "c1", sayNext)
		wantAnnounced(t, h.advance(25*time.Second), "c1") // periodic due at 20 s, position still playing
		wantAnnounced(t, h.announced("c1"), "c1", sayPeriodic)
		wantAnnounced(t, h.advance(2*time.Second), "c1")
		h.announced("c1") // at 27 s
		wantAnnounced(t, h.advance(3*time.Second-time.Nanosecond), "c1")
		wantAnnounced(t, h.advance(time.Nanosecond), "c1", sayNext) // 30 s after the first position
		h.announced("c1")
		wantAnnounced(t, h.advance(15*time.Second-time.Nanosecond), "c1")
		wantAnnounced(t, h.advance(time.Nanosecond), "c1", sayPeriodic) // 20 s after the first periodic began
	})
	t.Run("position_change_waits_for_the_announcement_playing", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue()}, nil)
		h.join("c1", "q")
		h.join("c2", "q")
		h.announced("c1")
		h.now = h.now.Add(5 * time.Second)
		h.do(CallerHangup{Caller: "c1"})
		// min-announce-frequency passes at 15 s, but c2's first is still playing.
		wantAnnounced(t, h.advance(15*time.Second), "c2")
		h.now = h.now.Add(2 * time.Second)
		wantAnnounced(t, h.announced("c2"), "c2", sayNext)
	})
	t.Run("unreported_announcement_holds_the_next_until_the_fallback", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue(withPeriodic)}, nil)
		wantAnnounced(t, h.join("c1", "q"), "c1", sayNext)
		wantAnnounced(t, h.advance(announceDoneFallback-time.Nanosecond), "c1")
		// Both kinds are overdue: position first, then periodic once it is reported.
		wantAnnounced(t, h.advance(time.Nanosecond), "c1", sayNext)
		wantAnnounced(t, h.announced("c1"), "c1", sayPeriodic)
	})
	t.Run("late_report_is_ignored", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{announceQueue()}, staticAgents("q", 1))
		h.join("c1", "q")
		h.answer("a1")
		if effs := h.announced("c1"); len(effs) != 0 {
			t.Fatalf("got %s for a connected caller, want nothing", kinds(effs))
		}
		if effs := h.announced("nobody"); len(effs) != 0 {
			t.Fatalf("got %s for an unknown caller, want nothing", kinds(effs))
		}
		h2 := MustHarness(t, []QueueConfig{announceQueue()}, nil)
		h2.join("c1", "q")
		h2.announced("c1")
		if effs := h2.announced("c1"); len(effs) != 0 {
			t.Fatalf("got %s for a second report, want nothing", kinds(effs))
		}
		wantAnnounced(t, h2.advance(30*time.Second), "c1", sayNext)
	})
}

// TestAgentMedia follows try_calling: after memberdelay, the queue's
// announce (files split on "&") and then, with reportholdtime,
// queue-reporthold, the minutes when there are any and the seconds when
// more than one.
func TestAgentMedia(t *testing.T) {
	tests := []struct {
		name     string
		announce string
		report   bool
		sounds   map[string]string
		wait     time.Duration
		want     []string
	}{
		{"nothing", "", false, nil, time.Minute, nil},
		{"announce_files", "queue-sales & custom/brief", false, nil, 0, []string{"sound:queue-sales", "sound:custom/brief"}},
		{"announce_uri_kept", "recording:brief", false, nil, 0, []string{"recording:brief"}},
		{"hold_time_one_second_is_not_said", "", true, nil, 1500 * time.Millisecond, []string{"sound:queue-reporthold"}},
		{"hold_time_seconds", "", true, nil, 42 * time.Second, []string{"sound:queue-reporthold", "number:42", "sound:queue-seconds"}},
		{"hold_time_minutes_only", "", true, nil, 121 * time.Second, []string{"sound:queue-reporthold", "number:2", "sound:queue-minutes"}},
		{"hold_time_minutes_and_seconds", "", true, nil, 65 * time.Second, []string{"sound:queue-reporthold", "number:1", "sound:queue-minutes", "number:5", "sound:queue-seconds"}},
		{"announce_then_hold_time", "custom/brief", true, map[string]string{"queue-reporthold": "custom/waited"}, 30 * time.Second,
			[]string{"sound:custom/brief", "sound:custom/waited", "number:30", "sound:queue-seconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultQueueConfig("q")
			cfg.Announce, cfg.ReportHoldTime, cfg.Sounds = tt.announce, tt.report, tt.sounds
			if got := agentMedia(&cfg, tt.wait); !slices.Equal(got, tt.want) {
				t.Errorf("got=%v, want %v", got, tt.want)
			}
		})
	}
	t.Run("connect_carries_it_with_the_wait_after_memberdelay", func(t *testing.T) {
		h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) {
			c.Announce, c.ReportHoldTime, c.MemberDelay = "custom/brief", true, 2*time.Second
		})}, staticAgents("q", 1))
		h.join("c1", "q")
		h.advance(10 * time.Second)
		connects := ofType[Connect](h.answer("a1"))
		if len(connects) != 1 {
			t.Fatal("no Connect on answer")
		}
		want := []string{"sound:custom/brief", "sound:queue-reporthold", "number:12", "sound:queue-seconds"}
		if c := connects[0]; c.Delay != 2*time.Second || !slices.Equal(c.AgentMedia, want) {
			t.Errorf("Connect got delay=%v media=%v, want 2s %v", c.Delay, c.AgentMedia, want)
		}
	})
}
