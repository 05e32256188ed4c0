package queue

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// Options configure an Engine.
type Options struct {
	// Rand drives the random and wrandom strategies and random periodic
	// announcements; nil means a generator seeded from 1.
	Rand *rand.Rand
	// Location is the time zone of "today" figures; nil means time.Local.
	Location *time.Location
	// OfferPrefix starts every OfferID; set it per process start so ids never
	// repeat across restarts.
	OfferPrefix string
}

// offerDigits is the fixed width of an offer id's counter: Asterisk refuses a
// channel id that is a case-insensitive prefix of a live one, which "x-1"
// would be of "x-10" with a variable width.
const offerDigits = 10

// deadOfferTTL is how long a cancelled offer is remembered, so that its leg
// answering late is hung up rather than reported as unknown.
const deadOfferTTL = 2 * time.Minute

// Engine is the call-centre state machine. It is not safe for concurrent use:
// one goroutine owns it and feeds it inputs in order.
type Engine struct {
	rng    *rand.Rand
	loc    *time.Location
	prefix string

	offerSeq uint64
	joinSeq  uint64
	loginSeq uint64
	timerSeq uint64

	queues     map[string]*queueState
	agents     map[AgentID]*agentState
	callers    map[CallerID]*callerState
	offers     map[OfferID]*offer
	deadOffers map[OfferID]*offer
	// abandoned are the visits whose place a caller calling back from the
	// same number gets again, by queue then number digits (returning.go).
	abandoned map[string]map[string]*abandoned

	timers timerHeap
	stats  *Recorder

	// Per-Apply scratch, reused so that Apply allocates only its result.
	now          time.Time
	out          Ready
	freedAgents  []*agentState
	readyCallers []*callerState
	leaveDirty   []*queueState
	announceDue  []*callerState
	scratch      []*member
}

// NewEngine returns an engine with no queues and no agents.
func NewEngine(opts Options) *Engine {
	rng := opts.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 1))
	}
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	return &Engine{
		rng:        rng,
		loc:        loc,
		prefix:     opts.OfferPrefix,
		queues:     make(map[string]*queueState),
		agents:     make(map[AgentID]*agentState),
		callers:    make(map[CallerID]*callerState),
		offers:     make(map[OfferID]*offer),
		deadOffers: make(map[OfferID]*offer),
		abandoned:  make(map[string]map[string]*abandoned),
		stats:      NewRecorder(loc),
	}
}

// LoadStatistics seeds the figures the snapshot shows for today with the
// stored intervals (store.RecentStatistics), before the first Apply: after a
// restart the floor's "today" goes on from where it was instead of zero.
func (e *Engine) LoadStatistics(queues []QueueInterval, agents []AgentInterval) {
	e.stats.Load(queues, agents)
}

// CheckConfig reports whether Apply would accept the configuration change
// in (ConfigureQueue, RemoveQueue, ConfigureAgent, RemoveAgent) in the
// current state, changing nothing: the call flow checks, stores the change,
// then applies it, all on its loop, so that store and engine change together
// or not at all.
func (e *Engine) CheckConfig(in Input) error {
	if err := ValidateConfig(in); err != nil {
		return err
	}
	switch in := in.(type) {
	case RemoveQueue:
		return e.checkRemoveQueue(in.Queue)
	case RemoveAgent:
		return e.checkRemoveAgent(in.Agent)
	}
	return nil
}

func (e *Engine) checkRemoveQueue(name string) error {
	if _, ok := e.queues[name]; !ok {
		return fmt.Errorf("remove queue %q: %w", name, ErrUnknownQueue)
	}
	return nil
}

func (e *Engine) checkRemoveAgent(id AgentID) error {
	a, ok := e.agents[id]
	if !ok {
		return fmt.Errorf("remove agent %q: %w", id, ErrUnknownAgent)
	}
	if a.activity == actOnCall {
		return fmt.Errorf("remove agent %q: on a call: %w", id, ErrNotAllowed)
	}
	return nil
}

// Apply takes one input that happened at now and returns what follows from
// it (see Ready for the order to carry it out in). A refused command
// returns an empty Ready and the error, and changes nothing.
func (e *Engine) Apply(now time.Time, in Input) (Ready, error) {
	e.now = now
	// Most inputs emit a few events; sized once, as the single effects
	// slice was before Ready split it.
	e.out = Ready{Events: make([]Event, 0, 8)}
	var err error
	switch in := in.(type) {
	case ConfigureQueue:
		err = e.configureQueue(in.Config)
	case RemoveQueue:
		err = e.removeQueue(in.Queue)
	case ConfigureAgent:
		err = e.configureAgent(in.Config)
	case RemoveAgent:
		err = e.removeAgent(in.Agent)
	case CallerJoin:
		err = e.join(in)
	case CallerHangup:
		err = e.callerHangup(in.Caller)
	case CallerDTMF:
		err = e.callerDTMF(in)
	case CallerLost:
		err = e.callerLost(in.Caller)
	case AbandonedVisit:
		e.rememberVisit(in)
	case CallbackAnswered:
		err = e.callbackAnswered(in)
	case CallbackFailed:
		err = e.callbackFailed(in)
	case AnnouncementDone:
		e.announcementDone(in.Caller)
	case AgentLogin:
		err = e.login(in)
	case AgentLogout:
		err = e.logout(in.Agent)
	case AgentPause:
		err = e.pause(in.Agent, in.Reason)
	case AgentUnpause:
		err = e.unpause(in.Agent)
	case MemberPause:
		err = e.memberPause(in)
	case AgentWrapUpDone:
		err = e.wrapUpDone(in.Agent)
	case RecordingControl:
		err = e.recordingControl(in)
	case RecordingReport:
		err = e.recordingReport(in)
	case MonitorChange:
		err = e.monitorChange(in)
	case AgentDeviceState:
		err = e.deviceState(in)
	case SetAgentQueues:
		err = e.setAgentQueues(in.Agent, in.Queues)
	case Pick:
		err = e.pick(in)
	case OfferAnswered:
		err = e.offerAnswered(in.Offer)
	case OfferFailed:
		err = e.offerFailed(in)
	case CallEnded:
		err = e.callEnded(in.Caller, in.By)
	case CallTransferred:
		err = e.callTransferred(in)
	case CallResumed:
		err = e.callResumed(in)
	case Reorder:
		err = e.reorder(in)
	case Move:
		err = e.move(in)
	case SetPriority:
		err = e.setPriority(in)
	case Remove:
		err = e.supervisorRemove(in)
	case Tick:
		e.tick()
	default:
		err = fmt.Errorf("input %T: %w", in, ErrInvalid)
	}
	if err != nil {
		// Every handler validates before it mutates, so nothing was emitted.
		e.out = Ready{}
		return Ready{}, err
	}
	e.settle()
	out := e.out
	e.out = Ready{}
	return out, nil
}

// emit records an effect in this Apply's Ready; domain events also feed
// the statistics.
func (e *Engine) emit(ef Effect) {
	if ev, ok := ef.(Event); ok {
		e.stats.Observe(ev)
	}
	e.out.add(ef)
}

// settle restores the engine's invariant after a change: no routable agent
// stays idle while an idle caller that could take it waits. It routes what
// the change freed, then applies leavewhenempty, then plays announcements
// that came due (after routing, so a caller just rung hears nothing).
func (e *Engine) settle() {
	for {
		switch {
		case len(e.freedAgents) > 0:
			a := e.freedAgents[0]
			e.freedAgents = slices.Delete(e.freedAgents, 0, 1)
			e.agentFreed(a)
		case len(e.readyCallers) > 0:
			c := e.readyCallers[0]
			e.readyCallers = slices.Delete(e.readyCallers, 0, 1)
			e.callerReady(c)
		case len(e.leaveDirty) > 0:
			q := e.leaveDirty[0]
			e.leaveDirty = slices.Delete(e.leaveDirty, 0, 1)
			q.leaveDirty = false
			e.checkLeaveEmpty(q)
		default:
			e.flushAnnouncements()
			return
		}
	}
}

// emitOrderNow emits a queue's whole order, right after the change (the
// flow's documented order puts it after CallerJoined / CallerLeft).
func (e *Engine) emitOrderNow(q *queueState) {
	e.emit(QueueOrderChanged{At: e.now, Queue: q.cfg.Name, Callers: q.ids()})
}

func (e *Engine) markLeaveDirty(q *queueState) {
	if len(q.cfg.LeaveWhenEmpty) == 0 || q.leaveDirty || len(q.order) == 0 || q.removed {
		return
	}
	q.leaveDirty = true
	e.leaveDirty = append(e.leaveDirty, q)
}

func (e *Engine) nextOfferID() OfferID {
	e.offerSeq++
	var digits [20]byte
	n := strconv.AppendUint(digits[:0], e.offerSeq, 10)
	b := make([]byte, 0, len(e.prefix)+max(offerDigits, len(n)))
	b = append(b, e.prefix...)
	for range offerDigits - len(n) {
		b = append(b, '0')
	}
	return OfferID(append(b, n...))
}

// ---- configuration ----

func (e *Engine) configureQueue(cfg QueueConfig) error {
	if err := ValidateQueue(cfg); err != nil {
		return fmt.Errorf("configure queue %q: %w", cfg.Name, err)
	}
	hours, err := ParseHours(cfg.CallbackHours) // once here, not at every announcement
	if err != nil {
		return fmt.Errorf("configure queue %q: callback_hours: %w", cfg.Name, err)
	}
	cfg = cloneQueueConfig(cfg)
	q, exists := e.queues[cfg.Name]
	if !exists {
		q = &queueState{}
		e.queues[cfg.Name] = q
	}
	if exists && q.cfg.Strategy != cfg.Strategy {
		q.rrNext = 0
	}
	q.cfg = cfg
	q.callbackHours = hours
	q.rules = slices.Clone(cfg.Rules)
	slices.SortStableFunc(q.rules, func(a, b PenaltyRule) int { return int(a.After - b.After) })
	e.emit(QueueConfigured{At: e.now, Config: cloneQueueConfig(cfg)})
	if !exists {
		// Agents configured before their queue become its members now, in
		// agent id order so that member positions do not depend on map order.
		ids := make([]AgentID, 0, len(e.agents))
		for id := range e.agents {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			a := e.agents[id]
			for _, ms := range a.cfg.Queues {
				if ms.Queue == cfg.Name {
					e.addMember(a, q, ms)
				}
			}
		}
	}
	// ringinuse and other settings change who is routable.
	for _, m := range q.members {
		e.refreshMember(m)
	}
	e.markLeaveDirty(q)
	if exists {
		e.rearmCallers(q)
	}
	for _, c := range q.order {
		if c.idle() {
			e.readyCallers = append(e.readyCallers, c)
			break // callerReady routes the queue from the front
		}
	}
	return nil
}

// rearmCallers applies a changed configuration to the callers already
// waiting: maxwait, announcements and periodic announcements are re-armed
// from their join (rules keep their progress through the new list).
func (e *Engine) rearmCallers(q *queueState) {
	var expired []*callerState
	for _, c := range q.order {
		e.armMaxWait(c)
		if e.pastMaxWait(c) {
			expired = append(expired, c)
		}
		e.armRule(c)
		// Voids an armed periodic timer; none is armed while one plays.
		c.perGen++
		if !c.annPlaying && q.cfg.PeriodicAnnounceFrequency > 0 && len(q.cfg.PeriodicAnnounce) > 0 {
			e.arm(c.lastPeriodic.Add(q.cfg.PeriodicAnnounceFrequency), timer{kind: timerPeriodic, caller: c, gen: c.perGen})
		}
		c.annGen++
		if q.cfg.AnnounceFrequency > 0 {
			e.announceDue = append(e.announceDue, c)
		}
	}
	for _, c := range expired {
		e.maxWaitReached(c)
	}
}

func cloneQueueConfig(c QueueConfig) QueueConfig {
	c.JoinEmpty = slices.Clone(c.JoinEmpty)
	c.LeaveWhenEmpty = slices.Clone(c.LeaveWhenEmpty)
	c.PeriodicAnnounce = slices.Clone(c.PeriodicAnnounce)
	c.Rules = slices.Clone(c.Rules)
	c.Sounds = maps.Clone(c.Sounds)
	return c
}

func cloneAgentConfig(c AgentConfig) AgentConfig {
	c.Queues = slices.Clone(c.Queues)
	if c.Skills != nil {
		s := make(map[string]int, len(c.Skills))
		for k, v := range c.Skills {
			s[k] = v
		}
		c.Skills = s
	}
	if c.RingInUse != nil {
		v := *c.RingInUse
		c.RingInUse = &v
	}
	return c
}

func (e *Engine) removeQueue(name string) error {
	if err := e.checkRemoveQueue(name); err != nil {
		return err
	}
	q := e.queues[name]
	for len(q.order) > 0 {
		c := q.order[0]
		e.leave(c, LeftContinued, "", Exit{Caller: c.id, Queue: name, Status: StatusLeaveEmpty})
	}
	for _, m := range q.members {
		a := m.agent
		if m.availIdx >= 0 {
			q.dropAvail(m)
		}
		a.members = slices.DeleteFunc(a.members, func(x *member) bool { return x == m })
	}
	q.removed = true
	delete(e.queues, name)
	e.emit(QueueRemoved{At: e.now, Queue: name})
	return nil
}

func (e *Engine) configureAgent(cfg AgentConfig) error {
	if err := ValidateAgent(cfg); err != nil {
		return fmt.Errorf("configure agent %q: %w", cfg.ID, err)
	}
	cfg = cloneAgentConfig(cfg)
	id := AgentID(cfg.ID)
	a, exists := e.agents[id]
	if !exists {
		a = &agentState{id: id, state: AgentLoggedOut, since: e.now, device: DeviceUnknown}
		e.agents[id] = a
	}
	a.cfg = cfg
	e.emit(AgentConfigured{At: e.now, Config: cloneAgentConfig(cfg)})
	added, _ := e.syncMemberships(a, cfg.Queues)
	loggedIn := false
	if cfg.Static && !a.loggedIn {
		a.loggedIn = true
		e.stampLogin(a)
		loggedIn = true
	}
	e.agentChanged(a)
	if cfg.Static {
		e.pauseConfigured(a, cfg.Queues, func(q string) bool { return loggedIn || slices.Contains(added, q) })
	}
	return nil
}

// pauseConfigured pauses static agent a in the queues its configuration
// starts it paused in (member paused=yes) for which now is true: it has
// just been logged in, or the membership is new. A pause it already has is
// left alone, and so is a membership a supervisor has since unpaused.
func (e *Engine) pauseConfigured(a *agentState, ms []Membership, now func(queue string) bool) {
	for _, ms := range ms {
		if !ms.Paused || !now(ms.Queue) {
			continue
		}
		for _, m := range a.members {
			if m.q.cfg.Name == ms.Queue && !m.paused {
				m.paused = true
				e.emit(MemberPaused{At: e.now, Agent: a.id, Queue: ms.Queue, Paused: true, Reason: "configured"})
				e.agentChanged(a)
			}
		}
	}
}

// syncMemberships makes a's members match ms (queues that do not exist yet
// are picked up when they are configured). It returns the queues added and
// removed.
func (e *Engine) syncMemberships(a *agentState, ms []Membership) (added, removed []string) {
	want := make(map[string]Membership, len(ms))
	for _, m := range ms {
		want[m.Queue] = m
	}
	for _, m := range slices.Clone(a.members) {
		w, keep := want[m.q.cfg.Name]
		p := w.Penalty
		if keep {
			if w.Order > 0 {
				m.pos = w.Order
			}
			if m.penalty != p {
				m.penalty = p
				e.markLeaveDirty(m.q)
				if m.availIdx >= 0 && !slices.Contains(e.freedAgents, a) {
					// A new penalty may put it in range of a waiting caller.
					e.freedAgents = append(e.freedAgents, a)
				}
			}
			continue
		}
		removed = append(removed, m.q.cfg.Name)
		e.dropMember(m)
	}
	for _, ms := range ms {
		q, ok := e.queues[ms.Queue]
		if !ok || slices.ContainsFunc(a.members, func(m *member) bool { return m.q == q }) {
			continue
		}
		added = append(added, ms.Queue)
		e.addMember(a, q, ms)
	}
	return added, removed
}

// unorderedMembers is where members without an Order go: after every
// ordered one, in the order they were added.
const unorderedMembers = 1 << 30

func (e *Engine) addMember(a *agentState, q *queueState, ms Membership) *member {
	pos := unorderedMembers + q.memberSeq
	if ms.Order > 0 {
		pos = ms.Order
	}
	m := &member{agent: a, q: q, penalty: ms.Penalty, pos: pos, loginSeq: a.loginSeq, availIdx: -1}
	q.memberSeq++
	q.members = append(q.members, m)
	a.members = append(a.members, m)
	if e.refreshMember(m) && !slices.Contains(e.freedAgents, a) {
		e.freedAgents = append(e.freedAgents, a)
	}
	return m
}

func (e *Engine) dropMember(m *member) {
	q, a := m.q, m.agent
	if m.availIdx >= 0 {
		q.dropAvail(m)
	}
	if m.staffed {
		q.staffed--
		m.staffed = false
	}
	q.members = slices.DeleteFunc(q.members, func(x *member) bool { return x == m })
	a.members = slices.DeleteFunc(a.members, func(x *member) bool { return x == m })
	e.markLeaveDirty(q)
}

func (e *Engine) removeAgent(id AgentID) error {
	if err := e.checkRemoveAgent(id); err != nil {
		return err
	}
	a := e.agents[id]
	e.logoutAgent(a)
	for _, m := range slices.Clone(a.members) {
		e.dropMember(m)
	}
	a.removed = true
	delete(e.agents, id)
	e.emit(AgentRemoved{At: e.now, Agent: id})
	return nil
}

// ---- agent sessions ----

func (e *Engine) agent(id AgentID, what string) (*agentState, error) {
	a, ok := e.agents[id]
	if !ok {
		return nil, fmt.Errorf("%s %q: %w", what, id, ErrUnknownAgent)
	}
	return a, nil
}

func (e *Engine) login(in AgentLogin) error {
	a, err := e.agent(in.Agent, "log in")
	if err != nil {
		return err
	}
	if a.loggedIn {
		return nil
	}
	a.loggedIn = true
	a.paused = in.Paused
	a.reason = ""
	if in.Paused {
		a.reason = in.Reason
	}
	for _, m := range a.members {
		m.paused = slices.Contains(in.PausedIn, m.q.cfg.Name)
	}
	a.noAnswers = 0
	e.stampLogin(a)
	e.agentChanged(a)
	return nil
}

// stampLogin records that a logged in now, after every agent logged in
// before it, on a and on each of its memberships.
func (e *Engine) stampLogin(a *agentState) {
	e.loginSeq++
	a.loginSeq = e.loginSeq
	for _, m := range a.members {
		m.loginSeq = a.loginSeq
	}
}

func (e *Engine) logout(id AgentID) error {
	a, err := e.agent(id, "log out")
	if err != nil {
		return err
	}
	if !a.loggedIn {
		return nil
	}
	e.logoutAgent(a)
	return nil
}

// logoutAgent ends a's session: a ringing offer is cancelled, wrap-up ends;
// a connected call goes on and the agent shows logged-out when it ends.
func (e *Engine) logoutAgent(a *agentState) {
	a.loggedIn = false
	a.paused = false
	a.reason = ""
	for _, m := range a.members {
		m.paused = false // a pause in one queue ends with the session, as a member removed
	}
	switch a.activity {
	case actRinging:
		e.cancelOffer(a.offer, false)
	case actWrapUp:
		e.finishWrapUp(a)
	}
	e.agentChanged(a)
}

// loggedInAgent is agent id, refused when it is logged out.
func (e *Engine) loggedInAgent(id AgentID, what string) (*agentState, error) {
	a, err := e.agent(id, what)
	if err != nil {
		return nil, err
	}
	if !a.loggedIn {
		return nil, fmt.Errorf("%s %q: logged out: %w", what, id, ErrNotAllowed)
	}
	return a, nil
}

func (e *Engine) pause(id AgentID, reason string) error {
	a, err := e.loggedInAgent(id, "pause")
	if err != nil {
		return err
	}
	a.paused = true
	a.reason = reason
	e.agentChanged(a)
	return nil
}

func (e *Engine) unpause(id AgentID) error {
	a, err := e.loggedInAgent(id, "unpause")
	if err != nil {
		return err
	}
	a.paused = false
	a.reason = ""
	a.noAnswers = 0
	e.unpauseMembers(a)
	e.agentChanged(a)
	return nil
}

func (e *Engine) memberPause(in MemberPause) error {
	a, err := e.loggedInAgent(in.Agent, "pause in a queue")
	if err != nil {
		return err
	}
	for _, m := range a.members {
		if m.q.cfg.Name != in.Queue {
			continue
		}
		if m.paused != in.Paused {
			m.paused = in.Paused
			ev := MemberPaused{At: e.now, Agent: a.id, Queue: in.Queue, Paused: in.Paused}
			if in.Paused {
				ev.Reason = in.Reason
			}
			e.emit(ev)
			e.agentChanged(a)
		}
		return nil
	}
	return fmt.Errorf("pause %s in %s: not a member: %w", in.Agent, in.Queue, ErrNotFound)
}

// unpauseMembers ends a's pauses in single queues: "ready" from the
// console is ready everywhere.
func (e *Engine) unpauseMembers(a *agentState) {
	for _, m := range a.members {
		if m.paused {
			m.paused = false
			e.emit(MemberPaused{At: e.now, Agent: a.id, Queue: m.q.cfg.Name})
		}
	}
}

func (e *Engine) wrapUpDone(id AgentID) error {
	a, err := e.agent(id, "end wrap-up")
	if err != nil {
		return err
	}
	if a.activity != actWrapUp {
		return fmt.Errorf("end wrap-up %q: not in wrap-up: %w", id, ErrNotAllowed)
	}
	e.endWrapUp(a)
	return nil
}

func (e *Engine) deviceState(in AgentDeviceState) error {
	a, err := e.agent(in.Agent, "device state")
	if err != nil {
		return err
	}
	if a.device == in.State {
		return nil
	}
	a.device = in.State
	// While our own offer or call uses the device, its in-use states are
	// ours; they must not keep the agent from being rung once we are done
	// with it and the device's NOT_INUSE is still on its way.
	a.deviceOurs = a.activity == actRinging || a.activity == actOnCall
	e.emit(AgentDeviceChanged{At: e.now, Agent: a.id, State: in.State})
	e.agentChanged(a)
	return nil
}

func (e *Engine) setAgentQueues(id AgentID, ms []Membership) error {
	a, err := e.agent(id, "set queues")
	if err != nil {
		return err
	}
	cfg := a.cfg
	cfg.Queues = slices.Clone(ms)
	if err := ValidateAgent(cfg); err != nil {
		return fmt.Errorf("set queues of %q: %w", id, err)
	}
	a.cfg = cfg
	added, removed := e.syncMemberships(a, cfg.Queues)
	e.emit(AgentQueuesChanged{At: e.now, Agent: id, Queues: slices.Clone(ms), Added: added, Removed: removed})
	e.agentChanged(a)
	return nil
}

// displayState is the agent's state as reported.
func (a *agentState) displayState() AgentState {
	switch a.activity {
	case actRinging:
		return AgentRinging
	case actOnCall:
		return AgentOnCall
	case actWrapUp:
		return AgentWrapUp
	}
	switch {
	case !a.loggedIn:
		return AgentLoggedOut
	case a.paused:
		return AgentPaused
	}
	return AgentAvailable
}

// agentChanged reports a's state if it changed and updates every index that
// depends on it; an agent that became routable is routed in settle.
func (e *Engine) agentChanged(a *agentState) {
	st := a.displayState()
	reason := ""
	if st == AgentPaused {
		reason = a.reason
	}
	if st != a.state || reason != a.lastReason {
		ev := AgentStateChanged{At: e.now, Agent: a.id, State: st, Reason: reason, Prev: a.state, PrevSince: a.since}
		if a.activity != actIdle && a.caller != nil {
			ev.Caller = a.caller.id
		}
		if a.activity != actIdle && a.queue != nil {
			ev.Queue = a.queue.cfg.Name
		}
		a.state = st
		a.since = e.now
		a.lastReason = reason
		e.emit(ev)
	}
	if a.activity == actIdle && !deviceInUse(a.device) {
		a.deviceOurs = false
	}
	freed := false
	for _, m := range a.members {
		if e.refreshMember(m) {
			freed = true
		}
		e.markLeaveDirty(m.q)
	}
	if freed && !slices.Contains(e.freedAgents, a) {
		e.freedAgents = append(e.freedAgents, a)
	}
}

// refreshMember updates m's place in its queue's indexes; true when m became
// routable.
func (e *Engine) refreshMember(m *member) bool {
	a := m.agent
	staffed := a.loggedIn && !a.paused && !m.paused && !a.removed
	if staffed != m.staffed {
		m.staffed = staffed
		if staffed {
			m.q.staffed++
		} else {
			m.q.staffed--
		}
	}
	ok := m.routable()
	switch {
	case ok && m.availIdx < 0:
		m.q.addAvail(m)
		return true
	case !ok && m.availIdx >= 0:
		m.q.dropAvail(m)
	}
	return false
}
