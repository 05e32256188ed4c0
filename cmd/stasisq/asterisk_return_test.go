package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/queue"
)

// callAs dials a caller into queue presenting number: the same person
// calling again is another channel with the same caller id.
func (o *observer) callAs(q, id, number string) {
	o.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err := o.ari.Originate(ctx, ari.OriginateRequest{
		ChannelID: "o-" + id, OtherChannelID: id, Endpoint: "Local/" + q + "@callers",
		App: "observer", CallerID: fmt.Sprintf("Caller %s <%s>", id, number), Timeout: 60, Formats: "ulaw",
	})
	if err != nil {
		o.tb.Fatalf("originate caller %s: %v", id, err)
	}
}

// waitingOrder is the queue's callers in order, from the engine.
func waitingOrder(e *testEnv, q string) []queue.CallerID {
	snap, err := e.main.App.Snapshot(e.ctx())
	if err != nil {
		e.tb.Fatal(err)
	}
	var ids []queue.CallerID
	for _, v := range snap.Queues {
		if v.Config.Name == q {
			for _, c := range v.Callers {
				ids = append(ids, c.ID)
			}
		}
	}
	return ids
}

// startedMedia reports whether Asterisk started media on caller's channel.
func startedMedia(e *testEnv, caller, media string) bool {
	for _, ev := range e.ari.all() {
		if p, ok := ev.(*ari.PlaybackStarted); ok && p.Playback.TargetURI == "channel:"+caller && p.Playback.MediaURI == media {
			return true
		}
	}
	return false
}

// abandonResumeQueue has abandon-resume and alice paused, so callers wait.
func abandonResumeQueue(e *testEnv) {
	e.tb.Helper()
	e.asteriskQueue("support", func(q *queue.QueueConfig) {
		q.AbandonResume = 10 * time.Minute
		q.WelcomeBack = "welcome"
	})
	e.MustAgent("alice", "Local/1001@agents", "support")
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
}

// firstVisitAbandoned: c01 calls, c02 after it, and c01 hangs up waiting.
func firstVisitAbandoned(e *testEnv, obs *observer) {
	e.tb.Helper()
	obs.callAs("support", "c01", "+442079460001")
	e.waitEvent("c01", "caller_joined")
	obs.waitAnswered("c01")
	obs.callAs("support", "c02", "+442079460002")
	e.waitEvent("c02", "caller_joined")
	obs.hangup("c01")
	e.waitUntil("c01 abandoned", func() bool { l, n := leftReason(e, "c01"); return n == 1 && l.Reason == queue.LeftAbandoned })
}

// returnedAheadAndAnswered checks that back, the return of first, is welcomed
// back on the real Asterisk, waits ahead of other, is answered first, and
// that the records link the visits and today counts one call for the two.
func returnedAheadAndAnswered(t *testing.T, e *testEnv, obs *observer, first, back, other queue.CallerID) {
	t.Helper()
	e.waitEvent(back, "caller_joined")
	e.waitUntil(fmt.Sprintf("%s back ahead of %s", back, other), func() bool {
		o := waitingOrder(e, "support")
		return len(o) == 2 && o[0] == back && o[1] == other
	})
	e.waitUntil("the welcome back played to "+string(back), func() bool { return startedMedia(e, string(back), "sound:welcome") })
	e.mustDo(queue.AgentUnpause{Agent: "alice"})
	e.waitConnected(back, "alice")
	// Paused on the call, so that alice does not take other after it.
	e.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	obs.hangup(string(back))
	e.waitEvent(back, "call_completed")
	e.waitAgent("alice", queue.AgentPaused)
	obs.hangup(string(other))
	e.waitUntil(string(other)+" abandoned", func() bool { l, n := leftReason(e, other); return n == 1 && l.Reason == queue.LeftAbandoned })

	was, now := e.committedCall(first), e.committedCall(back)
	if was.Outcome != queue.OutcomeReturned || was.ReturnedAs != back || now.ReturnOf != first || now.Outcome != queue.OutcomeCompleted {
		t.Errorf("records: %s %s (as %q), %s %s (of %q); want %s returned as %s, which was answered", first, was.Outcome, was.ReturnedAs, back, now.Outcome, now.ReturnOf, first, back)
	}
	if now.Wait < was.Wait {
		t.Errorf("%s waited %s in all, less than the %s of its first visit: the wait must go on", back, now.Wait, was.Wait)
	}
	snap, err := e.main.App.Snapshot(e.ctx())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range snap.Queues {
		if d := q.RealTime.Today; q.Config.Name == "support" && (d.Offered != 2 || d.Answered != 1 || d.Abandoned != 1) {
			t.Errorf("support today: %d offered, %d answered, %d abandoned; want 2, 1, 1 (the return is the first call)", d.Offered, d.Answered, d.Abandoned)
		}
	}
	e.waitAsteriskClean(obs)
}

// A caller hangs up while waiting and calls again from the same number: it
// hears the welcome back, waits ahead of the caller who joined after its
// first call, is answered first, and counts as one call.
func TestAsteriskAbandonResume(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	abandonResumeQueue(e)
	firstVisitAbandoned(e, obs)
	obs.callAs("support", "c03", "442079460001") // the same number, written another way
	returnedAheadAndAnswered(t, e, obs, "c01", "c03", "c02")
}

// The same across a restart of stasisq between the hang-up and the call
// back: the place is kept in the store, not only in memory.
func TestAsteriskAbandonResumeAcrossARestart(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, nil)
	abandonResumeQueue(e)
	firstVisitAbandoned(e, obs)
	if err := e.main.Close(); err != nil {
		t.Fatal(err)
	}
	e.MustRunMain()
	e.waitUntil("c02 resumed", func() bool { o := waitingOrder(e, "support"); return len(o) == 1 && o[0] == "c02" })
	obs.callAs("support", "c03", "+442079460001")
	returnedAheadAndAnswered(t, e, obs, "c01", "c03", "c02")
}
