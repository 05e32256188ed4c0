package queue

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// The invariant invHarness drives the engine with a script of operations
// decoded from bytes, plays the call flow's part faithfully (it answers or
// fails only offers whose agent leg is live, ends only connected calls) and
// checks after every step:
//
//   - the waiting callers the events describe are the engine's, each in one
//     queue only, never also connected;
//   - an agent has at most one outstanding offer, and is ringing exactly when
//     it has one (and its view names that offer);
//   - every caller that joined leaves exactly once, with a reason, and is gone
//     from every queue once it has;
//   - each queue's positions are 1..n in order;
//   - strict order (see checkStrictOrder);
//   - statistics add up: per queue offered = answered + abandoned + timed out
//     + exited + still waiting;
//   - NextDeadline is after now once Apply(Tick) has run;
//   - a refused command returns no effects, a sentinel or validation error,
//     and leaves the snapshot unchanged;
//   - effects agree with events: RingAgent with OfferStarted, Connect with
//     CallConnected, an unanswered offer the engine ends has its leg canceled.

var invBase = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)

const (
	invAgents     = 6
	invMaxCallers = 40 // live callers at once, so scripts stay cheap
)

var invQueueNames = []string{"sales", "support", "billing"}

// invQueueKey names one queue interval.
type invQueueKey struct {
	queue string
	start int64
}

// invLeg is one agent leg as the call flow knows it.
type invLeg struct {
	caller CallerID
	agent  AgentID
	queue  string
}

type invHarness struct {
	tb   testing.TB
	seed int64
	e    *Engine
	rec  *Recorder
	now  time.Time
	step int
	hist []invStep // recent steps, for failure messages

	snap   Snapshot // the engine's state after the last Apply, taken at snapAt
	snapAt time.Time

	cfg        map[string]QueueConfig // queues as configured, by name
	agentCfg   map[AgentID]AgentConfig
	agentIDs   []AgentID
	nextCaller int

	// From events: the engine's own account.
	waiting   map[CallerID]string // caller -> queue
	joined    map[CallerID]bool
	leftCount map[CallerID]int
	offers    map[OfferID]invLeg // outstanding (OfferStarted, not OfferEnded)
	connected map[CallerID]AgentID
	lastFail  map[CallerID]time.Time // last unanswered end of an offer to the caller
	offerIDs  map[OfferID]bool       // every offer id ever started

	// From effects: what the call flow would have in Asterisk.
	legs     map[OfferID]invLeg // agent legs ringing
	deadLegs []OfferID          // legs hung up while ringing, for answer/hangup races
	calls    map[CallerID]OfferID
	gone     map[CallerID]bool // caller channel hung up or sent back to the dialplan
	// playing: callers with an Announce not yet reported over, since when.
	playing map[CallerID]time.Time

	// Statistics: latest value of every interval drained, and their sums.
	intervals map[invQueueKey]QueueInterval
	totals    map[string]QueueInterval

	startedThisStep map[OfferID]bool
	counts          map[string]int // effect kinds and refusals seen, to prove a script did something
	lastWhat        string         // the op of a must-succeed input, for messages
}

func newInvHarness(tb testing.TB, seed int64) *invHarness {
	tb.Helper()
	h := &invHarness{
		tb:        tb,
		seed:      seed,
		e:         NewEngine(Options{Rand: rand.New(rand.NewPCG(uint64(seed), 7)), Location: time.UTC, OfferPrefix: "o-"}),
		rec:       NewRecorder(time.UTC),
		now:       invBase,
		cfg:       make(map[string]QueueConfig),
		agentCfg:  make(map[AgentID]AgentConfig),
		waiting:   make(map[CallerID]string),
		joined:    make(map[CallerID]bool),
		leftCount: make(map[CallerID]int),
		offers:    make(map[OfferID]invLeg),
		connected: make(map[CallerID]AgentID),
		lastFail:  make(map[CallerID]time.Time),
		offerIDs:  make(map[OfferID]bool),
		legs:      make(map[OfferID]invLeg),
		calls:     make(map[CallerID]OfferID),
		gone:      make(map[CallerID]bool),
		playing:   make(map[CallerID]time.Time),
		intervals: make(map[invQueueKey]QueueInterval),
		totals:    make(map[string]QueueInterval),
		counts:    make(map[string]int),
	}
	r := rand.New(rand.NewPCG(uint64(seed), 11))
	strategies := slices.DeleteFunc(slices.Clone(Strategies), func(s Strategy) bool { return s == SkillsBased })
	for i, name := range invQueueNames {
		c := invQueueConfig(i, name)
		c.Strategy = strategies[r.IntN(len(strategies))]
		h.mustApply(ConfigureQueue{Config: c}, "setup")
	}
	for i := range invAgents {
		id := AgentID(fmt.Sprintf("a%d", i))
		c := AgentConfig{ID: string(id), Name: "Agent " + string(id), Device: fmt.Sprintf("PJSIP/10%02d", i), Static: i == invAgents-1}
		for j, q := range invQueueNames {
			if (i+j)%3 != 2 || i == 0 {
				c.Queues = append(c.Queues, Membership{Queue: q, Penalty: (i + j) % 2})
			}
		}
		h.agentIDs = append(h.agentIDs, id)
		h.mustApply(ConfigureAgent{Config: c}, "setup")
	}
	return h
}

// invQueueConfig gives each test queue a different mix of rules.
func invQueueConfig(i int, name string) QueueConfig {
	c := DefaultQueueConfig(name)
	switch i {
	case 0:
		c.Timeout, c.Retry, c.WrapUpTime = 15*time.Second, 5*time.Second, 10*time.Second
		c.ServiceLevel = 20 * time.Second
		c.AnnounceFrequency = 30 * time.Second
		c.Weight = 2
	case 1:
		c.Timeout, c.Retry, c.WrapUpTime = 10*time.Second, 2*time.Second, 0
		c.MaxWait = 2 * time.Minute
		c.ExitKeys = "12"
		c.AllowPick = true
		c.ContinueOnAgentHangup = true
		c.PeriodicAnnounce = []string{"sound:queue-periodic-announce"}
		c.PeriodicAnnounceFrequency = 45 * time.Second
	case 2:
		c.Timeout, c.Retry, c.WrapUpTime = 20*time.Second, 3*time.Second, 5*time.Second
		c.MaxLen = 5
		c.AutoPause = AutoPauseYes
		c.AutoPauseNoAnswer = 2
		c.JoinEmpty = []EmptyCondition{EmptyUnavailable}
		c.LeaveWhenEmpty = []EmptyCondition{EmptyUnavailable}
		c.ExitKeys = "9"
	}
	return c
}

// opReader hands out script bytes; past the end it reads zeros.
type opReader struct {
	b []byte
	i int
}

func (r *opReader) done() bool { return r.i >= len(r.b) }

func (r *opReader) next() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

// pick returns an index below n (n > 0) chosen by the next byte.
func (r *opReader) pick(n int) int { return int(r.next()) % n }

// runScript plays ops against a fresh engine, checking every invariant after
// each step, then ends every call and caller and checks the totals.
// It returns how many of each effect (by type, and CallerLeft by reason) and
// of refusals the script produced.
func runScript(tb testing.TB, seed int64, ops []byte) map[string]int {
	tb.Helper()
	h := newInvHarness(tb, seed)
	r := &opReader{b: ops}
	for !r.done() {
		h.step++
		h.doOp(r)
	}
	h.finish()
	return h.counts
}

// opWeights maps an op byte to an operation; common call-flow steps appear
// more often so that scripts build up queues and calls.
var opWeights = []string{
	"join", "join", "join", "join", "join",
	"answer", "answer", "answer", "answer",
	"fail", "fail",
	"tick", "tick", "tick", "advance", "advance", "advance",
	"callEnd", "callEnd", "callEnd",
	"hangup", "hangup",
	"pause", "unpause", "login", "logout",
	"reorder", "move", "priority", "dtmf",
	"wrapDone", "remove", "pick", "setQueues", "device", "race", "lost", "reconfigure", "spuriousTick",
	"removeQueue", "removeAgent", "configureAgent",
	"announceDone", "announceDone", "announceDone",
}

func (h *invHarness) doOp(r *opReader) {
	op := opWeights[r.pick(len(opWeights))]
	switch op {
	case "join":
		if len(h.waiting)+len(h.calls) >= invMaxCallers {
			h.tick()
			return
		}
		h.nextCaller++
		id := CallerID(fmt.Sprintf("c%04d", h.nextCaller))
		q := invQueueNames[r.pick(len(invQueueNames))]
		if r.pick(16) == 15 {
			q = "nowhere"
		}
		in := CallerJoin{Caller: id, Queue: q, Priority: r.pick(3), Number: "555" + string(id), Name: "Caller " + string(id), JoinedAt: h.now}
		effs, err := h.apply(in, false)
		if err == nil {
			h.expectJoinAnswer(id, effs)
		}
	case "answer":
		if o, ok := h.pickLeg(r); ok {
			h.answer(o)
		}
	case "fail":
		if o, ok := h.pickLeg(r); ok {
			reasons := []RingFailure{RingNoAnswer, RingBusy, RingUnavailable, RingRejected, RingError}
			h.mustApply(OfferFailed{Offer: o, Reason: reasons[r.pick(len(reasons))]}, op)
		}
	case "tick":
		d := time.Duration(1+r.pick(30)) * time.Second
		if dl, ok := h.e.NextDeadline(); ok {
			h.advanceTo(dl)
		} else {
			h.advanceTo(h.now.Add(d))
		}
	case "advance":
		h.advanceTo(h.now.Add(time.Duration(r.pick(40)) * time.Second / 2))
	case "spuriousTick":
		h.mustApply(Tick{}, op)
	case "announceDone":
		// The flow reports an announcement over at a random later step,
		// sometimes for a caller whose playback was dropped or never started.
		var ids []CallerID
		for c := range h.playing {
			ids = append(ids, c)
		}
		if r.pick(8) == 7 {
			ids = slices.Collect(maps.Keys(h.joined))
		}
		if len(ids) == 0 {
			return
		}
		slices.Sort(ids)
		c := ids[r.pick(len(ids))]
		delete(h.playing, c)
		h.mustApply(AnnouncementDone{Caller: c}, op)
	case "callEnd":
		if c, ok := h.pickCall(r); ok {
			if r.pick(4) == 3 {
				// A transfer: the agent's leg goes, the caller stays up.
				o := h.calls[c]
				effs := h.mustApply(CallTransferred{Caller: c, Exten: "200", Context: "internal"}, op)
				if !slices.ContainsFunc(effs, func(ef Effect) bool { ha, ok := ef.(HangupAgent); return ok && ha.Offer == o }) ||
					slices.ContainsFunc(effs, func(ef Effect) bool { _, ok := ef.(HangupCaller); return ok }) {
					h.failf("transfer of %s: want HangupAgent %s and no HangupCaller: %s", c, o, invEffects(effs))
				}
				return
			}
			by := []Party{PartyCaller, PartyAgent, PartySystem}[r.pick(3)]
			h.mustApply(CallEnded{Caller: c, By: by}, op)
		}
	case "hangup":
		// A waiting caller hangs up; sometimes a connected one, whose
		// StasisEnd the call flow may report before (or instead of) CallEnded.
		if r.pick(4) == 3 {
			if c, ok := h.pickCall(r); ok {
				o := h.calls[c]
				effs := h.mustApply(CallerHangup{Caller: c}, op)
				if !slices.ContainsFunc(effs, func(ef Effect) bool { ha, ok := ef.(HangupAgent); return ok && ha.Offer == o }) {
					h.failf("hangup of connected caller %s: agent invLeg %s not hung up: %s", c, o, invEffects(effs))
				}
			}
			return
		}
		if c, ok := h.pickWaiting(r); ok {
			if effs := h.mustApply(CallerHangup{Caller: c}, op); !h.leftIn(effs, c) {
				h.failf("hangup of waiting caller %s: no CallerLeft in %s", c, invEffects(effs))
			}
		}
	case "lost":
		if c, ok := h.pickWaiting(r); ok {
			h.apply(CallerLost{Caller: c}, false)
		}
	case "pause":
		h.apply(AgentPause{Agent: h.pickAgent(r), Reason: "break"}, false)
	case "unpause":
		h.apply(AgentUnpause{Agent: h.pickAgent(r)}, false)
	case "login":
		h.apply(AgentLogin{Agent: h.pickAgent(r), Paused: r.pick(4) == 3, Reason: "lunch"}, false)
	case "logout":
		h.apply(AgentLogout{Agent: h.pickAgent(r)}, false)
	case "wrapDone":
		h.apply(AgentWrapUpDone{Agent: h.pickAgent(r)}, false)
	case "reorder":
		if c, ok := h.pickWaiting(r); ok {
			h.apply(Reorder{Queue: h.waiting[c], Caller: c, Position: r.pick(8)}, false)
		}
	case "move":
		if c, ok := h.pickWaiting(r); ok {
			h.apply(Move{Caller: c, ToQueue: invQueueNames[r.pick(len(invQueueNames))], KeepWait: r.pick(2) == 0}, false)
		}
	case "priority":
		if c, ok := h.pickWaiting(r); ok {
			h.apply(SetPriority{Caller: c, Priority: r.pick(4)}, false)
		}
	case "dtmf":
		if c, ok := h.pickWaiting(r); ok {
			h.apply(CallerDTMF{Caller: c, Digit: string("0129#"[r.pick(5)])}, false)
		}
	case "remove":
		if c, ok := h.pickWaiting(r); ok {
			reason := []LeaveReason{LeftHungUp, LeftContinued}[r.pick(2)]
			effs, err := h.apply(Remove{Caller: c, Reason: reason}, false)
			if err == nil && !h.leftIn(effs, c) {
				h.failf("Remove of waiting caller %s: no CallerLeft in %s", c, invEffects(effs))
			}
		}
	case "pick":
		if c, ok := h.pickWaiting(r); ok {
			h.apply(Pick{Agent: h.pickAgent(r), Caller: c}, false)
		}
	case "setQueues":
		a := h.pickAgent(r)
		var ms []Membership
		for _, q := range invQueueNames {
			if r.pick(3) != 0 {
				ms = append(ms, Membership{Queue: q, Penalty: r.pick(2)})
			}
		}
		h.apply(SetAgentQueues{Agent: a, Queues: ms}, false)
	case "device":
		states := []DeviceState{DeviceNotInUse, DeviceNotInUse, DeviceInUse, DeviceUnavailable, DeviceRinging}
		h.apply(AgentDeviceState{Agent: h.pickAgent(r), State: states[r.pick(len(states))]}, false)
	case "race":
		// The agent answered or hung up just as we hung its invLeg up.
		if len(h.deadLegs) == 0 {
			return
		}
		o := h.deadLegs[r.pick(len(h.deadLegs))]
		var in Input = OfferFailed{Offer: o, Reason: RingNoAnswer}
		if r.pick(2) == 0 {
			in = OfferAnswered{Offer: o}
		}
		effs, err := h.apply(in, false)
		if err == nil {
			for _, ef := range effs {
				if c, ok := ef.(Connect); ok && c.Offer == o {
					h.failf("%T for a canceled invLeg %s connected it: %s", in, o, invEffects(effs))
				}
			}
		}
	case "reconfigure":
		i := r.pick(len(invQueueNames))
		c := h.cfg[invQueueNames[i]]
		if c.Name == "" {
			c = invQueueConfig(i, invQueueNames[i])
		}
		switch r.pick(4) {
		case 0:
			c.Strategy = Strategies[r.pick(len(Strategies)-1)] // not skills, last
		case 1:
			c.Timeout = time.Duration(5+r.pick(20)) * time.Second
		case 2:
			c.ServiceLevel = time.Duration(r.pick(60)) * time.Second
		case 3:
			c.WrapUpTime = time.Duration(r.pick(15)) * time.Second
		}
		h.mustApply(ConfigureQueue{Config: c}, op)
	case "removeQueue":
		// Rare: the op byte must also pick it twice in a row.
		if r.pick(4) != 3 {
			return
		}
		q := invQueueNames[r.pick(len(invQueueNames))]
		effs, err := h.apply(RemoveQueue{Queue: q}, false)
		if err == nil {
			for _, ef := range effs {
				if l, ok := ef.(CallerLeft); ok && !slices.ContainsFunc(effs, func(ef Effect) bool { x, ok := ef.(Exit); return ok && x.Caller == l.Caller }) {
					h.failf("queue %s removed: caller %s left without an Exit: %s", q, l.Caller, invEffects(effs))
				}
			}
		}
	case "removeAgent":
		if r.pick(4) != 3 {
			return
		}
		h.apply(RemoveAgent{Agent: h.pickAgent(r)}, false)
	case "configureAgent":
		id := h.pickAgent(r)
		c, ok := h.agentCfg[id]
		if !ok {
			c = AgentConfig{ID: string(id), Name: "Agent " + string(id), Device: "PJSIP/" + string(id)}
		}
		c.Queues = nil
		for _, q := range invQueueNames {
			if r.pick(2) == 0 {
				c.Queues = append(c.Queues, Membership{Queue: q, Penalty: r.pick(2)})
			}
		}
		h.apply(ConfigureAgent{Config: c}, false)
	default:
		h.failf("unknown op %q", op)
	}
}

// expectJoinAnswer checks a CallerJoin was either accepted or refused.
func (h *invHarness) expectJoinAnswer(id CallerID, effs []Effect) {
	var accepted, refused bool
	for _, ef := range effs {
		switch ef := ef.(type) {
		case Accept:
			accepted = accepted || ef.Caller == id
		case Refuse:
			refused = refused || ef.Caller == id
		}
	}
	if accepted == refused {
		h.failf("join of %s: accepted=%v refused=%v, want exactly one: %s", id, accepted, refused, invEffects(effs))
	}
}

func (h *invHarness) answer(o OfferID) {
	l := h.legs[o]
	effs := h.mustApply(OfferAnswered{Offer: o}, "answer")
	for _, ef := range effs {
		if c, ok := ef.(Connect); ok && c.Offer == o {
			if c.Caller != l.caller || c.Agent != l.agent {
				h.failf("Connect %+v for offer of %s to %s", c, l.caller, l.agent)
			}
			return
		}
	}
	h.failf("answer of live invLeg %s (%s to %s): no Connect in %s", o, l.caller, l.agent, invEffects(effs))
}

// advanceTo moves the clock to t as the application loop would: waking at
// every deadline on the way.
func (h *invHarness) advanceTo(t time.Time) {
	for range 10000 {
		dl, ok := h.e.NextDeadline()
		if !ok || dl.After(t) {
			break
		}
		if dl.After(h.now) {
			h.now = dl
		}
		h.mustApply(Tick{}, "tick")
	}
	if dl, ok := h.e.NextDeadline(); ok && !dl.After(t) {
		h.failf("deadline %v still due after 10000 ticks", dl)
	}
	if t.After(h.now) {
		h.now = t
	}
}

func (h *invHarness) tick() { h.advanceTo(h.now) }

func invSortedKeys[K ~string, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (h *invHarness) pickLeg(r *opReader) (OfferID, bool) {
	ks := invSortedKeys(h.legs)
	if len(ks) == 0 {
		return "", false
	}
	return ks[r.pick(len(ks))], true
}

func (h *invHarness) pickCall(r *opReader) (CallerID, bool) {
	ks := invSortedKeys(h.calls)
	if len(ks) == 0 {
		return "", false
	}
	return ks[r.pick(len(ks))], true
}

func (h *invHarness) pickWaiting(r *opReader) (CallerID, bool) {
	ks := invSortedKeys(h.waiting)
	if len(ks) == 0 {
		return "", false
	}
	return ks[r.pick(len(ks))], true
}

func (h *invHarness) pickAgent(r *opReader) AgentID { return h.agentIDs[r.pick(len(h.agentIDs))] }

func (h *invHarness) leftIn(effs []Effect, c CallerID) bool {
	for _, ef := range effs {
		if l, ok := ef.(CallerLeft); ok && l.Caller == c {
			return true
		}
	}
	return false
}

func (h *invHarness) mustApply(in Input, what string) []Effect {
	h.tb.Helper()
	h.lastWhat = what
	effs, _ := h.apply(in, true)
	return effs
}

// apply runs one input and checks everything. mustSucceed is for inputs the
// call flow only sends when they are valid.
func (h *invHarness) apply(in Input, mustSucceed bool) ([]Effect, error) {
	h.tb.Helper()
	// The snapshot from the last step is this state's unless the clock moved
	// (live figures depend on now).
	if !h.snapAt.Equal(h.now) {
		h.snap, h.snapAt = h.e.Snapshot(h.now), h.now
	}
	before := h.snap
	ready, err := h.e.Apply(h.now, in)
	effs := ready.Effects()
	h.record(in, err, effs)
	if err != nil {
		h.counts["refused"]++
		if mustSucceed {
			h.failf("%s: %T%+v refused: %v", h.lastWhat, in, in, err)
		}
		var ve *ValidationError
		known := errors.As(err, &ve)
		for _, s := range []error{ErrUnknownQueue, ErrUnknownCaller, ErrUnknownAgent, ErrUnknownOffer, ErrNotAllowed, ErrInvalid, ErrDuplicate} {
			known = known || errors.Is(err, s)
		}
		if !known {
			h.failf("%T refused with %v, want a sentinel or *ValidationError", in, err)
		}
		if effs != nil {
			h.failf("%T refused with %v and effects %s, want none", in, err, invEffects(effs))
		}
		if after := h.e.Snapshot(h.now); !reflect.DeepEqual(before, after) {
			h.failf("%T refused with %v but the state changed:\nbefore %+v\nafter  %+v", in, err, before, after)
		}
		return nil, err
	}
	h.observe(in, effs)
	if _, ok := in.(Tick); ok {
		if dl, ok := h.e.NextDeadline(); ok && !dl.After(h.now) {
			h.failf("NextDeadline %v not after now %v after Tick", dl, h.now)
		}
	}
	h.checkInvariants(in, effs)
	return effs, nil
}

// invStep is one Apply, kept to be printed if a later check fails.
type invStep struct {
	step int
	now  time.Time
	in   Input
	err  error
	effs []Effect
}

func (h *invHarness) record(in Input, err error, effs []Effect) {
	const keep = 25
	if len(h.hist) == keep {
		copy(h.hist, h.hist[1:])
		h.hist = h.hist[:keep-1]
	}
	h.hist = append(h.hist, invStep{step: h.step, now: h.now, in: in, err: err, effs: effs})
}

func (h *invHarness) failf(format string, args ...any) {
	h.tb.Helper()
	var b strings.Builder
	for _, s := range h.hist {
		fmt.Fprintf(&b, "step %d: %s %T%+v -> err=%v %s\n", s.step, s.now.Format("15:04:05.000"), s.in, s.in, s.err, invEffects(s.effs))
	}
	h.tb.Fatalf("seed %d step %d: %s\nrecent steps:\n%s", h.seed, h.step, fmt.Sprintf(format, args...), b.String())
}

func invEffects(effs []Effect) string {
	var b strings.Builder
	b.WriteString("[")
	for i, ef := range effs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%T%+v", ef, ef)
	}
	b.WriteString("]")
	return strings.ReplaceAll(b.String(), "queue.", "")
}

// observe updates both accounts from one Apply's effects and checks that
// effects and events agree.
func (h *invHarness) observe(in Input, effs []Effect) {
	h.tb.Helper()
	started := map[OfferID]bool{}
	rung := map[OfferID]bool{}
	canceled := map[OfferID]bool{}
	connectedEv := map[OfferID]bool{}
	connects := map[OfferID]bool{}
	var failedByInput, declined OfferID
	if f, ok := in.(OfferFailed); ok {
		failedByInput = f.Offer
		if _, live := h.legs[f.Offer]; live && f.Reason == RingRejected {
			// A decline in the console: the phone rings on until the
			// engine cancels the leg.
			declined = f.Offer
		} else {
			// The agent's leg is gone: that is what the call flow reports.
			delete(h.legs, f.Offer)
		}
	}
	var endedUnanswered []OfferEnded
	for _, ef := range effs {
		h.counts[strings.TrimPrefix(fmt.Sprintf("%T", ef), "queue.")]++
		if l, ok := ef.(CallerLeft); ok {
			h.counts["left:"+string(l.Reason)]++
		}
		if ev, ok := ef.(Event); ok {
			h.rec.Observe(ev)
			if !ev.Time().Equal(h.now) {
				h.failf("%s at %v, want now %v", ev.Kind(), ev.Time(), h.now)
			}
		}
		switch ef := ef.(type) {
		case QueueConfigured:
			h.cfg[ef.Config.Name] = ef.Config
		case QueueRemoved:
			delete(h.cfg, ef.Queue)
		case AgentConfigured:
			h.agentCfg[AgentID(ef.Config.ID)] = ef.Config
		case AgentRemoved:
			delete(h.agentCfg, ef.Agent)
			for c, a := range h.connected {
				if a == ef.Agent {
					h.failf("agent %s removed while connected to %s", a, c)
				}
			}
		case CallerJoined:
			if ef.Resumed {
				h.failf("CallerJoined %s Resumed, never asked", ef.Caller)
			}
			if h.joined[ef.Caller] {
				h.failf("caller %s joined twice", ef.Caller)
			}
			h.joined[ef.Caller] = true
			h.waiting[ef.Caller] = ef.Queue
		case CallerLeft:
			h.leftCount[ef.Caller]++
			if n := h.leftCount[ef.Caller]; n > 1 {
				h.failf("caller %s left %d times", ef.Caller, n)
			}
			if q, ok := h.waiting[ef.Caller]; !ok || q != ef.Queue {
				h.failf("caller %s left %s, was waiting in %q (%v)", ef.Caller, ef.Queue, q, ok)
			}
			if ef.Reason == "" {
				h.failf("caller %s left without a reason", ef.Caller)
			}
			if ef.Reason == LeftAnswered && ef.Agent == "" {
				h.failf("caller %s answered by no agent", ef.Caller)
			}
			delete(h.waiting, ef.Caller)
		case CallerMoved:
			if q, ok := h.waiting[ef.Caller]; !ok || q != ef.From {
				h.failf("caller %s moved from %s, was waiting in %q (%v)", ef.Caller, ef.From, q, ok)
			}
			h.waiting[ef.Caller] = ef.To
		case OfferStarted:
			if h.offerIDs[ef.Offer] {
				h.failf("offer id %s reused", ef.Offer)
			}
			if !strings.HasPrefix(string(ef.Offer), "o-") {
				h.failf("offer id %s lacks the prefix o-", ef.Offer)
			}
			h.offerIDs[ef.Offer] = true
			if _, ok := h.waiting[ef.Caller]; !ok {
				h.failf("offer %s for caller %s who is not waiting", ef.Offer, ef.Caller)
			}
			for o, l := range h.offers {
				if l.agent == ef.Agent {
					h.failf("agent %s offered %s while offer %s is outstanding", ef.Agent, ef.Offer, o)
				}
			}
			h.offers[ef.Offer] = invLeg{caller: ef.Caller, agent: ef.Agent, queue: ef.Queue}
			started[ef.Offer] = true
		case OfferEnded:
			l, ok := h.offers[ef.Offer]
			if !ok {
				h.failf("offer %s ended but was not outstanding", ef.Offer)
			}
			if l.caller != ef.Caller || l.agent != ef.Agent {
				h.failf("offer %s ended for %s/%s, started for %s/%s", ef.Offer, ef.Caller, ef.Agent, l.caller, l.agent)
			}
			delete(h.offers, ef.Offer)
			if ef.Result != "answered" {
				if ef.Result != "canceled" {
					h.lastFail[ef.Caller] = h.now
				}
				if ef.Offer != failedByInput {
					endedUnanswered = append(endedUnanswered, ef)
				}
			}
		case CallConnected:
			if a, ok := h.connected[ef.Caller]; ok {
				h.failf("caller %s connected to %s while connected to %s", ef.Caller, ef.Agent, a)
			}
			for c, a := range h.connected {
				if a == ef.Agent {
					h.failf("agent %s connected to %s while connected to %s", ef.Agent, ef.Caller, c)
				}
			}
			h.connected[ef.Caller] = ef.Agent
			connectedEv[ef.Offer] = true
		case CallCompleted:
			if a, ok := h.connected[ef.Caller]; !ok || a != ef.Agent {
				h.failf("call of %s with %s completed, connected to %q (%v)", ef.Caller, ef.Agent, a, ok)
			}
			delete(h.connected, ef.Caller)

		case RingAgent:
			if _, ok := h.legs[ef.Offer]; ok {
				h.failf("RingAgent %s twice", ef.Offer)
			}
			h.legs[ef.Offer] = invLeg{caller: ef.Caller, agent: ef.Agent, queue: ef.Queue}
			rung[ef.Offer] = true
		case CancelRing:
			if _, ok := h.legs[ef.Offer]; !ok {
				h.failf("CancelRing of %s, not a ringing invLeg", ef.Offer)
			}
			delete(h.legs, ef.Offer)
			h.deadLegs = append(h.deadLegs, ef.Offer)
			canceled[ef.Offer] = true
		case Connect:
			l, ok := h.legs[ef.Offer]
			if !ok {
				h.failf("Connect of %s, not a ringing invLeg", ef.Offer)
			}
			if h.gone[ef.Caller] {
				h.failf("Connect of caller %s whose channel is gone", ef.Caller)
			}
			delete(h.legs, ef.Offer)
			h.calls[l.caller] = ef.Offer
			connects[ef.Offer] = true
		case HangupAgent:
			delete(h.legs, ef.Offer)
			for c, o := range h.calls {
				if o == ef.Offer {
					delete(h.calls, c)
				}
			}
		case HangupCaller:
			h.callerGone(ef.Caller)
		case Exit:
			h.callerGone(ef.Caller)
		case Announce:
			if _, ok := h.waiting[ef.Caller]; !ok {
				h.failf("Announce to %s, not waiting", ef.Caller)
			}
			// One at a time: the next only once the last is reported over,
			// or the engine stopped waiting for the report.
			if since, ok := h.playing[ef.Caller]; ok && h.now.Sub(since) < announceDoneFallback {
				h.failf("Announce to %s while the one from %v plays", ef.Caller, since.Sub(invBase))
			}
			h.playing[ef.Caller] = h.now
		}
	}
	h.startedThisStep = started
	for o := range started {
		if !rung[o] {
			h.failf("OfferStarted %s without RingAgent", o)
		}
	}
	for o := range rung {
		if !started[o] {
			h.failf("RingAgent %s without OfferStarted", o)
		}
	}
	for o := range connects {
		if !connectedEv[o] {
			h.failf("Connect %s without CallConnected", o)
		}
	}
	for o := range connectedEv {
		if !connects[o] {
			h.failf("CallConnected %s without Connect", o)
		}
	}
	if declined != "" && !canceled[declined] {
		h.failf("offer %s declined but its ringing invLeg was not canceled: %s", declined, invEffects(effs))
	}
	for _, ev := range endedUnanswered {
		if _, live := h.legs[ev.Offer]; live || (!canceled[ev.Offer] && !slices.Contains(h.deadLegs, ev.Offer)) {
			h.failf("offer %s ended %s but its ringing invLeg was not canceled", ev.Offer, ev.Result)
		}
	}
	switch in := in.(type) {
	case CallEnded:
		if _, ok := h.calls[in.Caller]; ok {
			// The engine must hang up or continue the other side; the
			// channel the call flow reported gone is gone either way.
			h.failf("CallEnded for %s: the call's agent invLeg was not hung up: %s", in.Caller, invEffects(effs))
		}
	case CallerHangup:
		h.callerGone(in.Caller)
	case CallerLost:
		h.callerGone(in.Caller)
	}
	if len(h.deadLegs) > 64 {
		h.deadLegs = slices.Delete(h.deadLegs, 0, len(h.deadLegs)-64)
	}
	qs, _ := h.rec.Drain()
	for _, q := range qs {
		k := invQueueKey{q.Queue, q.Start.UnixNano()}
		old := h.intervals[k]
		h.intervals[k] = q
		t := h.totals[q.Queue]
		t.Offered += q.Offered - old.Offered
		t.Answered += q.Answered - old.Answered
		t.Abandoned += q.Abandoned - old.Abandoned
		t.TimedOut += q.TimedOut - old.TimedOut
		t.Exited += q.Exited - old.Exited
		h.totals[q.Queue] = t
	}
}

// callerGone is the caller's channel leaving: whatever call it was in ends
// from the call flow's point of view too.
func (h *invHarness) callerGone(c CallerID) {
	h.gone[c] = true
	delete(h.calls, c)
}

func (h *invHarness) checkInvariants(in Input, effs []Effect) {
	h.tb.Helper()
	snap := h.e.Snapshot(h.now)
	h.snap, h.snapAt = snap, h.now

	// Callers: one place each, positions 1..n, the same as the events say.
	seen := map[CallerID]string{}
	pos := map[CallerID]int{}
	ringing := map[CallerID][]AgentID{}
	for _, q := range snap.Queues {
		for i, c := range q.Callers {
			if prev, dup := seen[c.ID]; dup {
				h.failf("caller %s in %s and %s", c.ID, prev, q.Config.Name)
			}
			seen[c.ID] = q.Config.Name
			if c.Queue != q.Config.Name {
				h.failf("caller %s listed in %s says queue %s", c.ID, q.Config.Name, c.Queue)
			}
			if c.Position != i+1 {
				h.failf("queue %s position %d holds %s with Position %d", q.Config.Name, i+1, c.ID, c.Position)
			}
			if _, ok := h.connected[c.ID]; ok {
				h.failf("caller %s waiting in %s and connected", c.ID, q.Config.Name)
			}
			if h.leftCount[c.ID] > 0 {
				h.failf("caller %s left but still waits in %s", c.ID, q.Config.Name)
			}
			pos[c.ID] = c.Position
			ringing[c.ID] = c.Ringing
		}
		if q.RealTime.Waiting != len(q.Callers) {
			h.failf("queue %s RealTime.Waiting %d, %d callers", q.Config.Name, q.RealTime.Waiting, len(q.Callers))
		}
	}
	if len(seen) != len(h.waiting) {
		h.failf("engine has %d waiting callers, events say %d: engine %v, events %v", len(seen), len(h.waiting), seen, h.waiting)
	}
	for c, q := range h.waiting {
		if seen[c] != q {
			h.failf("events say %s waits in %s, engine says %q", c, q, seen[c])
		}
	}

	// Agents: ringing exactly when one offer is outstanding.
	perAgent := map[AgentID][]OfferID{}
	for o, l := range h.offers {
		perAgent[l.agent] = append(perAgent[l.agent], o)
		if !slices.Contains(ringing[l.caller], l.agent) {
			h.failf("offer %s outstanding but caller %s's view rings %v", o, l.caller, ringing[l.caller])
		}
	}
	for _, a := range snap.Agents {
		id := AgentID(a.Config.ID)
		os := perAgent[id]
		if len(os) > 1 {
			h.failf("agent %s has offers %v", id, os)
		}
		if (a.State == AgentRinging) != (len(os) == 1) {
			h.failf("agent %s is %s with outstanding offers %v", id, a.State, os)
		}
		if a.State == AgentRinging && a.Offer != os[0] {
			h.failf("agent %s rings offer %s, outstanding %s", id, a.Offer, os[0])
		}
		if a.State == AgentOnCall {
			found := false
			for c, ag := range h.connected {
				found = found || (ag == id && c == a.Caller)
			}
			if !found {
				h.failf("agent %s on call with %s, no such connected call (%v)", id, a.Caller, h.connected)
			}
		}
	}
	for c, a := range h.connected {
		v, ok := h.e.Agent(a)
		if ok && (v.State != AgentOnCall || v.Caller != c) {
			h.failf("agent %s connected to %s but is %s with %s", a, c, v.State, v.Caller)
		}
	}

	h.checkStrictOrder(in, snap, pos)

	// Statistics add up per queue.
	for _, q := range snap.Queues {
		t := h.totals[q.Config.Name]
		if got := t.Answered + t.Abandoned + t.TimedOut + t.Exited + len(q.Callers); got != t.Offered {
			h.failf("queue %s: offered %d != answered %d + abandoned %d + timed out %d + exited %d + waiting %d",
				q.Config.Name, t.Offered, t.Answered, t.Abandoned, t.TimedOut, t.Exited, len(q.Callers))
		}
	}
}

// checkStrictOrder: when the engine starts an offer for caller c in queue Q
// to agent A (other than by Pick), no caller ahead of c in Q may be idle. An
// idle caller has no outstanding offer, had no offer end unanswered within
// Q's Retry (it is not between ring rounds), and has not reached Q's MaxWait
// (it is not about to time out). Callers ahead that are ringing, between
// rounds or timing out may be passed: strict order is about who gets a free
// agent, not about holding agents back. All test callers need no skills and
// the queues have no penalty rules, so every caller of Q could take any
// member of Q.
func (h *invHarness) checkStrictOrder(in Input, snap Snapshot, pos map[CallerID]int) {
	if _, ok := in.(Pick); ok {
		return
	}
	busy := map[CallerID]bool{}
	for _, l := range h.offers {
		busy[l.caller] = true
	}
	for o, l := range h.offers {
		// Only offers new in this step: older ones were checked when made.
		if !h.newOffer(o) {
			continue
		}
		var q QueueView
		for _, qv := range snap.Queues {
			if qv.Config.Name == l.queue {
				q = qv
			}
		}
		retry := q.Config.Retry
		for _, ahead := range q.Callers {
			if ahead.Position >= pos[l.caller] {
				break
			}
			if busy[ahead.ID] {
				continue
			}
			if t, ok := h.lastFail[ahead.ID]; ok && h.now.Sub(t) < retry {
				continue
			}
			if mw := q.Config.MaxWait; mw > 0 && !h.now.Before(ahead.JoinedAt.Add(mw)) {
				continue // about to leave with TIMEOUT on the Tick that is due
			}
			h.failf("strict order: %s (position %d) rung on %s while %s (position %d) waits idle in %s",
				l.caller, pos[l.caller], l.agent, ahead.ID, ahead.Position, l.queue)
		}
	}
}

// newOffer says whether offer o was started by the last Apply.
func (h *invHarness) newOffer(o OfferID) bool { return h.startedThisStep[o] }

// finish ends every call and caller, then checks that every caller that
// joined left exactly once and that the statistics balance with nobody
// waiting.
func (h *invHarness) finish() {
	h.tb.Helper()
	h.step++
	for range 100 {
		if len(h.waiting)+len(h.calls)+len(h.legs) == 0 {
			break
		}
		for _, c := range invSortedKeys(h.waiting) {
			if _, ok := h.waiting[c]; ok {
				h.mustApply(CallerHangup{Caller: c}, "finish")
			}
		}
		for _, c := range invSortedKeys(h.calls) {
			if _, ok := h.calls[c]; ok {
				h.mustApply(CallEnded{Caller: c, By: PartyCaller}, "finish")
			}
		}
		for _, o := range invSortedKeys(h.legs) {
			if _, ok := h.legs[o]; ok {
				h.mustApply(OfferFailed{Offer: o, Reason: RingNoAnswer}, "finish")
			}
		}
	}
	h.advanceTo(h.now.Add(time.Hour))
	for c := range h.joined {
		if n := h.leftCount[c]; n != 1 {
			h.failf("caller %s joined and left %d times", c, n)
		}
	}
	if len(h.waiting) != 0 || len(h.offers) != 0 || len(h.connected) != 0 {
		h.failf("after the end: waiting %v, offers %v, connected %v", h.waiting, h.offers, h.connected)
	}
	names := invSortedKeys(h.totals)
	sort.Strings(names)
	for _, q := range names {
		t := h.totals[q]
		if t.Offered != t.Answered+t.Abandoned+t.TimedOut+t.Exited {
			h.failf("queue %s at the end: offered %d != %d + %d + %d + %d", q, t.Offered, t.Answered, t.Abandoned, t.TimedOut, t.Exited)
		}
	}
}

// randomScript is n op bytes from seed.
func randomScript(seed int64, n int) []byte {
	r := rand.New(rand.NewPCG(uint64(seed), 3))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

func TestEngineInvariantsRandomized(t *testing.T) {
	steps := 10000
	if testing.Short() {
		steps = 1000
	}
	for _, seed := range []int64{1, 2, 3, 4, 5, 42, 1234} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			counts := runScript(t, seed, randomScript(seed, steps*3))
			t.Logf("%v", counts)
			// A script that never reaches these has not tested the flows
			// the invariants are about.
			for _, k := range []string{"Connect", "CancelRing", "HangupAgent", "CallerMoved", "WrapUpEnded", "refused",
				"left:answered", "left:abandoned", "left:timeout", "left:exit", "left:hungup", "left:continued", "left:leaveempty",
				"QueueRemoved", "AgentRemoved"} {
				if counts[k] == 0 {
					t.Errorf("%s never happened in %d steps", k, steps)
				}
			}
		})
	}
}
