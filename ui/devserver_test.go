package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"stasisq/queue"
)

// engineFloor is a Floor on the real engine with a toy telephone: agents
// whose device starts with "SIM/auto" answer after a moment and talk a
// while; others ring until the offer times out or they reject it in the
// console; "SIM/slow" answers after 8 s. It stands in for the app loop in
// TestDevServer.
type engineFloor struct {
	mu      sync.Mutex
	eng     *queue.Engine
	publish func([]queue.Event)
	rngMu   sync.Mutex
	rng     *rand.Rand
}

func (f *engineFloor) intn(n int) int {
	f.rngMu.Lock()
	defer f.rngMu.Unlock()
	return f.rng.IntN(n)
}

func newEngineFloor() *engineFloor {
	return &engineFloor{eng: queue.NewEngine(queue.Options{OfferPrefix: "dev-"}), rng: rand.New(rand.NewPCG(7, 7))}
}

func (f *engineFloor) Snapshot(ctx context.Context) (queue.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.eng.Snapshot(time.Now()), nil
}

func (f *engineFloor) Do(ctx context.Context, in queue.Input) error {
	// Publishing under the lock keeps events in the engine's order, as the
	// app loop does by being one goroutine.
	f.mu.Lock()
	defer f.mu.Unlock()
	ready, err := f.eng.Apply(time.Now(), in)
	if err != nil {
		return err
	}
	f.handle(ready.Effects())
	return nil
}

// Configure checks, saves, then applies, as the app loop does (which, being
// one goroutine, lets nothing in between; this dev floor is not so strict).
func (f *engineFloor) Configure(ctx context.Context, in queue.Input, save func(context.Context) error) error {
	f.mu.Lock()
	err := f.eng.CheckConfig(in)
	f.mu.Unlock()
	absent := errors.Is(err, queue.ErrUnknownAgent) || errors.Is(err, queue.ErrUnknownQueue)
	if err != nil && !absent {
		return err
	}
	if err := save(ctx); err != nil || absent {
		return err
	}
	return f.Do(ctx, in)
}

func (f *engineFloor) HangupCaller(ctx context.Context, caller queue.CallerID) error {
	return f.Do(ctx, queue.Remove{Caller: caller, Reason: queue.LeftHungUp})
}

func (f *engineFloor) RedirectCaller(ctx context.Context, caller queue.CallerID, target string, allowed queue.RedirectTargets) error {
	return f.Do(ctx, queue.Remove{Caller: caller, Reason: queue.LeftContinued})
}

// Monitor: the dev server has no telephony; the engine is told, as the
// call flow tells it once a supervisor's phone is in the call.
func (f *engineFloor) Monitor(ctx context.Context, caller queue.CallerID, supervisor, mode string) error {
	return f.Do(ctx, queue.MonitorChange{Caller: caller, Supervisor: supervisor, Mode: mode})
}

func (f *engineFloor) StopMonitor(ctx context.Context, caller queue.CallerID, supervisor string) error {
	return f.Do(ctx, queue.MonitorChange{Caller: caller, Supervisor: supervisor})
}

func (f *engineFloor) later(d time.Duration, in queue.Input) {
	time.AfterFunc(d, func() { _ = f.Do(context.Background(), in) })
}

func (f *engineFloor) handle(effects []queue.Effect) {
	var events []queue.Event
	for _, e := range effects {
		switch e := e.(type) {
		case queue.Event:
			events = append(events, e)
		case queue.RingAgent:
			switch {
			case strings.HasPrefix(e.Device, "SIM/auto"):
				f.later(time.Duration(1000+f.intn(2000))*time.Millisecond, queue.OfferAnswered{Offer: e.Offer})
			case strings.HasPrefix(e.Device, "SIM/slow"):
				// Time enough to read the screen pop, or to reject.
				f.later(8*time.Second, queue.OfferAnswered{Offer: e.Offer})
			}
		case queue.Connect:
			f.later(time.Duration(5+f.intn(10))*time.Second, queue.CallEnded{Caller: e.Caller, By: queue.PartyCaller})
		}
	}
	if len(events) > 0 && f.publish != nil {
		f.publish(events)
	}
}

func (f *engineFloor) tick(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			f.mu.Lock()
			at, ok := f.eng.NextDeadline()
			f.mu.Unlock()
			if ok && !at.After(now) {
				_ = f.Do(ctx, queue.Tick{})
			}
		}
	}
}

// TestDevServer serves the console on a live toy floor for looking at it
// by hand and for browser tests to drive:
//
//	STASISQ_UI_DEV=127.0.0.1:8089 go test -run TestDevServer -timeout 0 ./ui/
//
// Users alice, bob (agents; bob answers by himself), sue (supervisor) and
// ada (admin), password "correct horse". STASISQ_UI_DEV_CALLERS sets how
// many callers to start with (default 12), STASISQ_UI_DEV_AGENTS how many
// simulated agents answer by themselves (default 8), STASISQ_UI_DEV_JOIN_MS
// how often a caller arrives (default every 2 to 6 s); STASISQ_UI_DEV_LOOKUP=1
// adds a customer lookup that knows every number ending in 1.
func TestDevServer(t *testing.T) {
	addr := os.Getenv("STASISQ_UI_DEV")
	if addr == "" {
		t.Skip("set STASISQ_UI_DEV=host:port to run the development server")
	}
	ctx := context.Background()
	floor := newEngineFloor()
	dir := newFakeDirectory()
	sales := queue.DefaultQueueConfig("sales")
	sales.AllowPick, sales.ServiceLevel, sales.WrapUpTime, sales.Strategy = true, 20*time.Second, 30*time.Second, queue.RRMemory
	support := queue.DefaultQueueConfig("support")
	support.ServiceLevel, support.WrapUpTime = 30*time.Second, 30*time.Second
	for _, q := range []queue.QueueConfig{sales, support} {
		_ = dir.PutQueue(ctx, q)
		if err := floor.Do(ctx, queue.ConfigureQueue{Config: q}); err != nil {
			t.Fatal(err)
		}
	}
	users := []queue.User{
		{ID: "alice", Name: "Alice Martin", Role: queue.RoleAgent, Agent: queue.AgentConfig{ID: "alice", Name: "Alice Martin", Device: "SIM/slow-1001",
			Queues: []queue.Membership{{Queue: "sales"}, {Queue: "support", Penalty: 2}}}},
		{ID: "bob", Name: "Bob Stone", Role: queue.RoleAgent, Agent: queue.AgentConfig{ID: "bob", Name: "Bob Stone", Device: "SIM/auto-1002",
			Queues: []queue.Membership{{Queue: "sales"}, {Queue: "support"}}}},
		{ID: "sue", Name: "Sue Park", Role: queue.RoleSupervisor},
		{ID: "ada", Name: "Ada Admin", Role: queue.RoleAdmin},
	}
	sims := 8
	fmt.Sscan(os.Getenv("STASISQ_UI_DEV_AGENTS"), &sims)
	for i := range sims {
		id := fmt.Sprintf("sim%03d", i)
		users = append(users, queue.User{ID: id, Name: "Sim " + id, Role: queue.RoleAgent, Agent: queue.AgentConfig{ID: id, Name: "Sim " + id,
			Device: "SIM/auto-" + id, Static: true, Queues: []queue.Membership{{Queue: []string{"sales", "support"}[i%2], Penalty: i % 3}}}})
	}
	for _, u := range users {
		if err := dir.PutUser(ctx, u, testPassword); err != nil {
			t.Fatal(err)
		}
		if u.Agent.ID != "" {
			if err := floor.Do(ctx, queue.ConfigureAgent{Config: u.Agent}); err != nil {
				t.Fatal(err)
			}
		}
	}
	opts := Options{Floor: floor, Directory: dir, PauseReasons: []string{"Break", "Lunch", "Training"},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if os.Getenv("STASISQ_UI_DEV_LOOKUP") == "1" {
		crm := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := r.URL.Query().Get("number")
			if n == "" || n[len(n)-1] != '1' {
				http.NotFound(w, r)
				return
			}
			fmt.Fprintf(w, `{"name":"Customer %s","account":"AC-%s","recent_orders":["#1001","#1002"],"notes":"prefers email"}`, n, n)
		})}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go crm.Serve(ln)
		opts.LookupURL = "http://" + ln.Addr().String() + "/lookup?number={number}"
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	// Today's figures for the chart, as the store would keep them.
	rec := queue.NewRecorder(time.Local)
	floor.publish = func(events []queue.Event) {
		srv.Publish(events)
		dir.mu.Lock()
		defer dir.mu.Unlock()
		for _, ev := range events {
			rec.Observe(ev)
		}
		qs, as := rec.Drain()
		for _, iv := range qs {
			ivs := dir.queueStats[iv.Queue]
			if n := len(ivs); n > 0 && ivs[n-1].Start.Equal(iv.Start) {
				ivs[n-1] = iv
			} else {
				ivs = append(ivs, iv)
			}
			dir.queueStats[iv.Queue] = ivs
		}
		for _, iv := range as {
			ivs := dir.agentStats[string(iv.Agent)]
			if n := len(ivs); n > 0 && ivs[n-1].Start.Equal(iv.Start) {
				ivs[n-1] = iv
			} else {
				ivs = append(ivs, iv)
			}
			dir.agentStats[string(iv.Agent)] = ivs
		}
	}
	for _, u := range users {
		if u.Agent.Static {
			_ = floor.Do(ctx, queue.AgentLogin{Agent: queue.AgentID(u.ID)})
		}
	}
	go floor.tick(ctx)
	callers := 12
	fmt.Sscan(os.Getenv("STASISQ_UI_DEV_CALLERS"), &callers)
	n := 0
	join := func() {
		n++
		q := []string{"sales", "support"}[floor.intn(2)]
		_ = floor.Do(ctx, queue.CallerJoin{Caller: queue.CallerID(fmt.Sprintf("call-%04d", n)), Queue: q, Number: fmt.Sprintf("555%04d", 1000+n),
			Name: fmt.Sprintf("Caller %d", n), JoinedAt: time.Now().Add(-time.Duration(floor.intn(40)) * time.Second), Priority: floor.intn(2)})
	}
	for range callers {
		join()
	}
	joinEvery := 0 // milliseconds; 0: every 2 to 6 seconds
	fmt.Sscan(os.Getenv("STASISQ_UI_DEV_JOIN_MS"), &joinEvery)
	go func() {
		for {
			if joinEvery > 0 {
				time.Sleep(time.Duration(joinEvery) * time.Millisecond)
			} else {
				time.Sleep(time.Duration(2000+floor.intn(4000)) * time.Millisecond)
			}
			join()
		}
	}()
	t.Logf("stasisq UI on http://%s", addr)
	if err := http.ListenAndServe(addr, srv.Handler()); err != nil {
		t.Fatal(err)
	}
}
