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

// Start runs a stasisq against the fake Asterisks at their URL() (user
// "stasisq", password Password): one as its only server, several as the
// servers ServerName(0), ServerName(1)…, whose agent phones are reached from
// the others through DialTemplate; its Stasis application named App, with
// rec as its call-flow observer and event sink. It returns once stasisq
// has connected, and stop ends it.
type Start func(ctx context.Context, fakes []*aritest.Server, rec *Recorder) (floor Floor, stop func() error, err error)

// ServerName is the name of the i-th fake Asterisk of a run with several.
func ServerName(i int) string { return fmt.Sprintf("s%d", i+1) }

// DialTemplate reaches a device of another server (the fakes answer it).
const DialTemplate = "PJSIP/{device}@to-{server}"

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

	if opts.Servers <= 0 {
		opts.Servers = 1
	}
	fakes := make([]*aritest.Server, opts.Servers)
	for i := range fakes {
		fakes[i] = aritest.NewServer(aritest.Options{
			User: User, Password: Password,
			PlaybackDuration: func(string) time.Duration { return 20 * time.Millisecond },
			AnswerDelay:      AnswerDelay,
		})
		defer fakes[i].Close()
	}
	// qualified is a caller's id as stasisq has it.
	qualified := func(server int, c *aritest.Call) queue.CallerID {
		if opts.Servers == 1 {
			return queue.CallerID(c.ID())
		}
		return queue.CallerID(ServerName(server) + "~" + c.ID())
	}
	rec := NewRecorder()
	floor, stop, err := start(ctx, fakes, rec)
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
		// The agents are spread over the servers; a caller on another
		// server reaches the phone through that server's trunk.
		home := i % opts.Servers
		cfg := queue.AgentConfig{Device: device, Queues: []queue.Membership{{Queue: "load"}}}
		for s, f := range fakes {
			endpoint := device
			if s != home {
				endpoint = fmt.Sprintf("PJSIP/%d@to-%s", 2000+i, ServerName(home))
			}
			f.SetDevice(endpoint, aritest.DeviceBehavior{Action: aritest.Answer, TalkFor: opts.Talk})
		}
		if opts.Servers > 1 {
			cfg.Server = ServerName(home)
		}
		if err := floor.AddAgent(ctx, id, cfg); err != nil {
			return Result{}, fmt.Errorf("load: agent %s: %w", id, err)
		}
		agentIDs = append(agentIDs, queue.AgentID(id))
	}

	start0 := time.Now()
	calls := make([]*aritest.Call, 0, opts.Callers)
	ids := make([]queue.CallerID, 0, opts.Callers)
	for i := range opts.Callers {
		// Arrivals keep to a schedule, not a sleep after each call, so the
		// rate offered is the rate asked for however long Call takes.
		if wait := time.Until(start0.Add(time.Duration(i) * opts.Arrivals)); wait > 0 {
			time.Sleep(wait)
		}
		server := i % opts.Servers // callers alternate between the servers
		c, err := fakes[server].Call(ctx, aritest.CallSpec{App: App, Args: []string{"load"}, Number: fmt.Sprintf("555%04d", i), Name: "Load"})
		if err != nil {
			return Result{}, fmt.Errorf("load: caller %d: %w", i, err)
		}
		calls = append(calls, c)
		ids = append(ids, qualified(server, c))
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
		Servers:         opts.Servers,
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
	for _, id := range ids {
		if n := rec.outcomes[id]; n != 1 {
			res.BadOutcomes = append(res.BadOutcomes, fmt.Sprintf("%s:%d", id, n))
		}
	}
	for _, a := range snap.Agents {
		if a.State != queue.AgentAvailable {
			res.AgentsNotFree = append(res.AgentsNotFree, fmt.Sprintf("%s=%s", a.Config.ID, a.State))
		}
	}
	for _, f := range fakes {
		res.Unfinished += len(f.ChannelIDs())
	}
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
