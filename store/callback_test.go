package store

import (
	"context"
	"testing"
	"time"

	"stasisq/queue"
)

// A callback holding its place is in the resume state with its number and
// tries, across a resumed join too; its record keeps every try.
func TestCallbackStateAndRecord(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testOptions())
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	db.Record(
		queue.CallerJoined{At: at(0), Caller: "c1", Queue: "sales", Number: "555", JoinedAt: at(0), Position: 1},
		queue.QueueOrderChanged{At: at(0), Queue: "sales", Callers: []queue.CallerID{"c1"}},
		queue.CallbackRequested{At: at(20), Caller: "c1", Queue: "sales", Number: "5550100", Mode: queue.CallbackAgentFirst},
		queue.CallbackAttempt{At: at(60), Caller: "c1", Queue: "sales", Number: "5550100", Attempt: 1, Agent: "alice"},
		queue.CallbackAttemptEnded{At: at(90), Caller: "c1", Queue: "sales", Attempt: 1, Result: "noanswer"},
		queue.CallerJoined{At: at(100), Caller: "c1", Queue: "sales", Number: "555", JoinedAt: at(0), Position: 1, Resumed: true},
	)
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := db.LoadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Callers) != 1 || st.Callers[0].Callback == nil || *st.Callers[0].Callback != (queue.CallbackResume{Number: "5550100", Attempts: 1, Mode: queue.CallbackAgentFirst}) {
		t.Fatalf("waiting: %+v, want c1 as a callback to 5550100 after 1 try", st.Callers)
	}
	r, err := db.Call(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	cb := r.Callback
	if cb == nil || cb.Number != "5550100" || cb.Mode != queue.CallbackAgentFirst || !cb.RequestedAt.Equal(at(20)) || len(cb.Tries) != 1 ||
		cb.Tries[0] != (queue.CallbackTry{At: at(60), Agent: "alice", Result: "noanswer", Ended: at(90)}) || !r.Open() {
		t.Errorf("record: %+v callback %+v, want the request and one unanswered try by alice, still open", r, cb)
	}
}
