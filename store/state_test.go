package store

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
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

// oldPositions is the resume state as schema 2 kept it, one position in each
// caller's record: the reference the order keys of schema 3 must read back as.
type oldPositions map[queue.CallerID]WaitingCaller

func (m oldPositions) apply(ev queue.Event) {
	switch e := ev.(type) {
	case queue.CallerJoined:
		m[e.Caller] = WaitingCaller{ID: e.Caller, Queue: e.Queue, Number: e.Number, Name: e.Name, JoinedAt: e.JoinedAt, Position: e.Position}
	case queue.CallerLeft:
		delete(m, e.Caller)
	case queue.CallerMoved:
		if wc, ok := m[e.Caller]; ok {
			wc.Queue = e.To
			m[e.Caller] = wc
		}
	case queue.QueueOrderChanged:
		for i, id := range e.Callers {
			if wc, ok := m[id]; ok {
				wc.Queue, wc.Position = e.Queue, i+1
				m[id] = wc
			}
		}
	}
}

// TestOrderKeysReadBackAsPositions records random joins, leaves, moves and
// orders (some as the engine emits them, some not: orders that leave callers
// out or list strangers, joins, re-joins and moves with no order after) and
// checks that LoadState gives every caller the position schema 2 would have, before and
// after a reopen.
func TestOrderKeysReadBackAsPositions(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { testOrderKeys(t, seed) })
	}
}

func testOrderKeys(t *testing.T, seed uint64) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "order.db")
	rng := rand.New(rand.NewPCG(seed, 2))
	queues := []string{"q1", "q2", "q3"}
	want := oldPositions{}
	order := map[string][]queue.CallerID{} // what the engine would say
	next := 0
	now := t0
	randomEvent := func() queue.Event {
		now = now.Add(time.Second)
		q := queues[rng.IntN(len(queues))]
		switch k := rng.IntN(10); {
		case k < 3 || len(want) == 0:
			next++
			id := queue.CallerID(fmt.Sprintf("c%d", next))
			order[q] = append(slices.Clone(order[q]), id)
			return queue.CallerJoined{At: now, Caller: id, Queue: q, Number: "1", JoinedAt: now, Position: len(order[q])}
		case k < 5:
			ids := slices.Sorted(maps.Keys(want))
			id := ids[rng.IntN(len(ids))]
			for q, o := range order {
				order[q] = slices.DeleteFunc(slices.Clone(o), func(c queue.CallerID) bool { return c == id })
			}
			return queue.CallerLeft{At: now, Caller: id, Queue: want[id].Queue, Reason: queue.LeftAbandoned}
		case k < 6:
			ids := slices.Sorted(maps.Keys(want))
			id := ids[rng.IntN(len(ids))]
			for q, o := range order {
				order[q] = slices.DeleteFunc(slices.Clone(o), func(c queue.CallerID) bool { return c == id })
			}
			order[q] = append(order[q], id)
			return queue.CallerMoved{At: now, Caller: id, From: want[id].Queue, To: q, KeepWait: true}
		case k < 7:
			// A restart re-joins a waiting caller where it was.
			ids := slices.Sorted(maps.Keys(want))
			wc := want[ids[rng.IntN(len(ids))]]
			return queue.CallerJoined{At: now, Caller: wc.ID, Queue: wc.Queue, Number: wc.Number, JoinedAt: wc.JoinedAt,
				Position: 1 + rng.IntN(len(want)), Resumed: true}
		default:
			o := slices.Clone(order[q])
			if rng.IntN(2) == 0 { // a supervisor reorders; else the engine's own order
				rng.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
			}
			if len(o) > 0 && rng.IntN(4) == 0 {
				o = o[:rng.IntN(len(o))] // leaves some out
			}
			if rng.IntN(4) == 0 {
				o = append(o, "stranger")
			}
			return queue.QueueOrderChanged{At: now, Queue: q, Callers: o}
		}
	}
	for round := range 4 {
		db := MustOpenPath(t, path, testOptions())
		for range 100 {
			group := make([]queue.Event, 1+rng.IntN(4))
			for i := range group {
				group[i] = randomEvent()
				want.apply(group[i])
			}
			db.Record(group...)
		}
		MustFlush(t, db)
		for _, reopened := range []bool{false, true} {
			if reopened {
				if err := db.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				db = MustOpenPath(t, path, testOptions())
			}
			st, err := db.LoadState(ctx)
			if err != nil {
				t.Fatalf("LoadState: %v", err)
			}
			got := oldPositions{}
			for _, wc := range st.Callers {
				got[wc.ID] = wc
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, reopened %v: callers\ngot=%+v\nwant %+v", round, reopened, got, want)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

// TestPinnedCallerReplacedAcrossRestart: a caller re-joined at another place
// (pinned) takes its place again from an order identical to the previous
// one, recorded after a restart: the writer must know at Open who is pinned.
func TestPinnedCallerReplacedAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pinned.db")
	db := MustOpenPath(t, path, testOptions())
	order := []queue.CallerID{"a", "b", "c"}
	for i, id := range order {
		c := callScript{caller: id, queue: "support", number: fmt.Sprint(i), joined: at(time.Duration(i) * time.Second), pos: i + 1}
		db.Record(append(c.join(), queue.QueueOrderChanged{At: c.joined, Queue: "support", Callers: order[:i+1]})...)
	}
	db.Record(queue.CallerJoined{At: at(time.Minute), Caller: "b", Queue: "support", Number: "1", JoinedAt: at(time.Second),
		Position: 3, Resumed: true})
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	db = MustOpenPath(t, path, testOptions())
	db.Record(queue.QueueOrderChanged{At: at(2 * time.Minute), Queue: "support", Callers: order})
	MustFlush(t, db)
	st, err := db.LoadState(context.Background())
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	var got []string
	for _, wc := range st.Callers {
		got = append(got, fmt.Sprintf("%s:%d", wc.ID, wc.Position))
	}
	if want := []string{"a:1", "b:2", "c:3"}; !slices.Equal(got, want) {
		t.Errorf("positions: got=%v, want %v", got, want)
	}
}
