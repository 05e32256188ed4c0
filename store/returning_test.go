package store

import (
	"context"
	"testing"
	"time"

	"stasisq/queue"
)

// Abandon-resume through the store: the two visits are linked both ways,
// the interval and its day count one call answered and no abandon, and a
// restart is given the abandons of the last day, a chain's with its first
// place.
func TestAbandonResumeRecordsStatisticsAndState(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testOptions())
	now := time.Now().UTC().Truncate(time.Second)
	start := queue.IntervalStart(now.Add(-20*time.Minute), time.UTC)
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	db.Record(
		queue.CallerJoined{At: at(0), Caller: "c1", Queue: "sales", Number: "+44 1", JoinedAt: at(0), Position: 1},
		queue.CallerLeft{At: at(30), Caller: "c1", Queue: "sales", Reason: queue.LeftAbandoned, Position: 1, Wait: 30 * time.Second},
		// Back after a minute: its wait clock starts 30 s before.
		queue.CallerReturned{At: at(90), Caller: "c1", AsCaller: "c2", Queue: "sales", Number: "+441", LeftAt: at(30), Wait: 30 * time.Second},
		queue.CallerJoined{At: at(90), Caller: "c2", Queue: "sales", Number: "+441", JoinedAt: at(60), Position: 1, ReturnOf: "c1"},
		// Gone again: c2's abandon holds c1's place for a later return.
		queue.CallerLeft{At: at(100), Caller: "c2", Queue: "sales", Reason: queue.LeftAbandoned, Position: 1, Wait: 40 * time.Second},
		// Another caller abandons for good; one without a number is not kept.
		queue.CallerJoined{At: at(110), Caller: "c3", Queue: "sales", Number: "200", JoinedAt: at(110), Position: 1},
		queue.CallerLeft{At: at(120), Caller: "c3", Queue: "sales", Reason: queue.LeftAbandoned, Position: 1, Wait: 10 * time.Second},
		queue.CallerJoined{At: at(130), Caller: "c4", Queue: "sales", JoinedAt: at(130), Position: 1},
		queue.CallerLeft{At: at(131), Caller: "c4", Queue: "sales", Reason: queue.LeftAbandoned, Position: 1, Wait: time.Second},
	)
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	c1, err := db.Call(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := db.Call(ctx, "c2")
	if err != nil {
		t.Fatal(err)
	}
	if c1.Outcome != queue.OutcomeReturned || c1.ReturnedAs != "c2" || c2.ReturnOf != "c1" || !c2.JoinedAt.Equal(at(90)) || c2.Outcome != string(queue.LeftAbandoned) {
		t.Errorf("c1 %s returned as %q; c2 return of %q, joined %s, %s: want c1 returned as c2, c2 from c1 joined at its call, abandoned",
			c1.Outcome, c1.ReturnedAs, c2.ReturnOf, c2.JoinedAt, c2.Outcome)
	}
	abandoned, err := db.Calls(ctx, queue.CallQuery{Outcome: string(queue.LeftAbandoned)})
	if err != nil || len(abandoned) != 3 {
		t.Errorf("abandoned calls: %d, %v; want c2, c3 and c4", len(abandoned), err)
	}

	// c1 and c2 are one call, abandoned in the end; c3 and c4 two more.
	ivs, err := db.QueueStats(ctx, "sales", start, start.Add(time.Hour))
	if err != nil || len(ivs) != 1 || ivs[0].Offered != 3 || ivs[0].Abandoned != 3 || ivs[0].AbandonWaitSum != 51*time.Second || ivs[0].AbandonedShort != 1 {
		t.Errorf("intervals: %+v, %v; want one: 3 offered, 3 abandoned (1 short) after 51 s in all", ivs, err)
	}
	days, err := db.QueueDays(ctx, "sales", start.Add(-24*time.Hour), start.Add(24*time.Hour))
	if err != nil || len(days) != 1 || days[0].Offered != 3 || days[0].Abandoned != 3 {
		t.Errorf("day roll-up: %+v, %v; want 3 offered, 3 abandoned", days, err)
	}

	st, err := db.LoadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []queue.AbandonedVisit{
		{Caller: "c2", Queue: "sales", Number: "+441", JoinedAt: at(0), Wait: 40 * time.Second, LeftAt: at(100)},
		{Caller: "c3", Queue: "sales", Number: "200", JoinedAt: at(110), Wait: 10 * time.Second, LeftAt: at(120)},
	}
	if len(st.Abandoned) != len(want) {
		t.Fatalf("state abandoned: %+v, want %+v", st.Abandoned, want)
	}
	for i, w := range want {
		g := st.Abandoned[i]
		if g.Caller != w.Caller || g.Number != w.Number || !g.JoinedAt.Equal(w.JoinedAt) || g.Wait != w.Wait || !g.LeftAt.Equal(w.LeftAt) {
			t.Errorf("abandoned[%d]: %+v, want %+v", i, g, w)
		}
	}
}
