package main

import (
	"log/slog"
	"testing"
	"time"

	"stasisq/ari/aritest"
	"stasisq/queue"
)

// Bridging races a hangup: Asterisk answers addChannel with the status of a
// leg that has left (bridges.json: 400 Channel not found, 422 Channel not in
// Stasis application, 404 Bridge not found). That is the normal race, not an
// error: the leg's StasisEnd ends the call, once.
func TestAddChannelRacesAHangup(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		message string
	}{
		{"channel_not_found", 400, "Channel not found"},
		{"channel_not_in_stasis", 422, "Channel not in Stasis application"},
		{"bridge_not_found", 404, "Bridge not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustStartEnv(t)
			e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer, After: 20 * time.Millisecond})
			e.MustQueue("support", nil)
			e.MustAgent("alice", "PJSIP/1001", "support")
			// Without announcements the bridge takes this run's first id.
			addChannel := "/ari/bridges/sqb-" + e.main.App.RunTag() + "-00000001/addChannel"
			e.fake.FailNext("POST", addChannel, tt.status, tt.message)

			call := e.MustCall("support")
			caller := queue.CallerID(call.ID())
			e.waitUntil("addChannel is refused", func() bool { return e.countRequests("POST", addChannel) == 1 })
			// The agent's leg leaves, as the refusal said it had.
			leg := agentLegOf(e, "alice")
			e.fake.HangupChannel(leg)
			if res := e.waitDone(call); !res.HungUp {
				t.Errorf("caller result=%+v, want hung up after the agent left", res)
			}
			e.waitAgent("alice", queue.AgentAvailable)
			e.waitClean()

			var completions []queue.CallCompleted
			for _, ev := range e.events.all() {
				if c, ok := ev.(queue.CallCompleted); ok && c.Caller == caller {
					completions = append(completions, c)
				}
			}
			if len(completions) != 1 || completions[0].By != queue.PartyAgent {
				t.Errorf("call completed %+v, want once, by the agent", completions)
			}
			if errs := e.logs.atLeast(slog.LevelError); len(errs) != 0 {
				t.Errorf("logged errors %q, want none for a leg that left", errs)
			}
		})
	}
}
