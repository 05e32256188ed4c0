package queue

import "time"

// timerKind says what a timer entry wakes.
type timerKind uint8

const (
	timerRingTimeout   timerKind = iota // an offer rang for its whole timeout
	timerWrapUp                         // an agent's wrap-up is over
	timerMaxWait                        // a caller waited its maximum
	timerRetry                          // a caller's retry pause for one agent is over
	timerAnnounce                       // position / hold time announcement check
	timerPeriodic                       // periodic announcement
	timerRule                           // next queue rule (penalty change)
	timerDeadOffer                      // forget a cancelled offer whose leg never reported back
	timerAnnounceDone                   // AnnouncementDone never came: stop waiting for it
	timerForgetVisit                    // an abandoned visit's AbandonResume window is over
	timerCallbackRetry                  // a callback's pause after a failed try is over
)

// timer is one deadline. Entries are never removed from the heap when their
// subject changes: each carries the generation of its subject at arming, and
// a stale one is dropped when it reaches the top (lazy deletion keeps every
// re-arm O(log n) with no search).
type timer struct {
	at     int64 // unix nanoseconds
	seq    uint64
	kind   timerKind
	gen    uint32
	caller *callerState
	agent  *agentState
	offer  *offer
	visit  *abandoned
}

// timerHeap is a binary min-heap on (at, seq); typed to avoid container/heap's
// interface boxing on every push.
type timerHeap []timer

func (h timerHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = timer{}
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

func (e *Engine) arm(at time.Time, t timer) {
	e.timerSeq++
	t.at = at.UnixNano()
	t.seq = e.timerSeq
	e.timers.push(t)
}

// live reports whether a timer entry still means something.
func (t *timer) live() bool {
	switch t.kind {
	case timerRingTimeout:
		return !t.offer.done
	case timerWrapUp:
		return t.agent.wrapGen == t.gen && t.agent.activity == actWrapUp && !t.agent.removed
	case timerMaxWait:
		return !t.caller.gone && !t.caller.connected && t.caller.maxWaitGen == t.gen
	case timerRetry:
		return !t.caller.gone && !t.caller.connected
	case timerAnnounce:
		return !t.caller.gone && !t.caller.connected && t.caller.annGen == t.gen
	case timerPeriodic:
		return !t.caller.gone && !t.caller.connected && t.caller.perGen == t.gen
	case timerRule:
		return !t.caller.gone && !t.caller.connected && t.caller.ruleGen == t.gen
	case timerDeadOffer:
		return true
	case timerAnnounceDone:
		return !t.caller.gone && !t.caller.connected && t.caller.annPlaying && t.caller.annPlayGen == t.gen
	case timerForgetVisit:
		return true
	case timerCallbackRetry:
		return !t.caller.gone && t.caller.cb != nil && t.caller.cb.phase == cbPause && t.caller.cb.gen == t.gen
	}
	return false
}

// NextDeadline is when Apply(now, Tick{}) must next be called; false when
// nothing is scheduled.
func (e *Engine) NextDeadline() (time.Time, bool) {
	for len(e.timers) > 0 {
		if e.timers[0].live() {
			return time.Unix(0, e.timers[0].at), true
		}
		e.timers.pop()
	}
	return time.Time{}, false
}

// tick fires every due timer in deadline order.
func (e *Engine) tick() {
	now := e.now.UnixNano()
	for len(e.timers) > 0 && e.timers[0].at <= now {
		t := e.timers.pop()
		if !t.live() {
			continue
		}
		switch t.kind {
		case timerRingTimeout:
			e.endOffer(t.offer, string(RingNoAnswer), true)
		case timerWrapUp:
			e.endWrapUp(t.agent)
		case timerMaxWait:
			e.maxWaitReached(t.caller)
		case timerRetry:
			e.retryOver(t.caller)
		case timerAnnounce:
			e.announceCheck(t.caller)
		case timerPeriodic:
			e.periodicAnnounce(t.caller)
		case timerRule:
			e.applyRule(t.caller)
		case timerDeadOffer:
			delete(e.deadOffers, t.offer.id)
		case timerAnnounceDone:
			// As if the report had come: a callback's goodbye or
			// connecting prompt moves it on as the report would.
			e.announcementDone(t.caller.id)
		case timerForgetVisit:
			e.forgetVisit(t.visit)
		case timerCallbackRetry:
			e.callbackRetryOver(t.caller)
		}
		e.settle()
	}
}
