package queue

import (
	"slices"
	"time"
)

// queueState is one queue: its configuration, its waiting callers in order
// and its members, with an index of the members that could be rung now.
type queueState struct {
	cfg   QueueConfig
	rules []PenaltyRule // cfg.Rules sorted by After
	// callbackHours is cfg.CallbackHours parsed (ValidateQueue checked it).
	callbackHours Hours

	order   []*callerState // waiting callers, position 1 first, sorted by sortKey
	members []*member      // every member, in configuration order
	avail   []*member      // members that could be rung now (availIdx indexes this)

	rrNext      int     // rrmemory / rrordered: rotation position to try first
	holdTimeEMA float64 // seconds; app_queue's holdtime: (3*old + new)/4 of answered waits
	handleEMA   float64 // seconds; talk + wrap-up, same smoothing; for expected wait
	talkEMA     float64 // seconds; app_queue's talktime, same smoothing
	staffed     int     // members logged in and not paused
	inProgress  int     // connected calls
	memberSeq   int     // next member position

	leaveDirty bool // membership status changed: check leavewhenempty
	removed    bool
}

// member is an agent's place in one queue.
type member struct {
	agent    *agentState
	q        *queueState
	penalty  int
	pos      int    // configuration order (linear, rrordered)
	loginSeq uint64 // login order (rrmemory: a member who logs in again goes last)
	availIdx int    // index in q.avail, -1 when not there
	staffed  bool
	// paused: autopaused in this queue alone (autopause=yes), as app_queue
	// pauses one member; the agent stays available to its other queues.
	paused bool
}

type activity uint8

const (
	actIdle activity = iota
	actRinging
	actOnCall
	actWrapUp
)

// agentState is an agent's live state.
type agentState struct {
	cfg      AgentConfig
	id       AgentID
	loggedIn bool
	paused   bool
	reason   string
	activity activity
	removed  bool

	state      AgentState // as last reported in AgentStateChanged
	lastReason string     // pause reason last reported
	since      time.Time

	device     DeviceState
	deviceOurs bool // the in-use device state was reported during our own offer or call

	offer       *offer // ringing or connected offer
	caller      *callerState
	queue       *queueState // queue of the current or last call (wrap-up)
	members     []*member
	lastCallEnd time.Time // end of the last call (leastrecent, autopausedelay)
	readySince  time.Time // end of the last wrap-up (longest-idle); zero: never took a call
	calls       int       // answered calls (fewestcalls)
	noAnswers   int       // consecutive unanswered offers (autopause)
	wrapGen     uint32
	wrapStart   time.Time
	loginSeq    uint64
}

// sortKey orders a queue's callers: higher prio first, then earlier at, then
// lower sub, then earlier seq. A supervisor reorder rewrites a caller's key
// to fall between its new neighbours, so the slice stays sorted and new
// callers still go in by binary search.
type sortKey struct {
	prio int
	at   int64
	sub  float64
	seq  uint64
}

func (a sortKey) less(b sortKey) bool {
	if a.prio != b.prio {
		return a.prio > b.prio
	}
	if a.at != b.at {
		return a.at < b.at
	}
	if a.sub != b.sub {
		return a.sub < b.sub
	}
	return a.seq < b.seq
}

// retryBlock: the caller may not ring agent again before until.
type retryBlock struct {
	agent *agentState
	until time.Time
}

// callerState is one caller from join until it leaves the queue, or until
// its call ends when answered.
type callerState struct {
	id       CallerID
	q        *queueState
	priority int
	number   string
	name     string
	skills   map[string]int
	joinedAt time.Time // for wait figures
	returned bool      // holds the place of a visit it abandoned (returning.go)
	cb       *callback // its callback, from the key press on (callback.go)
	orderAt  time.Time // for ordering and weight ties (Move without KeepWait resets it)
	key      sortKey
	joinPos  int
	leftPos  int // position when it was connected (QUEUEPOSITION after a CONTINUE)

	offers []*offer
	blocks []retryBlock

	minPen, maxPen int
	ruleIdx        int
	linPos         int // linear: member position to try first
	// An attempt is app_queue's: rings one after another with one clock,
	// from a ring that started fresh until its timeout. attemptEnd is when
	// the current one runs out; failedAt when a ring of it last ended early
	// (busy, declined, failed), which the next ring at that instant
	// continues.
	attemptEnd time.Time
	failedAt   time.Time

	maxWait    time.Duration
	maxWaitAt  time.Time
	expired    bool // maxwait passed while ringing with timeoutpriority=conf
	maxWaitGen uint32

	lastPos      time.Time
	lastPosSaid  int
	lastPeriodic time.Time
	periodicIdx  int
	annGen       uint32
	perGen       uint32
	// annPlaying: an Announce was emitted and AnnouncementDone has not come;
	// annPlayGen voids the fallback timer of an earlier one.
	annPlaying bool
	annPlayGen uint32
	ruleGen    uint32

	connected   bool
	gone        bool
	agent       *agentState
	offer       *offer
	connectedAt time.Time
	wait        time.Duration
	rec         *recState         // the call's recording, if any
	monitors    map[string]string // supervisor -> MonitorListen, MonitorWhisper or MonitorBarge
}

// offer is one attempt to ring one agent for one caller.
type offer struct {
	id     OfferID
	caller *callerState
	agent  *agentState
	q      *queueState
	start  time.Time
	done   bool
}

func (c *callerState) idle() bool {
	return !c.gone && !c.connected && !c.expired && len(c.offers) == 0 && !c.callbackBusy()
}

func (c *callerState) blocked(a *agentState, now time.Time) bool {
	for _, b := range c.blocks {
		if b.agent == a && now.Before(b.until) {
			return true
		}
	}
	return false
}

// retryEnds is when the first of c's retry blocks still running at now
// ends (zero with none).
func (c *callerState) retryEnds(now time.Time) time.Time {
	var first time.Time
	for _, b := range c.blocks {
		if b.until.After(now) && (first.IsZero() || b.until.Before(first)) {
			first = b.until
		}
	}
	return first
}

func (c *callerState) ringing() []AgentID {
	if len(c.offers) == 0 {
		return nil
	}
	ids := make([]AgentID, len(c.offers))
	for i, o := range c.offers {
		ids[i] = o.agent.id
	}
	return ids
}

func (c *callerState) dropOffer(o *offer) {
	if i := slices.Index(c.offers, o); i >= 0 {
		c.offers = slices.Delete(c.offers, i, i+1)
	}
}

// position is the caller's 1-based place in its queue, found by binary
// search on the sort key.
func (q *queueState) position(c *callerState) int {
	i := q.searchKey(c.key)
	if i < len(q.order) && q.order[i] == c {
		return i + 1
	}
	// Not reachable while keys stay sorted; a linear fallback keeps views right.
	if j := slices.Index(q.order, c); j >= 0 {
		return j + 1
	}
	return 0
}

// searchKey returns the first index whose key is not less than k.
func (q *queueState) searchKey(k sortKey) int {
	lo, hi := 0, len(q.order)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if q.order[mid].key.less(k) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// insert puts c in order by its key and returns its index.
func (q *queueState) insert(c *callerState) int {
	i := q.searchKey(c.key)
	q.order = slices.Insert(q.order, i, c)
	return i
}

func (q *queueState) remove(c *callerState) int {
	i := q.position(c) - 1
	if i >= 0 {
		q.order = slices.Delete(q.order, i, i+1)
	}
	return i
}

// insertAt puts c at index i exactly (0-based, clamped), rewriting its key to
// fall between its new neighbours.
func (q *queueState) insertAt(c *callerState, i int) int {
	i = max(0, min(i, len(q.order)))
	var before, after *callerState
	if i > 0 {
		before = q.order[i-1]
	}
	if i < len(q.order) {
		after = q.order[i]
	}
	switch {
	case before == nil && after == nil:
		// keep c's own key
	case before == nil:
		c.key = sortKey{prio: after.key.prio, at: after.key.at, sub: after.key.sub - 1, seq: c.key.seq}
	case after == nil:
		c.key = sortKey{prio: before.key.prio, at: before.key.at, sub: before.key.sub + 1, seq: c.key.seq}
	case before.key.prio != after.key.prio || before.key.at != after.key.at:
		c.key = sortKey{prio: before.key.prio, at: before.key.at, sub: before.key.sub + 1, seq: c.key.seq}
	default:
		mid := (before.key.sub + after.key.sub) / 2
		if !(mid > before.key.sub && mid < after.key.sub) {
			q.renumberRun(i - 1)
			mid = (before.key.sub + after.key.sub) / 2
		}
		c.key = sortKey{prio: before.key.prio, at: before.key.at, sub: mid, seq: c.key.seq}
	}
	q.order = slices.Insert(q.order, i, c)
	return i
}

// renumberRun gives the callers sharing q.order[i]'s prio and at the subs
// 0, 1, 2... in their current order, making room between neighbours.
func (q *queueState) renumberRun(i int) {
	k := q.order[i].key
	lo, hi := i, i+1
	for lo > 0 && q.order[lo-1].key.prio == k.prio && q.order[lo-1].key.at == k.at {
		lo--
	}
	for hi < len(q.order) && q.order[hi].key.prio == k.prio && q.order[hi].key.at == k.at {
		hi++
	}
	for j := lo; j < hi; j++ {
		q.order[j].key.sub = float64(j - lo)
	}
}

func (q *queueState) ids() []CallerID {
	ids := make([]CallerID, len(q.order))
	for i, c := range q.order {
		ids[i] = c.id
	}
	return ids
}

func (q *queueState) addAvail(m *member) {
	m.availIdx = len(q.avail)
	q.avail = append(q.avail, m)
}

func (q *queueState) dropAvail(m *member) {
	i := m.availIdx
	last := len(q.avail) - 1
	q.avail[i] = q.avail[last]
	q.avail[i].availIdx = i
	q.avail[last] = nil
	q.avail = q.avail[:last]
	m.availIdx = -1
}

// retry is the pause before ringing the same agent again; app_queue uses its
// default of 5 s when retry is not positive.
func (q *queueState) retry() time.Duration {
	if q.cfg.Retry > 0 {
		return q.cfg.Retry
	}
	return 5 * time.Second
}

func (q *queueState) ringInUse(a *agentState) bool {
	if a.cfg.RingInUse != nil {
		return *a.cfg.RingInUse
	}
	return q.cfg.RingInUse
}

func deviceInUse(d DeviceState) bool {
	switch d {
	case DeviceInUse, DeviceBusy, DeviceOnHold, DeviceRinging, DeviceRingInUse:
		return true
	}
	return false
}

// routable: the member could be rung for a caller of its queue right now.
func (m *member) routable() bool {
	a := m.agent
	if !a.loggedIn || a.paused || m.paused || a.activity != actIdle || a.removed {
		return false
	}
	switch a.device {
	case DeviceUnavailable, DeviceInvalid:
		return false
	}
	if deviceInUse(a.device) && !a.deviceOurs && !m.q.ringInUse(a) {
		return false
	}
	return true
}
