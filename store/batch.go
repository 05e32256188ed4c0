package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// batchTx applies one batch of events inside one write transaction. Records
// and waiting callers touched several times in a batch are decoded once and
// encoded once, at finish: that, more than the fsync, is what group commit
// saves per event.
type batchTx struct {
	tx       *bolt.Tx
	calls    *bolt.Bucket
	index    *bolt.Bucket
	callers  *bolt.Bucket
	sessions *bolt.Bucket
	agents   *bolt.Bucket

	open    map[queue.CallerID]*callEntry // latest record of each caller seen
	touched []*callEntry                  // in first-touch order, to write at finish
	waiting map[queue.CallerID]*waitEntry

	queueLog bool
	members  map[queue.AgentID]Agent
	lines    []string
}

type callEntry struct {
	key   []byte
	rec   CallRecord
	dirty bool
	isNew bool
}

type waitEntry struct {
	wc      WaitingCaller
	present bool
	dirty   bool
}

func newBatchTx(tx *bolt.Tx, queueLog bool) *batchTx {
	st := tx.Bucket(bucketState)
	return &batchTx{
		tx:       tx,
		calls:    tx.Bucket(bucketCalls),
		index:    tx.Bucket(bucketCallsByCaller),
		callers:  st.Bucket(bucketStateCallers),
		sessions: st.Bucket(bucketStateAgents),
		agents:   tx.Bucket(bucketAgents),
		open:     make(map[queue.CallerID]*callEntry),
		waiting:  make(map[queue.CallerID]*waitEntry),
		queueLog: queueLog,
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

func (b *batchTx) newCall(key []byte, rec CallRecord) {
	e := &callEntry{key: key, rec: rec, isNew: true}
	b.open[rec.Caller] = e
	b.touch(e)
}

func (b *batchTx) waiter(id queue.CallerID) (*waitEntry, error) {
	if e, ok := b.waiting[id]; ok {
		return e, nil
	}
	e := &waitEntry{}
	if raw := b.callers.Get([]byte(id)); raw != nil {
		if err := json.Unmarshal(raw, &e.wc); err != nil {
			return nil, fmt.Errorf("decode waiting caller %s: %w", id, err)
		}
		e.present = true
	}
	b.waiting[id] = e
	return e, nil
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

// apply folds one event into call records and resume state, and renders its
// queue_log lines.
func (b *batchTx) apply(ev queue.Event) error {
	var qc QueueLogContext
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
		b.lines = append(b.lines, QueueLogLines(ev, qc)...)
	}
	return nil
}

// applyEvent returns the caller record the event concerned, if any.
func (b *batchTx) applyEvent(ev queue.Event) (*callEntry, error) {
	switch e := ev.(type) {
	case queue.CallerJoined:
		c, err := b.call(e.Caller)
		if err != nil {
			return nil, err
		}
		if e.Resumed && c != nil && c.rec.Open() {
			c.rec.Resumed = true
			c.rec.Queue = e.Queue
			c.rec.Priority = e.Priority
			b.touch(c)
		} else {
			key := callKey(e.JoinedAt, e.Caller)
			b.newCall(key, CallRecord{
				ID: callID(key), Caller: e.Caller, Queue: e.Queue, Number: e.Number, Name: e.Name,
				Priority: e.Priority, JoinedAt: e.JoinedAt, JoinPosition: e.Position,
				Outcome: OutcomeWaiting, Resumed: e.Resumed,
			})
			c = b.open[e.Caller]
		}
		w, err := b.waiter(e.Caller)
		if err != nil {
			return nil, err
		}
		w.wc = WaitingCaller{ID: e.Caller, Queue: e.Queue, Priority: e.Priority, Number: e.Number,
			Name: e.Name, JoinedAt: e.JoinedAt, Position: e.Position}
		w.present, w.dirty = true, true
		return c, nil

	case queue.CallerRefused:
		key := callKey(e.At, e.Caller)
		b.newCall(key, CallRecord{
			ID: callID(key), Caller: e.Caller, Queue: e.Queue, Number: e.Number, Name: e.Name,
			JoinedAt: e.At, EndedAt: e.At, Outcome: OutcomeRefused, Status: e.Status,
		})
		return b.open[e.Caller], nil

	case queue.OfferStarted:
		return b.updateCall(e.Caller, func(r *CallRecord) {
			r.Offers++
			if r.FirstRingAt.IsZero() {
				r.FirstRingAt = e.At
			}
		})

	case queue.OfferEnded:
		return b.updateCall(e.Caller, func(r *CallRecord) {
			if e.Result != "answered" && e.Result != "canceled" {
				r.Unanswered++
			}
		})

	case queue.CallerLeft:
		c, err := b.updateCall(e.Caller, func(r *CallRecord) {
			r.LeftAt = e.At
			r.ExitPosition = e.Position
			if e.JoinPos > 0 {
				r.JoinPosition = e.JoinPos
			}
			r.Wait = e.Wait
			if e.Reason == queue.LeftAnswered {
				r.Agent = e.Agent
				return
			}
			r.Outcome = string(e.Reason)
			r.EndedAt = e.At
			r.ExitKey = e.Key
		})
		if err != nil {
			return nil, err
		}
		w, err := b.waiter(e.Caller)
		if err != nil {
			return nil, err
		}
		if w.present {
			w.present, w.dirty = false, true
		}
		return c, nil

	case queue.CallConnected:
		return b.updateCall(e.Caller, func(r *CallRecord) {
			r.AnsweredAt = e.At
			r.Agent = e.Agent
			r.Outcome = OutcomeConnected
			r.RingTime = e.RingTime
			if e.Wait > 0 {
				r.Wait = e.Wait
			}
		})

	case queue.CallCompleted:
		return b.updateCall(e.Caller, func(r *CallRecord) {
			r.EndedAt = e.At
			r.Talk = e.Talk
			r.CompletedBy = e.By
			r.Outcome = OutcomeCompleted
			if e.By == queue.PartyTransfer {
				r.Outcome = OutcomeTransferred
			}
			if e.Agent != "" {
				r.Agent = e.Agent
			}
		})

	case queue.CallerTransferred:
		return b.updateCall(e.Caller, func(r *CallRecord) {
			r.Transfer = &Transfer{At: e.At, By: e.By, Exten: e.Exten, Context: e.Context, Attended: e.Attended}
			r.Outcome = OutcomeTransferred
			r.Talk = e.Talk
			if e.Agent != "" {
				r.Agent = e.Agent
			}
		})

	case queue.CallerMoved:
		c, err := b.updateCall(e.Caller, func(r *CallRecord) {
			r.Moves = append(r.Moves, Move{At: e.At, From: e.From, To: e.To, KeepWait: e.KeepWait})
			r.Queue = e.To
		})
		if err != nil {
			return nil, err
		}
		w, err := b.waiter(e.Caller)
		if err != nil {
			return nil, err
		}
		if w.present {
			w.wc.Queue = e.To
			if !e.KeepWait {
				w.wc.JoinedAt = e.At
			}
			w.dirty = true
		}
		return c, nil

	case queue.CallerPriorityChanged:
		c, err := b.updateCall(e.Caller, func(r *CallRecord) { r.Priority = e.Priority })
		if err != nil {
			return nil, err
		}
		w, err := b.waiter(e.Caller)
		if err != nil {
			return nil, err
		}
		if w.present {
			w.wc.Priority = e.Priority
			w.dirty = true
		}
		return c, nil

	case queue.QueueOrderChanged:
		for i, id := range e.Callers {
			w, err := b.waiter(id)
			if err != nil {
				return nil, err
			}
			if !w.present || (w.wc.Position == i+1 && w.wc.Queue == e.Queue) {
				continue
			}
			w.wc.Position = i + 1
			w.wc.Queue = e.Queue
			w.dirty = true
		}
		return nil, nil

	case queue.AgentStateChanged:
		return nil, b.applyAgentState(e)

	case queue.AgentRemoved:
		return nil, b.sessions.Delete([]byte(e.Agent))
	}
	return nil, nil
}

// updateCall changes the caller's latest record; an event for a caller
// without one (its join was lost in a crash before resume) changes nothing.
func (b *batchTx) updateCall(id queue.CallerID, fn func(*CallRecord)) (*callEntry, error) {
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

// finish writes every record and waiting caller the batch changed.
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
	for id, w := range b.waiting {
		if !w.dirty {
			continue
		}
		if !w.present {
			if err := b.callers.Delete([]byte(id)); err != nil {
				return fmt.Errorf("delete waiting caller %s: %w", id, err)
			}
			continue
		}
		raw, err := json.Marshal(w.wc)
		if err != nil {
			return fmt.Errorf("encode waiting caller %s: %w", id, err)
		}
		if err := b.callers.Put([]byte(id), raw); err != nil {
			return fmt.Errorf("put waiting caller %s: %w", id, err)
		}
	}
	return nil
}

// waitingIn counts the callers waiting in a queue as of this point of the
// batch. Only moves need it, and those are rare.
func (b *batchTx) waitingIn(queueName string) (int, error) {
	n := 0
	err := b.callers.ForEach(func(k, v []byte) error {
		if _, cached := b.waiting[queue.CallerID(k)]; cached {
			return nil
		}
		var wc WaitingCaller
		if err := json.Unmarshal(v, &wc); err != nil {
			return fmt.Errorf("decode waiting caller %s: %w", k, err)
		}
		if wc.Queue == queueName {
			n++
		}
		return nil
	})
	for _, w := range b.waiting {
		if w.present && w.wc.Queue == queueName {
			n++
		}
	}
	return n, err
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
func (b *batchTx) preLogContext(ev queue.Event, qc *QueueLogContext) error {
	var agent queue.AgentID
	switch e := ev.(type) {
	case queue.CallerMoved:
		w, err := b.waiter(e.Caller)
		if err != nil {
			return err
		}
		qc.FromPosition = w.wc.Position
		// Appended to the queue it joins, as the engine does.
		n, err := b.waitingIn(e.To)
		if err != nil {
			return err
		}
		qc.ToPosition = n + 1
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
	case queue.AgentQueuesChanged:
		agent = e.Agent
	case queue.OfferEnded:
		agent = e.Agent
	case queue.CallConnected:
		agent = e.Agent
	case queue.CallCompleted:
		agent = e.Agent
	case queue.CallerTransferred:
		agent = e.Agent
	case queue.CallerLeft:
		agent = e.Agent
	default:
		return nil
	}
	if agent == "" {
		return nil
	}
	a := b.member(agent)
	qc.MemberName = a.Config.Name
	if qc.MemberName == "" {
		qc.MemberName = a.Config.ID
	}
	qc.Device = a.Config.Device
	for _, m := range a.Config.Queues {
		qc.MemberQueues = append(qc.MemberQueues, m.Queue)
	}
	return nil
}
