package store

import (
	"context"
	"fmt"
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
