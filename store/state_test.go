package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"stasisq/queue"
)

func TestLoadStateConnectedCalls(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testOptions())
	// x waited 20 s and talks to ann; y's call with bob is over; cal rings for w.
	x := callScript{caller: "x", queue: "support", number: "1", joined: t0, pos: 1}
	y := callScript{caller: "y", queue: "support", number: "2", joined: t0, pos: 1}
	w := callScript{caller: "w", queue: "support", number: "3", joined: t0, pos: 1}
	db.Record(concat(x.join(), x.ring("o1", "ann", 10*time.Second), x.answer("o1", "ann", 10*time.Second, 20*time.Second))...)
	db.Record(concat(y.join(), y.ring("o2", "bob", 0), y.answer("o2", "bob", 0, 5*time.Second),
		y.complete("bob", queue.PartyCaller, 5*time.Second, time.Minute))...)
	db.Record(concat(w.join(), w.ring("o3", "cal", time.Second))...)
	// A later state change of ann's session (a resume re-reporting on-call)
	// must not move the connect time.
	db.Record(queue.AgentStateChanged{At: at(time.Hour), Agent: "ann", State: queue.AgentOnCall, Prev: queue.AgentAvailable,
		PrevSince: at(time.Hour), Caller: "x", Queue: "support"})
	MustFlush(t, db)
	st, err := db.LoadState(ctx)
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	want := []ConnectedCall{{Caller: "x", Agent: "ann", Queue: "support", ConnectedAt: at(20 * time.Second),
		Wait: 20 * time.Second, Number: "1", Name: "Caller 1"}}
	if !reflect.DeepEqual(st.Calls, want) {
		t.Errorf("calls: got=%+v, want %+v", st.Calls, want)
	}
}
