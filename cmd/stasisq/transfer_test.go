package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stasisq/ari/aritest"
	"stasisq/queue"
)

// An agent blind-transfers the caller from the phone. Asterisk swaps a Local
// channel in for the agent's leg and the caller stays in our bridge talking
// to the destination: the call ends for the queue (transferred, talk until
// the transfer), the caller is not hung up, and its later StasisEnd is no
// abandon and no second end; it takes the Local channel and the bridge with
// it.
func TestBlindTransferFromTheAgentsPhone(t *testing.T) {
	e := MustStartEnv(t)
	qlog := filepath.Join(e.dir, "queue_log")
	_ = e.main.Close() // again, writing a queue_log file
	e.MustRunMain(func(c *Config) { c.QueueLog = qlog })
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer, After: 20 * time.Millisecond})
	e.MustQueue("support", func(c *queue.QueueConfig) { c.WrapUpTime = time.Minute })
	e.MustAgent("alice", "PJSIP/1001", "support")

	call := e.MustCall("support")
	caller := queue.CallerID(call.ID())
	select {
	case <-call.Bridged():
	case <-time.After(waitFor):
		t.Fatalf("caller never bridged; requests:\n%s", e.requestLog())
	}
	e.waitAgent("alice", queue.AgentOnCall)
	leg := agentLegOf(e, "alice")
	bridges := e.fake.BridgeIDs()
	if len(bridges) != 1 {
		t.Fatalf("got bridges=%v, want the call's one", bridges)
	}
	bridge := bridges[0]

	local, err := e.fake.BlindTransfer(leg, "200", "internal")
	if err != nil {
		t.Fatalf("BlindTransfer: %v", err)
	}
	e.waitUntil("the call is transferred", func() bool {
		for _, ev := range e.events.all() {
			if _, ok := ev.(queue.CallerTransferred); ok {
				return true
			}
		}
		return false
	})
	e.waitAgent("alice", queue.AgentWrapUp)
	// The agent's leg went; the caller talks on through the Local channel.
	e.waitUntil("the agent's leg is gone", func() bool {
		for _, id := range e.fake.ChannelIDs() {
			if id == leg {
				return false
			}
		}
		return true
	})
	select {
	case <-call.Done():
		t.Fatalf("caller ended at the transfer: %+v", call.Result())
	default:
	}
	if n := e.countRequests("DELETE", "/ari/bridges/"+bridge); n != 0 {
		t.Fatalf("bridge destroyed at the transfer (%d), want it kept for the transferred call; requests:\n%s", n, e.requestLog())
	}

	call.Hangup()
	e.waitDone(call)
	e.waitClean()
	e.assertOrder("DELETE /ari/channels/"+local, "DELETE /ari/bridges/"+bridge)
	for _, r := range e.fake.Requests() {
		if r.Method == "DELETE" && r.Path == "/ari/channels/"+call.ID() {
			t.Errorf("caller hung up by stasisq, want never; requests:\n%s", e.requestLog())
		}
	}

	var transfers []queue.CallerTransferred
	var completions []queue.CallCompleted
	for _, ev := range e.events.all() {
		switch ev := ev.(type) {
		case queue.CallerTransferred:
			transfers = append(transfers, ev)
		case queue.CallCompleted:
			completions = append(completions, ev)
		case queue.CallerLeft:
			if ev.Reason != queue.LeftAnswered {
				t.Errorf("caller left %s, want only answered", ev.Reason)
			}
		}
	}
	if len(transfers) != 1 || transfers[0].Caller != caller || transfers[0].Agent != "alice" || transfers[0].By != queue.PartyAgent ||
		transfers[0].Exten != "200" || transfers[0].Context != "internal" {
		t.Fatalf("got transfers=%+v, want one by alice to 200@internal", transfers)
	}
	if len(completions) != 1 || completions[0].By != queue.PartyTransfer {
		t.Fatalf("got completions=%+v, want one by transfer", completions)
	}

	var rec queue.CallRecord
	e.waitUntil("the call record says transferred", func() bool {
		rec, err = e.main.DB.Call(e.ctx(), caller)
		return err == nil && rec.Outcome == queue.OutcomeTransferred
	})
	if rec.Transfer == nil || rec.Transfer.Exten != "200" || rec.Transfer.Context != "internal" || rec.Agent != "alice" {
		t.Fatalf("got record=%+v transfer=%+v, want transferred by alice to 200@internal", rec, rec.Transfer)
	}

	_ = e.main.Close() // flushes the queue_log
	data, err := os.ReadFile(qlog)
	if err != nil {
		t.Fatalf("read queue_log: %v", err)
	}
	var line string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "TRANSFER") {
			line = l
		}
	}
	prefix := "|" + string(caller) + "|support|alice|BLINDTRANSFER|200|internal|"
	fields := strings.Split(line, "|")
	if !strings.Contains(line, prefix) || len(fields) != 10 || fields[9] != "1" {
		t.Fatalf("got queue_log transfer line %q, want <time>%s<hold>|<talk>|1; queue_log:\n%s", line, prefix, data)
	}
	if strings.Contains(string(data), "COMPLETEAGENT") || strings.Contains(string(data), "COMPLETECALLER") || strings.Contains(string(data), "ABANDON") {
		t.Fatalf("queue_log has a completion or abandon besides the transfer:\n%s", data)
	}
}
