package callflow

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// An agent who frees up must be rung even while every caller-lane slot is
// taken by slow calls: the pools are apart.
func TestExecutorRingPoolApartFromCallers(t *testing.T) {
	x := newExecutorPools(2, 2, 10*time.Second)
	release := make(chan struct{})
	for _, lane := range []string{"caller-a", "caller-b", "caller-c"} {
		x.Submit(lane, func(context.Context) { <-release })
	}
	rung := make(chan struct{})
	x.SubmitRing("offer-1", func(context.Context) { close(rung) })
	select {
	case <-rung:
	case <-time.After(10 * time.Second):
		t.Fatal("ring waited for caller-lane jobs")
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x.Close(ctx)
}

// The ring pool has its own bound, by default twice the callers' pool so
// that a wave of agents freeing up together is rung in one round.
func TestExecutorRingPoolBound(t *testing.T) {
	tests := []struct {
		name         string
		ringParallel int
		rings        int
		wantPeak     int32
	}{
		{"bounded", 3, 20, 3},
		{"default", 0, 100, defaultRingParallel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExecutorPools(1, tt.ringParallel, 10*time.Second)
			var running, peak atomic.Int32
			release := make(chan struct{})
			for i := range tt.rings {
				x.SubmitRing(string(rune('a'+i)), func(context.Context) {
					n := running.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					<-release
					running.Add(-1)
				})
			}
			deadline := time.Now().Add(10 * time.Second)
			for peak.Load() < tt.wantPeak && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			close(release)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			x.Close(ctx)
			if got := peak.Load(); got != tt.wantPeak {
				t.Errorf("peak parallel rings=%d, want %d", got, tt.wantPeak)
			}
		})
	}
}
