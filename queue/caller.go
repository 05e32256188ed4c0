package queue

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

func (e *Engine) caller(id CallerID, what string) (*callerState, error) {
	c, ok := e.callers[id]
	if !ok {
		return nil, fmt.Errorf("%s %q: %w", what, id, ErrUnknownCaller)
	}
	return c, nil
}

// waitingCaller is a caller still in a queue (not connected).
func (e *Engine) waitingCaller(id CallerID, what string) (*callerState, error) {
	c, err := e.caller(id, what)
	if err != nil {
		return nil, err
	}
	if c.connected {
		return nil, fmt.Errorf("%s %q: already connected: %w", what, id, ErrNotAllowed)
	}
	return c, nil
}

func (e *Engine) join(in CallerJoin) error {
	if _, dup := e.callers[in.Caller]; dup {
		return fmt.Errorf("join %q: %w", in.Caller, ErrDuplicate)
	}
	if in.Caller == "" {
		return fmt.Errorf("join: empty caller id: %w", ErrInvalid)
	}
	refuse := func(status QueueStatus) {
		e.emit(CallerRefused{At: e.now, Caller: in.Caller, Queue: in.Queue, Number: in.Number, Name: in.Name, Status: status})
		e.emit(Refuse{Caller: in.Caller, Queue: in.Queue, Status: status})
	}
	q, ok := e.queues[in.Queue]
	if !ok {
		refuse(StatusUnknownQueue)
		return nil
	}
	joinedAt := in.JoinedAt
	if joinedAt.IsZero() {
		joinedAt = e.now
	}
	orderAt, priority := joinedAt, in.Priority
	var back *abandoned
	if !in.Resume {
		if back = e.returning(q, in.Number); back != nil {
			orderAt, priority = back.orderAt, max(priority, back.priority)
			joinedAt = joinedAt.Add(-back.wait)
		}
	}
	e.joinSeq++
	c := &callerState{
		id:       in.Caller,
		q:        q,
		priority: priority,
		number:   in.Number,
		name:     in.Name,
		skills:   cloneSkills(in.Skills),
		joinedAt: joinedAt,
		orderAt:  orderAt,
		minPen:   0,
		maxPen:   math.MaxInt,
		maxWait:  in.MaxWait,
		returned: back != nil,
	}
	if in.Resume && in.Callback != nil {
		r := in.Callback
		c.cb = &callback{phase: cbWaiting, number: r.Number, attempts: r.Attempts, mode: r.Mode, dial: r.Dial, callerID: r.CallerID}
		c.maxWait = 0
	}
	c.key = sortKey{prio: c.priority, at: orderAt.UnixNano(), seq: e.joinSeq}
	e.applyDueRules(c)
	if !in.Resume {
		// A returning caller had its place: a full queue does not refuse it.
		if q.cfg.MaxLen > 0 && len(q.order) >= q.cfg.MaxLen && back == nil {
			refuse(StatusFull)
			return nil
		}
		if len(q.cfg.JoinEmpty) > 0 && e.queueEmpty(q, q.cfg.JoinEmpty, c.minPen, c.maxPen) {
			refuse(StatusJoinEmpty)
			return nil
		}
	}
	var idx int
	if in.Resume && in.Position > 0 {
		idx = q.insertAt(c, in.Position-1)
	} else {
		idx = q.insert(c)
	}
	c.joinPos = idx + 1
	e.callers[c.id] = c
	var rec *Recording
	if !in.Resume { // a resumed caller's recording goes on from the previous run
		if rec = joinRecordingOf(&q.cfg, e.now, c.id); rec != nil {
			c.rec = &recState{Recording: *rec, state: RecordingActive}
		}
	}
	var returnOf CallerID
	if back != nil {
		returnOf = back.caller
		e.emit(CallerReturned{At: e.now, Caller: back.caller, AsCaller: c.id, Queue: q.cfg.Name, Number: c.number,
			LeftAt: back.leftAt, Wait: back.wait})
	}
	e.emit(CallerJoined{At: e.now, Caller: c.id, Queue: q.cfg.Name, Priority: c.priority, Number: c.number,
		Name: c.name, JoinedAt: joinedAt, Position: c.joinPos, Resumed: in.Resume, Recording: rec, ReturnOf: returnOf})
	e.emitOrderNow(q)
	if !c.virtual() { // a resumed callback has no channel to answer
		e.emit(Accept{Caller: c.id, Queue: q.cfg.Name, MusicClass: q.cfg.MusicClass, Record: rec})
	}
	if back != nil && q.cfg.WelcomeBack != "" {
		// Before its position: the caller hears it is recognised first.
		e.startAnnouncement(c, AnnounceWelcome, []string{mediaURI(q.cfg.WelcomeBack)})
	}
	e.startWaiting(c)
	return nil
}

func cloneSkills(s map[string]int) map[string]int {
	if len(s) == 0 {
		return nil
	}
	out := make(map[string]int, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out
}

// startWaiting arms a caller's timers in its (new) queue and routes it.
func (e *Engine) startWaiting(c *callerState) {
	q := c.q
	e.armMaxWait(c)
	e.armRule(c)
	c.lastPos = time.Time{}
	c.lastPosSaid = 0
	c.lastPeriodic = e.now
	c.periodicIdx = 0
	c.annGen++
	e.periodicAnnounce(c) // arms it periodic-announce-frequency from now
	if q.cfg.AnnounceFrequency > 0 {
		e.announceDue = append(e.announceDue, c)
	}
	e.readyCallers = append(e.readyCallers, c)
	e.markLeaveDirty(q)
	if e.pastMaxWait(c) {
		// Resumed or moved with its wait kept, and already past the limit.
		e.maxWaitReached(c)
	}
}

func (e *Engine) armMaxWait(c *callerState) {
	c.maxWaitGen++
	c.expired = false
	if c.virtual() { // a callback waits for its turn, however long
		c.maxWaitAt = time.Time{}
		return
	}
	limit := c.maxWait
	if limit <= 0 {
		limit = c.q.cfg.MaxWait
	}
	if limit <= 0 {
		c.maxWaitAt = time.Time{}
		return
	}
	c.maxWaitAt = c.joinedAt.Add(limit)
	e.arm(c.maxWaitAt, timer{kind: timerMaxWait, caller: c, gen: c.maxWaitGen})
}

// leave takes a waiting caller out of its queue for good: CallerLeft, the
// queue's order, then exit (the telephony for the caller, if any), then its
// rings are cancelled.
func (e *Engine) leave(c *callerState, reason LeaveReason, key string, exit Effect) {
	q := c.q
	pos := q.position(c)
	var vars []ChannelVar
	if _, ok := exit.(Exit); ok {
		// Counted before it leaves, as app_queue sets them before
		// leave_queue.
		vars = e.queueVars(q, 0)
	}
	q.remove(c)
	c.gone = true
	delete(e.callers, c.id)
	// Rings in progress end first, as app_queue logs RINGCANCELED before
	// the caller's ABANDON (seen in TestAsteriskAppQueueParity).
	for len(c.offers) > 0 {
		e.cancelOffer(c.offers[0], false)
	}
	e.emit(CallerLeft{At: e.now, Caller: c.id, Queue: q.cfg.Name, Reason: reason, Position: pos,
		JoinPos: c.joinPos, Wait: e.now.Sub(c.joinedAt), Key: key})
	if reason == LeftAbandoned || reason == LeftLost {
		e.rememberAbandon(c)
	}
	e.emitOrderNow(q)
	if x, ok := exit.(Exit); ok {
		x.Position = pos
		x.Abandoned = reason == LeftTimeout || reason == LeftLeaveEmpty
		x.Vars = vars
		if reason == LeftExitKey && q.cfg.ExitContext != "" {
			x.Context, x.Exten, x.Priority = q.cfg.ExitContext, key, 1
		}
		exit = x
	}
	if exit != nil {
		e.emit(exit)
	}
}

func (e *Engine) callerHangup(id CallerID) error {
	return e.callerGone(id, "caller hangup", PartyCaller, LeftAbandoned)
}

func (e *Engine) callerLost(id CallerID) error {
	return e.callerGone(id, "caller lost", PartySystem, LeftLost)
}

// callerGone ends the call of a caller whose channel has gone, ended by
// party, or takes it out of its queue with reason while it still waited.
func (e *Engine) callerGone(id CallerID, what string, party Party, reason LeaveReason) error {
	c, err := e.caller(id, what)
	if err != nil {
		return err
	}
	if c.connected {
		e.finishCall(c, party, false)
		return nil
	}
	if c.virtual() {
		// A callback's own channel going is what it waits for; it keeps
		// its place (a customer's unanswered leg is CallbackFailed).
		e.callbackChannelGone(c)
		return nil
	}
	e.leave(c, reason, "", nil)
	return nil
}

func (e *Engine) callerDTMF(in CallerDTMF) error {
	c, err := e.caller(in.Caller, "dtmf")
	if err != nil {
		return err
	}
	if len(in.Digit) != 1 {
		return fmt.Errorf("dtmf %q: digit %q: %w", in.Caller, in.Digit, ErrInvalid)
	}
	if !c.connected && !c.virtual() && e.callbackKey(c, in.Digit) {
		return nil
	}
	if c.connected || !strings.Contains(c.q.cfg.ExitKeys, in.Digit) {
		return nil // app_queue ignores digits that are not exit keys
	}
	e.leave(c, LeftExitKey, in.Digit, Exit{Caller: c.id, Queue: c.q.cfg.Name, Status: StatusExitKey, Key: in.Digit})
	return nil
}

func (e *Engine) supervisorRemove(in Remove) error {
	c, err := e.waitingCaller(in.Caller, "remove")
	if err != nil {
		return err
	}
	switch in.Reason {
	case LeftHungUp:
		e.leave(c, LeftHungUp, "", HangupCaller{Caller: c.id})
	case LeftContinued, "":
		x := Exit{Caller: c.id, Queue: c.q.cfg.Name, Status: StatusContinue}
		if in.Context != "" {
			if in.Exten == "" || in.Priority < 1 {
				return fmt.Errorf("remove %q: redirect to %s needs an extension and a priority: %w", in.Caller, in.Context, ErrInvalid)
			}
			x.Status, x.Context, x.Exten, x.Priority = StatusWithdraw, in.Context, in.Exten, in.Priority
		}
		e.leave(c, LeftContinued, "", x)
	default:
		return fmt.Errorf("remove %q: reason %q: %w", in.Caller, in.Reason, ErrInvalid)
	}
	return nil
}

// maxWaitReached: app_queue's timeoutpriority=conf lets a ring in progress
// run its full timeout; the caller leaves when it ends unanswered.
func (e *Engine) maxWaitReached(c *callerState) {
	if len(c.offers) > 0 && c.q.cfg.TimeoutPriority == "conf" {
		c.expired = true
		return
	}
	e.leave(c, LeftTimeout, "", Exit{Caller: c.id, Queue: c.q.cfg.Name, Status: StatusTimeout})
}

func (e *Engine) retryOver(c *callerState) {
	c.blocks = slices.DeleteFunc(c.blocks, func(b retryBlock) bool { return !e.now.Before(b.until) })
	if c.idle() {
		e.readyCallers = append(e.readyCallers, c)
	}
}

// ---- queue rules (queuerules.conf) ----

func (e *Engine) armRule(c *callerState) {
	c.ruleGen++
	rules := c.q.rules
	if c.ruleIdx < len(rules) {
		e.arm(c.joinedAt.Add(rules[c.ruleIdx].After), timer{kind: timerRule, caller: c, gen: c.ruleGen})
	}
}

// applyDueRules applies every rule whose time has come, as app_queue's
// update_qe_rule does one by one: relative values move the current range,
// absolute ones replace it; neither goes below 0 and min never passes max.
func (e *Engine) applyDueRules(c *callerState) bool {
	changed := false
	waited := e.now.Sub(c.joinedAt)
	rules := c.q.rules
	for c.ruleIdx < len(rules) && rules[c.ruleIdx].After <= waited {
		r := rules[c.ruleIdx]
		c.ruleIdx++
		maxPen := c.maxPen
		switch {
		case !r.MaxRelative:
			maxPen = r.MaxPenalty
		case maxPen != math.MaxInt:
			maxPen += r.MaxPenalty
		}
		maxPen = max(maxPen, 0)
		minPen := c.minPen
		if r.MinRelative {
			minPen += r.MinPenalty
		} else {
			minPen = r.MinPenalty
		}
		minPen = max(minPen, 0)
		if minPen > maxPen {
			minPen = maxPen
		}
		if minPen != c.minPen || maxPen != c.maxPen {
			changed = true
		}
		c.minPen, c.maxPen = minPen, maxPen
	}
	return changed
}

func (e *Engine) applyRule(c *callerState) {
	if e.applyDueRules(c) {
		e.readyCallers = append(e.readyCallers, c)
		e.markLeaveDirty(c.q)
	}
	e.armRule(c)
}

// ---- supervisor ordering ----

func (e *Engine) reorder(in Reorder) error {
	c, err := e.waitingCaller(in.Caller, "reorder")
	if err != nil {
		return err
	}
	if c.q.cfg.Name != in.Queue {
		return fmt.Errorf("reorder %q: not in queue %q: %w", in.Caller, in.Queue, ErrNotAllowed)
	}
	if in.Position < 1 {
		return fmt.Errorf("reorder %q: position %d: %w", in.Caller, in.Position, ErrInvalid)
	}
	q := c.q
	q.remove(c)
	q.insertAt(c, in.Position-1)
	e.emitOrderNow(q)
	return nil
}

func (e *Engine) move(in Move) error {
	c, err := e.waitingCaller(in.Caller, "move")
	if err != nil {
		return err
	}
	to, ok := e.queues[in.ToQueue]
	if !ok {
		return fmt.Errorf("move %q to %q: %w", in.Caller, in.ToQueue, ErrUnknownQueue)
	}
	from := c.q
	if to == from {
		return fmt.Errorf("move %q: already in %q: %w", in.Caller, in.ToQueue, ErrInvalid)
	}
	from.remove(c)
	for len(c.offers) > 0 {
		e.cancelOffer(c.offers[0], false)
	}
	if !in.KeepWait {
		c.joinedAt = e.now
		c.orderAt = e.now
	}
	e.joinSeq++
	c.q = to
	c.key = sortKey{prio: c.priority, at: c.orderAt.UnixNano(), seq: e.joinSeq}
	c.blocks = c.blocks[:0]
	c.ruleIdx, c.minPen, c.maxPen, c.linPos = 0, 0, math.MaxInt, 0
	e.applyDueRules(c)
	c.joinPos = to.insert(c) + 1
	e.emit(CallerMoved{At: e.now, Caller: c.id, From: from.cfg.Name, To: to.cfg.Name, KeepWait: in.KeepWait})
	e.emitOrderNow(from)
	e.emitOrderNow(to)
	e.markLeaveDirty(from)
	e.startWaiting(c)
	return nil
}

func (e *Engine) setPriority(in SetPriority) error {
	c, err := e.waitingCaller(in.Caller, "set priority")
	if err != nil {
		return err
	}
	q := c.q
	q.remove(c)
	c.priority = in.Priority
	c.key = sortKey{prio: c.priority, at: c.orderAt.UnixNano(), seq: c.key.seq}
	q.insert(c)
	e.emit(CallerPriorityChanged{At: e.now, Caller: c.id, Queue: q.cfg.Name, Priority: c.priority})
	e.emitOrderNow(q)
	return nil
}

// ---- joinempty / leavewhenempty ----

// queueEmpty is app_queue's get_member_status: true when no member of q can
// take a call under conds for a caller allowed penalties [minPen, maxPen].
// A logged-out agent is not a member (app_queue's dynamic member removed).
func (e *Engine) queueEmpty(q *queueState, conds []EmptyCondition, minPen, maxPen int) bool {
	has := func(c EmptyCondition) bool { return slices.Contains(conds, c) }
	for _, m := range q.members {
		a := m.agent
		if !a.loggedIn {
			continue
		}
		if (m.penalty < minPen || m.penalty > maxPen) && has(EmptyPenalty) {
			continue
		}
		st := a.device
		switch a.activity {
		case actRinging:
			st = DeviceRinging
		case actOnCall:
			st = DeviceInUse
		}
		switch st {
		case DeviceInvalid:
			if has(EmptyInvalid) {
				continue
			}
		case DeviceUnavailable:
			if has(EmptyUnavailable) {
				continue
			}
		case DeviceInUse:
			if has(EmptyInUse) {
				continue
			}
		case DeviceRinging:
			if has(EmptyRinging) {
				continue
			}
		case DeviceUnknown, "":
			if has(EmptyUnknown) {
				continue
			}
		}
		if (a.paused || m.paused) && has(EmptyPaused) {
			continue
		}
		if a.activity == actWrapUp && has(EmptyWrapup) {
			continue
		}
		return false
	}
	return true
}

// checkLeaveEmpty makes waiting callers leave when the queue is empty under
// leavewhenempty. Callers being rung are left alone, as app_queue checks only
// in its wait loop.
func (e *Engine) checkLeaveEmpty(q *queueState) {
	conds := q.cfg.LeaveWhenEmpty
	if len(conds) == 0 || q.removed {
		return
	}
	var leaving []*callerState
	lastMin, lastMax, lastEmpty, known := 0, 0, false, false
	for _, c := range q.order {
		if len(c.offers) > 0 {
			continue
		}
		if !known || c.minPen != lastMin || c.maxPen != lastMax {
			lastMin, lastMax = c.minPen, c.maxPen
			lastEmpty = e.queueEmpty(q, conds, c.minPen, c.maxPen)
			known = true
		}
		if lastEmpty && !c.virtual() { // a callback waits for its turn, agents or not
			leaving = append(leaving, c)
		}
	}
	for _, c := range leaving {
		e.leave(c, LeftLeaveEmpty, "", Exit{Caller: c.id, Queue: q.cfg.Name, Status: StatusLeaveEmpty})
	}
}
