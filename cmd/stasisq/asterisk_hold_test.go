package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/queue"
)

// sharedHolds are stasisq's holding bridges in Asterisk, each with the
// callers in it.
func sharedHolds(obs *observer) map[string][]string {
	out := map[string][]string{}
	for _, b := range obs.bridges() {
		if strings.HasPrefix(b.ID, "sqh-") {
			chans := slices.Clone(b.Channels)
			slices.Sort(chans)
			out[b.ID] = chans
		}
	}
	return out
}

// --hold-music shared on a real Asterisk: callers of two queues with one
// music class wait in one holding bridge and hear its music; an
// announcement to one of them plays and the music comes back by itself;
// the exit key works from the bridge; a connected caller leaves it for
// the agent's bridge and hears the agent; the last caller out takes the
// bridge with it, and the next caller gets a new one with music.
func TestAsteriskSharedHold(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil, func(c *Config) { c.HoldMusic = "shared" })
	e.asteriskQueue("support", func(q *queue.QueueConfig) {
		q.AnnouncePosition = "yes"
		q.AnnounceFrequency = 20 * time.Second
		q.MinAnnounceFrequency = 20 * time.Second
		q.ExitKeys = "0"
	})
	e.asteriskQueue("sales", func(q *queue.QueueConfig) { q.ExitKeys = "0" })
	e.MustAgent("alice", "Local/1001@agents", "support", "sales")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	for _, c := range []struct{ q, id string }{{"support", "c01"}, {"support", "c02"}, {"sales", "c03"}} {
		obs.call(c.q, c.id)
	}
	var hold string
	pollUntil(t, waitFor, "the three callers in one holding bridge", func() (bool, string) {
		hs := sharedHolds(obs)
		for id, chans := range hs {
			hold = id
			return len(hs) == 1 && slices.Equal(chans, []string{"c01", "c02", "c03"}), fmt.Sprint(hs)
		}
		return false, "no holding bridge"
	})
	for _, id := range []string{"c01", "c02", "c03"} {
		pollUntil(t, 5*time.Second, id+" hears music", func() (bool, string) { return obs.heard(id) > 0, "silence" })
	}

	// c01's position announcement, then the music again without a word
	// from stasisq.
	var pb string
	pollUntil(t, 20*time.Second, "an announcement to c01", func() (bool, string) {
		for _, ev := range e.ari.all() {
			if p, ok := ev.(*ari.PlaybackStarted); ok && p.Playback.TargetURI == "channel:c01" {
				pb = p.Playback.ID
				return true, ""
			}
		}
		return false, "none started"
	})
	pollUntil(t, 15*time.Second, "the announcement over", func() (bool, string) {
		for _, ev := range e.ari.all() {
			if p, ok := ev.(*ari.PlaybackFinished); ok && p.Playback.ID == pb {
				return true, ""
			}
		}
		return false, "still playing"
	})
	obs.listenAgain("c01")
	pollUntil(t, 3*time.Second, "music for c01 after its announcement", func() (bool, string) { return obs.heard("c01") > 0, "silence" })
	if hs := sharedHolds(obs); !slices.Contains(hs[hold], "c01") {
		t.Fatalf("after the announcement c01 is not in the holding bridge: %v", hs)
	}

	// The exit key from the bridge: back in the dialplan, out of the bridge.
	obs.press("c03", "0")
	if v := obs.verdict("c03"); len(v) < 2 || v[0] != "EXITWITHKEY" || v[1] != "0" {
		t.Errorf("c03's dialplan after the queue: got %q, want QUEUESTATUS=EXITWITHKEY, QUEUEEXITKEY=0", v)
	}

	// alice back: c01 is put through, out of the holding bridge, and
	// hears her (the echo agent).
	e.mustDo(queue.AgentUnpause{Agent: "alice"})
	e.waitConnected("c01", "alice")
	pollUntil(t, 5*time.Second, "c02 alone in the holding bridge", func() (bool, string) {
		hs := sharedHolds(obs)
		return slices.Equal(hs[hold], []string{"c02"}), fmt.Sprint(hs)
	})
	obs.listenAgain("c01")
	obs.say("c01", "queue-thankyou")
	pollUntil(t, 5*time.Second, "c01 hears the agent", func() (bool, string) { return obs.heard("c01") > 0, "silence" })
	obs.hush("c01")

	// c01 done, c02 put through: the emptied holding bridge goes.
	obs.hangup("c01")
	e.waitConnected("c02", "alice")
	pollUntil(t, 5*time.Second, "no holding bridge once nobody waits", func() (bool, string) {
		hs := sharedHolds(obs)
		return len(hs) == 0, fmt.Sprint(hs)
	})

	// The next caller waits in a new bridge, with music.
	obs.call("sales", "c04")
	pollUntil(t, waitFor, "c04 in a new holding bridge", func() (bool, string) {
		hs := sharedHolds(obs)
		for id, chans := range hs {
			return id != hold && slices.Equal(chans, []string{"c04"}), fmt.Sprint(hs)
		}
		return false, "none"
	})
	pollUntil(t, 5*time.Second, "c04 hears music", func() (bool, string) { return obs.heard("c04") > 0, "silence" })
	obs.hangup("c04")
	e.endCall(obs, "c02", "alice")
}
