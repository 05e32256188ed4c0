package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"stasisq/ari/aritest"
	"stasisq/queue"
)

// Floor is the stasisq under load, as a run drives it.
type Floor interface {
	ConfigureQueue(ctx context.Context, q queue.QueueConfig) error
	// AddAgent creates agent id with cfg and logs it in.
	AddAgent(ctx context.Context, id string, cfg queue.AgentConfig) error
	Snapshot(ctx context.Context) (queue.Snapshot, error)
	// Idle reports that no REST call is queued or running.
	Idle() bool
}

// Start runs a stasisq against the fake Asterisk at fake.URL() (user
// "stasisq", password Password), its Stasis application named App, with rec
// as its call-flow observer and event sink; it returns once stasisq has
// connected, and stop ends it.
type Start func(ctx context.Context, fake *aritest.Server, rec *Recorder) (floor Floor, stop func() error, err error)

// The fake Asterisk's credentials and the application the load calls into.
const (
	User     = "stasisq"
	Password = "load"
	App      = "stasisq"
)

// Run pushes opts.Callers simulated callers through opts.Agents simulated
// agents of the stasisq that start runs against the in-process fake
// Asterisk, over real HTTP and websockets.
func Run(ctx context.Context, opts Options, start Start) (res Result, err error) {
	if opts.Callers <= 0 || opts.Agents <= 0 {
		return Result{}, errors.New("load: callers and agents must be positive")
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
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	fake := aritest.NewServer(aritest.Options{
		User: User, Password: Password,
		PlaybackDuration: func(string) time.Duration { return 20 * time.Millisecond },
		AnswerDelay:      AnswerDelay,
	})
	defer fake.Close()
	rec := NewRecorder()
	floor, stop, err := start(ctx, fake, rec)
	if err != nil {
		return Result{}, fmt.Errorf("load: start stasisq: %w", err)
	}
	defer func() {
		if stopErr := stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("load: stop stasisq: %w", stopErr))
		}
	}()

	qc := queue.DefaultQueueConfig("load")
	qc.Strategy = opts.Strategy
	qc.Timeout = 30 * time.Second
	qc.AnnouncePosition = "no"
	qc.MinAnnounceFrequency = 0
	qc.WrapUpTime = opts.WrapUp
	if err := floor.ConfigureQueue(ctx, qc); err != nil {
		return Result{}, fmt.Errorf("load: queue: %w", err)
	}
	var agentIDs []queue.AgentID
	for i := range opts.Agents {
		id := fmt.Sprintf("agent%03d", i+1)
		device := fmt.Sprintf("PJSIP/%d", 2000+i)
		fake.SetDevice(device, aritest.DeviceBehavior{Action: aritest.Answer, TalkFor: opts.Talk})
		if err := floor.AddAgent(ctx, id, queue.AgentConfig{Device: device, Queues: []queue.Membership{{Queue: "load"}}}); err != nil {
			return Result{}, fmt.Errorf("load: agent %s: %w", id, err)
		}
		agentIDs = append(agentIDs, queue.AgentID(id))
	}

	start0 := time.Now()
	calls := make([]*aritest.Call, 0, opts.Callers)
	for i := range opts.Callers {
		// Arrivals keep to a schedule, not a sleep after each call, so the
		// rate offered is the rate asked for however long Call takes.
		if wait := time.Until(start0.Add(time.Duration(i) * opts.Arrivals)); wait > 0 {
			time.Sleep(wait)
		}
		c, err := fake.Call(ctx, aritest.CallSpec{App: App, Args: []string{"load"}, Number: fmt.Sprintf("555%04d", i), Name: "Load"})
		if err != nil {
			return Result{}, fmt.Errorf("load: caller %d: %w", i, err)
		}
		calls = append(calls, c)
	}
	for _, c := range calls {
		select {
		case <-c.Done():
		case <-ctx.Done():
			return Result{}, fmt.Errorf("load: calls still up: %w", ctx.Err())
		}
	}
	elapsed := time.Since(start0)

	// Let the last wrap-ups and hangups settle, then check the floor.
	var snap queue.Snapshot
	for {
		var err error
		snap, err = floor.Snapshot(ctx)
		if err != nil {
			return Result{}, err
		}
		if allAvailable(snap, agentIDs) && floor.Idle() {
			break
		}
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("load: agents never all available: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	res = Result{
		Callers:         opts.Callers,
		Agents:          opts.Agents,
		Talk:            opts.Talk,
		WrapUp:          opts.WrapUp,
		Elapsed:         elapsed,
		CallsPerSecond:  float64(opts.Callers) / elapsed.Seconds(),
		ArrivalRate:     math.Inf(1),
		Capacity:        float64(opts.Agents) / (opts.Talk + opts.WrapUp + AnswerDelay).Seconds(),
		FreeToDial:      percentiles(rec.freeToDial),
		FreeToDialInApp: percentiles(rec.freeInApp),
		JoinToDial:      percentiles(rec.joinToDial),
		JoinToDialInApp: percentiles(rec.joinInApp),
		Wait:            percentiles(rec.wait),
		Overtakes:       rec.overtakes,
		Outcomes:        rec.reasons,
	}
	if opts.Arrivals > 0 {
		res.ArrivalRate = 1 / opts.Arrivals.Seconds()
	}
	res.Ideal = min(res.ArrivalRate, res.Capacity)
	res.IdealRun = float64(opts.Callers) / idealElapsed(opts).Seconds()
	for _, c := range calls {
		if n := rec.outcomes[queue.CallerID(c.ID())]; n != 1 {
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
