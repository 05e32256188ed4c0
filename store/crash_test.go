package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

const crashEnv = "STASISQ_STORE_CRASH_DB"

// crashStep is step i of the crash script, as Record groups in order: caller
// i joins; then, from i = 2 on, caller i-2 is answered and leaves. Each group
// carries the queue's whole order, as the engine's Apply would.
func crashStep(i int) [][]queue.Event {
	id := func(n int) queue.CallerID { return queue.CallerID(fmt.Sprintf("c%06d", n)) }
	order := func(from, to int) []queue.CallerID {
		var out []queue.CallerID
		for n := max(from, 0); n <= to; n++ {
			out = append(out, id(n))
		}
		return out
	}
	joined := t0.Add(time.Duration(i) * time.Second)
	pos := min(i, 2) + 1 // callers i-2 and i-1 are still waiting
	groups := [][]queue.Event{{
		queue.CallerJoined{At: joined, Caller: id(i), Queue: "support", Number: strconv.Itoa(i), JoinedAt: joined, Position: pos},
		queue.QueueOrderChanged{At: joined, Queue: "support", Callers: order(i-2, i)},
	}}
	if i >= 2 {
		j := i - 2
		groups = append(groups, []queue.Event{
			queue.CallerLeft{At: joined, Caller: id(j), Queue: "support", Reason: queue.LeftAnswered, Position: 1, JoinPos: min(j, 2) + 1,
				Wait: 2 * time.Second, Agent: "alice"},
			queue.QueueOrderChanged{At: joined, Queue: "support", Callers: order(j+1, i)},
			queue.CallConnected{At: joined, Caller: id(j), Agent: "alice", Queue: "support", Wait: 2 * time.Second},
		})
	}
	return groups
}

// TestCrashHelperProcess is the process TestCrashKeepsCommittedState kills:
// it records the crash script for ever, with real fsyncs, and after every 50
// steps flushes and says so on stdout.
func TestCrashHelperProcess(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestCrashKeepsCommittedState")
	}
	db, err := Open(path, Options{BatchDelay: 2 * time.Millisecond, BatchSize: 64, Location: time.UTC, Logger: testOptions().Logger})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		for _, g := range crashStep(i) {
			db.Record(g...)
		}
		if i%50 == 49 {
			if err := db.Flush(context.Background()); err != nil {
				fmt.Println("flush:", err)
				os.Exit(2)
			}
			fmt.Printf("flushed %d\n", i)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func TestCrashKeepsCommittedState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper: %v", err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	// Kill it (SIGKILL: no defer, no Close, no flush) right after its third
	// confirmed flush, while it goes on recording.
	lastFlushed := -1
	sc := bufio.NewScanner(stdout)
	for flushes := 0; flushes < 3; {
		if !sc.Scan() {
			t.Fatalf("helper ended early: %v", sc.Err())
		}
		line := sc.Text()
		n, ok := strings.CutPrefix(line, "flushed ")
		if !ok {
			t.Fatalf("helper said %q", line)
		}
		lastFlushed, _ = strconv.Atoi(n)
		flushes++
	}
	// Let it write on for a moment, so the kill lands amid commits, not
	// between a flush and the next batch.
	time.Sleep(20 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	_ = cmd.Wait()
	killed = true

	db := MustOpenPath(t, path, testOptions())
	ctx := context.Background()
	calls, err := db.Calls(ctx, queue.CallQuery{})
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	// Everything Flush confirmed is there: callers 0..lastFlushed joined and
	// 0..lastFlushed-2 left.
	if len(calls) < lastFlushed+1 {
		t.Fatalf("records: got=%d, want at least %d (confirmed by Flush)", len(calls), lastFlushed+1)
	}
	t.Logf("flush confirmed %d callers; %d were committed before the kill", lastFlushed+1, len(calls))

	// Batches are committed in order and whole: joins form a prefix, leaves
	// form a prefix, and whoever has not left is waiting, in state, in order.
	var waiting []queue.CallRecord
	leftPrefix := true
	for i, c := range calls {
		if want := queue.CallerID(fmt.Sprintf("c%06d", i)); c.Caller != want {
			t.Fatalf("record %d: got=%s, want %s (joins must be a prefix)", i, c.Caller, want)
		}
		switch c.Outcome {
		case queue.OutcomeConnected:
			if !leftPrefix {
				t.Errorf("caller %s connected after an earlier caller still waits", c.Caller)
			}
		case queue.OutcomeWaiting:
			leftPrefix = false
			if i <= lastFlushed-2 {
				t.Errorf("caller %s still waiting, but its leave was confirmed by Flush", c.Caller)
			}
			waiting = append(waiting, c)
		default:
			t.Errorf("caller %s: outcome %q, want connected or waiting", c.Caller, c.Outcome)
		}
	}
	st, err := db.LoadState(ctx)
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	if len(st.Callers) != len(waiting) {
		t.Fatalf("state callers: got=%d, want %d (the records still waiting)", len(st.Callers), len(waiting))
	}
	for i, wc := range st.Callers {
		if wc.ID != waiting[i].Caller || wc.Position != i+1 || wc.Queue != "support" || !wc.JoinedAt.Equal(waiting[i].JoinedAt) {
			t.Errorf("state caller %d: got=%+v, want %s at position %d joined %v", i, wc, waiting[i].Caller, i+1, waiting[i].JoinedAt)
		}
	}
}
