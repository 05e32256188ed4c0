package queue

import (
	"maps"
	"slices"
	"time"
)

// Snapshot returns the whole live state, sharing nothing with the engine.
func (e *Engine) Snapshot(now time.Time) Snapshot {
	e.stats.Advance(now)
	s := Snapshot{At: now, Queues: make([]QueueView, 0, len(e.queues)), Agents: make([]AgentView, 0, len(e.agents))}
	for _, name := range slices.Sorted(maps.Keys(e.queues)) {
		s.Queues = append(s.Queues, e.queueView(e.queues[name], now))
	}
	for _, id := range slices.Sorted(maps.Keys(e.agents)) {
		s.Agents = append(s.Agents, e.agentView(e.agents[id], now))
	}
	return s
}

// Caller returns a waiting, ringing or connected caller.
func (e *Engine) Caller(id CallerID) (CallerView, bool) {
	c, ok := e.callers[id]
	if !ok {
		return CallerView{}, false
	}
	pos := 0
	if !c.connected {
		pos = c.q.position(c)
	}
	return e.callerView(c, pos), true
}

// Connected reports whether caller id is talking to an agent (answered,
// the call not yet ended).
func (e *Engine) Connected(id CallerID) bool {
	c, ok := e.callers[id]
	return ok && c.connected
}

// HoldsPlace reports whether caller id is a callback holding its place
// without a line of its own (callback.go).
func (e *Engine) HoldsPlace(id CallerID) bool {
	c, ok := e.callers[id]
	return ok && c.virtual()
}

// Agent returns one agent's live state.
func (e *Engine) Agent(id AgentID) (AgentView, bool) {
	a, ok := e.agents[id]
	if !ok {
		return AgentView{}, false
	}
	return e.agentView(a, time.Time{}), true
}

// Queue returns one queue with its callers and figures (today's as of the
// latest input applied).
func (e *Engine) Queue(name string) (QueueView, bool) {
	q, ok := e.queues[name]
	if !ok {
		return QueueView{}, false
	}
	return e.queueView(q, e.now), true
}

func (e *Engine) callerView(c *callerState, pos int) CallerView {
	v := CallerView{
		ID: c.id, Queue: c.q.cfg.Name, Position: pos, Priority: c.priority, Number: c.number, Name: c.name,
		JoinedAt: c.joinedAt, Skills: cloneSkills(c.skills), Ringing: c.ringing(), Returned: c.returned,
	}
	if pos > 0 {
		v.ExpectedWait = e.expectedWait(c.q, pos)
	}
	if c.virtual() {
		v.Callback, v.CallbackNumber, v.CallbackAttempts = c.cb.phase.String(), c.cb.number, c.cb.attempts
	}
	return v
}

func (e *Engine) queueView(q *queueState, now time.Time) QueueView {
	v := QueueView{Config: cloneQueueConfig(q.cfg), Callers: make([]CallerView, len(q.order))}
	rt := RealTime{Waiting: len(q.order), InProgress: q.inProgress, Agents: make(map[AgentState]int)}
	for i, c := range q.order {
		v.Callers[i] = e.callerView(c, i+1)
		if w := now.Sub(c.joinedAt); w > rt.LongestWait {
			rt.LongestWait = w
		}
	}
	for _, m := range q.members {
		rt.Agents[m.agent.displayState()]++
	}
	if !now.IsZero() {
		rt.Today = e.stats.QueueDay(q.cfg.Name, now)
		rt.ServiceLevel = rt.Today.ServiceLevelPercent()
	}
	rt.ExpectedWait = e.expectedWait(q, len(q.order)+1)
	v.RealTime = rt
	return v
}

func (e *Engine) agentView(a *agentState, now time.Time) AgentView {
	v := AgentView{
		Config:      cloneAgentConfig(a.cfg),
		State:       a.displayState(),
		Since:       a.since,
		Device:      a.device,
		LastCallEnd: a.lastCallEnd,
	}
	if v.State == AgentPaused {
		v.Reason = a.reason
	}
	for _, m := range a.members {
		if m.paused {
			v.PausedIn = append(v.PausedIn, m.q.cfg.Name)
		}
	}
	if a.activity != actIdle {
		if c := a.caller; c != nil {
			v.Caller, v.CallerNumber, v.CallerName = c.id, c.number, c.name
			if c.rec != nil && c.connected && !c.gone {
				v.Recording = c.rec.state
			}
			if c.connected && !c.gone {
				v.Monitors = monitorsOf(c)
			}
		}
		if a.queue != nil {
			v.Queue = a.queue.cfg.Name
		}
		if a.offer != nil {
			v.Offer = a.offer.id
		}
	}
	if now.IsZero() {
		now = e.now
	}
	if !now.IsZero() {
		v.Today = e.stats.AgentDay(a.id, now)
	}
	return v
}
