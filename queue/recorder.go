package queue

import (
	"maps"
	"sort"
	"time"
)

// Recorder accumulates per-interval statistics from domain events. It is pure
// and not safe for concurrent use: feed it the events Apply returns, in order.
//
// How each figure is counted (always in the interval in which the event
// happened, its At, except time-in-state which is split across intervals):
//   - Offered: CallerJoined that is not Resumed (a resumed caller was counted
//     before the restart) nor a return whose abandon was taken back, and
//     the destination queue of a CallerMoved.
//   - Answered, AnsweredInSL, WaitSum, WaitMax: CallerLeft with LeftAnswered
//     (not CallConnected, so a call is counted once). In SL means Wait <= the
//     queue's ServiceLevel, as app_queue compares, taken from the last
//     QueueConfigured seen for the queue.
//   - Abandoned, AbandonWaitSum: CallerLeft with LeftAbandoned or LeftLost (the
//     caller hung up, whether or not stasisq was running to see it).
//     AbandonedShort is the subset of Abandoned whose Wait < ShortAbandon, so
//     ServiceLevelPercent is AnsweredInSL / (Answered + Abandoned - AbandonedShort).
//     CallerReturned takes an abandon back from the interval that counted
//     it (abandon-resume: the two visits are one call), while it is kept.
//   - TimedOut: CallerLeft with LeftTimeout.
//   - Callbacks: CallbackRequested; CallbacksFailed: CallerLeft with
//     LeftCallbackFailed (also Exited). An answered callback is Answered.
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
	queues       map[string]*series[QueueInterval]
	agents       map[AgentID]*agentSeries
	dirtyQueues  []*slot[QueueInterval] // changed since the last Drain
	dirtyAgents  []*slot[AgentInterval]
	// retracted are the returning callers whose first visit's abandon was
	// taken back, until their CallerJoined (which follows at once).
	retracted map[CallerID]bool

	// The interval most events fall in, so that the engine's hot path does
	// not convert every event time to the wall clock.
	curStart, curEnd time.Time
}

// recorderRetention is how far back from its newest interval the Recorder
// keeps a queue's or agent's intervals: enough for "today" in any time zone
// and yesterday.
const recorderRetention = 48 * time.Hour

// series is one queue's or agent's intervals by start (unix ns); last is the
// one most recently touched, which is where the next event nearly always goes.
type series[I any] struct {
	slots map[int64]*slot[I]
	last  *slot[I]
}

func newSeries[I any]() series[I] {
	return series[I]{slots: make(map[int64]*slot[I])}
}

type slot[I any] struct {
	iv        I
	key       int64
	dirty     bool // in Recorder.dirtyQueues or dirtyAgents
	forgotten bool // dropped by the retention while dirty: Drain skips it
}

type agentSeries struct {
	series[AgentInterval]
	// The state the agent is in and the instant up to which its time in it
	// has been counted.
	state  AgentState
	reason string // the pause's, while paused
	upTo   time.Time
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
		queues:       make(map[string]*series[QueueInterval]),
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
		if ev.Resumed {
			break
		}
		if ev.ReturnOf != "" && r.retracted[ev.Caller] {
			delete(r.retracted, ev.Caller) // one call with its first visit
			break
		}
		r.queueAt(ev.Queue, ev.At).Offered++
	case CallerReturned:
		r.retractAbandon(ev)
	case CallbackRequested:
		r.queueAt(ev.Queue, ev.At).Callbacks++
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
		r.accrue(ev.Agent, as, ev.Prev, as.reason, from, ev.At)
		as.state, as.reason, as.upTo = ev.State, ev.Reason, ev.At
	case AgentRemoved:
		if as, ok := r.agents[ev.Agent]; ok {
			r.accrue(ev.Agent, as, as.state, as.reason, as.upTo, ev.At)
			as.state, as.reason, as.upTo = AgentLoggedOut, "", ev.At
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
		q.WaitHist[waitBucket(ev.Wait)]++
	case LeftAbandoned, LeftLost:
		q.Abandoned++
		if ev.Wait < ShortAbandon {
			q.AbandonedShort++
		}
		q.AbandonWaitSum += ev.Wait
	case LeftTimeout:
		q.TimedOut++
	case LeftCallbackFailed:
		q.Exited++
		q.CallbacksFailed++
	default:
		q.Exited++
	}
}

// retractAbandon takes back the abandon of a visit its caller came back
// to: the interval it was counted in loses it, and the return is not
// offered again. An interval no longer kept (the visit ended before the
// recorder's days) keeps its abandon, and the return counts as a call of
// its own: figures already stored are never rewritten from nothing.
func (r *Recorder) retractAbandon(ev CallerReturned) {
	qs := r.queues[ev.Queue]
	if qs == nil {
		return
	}
	sl := qs.slots[IntervalStart(ev.LeftAt, r.loc).UnixNano()]
	if sl == nil || sl.forgotten || sl.iv.Abandoned == 0 {
		return
	}
	iv := &sl.iv
	iv.Abandoned--
	if ev.Wait < ShortAbandon && iv.AbandonedShort > 0 {
		iv.AbandonedShort--
	}
	iv.AbandonWaitSum = max(0, iv.AbandonWaitSum-ev.Wait)
	if !sl.dirty {
		sl.dirty = true
		r.dirtyQueues = append(r.dirtyQueues, sl)
	}
	if r.retracted == nil {
		r.retracted = make(map[CallerID]bool)
	}
	r.retracted[ev.AsCaller] = true
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
		r.accrue(id, as, as.state, as.reason, as.upTo, now)
		as.upTo = now
	}
}

// accrue adds the time [from, to) spent in state (paused: for reason) to the
// agent's intervals, split at interval boundaries.
func (r *Recorder) accrue(agent AgentID, as *agentSeries, state AgentState, reason string, from, to time.Time) {
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
			if a.PausedBy == nil {
				a.PausedBy = map[string]time.Duration{}
			}
			a.PausedBy[reason] += d
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
	return slotAt(r.queue(queue), &r.dirtyQueues, start, func() QueueInterval {
		return QueueInterval{Queue: queue, Start: start}
	})
}

func (r *Recorder) queue(name string) *series[QueueInterval] {
	qs := r.queues[name]
	if qs == nil {
		s := newSeries[QueueInterval]()
		qs = &s
		r.queues[name] = qs
	}
	return qs
}

func (r *Recorder) agent(id AgentID) *agentSeries {
	as := r.agents[id]
	if as == nil {
		as = &agentSeries{series: newSeries[AgentInterval]()}
		r.agents[id] = as
	}
	return as
}

func (r *Recorder) agentAt(agent AgentID, at time.Time) *AgentInterval {
	start, _ := r.interval(at)
	return r.agentSlotAt(agent, r.agent(agent), start)
}

func (r *Recorder) agentSlotAt(agent AgentID, as *agentSeries, start time.Time) *AgentInterval {
	return slotAt(&as.series, &r.dirtyAgents, start, func() AgentInterval {
		return AgentInterval{Agent: agent, Start: start}
	})
}

// slotAt returns s's interval starting at start, marked dirty in *dirty. A
// new interval is fresh(), and its creation forgets those past the retention.
func slotAt[I any](s *series[I], dirty *[]*slot[I], start time.Time, fresh func() I) *I {
	k := start.UnixNano()
	sl := s.last
	if sl == nil || sl.key != k {
		sl = s.slots[k]
		if sl == nil {
			sl = &slot[I]{iv: fresh(), key: k}
			s.slots[k] = sl
			s.forget(start)
		}
		s.last = sl
	}
	if !sl.dirty {
		sl.dirty = true
		*dirty = append(*dirty, sl)
	}
	return &sl.iv
}

// Drain returns the full current figures of every interval changed since the
// last Drain, sorted by queue (agent) then start.
func (r *Recorder) Drain() (queues []QueueInterval, agents []AgentInterval) {
	queues = drain(&r.dirtyQueues)
	agents = drain(&r.dirtyAgents)
	for i := range agents {
		// The recorder goes on adding to its own map; the caller (the
		// store's writer, on its goroutine) gets one of its own.
		agents[i].PausedBy = maps.Clone(agents[i].PausedBy)
	}
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

// drain empties *dirty and returns the figures of its intervals that are
// not forgotten, in the order they changed.
func drain[I any](dirty *[]*slot[I]) []I {
	var out []I
	for _, sl := range *dirty {
		sl.dirty = false
		if !sl.forgotten {
			out = append(out, sl.iv)
		}
	}
	clear(*dirty)
	*dirty = (*dirty)[:0]
	return out
}

// forget drops the series' intervals older than the retention before now,
// drained or not. It runs when an interval is created, once per queue or
// agent per interval at most, so the cost stays small and spread out and a
// Recorder that is never drained (the engine's own) does not grow.
func (s *series[I]) forget(now time.Time) {
	oldest := now.Add(-recorderRetention).UnixNano()
	for k, sl := range s.slots {
		if k < oldest {
			sl.forgotten = true
			delete(s.slots, k)
		}
	}
}

// load sets the interval starting at key k to iv, not marking it dirty.
func (s *series[I]) load(k int64, iv I) {
	if sl := s.slots[k]; sl != nil {
		sl.iv = iv
		return
	}
	s.slots[k] = &slot[I]{iv: iv, key: k}
}

// Load seeds the Recorder with figures from the store, replacing any it holds
// for the same queue (agent) and interval. Loaded intervals are not returned
// by Drain until they change. Start is realigned to the Recorder's intervals.
func (r *Recorder) Load(queues []QueueInterval, agents []AgentInterval) {
	for _, q := range queues {
		q.Start = IntervalStart(q.Start, r.loc)
		r.queue(q.Queue).load(q.Start.UnixNano(), q)
	}
	for _, a := range agents {
		a.Start = IntervalStart(a.Start, r.loc)
		r.agent(a.Agent).load(a.Start.UnixNano(), a)
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
	if qs := r.queues[queue]; qs != nil {
		addRange(qs, start, end, &sum)
	}
	return sum
}

// AgentDay sums the agent's intervals of the local day holding day.
func (r *Recorder) AgentDay(agent AgentID, day time.Time) AgentInterval {
	start, end := r.dayBounds(day)
	sum := AgentInterval{Agent: agent, Start: start}
	if as := r.agents[agent]; as != nil {
		addRange(&as.series, start, end, &sum)
	}
	return sum
}

// addRange adds into sum the series' intervals that start in [from, to).
func addRange[I any, P interface {
	*I
	Add(I)
}](s *series[I], from, to time.Time, sum P) {
	lo, hi := from.UnixNano(), to.UnixNano()
	for k, sl := range s.slots {
		if k >= lo && k < hi {
			sum.Add(sl.iv)
		}
	}
}
