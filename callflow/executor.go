package callflow

import (
	"context"
	"sync"
	"time"
)

// executor carries out the ARI REST calls the engine decided, off the
// application loop.
//
// Why lanes: what happens to one channel must happen in order (answer before
// hold music, stop hold music and the announcement before bridging, originate
// before cancelling that ring), but a slow reply for one call must not delay
// ringing an agent for another. So every job names a lane: the caller's
// channel id for what touches the caller (answer, MOH, play, bridge,
// continue, hangup), the offer id for what touches one agent leg (originate,
// cancel, hang up). Jobs of one lane run one after another on a goroutine
// that lives while the lane has work; different lanes run in parallel, at
// most `parallel` REST calls at once so a burst cannot flood Asterisk. A
// single executor goroutine would be simpler, but one 500 ms originate (a
// slow SIP trunk, a loaded Asterisk) would then hold up every other caller's
// ring: exactly the app_queue latency stasisq exists to remove.
//
// Agent-leg lanes (SubmitRing) draw on their own, larger pool: under a
// burst of arrivals hundreds of answer/MOH calls queue up, and an agent who
// just became free must not wait behind them to be rung (the load test's
// free→dial figure measured 110 ms at p50 with one shared pool). Nor must
// rings wait for each other: an originate is not answered until Asterisk
// has set the channel up (tens of ms on a loaded box), and when a wave of
// agents frees up at once a pool the size of the caller pool made the last
// of them wait for three rounds of originates (p99 ~100 ms). Both pools
// together stay under Asterisk's HTTP session limit (http.conf sessionlimit,
// 100 by default, the events websocket included): a connection over it is
// refused.
type executor struct {
	ctx     context.Context
	cancel  context.CancelFunc
	timeout time.Duration // per job

	sem     chan struct{} // caller lanes
	ringSem chan struct{} // agent-leg lanes
	wg      sync.WaitGroup

	mu     sync.Mutex
	lanes  map[string][]job // pending jobs per lane; present while a worker drains it
	closed bool
}

// job is one step of the call flow; it gets a context bounded by the
// executor's per-job timeout.
type job func(ctx context.Context)

// Default pool sizes: REST calls at once for callers' lanes and for agent
// legs' lanes; 32 + 64 + the websocket fit Asterisk's default session limit.
const (
	defaultParallel     = 32
	defaultRingParallel = 64
)

func newExecutor(parallel int, timeout time.Duration) *executor {
	return newExecutorPools(parallel, 0, timeout)
}

// newExecutorPools sizes both pools; 0 takes the default.
func newExecutorPools(parallel, ringParallel int, timeout time.Duration) *executor {
	if parallel <= 0 {
		parallel = defaultParallel
	}
	if ringParallel <= 0 {
		ringParallel = defaultRingParallel
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &executor{
		ctx:     ctx,
		cancel:  cancel,
		timeout: timeout,
		sem:     make(chan struct{}, parallel),
		ringSem: make(chan struct{}, ringParallel),
		lanes:   make(map[string][]job),
	}
}

// Submit queues j on lane key. It never blocks: the application loop calls it.
func (x *executor) Submit(key string, j job) { x.submit(key, j, x.sem) }

// SubmitRing queues j on an agent leg's lane, served by the ring pool.
func (x *executor) SubmitRing(key string, j job) { x.submit(key, j, x.ringSem) }

func (x *executor) submit(key string, j job, sem chan struct{}) {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return
	}
	if pending, busy := x.lanes[key]; busy {
		x.lanes[key] = append(pending, j)
		x.mu.Unlock()
		return
	}
	x.lanes[key] = nil
	x.wg.Add(1)
	x.mu.Unlock()
	go x.drain(key, j, sem)
}

func (x *executor) drain(key string, j job, sem chan struct{}) {
	defer x.wg.Done()
	for {
		x.run(j, sem)
		x.mu.Lock()
		pending := x.lanes[key]
		if len(pending) == 0 {
			delete(x.lanes, key)
			x.mu.Unlock()
			return
		}
		j = pending[0]
		pending[0] = nil
		x.lanes[key] = pending[1:]
		x.mu.Unlock()
	}
}

func (x *executor) run(j job, sem chan struct{}) {
	select {
	case sem <- struct{}{}:
	case <-x.ctx.Done():
		return
	}
	defer func() { <-sem }()
	ctx, cancel := context.WithTimeout(x.ctx, x.timeout)
	defer cancel()
	j(ctx)
}

// Close refuses new jobs, lets queued ones finish until ctx ends, then
// cancels whatever is still running and waits for it.
func (x *executor) Close(ctx context.Context) {
	x.mu.Lock()
	x.closed = true
	x.mu.Unlock()
	done := make(chan struct{})
	go func() { x.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		x.cancel()
		<-done
	}
	x.cancel()
}

// Idle reports whether no job is queued or running (tests, load figures).
func (x *executor) Idle() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.lanes) == 0
}
