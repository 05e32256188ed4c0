package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// reportSite fills db with 90 days of interval statistics of a 50-queue,
// 500-agent site busy from 08:00 to 18:00: about a million calls' worth
// (each queue answers ~2.3 calls a quarter hour).
func reportSite(tb testing.TB, db *DB, days int) (from, to time.Time) {
	tb.Helper()
	loc := db.opts.Location
	first := time.Date(2026, 1, 5, 0, 0, 0, 0, loc)
	for d := range days {
		qs := map[intervalKey]queue.QueueInterval{}
		as := map[intervalKey]queue.AgentInterval{}
		day := first.AddDate(0, 0, d)
		for slot := 32; slot < 72; slot++ { // 08:00 to 18:00
			start := day.Add(time.Duration(slot) * queue.IntervalLength)
			for q := range 50 {
				name := fmt.Sprintf("queue%02d", q)
				qs[intervalKey{name, start.UnixNano()}] = queue.QueueInterval{Queue: name, Start: start, Offered: 3, Answered: 2,
					AnsweredInSL: 2, Abandoned: 1, WaitSum: 40 * time.Second, WaitMax: 30 * time.Second, TalkSum: 400 * time.Second, WrapSum: 60 * time.Second}
			}
			for a := range 500 {
				id := fmt.Sprintf("agent%03d", a)
				as[intervalKey{id, start.UnixNano()}] = queue.AgentInterval{Agent: queue.AgentID(id), Start: start, Calls: 1,
					Talk: 5 * time.Minute, WrapUp: time.Minute, LoggedIn: 15 * time.Minute}
			}
		}
		if err := db.bolt.Update(func(tx *bolt.Tx) error { return putIntervals(tx, loc, qs, as) }); err != nil {
			tb.Fatal(err)
		}
	}
	return first, first.AddDate(0, 0, days)
}

// BenchmarkReport90Days is a manager's report over 90 days of that site,
// by day: every queue's figures, and every agent's.
//
//	go test ./store -run '^$' -bench BenchmarkReport90Days -benchtime 5x
func BenchmarkReport90Days(b *testing.B) {
	db := MustOpen(b, testOptions())
	from, to := reportSite(b, db, 90)
	// The million call records such a site keeps over those days, beside
	// the intervals: the reports do not read them, the call search does.
	callSite(b, db, 90, 1_000_000)
	ctx := context.Background()
	b.Run("queues", func(b *testing.B) {
		for b.Loop() {
			var all []queue.QueueInterval
			for q := range 50 {
				ivs, err := db.QueueDays(ctx, fmt.Sprintf("queue%02d", q), from, to)
				if err != nil {
					b.Fatal(err)
				}
				all = append(all, ivs...)
			}
			rows, totals := queue.RollUpQueues(all, queue.ReportDay, db.opts.Location)
			if len(rows) != 50*90 || totals[0].Offered != 90*40*3 {
				b.Fatalf("%d rows, queue00 offered %d: want %d, %d", len(rows), totals[0].Offered, 50*90, 90*40*3)
			}
		}
	})
	// The same report from the 15-minute intervals, as without the day
	// roll-ups: what they save.
	b.Run("queues-from-intervals", func(b *testing.B) {
		for b.Loop() {
			var all []queue.QueueInterval
			for q := range 50 {
				ivs, err := db.QueueStats(ctx, fmt.Sprintf("queue%02d", q), from, to)
				if err != nil {
					b.Fatal(err)
				}
				all = append(all, ivs...)
			}
			if rows, _ := queue.RollUpQueues(all, queue.ReportDay, db.opts.Location); len(rows) != 50*90 {
				b.Fatalf("%d rows", len(rows))
			}
		}
	})
	b.Run("agents", func(b *testing.B) {
		for b.Loop() {
			var all []queue.AgentInterval
			for a := range 500 {
				ivs, err := db.AgentDays(ctx, queue.AgentID(fmt.Sprintf("agent%03d", a)), from, to)
				if err != nil {
					b.Fatal(err)
				}
				all = append(all, ivs...)
			}
			rows, totals := queue.RollUpAgents(all, queue.ReportDay, db.opts.Location)
			if len(rows) != 500*90 || totals[0].Calls != 90*40 {
				b.Fatalf("%d rows, agent000 calls %d", len(rows), totals[0].Calls)
			}
		}
	})
	// The call search as the Calls view asks it: a page of one day, and a
	// number or an agent over the whole 90 days, which looks at every record.
	for _, tc := range []struct {
		name string
		q    queue.CallQuery
		want int
	}{
		{"calls-one-day-page", queue.CallQuery{From: from.AddDate(0, 0, 30), To: from.AddDate(0, 0, 31), Limit: 100}, 100},
		{"calls-number", queue.CallQuery{From: from, To: to, Number: "7946 0042", Limit: 100}, 100},
		{"calls-absent-number", queue.CallQuery{From: from, To: to, Number: "7946 99999", Limit: 100}, 0},
		{"calls-agent-outcome", queue.CallQuery{From: from, To: to, Agent: "agent123", Outcome: queue.OutcomeTransferred, Limit: 100}, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				calls, err := db.Calls(ctx, tc.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(calls) != tc.want {
					b.Fatalf("%d calls, want %d", len(calls), tc.want)
				}
			}
		})
	}
}

// callSite fills db with n call records spread over days of 08:00–18:00,
// as the site above would keep them: 50 queues, 500 agents, one ring or two.
func callSite(tb testing.TB, db *DB, days, n int) (from, to time.Time) {
	tb.Helper()
	loc := db.opts.Location
	first := time.Date(2026, 1, 5, 0, 0, 0, 0, loc)
	perDay := n / days
	step := 10 * time.Hour / time.Duration(perDay)
	for d := range days {
		day := first.AddDate(0, 0, d).Add(8 * time.Hour)
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			calls := tx.Bucket(bucketCalls)
			for i := range perDay {
				at := day.Add(time.Duration(i) * step)
				id := queue.CallerID(fmt.Sprintf("1700000000.%d", d*perDay+i))
				agent := queue.AgentID(fmt.Sprintf("agent%03d", (d*perDay+i)%500))
				r := queue.CallRecord{Caller: id, Queue: fmt.Sprintf("queue%02d", i%50), Number: fmt.Sprintf("+44 20 7946 %04d", (d*perDay+i)%10000),
					Name: "Caller", JoinedAt: at, FirstRingAt: at.Add(2 * time.Second), AnsweredAt: at.Add(9 * time.Second),
					LeftAt: at.Add(9 * time.Second), EndedAt: at.Add(200 * time.Second), Agent: agent, Outcome: queue.OutcomeCompleted,
					CompletedBy: queue.PartyCaller, JoinPosition: 1, ExitPosition: 1, Wait: 9 * time.Second, RingTime: 7 * time.Second,
					Talk: 191 * time.Second, Offers: 1,
					Rings: []queue.CallRing{{Agent: agent, At: at.Add(2 * time.Second), Result: "answered", Ended: at.Add(9 * time.Second)}}}
				key := callKey(at, id)
				r.ID = callID(key)
				v, err := json.Marshal(r)
				if err != nil {
					return err
				}
				if err := calls.Put(key, v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return first, first.AddDate(0, 0, days)
}

// BenchmarkPruneWhileRecording is retention at a busy site: 60 days of the
// site above (600,000 call records, 1.3 million intervals), the first 30
// pruned while callers join and leave, each event flushed as the writer
// would commit it, fsync on. It reports the commit latency of the events
// without pruning and during it: what retention costs the live writer.
//
//	go test ./store -run '^$' -bench BenchmarkPruneWhileRecording -benchtime 1x
func BenchmarkPruneWhileRecording(b *testing.B) {
	opts := testOptions()
	opts.NoSync = false
	db := MustOpen(b, opts)
	first, _ := reportSite(b, db, 60)
	_, end := callSite(b, db, 60, 600_000)
	ctx := context.Background()
	n := 0
	// commit records one caller's visit and waits for the writer to commit it.
	commit := func() time.Duration {
		n++
		at := end.Add(time.Duration(n) * time.Second)
		id := queue.CallerID(fmt.Sprintf("live-%d", n))
		start := time.Now()
		db.Record(queue.CallerJoined{At: at, Caller: id, Queue: "queue00", JoinedAt: at, Position: 1},
			queue.CallerLeft{At: at.Add(time.Second), Caller: id, Queue: "queue00", Reason: queue.LeftAbandoned, Position: 1, Wait: time.Second})
		if err := db.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	quantiles := func(ds []time.Duration) (p50, p99, worst time.Duration) {
		slices.Sort(ds)
		return ds[len(ds)/2], ds[len(ds)*99/100], ds[len(ds)-1]
	}
	for b.Loop() {
		var quiet []time.Duration
		for range 500 {
			quiet = append(quiet, commit())
		}
		done := make(chan error, 1)
		var pruned Pruned
		pruneStart := time.Now()
		go func() {
			var err error
			pruned, err = db.Prune(ctx, first.AddDate(0, 0, 30))
			done <- err
		}()
		var during []time.Duration
		for running := true; running; {
			select {
			case err := <-done:
				if err != nil {
					b.Fatal(err)
				}
				running = false
			default:
				during = append(during, commit())
			}
		}
		took := time.Since(pruneStart)
		if pruned.Calls != 300_000 || len(during) < 10 {
			b.Fatalf("pruned %+v with %d commits during it: want 300,000 calls", pruned, len(during))
		}
		q50, q99, qmax := quantiles(quiet)
		d50, d99, dmax := quantiles(during)
		b.Logf("pruned %d calls and %d intervals in %s; commit latency quiet p50 %s p99 %s max %s; during the prune (%d commits) p50 %s p99 %s max %s",
			pruned.Calls, pruned.Intervals, took.Round(time.Millisecond), q50, q99, qmax, len(during), d50, d99, dmax)
		b.ReportMetric(float64(d99.Microseconds())/1000, "prune-p99-ms")
		b.ReportMetric(float64(q99.Microseconds())/1000, "quiet-p99-ms")
	}
}
