package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// batchTx applies one batch of events inside one write transaction. Records
// and waiting callers touched several times in a batch are decoded once and
// encoded once, at finish: that, more than the fsync, is what group commit
// saves per event. Waiting callers and queue orders are read from and
// changed in the writer's in-memory copy, never decoded from the file; what
// they were before the batch is kept, to write only what changed and to put
// the copy back if the transaction fails.
type batchTx struct {
	tx        *bolt.Tx
	calls     *bolt.Bucket
	index     *bolt.Bucket
	callers   *bolt.Bucket
	orderKeys *bolt.Bucket
	sessions  *bolt.Bucket
	agents    *bolt.Bucket

	open    map[queue.CallerID]*callEntry // latest record of each caller seen
	touched []*callEntry                  // in first-touch order, to write at finish

	live       *waitingSet                  // the writer's copy, as of this point of the batch
	settled    []queue.CallerID             // dropped from live.unsettled by this batch
	callersWas map[queue.CallerID]wasCaller // before the batch, for each caller it changed
	ordersWas  map[string][]queue.CallerID  // before the batch, for each order it changed
	listed     map[queue.CallerID]struct{}  // scratch for orderChanged

	queueLog bool
	members  map[queue.AgentID]Agent
	lines    []string
}

type callEntry struct {
	key   []byte
	rec   queue.CallRecord
	dirty bool
	isNew bool
}

type wasCaller struct {
	rec     waitingRecord
	present bool
}

func newBatchTx(tx *bolt.Tx, live *waitingSet, queueLog bool) *batchTx {
	st := tx.Bucket(bucketState)
	return &batchTx{
		tx:         tx,
		calls:      tx.Bucket(bucketCalls),
		index:      tx.Bucket(bucketCallsByCaller),
		callers:    st.Bucket(bucketStateCallers),
		orderKeys:  st.Bucket(bucketStateOrder),
		sessions:   st.Bucket(bucketStateAgents),
		agents:     tx.Bucket(bucketAgents),
		open:       make(map[queue.CallerID]*callEntry),
		live:       live,
		callersWas: make(map[queue.CallerID]wasCaller),
		ordersWas:  make(map[string][]queue.CallerID),
		queueLog:   queueLog,
	}
}

// call returns the caller's latest record, or nil if it has none.
func (b *batchTx) call(id queue.CallerID) (*callEntry, error) {
	if e, ok := b.open[id]; ok {
		return e, nil
	}
	key := b.index.Get([]byte(id))
	if key == nil {
		return nil, nil
	}
	raw := b.calls.Get(key)
	if raw == nil {
		return nil, nil
	}
	e := &callEntry{key: append([]byte(nil), key...)}
	if err := json.Unmarshal(raw, &e.rec); err != nil {
		return nil, fmt.Errorf("decode call %s: %w", callID(key), err)
	}
	b.open[id] = e
	return e, nil
}

func (b *batchTx) touch(e *callEntry) {
	if !e.dirty {
		e.dirty = true
		b.touched = append(b.touched, e)
	}
}

func (b *batchTx) newCall(key []byte, rec queue.CallRecord) {
	e := &callEntry{key: key, rec: rec, isNew: true}
	b.open[rec.Caller] = e
	b.touch(e)
}

// waiter returns a waiting caller as of this point of the batch.
func (b *batchTx) waiter(id queue.CallerID) (waitingRecord, bool) {
	r, ok := b.live.callers[id]
	return r, ok
}

// keep notes what a caller was before the batch, the first time it changes.
func (b *batchTx) keep(id queue.CallerID) {
	if _, ok := b.callersWas[id]; !ok {
		r, present := b.live.callers[id]
		b.callersWas[id] = wasCaller{rec: r, present: present}
	}
}

func (b *batchTx) setWaiter(r waitingRecord) {
	b.keep(r.ID)
	if was, ok := b.live.callers[r.ID]; !ok || r.Position > 0 || was.Queue != r.Queue {
		b.live.unsettled[r.ID] = struct{}{}
	}
	b.live.callers[r.ID] = r
}

func (b *batchTx) removeWaiter(id queue.CallerID) {
	b.keep(id)
	delete(b.live.callers, id)
	b.settle(id)
}

// settle drops a caller from the unsettled set.
func (b *batchTx) settle(id queue.CallerID) {
	if _, ok := b.live.unsettled[id]; ok {
		delete(b.live.unsettled, id)
		b.settled = append(b.settled, id)
	}
}

// settleIfPlaced drops a caller from the unsettled set if it has left, or
// takes its place from q's order and no other queue's order lists it.
func (b *batchTx) settleIfPlaced(id queue.CallerID, q string) {
	r, ok := b.live.callers[id]
	if ok && (r.Position != 0 || r.Queue != q) {
		return
	}
	for other, ids := range b.live.orders {
		if ok && other != q && slices.Contains(ids, id) {
			return
		}
	}
	b.settle(id)
}

// order is a queue's order as of this point of the batch.
func (b *batchTx) order(q string) []queue.CallerID {
	return b.live.orders[q]
}

func (b *batchTx) setOrder(q string, ids []queue.CallerID) {
	if _, ok := b.ordersWas[q]; !ok {
		b.ordersWas[q] = b.live.orders[q]
	}
	if len(ids) == 0 {
		delete(b.live.orders, q)
		return
	}
	b.live.orders[q] = ids
}

// position is a waiting caller's 1-based place in its queue.
func (b *batchTx) position(r waitingRecord) int {
	if r.Position > 0 {
		return r.Position
	}
	return lastIndex(b.order(r.Queue), r.ID)
}

func (b *batchTx) session(id queue.AgentID) (AgentSession, bool, error) {
	raw := b.sessions.Get([]byte(id))
	if raw == nil {
		return AgentSession{}, false, nil
	}
	var s AgentSession
	if err := json.Unmarshal(raw, &s); err != nil {
		return AgentSession{}, false, fmt.Errorf("decode agent session %s: %w", id, err)
	}
	return s, true, nil
}

func (b *batchTx) putSession(s AgentSession) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return b.sessions.Put([]byte(s.ID), raw)
}

// rollback puts the writer's copy back as it was before the batch, after the
// transaction failed.
func (b *batchTx) rollback() {
	// Unsettled is a superset of the callers out of place: whoever the batch
	// changed or settled may be out of place again.
	for id := range b.callersWas {
		b.live.unsettled[id] = struct{}{}
	}
	for _, id := range b.settled {
		b.live.unsettled[id] = struct{}{}
	}
	for id, was := range b.callersWas {
		if was.present {
			b.live.callers[id] = was.rec
		} else {
			delete(b.live.callers, id)
		}
	}
	for q, ids := range b.ordersWas {
		if len(ids) == 0 {
			delete(b.live.orders, q)
		} else {
			b.live.orders[q] = ids
		}
	}
}

// orderChanged applies a queue's new order. Every waiting caller it lists
// takes its place from it (and its queue, as before schema 3); a caller of
// the queue it leaves out keeps the place it had, pinned in its record. Only
// those callers' records are written, and the order key once. The engine's
// orders differ from the previous one by a caller or two: callers in the
// common head and tail already took their place from the previous order,
// unless they are unsettled, so only the differing middle and the (few)
// unsettled callers are looked at.
func (b *batchTx) orderChanged(q string, ids []queue.CallerID) {
	old := b.order(q)
	prefix := 0
	for prefix < len(old) && prefix < len(ids) && old[prefix] == ids[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(old)-prefix && suffix < len(ids)-prefix && old[len(old)-1-suffix] == ids[len(ids)-1-suffix] {
		suffix++
	}
	if prefix != len(old) || prefix != len(ids) {
		b.pinDropped(q, old, ids, old[prefix:len(old)-suffix])
		b.setOrder(q, ids)
	}
	for _, id := range ids[prefix : len(ids)-suffix] {
		b.place(q, id)
	}
	for id := range b.live.unsettled {
		if slices.Contains(ids, id) {
			b.place(q, id)
			b.settleIfPlaced(id, q)
		}
	}
}

// place makes a listed caller take its place from q's order.
func (b *batchTx) place(q string, id queue.CallerID) {
	r, ok := b.waiter(id)
	if !ok || (r.Queue == q && r.Position == 0) {
		return
	}
	r.Queue, r.Position = q, 0
	b.setWaiter(r)
}

// pinDropped pins, at their place in old, the callers of queue q that old
// placed and ids leaves out. Those in old's head and tail common with ids
// are listed, so only old's middle is searched.
func (b *batchTx) pinDropped(q string, old, ids, middle []queue.CallerID) {
	placed := func(id queue.CallerID) (waitingRecord, bool) {
		r, ok := b.waiter(id)
		return r, ok && r.Queue == q && r.Position == 0
	}
	var listed func(queue.CallerID) bool
	if len(middle) <= 8 {
		listed = func(id queue.CallerID) bool { return slices.Contains(ids, id) }
	} else {
		if b.listed == nil {
			b.listed = make(map[queue.CallerID]struct{}, len(ids))
		}
		clear(b.listed)
		for _, id := range ids {
			b.listed[id] = struct{}{}
		}
		listed = func(id queue.CallerID) bool { _, ok := b.listed[id]; return ok }
	}
	for _, id := range middle {
		r, ok := placed(id)
		if !ok || listed(id) {
			continue
		}
		// Its last place, as the engine's order is applied in sequence.
		r.Position = lastIndex(old, id)
		b.setWaiter(r)
	}
}

// apply folds one event into call records and resume state, and renders its
// queue_log lines.
func (b *batchTx) apply(ev queue.Event) error {
	var qc queue.QueueLogContext
	if b.queueLog {
		if err := b.preLogContext(ev, &qc); err != nil {
			return err
		}
	}
	caller, err := b.applyEvent(ev)
	if err != nil {
		return err
	}
	if b.queueLog {
		if caller != nil {
			qc.Call = caller.rec
		}
		b.lines = append(b.lines, queue.QueueLogLines(ev, qc)...)
	}
	return nil
}

// applyEvent folds ev into the call records (queue.CallRecord.Apply says
// how), the resume state and the agent sessions, and returns the caller
// record the event concerned, if any.
func (b *batchTx) applyEvent(ev queue.Event) (*callEntry, error) {
	var c *callEntry
	switch e := ev.(type) {
	case queue.CallerJoined:
		var err error
		if c, err = b.call(e.Caller); err != nil {
			return nil, err
		}
		if e.Resumed && c != nil && c.rec.Open() {
			c.rec.Apply(e)
			b.touch(c)
		} else {
			c = b.openCall(e.VisitStart(), e.Caller, ev)
		}
		w := waitingRecord{ID: e.Caller, Queue: e.Queue, Priority: e.Priority, Number: e.Number,
			Name: e.Name, JoinedAt: e.JoinedAt, Position: e.Position}
		if old, ok := b.waiter(e.Caller); ok && e.Resumed {
			w.Callback = old.Callback // a resumed callback is still one
		}
		b.setWaiter(w)
		return c, nil
	case queue.CallerRefused:
		return b.openCall(e.At, e.Caller, ev), nil
	}
	if e, ok := ev.(queue.RecordingChanged); ok && e.Record != "" {
		return b.applyToRecord(e)
	}
	if caller, ok := queue.RecordCaller(ev); ok {
		var err error
		if c, err = b.updateCall(caller, func(r *queue.CallRecord) { r.Apply(ev) }); err != nil {
			return nil, err
		}
	}
	switch e := ev.(type) {
	case queue.CallerLeft:
		if _, ok := b.waiter(e.Caller); ok {
			b.removeWaiter(e.Caller)
		}
	case queue.CallerMoved:
		if r, ok := b.waiter(e.Caller); ok {
			// Its place stays what it was until an order of its new queue
			// lists it, as before schema 3.
			r.Position = b.position(r)
			r.Queue = e.To
			if !e.KeepWait {
				r.JoinedAt = e.At
			}
			b.setWaiter(r)
		}
	case queue.CallerPriorityChanged:
		if r, ok := b.waiter(e.Caller); ok {
			r.Priority = e.Priority
			b.setWaiter(r)
		}
	case queue.CallbackRequested:
		if r, ok := b.waiter(e.Caller); ok {
			r.Callback = &queue.CallbackResume{Number: e.Number, Mode: e.Mode, Dial: e.Dial, CallerID: e.CallerID}
			b.setWaiter(r)
		}
	case queue.CallbackAttempt:
		if r, ok := b.waiter(e.Caller); ok && r.Callback != nil {
			// A copy: the committed set's record is not changed in place.
			cb := *r.Callback
			cb.Attempts = e.Attempt
			r.Callback = &cb
			b.setWaiter(r)
		}
	case queue.QueueOrderChanged:
		b.orderChanged(e.Queue, e.Callers)
	case queue.AgentStateChanged:
		return nil, b.applyAgentState(e)
	case queue.MemberPaused:
		return nil, b.applyMemberPaused(e)
	case queue.AgentRemoved:
		return nil, b.sessions.Delete([]byte(e.Agent))
	}
	return c, nil
}

// applyToRecord folds a recording change into the record it names, which
// need not be the caller's latest.
func (b *batchTx) applyToRecord(e queue.RecordingChanged) (*callEntry, error) {
	key, ok := parseCallID(e.Record)
	if !ok {
		// Names no record (the API checks ids before they get here): an
		// error would fail the whole batch with it.
		return nil, nil
	}
	c, err := b.call(e.Caller)
	if err != nil {
		return nil, err
	}
	if c == nil || !bytes.Equal(c.key, key) {
		raw := b.calls.Get(key)
		if raw == nil {
			return nil, nil // pruned meanwhile: nothing to say it on
		}
		c = &callEntry{key: key}
		if err := json.Unmarshal(raw, &c.rec); err != nil {
			return nil, fmt.Errorf("decode call %s: %w", e.Record, err)
		}
		// Not the caller's latest, so not in b.open: a later event of
		// this batch about the same old record is not expected (deletes
		// come one per request), and this one's write stands.
	}
	c.rec.Apply(e)
	b.touch(c)
	return c, nil
}

// openCall starts the record of a visit that began at at (a join or a
// refusal), keyed by that time and the caller.
func (b *batchTx) openCall(at time.Time, caller queue.CallerID, ev queue.Event) *callEntry {
	key := callKey(at, caller)
	rec, _ := queue.NewCallRecord(callID(key), ev)
	b.newCall(key, rec)
	return b.open[caller]
}

// updateCall changes the caller's latest record; an event for a caller
// without one (its join was lost in a crash before resume) changes nothing.
func (b *batchTx) updateCall(id queue.CallerID, fn func(*queue.CallRecord)) (*callEntry, error) {
	c, err := b.call(id)
	if err != nil || c == nil {
		return c, err
	}
	fn(&c.rec)
	b.touch(c)
	return c, nil
}

func (b *batchTx) applyAgentState(e queue.AgentStateChanged) error {
	if e.State == queue.AgentLoggedOut {
		return b.sessions.Delete([]byte(e.Agent))
	}
	s, ok, err := b.session(e.Agent)
	if err != nil {
		return err
	}
	if !ok || e.Prev == queue.AgentLoggedOut || s.LoggedInAt.IsZero() {
		s.LoggedInAt = e.At
	}
	s.ID = e.Agent
	s.State = e.State
	s.Paused = e.State == queue.AgentPaused
	s.Reason = ""
	if s.Paused {
		s.Reason = e.Reason
	}
	s.Since = e.At
	s.Caller = e.Caller
	s.Queue = e.Queue
	return b.putSession(s)
}

// applyMemberPaused keeps the session's queues paused alone.
func (b *batchTx) applyMemberPaused(e queue.MemberPaused) error {
	s, ok, err := b.session(e.Agent)
	if err != nil || !ok {
		return err // a member pause needs a session; none: nothing to keep
	}
	s.PausedIn = slices.DeleteFunc(s.PausedIn, func(q string) bool { return q == e.Queue })
	if e.Paused {
		s.PausedIn = append(s.PausedIn, e.Queue)
	}
	return b.putSession(s)
}

// finish writes every record, waiting caller and order the batch changed.
func (b *batchTx) finish() error {
	for _, c := range b.touched {
		raw, err := json.Marshal(c.rec)
		if err != nil {
			return fmt.Errorf("encode call %s: %w", c.rec.ID, err)
		}
		if err := b.calls.Put(c.key, raw); err != nil {
			return fmt.Errorf("put call %s: %w", c.rec.ID, err)
		}
		if c.isNew {
			if err := b.index.Put([]byte(c.rec.Caller), c.key); err != nil {
				return fmt.Errorf("index call %s: %w", c.rec.ID, err)
			}
		}
	}
	for id, was := range b.callersWas {
		r, present := b.live.callers[id]
		switch {
		case present == was.present && r == was.rec:
			// Changed and changed back (or not at all): nothing to write.
		case !present:
			if err := b.callers.Delete([]byte(id)); err != nil {
				return fmt.Errorf("delete waiting caller %s: %w", id, err)
			}
		default:
			raw, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("encode waiting caller %s: %w", id, err)
			}
			if err := b.callers.Put([]byte(id), raw); err != nil {
				return fmt.Errorf("put waiting caller %s: %w", id, err)
			}
		}
	}
	for q := range b.ordersWas {
		ids := b.live.orders[q]
		if len(ids) == 0 {
			if err := b.orderKeys.Delete([]byte(q)); err != nil {
				return fmt.Errorf("delete order of queue %s: %w", q, err)
			}
			continue
		}
		if err := b.orderKeys.Put([]byte(q), encodeOrder(ids)); err != nil {
			return fmt.Errorf("put order of queue %s: %w", q, err)
		}
	}
	return nil
}

// waitingIn counts the callers waiting in a queue as of this point of the
// batch. Only moves need it, and those are rare.
func (b *batchTx) waitingIn(queueName string) int {
	n := 0
	for _, r := range b.live.callers {
		if r.Queue == queueName {
			n++
		}
	}
	return n
}

// member returns an agent's configuration for queue_log names, cached for the
// batch; an agent without a record logs under its id.
func (b *batchTx) member(id queue.AgentID) Agent {
	if a, ok := b.members[id]; ok {
		return a
	}
	if b.members == nil {
		b.members = make(map[queue.AgentID]Agent)
	}
	a, err := getAgent(b.agents, string(id))
	if err != nil {
		a = Agent{Config: queue.AgentConfig{ID: string(id)}}
	}
	b.members[id] = a
	return a
}

// preLogContext fills what a queue_log line needs from before the event: the
// agent's name, device and queues, and when its session began.
func (b *batchTx) preLogContext(ev queue.Event, qc *queue.QueueLogContext) error {
	var agent queue.AgentID
	switch e := ev.(type) {
	case queue.CallerMoved:
		if r, ok := b.waiter(e.Caller); ok {
			qc.FromPosition = b.position(r)
		}
		// Appended to the queue it joins, as the engine does.
		qc.ToPosition = b.waitingIn(e.To) + 1
		return nil
	case queue.AgentStateChanged:
		agent = e.Agent
		s, ok, err := b.session(e.Agent)
		if err != nil {
			return err
		}
		if ok {
			qc.LoggedInAt = s.LoggedInAt
		}
	case queue.AgentQueuesChanged, queue.OfferEnded, queue.CallConnected, queue.CallCompleted, queue.CallerTransferred, queue.CallerLeft, queue.MemberPaused:
		// The events whose queue_log lines name a member: the agent the
		// event concerns.
		agent = ev.Scope().Agent
	default:
		return nil
	}
	if agent == "" {
		return nil
	}
	a := b.member(agent)
	qc.MemberName = a.Config.MemberName()
	qc.Device = a.Config.Device
	for _, m := range a.Config.Queues {
		qc.MemberQueues = append(qc.MemberQueues, m.Queue)
	}
	return nil
}
