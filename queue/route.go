package queue

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// eligible: caller c may ring member m now.
func (e *Engine) eligible(c *callerState, m *member) bool {
	if len(c.blocks) > 0 && c.blocked(m.agent, e.now) {
		return false
	}
	return e.eligibleButRetry(c, m)
}

// waitsOutRetry: c's turn has come in app_queue's sense (is_our_turn): a
// free member it may ring is held from it only by retry after a ring that
// failed.
func (e *Engine) waitsOutRetry(c *callerState) bool {
	if len(c.blocks) == 0 {
		return false
	}
	for _, m := range c.q.avail {
		if c.blocked(m.agent, e.now) && e.eligibleButRetry(c, m) {
			return true
		}
	}
	return false
}

// eligibleButRetry is eligible without the retry that follows a failed ring.
func (e *Engine) eligibleButRetry(c *callerState, m *member) bool {
	if m.availIdx < 0 || m.penalty < c.minPen || m.penalty > c.maxPen {
		return false
	}
	if m.q.cfg.Strategy == SkillsBased {
		for skill, level := range c.skills {
			if m.agent.cfg.Skills[skill] < level {
				return false
			}
		}
	}
	return true
}

// callerReady routes a caller that may have become able to ring someone. The
// queue is walked from the front up to c so that no caller ahead that could
// take the same agent is overtaken.
func (e *Engine) callerReady(c *callerState) {
	if c.gone || c.connected {
		return
	}
	q := c.q
	for _, x := range q.order {
		if len(q.avail) == 0 {
			return
		}
		if x.idle() {
			e.tryOffer(x)
		}
		if x == c {
			return
		}
	}
}

// agentFreed offers a newly routable agent to the best caller among all its
// queues that could take it: higher queue weight first, then caller priority,
// then longest wait; each queue's candidate is its first such caller in order.
func (e *Engine) agentFreed(a *agentState) {
	for a.activity == actIdle && !a.removed {
		var best *callerState
		for _, m := range a.members {
			if m.availIdx < 0 {
				continue
			}
			c := e.firstTaker(m)
			if c != nil && (best == nil || betterCaller(c, best)) {
				best = c
			}
		}
		if best == nil {
			return
		}
		// The strategy may give best another free agent; callers ahead of it
		// (idle but unable to take a) get their pick of those first.
		before := e.offerSeq
		e.callerReady(best)
		if e.offerSeq == before {
			return
		}
	}
}

func (e *Engine) firstTaker(m *member) *callerState {
	for _, c := range m.q.order {
		if c.idle() && e.eligible(c, m) && !e.pastMaxWait(c) {
			return c
		}
	}
	return nil
}

func betterCaller(a, b *callerState) bool {
	if a.q.cfg.Weight != b.q.cfg.Weight {
		return a.q.cfg.Weight > b.q.cfg.Weight
	}
	if a.priority != b.priority {
		return a.priority > b.priority
	}
	if !a.orderAt.Equal(b.orderAt) {
		return a.orderAt.Before(b.orderAt)
	}
	return a.key.seq < b.key.seq
}

func (e *Engine) pastMaxWait(c *callerState) bool {
	return !c.maxWaitAt.IsZero() && !e.now.Before(c.maxWaitAt)
}

// tryOffer rings the agent(s) the queue's strategy picks for an idle caller,
// among the routable members it may ring in the lowest penalty tier (wrandom
// weighs penalties instead of tiering them, as app_queue does). It reports
// whether anyone was rung.
func (e *Engine) tryOffer(c *callerState) bool {
	q := c.q
	if !c.idle() || len(q.avail) == 0 || e.pastMaxWait(c) {
		return false
	}
	cands := e.scratch[:0]
	best := -1
	// app_queue's calc_metric drops the penalty from the metric of a queue
	// with penaltymemberslimit members or fewer: one tier for all.
	tiers := q.cfg.Strategy != WRandom && !(q.cfg.PenaltyMembersLimit > 0 && len(q.members) <= q.cfg.PenaltyMembersLimit)
	for _, m := range q.avail {
		if !e.eligible(c, m) {
			continue
		}
		if tiers {
			if best >= 0 && m.penalty > best {
				continue
			}
			if best < 0 || m.penalty < best {
				best = m.penalty
				cands = cands[:0]
			}
		}
		cands = append(cands, m)
	}
	e.scratch = cands[:0]
	if len(cands) == 0 {
		return false
	}
	if mode, _, _ := c.callbackTerms(); c.virtual() && mode == CallbackCustomerFirst {
		// Someone could take it: dial the customer, and let the agent go on
		// to the next caller meanwhile (a customer who does not answer costs
		// no agent's time).
		clear(cands)
		e.dialCallback(c, nil)
		e.offerSeq++
		return false
	}
	// q.avail is in no useful order; member order breaks every tie, as
	// app_queue's find_best takes the first best metric in member order.
	slices.SortFunc(cands, func(x, y *member) int { return x.pos - y.pos })
	if q.cfg.Strategy == RingAll {
		for _, m := range cands {
			e.ring(c, m)
		}
		clear(cands)
		return true
	}
	m := e.pick1(c, cands)
	clear(cands)
	e.ring(c, m)
	return true
}

// pick1 is calc_metric + find_best for the single-ring strategies.
func (e *Engine) pick1(c *callerState, cands []*member) *member {
	q := c.q
	switch q.cfg.Strategy {
	case Linear:
		return rotation(cands, c.linPos, func(m *member) int { return m.pos })
	case RROrdered:
		return rotation(cands, q.rrNext, func(m *member) int { return m.pos })
	case RRMemory:
		return rotation(cands, q.rrNext, func(m *member) int { return int(m.loginSeq) })
	case LeastRecent:
		return minBy(cands, func(x, y *member) bool { return x.agent.lastCallEnd.Before(y.agent.lastCallEnd) })
	case FewestCalls:
		return minBy(cands, func(x, y *member) bool { return x.agent.calls < y.agent.calls })
	case Random:
		return cands[e.rng.IntN(len(cands))]
	case WRandom:
		var pick *member
		bestMetric := 0
		for _, m := range cands {
			metric := e.rng.IntN((1 + m.penalty) * 1000)
			if pick == nil || metric < bestMetric {
				pick, bestMetric = m, metric
			}
		}
		return pick
	case LongestIdle:
		return minBy(cands, func(x, y *member) bool { return x.agent.readySince.Before(y.agent.readySince) })
	case SkillsBased:
		return minBy(cands, func(x, y *member) bool {
			sx, sy := skillScore(c, x.agent), skillScore(c, y.agent)
			if sx != sy {
				return sx > sy
			}
			return x.agent.readySince.Before(y.agent.readySince)
		})
	}
	return cands[0]
}

// rotation picks the first candidate at or after next in the rotation, or
// wraps to the first one (app_queue's rrpos / linpos metric: 1000+pos for
// members before the rotation point).
func rotation(cands []*member, next int, pos func(*member) int) *member {
	var first, after *member
	for _, m := range cands {
		p := pos(m)
		if first == nil || p < pos(first) {
			first = m
		}
		if p >= next && (after == nil || p < pos(after)) {
			after = m
		}
	}
	if after != nil {
		return after
	}
	return first
}

// minBy returns the first candidate no other beats (stable in member order).
func minBy(cands []*member, less func(x, y *member) bool) *member {
	best := cands[0]
	for _, m := range cands[1:] {
		if less(m, best) {
			best = m
		}
	}
	return best
}

// skillScore: how well an agent matches a caller's required skills, the sum
// of the agent's levels in them (every one is at least the required level).
func skillScore(c *callerState, a *agentState) int {
	s := 0
	for skill := range c.skills {
		s += a.cfg.Skills[skill]
	}
	return s
}

// minAttemptLeft is the least of an attempt worth ringing another member
// for: app_queue's 500 ms.
const minAttemptLeft = 500 * time.Millisecond

// ring starts an offer of caller c to member m.
func (e *Engine) ring(c *callerState, m *member) {
	a, q := m.agent, c.q
	o := &offer{id: e.nextOfferID(), caller: c, agent: a, q: q, start: e.now}
	e.offers[o.id] = o
	c.offers = append(c.offers, o)
	timeout := q.cfg.Timeout
	if q.cfg.Strategy != RingAll && !q.cfg.TimeoutRestart && c.failedAt.Equal(e.now) {
		// app_queue rings the next member for what is left of the attempt
		// (ring_one after a busy one, timeoutrestart=no) if that is over
		// half a second; otherwise a new attempt starts.
		if left := c.attemptEnd.Sub(e.now); left > minAttemptLeft {
			timeout = min(timeout, left)
		}
	}
	c.attemptEnd = e.now.Add(timeout)
	if q.cfg.TimeoutPriority != "conf" && !c.maxWaitAt.IsZero() {
		// timeoutpriority=app: the caller's own limit cuts the ring short.
		timeout = min(timeout, c.maxWaitAt.Sub(e.now))
	}
	switch q.cfg.Strategy {
	case Linear:
		c.linPos = m.pos + 1
	case RROrdered:
		q.rrNext = m.pos + 1
	case RRMemory:
		q.rrNext = int(m.loginSeq) + 1
	}
	a.activity = actRinging
	a.offer = o
	a.caller = c
	a.queue = q
	e.emit(OfferStarted{At: e.now, Offer: o.id, Caller: c.id, Agent: a.id, Queue: q.cfg.Name})
	e.agentChanged(a)
	ring := RingAgent{Offer: o.id, Caller: c.id, Agent: a.id, Device: a.cfg.Device, Queue: q.cfg.Name,
		Timeout: timeout, Number: c.number, Name: c.name, AutoAnswer: q.cfg.AutoAnswer}
	if c.virtual() { // agent first: the agent takes a callback to this number
		ring.Callback, ring.Number = true, c.cb.number
	}
	e.emit(ring)
	e.arm(e.now.Add(timeout), timer{kind: timerRingTimeout, offer: o})
}

// retire marks an offer over and keeps it findable for a late answer.
func (e *Engine) retire(o *offer, remember bool) {
	o.done = true
	delete(e.offers, o.id)
	o.caller.dropOffer(o)
	if remember {
		e.deadOffers[o.id] = o
		e.arm(e.now.Add(deadOfferTTL), timer{kind: timerDeadOffer, offer: o})
	}
}

// releaseAgent returns a ringing agent to idle.
func (e *Engine) releaseAgent(a *agentState) {
	a.activity = actIdle
	a.offer = nil
	a.caller = nil
}

// cancelOffer hangs up an unanswered ring: the caller left or was taken
// (elsewhere: another agent answered).
func (e *Engine) cancelOffer(o *offer, elsewhere bool) {
	e.retire(o, true)
	e.emit(CancelRing{Offer: o.id, Agent: o.agent.id, Elsewhere: elsewhere})
	e.emit(OfferEnded{At: e.now, Offer: o.id, Caller: o.caller.id, Agent: o.agent.id, Queue: o.q.cfg.Name,
		Result: "canceled", RingTime: e.now.Sub(o.start)})
	e.releaseAgent(o.agent)
	e.agentChanged(o.agent)
	if c := o.caller; c.idle() {
		e.readyCallers = append(e.readyCallers, c)
	}
}

// endOffer: the ring ended unanswered. hangUp means the leg may still be
// ringing (the engine's ring timer fired, or the agent declined in the
// console), so the call flow must hang it up.
func (e *Engine) endOffer(o *offer, result string, hangUp bool) {
	c, a, q := o.caller, o.agent, o.q
	// Remembered even when the flow reported the failure: a second report
	// of the same leg's end (Dial status and hangup both say so) is no error.
	e.retire(o, true)
	if hangUp {
		e.emit(CancelRing{Offer: o.id, Agent: a.id, Declined: result == string(RingRejected)})
	}
	e.emit(OfferEnded{At: e.now, Offer: o.id, Caller: c.id, Agent: a.id, Queue: q.cfg.Name,
		Result: result, RingTime: e.now.Sub(o.start)})
	if result != string(RingNoAnswer) {
		c.failedAt = e.now // the attempt goes on with the next agent
	}
	until := e.now.Add(q.retry())
	c.blocks = append(c.blocks, retryBlock{agent: a, until: until})
	e.arm(until, timer{kind: timerRetry, caller: c})
	e.releaseAgent(a)
	e.autoPause(q, a, RingFailure(result))
	e.agentChanged(a)
	if len(c.offers) == 0 {
		if c.expired {
			e.leave(c, LeftTimeout, "", Exit{Caller: c.id, Queue: q.cfg.Name, Status: StatusTimeout})
			return
		}
		e.readyCallers = append(e.readyCallers, c)
		if q.cfg.AnnounceFrequency > 0 {
			e.announceDue = append(e.announceDue, c)
		}
	}
}

// autoPause is app_queue's rna(): after AutoPauseNoAnswer consecutive
// failures that count, the agent is paused, unless it took a call less than
// autopausedelay ago. No answer and a decline always count, busy only with
// autopausebusy, unavailable only with autopauseunavail, an originate error
// never.
func (e *Engine) autoPause(q *queueState, a *agentState, why RingFailure) {
	if q.cfg.AutoPause == "" || q.cfg.AutoPause == AutoPauseNo {
		return
	}
	switch why {
	case RingNoAnswer, RingRejected:
	case RingBusy:
		if !q.cfg.AutoPauseBusy {
			return
		}
	case RingUnavailable:
		if !q.cfg.AutoPauseUnavail {
			return
		}
	default:
		return
	}
	a.noAnswers++
	if a.noAnswers < max(1, q.cfg.AutoPauseNoAnswer) {
		return
	}
	if q.cfg.AutoPauseDelay > 0 && !a.lastCallEnd.IsZero() && e.now.Sub(a.lastCallEnd) < q.cfg.AutoPauseDelay {
		return
	}
	a.noAnswers = 0
	if !a.loggedIn {
		return
	}
	if q.cfg.AutoPause == AutoPauseYes {
		for _, m := range a.members {
			if m.q == q && !m.paused {
				m.paused = true
				e.emit(MemberPaused{At: e.now, Agent: a.id, Queue: q.cfg.Name, Paused: true, Reason: autoPauseReason})
			}
		}
		return
	}
	a.paused = true
	a.reason = autoPauseReason
}

// autoPauseReason is the pause reason of an autopause, as app_queue's
// "Auto-Pause" is in its queue_log.
const autoPauseReason = "autopause"

func (e *Engine) offerFailed(in OfferFailed) error {
	switch in.Reason {
	case RingNoAnswer, RingBusy, RingUnavailable, RingRejected, RingError:
	default:
		return fmt.Errorf("offer %q failed: reason %q: %w", in.Offer, in.Reason, ErrInvalid)
	}
	if o, ok := e.offers[in.Offer]; ok {
		// A decline comes from the console while the phone still rings (or
		// from the phone, cause 21, whose leg is gone: the flow tolerates
		// cancelling it); every other failure is the leg's own end.
		e.endOffer(o, string(in.Reason), in.Reason == RingRejected)
		return nil
	}
	if _, ok := e.deadOffers[in.Offer]; ok {
		delete(e.deadOffers, in.Offer)
		return nil
	}
	return fmt.Errorf("offer %q failed: %w", in.Offer, ErrUnknownOffer)
}

func (e *Engine) offerAnswered(id OfferID) error {
	o, ok := e.offers[id]
	if !ok {
		if dead, ok := e.deadOffers[id]; ok {
			// The leg answered after its caller left or another agent won.
			delete(e.deadOffers, id)
			e.emit(HangupAgent{Offer: id, Agent: dead.agent.id})
			return nil
		}
		return fmt.Errorf("offer %q answered: %w", id, ErrUnknownOffer)
	}
	c, a, q := o.caller, o.agent, o.q
	ringTime := e.now.Sub(o.start)
	e.retire(o, false)
	e.emit(OfferEnded{At: e.now, Offer: o.id, Caller: c.id, Agent: a.id, Queue: q.cfg.Name, Result: "answered", RingTime: ringTime})
	if c.virtual() {
		// Agent first: the agent has taken the callback; its customer is
		// dialled now, the agent on the line, the caller still in its place.
		for len(c.offers) > 0 {
			e.cancelOffer(c.offers[0], true)
		}
		a.activity = actOnCall
		e.agentChanged(a)
		c.cb.ringTime = ringTime
		e.dialCallback(c, o)
		return nil
	}
	e.connect(c, o, ringTime)
	return nil
}

// connect puts caller c through to the agent of its answered offer o: it
// leaves its queue answered and is bridged.
func (e *Engine) connect(c *callerState, o *offer, ringTime time.Duration) {
	a, q := o.agent, o.q
	pos := q.position(c)
	q.remove(c)
	wait := e.now.Sub(c.joinedAt)
	e.emit(CallerLeft{At: e.now, Caller: c.id, Queue: q.cfg.Name, Reason: LeftAnswered, Position: pos,
		JoinPos: c.joinPos, Wait: wait, Agent: a.id})
	e.emitOrderNow(q)
	c.connected = true
	c.leftPos = pos
	c.agent = a
	c.offer = o
	c.connectedAt = e.now
	c.wait = wait
	rec := recordingOf(&q.cfg, e.now, c.id)
	if rec != nil && c.rec == nil { // one from the join goes on
		c.rec = &recState{Recording: *rec, state: RecordingActive}
	}
	e.emit(CallConnected{At: e.now, Caller: c.id, Agent: a.id, Offer: o.id, Queue: q.cfg.Name, Wait: wait, RingTime: ringTime, Position: pos, Recording: rec})
	a.activity = actOnCall
	a.calls++
	a.noAnswers = 0
	e.agentChanged(a)
	callerVars, agentVars := e.bridgeVars(q, c, a, wait)
	e.emit(Connect{Offer: o.id, Caller: c.id, Agent: a.id, Queue: q.cfg.Name, CallerVars: callerVars, AgentVars: agentVars,
		Delay: q.cfg.MemberDelay, AgentMedia: agentMedia(&q.cfg, wait+q.cfg.MemberDelay), Record: rec})
	for len(c.offers) > 0 {
		e.cancelOffer(c.offers[0], true)
	}
	q.holdTimeEMA = ema(q.holdTimeEMA, wait.Seconds())
	q.inProgress++
	e.markLeaveDirty(q)
}

// ema is app_queue's holdtime smoothing: (3*old + new) / 4, the first sample
// taken as is.
func ema(old, sample float64) float64 {
	if old == 0 {
		return sample
	}
	return (3*old + sample) / 4
}

func (e *Engine) callEnded(id CallerID, by Party) error {
	c, err := e.caller(id, "call ended")
	if err != nil {
		return err
	}
	if !c.connected && by == PartyAgent && e.callbackAgentGone(c) {
		return nil
	}
	if !c.connected {
		return fmt.Errorf("call ended %q: not connected: %w", id, ErrNotAllowed)
	}
	switch by {
	case PartyCaller, PartyAgent, PartySystem:
	default:
		return fmt.Errorf("call ended %q: party %q: %w", id, by, ErrInvalid)
	}
	e.finishCall(c, by, true)
	return nil
}

// callTransferred ends a call that one side transferred away: Asterisk
// took the caller on, so there is no HangupCaller; the agent's leg, swapped
// out of the bridge, is hung up as after any call (HangupAgent), and the
// agent wraps up.
func (e *Engine) callTransferred(in CallTransferred) error {
	c, err := e.caller(in.Caller, "call transferred")
	if err != nil {
		return err
	}
	if !c.connected {
		return fmt.Errorf("call transferred %q: not connected: %w", in.Caller, ErrNotAllowed)
	}
	by := in.By
	switch by {
	case "":
		by = PartyAgent
	case PartyAgent, PartyCaller:
	default:
		return fmt.Errorf("call transferred %q: party %q: %w", in.Caller, in.By, ErrInvalid)
	}
	e.emit(CallerTransferred{At: e.now, Caller: c.id, Agent: c.agent.id, Queue: c.q.cfg.Name, By: by,
		Exten: in.Exten, Context: in.Context, Attended: in.Attended, Wait: c.wait, Talk: e.now.Sub(c.connectedAt)})
	e.finishCall(c, PartyTransfer, false)
	return nil
}

// callResumed restores a call connected before a restart: no events of its
// own (its join, answer and CallConnected are already recorded), only the
// agent going on-call, so that CallCompleted closes it once, with its talk.
func (e *Engine) callResumed(in CallResumed) error {
	if in.Caller == "" || in.Offer == "" {
		return fmt.Errorf("resume call %q: caller and offer are required: %w", in.Caller, ErrInvalid)
	}
	if _, dup := e.callers[in.Caller]; dup {
		return fmt.Errorf("resume call %q: %w", in.Caller, ErrDuplicate)
	}
	if _, dup := e.offers[in.Offer]; dup {
		return fmt.Errorf("resume call %q: offer %q: %w", in.Caller, in.Offer, ErrDuplicate)
	}
	q, ok := e.queues[in.Queue]
	if !ok {
		return fmt.Errorf("resume call %q: queue %q: %w", in.Caller, in.Queue, ErrUnknownQueue)
	}
	a, err := e.agent(in.Agent, "resume call")
	if err != nil {
		return err
	}
	if a.activity != actIdle {
		return fmt.Errorf("resume call %q: agent %q is %s: %w", in.Caller, in.Agent, a.displayState(), ErrNotAllowed)
	}
	at := in.ConnectedAt
	if at.IsZero() || at.After(e.now) {
		at = e.now
	}
	wait := max(in.Wait, 0)
	e.joinSeq++
	c := &callerState{
		id:          in.Caller,
		q:           q,
		number:      in.Number,
		name:        in.Name,
		joinedAt:    at.Add(-wait),
		orderAt:     at.Add(-wait),
		maxPen:      math.MaxInt,
		connected:   true,
		agent:       a,
		connectedAt: at,
		wait:        wait,
	}
	c.key = sortKey{at: c.orderAt.UnixNano(), seq: e.joinSeq}
	if in.Recording != nil {
		state := in.RecordingState
		if state != RecordingPaused {
			state = RecordingActive
		}
		c.rec = &recState{Recording: *in.Recording, state: state, tries: 1}
	}
	// Answered already: never in e.offers, nothing to cancel or time out.
	o := &offer{id: in.Offer, caller: c, agent: a, q: q, start: at, done: true}
	c.offer = o
	e.callers[c.id] = c
	q.inProgress++
	a.activity = actOnCall
	a.offer = o
	a.caller = c
	a.queue = q
	a.calls++
	a.noAnswers = 0
	e.agentChanged(a)
	e.markLeaveDirty(q)
	return nil
}

// finishCall ends a connected call: CallCompleted, the agent into wrap-up
// (or straight back to available), then the telephony for the other side.
func (e *Engine) finishCall(c *callerState, by Party, hangupCaller bool) {
	a, q, o := c.agent, c.q, c.offer
	talk := e.now.Sub(c.connectedAt)
	e.emit(CallCompleted{At: e.now, Caller: c.id, Agent: a.id, Queue: q.cfg.Name, By: by, Wait: c.wait, Talk: talk})
	c.gone = true
	delete(e.callers, c.id)
	q.inProgress--
	q.handleEMA = ema(q.handleEMA, (talk + q.cfg.WrapUpTime).Seconds())
	q.talkEMA = ema(q.talkEMA, talk.Seconds())
	a.lastCallEnd = e.now
	a.offer = nil
	if q.cfg.WrapUpTime > 0 && a.loggedIn && !a.removed {
		a.activity = actWrapUp
		a.wrapStart = e.now
		a.wrapGen++
		e.arm(e.now.Add(q.cfg.WrapUpTime), timer{kind: timerWrapUp, agent: a, gen: a.wrapGen})
	} else {
		a.activity = actIdle
		a.readySince = e.now
		a.caller = nil
	}
	e.agentChanged(a)
	switch by {
	case PartyCaller:
		e.emit(HangupAgent{Offer: o.id, Agent: a.id})
	case PartyAgent:
		if q.cfg.ContinueOnAgentHangup {
			e.emit(Exit{Caller: c.id, Queue: q.cfg.Name, Status: StatusContinue, Position: c.leftPos, Vars: e.queueVars(q, 0)})
		} else {
			e.emit(HangupCaller{Caller: c.id})
		}
	default:
		e.emit(HangupAgent{Offer: o.id, Agent: a.id})
		if hangupCaller {
			e.emit(HangupCaller{Caller: c.id})
		}
	}
}

func (e *Engine) finishWrapUp(a *agentState) {
	name := ""
	if a.queue != nil {
		name = a.queue.cfg.Name
	}
	e.emit(WrapUpEnded{At: e.now, Agent: a.id, Queue: name, WrapUp: e.now.Sub(a.wrapStart)})
	a.activity = actIdle
	a.readySince = e.now
	a.caller = nil
	a.wrapGen++
}

func (e *Engine) endWrapUp(a *agentState) {
	e.finishWrapUp(a)
	e.agentChanged(a)
}

// pick: an agent takes a chosen waiting caller (AllowPick). The caller's
// other rings are cancelled; penalties and order do not apply to a manual
// choice, nor does a pause.
func (e *Engine) pick(in Pick) error {
	a, err := e.agent(in.Agent, "pick")
	if err != nil {
		return err
	}
	c, err := e.waitingCaller(in.Caller, "pick")
	if err != nil {
		return err
	}
	q := c.q
	if !q.cfg.AllowPick {
		return fmt.Errorf("pick %q: queue %q does not allow picking: %w", in.Caller, q.cfg.Name, ErrNotAllowed)
	}
	i := slices.IndexFunc(a.members, func(m *member) bool { return m.q == q })
	if i < 0 {
		return fmt.Errorf("pick %q: %q is not a member of %q: %w", in.Caller, in.Agent, q.cfg.Name, ErrNotAllowed)
	}
	if !a.loggedIn || a.activity != actIdle {
		return fmt.Errorf("pick %q: agent %q is %s: %w", in.Caller, in.Agent, a.displayState(), ErrNotAllowed)
	}
	if c.expired {
		return fmt.Errorf("pick %q: caller is leaving: %w", in.Caller, ErrNotAllowed)
	}
	for len(c.offers) > 0 {
		e.cancelOffer(c.offers[0], false)
	}
	e.ring(c, a.members[i])
	return nil
}

// expectedWait for the caller at pos in q: nothing if an agent is free for
// it; otherwise pos × the average handle time (talk + wrap-up, smoothed as
// app_queue smooths its holdtime) ÷ the members logged in and not paused;
// with no such member or no call yet, app_queue's average hold time.
func (e *Engine) expectedWait(q *queueState, pos int) time.Duration {
	if pos <= len(q.avail) {
		return 0
	}
	if q.staffed == 0 || q.handleEMA == 0 {
		return time.Duration(q.holdTimeEMA * float64(time.Second)).Round(time.Second)
	}
	secs := q.handleEMA * float64(pos) / float64(q.staffed)
	return time.Duration(secs * float64(time.Second)).Round(time.Second)
}
