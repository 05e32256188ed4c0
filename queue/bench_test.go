package queue

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// The benchmarks run a contact centre of benchQueues queues, benchAgents
// agents (each a member of two queues) all on calls, and benchWaiting callers
// waiting, spread over the queues.
const (
	benchQueues  = 50
	benchAgents  = 1000
	benchWaiting = 5000
)

// loadedCentre is an engine at steady load and what the benchmark needs to
// keep it there.
type loadedCentre struct {
	e       *Engine
	now     time.Time
	calls   map[AgentID]CallerID // the call each agent is on
	agents  []AgentID
	callers int
}

// MustLoadedCentre builds the centre: every agent on a call, benchWaiting
// callers waiting. wrapUp is each queue's wrap-up time.
func MustLoadedCentre(tb testing.TB, wrapUp time.Duration) *loadedCentre {
	tb.Helper()
	c := &loadedCentre{
		e:     NewEngine(Options{Rand: rand.New(rand.NewPCG(1, 2)), Location: time.UTC, OfferPrefix: "b-"}),
		now:   time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC),
		calls: make(map[AgentID]CallerID, benchAgents),
	}
	strategies := slices.DeleteFunc(slices.Clone(Strategies), func(s Strategy) bool { return s == SkillsBased || s == RingAll })
	for i := range benchQueues {
		q := DefaultQueueConfig(fmt.Sprintf("q%02d", i))
		q.Strategy = strategies[i%len(strategies)]
		q.WrapUpTime = wrapUp
		c.mustApply(tb, ConfigureQueue{Config: q})
	}
	for i := range benchAgents {
		id := AgentID(fmt.Sprintf("agent%04d", i))
		a := AgentConfig{ID: string(id), Name: string(id), Device: "PJSIP/" + string(id), Queues: []Membership{
			{Queue: fmt.Sprintf("q%02d", i%benchQueues)},
			{Queue: fmt.Sprintf("q%02d", (i+1)%benchQueues), Penalty: 1},
		}}
		c.mustApply(tb, ConfigureAgent{Config: a})
		c.agents = append(c.agents, id)
	}
	for range benchAgents + benchWaiting {
		c.join(tb)
	}
	for _, a := range c.agents {
		c.answerAll(tb, c.mustApply(tb, AgentLogin{Agent: a}))
	}
	if len(c.calls) != benchAgents {
		tb.Fatalf("agents on calls got=%d, want %d", len(c.calls), benchAgents)
	}
	waiting := 0
	for _, q := range c.e.Snapshot(c.now).Queues {
		waiting += len(q.Callers)
	}
	if waiting != benchWaiting {
		tb.Fatalf("waiting got=%d, want %d", waiting, benchWaiting)
	}
	return c
}

func (c *loadedCentre) mustApply(tb testing.TB, in Input) Ready {
	tb.Helper()
	c.now = c.now.Add(time.Millisecond)
	effs, err := c.e.Apply(c.now, in)
	if err != nil {
		tb.Fatalf("%T%+v: %v", in, in, err)
	}
	return effs
}

func (c *loadedCentre) join(tb testing.TB) Ready {
	tb.Helper()
	c.callers++
	id := CallerID(fmt.Sprintf("caller%07d", c.callers))
	return c.mustApply(tb, CallerJoin{Caller: id, Queue: fmt.Sprintf("q%02d", c.callers%benchQueues), JoinedAt: c.now})
}

// answerAll answers every ring in r, as agents who pick up at once.
func (c *loadedCentre) answerAll(tb testing.TB, r Ready) {
	tb.Helper()
	for _, ef := range r.AgentActions {
		if r, ok := ef.(RingAgent); ok {
			for _, ef := range c.mustApply(tb, OfferAnswered{Offer: r.Offer}).CallerActions {
				if cn, ok := ef.(Connect); ok {
					c.calls[cn.Agent] = cn.Caller
				}
			}
		}
	}
}

// BenchmarkRouteDecision times the Apply that frees an agent (wrap-up done)
// and so routes the next waiting caller to it: route-p50-ns, route-p99-ns and
// route-allocs are that Apply's alone. Around it, outside those figures but
// inside ns/op, an older call ends, the new ring is answered and a caller
// joins, which keeps the load steady.
func BenchmarkRouteDecision(b *testing.B) {
	c := MustLoadedCentre(b, time.Hour)
	lat := make([]time.Duration, 0, b.N)
	var (
		ms      runtime.MemStats
		mallocs uint64
		samples int
	)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		a := c.agents[i%benchAgents]
		caller := c.calls[a]
		c.mustApply(b, CallEnded{Caller: caller, By: PartyCaller})
		delete(c.calls, a)
		c.now = c.now.Add(time.Millisecond)
		sample := i%64 == 0 // ReadMemStats stops the world: sample, and outside the timing
		if sample {
			runtime.ReadMemStats(&ms)
			mallocs -= ms.Mallocs
		}
		start := time.Now()
		effs, err := c.e.Apply(c.now, AgentWrapUpDone{Agent: a})
		lat = append(lat, time.Since(start))
		if sample {
			runtime.ReadMemStats(&ms)
			mallocs += ms.Mallocs
			samples++
		}
		if err != nil {
			b.Fatalf("wrap-up done: %v", err)
		}
		if !slices.ContainsFunc(effs.AgentActions, func(ef Action) bool { _, ok := ef.(RingAgent); return ok }) {
			b.Fatalf("agent %s freed with callers waiting: no RingAgent in %v", a, effs)
		}
		c.answerAll(b, effs)
		c.join(b)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "route-p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "route-p99-ns")
	b.ReportMetric(float64(mallocs)/float64(samples), "route-allocs")
}

// BenchmarkCallCycle runs whole calls through the loaded centre: a caller
// joins, an agent's call ends, its wrap-up ends on a Tick, the agent is rung
// for the next caller and answers. It reports commands applied per second.
func BenchmarkCallCycle(b *testing.B) {
	c := MustLoadedCentre(b, time.Second)
	cmds := 0
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		c.join(b)
		a := c.agents[i%benchAgents]
		c.mustApply(b, CallEnded{Caller: c.calls[a], By: PartyAgent})
		delete(c.calls, a)
		cmds += 2
		for {
			dl, ok := c.e.NextDeadline()
			if !ok || dl.After(c.now.Add(time.Second)) {
				break
			}
			if dl.After(c.now) {
				c.now = dl
			}
			effs, err := c.e.Apply(c.now, Tick{})
			if err != nil {
				b.Fatalf("tick: %v", err)
			}
			cmds++
			for _, ef := range effs.AgentActions {
				if r, ok := ef.(RingAgent); ok {
					cmds++
					for _, ef := range c.mustApply(b, OfferAnswered{Offer: r.Offer}).CallerActions {
						if cn, ok := ef.(Connect); ok {
							c.calls[cn.Agent] = cn.Caller
						}
					}
				}
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(cmds)/elapsed.Seconds(), "cmds/s")
	b.ReportMetric(float64(cmds)/float64(b.N), "cmds/op")
}
