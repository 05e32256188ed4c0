package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"stasisq/ari/aritest"
	"stasisq/queue"
	"stasisq/ui"
)

// LoadOptions shape one load run against the in-process fake Asterisk.
type LoadOptions struct {
	Callers  int
	Agents   int
	Talk     time.Duration // each agent hangs up after this
	WrapUp   time.Duration // the queue's wrap-up time
	Arrivals time.Duration // between two callers; 0 sends them all at once
	Strategy queue.Strategy
	Timeout  time.Duration // the whole run
	Dir      string        // for the database; "" uses a temporary directory
}

// loadAnswerDelay is how long the fake's agents take to answer: the ring
// part of an agent's time per call.
const loadAnswerDelay = time.Millisecond

// LoadResult is what a load run measured. Latencies end when POST
// /channels (the agent's ring) goes out. They start at Asterisk's timestamp
// of the event behind them, which includes the websocket and our inbox and
// is truncated to the millisecond (so up to 1 ms too long); the InApp
// figures start when the loop took the event up instead: stasisq's share.
type LoadResult struct {
	Callers, Agents int
	Talk, WrapUp    time.Duration
	Elapsed         time.Duration
	CallsPerSecond  float64
	// Ideal is the completed calls/s the floor could sustain: the arrival
	// rate or, if lower, Capacity.
	Ideal float64
	// ArrivalRate is callers/s offered, +Inf for a burst.
	ArrivalRate float64
	// Capacity is Agents / (talk + wrap-up + answer delay) calls/s.
	Capacity float64
	// IdealRun is the best CallsPerSecond this run could show (see
	// idealElapsed): a finite run also pays for its ramp-up and last round.
	IdealRun float64
	// FreeToDial: an agent frees up while callers wait → the next ring.
	FreeToDial, FreeToDialInApp Percentiles
	// JoinToDial: a caller arrives while an agent is free → that ring.
	JoinToDial, JoinToDialInApp Percentiles
	// Wait: StasisStart → first ring, every caller: mostly queueing.
	Wait          Percentiles
	Overtakes     int
	Outcomes      map[string]int // CallerLeft reasons
	BadOutcomes   []string       // callers without exactly one outcome
	AgentsNotFree []string       // agents not available at the end
	Unfinished    int            // calls the fake still had at the end
}

// Percentiles of a latency sample.
type Percentiles struct {
	N             int
	P50, P99, Max time.Duration
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return Percentiles{N: len(s), P50: at(0.50), P99: at(0.99), Max: s[len(s)-1]}
}

func (p Percentiles) String() string {
	if p.N == 0 {
		return "n=0"
	}
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	return fmt.Sprintf("p50=%v p99=%v max=%v n=%d", r(p.P50), r(p.P99), r(p.Max), p.N)
}

func (r LoadResult) String() string {
	arrivals := "all at once"
	if !math.IsInf(r.ArrivalRate, 1) {
		arrivals = fmt.Sprintf("%.1f/s", r.ArrivalRate)
	}
	return fmt.Sprintf("load: %d callers (%s) through %d agents: %.1f completed calls/s in %v, ideal %.1f (best for this run %.1f)\n"+
		"  ideal = min(arrivals %s, capacity %d agents / (%v talk + %v wrap-up + %v answer) = %.1f/s)\n"+
		"  agent free→next ring:     %v  (in stasisq %v)\n"+
		"  join→ring, agent free:    %v  (in stasisq %v)\n"+
		"  queue wait (join→ring):   %v\n"+
		"  overtakes: %d  outcomes: %v  callers without exactly one outcome: %d  agents not available: %d  calls unfinished: %d",
		r.Callers, arrivals, r.Agents, r.CallsPerSecond, r.Elapsed.Round(time.Millisecond), r.Ideal, r.IdealRun,
		arrivals, r.Agents, r.Talk, r.WrapUp, loadAnswerDelay, r.Capacity,
		r.FreeToDial, r.FreeToDialInApp,
		r.JoinToDial, r.JoinToDialInApp,
		r.Wait,
		r.Overtakes, r.Outcomes, len(r.BadOutcomes), len(r.AgentsNotFree), r.Unfinished)
}

// Err says what a load run got wrong, nil when every caller ended with one
// outcome, every agent is available and nobody was overtaken.
func (r LoadResult) Err() error {
	var errs []error
	if len(r.BadOutcomes) > 0 {
		errs = append(errs, fmt.Errorf("%d callers without exactly one outcome, e.g. %v", len(r.BadOutcomes), r.BadOutcomes[:min(5, len(r.BadOutcomes))]))
	}
	if len(r.AgentsNotFree) > 0 {
		errs = append(errs, fmt.Errorf("agents not available at the end: %v", r.AgentsNotFree))
	}
	if r.Overtakes > 0 {
		errs = append(errs, fmt.Errorf("%d overtakes", r.Overtakes))
	}
	if r.Unfinished > 0 {
		errs = append(errs, fmt.Errorf("%d calls still up at the end", r.Unfinished))
	}
	return errors.Join(errs...)
}

// moment is when something happened: raised by Asterisk (event timestamp)
// and seen by the loop.
type moment struct{ raised, seen time.Time }

func newMoment(raised, seen time.Time) moment {
	if raised.IsZero() {
		raised = seen // a timer or a command: nothing queued before the loop
	}
	return moment{raised, seen}
}

// loadObserver collects call-flow timings and the domain events in order.
type loadObserver struct {
	mu          sync.Mutex
	arrived     map[queue.CallerID]moment
	rangOnJoin  map[queue.CallerID]bool // offered in the same Apply as its join
	dialed      map[queue.CallerID]bool
	joinToDial  []time.Duration
	joinInApp   []time.Duration
	wait        []time.Duration
	freeAt      map[queue.AgentID]moment
	freeToDial  []time.Duration
	freeInApp   []time.Duration
	waiting     int
	outcomes    map[queue.CallerID]int
	reasons     map[string]int
	overtakes   int
	queueOrder  map[string][]joinedCaller // callers waiting and never yet offered, in join order
	offeredOnce map[queue.CallerID]bool
}

type joinedCaller struct {
	id       queue.CallerID
	priority int
}

func newLoadObserver() *loadObserver {
	return &loadObserver{
		arrived:     map[queue.CallerID]moment{},
		rangOnJoin:  map[queue.CallerID]bool{},
		dialed:      map[queue.CallerID]bool{},
		freeAt:      map[queue.AgentID]moment{},
		outcomes:    map[queue.CallerID]int{},
		reasons:     map[string]int{},
		queueOrder:  map[string][]joinedCaller{},
		offeredOnce: map[queue.CallerID]bool{},
	}
}

func (o *loadObserver) CallerArrived(c queue.CallerID, raised, seen time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.arrived[c] = newMoment(raised, seen)
	o.waiting++
}

func (o *loadObserver) AgentFree(a queue.AgentID, raised, seen time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	// Only a free agent with callers waiting measures the engine's reaction;
	// an agent idle for lack of callers would measure the arrival gap.
	if o.waiting > 0 {
		o.freeAt[a] = newMoment(raised, seen)
	}
}

func (o *loadObserver) Dialing(_ queue.OfferID, c queue.CallerID, a queue.AgentID, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if t, ok := o.freeAt[a]; ok {
		o.freeToDial = append(o.freeToDial, at.Sub(t.raised))
		o.freeInApp = append(o.freeInApp, at.Sub(t.seen))
		delete(o.freeAt, a)
	}
	if o.dialed[c] {
		return
	}
	o.dialed[c] = true
	o.waiting--
	if o.waiting == 0 {
		// Nobody waits any more: agents free now are idle for lack of
		// callers, and their next dial measures an arrival, not us.
		clear(o.freeAt)
	}
	t, ok := o.arrived[c]
	if !ok {
		return
	}
	o.wait = append(o.wait, at.Sub(t.raised))
	if o.rangOnJoin[c] {
		o.joinToDial = append(o.joinToDial, at.Sub(t.raised))
		o.joinInApp = append(o.joinInApp, at.Sub(t.seen))
	}
}

// events is a Publish sink: counts outcomes and overtakes in event order,
// and notes callers offered in the Apply that joined them (an agent was
// free), the only ones whose join→ring measures the flow, not the queue.
func (o *loadObserver) events(evs []queue.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var joined []queue.CallerID
	for _, ev := range evs {
		switch ev := ev.(type) {
		case queue.CallerJoined:
			joined = append(joined, ev.Caller)
			o.queueOrder[ev.Queue] = append(o.queueOrder[ev.Queue], joinedCaller{id: ev.Caller, priority: ev.Priority})
		case queue.CallerRefused:
			o.outcomes[ev.Caller]++
			o.reasons["refused"]++
		case queue.CallerLeft:
			o.outcomes[ev.Caller]++
			o.reasons[string(ev.Reason)]++
			o.dropFromOrder(ev.Queue, ev.Caller)
		case queue.OfferStarted:
			if o.offeredOnce[ev.Caller] {
				continue
			}
			o.offeredOnce[ev.Caller] = true
			if slices.Contains(joined, ev.Caller) {
				o.rangOnJoin[ev.Caller] = true
			}
			order := o.queueOrder[ev.Queue]
			var prio = -1 << 31
			for _, c := range order {
				if c.id == ev.Caller {
					prio = c.priority
				}
			}
			for _, c := range order {
				if c.id == ev.Caller {
					break
				}
				if c.priority == prio && !o.offeredOnce[c.id] {
					o.overtakes++
				}
			}
		}
	}
}

func (o *loadObserver) dropFromOrder(q string, c queue.CallerID) {
	order := o.queueOrder[q]
	for i := range order {
		if order[i].id == c {
			o.queueOrder[q] = append(order[:i], order[i+1:]...)
			return
		}
	}
}

// RunLoad pushes opts.Callers simulated callers through opts.Agents
// simulated agents: a real Main (engine, store, call flow) against the
// in-process fake Asterisk, over real HTTP and websockets.
func RunLoad(ctx context.Context, opts LoadOptions, logger *slog.Logger) (LoadResult, error) {
	if opts.Callers <= 0 || opts.Agents <= 0 {
		return LoadResult{}, errors.New("load: callers and agents must be positive")
	}
	if opts.Talk <= 0 {
		opts.Talk = 100 * time.Millisecond
	}
	if opts.Strategy == "" {
		opts.Strategy = queue.LongestIdle
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "stasisq-load-")
		if err != nil {
			return LoadResult{}, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	fake := aritest.NewServer(aritest.Options{
		User: "stasisq", Password: "load",
		PlaybackDuration: func(string) time.Duration { return 20 * time.Millisecond },
		AnswerDelay:      loadAnswerDelay,
	})
	defer fake.Close()
	obs := newLoadObserver()
	m := NewMain()
	m.Config.ARIURL, m.Config.ARIUser, m.Config.ARIPassword = fake.URL(), "stasisq", "load"
	m.Config.Listen = "127.0.0.1:0"
	m.Config.DB = filepath.Join(dir, "load.db")
	m.Logger = logger
	m.Observer = obs
	m.Publish = append(m.Publish, obs.events)
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		return LoadResult{}, err
	}
	defer m.Close()
	select {
	case <-m.App.Ready():
	case <-ctx.Done():
		return LoadResult{}, fmt.Errorf("load: never connected to the fake Asterisk: %w", ctx.Err())
	}

	dir2 := &directory{db: m.DB, floor: m.App}
	qc := queue.DefaultQueueConfig("load")
	qc.Strategy = opts.Strategy
	qc.Timeout = 30 * time.Second
	qc.AnnouncePosition = "no"
	qc.MinAnnounceFrequency = 0
	qc.WrapUpTime = opts.WrapUp
	if err := dir2.ConfigureQueue(ctx, qc); err != nil {
		return LoadResult{}, fmt.Errorf("load: queue: %w", err)
	}
	var agentIDs []queue.AgentID
	for i := range opts.Agents {
		id := fmt.Sprintf("agent%03d", i+1)
		device := fmt.Sprintf("PJSIP/%d", 2000+i)
		fake.SetDevice(device, aritest.DeviceBehavior{Action: aritest.Answer, TalkFor: opts.Talk})
		u := ui.UserRecord{ID: id, Name: id, Role: ui.RoleAgent, Agent: queue.AgentConfig{Device: device, Queues: []queue.Membership{{Queue: "load"}}}}
		if err := dir2.ConfigureUser(ctx, u, ""); err != nil {
			return LoadResult{}, fmt.Errorf("load: agent %s: %w", id, err)
		}
		if err := m.App.Do(ctx, queue.AgentLogin{Agent: queue.AgentID(id)}); err != nil {
			return LoadResult{}, fmt.Errorf("load: login %s: %w", id, err)
		}
		agentIDs = append(agentIDs, queue.AgentID(id))
	}

	start := time.Now()
	calls := make([]*aritest.Call, 0, opts.Callers)
	for i := range opts.Callers {
		// Arrivals keep to a schedule, not a sleep after each call, so the
		// rate offered is the rate asked for however long Call takes.
		if wait := time.Until(start.Add(time.Duration(i) * opts.Arrivals)); wait > 0 {
			time.Sleep(wait)
		}
		c, err := fake.Call(ctx, aritest.CallSpec{App: m.Config.App, Args: []string{"load"}, Number: fmt.Sprintf("555%04d", i), Name: "Load"})
		if err != nil {
			return LoadResult{}, fmt.Errorf("load: caller %d: %w", i, err)
		}
		calls = append(calls, c)
	}
	for _, c := range calls {
		select {
		case <-c.Done():
		case <-ctx.Done():
			return LoadResult{}, fmt.Errorf("load: calls still up: %w", ctx.Err())
		}
	}
	elapsed := time.Since(start)

	// Let the last wrap-ups and hangups settle, then check the floor.
	var snap queue.Snapshot
	for {
		var err error
		snap, err = m.App.Snapshot(ctx)
		if err != nil {
			return LoadResult{}, err
		}
		if allAvailable(snap, agentIDs) && m.App.Idle() {
			break
		}
		select {
		case <-ctx.Done():
			return LoadResult{}, fmt.Errorf("load: agents never all available: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}

	obs.mu.Lock()
	defer obs.mu.Unlock()
	res := LoadResult{
		Callers:         opts.Callers,
		Agents:          opts.Agents,
		Talk:            opts.Talk,
		WrapUp:          opts.WrapUp,
		Elapsed:         elapsed,
		CallsPerSecond:  float64(opts.Callers) / elapsed.Seconds(),
		ArrivalRate:     math.Inf(1),
		Capacity:        float64(opts.Agents) / (opts.Talk + opts.WrapUp + loadAnswerDelay).Seconds(),
		FreeToDial:      percentiles(obs.freeToDial),
		FreeToDialInApp: percentiles(obs.freeInApp),
		JoinToDial:      percentiles(obs.joinToDial),
		JoinToDialInApp: percentiles(obs.joinInApp),
		Wait:            percentiles(obs.wait),
		Overtakes:       obs.overtakes,
		Outcomes:        obs.reasons,
	}
	if opts.Arrivals > 0 {
		res.ArrivalRate = 1 / opts.Arrivals.Seconds()
	}
	res.Ideal = min(res.ArrivalRate, res.Capacity)
	res.IdealRun = float64(opts.Callers) / idealElapsed(opts).Seconds()
	for _, c := range calls {
		if n := obs.outcomes[queue.CallerID(c.ID())]; n != 1 {
			res.BadOutcomes = append(res.BadOutcomes, fmt.Sprintf("%s:%d", c.ID(), n))
		}
	}
	for _, a := range snap.Agents {
		if a.State != queue.AgentAvailable {
			res.AgentsNotFree = append(res.AgentsNotFree, fmt.Sprintf("%s=%s", a.Config.ID, a.State))
		}
	}
	res.Unfinished = len(fake.ChannelIDs())
	return res, nil
}

// idealElapsed is how long the run would take if every call took exactly
// talk + wrap-up + answer and a caller were rung the instant an agent was
// free: caller k starts when it arrives or when the agent freed by caller
// k-Agents is done, whichever is later.
func idealElapsed(opts LoadOptions) time.Duration {
	occupancy := opts.Talk + opts.WrapUp + loadAnswerDelay
	start := make([]time.Duration, opts.Callers)
	var end time.Duration
	for k := range start {
		start[k] = time.Duration(k) * opts.Arrivals
		if k >= opts.Agents {
			start[k] = max(start[k], start[k-opts.Agents]+occupancy)
		}
		end = max(end, start[k]+occupancy)
	}
	return end
}

func allAvailable(s queue.Snapshot, ids []queue.AgentID) bool {
	state := map[queue.AgentID]queue.AgentState{}
	for _, a := range s.Agents {
		state[queue.AgentID(a.Config.ID)] = a.State
	}
	for _, id := range ids {
		if state[id] != queue.AgentAvailable {
			return false
		}
	}
	return true
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stasisq load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts LoadOptions
	var strategy string
	fs.IntVar(&opts.Callers, "callers", 1000, "simulated callers")
	fs.IntVar(&opts.Agents, "agents", 100, "simulated agents")
	fs.DurationVar(&opts.Talk, "talk", 100*time.Millisecond, "talk time of each call")
	fs.DurationVar(&opts.WrapUp, "wrapup", 0, "the queue's wrap-up time")
	fs.DurationVar(&opts.Arrivals, "arrivals", 0, "time between two callers (0: all at once)")
	fs.StringVar(&strategy, "strategy", string(queue.LongestIdle), "queue strategy")
	fs.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "give up after this")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts.Strategy = queue.Strategy(strategy)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := RunLoad(ctx, opts, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res)
	return res.Err()
}
