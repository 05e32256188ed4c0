package queue

import (
	"sort"
	"time"
)

// Recorder accumulates per-interval statistics from domain events. It is pure
// and not safe for concurrent use: feed it the events Apply returns, in order.
//
// How each figure is counted (always in the interval in which the event
// happened, its At, except time-in-state which is split across intervals):
//   - Offered: CallerJoined that is not Resumed (a resumed caller was counted
//     before the restart), and the destination queue of a CallerMoved.
//   - Answered, AnsweredInSL, WaitSum, WaitMax: CallerLeft with LeftAnswered
//     (not CallConnected, so a call is counted once). In SL means Wait <= the
//     queue's ServiceLevel, as app_queue compares, taken from the last
//     QueueConfigured seen for the queue.
//   - Abandoned, AbandonWaitSum: CallerLeft with LeftAbandoned or LeftLost (the
//     caller hung up, whether or not stasisq was running to see it).
//     AbandonedShort is the subset of Abandoned whose Wait < ShortAbandon, so
//     ServiceLevelPercent is AnsweredInSL / (Answered + Abandoned - AbandonedShort).
//   - TimedOut: CallerLeft with LeftTimeout.
//   - Exited: every other CallerLeft (exit key, leave-empty, continued, hung up
//     by a supervisor) and the source queue of a CallerMoved, so that per queue
//     Offered = Answered + Abandoned + TimedOut + Exited + still waiting.
//   - TalkSum, TalkMax and the agent's Calls and Talk: CallCompleted. Calls
//     counts completed calls (as app_queue's member "calls" does), so Talk/Calls
//     is an average talk time within one interval.
//   - WrapSum, WrapMax and the agent's WrapUp: WrapUpEnded.
//   - Agent NoAnswers: OfferEnded with Result noanswer or rejected.
//   - Agent Paused and LoggedIn: the time an agent spent in a state, from
//     AgentStateChanged's Prev and PrevSince (or up to Advance), split across
//     interval boundaries. LoggedIn is every state but logged-out, so it
//     includes Paused.
//
// The Recorder keeps recorderRetention of intervals per queue and agent, and
// forgets older ones (drained or not) as new intervals begin: older figures
// live in the store only.
type Recorder struct {
	loc *time.Location

	serviceLevel map[string]time.Duration
	queues       map[string]*queueSeries
	agents       map[AgentID]*agentSeries
	dirtyQueues  []*queueSlot // changed since the last Drain
	dirtyAgents  []*agentSlot

	// The interval most events fall in, so that the engine's hot path does
	// not convert every event time to the wall clock.
	curStart, curEnd time.Time
}

// recorderRetention is how far back from its newest interval the Recorder
// keeps a queue's or agent's intervals: enough for "today" in any time zone
// and yesterday.
const recorderRetention = 48 * time.Hour

// queueSeries is one queue's intervals by start (unix ns); last is the one
// most recently touched, which is where the next event nearly always goes.
type queueSeries struct {
	slots map[int64]*queueSlot
	last  *queueSlot
}

type queueSlot struct {
	iv        QueueInterval
	key       int64
	dirty     bool // in Recorder.dirtyQueues
	forgotten bool // dropped by the retention while dirty: Drain skips it
}

type agentSeries struct {
	slots map[int64]*agentSlot
	last  *agentSlot
	// The state the agent is in and the instant up to which its time in it
	// has been counted.
	state AgentState
	upTo  time.Time
}

type agentSlot struct {
	iv        AgentInterval
	key       int64
	dirty     bool
	forgotten bool
}

// NewRecorder returns an empty Recorder whose intervals and days follow the
// wall clock of loc (nil means time.Local).
func NewRecorder(loc *time.Location) *Recorder {
	if loc == nil {
		loc = time.Local
	}
	return &Recorder{
		loc:          loc,
		serviceLevel: make(map[string]time.Duration),
		queues:       make(map[string]*queueSeries),
		agents:       make(map[AgentID]*agentSeries),
	}
}

// IntervalStart returns the start of the IntervalLength interval holding t,
// aligned to the wall clock of loc (nil means time.Local).
func IntervalStart(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.Local
	}
	t = t.In(loc)
	// Subtracting the wall clock's part past the quarter hour, rather than
	// building the time with time.Date, stays right in the repeated hour when
	// daylight saving time ends: every zone offset in use is a whole number of
	// quarter hours, so the offset is constant within an interval.
	past := time.Duration(t.Minute()%15)*time.Minute +
		time.Duration(t.Second())*time.Second +
		time.Duration(t.Nanosecond())
	return t.Add(-past)
}

// ServiceLevelPercent is answered within the service level over answered plus
// abandoned after ShortAbandon, 0..100; 0 when there is nothing to measure, as
// app_queue reports.
func (q QueueInterval) ServiceLevelPercent() float64 {
	den := q.Answered + q.Abandoned - q.AbandonedShort
	if den <= 0 {
		return 0
	}
	return 100 * float64(q.AnsweredInSL) / float64(den)
}

// Observe folds one event into the figures. Events that carry no statistics
// are ignored.
func (r *Recorder) Observe(ev Event) {
	switch ev := ev.(type) {
	case QueueConfigured:
		r.serviceLevel[ev.Config.Name] = ev.Config.ServiceLevel
	case CallerJoined:
		if !ev.Resumed {
			r.queueAt(ev.Queue, ev.At).Offered++
		}
	case CallerMoved:
		r.queueAt(ev.From, ev.At).Exited++
		r.queueAt(ev.To, ev.At).Offered++
	case CallerLeft:
		r.observeLeft(ev)
	case CallCompleted:
		q := r.queueAt(ev.Queue, ev.At)
		q.TalkSum += ev.Talk
		q.TalkMax = max(q.TalkMax, ev.Talk)
		a := r.agentAt(ev.Agent, ev.At)
		a.Calls++
		a.Talk += ev.Talk
	case WrapUpEnded:
		q := r.queueAt(ev.Queue, ev.At)
		q.WrapSum += ev.WrapUp
		q.WrapMax = max(q.WrapMax, ev.WrapUp)
		r.agentAt(ev.Agent, ev.At).WrapUp += ev.WrapUp
	case OfferEnded:
		if ev.Result == string(RingNoAnswer) || ev.Result == string(RingRejected) {
			r.agentAt(ev.Agent, ev.At).NoAnswers++
		}
	case AgentStateChanged:
		as := r.agent(ev.Agent)
		from := ev.PrevSince
		if as.upTo.After(from) {
			from = as.upTo // Advance already counted up to here
		}
		r.accrue(ev.Agent, as, ev.Prev, from, ev.At)
		as.state, as.upTo = ev.State, ev.At
	case AgentRemoved:
		if as, ok := r.agents[ev.Agent]; ok {
			r.accrue(ev.Agent, as, as.state, as.upTo, ev.At)
			as.state, as.upTo = AgentLoggedOut, ev.At
		}
	}
}

func (r *Recorder) observeLeft(ev CallerLeft) {
	q := r.queueAt(ev.Queue, ev.At)
	switch ev.Reason {
	case LeftAnswered:
		q.Answered++
		if ev.Wait <= r.serviceLevelOf(ev.Queue) {
			q.AnsweredInSL++
		}
		q.WaitSum += ev.Wait
		q.WaitMax = max(q.WaitMax, ev.Wait)
	case LeftAbandoned, LeftLost:
		q.Abandoned++
		if ev.Wait < ShortAbandon {
			q.AbandonedShort++
		}
		q.AbandonWaitSum += ev.Wait
	case LeftTimeout:
		q.TimedOut++
	default:
		q.Exited++
	}
}

func (r *Recorder) serviceLevelOf(queue string) time.Duration {
	if sl, ok := r.serviceLevel[queue]; ok {
		return sl
	}
	return DefaultQueueConfig(queue).ServiceLevel
}

// Advance counts every logged-in agent's time in its current state up to now,
// so that figures of an agent who has not changed state for a long time are
// current. Call it before Drain or AgentDay when the live value matters.
func (r *Recorder) Advance(now time.Time) {
	for id, as := range r.agents {
		if as.state == "" || as.state == AgentLoggedOut || !now.After(as.upTo) {
			continue
		}
		r.accrue(id, as, as.state, as.upTo, now)
		as.upTo = now
	}
}

// accrue adds the time [from, to) spent in state to the agent's intervals,
// split at interval boundaries.
func (r *Recorder) accrue(agent AgentID, as *agentSeries, state AgentState, from, to time.Time) {
	if state == "" || state == AgentLoggedOut || from.IsZero() || !to.After(from) {
		return
	}
	// A span longer than what is kept would only create intervals to forget.
	if oldest := to.Add(-recorderRetention); from.Before(oldest) {
		from = oldest
	}
	for from.Before(to) {
		start, end := r.interval(from)
		if end.After(to) {
			end = to
		}
		a := r.agentSlotAt(agent, as, start)
		d := end.Sub(from)
		a.LoggedIn += d
		if state == AgentPaused {
			a.Paused += d
		}
		from = end
	}
}

// interval returns the start and end of the interval holding t.
func (r *Recorder) interval(t time.Time) (time.Time, time.Time) {
	if !t.Before(r.curStart) && t.Before(r.curEnd) {
		return r.curStart, r.curEnd
	}
	start := IntervalStart(t, r.loc)
	end := start.Add(IntervalLength)
	if !t.Before(r.curEnd) || r.curEnd.IsZero() {
		r.curStart, r.curEnd = start, end // time moved on; earlier ones are rare
	}
	return start, end
}

func (r *Recorder) queueAt(queue string, at time.Time) *QueueInterval {
	start, _ := r.interval(at)
	k := start.UnixNano()
	qs := r.queues[queue]
	if qs == nil {
		qs = &queueSeries{slots: make(map[int64]*queueSlot)}
		r.queues[queue] = qs
	}
	sl := qs.last
	if sl == nil || sl.key != k {
		sl = qs.slots[k]
		if sl == nil {
			sl = &queueSlot{iv: QueueInterval{Queue: queue, Start: start}, key: k}
			qs.slots[k] = sl
			r.forgetQueue(qs, start)
		}
		qs.last = sl
	}
	if !sl.dirty {
		sl.dirty = true
		r.dirtyQueues = append(r.dirtyQueues, sl)
	}
	return &sl.iv
}

func (r *Recorder) agent(id AgentID) *agentSeries {
	as := r.agents[id]
	if as == nil {
		as = &agentSeries{slots: make(map[int64]*agentSlot)}
		r.agents[id] = as
	}
	return as
}

func (r *Recorder) agentAt(agent AgentID, at time.Time) *AgentInterval {
	start, _ := r.interval(at)
	return r.agentSlotAt(agent, r.agent(agent), start)
}

func (r *Recorder) agentSlotAt(agent AgentID, as *agentSeries, start time.Time) *AgentInterval {
	k := start.UnixNano()
	sl := as.last
	if sl == nil || sl.key != k {
		sl = as.slots[k]
		if sl == nil {
			sl = &agentSlot{iv: AgentInterval{Agent: agent, Start: start}, key: k}
			as.slots[k] = sl
			r.forgetAgent(as, start)
		}
		as.last = sl
	}
	if !sl.dirty {
		sl.dirty = true
		r.dirtyAgents = append(r.dirtyAgents, sl)
	}
	return &sl.iv
}

// Drain returns the full current figures of every interval changed since the
// last Drain, sorted by queue (agent) then start.
func (r *Recorder) Drain() (queues []QueueInterval, agents []AgentInterval) {
	for _, sl := range r.dirtyQueues {
		sl.dirty = false
		if !sl.forgotten {
			queues = append(queues, sl.iv)
		}
	}
	for _, sl := range r.dirtyAgents {
		sl.dirty = false
		if !sl.forgotten {
			agents = append(agents, sl.iv)
		}
	}
	clear(r.dirtyQueues)
	clear(r.dirtyAgents)
	r.dirtyQueues, r.dirtyAgents = r.dirtyQueues[:0], r.dirtyAgents[:0]
	sort.Slice(queues, func(i, j int) bool {
		if queues[i].Queue != queues[j].Queue {
			return queues[i].Queue < queues[j].Queue
		}
		return queues[i].Start.Before(queues[j].Start)
	})
	sort.Slice(agents, func(i, j int) bool {
		if agents[i].Agent != agents[j].Agent {
			return agents[i].Agent < agents[j].Agent
		}
		return agents[i].Start.Before(agents[j].Start)
	})
	return queues, agents
}

// forgetQueue drops the series' intervals older than the retention before
// now, drained or not. It runs when an interval is created, once per queue
// per interval at most, so the cost stays small and spread out and a
// Recorder that is never drained (the engine's own) does not grow.
func (r *Recorder) forgetQueue(qs *queueSeries, now time.Time) {
	oldest := now.Add(-recorderRetention).UnixNano()
	for k, sl := range qs.slots {
		if k < oldest {
			sl.forgotten = true
			delete(qs.slots, k)
		}
	}
}

func (r *Recorder) forgetAgent(as *agentSeries, now time.Time) {
	oldest := now.Add(-recorderRetention).UnixNano()
	for k, sl := range as.slots {
		if k < oldest {
			sl.forgotten = true
			delete(as.slots, k)
		}
	}
}

// Load seeds the Recorder with figures from the store, replacing any it holds
// for the same queue (agent) and interval. Loaded intervals are not returned
// by Drain until they change. Start is realigned to the Recorder's intervals.
func (r *Recorder) Load(queues []QueueInterval, agents []AgentInterval) {
	for _, q := range queues {
		q.Start = IntervalStart(q.Start, r.loc)
		k := q.Start.UnixNano()
		qs := r.queues[q.Queue]
		if qs == nil {
			qs = &queueSeries{slots: make(map[int64]*queueSlot)}
			r.queues[q.Queue] = qs
		}
		if sl := qs.slots[k]; sl != nil {
			sl.iv = q
			continue
		}
		qs.slots[k] = &queueSlot{iv: q, key: k}
	}
	for _, a := range agents {
		a.Start = IntervalStart(a.Start, r.loc)
		k := a.Start.UnixNano()
		as := r.agent(a.Agent)
		if sl := as.slots[k]; sl != nil {
			sl.iv = a
			continue
		}
		as.slots[k] = &agentSlot{iv: a, key: k}
	}
}

// dayBounds returns the local midnight starting day's date and the next one.
func (r *Recorder) dayBounds(day time.Time) (time.Time, time.Time) {
	d := day.In(r.loc)
	start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, r.loc)
	end := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, r.loc)
	return start, end
}

// QueueDay sums the queue's intervals of the local day holding day. Start is
// that day's local midnight; maxima are the day's maxima. It walks the
// queue's intervals, which the retention keeps to a few hundred.
func (r *Recorder) QueueDay(queue string, day time.Time) QueueInterval {
	start, end := r.dayBounds(day)
	sum := QueueInterval{Queue: queue, Start: start}
	from, to := start.UnixNano(), end.UnixNano()
	qs := r.queues[queue]
	if qs == nil {
		return sum
	}
	for k, sl := range qs.slots {
		if k < from || k >= to {
			continue
		}
		sum.Add(sl.iv)
	}
	return sum
}

// AgentDay sums the agent's intervals of the local day holding day.
func (r *Recorder) AgentDay(agent AgentID, day time.Time) AgentInterval {
	start, end := r.dayBounds(day)
	sum := AgentInterval{Agent: agent, Start: start}
	from, to := start.UnixNano(), end.UnixNano()
	as := r.agents[agent]
	if as == nil {
		return sum
	}
	for k, sl := range as.slots {
		if k < from || k >= to {
			continue
		}
		sum.Add(sl.iv)
	}
	return sum
}
