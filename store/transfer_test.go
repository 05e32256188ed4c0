package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

// transferred is a call answered by alice after 25 s that she transferred
// to 200@internal after 90 s of talk, as the engine reports it.
func transferred(c callScript) []queue.Event {
	at := c.joined.Add(115 * time.Second)
	return concat(c.join(), c.ring("o2", "alice", 20*time.Second), c.answer("o2", "alice", 20*time.Second, 25*time.Second),
		[]queue.Event{
			queue.CallerTransferred{At: at, Caller: c.caller, Agent: "alice", Queue: c.queue, By: queue.PartyAgent,
				Exten: "200", Context: "internal", Wait: 25 * time.Second, Talk: 90 * time.Second},
		},
		c.complete("alice", queue.PartyTransfer, 25*time.Second, 90*time.Second))
}

func TestTransferredCallIsRecordedLoggedExportedAndCounted(t *testing.T) {
	var out bytes.Buffer
	opts := testOptions()
	opts.QueueLog = &out
	db := MustOpen(t, opts)
	ctx := context.Background()
	if err := db.PutAgent(ctx, Agent{Config: queue.AgentConfig{ID: "alice", Name: "Alice Smith", Device: "PJSIP/1001",
		Queues: []queue.Membership{{Queue: "support"}}}}); err != nil {
		t.Fatalf("PutAgent: %v", err)
	}
	c := callScript{caller: "1741597200.1", queue: "support", number: "1001", joined: t0, pos: 1}
	db.Record(transferred(c)...)
	MustFlush(t, db)

	r, err := db.Call(ctx, c.caller)
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	wantTransfer := queue.CallTransfer{At: at(115 * time.Second), By: queue.PartyAgent, Exten: "200", Context: "internal"}
	if r.Outcome != queue.OutcomeTransferred || r.Transfer == nil || !r.Transfer.At.Equal(wantTransfer.At) ||
		r.Transfer.Exten != "200" || r.Transfer.Context != "internal" || r.Transfer.By != queue.PartyAgent {
		t.Fatalf("got outcome=%q transfer=%+v, want %q %+v", r.Outcome, r.Transfer, queue.OutcomeTransferred, wantTransfer)
	}
	if r.Talk != 90*time.Second || r.CompletedBy != queue.PartyTransfer || !r.EndedAt.Equal(at(115*time.Second)) || r.Agent != "alice" {
		t.Fatalf("got talk=%v by=%q ended=%v agent=%q, want 90s, transfer, %v, alice", r.Talk, r.CompletedBy, r.EndedAt, r.Agent, at(115*time.Second))
	}

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	wantLast := []string{
		"1741597225|1741597200.1|support|Alice Smith|CONNECT|25|o2|5",
		"1741597315|1741597200.1|support|Alice Smith|BLINDTRANSFER|200|internal|25|90|1",
	}
	if len(lines) < 2 || strings.Join(lines[len(lines)-2:], "\n") != strings.Join(wantLast, "\n") {
		t.Fatalf("queue_log:\ngot=%q\nwant last lines %q", lines, wantLast)
	}

	var csvOut bytes.Buffer
	if err := db.WriteCallsCSV(ctx, &csvOut, queue.CallQuery{}); err != nil {
		t.Fatalf("WriteCallsCSV: %v", err)
	}
	rows, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("got rows=%d err=%v, want header and one call", len(rows), err)
	}
	col := map[string]string{}
	for i, h := range rows[0] {
		col[h] = rows[1][i]
	}
	if col["outcome"] != "transferred" || col["transfer"] != "200@internal" || col["completed_by"] != "transfer" || col["talk_s"] != "90.000" {
		t.Fatalf("got csv row %v, want outcome transferred, transfer 200@internal, completed_by transfer, talk 90.000", col)
	}

	qs, err := db.QueueStats(ctx, "support", t0, at(time.Hour))
	if err != nil {
		t.Fatalf("QueueStats: %v", err)
	}
	var day queue.QueueInterval
	for _, q := range qs {
		day.Add(q)
	}
	if day.Offered != 1 || day.Answered != 1 || day.Abandoned != 0 || day.TalkSum != 90*time.Second || day.WaitSum != 25*time.Second {
		t.Fatalf("got %+v, want offered 1 = answered 1, talk 90s, wait 25s", day)
	}
}
