package loadtest

import (
	"slices"
	"sync"
	"time"

	"stasisq/queue"
)

// moment is when something happened: raised by Asterisk (event timestamp)
// and seen by the loop.
type moment struct{ raised, seen time.Time }

func newMoment(raised, seen time.Time) moment {
	if raised.IsZero() {
		raised = seen // a timer or a command: nothing queued before the loop
	}
	return moment{raised, seen}
}

// Recorder collects call-flow timings (it is the call flow's Observer) and
// the domain events in order (Events is a Publish sink).
type Recorder struct {
	mu          sync.Mutex
	arrived     map[queue.CallerID]moment
	rangOnJoin  map[queue.CallerID]bool // offered in the same Apply as its join
	dialed      map[queue.CallerID]bool
	joinToDial  []time.Duration
	joinInApp   []time.Duration
	wait        []time.Duration
	freeAt      map[queue.AgentID]moment
	freeToDial  []time.Duration
	freeInApp   []time.Duration
	waiting     int
	outcomes    map[queue.CallerID]int
	reasons     map[string]int
	overtakes   int
	queueOrder  map[string][]joinedCaller // callers waiting and never yet offered, in join order
	offeredOnce map[queue.CallerID]bool
}

type joinedCaller struct {
	id       queue.CallerID
	priority int
	at       time.Time // joined
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{
		arrived:     map[queue.CallerID]moment{},
		rangOnJoin:  map[queue.CallerID]bool{},
		dialed:      map[queue.CallerID]bool{},
		freeAt:      map[queue.AgentID]moment{},
		outcomes:    map[queue.CallerID]int{},
		reasons:     map[string]int{},
		queueOrder:  map[string][]joinedCaller{},
		offeredOnce: map[queue.CallerID]bool{},
	}
}

func (o *Recorder) CallerArrived(c queue.CallerID, raised, seen time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.arrived[c] = newMoment(raised, seen)
	o.waiting++
}

func (o *Recorder) AgentFree(a queue.AgentID, raised, seen time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	// Only a free agent with callers waiting measures the engine's reaction;
	// an agent idle for lack of callers would measure the arrival gap.
	if o.waiting > 0 {
		o.freeAt[a] = newMoment(raised, seen)
	}
}

func (o *Recorder) Dialing(_ queue.OfferID, c queue.CallerID, a queue.AgentID, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if t, ok := o.freeAt[a]; ok {
		o.freeToDial = append(o.freeToDial, at.Sub(t.raised))
		o.freeInApp = append(o.freeInApp, at.Sub(t.seen))
		delete(o.freeAt, a)
	}
	if o.dialed[c] {
		return
	}
	o.dialed[c] = true
	o.waiting--
	if o.waiting == 0 {
		// Nobody waits any more: agents free now are idle for lack of
		// callers, and their next dial measures an arrival, not us.
		clear(o.freeAt)
	}
	t, ok := o.arrived[c]
	if !ok {
		return
	}
	o.wait = append(o.wait, at.Sub(t.raised))
	if o.rangOnJoin[c] {
		o.joinToDial = append(o.joinToDial, at.Sub(t.raised))
		o.joinInApp = append(o.joinInApp, at.Sub(t.seen))
	}
}

// Events is a Publish sink: counts outcomes and overtakes in event order,
// and notes callers offered in the Apply that joined them (an agent was
// free), the only ones whose join→ring measures the flow, not the queue.
func (o *Recorder) Events(evs []queue.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var joined []queue.CallerID
	for _, ev := range evs {
		switch ev := ev.(type) {
		case queue.CallerJoined:
			joined = append(joined, ev.Caller)
			// In join order: by the join's time (Asterisk's timestamp),
			// then arrival, as the engine orders a queue. Several servers'
			// websockets deliver their callers in batches of their own: a
			// caller who arrived later may have joined earlier.
			order := o.queueOrder[ev.Queue]
			i := len(order)
			for i > 0 && order[i-1].at.After(ev.JoinedAt) {
				i--
			}
			o.queueOrder[ev.Queue] = slices.Insert(order, i, joinedCaller{id: ev.Caller, priority: ev.Priority, at: ev.JoinedAt})
		case queue.CallerRefused:
			o.outcomes[ev.Caller]++
			o.reasons["refused"]++
		case queue.CallerLeft:
			o.outcomes[ev.Caller]++
			o.reasons[string(ev.Reason)]++
			o.dropFromOrder(ev.Queue, ev.Caller)
		case queue.OfferStarted:
			if o.offeredOnce[ev.Caller] {
				continue
			}
			o.offeredOnce[ev.Caller] = true
			if slices.Contains(joined, ev.Caller) {
				o.rangOnJoin[ev.Caller] = true
			}
			order := o.queueOrder[ev.Queue]
			var prio = -1 << 31
			for _, c := range order {
				if c.id == ev.Caller {
					prio = c.priority
				}
			}
			for _, c := range order {
				if c.id == ev.Caller {
					break
				}
				if c.priority == prio && !o.offeredOnce[c.id] {
					o.overtakes++
				}
			}
		}
	}
}

func (o *Recorder) dropFromOrder(q string, c queue.CallerID) {
	order := o.queueOrder[q]
	for i := range order {
		if order[i].id == c {
			o.queueOrder[q] = append(order[:i], order[i+1:]...)
			return
		}
	}
}
