package main

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestLoad pushes 1,000 callers through 100 simulated agents over real HTTP
// and websockets and prints the figures. It asserts outcomes, not speed:
// every caller ends with exactly one outcome, every agent ends available and
// nobody is overtaken. -short runs a smaller load.
func TestLoad(t *testing.T) {
	opts := LoadOptions{Callers: 1000, Agents: 100, Talk: 100 * time.Millisecond, Timeout: 8 * time.Minute}
	if testing.Short() {
		opts.Callers, opts.Agents = 100, 10
	}
	res, err := RunLoad(context.Background(), opts, testLogger(t))
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
		opts LoadOptions
	}{
		{"burst", LoadOptions{Callers: 1000, Agents: 100, Talk: 100 * time.Millisecond}},
		{"steady-91pct", LoadOptions{Callers: 1000, Agents: 100, Talk: time.Second, Arrivals: 11 * time.Millisecond}},
		{"steady-105pct", LoadOptions{Callers: 1000, Agents: 100, Talk: time.Second, Arrivals: 9500 * time.Microsecond}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				res, err := RunLoad(context.Background(), tc.opts, nil)
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

func TestIdealElapsed(t *testing.T) {
	const occ = 101 * time.Millisecond // 100 ms talk + 1 ms answer
	tests := []struct {
		name string
		opts LoadOptions
		want time.Duration
	}{
		{"burst: rounds of all agents", LoadOptions{Callers: 1000, Agents: 100, Talk: 100 * time.Millisecond}, 10 * occ},
		{"burst, last round partial", LoadOptions{Callers: 101, Agents: 100, Talk: 100 * time.Millisecond}, 2 * occ},
		{"arrivals slower than service: last arrival + one call", LoadOptions{Callers: 10, Agents: 2, Talk: 100 * time.Millisecond, Arrivals: time.Second}, 9*time.Second + occ},
		{"wrap-up counts", LoadOptions{Callers: 2, Agents: 1, Talk: 100 * time.Millisecond, WrapUp: time.Second}, 2 * (occ + time.Second)},
		// Agent j takes callers j, j+A, ...: it starts at j's arrival and
		// never waits again, so the last agent ends 10 calls after caller 99.
		{"arrivals a little faster than service", LoadOptions{Callers: 1000, Agents: 100, Talk: time.Second, Arrivals: 9500 * time.Microsecond}, 99*9500*time.Microsecond + 10*(time.Second+time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := idealElapsed(tt.opts); got != tt.want {
				t.Errorf("got=%v, want %v", got, tt.want)
			}
		})
	}
}
