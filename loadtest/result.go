package loadtest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"stasisq/queue"
)

// Options shape one load run against the in-process fake Asterisk.
type Options struct {
	Callers  int
	Agents   int
	Talk     time.Duration // each agent hangs up after this
	WrapUp   time.Duration // the queue's wrap-up time
	Arrivals time.Duration // between two callers; 0 sends them all at once
	Strategy queue.Strategy
	Timeout  time.Duration // the whole run
	// Servers is how many fake Asterisks stasisq drives (default 1);
	// callers and agents are spread over them.
	Servers int
}

// AnswerDelay is how long the fake's agents take to answer: the ring
// part of an agent's time per call.
const AnswerDelay = time.Millisecond

// Result is what a load run measured. Latencies end when POST
// /channels (the agent's ring) goes out. They start at Asterisk's timestamp
// of the event behind them, which includes the websocket and our inbox and
// is truncated to the millisecond (so up to 1 ms too long); the InApp
// figures start when the loop took the event up instead: stasisq's share.
type Result struct {
	Callers, Agents int
	Servers         int
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

func (r Result) String() string {
	arrivals := "all at once"
	if !math.IsInf(r.ArrivalRate, 1) {
		arrivals = fmt.Sprintf("%.1f/s", r.ArrivalRate)
	}
	servers := ""
	if r.Servers > 1 {
		servers = fmt.Sprintf(" on %d Asterisk servers", r.Servers)
	}
	return fmt.Sprintf("load: %d callers (%s) through %d agents%s: %.1f completed calls/s in %v, ideal %.1f (best for this run %.1f)\n"+
		"  ideal = min(arrivals %s, capacity %d agents / (%v talk + %v wrap-up + %v answer) = %.1f/s)\n"+
		"  agent free→next ring:     %v  (in stasisq %v)\n"+
		"  join→ring, agent free:    %v  (in stasisq %v)\n"+
		"  queue wait (join→ring):   %v\n"+
		"  overtakes: %d  outcomes: %v  callers without exactly one outcome: %d  agents not available: %d  calls unfinished: %d",
		r.Callers, arrivals, r.Agents, servers, r.CallsPerSecond, r.Elapsed.Round(time.Millisecond), r.Ideal, r.IdealRun,
		arrivals, r.Agents, r.Talk, r.WrapUp, AnswerDelay, r.Capacity,
		r.FreeToDial, r.FreeToDialInApp,
		r.JoinToDial, r.JoinToDialInApp,
		r.Wait,
		r.Overtakes, r.Outcomes, len(r.BadOutcomes), len(r.AgentsNotFree), r.Unfinished)
}

// Err says what a load run got wrong, nil when every caller ended with one
// outcome, every agent is available and nobody was overtaken.
func (r Result) Err() error {
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

// idealElapsed is how long the run would take if every call took exactly
// talk + wrap-up + answer and a caller were rung the instant an agent was
// free: caller k starts when it arrives or when the agent freed by caller
// k-Agents is done, whichever is later.
func idealElapsed(opts Options) time.Duration {
	occupancy := opts.Talk + opts.WrapUp + AnswerDelay
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
