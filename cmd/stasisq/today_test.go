package main

import (
	"encoding/json"
	"testing"
	"time"

	"stasisq/ari/aritest"
	"stasisq/queue"
)

// TestRestartKeepsTodaysFigures: after a restart mid-day the wallboard's
// "today" (offered, answered, service level, abandoned, wait and talk sums)
// is what it showed before, and so is each agent's: the engine's live
// figures go on from the stored intervals instead of starting at zero.
func TestRestartKeepsTodaysFigures(t *testing.T) {
	e := MustStartEnv(t)
	e.MustQueue("support", nil)
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer, TalkFor: 40 * time.Millisecond})
	e.MustAgent("alice", "PJSIP/1001", "support")
	const answered = 3
	for range answered {
		e.waitDone(e.MustCall("support"))
		e.waitAgent("alice", queue.AgentAvailable)
	}
	if err := e.main.App.Do(e.ctx(), queue.AgentPause{Agent: "alice", Reason: "x"}); err != nil {
		t.Fatalf("pause: %v", err)
	}
	gone := e.MustCall("support")
	e.waitUntil("the last caller on hold", func() bool { return e.countRequests("POST", "/ari/channels/"+gone.ID()+"/moh") == 1 })
	gone.Hangup()
	e.waitDone(gone)
	e.waitClean()
	e.waitUntil("the abandon is counted", func() bool { return todaysFigures(t, e).queue.Abandoned == 1 })

	before := todaysFigures(t, e)
	if before.queue.Offered != answered+1 || before.queue.Answered != answered || before.queue.Abandoned != 1 || before.agent.Calls != answered {
		t.Fatalf("today before the restart: got %+v / %+v, want %d offered, %d answered, 1 abandoned", before.queue, before.agent, answered+1, answered)
	}
	if err := e.main.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	e.MustRunMain()
	after := todaysFigures(t, e)
	if got, want := mustJSON(t, after.queue), mustJSON(t, before.queue); got != want {
		t.Errorf("queue today after the restart:\n got  %s\n want %s", got, want)
	}
	if after.agent.Calls != before.agent.Calls || after.agent.Talk != before.agent.Talk || after.agent.WrapUp != before.agent.WrapUp || after.agent.NoAnswers != before.agent.NoAnswers {
		t.Errorf("alice today after the restart: got %+v, want the calls, talk, wrap-up and no-answers of %+v", after.agent, before.agent)
	}
}

type today struct {
	queue queue.QueueInterval
	agent queue.AgentInterval
}

func todaysFigures(t *testing.T, e *testEnv) today {
	t.Helper()
	snap, err := e.main.App.Snapshot(e.ctx())
	if err != nil {
		t.Fatal(err)
	}
	var out today
	for _, q := range snap.Queues {
		if q.Config.Name == "support" {
			out.queue = q.RealTime.Today
		}
	}
	for _, a := range snap.Agents {
		if a.Config.ID == "alice" {
			out.agent = a.Today
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
