package callflow

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stasisq/queue"
)

func TestParseCallerArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want queue.CallerJoin
	}{
		{"queue only", []string{"support"}, queue.CallerJoin{Queue: "support"}},
		{"priority", []string{"support", "priority=5"}, queue.CallerJoin{Queue: "support", Priority: 5}},
		{"skills and maxwait", []string{"sales", "skills=english:50|billing", "maxwait=30"}, queue.CallerJoin{Queue: "sales", Skills: map[string]int{"english": 50, "billing": 1}, MaxWait: 30 * time.Second}},
		{"bad priority ignored", []string{"support", "priority=high"}, queue.CallerJoin{Queue: "support"}},
		{"nothing", nil, queue.CallerJoin{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseCallerArgs(tt.args)
			if got.Queue != tt.want.Queue || got.Priority != tt.want.Priority || got.MaxWait != tt.want.MaxWait || !maps.Equal(got.Skills, tt.want.Skills) {
				t.Errorf("got=%+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCauseFailure(t *testing.T) {
	tests := []struct {
		name   string
		status string
		cause  int
		want   queue.RingFailure
	}{
		{"dialstatus busy wins over cause 0", "BUSY", 0, queue.RingBusy},
		{"no answer cause 19", "", 19, queue.RingNoAnswer},
		{"busy cause 17", "RINGING", 17, queue.RingBusy},
		{"unavailable cause 20", "", 20, queue.RingUnavailable},
		{"rejected cause 21", "", 21, queue.RingRejected},
		{"rejected: Asterisk's dialstatus NOANSWER with cause 21", "NOANSWER", 21, queue.RingRejected},
		{"no answer: dialstatus NOANSWER, cause 16", "NOANSWER", 16, queue.RingNoAnswer},
		{"chanunavail", "CHANUNAVAIL", 0, queue.RingUnavailable},
		{"congestion", "CONGESTION", 34, queue.RingUnavailable},
		{"unknown cause", "", 0, queue.RingUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := causeFailure(tt.status, tt.cause); got != tt.want {
				t.Errorf("got=%v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		target     string
		ctx, exten string
		prio       int
		wantErr    bool
	}{
		{"200", "from-callers", "200", 1, false},
		{"sales,100", "sales", "100", 1, false},
		{"sales,100,3", "sales", "100", 3, false},
		{"sales,100,x", "", "", 0, true},
		{"a,b,c,d", "", "", 0, true},
		{"", "", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			c, x, p, err := parseTarget(tt.target, "from-callers")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err=%v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && (c != tt.ctx || x != tt.exten || p != tt.prio) {
				t.Errorf("got=%s,%s,%d, want %s,%s,%d", c, x, p, tt.ctx, tt.exten, tt.prio)
			}
		})
	}
}

func TestCallerIDString(t *testing.T) {
	tests := []struct{ name, number, want string }{
		{"Test Caller", "5551234", "Test Caller <5551234>"},
		{"", "5551234", "<5551234>"},
		{`Evil "<x>`, "1", "Evil x <1>"},
	}
	for _, tt := range tests {
		if got := callerID(tt.name, tt.number); got != tt.want {
			t.Errorf("callerID(%q,%q)=%q, want %q", tt.name, tt.number, got, tt.want)
		}
	}
}

func TestAppArgs(t *testing.T) {
	if got, want := appArgs("stasisq,support,priority=5"), []string{"support", "priority=5"}; !slices.Equal(got, want) {
		t.Errorf("got=%v, want %v", got, want)
	}
	if got := appArgs("stasisq"); got != nil {
		t.Errorf("got=%v, want nil", got)
	}
}

func TestExecutorLaneOrder(t *testing.T) {
	x := newExecutor(4, time.Second)
	var mu sync.Mutex
	got := map[string][]int{}
	for i := range 50 {
		for _, lane := range []string{"a", "b", "c"} {
			x.Submit(lane, func(context.Context) {
				mu.Lock()
				got[lane] = append(got[lane], i)
				mu.Unlock()
			})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x.Close(ctx)
	for _, lane := range []string{"a", "b", "c"} {
		if !slices.IsSorted(got[lane]) || len(got[lane]) != 50 {
			t.Errorf("lane %s ran %v, want 0..49 in order", lane, got[lane])
		}
	}
}

// A slow job on one lane must not hold up another lane.
func TestExecutorSlowLaneDoesNotBlockOthers(t *testing.T) {
	x := newExecutor(4, 10*time.Second)
	release := make(chan struct{})
	x.Submit("slow", func(context.Context) { <-release })
	done := make(chan struct{})
	x.Submit("fast", func(context.Context) { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("fast lane waited for the slow one")
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x.Close(ctx)
	if !x.Idle() {
		t.Error("executor not idle after Close")
	}
}

func TestExecutorBoundsParallelism(t *testing.T) {
	x := newExecutor(2, 10*time.Second)
	var running, peak atomic.Int32
	for i := range 20 {
		x.Submit(string(rune('a'+i)), func(context.Context) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			running.Add(-1)
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x.Close(ctx)
	if p := peak.Load(); p > 2 {
		t.Errorf("peak parallel jobs=%d, want at most 2", p)
	}
}

func TestExecutorCloseCancelsStuckJobs(t *testing.T) {
	x := newExecutor(2, time.Hour)
	x.Submit("stuck", func(ctx context.Context) { <-ctx.Done() })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	x.Close(ctx) // must return: the stuck job's context is cancelled
	x.Submit("late", func(context.Context) { t.Error("job ran after Close") })
}

// A Snapshot whose context ends while the loop takes it returns the error
// and no snapshot: the loop may still be writing the one it makes (run
// with -race: reading it raced, seen in CI when retention's sweep met a
// shutdown).
func TestSnapshotWithAnEndedContext(t *testing.T) {
	h := newFlowHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ended := 0
	for range 300 {
		s, err := h.app.Snapshot(ctx)
		if err != nil {
			ended++
			if len(s.Queues) != 0 || len(s.Agents) != 0 {
				t.Fatalf("Snapshot with an ended context: %v and a snapshot %+v", err, s)
			}
		}
	}
	if ended == 0 {
		t.Fatal("300 snapshots with an ended context: none returned its error")
	}
	if _, err := h.app.Snapshot(context.Background()); err != nil {
		t.Fatalf("Snapshot afterwards: %v", err)
	}
}
