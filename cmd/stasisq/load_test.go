package main

import (
	"context"
	"os"
	"testing"
	"time"

	"stasisq/loadtest"
)

// TestLoad pushes 1,000 callers through 100 simulated agents over real HTTP
// and websockets and prints the figures. It asserts outcomes, not speed:
// every caller ends with exactly one outcome, every agent ends available and
// nobody is overtaken. -short runs a smaller load.
func TestLoad(t *testing.T) {
	opts := loadtest.Options{Callers: 1000, Agents: 100, Talk: 100 * time.Millisecond, Timeout: 8 * time.Minute}
	if testing.Short() {
		opts.Callers, opts.Agents = 100, 10
	}
	res, err := loadtest.Run(context.Background(), opts, startForLoad(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + res.String())
	if os.Getenv("STASISQ_LOAD_PRINT") != "" {
		println(res.String())
	}
	if err := res.Err(); err != nil {
		t.Error(err)
	}
	if got := res.Wait.N; got != opts.Callers {
		t.Errorf("queue wait samples=%d, want one per caller (%d)", got, opts.Callers)
	}
	// The first callers find agents free, most wait for one to free up:
	// both figures must have been measured.
	if res.JoinToDial.N == 0 || res.FreeToDial.N == 0 {
		t.Errorf("samples: join→ring n=%d, free→ring n=%d; want both measured", res.JoinToDial.N, res.FreeToDial.N)
	}
}

// BenchmarkLoad reports the load figures as benchmark metrics: a burst of
// 1,000 callers at once, and steady arrivals around the floor's capacity
// (100 agents, 1 s talk: 99.9 calls/s): every 11 ms (90.9/s, callers mostly
// find an agent free: join→ring) and every 9.5 ms (105/s, a queue builds:
// free→ring).
//
//	go test -run '^$' -bench BenchmarkLoad -benchtime 1x ./cmd/stasisq
func BenchmarkLoad(b *testing.B) {
	cases := []struct {
		name string
		opts loadtest.Options
	}{
		{"burst", loadtest.Options{Callers: 1000, Agents: 100, Talk: 100 * time.Millisecond}},
		{"steady-91pct", loadtest.Options{Callers: 1000, Agents: 100, Talk: time.Second, Arrivals: 11 * time.Millisecond}},
		{"steady-105pct", loadtest.Options{Callers: 1000, Agents: 100, Talk: time.Second, Arrivals: 9500 * time.Microsecond}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				res, err := loadtest.Run(context.Background(), tc.opts, startForLoad(nil))
				if err != nil {
					b.Fatal(err)
				}
				if err := res.Err(); err != nil {
					b.Fatal(err)
				}
				if os.Getenv("STASISQ_LOAD_PRINT") != "" {
					println(res.String())
				}
				b.ReportMetric(res.CallsPerSecond, "calls/s")
				b.ReportMetric(res.Ideal, "ideal-calls/s")
				b.ReportMetric(res.IdealRun, "ideal-run-calls/s")
				b.ReportMetric(float64(res.FreeToDial.P50.Microseconds()), "free-ring-p50-µs")
				b.ReportMetric(float64(res.FreeToDial.P99.Microseconds()), "free-ring-p99-µs")
				b.ReportMetric(float64(res.JoinToDial.P50.Microseconds()), "join-ring-p50-µs")
				b.ReportMetric(float64(res.JoinToDial.P99.Microseconds()), "join-ring-p99-µs")
				b.ReportMetric(float64(res.Overtakes), "overtakes")
			}
		})
	}
}
