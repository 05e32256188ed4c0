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
	if got := res.JoinToDial.N; got != opts.Callers {
		t.Errorf("join→dial samples=%d, want one per caller (%d)", got, opts.Callers)
	}
}

// BenchmarkLoad reports the load figures as benchmark metrics.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		res, err := RunLoad(context.Background(), LoadOptions{Callers: 1000, Agents: 100, Talk: 100 * time.Millisecond}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := res.Err(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.CallsPerSecond, "calls/s")
		b.ReportMetric(float64(res.JoinToDial.P50.Microseconds()), "join-dial-p50-µs")
		b.ReportMetric(float64(res.JoinToDial.P99.Microseconds()), "join-dial-p99-µs")
		b.ReportMetric(float64(res.FreeToDial.P50.Microseconds()), "free-dial-p50-µs")
		b.ReportMetric(float64(res.FreeToDial.P99.Microseconds()), "free-dial-p99-µs")
		b.ReportMetric(float64(res.Overtakes), "overtakes")
	}
}
