package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"stasisq/ari/aritest"
)

// Config describes the traffic to simulate.
type Config struct {
	Server *aritest.Server
	App    string   // the Stasis application callers dial into
	Queues []string // each caller picks one at random; it is Stasis()'s first arg
	// Rate is the mean number of caller arrivals per second across all
	// queues; arrivals form a Poisson process. 0 sends no callers.
	Rate float64
	// Patience is the mean time a caller waits (exponential) before hanging
	// up unanswered; 0 means callers never abandon.
	Patience time.Duration
	// CallerTalkMean is the mean time an answered caller talks before
	// hanging up, if the agent has not hung up first; default 2 minutes, so
	// a call whose agent never hangs up still ends.
	CallerTalkMean time.Duration
	// InitialCallers dial in at once when the simulation starts, so a
	// wallboard has something to show before the first Poisson arrival.
	InitialCallers int
	// CallbackShare is the share of callers (0..1) who, still waiting
	// CallbackAfter after joining, press 1 for a callback and 1 to confirm
	// their number; InitialCallbacks of the initial callers do so at once.
	// stasisq then lets them go and calls them back on a Local channel the
	// fake answers.
	CallbackShare    float64
	CallbackAfter    time.Duration
	InitialCallbacks int
	Agents           []AgentSpec // simulated phones
	Rand             *rand.Rand  // seeded for reproducible traffic; default random
	Logger           *slog.Logger
	// Stats, when set, receives the counts as they happen, for a caller of
	// Run who wants to read them while it runs. Default a new Stats.
	Stats *Stats
}

const defaultCallerTalkMean = 2 * time.Minute

// Sim is a prepared simulation: its phones are configured on the server
// from New on, so agents can be rung before Run starts sending callers.
type Sim struct {
	cfg   Config
	log   *slog.Logger
	dice  *dice
	stats *Stats
}

// New checks cfg and configures every simulated phone on cfg.Server.
func New(cfg Config) (*Sim, error) {
	switch {
	case cfg.Server == nil:
		return nil, errors.New("sim: no server")
	case cfg.App == "":
		return nil, errors.New("sim: no application")
	case cfg.Rate < 0:
		return nil, fmt.Errorf("sim: negative rate %v", cfg.Rate)
	case (cfg.Rate > 0 || cfg.InitialCallers > 0) && len(cfg.Queues) == 0:
		return nil, errors.New("sim: callers need at least one queue")
	case cfg.Patience < 0 || cfg.CallerTalkMean < 0:
		return nil, errors.New("sim: negative patience or talk time")
	}
	for _, a := range cfg.Agents {
		if a.Device == "" {
			return nil, errors.New("sim: agent phone without a device")
		}
		if a.NoAnswerProb < 0 || a.BusyProb < 0 || a.NoAnswerProb+a.BusyProb > 1 {
			return nil, fmt.Errorf("sim: phone %s: probabilities must be >= 0 and sum to <= 1", a.Device)
		}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Stats == nil {
		cfg.Stats = &Stats{}
	}
	if cfg.CallerTalkMean == 0 {
		cfg.CallerTalkMean = defaultCallerTalkMean
	}
	s := &Sim{cfg: cfg, log: cfg.Logger, dice: &dice{r: cfg.Rand}, stats: cfg.Stats}
	configurePhones(cfg.Server, s.dice, s.stats, cfg.Agents)
	return s, nil
}

// Stats is the simulation's live counts.
func (s *Sim) Stats() *Stats { return s.stats }

// Run sends callers and answers phones until ctx ends, then hangs up the
// callers still in progress and returns once every goroutine it started has
// finished. It returns nil when stopped by ctx.
func (s *Sim) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := range s.cfg.InitialCallers {
		p := s.drawPlan()
		if i < s.cfg.InitialCallbacks {
			p.callback, p.callbackAfter = true, 500*time.Millisecond
		}
		wg.Go(func() { s.caller(ctx, p) })
	}
	if s.cfg.Rate > 0 {
		s.arrivals(ctx, &wg)
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// Run is New followed by Sim.Run.
func Run(ctx context.Context, cfg Config) (*Stats, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return s.stats, s.Run(ctx)
}

// arrivals starts callers at Poisson arrival times until ctx ends. Times are
// kept on an absolute schedule so slow Call()s do not lower the rate.
func (s *Sim) arrivals(ctx context.Context, wg *sync.WaitGroup) {
	next := time.Now()
	t := time.NewTimer(0)
	defer t.Stop()
	<-t.C
	for {
		var gap time.Duration
		s.dice.with(func(r *rand.Rand) { gap = InterArrival(r, s.cfg.Rate) })
		next = next.Add(gap)
		t.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.startCaller(ctx, wg)
		}
	}
}

// plan is everything random about one caller, drawn up front so a seeded
// Rand gives the same callers whatever the goroutines' timing.
type plan struct {
	queue, number, name string
	patience, talk      time.Duration
	callback            bool // asks to be called back after callbackAfter
	callbackAfter       time.Duration
}

func (s *Sim) drawPlan() plan {
	var p plan
	s.dice.with(func(r *rand.Rand) {
		number := CallerNumber(r)
		p = plan{
			queue:    s.cfg.Queues[r.IntN(len(s.cfg.Queues))],
			number:   number,
			name:     CallerName(number),
			patience: Exponential(r, s.cfg.Patience),
			talk:     talkTime(r, s.cfg.CallerTalkMean),
		}
		if s.cfg.CallbackShare > 0 && r.Float64() < s.cfg.CallbackShare {
			p.callback, p.callbackAfter = true, max(s.cfg.CallbackAfter, time.Second)
		}
	})
	return p
}

func (s *Sim) startCaller(ctx context.Context, wg *sync.WaitGroup) {
	p := s.drawPlan()
	wg.Go(func() { s.caller(ctx, p) })
}

// ending is why the simulated caller hung up, if it did.
type ending int

const (
	notHungUp ending = iota
	outOfPatience
	doneTalking
	stopped
)

// caller plays one caller: dial in, wait (abandoning when out of patience),
// talk once bridged, and hang up or be hung up.
func (s *Sim) caller(ctx context.Context, p plan) {
	c, err := s.cfg.Server.Call(ctx, aritest.CallSpec{App: s.cfg.App, Args: []string{p.queue}, Number: p.number, Name: p.name})
	if err != nil {
		if ctx.Err() == nil {
			s.stats.failed.Add(1)
			s.log.Warn("simulated caller could not dial in", "queue", p.queue, "err", err)
		}
		return
	}
	s.stats.started.Add(1)

	var patience, talk <-chan time.Time
	if p.patience > 0 {
		t := time.NewTimer(p.patience)
		defer t.Stop()
		patience = t.C
	}
	answered := false
	bridgedCh := c.Bridged()
	var talkTimer *time.Timer
	defer func() {
		if talkTimer != nil {
			talkTimer.Stop()
		}
	}()
	markAnswered := func() {
		if answered {
			return
		}
		answered = true
		s.stats.answered.Add(1)
		patience = nil
		bridgedCh = nil
		talkTimer = time.NewTimer(p.talk)
		talk = talkTimer.C
	}
	why := notHungUp
	hangup := func(w ending) {
		why = w
		c.Hangup()
	}
	var ask <-chan time.Time
	if p.callback {
		t := time.NewTimer(p.callbackAfter)
		defer t.Stop()
		ask = t.C
	}
	asked := false
	for why == notHungUp {
		select {
		case <-c.Done():
			if asked && !answered {
				// Let go to be called back: the customer's call is another
				// channel, which the fake answers.
				s.stats.callbacks.Add(1)
				return
			}
			s.finish(c, p, why, answered)
			return
		case <-ask:
			ask = nil
			if !answered && !bridged(c) {
				// The callback key, then 1 for "this number is right"
				// while it is read back.
				c.SendDTMF("1")
				time.Sleep(300 * time.Millisecond)
				c.SendDTMF("1")
				asked, patience = true, nil
			}
		case <-ctx.Done():
			hangup(stopped)
		case <-patience:
			if bridged(c) {
				markAnswered()
				continue
			}
			hangup(outOfPatience)
		case <-bridgedCh:
			markAnswered()
		case <-talk:
			hangup(doneTalking)
		}
	}
	<-c.Done()
	s.finish(c, p, why, answered)
}

// bridged says whether anyone has been put through to the caller, for the
// moment patience runs out while Bridged has closed but is not yet read.
func bridged(c *aritest.Call) bool {
	select {
	case <-c.Bridged():
		return true
	default:
		return false
	}
}

// finish counts a caller that left Stasis, in exactly one ending.
func (s *Sim) finish(c *aritest.Call, p plan, why ending, answered bool) {
	res := c.Result()
	if !answered && len(res.BridgedWith) > 0 {
		// Put through between the last look and the hangup.
		s.stats.answered.Add(1)
		answered = true
	}
	switch {
	case res.Vars["STASISSTATUS"] == "FAILED":
		s.stats.stasisFailed.Add(1)
	case res.Continued:
		s.stats.continued.Add(1)
	case why == stopped:
		s.stats.cancelled.Add(1)
	case why == outOfPatience && !answered:
		s.stats.abandoned.Add(1)
	case why == doneTalking || why == outOfPatience:
		s.stats.callerEnded.Add(1)
	default:
		s.stats.farEnded.Add(1)
	}
	if res.Continued {
		// The dialplan goes on without us; the caller puts the phone down.
		c.Hangup()
	}
	s.log.Debug("simulated caller finished", "queue", p.queue, "number", p.number, "answered", answered,
		"continued", res.Continued, "status", res.Vars["QUEUESTATUS"])
}
