package store

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"stasisq/queue"
)

// benchEvents is a day of calls as the engine emits them, one call after
// another: join, order, ring, answer, connect, complete, wrap-up.
func benchEvents(n int) []queue.Event {
	var out []queue.Event
	for i := 0; len(out) < n; i++ {
		c := callScript{caller: queue.CallerID(fmt.Sprintf("17415972%02d.%d", i%100, i)), queue: "support",
			number: "1001", joined: t0.Add(time.Duration(i) * time.Second), pos: 1}
		agent := queue.AgentID(fmt.Sprintf("agent%02d", i%20))
		out = append(out, concat(c.join(),
			[]queue.Event{queue.QueueOrderChanged{At: c.joined, Queue: "support", Callers: []queue.CallerID{c.caller}}},
			c.ring(queue.OfferID(fmt.Sprintf("o%d", i)), agent, time.Second),
			c.answer(queue.OfferID(fmt.Sprintf("o%d", i)), agent, time.Second, 3*time.Second),
			c.complete(agent, queue.PartyCaller, 3*time.Second, 60*time.Second))...)
	}
	return out[:n]
}

// BenchmarkRecord measures domain events persisted per second, with fsync,
// from the first Record to the Flush that confirms the last one:
//
//	go test ./store -run '^$' -bench BenchmarkRecord -benchtime 5000x
func BenchmarkRecord(b *testing.B) {
	for _, bc := range []struct {
		name      string
		batchSize int
	}{
		{"group-commit", 0}, // defaults: 256 events or 10ms
		{"tx-per-event", 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := testOptions()
			opts.NoSync = false // what a deployment does: the fsync is the cost group commit amortises
			opts.BatchSize = bc.batchSize
			db := MustOpen(b, opts)
			events := benchEvents(b.N)
			b.ResetTimer()
			start := time.Now()
			for _, ev := range events {
				db.Record(ev)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			if err := db.Flush(ctx); err != nil {
				b.Fatalf("Flush: %v", err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkQueueOrderChurn measures the writer with 1,000 callers waiting in
// one queue: each op is what the engine records when the head of the queue
// is answered and a new caller joins at the tail, two order changes carrying
// the whole queue. The fsync is off: this is the writer's CPU per batch.
//
//	go test ./store -run '^$' -bench BenchmarkQueueOrderChurn -benchtime 2000x
func BenchmarkQueueOrderChurn(b *testing.B) {
	const waiting = 1000
	opts := testOptions()
	db := MustOpen(b, opts)
	id := func(n int) queue.CallerID { return queue.CallerID(fmt.Sprintf("1741597200.%d", n)) }
	joinedAt := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	order := make([]queue.CallerID, 0, waiting)
	for n := range waiting {
		order = append(order, id(n))
		db.Record(queue.CallerJoined{At: joinedAt(n), Caller: id(n), Queue: "support", Number: "1001",
			JoinedAt: joinedAt(n), Position: n + 1},
			queue.QueueOrderChanged{At: joinedAt(n), Queue: "support", Callers: slices.Clone(order)})
	}
	MustFlush(b, db)
	b.ResetTimer()
	cpu := processCPU(b)
	for i := range b.N {
		head, next := id(i), id(waiting+i)
		at := joinedAt(waiting + i)
		order = append(order[1:len(order):len(order)], next)
		left := slices.Clone(order[:waiting-1])
		db.Record(queue.CallerLeft{At: at, Caller: head, Queue: "support", Reason: queue.LeftAnswered, Position: 1,
			JoinPos: 1, Wait: time.Minute, Agent: "alice"},
			queue.QueueOrderChanged{At: at, Queue: "support", Callers: left})
		db.Record(queue.CallerJoined{At: at, Caller: next, Queue: "support", Number: "1001", JoinedAt: at, Position: waiting},
			queue.QueueOrderChanged{At: at, Queue: "support", Callers: slices.Clone(order)})
	}
	MustFlush(b, db)
	b.StopTimer()
	// The writer runs beside the loop recording: CPU time, not wall time, is
	// what it takes from the engine on a small box.
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
	st, err := db.LoadState(context.Background())
	if err != nil {
		b.Fatalf("LoadState: %v", err)
	}
	if len(st.Callers) != waiting || st.Callers[0].ID != order[0] || st.Callers[waiting-1].Position != waiting {
		b.Fatalf("state after churn: got=%d callers, first %+v, want %d from %s", len(st.Callers), st.Callers[0], waiting, order[0])
	}
}

// processCPU is the user and system time this process has used.
func processCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
