package queue

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// harness drives an Engine on a fake clock, as the app loop does: advance
// fires every deadline on the way, at its own time.
type harness struct {
	tb  testing.TB
	e   *Engine
	now time.Time
	log []Effect // every effect since the start
}

// MustHarness returns an engine configured with queues and agents (static
// agents are logged in by their configuration; others by login).
func MustHarness(tb testing.TB, queues []QueueConfig, agents []AgentConfig) *harness {
	tb.Helper()
	h := &harness{tb: tb, e: NewEngine(Options{Rand: rand.New(rand.NewPCG(7, 7)), Location: time.UTC, OfferPrefix: "t-"}), now: t0}
	for _, q := range queues {
		h.do(ConfigureQueue{Config: q})
	}
	for _, a := range agents {
		h.do(ConfigureAgent{Config: a})
	}
	return h
}

func (h *harness) do(in Input) []Effect {
	h.tb.Helper()
	ready, err := h.e.Apply(h.now, in)
	if err != nil {
		h.tb.Fatalf("Apply(%T %+v): %v", in, in, err)
	}
	effs := ready.Effects()
	h.log = append(h.log, effs...)
	return effs
}

func (h *harness) doErr(in Input) error {
	h.tb.Helper()
	ready, err := h.e.Apply(h.now, in)
	if err != nil && !ready.Empty() {
		h.tb.Fatalf("Apply(%T) returned effects with an error: %v", in, ready)
	}
	effs := ready.Effects()
	h.log = append(h.log, effs...)
	return err
}

// advance moves the clock by d, ticking at every deadline on the way.
func (h *harness) advance(d time.Duration) []Effect {
	h.tb.Helper()
	end := h.now.Add(d)
	var all []Effect
	for {
		dl, ok := h.e.NextDeadline()
		if !ok || dl.After(end) {
			break
		}
		if dl.After(h.now) {
			h.now = dl
		}
		all = append(all, h.do(Tick{})...)
	}
	h.now = end
	return all
}

func (h *harness) join(id string, queue string) []Effect {
	h.tb.Helper()
	return h.do(CallerJoin{Caller: CallerID(id), Queue: queue, JoinedAt: h.now, Number: "555" + id})
}

func (h *harness) joinPrio(id string, queue string, prio int) []Effect {
	h.tb.Helper()
	return h.do(CallerJoin{Caller: CallerID(id), Queue: queue, Priority: prio, JoinedAt: h.now})
}

// offerOf returns the live offer ringing agent.
func (h *harness) offerOf(agent string) OfferID {
	h.tb.Helper()
	v, ok := h.e.Agent(AgentID(agent))
	if !ok || v.State != AgentRinging {
		h.tb.Fatalf("agent %s: got state=%v, want ringing", agent, v.State)
	}
	return v.Offer
}

func (h *harness) answer(agent string) []Effect {
	h.tb.Helper()
	return h.do(OfferAnswered{Offer: h.offerOf(agent)})
}

func (h *harness) fail(agent string, why RingFailure) []Effect {
	h.tb.Helper()
	return h.do(OfferFailed{Offer: h.offerOf(agent), Reason: why})
}

func (h *harness) state(agent string) AgentState {
	h.tb.Helper()
	v, ok := h.e.Agent(AgentID(agent))
	if !ok {
		h.tb.Fatalf("agent %s unknown", agent)
	}
	return v.State
}

func (h *harness) wantState(agent string, want AgentState) {
	h.tb.Helper()
	if got := h.state(agent); got != want {
		h.tb.Fatalf("agent %s: got state=%v, want %v", agent, got, want)
	}
}

func (h *harness) order(queue string) []CallerID {
	h.tb.Helper()
	v, ok := h.e.Queue(queue)
	if !ok {
		h.tb.Fatalf("queue %s unknown", queue)
	}
	ids := make([]CallerID, len(v.Callers))
	for i, c := range v.Callers {
		ids[i] = c.ID
		if c.Position != i+1 {
			h.tb.Fatalf("queue %s: caller %s at index %d has position %d", queue, c.ID, i, c.Position)
		}
	}
	return ids
}

func (h *harness) wantOrder(queue string, want ...string) {
	h.tb.Helper()
	got := h.order(queue)
	w := make([]CallerID, len(want))
	for i, s := range want {
		w[i] = CallerID(s)
	}
	if !slices.Equal(got, w) {
		h.tb.Fatalf("queue %s: got order=%v, want %v", queue, got, w)
	}
}

// ofType returns the effects of type T, in order.
func ofType[T Effect](effs []Effect) []T {
	var out []T
	for _, e := range effs {
		if t, ok := e.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// rung lists "caller>agent" for each RingAgent in effs.
func rung(effs []Effect) []string {
	var out []string
	for _, r := range ofType[RingAgent](effs) {
		out = append(out, string(r.Caller)+">"+string(r.Agent))
	}
	return out
}

func wantRung(tb testing.TB, effs []Effect, want ...string) {
	tb.Helper()
	got := rung(effs)
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		tb.Fatalf("got rings=%v, want %v\neffects: %s", got, want, kinds(effs))
	}
}

// kinds names each effect, with the state for AgentStateChanged.
func kinds(effs []Effect) string {
	var b strings.Builder
	for i, e := range effs {
		if i > 0 {
			b.WriteString(" ")
		}
		name := reflect.TypeOf(e).Name()
		switch e := e.(type) {
		case AgentStateChanged:
			name += "(" + string(e.State) + ")"
		case OfferEnded:
			name += "(" + e.Result + ")"
		case CallerLeft:
			name += "(" + string(e.Reason) + ")"
		case CancelRing:
			name += fmt.Sprintf("(elsewhere=%v)", e.Elsewhere)
		case Exit:
			name += "(" + string(e.Status) + ")"
		}
		b.WriteString(name)
	}
	return b.String()
}

func wantKinds(tb testing.TB, effs []Effect, want string) {
	tb.Helper()
	if got := kinds(effs); got != want {
		tb.Fatalf("got effects=\n  %s\nwant\n  %s", got, want)
	}
}

func wantErrIs(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("got err=%v, want %v", err, target)
	}
}

// queueCfg is a queue with app_queue defaults, a strategy and changes.
func queueCfg(name string, s Strategy, mods ...func(*QueueConfig)) QueueConfig {
	c := DefaultQueueConfig(name)
	c.Strategy = s
	c.AnnouncePosition = "no"
	// A phone in use elsewhere is not rung, as most sites set it
	// (app_queue's default is ringinuse=yes); TestRingInUse covers both.
	c.RingInUse = false
	for _, m := range mods {
		m(&c)
	}
	return c
}

// staticAgents returns static agents a1..an, members of queue at penalty 0.
func staticAgents(queue string, n int) []AgentConfig {
	var out []AgentConfig
	for i := 1; i <= n; i++ {
		out = append(out, AgentConfig{ID: fmt.Sprintf("a%d", i), Device: fmt.Sprintf("PJSIP/10%02d", i),
			Queues: []Membership{{Queue: queue}}, Static: true})
	}
	return out
}

func agentIn(id string, static bool, ms ...Membership) AgentConfig {
	return AgentConfig{ID: id, Device: "PJSIP/" + id, Queues: ms, Static: static}
}
