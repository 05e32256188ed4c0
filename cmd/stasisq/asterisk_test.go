package main

import (
	"fmt"
	"slices"
	"testing"

	"stasisq/queue"
)

// An answered call on the real Asterisk: the caller waits, the agent's
// phone is rung and answers, both are in one bridge of ours; the caller
// hangs up, the call is recorded and nothing is left in Asterisk.
func TestAsteriskAnsweredCall(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "Local/1001@agents", "support")

	obs.call("support", "c01")
	e.waitAgent("alice", queue.AgentOnCall)
	pollUntil(t, waitFor, "caller and agent in one bridge", func() (bool, string) {
		bs := obs.bridges()
		for _, b := range bs {
			if slices.Contains(b.Channels, "c01") && len(b.Channels) == 2 {
				return true, ""
			}
		}
		return false, fmt.Sprint(bridgeMembers(bs))
	})
	obs.hangup("c01")
	e.waitEvent("c01", "call_completed")
	e.waitAgent("alice", queue.AgentAvailable)
	if c, ok := completed(e, "c01"); !ok || c.Agent != "alice" || c.By != queue.PartyCaller {
		t.Errorf("call completed: got %+v (%v), want alice's call ended by the caller", c, ok)
	}
	e.waitAsteriskClean(obs)
}
