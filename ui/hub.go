package ui

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"stasisq/queue"
)

// The hub's protocol, server to client:
//
//	{"type":"snapshot","seq":N,"snapshot":{...queue.Snapshot...}}
//	{"type":"event","seq":N,"kind":"agent_state","event":{...}}
//
// seq counts every message meant for this client, so a client that sees a
// number skipped knows it missed something and sends {"type":"resync"}; a
// snapshot replaces whatever the client had and resets its count. Besides
// the snapshot on connect, the hub pushes a fresh snapshot at most every
// minGap after events (one Floor.Snapshot serves every client), so a client
// applies the events it understands at once (order, joins, leaves, agent
// states) and lets the next snapshot correct everything else. A snapshot to
// a thousand clients costs as much as an event, so they are spaced out. Agents see their own events, the events of
// the queues they are in, and a snapshot cut down to that.

type hubConfig struct {
	floor        Floor
	log          *slog.Logger
	buffer       int           // messages queued per client before it counts as slow
	settle       time.Duration // wait after an event before fetching a snapshot, to catch the rest of a burst
	minGap       time.Duration // between snapshot fetches driven by events: clients apply events at once; snapshots refresh the figures and repair
	writeTimeout time.Duration // a client that takes longer to accept one message is dropped
	pingEvery    time.Duration
}

func (c *hubConfig) defaults() {
	if c.buffer <= 0 {
		c.buffer = 256
	}
	if c.settle <= 0 {
		c.settle = 100 * time.Millisecond
	}
	if c.minGap <= 0 {
		c.minGap = time.Second
	}
	if c.writeTimeout <= 0 {
		c.writeTimeout = 10 * time.Second
	}
	if c.pingEvery <= 0 {
		c.pingEvery = 30 * time.Second
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
}

// Hub fans domain events and snapshots out to websocket clients. One
// goroutine owns the client set; publishers and clients talk to it through
// channels and never wait on each other.
type Hub struct {
	cfg hubConfig

	mu    sync.Mutex
	inbox [][]queue.Event
	wake  chan struct{}

	register   chan *client
	unregister chan *client
	resync     chan *client
	dropUserCh chan string
	snapDone   chan snapResult
	done       chan struct{}
	stopped    chan struct{}
	closeOnce  sync.Once
	baseCtx    context.Context
	cancelBase context.CancelFunc

	nclients  atomic.Int64
	overflows atomic.Int64 // messages not queued because a client's buffer was full

	// Owned by run.
	clients          map[*client]struct{}
	agentQueues      map[queue.AgentID]map[string]bool
	timer            *time.Timer
	timerArmed       bool
	timerAt          time.Time
	fetching         bool
	refetch          bool
	broadcastPending bool
	lastFetch        time.Time
}

type snapResult struct {
	snap      queue.Snapshot
	body      []byte // the whole floor, encoded once
	err       error
	broadcast bool
}

// outMsg is one websocket message: head + body + "}". Bodies are shared
// between clients; only the head (with the client's seq) is per client.
type outMsg struct {
	head []byte
	body []byte
}

type client struct {
	hub    *Hub
	conn   *websocket.Conn
	user   User
	agent  queue.AgentID // non-empty: an agent's filtered view
	send   chan outMsg
	kick   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	wantSnap     atomic.Bool // overflowed: ask for a snapshot once the buffer is drained
	overflows    atomic.Int64
	writingSince atomic.Int64 // unix nanoseconds when the write in progress began; 0 when idle

	// Owned by the hub goroutine.
	seq      uint64
	stale    bool // events are being skipped until a snapshot reaches the client
	needSnap bool // a snapshot should be sent at the next fetch
}

func newHub(cfg hubConfig) *Hub {
	cfg.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		cfg:         cfg,
		wake:        make(chan struct{}, 1),
		register:    make(chan *client),
		unregister:  make(chan *client),
		resync:      make(chan *client, 256),
		dropUserCh:  make(chan string),
		snapDone:    make(chan snapResult),
		done:        make(chan struct{}),
		stopped:     make(chan struct{}),
		baseCtx:     ctx,
		cancelBase:  cancel,
		clients:     map[*client]struct{}{},
		agentQueues: map[queue.AgentID]map[string]bool{},
		timer:       time.NewTimer(time.Hour),
	}
	h.timer.Stop()
	go h.run()
	return h
}

// Publish queues events for the clients. It never blocks: the inbox grows
// instead, and the hub goroutine drains it at once.
func (h *Hub) Publish(events []queue.Event) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	h.inbox = append(h.inbox, events)
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Clients is the number of connected clients.
func (h *Hub) Clients() int { return int(h.nclients.Load()) }

// Close closes every client connection and stops the hub.
func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		close(h.done)
		<-h.stopped
	})
}

func (h *Hub) dropUser(id string) {
	select {
	case h.dropUserCh <- id:
	case <-h.done:
	}
}

func (h *Hub) run() {
	defer close(h.stopped)
	watchdog := time.NewTicker(min(time.Second, h.cfg.writeTimeout/2))
	defer watchdog.Stop()
	for {
		select {
		case now := <-watchdog.C:
			h.cutStuckWriters(now)
		case <-h.wake:
			h.mu.Lock()
			batches := h.inbox
			h.inbox = nil
			h.mu.Unlock()
			for _, b := range batches {
				h.fanout(b)
			}
		case c := <-h.register:
			h.clients[c] = struct{}{}
			c.stale, c.needSnap = true, true
			h.schedule(0)
		case c := <-h.unregister:
			delete(h.clients, c)
		case c := <-h.resync:
			if _, ok := h.clients[c]; ok {
				c.stale, c.needSnap = true, true
				h.schedule(0)
			}
		case id := <-h.dropUserCh:
			for c := range h.clients {
				if c.user.ID == id {
					c.cancel()
				}
			}
		case <-h.timer.C:
			h.timerArmed = false
			h.startFetch()
		case r := <-h.snapDone:
			h.deliverSnapshot(r)
		case <-h.done:
			h.shutdown()
			return
		}
	}
}

// cutStuckWriters drops a client whose write has not finished within
// writeTimeout: it stopped reading, and only its buffer overflowed so far.
// One watchdog here costs less than a timer on every write.
func (h *Hub) cutStuckWriters(now time.Time) {
	for c := range h.clients {
		since := c.writingSince.Load()
		if since != 0 && now.Sub(time.Unix(0, since)) > h.cfg.writeTimeout {
			h.cfg.log.Info("websocket client stopped reading; dropping it", "user", c.user.ID)
			c.writingSince.Store(0)
			go c.conn.CloseNow()
		}
	}
}

// shutdown sends every client a close frame and waits a moment for the
// handshakes; a client that does not answer is cut off by coder/websocket
// after its own 5 s, in the background, so shutdown never waits on it.
func (h *Hub) shutdown() {
	h.timer.Stop()
	var wg sync.WaitGroup
	for c := range h.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.conn.Close(websocket.StatusGoingAway, "server shutting down")
			c.cancel()
		}()
	}
	closed := make(chan struct{})
	go func() {
		wg.Wait()
		close(closed)
		h.cancelBase()
	}()
	select {
	case <-closed:
	case <-time.After(time.Second):
	}
}

// schedule arms the fetch timer to fire within d, unless it fires sooner.
func (h *Hub) schedule(d time.Duration) {
	if h.fetching {
		h.refetch = true
		return
	}
	at := time.Now().Add(d)
	if h.timerArmed && !h.timerAt.After(at) {
		return
	}
	h.timer.Reset(d)
	h.timerArmed, h.timerAt = true, at
}

func (h *Hub) scheduleBroadcast() {
	h.broadcastPending = true
	h.schedule(max(h.cfg.settle, time.Until(h.lastFetch.Add(h.cfg.minGap))))
}

func (h *Hub) startFetch() {
	if h.fetching {
		h.refetch = true
		return
	}
	h.fetching, h.refetch = true, false
	h.lastFetch = time.Now()
	broadcast := h.broadcastPending
	h.broadcastPending = false
	go func() {
		ctx, cancel := context.WithTimeout(h.baseCtx, 5*time.Second)
		defer cancel()
		r := snapResult{broadcast: broadcast}
		r.snap, r.err = h.cfg.floor.Snapshot(ctx)
		if r.err == nil {
			r.body, r.err = json.Marshal(r.snap)
		}
		select {
		case h.snapDone <- r:
		case <-h.done:
		}
	}()
}

func (h *Hub) deliverSnapshot(r snapResult) {
	h.fetching = false
	if r.err != nil {
		h.cfg.log.Warn("hub snapshot failed", "err", r.err)
		if r.broadcast {
			h.broadcastPending = true
		}
		h.schedule(time.Second)
		return
	}
	h.agentQueues = map[queue.AgentID]map[string]bool{}
	for _, a := range r.snap.Agents {
		qs := map[string]bool{}
		for _, m := range a.Config.Queues {
			qs[m.Queue] = true
		}
		h.agentQueues[queue.AgentID(a.Config.ID)] = qs
	}
	agentBodies := map[queue.AgentID][]byte{}
	for c := range h.clients {
		if !r.broadcast && !c.needSnap {
			continue
		}
		if c.stale && !c.needSnap {
			// Overflowed and not drained yet: its writer asks when it is.
			c.seq++
			continue
		}
		body := r.body
		if c.agent != "" {
			b, ok := agentBodies[c.agent]
			if !ok {
				b, _ = json.Marshal(agentView(r.snap, c.agent))
				agentBodies[c.agent] = b
			}
			body = b
		}
		c.seq++
		head := append([]byte(`{"type":"snapshot","seq":`), strconv.FormatUint(c.seq, 10)...)
		head = append(head, `,"snapshot":`...)
		if h.enqueue(c, outMsg{head: head, body: body}) {
			c.stale, c.needSnap = false, false
		} else {
			c.needSnap = false // its writer asks again once drained
		}
	}
	if h.refetch || h.broadcastPending {
		h.refetch = false
		h.scheduleBroadcastOrNow()
	}
}

func (h *Hub) scheduleBroadcastOrNow() {
	for c := range h.clients {
		if c.needSnap {
			h.schedule(0)
			return
		}
	}
	if h.broadcastPending {
		h.schedule(max(h.cfg.settle, time.Until(h.lastFetch.Add(h.cfg.minGap))))
	}
}

// enqueue never blocks: a full buffer makes the client stale; it gets a
// snapshot once it has drained what it had.
func (h *Hub) enqueue(c *client, m outMsg) bool {
	select {
	case c.send <- m:
		return true
	default:
		c.stale = true
		c.overflows.Add(1)
		h.overflows.Add(1)
		c.wantSnap.Store(true)
		select {
		case c.kick <- struct{}{}:
		default:
		}
		return false
	}
}

func (h *Hub) fanout(events []queue.Event) {
	for _, ev := range events {
		h.trackMembership(ev)
		var body []byte
		scope := ev.Scope()
		kind := ev.Kind()
		for c := range h.clients {
			if c.agent != "" && !scope.VisibleTo(c.agent, h.agentQueues[c.agent]) {
				continue
			}
			c.seq++
			if c.stale {
				continue
			}
			if body == nil {
				var err error
				if body, err = json.Marshal(ev); err != nil {
					h.cfg.log.Error("encode event", "kind", kind, "err", err)
					body = []byte("{}")
				}
			}
			head := make([]byte, 0, 64)
			head = append(head, `{"type":"event","seq":`...)
			head = strconv.AppendUint(head, c.seq, 10)
			head = append(head, `,"kind":"`...)
			head = append(head, kind...)
			head = append(head, `","event":`...)
			h.enqueue(c, outMsg{head: head, body: body})
		}
	}
	h.scheduleBroadcast()
}

// trackMembership keeps agents' queues current between snapshots, so an
// agent added to a queue sees its callers at once.
func (h *Hub) trackMembership(ev queue.Event) {
	var agent queue.AgentID
	var ms []queue.Membership
	switch e := ev.(type) {
	case queue.AgentQueuesChanged:
		agent, ms = e.Agent, e.Queues
	case queue.AgentConfigured:
		agent, ms = queue.AgentID(e.Config.ID), e.Config.Queues
	case queue.AgentRemoved:
		delete(h.agentQueues, e.Agent)
		return
	default:
		return
	}
	qs := map[string]bool{}
	for _, m := range ms {
		qs[m.Queue] = true
	}
	h.agentQueues[agent] = qs
}
