package ui

import (
	"context"
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
// snapshot replaces whatever the client had and resets its count.
//
// The hub never asks the application loop for anything: the loop pushes
// its events (Publish) and, every second, a snapshot (PublishSnapshot),
// both in its own order. The hub keeps the latest snapshot and the events
// published since; a client that needs a snapshot (it connected, saw a gap,
// or fell behind) gets that snapshot and then those events, which is the
// floor as it is now, without a round trip through the loop. After events,
// the next pushed snapshot also goes to every client, so a client applies
// the events it understands at once (order, joins, leaves, agent states)
// and lets that snapshot correct everything else; a snapshot to a thousand
// clients costs as much as an event, so they come at most once a second.
// Agents see their own events, the events of the queues they are in, and a
// snapshot cut down to that.

type hubConfig struct {
	log          *slog.Logger
	buffer       int           // messages queued per client before it counts as slow
	backlog      int           // events kept since the latest snapshot, for clients that need one
	writeTimeout time.Duration // a client that takes longer to accept one message is dropped
	pingEvery    time.Duration
}

func (c *hubConfig) defaults() {
	if c.buffer <= 0 {
		c.buffer = 256
	}
	if c.backlog <= 0 {
		// A second of a very busy floor; beyond it a client that needs a
		// snapshot waits for the next one.
		c.backlog = 10000
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
	inbox []hubItem
	wake  chan struct{}

	register   chan *client
	unregister chan *client
	resync     chan *client
	endCh      chan endRequest
	done       chan struct{}
	stopped    chan struct{}
	closeOnce  sync.Once
	baseCtx    context.Context
	cancelBase context.CancelFunc

	nclients  atomic.Int64
	overflows atomic.Int64 // messages not queued because a client's buffer was full

	// Owned by run.
	clients     map[*client]struct{}
	agentQueues map[queue.AgentID]map[string]bool
	latest      *pushedSnapshot // nil until the loop's first push
	since       []queue.Event   // published after latest, in order
	sinceLost   bool            // more than backlog since latest: clients needing a snapshot wait for the next
	dirty       bool            // events since the last snapshot went to every client
}

// hubItem is one push from the loop: events or a snapshot.
type hubItem struct {
	events []queue.Event
	snap   *queue.Snapshot
}

// pushedSnapshot is the loop's latest snapshot, encoded once for the whole
// floor and once per agent view, when first needed.
type pushedSnapshot struct {
	snap   queue.Snapshot
	body   []byte
	agents map[queue.AgentID][]byte
}

func (p *pushedSnapshot) bodyFor(agent queue.AgentID) []byte {
	if agent == "" {
		if p.body == nil {
			p.body = encodeOrEmpty(p.snap)
		}
		return p.body
	}
	b, ok := p.agents[agent]
	if !ok {
		b = encodeOrEmpty(agentView(p.snap, agent))
		p.agents[agent] = b
	}
	return b
}

// encodeOrEmpty encodes a snapshot, which holds nothing JSON cannot encode.
func encodeOrEmpty(v any) []byte {
	b, err := MarshalAPI(v)
	if err != nil {
		return []byte("{}")
	}
	return b
}

// outMsg is one websocket message: head + body + "}". Bodies are shared
// between clients; only the head (with the client's seq) is per client.
type outMsg struct {
	head     []byte
	body     []byte
	snapshot bool
}

type client struct {
	hub     *Hub
	conn    *websocket.Conn
	user    User
	session string        // the session it was opened with (session.id)
	agent   queue.AgentID // non-empty: an agent's filtered view
	send    chan outMsg
	kick    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc

	wantSnap     atomic.Bool  // overflowed: ask for a snapshot once the buffer is drained
	snapPending  atomic.Int32 // snapshots queued and not yet written
	overflows    atomic.Int64
	writingSince atomic.Int64 // unix nanoseconds when the write in progress began; 0 when idle

	// Owned by the read loop (askResync).
	lastResync  time.Time
	resyncLater bool // a coalesced resync is scheduled for lastResync

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
		endCh:       make(chan endRequest),
		done:        make(chan struct{}),
		stopped:     make(chan struct{}),
		baseCtx:     ctx,
		cancelBase:  cancel,
		clients:     map[*client]struct{}{},
		agentQueues: map[queue.AgentID]map[string]bool{},
	}
	go h.run()
	return h
}

// Publish queues events for the clients. It never blocks: the inbox grows
// instead, and the hub goroutine drains it at once.
func (h *Hub) Publish(events []queue.Event) {
	if len(events) == 0 {
		return
	}
	h.push(hubItem{events: events})
}

// PublishSnapshot hands the hub the loop's latest snapshot, in order with
// the events; it never blocks either.
func (h *Hub) PublishSnapshot(snap queue.Snapshot) {
	h.push(hubItem{snap: &snap})
}

func (h *Hub) push(it hubItem) {
	h.mu.Lock()
	h.inbox = append(h.inbox, it)
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

// statusSessionEnded closes a socket whose session ended; the console
// goes to its login page on it (static/live.js).
const statusSessionEnded websocket.StatusCode = 4001

// endRequest names the sockets to close: a user's, or one session's.
type endRequest struct{ user, session string }

// endUser closes every socket of a user whose sessions ended.
func (h *Hub) endUser(id string) { h.end(endRequest{user: id}) }

// endSession closes the sockets of one session (logout).
func (h *Hub) endSession(id string) { h.end(endRequest{session: id}) }

func (h *Hub) end(r endRequest) {
	select {
	case h.endCh <- r:
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
			items := h.inbox
			h.inbox = nil
			h.mu.Unlock()
			for _, it := range items {
				if it.snap != nil {
					h.snapshotPushed(*it.snap)
				} else {
					h.fanout(it.events)
				}
			}
		case c := <-h.register:
			h.clients[c] = struct{}{}
			h.catchUp(c)
		case c := <-h.unregister:
			delete(h.clients, c)
		case c := <-h.resync:
			if _, ok := h.clients[c]; ok {
				h.catchUp(c)
			}
		case r := <-h.endCh:
			for c := range h.clients {
				if (r.user != "" && c.user.ID == r.user) || (r.session != "" && c.session == r.session) {
					// Close in the background: the handshake waits on the client.
					go func() {
						if err := c.conn.Close(statusSessionEnded, "session ended: log in again"); err != nil {
							h.cfg.log.Debug("close ended session's websocket", "user", c.user.ID, "err", err)
						}
						c.cancel()
					}()
				}
			}
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

// catchUp gives a client that needs it the latest snapshot and the events
// since, or marks it to get the next snapshot when there is none to give or
// its buffer could not take them all (a slow client that caught up must not
// overflow again on what it missed: the next snapshot, within a second,
// holds it).
func (h *Hub) catchUp(c *client) {
	c.stale, c.needSnap = true, true
	if h.latest == nil || h.sinceLost || 1+len(h.since) > cap(c.send)-len(c.send) {
		return
	}
	h.sendSnapshot(c)
	for _, ev := range h.since {
		if c.stale {
			return // overflowed again: its writer asks once drained
		}
		h.sendEvent(c, ev, ev.Scope(), ev.Kind(), nil)
	}
}

// snapshotPushed takes the loop's new snapshot: clients waiting for one get
// it, and after events every client does.
func (h *Hub) snapshotPushed(snap queue.Snapshot) {
	h.latest = &pushedSnapshot{snap: snap, agents: map[queue.AgentID][]byte{}}
	h.since, h.sinceLost = nil, false
	h.agentQueues = map[queue.AgentID]map[string]bool{}
	for _, a := range snap.Agents {
		qs := map[string]bool{}
		for _, m := range a.Config.Queues {
			qs[m.Queue] = true
		}
		h.agentQueues[queue.AgentID(a.Config.ID)] = qs
	}
	broadcast := h.dirty
	h.dirty = false
	for c := range h.clients {
		if !broadcast && !c.needSnap {
			continue
		}
		if c.stale && !c.needSnap {
			// Overflowed and not drained yet: its writer asks when it is.
			c.seq++
			continue
		}
		h.sendSnapshot(c)
	}
}

// sendSnapshot queues the latest snapshot (cut down for an agent) for c.
func (h *Hub) sendSnapshot(c *client) {
	c.seq++
	head := append([]byte(`{"type":"snapshot","seq":`), strconv.FormatUint(c.seq, 10)...)
	head = append(head, `,"snapshot":`...)
	c.snapPending.Add(1)
	if h.enqueue(c, outMsg{head: head, body: h.latest.bodyFor(c.agent), snapshot: true}) {
		c.stale, c.needSnap = false, false
	} else {
		c.snapPending.Add(-1)
		c.needSnap = false // its writer asks again once drained
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
			body = h.sendEvent(c, ev, scope, kind, body)
		}
	}
	h.dirty = true
	if h.latest == nil || h.sinceLost {
		return
	}
	if len(h.since)+len(events) > h.cfg.backlog {
		h.since, h.sinceLost = nil, true
		return
	}
	h.since = append(h.since, events...)
}

// sendEvent queues ev for c if c may see it, encoding it once per fanout
// (body, returned for the next client).
func (h *Hub) sendEvent(c *client, ev queue.Event, scope queue.Scope, kind string, body []byte) []byte {
	if c.agent != "" && !scope.VisibleTo(c.agent, h.agentQueues[c.agent]) {
		return body
	}
	c.seq++
	if c.stale {
		return body
	}
	if body == nil {
		var err error
		if body, err = MarshalAPI(ev); err != nil {
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
	return body
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
