package queue

import "time"

// Abandon-resume: a caller who hangs up while waiting in a queue with
// AbandonResume and calls the same queue again from the same number within
// that window takes its old place again: it sorts by its first join time
// and priority, its wait clock goes on from where it stopped (the time away
// does not count as waiting), and the two visits are one call: the
// abandon is taken back (CallerReturned) and the return is not offered
// again. A visit is kept for one return; a caller with no number (or
// "anonymous") is never matched.

// MaxAbandonResume bounds the window: the store replays the visits of the
// last day at start.
const MaxAbandonResume = 24 * time.Hour

// abandoned is a visit whose place is kept.
type abandoned struct {
	caller   CallerID
	queue    string
	number   string // as the caller presented it
	priority int
	orderAt  time.Time // where it sorts: its first join
	wait     time.Duration
	leftAt   time.Time
}

// numberKey is how a return is matched: the digits of the number, so that
// "+44 20 7946 0042" and "442079460042" are one caller.
func numberKey(number string) string { return Digits(number) }

// rememberAbandon keeps the place of a caller that just abandoned c's queue.
func (e *Engine) rememberAbandon(c *callerState) {
	e.keepVisit(&abandoned{caller: c.id, queue: c.q.cfg.Name, number: c.number, priority: c.priority,
		orderAt: c.orderAt, wait: e.now.Sub(c.joinedAt), leftAt: e.now})
}

// rememberVisit is rememberAbandon for a visit that ended before a restart.
func (e *Engine) rememberVisit(in AbandonedVisit) {
	e.keepVisit(&abandoned{caller: in.Caller, queue: in.Queue, number: in.Number, priority: in.Priority,
		orderAt: in.JoinedAt, wait: in.Wait, leftAt: in.LeftAt})
}

func (e *Engine) keepVisit(v *abandoned) {
	q, ok := e.queues[v.queue]
	key := numberKey(v.number)
	if !ok || q.cfg.AbandonResume <= 0 || key == "" {
		return
	}
	until := v.leftAt.Add(q.cfg.AbandonResume)
	if !until.After(e.now) {
		return
	}
	byNumber := e.abandoned[v.queue]
	if byNumber == nil {
		byNumber = make(map[string]*abandoned)
		e.abandoned[v.queue] = byNumber
	}
	// A second abandon from the number replaces the first: its place is
	// the one the caller last had (the same one, if it came back in time).
	byNumber[key] = v
	e.arm(until, timer{kind: timerForgetVisit, visit: v})
}

func (e *Engine) forgetVisit(v *abandoned) {
	byNumber := e.abandoned[v.queue]
	key := numberKey(v.number)
	if byNumber[key] == v {
		delete(byNumber, key)
		if len(byNumber) == 0 {
			delete(e.abandoned, v.queue)
		}
	}
}

// returning takes the kept visit of a caller joining q, if any: the one
// from its number still inside the queue's window (a window shortened
// since is honoured).
func (e *Engine) returning(q *queueState, number string) *abandoned {
	key := numberKey(number)
	if key == "" {
		return nil
	}
	v := e.abandoned[q.cfg.Name][key]
	if v == nil {
		return nil
	}
	e.forgetVisit(v)
	if q.cfg.AbandonResume <= 0 || e.now.Sub(v.leftAt) > q.cfg.AbandonResume {
		return nil
	}
	return v
}
