package aritest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// application is a Stasis application as Asterisk keeps it: registered by
// its first websocket and kept (inactive) after the socket goes.
type application struct {
	name        string
	channels    map[string]bool // explicit channel: subscriptions
	bridges     map[string]bool // explicit bridge: subscriptions
	endpoints   map[string]bool // "PJSIP/x" or "PJSIP" (all of a technology)
	deviceNames map[string]bool // "" = every device
	allowed     map[string]bool // eventFilter: only these types (empty: all)
	disallowed  map[string]bool // eventFilter: never these types
}

// wants says whether the application's event filter lets an event of
// this type through (disallowed wins; an empty allowed list allows all).
func (a *application) wants(kind string) bool {
	if a.disallowed[kind] {
		return false
	}
	return len(a.allowed) == 0 || a.allowed[kind]
}

func newApplication(name string) *application {
	return &application{name: name, channels: map[string]bool{}, bridges: map[string]bool{}, endpoints: map[string]bool{}, deviceNames: map[string]bool{}}
}

// wsConn is one events websocket. Events are queued under the server lock
// and written by the connection's own writer goroutine.
type wsConn struct {
	apps         []string
	subscribeAll bool
	cancel       context.CancelFunc

	mu       sync.Mutex
	queue    [][]byte
	enqueued int
	written  int
	done     bool
	waiters  []wsWait
	wake     chan struct{}
}

type wsWait struct {
	c   *wsConn
	seq int
	ch  chan struct{}
}

// dropApp stops c serving app; called with the server lock held.
func (c *wsConn) dropApp(app string) {
	kept := c.apps[:0]
	for _, a := range c.apps {
		if a != app {
			kept = append(kept, a)
		}
	}
	c.apps = kept
}

func (c *wsConn) hasApp(app string) bool {
	for _, a := range c.apps {
		if a == app {
			return true
		}
	}
	return false
}

func (c *wsConn) push(data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	c.queue = append(c.queue, data)
	c.enqueued++
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *wsConn) mark() (wsWait, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done || c.written >= c.enqueued {
		return wsWait{}, false
	}
	w := wsWait{c: c, seq: c.enqueued, ch: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	return w, true
}

func (c *wsConn) wrote(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.written += n
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.seq <= c.written {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

func (c *wsConn) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = true
	c.queue = nil
	for _, w := range c.waiters {
		close(w.ch)
	}
	c.waiters = nil
}

// abort closes the socket abruptly (no close frame), as a dying Asterisk would.
func (c *wsConn) abort() { c.cancel() }

func (s *Server) flushMarksLocked() []wsWait {
	var waits []wsWait
	for c := range s.conns {
		if w, ok := c.mark(); ok {
			waits = append(waits, w)
		}
	}
	return waits
}

func waitFlushed(waits []wsWait, limit time.Duration) {
	if len(waits) == 0 {
		return
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	for _, w := range waits {
		select {
		case <-w.ch:
		case <-t.C:
			return
		}
	}
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var apps []string
	for _, a := range strings.Split(q.Get("app"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			apps = append(apps, a)
		}
	}
	if len(apps) == 0 {
		writeJSON(w, http.StatusBadRequest, errorJSON{Message: "Missing param 'app'"})
		s.record(r, http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &wsConn{apps: apps, subscribeAll: q.Get("subscribeAll") == "true", cancel: cancel, wake: make(chan struct{}, 1)}
	// The application exists before the handshake completes, as in
	// Asterisk: a client that calls /applications/{app} as soon as its
	// websocket is up must find it. Events meanwhile wait in c's queue.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		writeJSON(w, http.StatusServiceUnavailable, errorJSON{Message: "Shutting down"})
		return
	}
	s.connWG.Add(1)
	for _, a := range apps {
		if s.apps[a] == nil {
			s.apps[a] = newApplication(a)
		}
		// As in Asterisk, a new websocket for an application takes its
		// events over; an older one stays open but hears no more of it.
		for old := range s.conns {
			old.dropApp(a)
		}
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer s.connWG.Done()
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		s.log.Warn("aritest: websocket accept", "err", err)
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.finish()
		cancel()
		return
	}
	s.record(r, http.StatusSwitchingProtocols)
	s.log.Debug("aritest: events websocket connected", "apps", apps)

	readCtx := ws.CloseRead(ctx)
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.finish()
		cancel()
		_ = ws.CloseNow()
	}()
	for {
		select {
		case <-readCtx.Done():
			return
		case <-c.wake:
		}
		for {
			c.mu.Lock()
			batch := c.queue
			c.queue = nil
			c.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, data := range batch {
				wctx, wcancel := context.WithTimeout(readCtx, 5*time.Second)
				err := ws.Write(wctx, websocket.MessageText, data)
				wcancel()
				if err != nil {
					return
				}
				c.wrote(1)
			}
		}
	}
}

// DropWebsockets closes every events websocket abruptly. Channels stay in
// their applications; events while no socket is connected are lost.
func (s *Server) DropWebsockets() {
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
		delete(s.conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.finish()
		c.abort()
	}
}

// appConnected reports whether some websocket serves app.
func (s *Server) appConnected(app string) bool {
	for c := range s.conns {
		if c.hasApp(app) {
			return true
		}
	}
	return false
}

// send writes ev to every socket that serves one of apps (or subscribes to
// everything), stamping "application" per app as Asterisk does.
func (s *Server) send(apps map[string]bool, ev appEvent) {
	for c := range s.conns {
		for _, a := range c.apps {
			if !apps[a] && !c.subscribeAll {
				continue
			}
			if app := s.apps[a]; app != nil && !app.wants(ev.kind()) {
				continue
			}
			ev.setApp(a)
			data, err := json.Marshal(ev)
			if err != nil {
				s.log.Error("aritest: encode event", "err", err)
				continue
			}
			c.push(data)
			s.events = append(s.events, data)
			if n := s.opts.HistoryLimit; n > 0 && len(s.events) > 2*n {
				// Trim in batches so appending stays amortised O(1).
				s.events = append([]json.RawMessage(nil), s.events[len(s.events)-n:]...)
			}
		}
	}
}

// channelApps are the applications that hear about ch.
func (s *Server) channelApps(ch *channel) map[string]bool {
	apps := map[string]bool{}
	if ch.silent {
		return apps
	}
	for a := range ch.watchers {
		apps[a] = true
	}
	for name, app := range s.apps {
		if app.channels[ch.id] || app.endpoints[ch.endpointName()] || app.endpoints[ch.tech] {
			apps[name] = true
		}
	}
	return apps
}

func (s *Server) emitChannel(ch *channel, ev appEvent) {
	apps := s.channelApps(ch)
	if len(apps) == 0 && !s.anySubscribeAll() {
		return
	}
	if ch.silent {
		return
	}
	s.send(apps, ev)
}

func (s *Server) anySubscribeAll() bool {
	for c := range s.conns {
		if c.subscribeAll {
			return true
		}
	}
	return false
}

func (s *Server) emitBridgeChannel(b *bridge, ch *channel, typ string) {
	apps := s.channelApps(ch)
	for name, app := range s.apps {
		if app.bridges[b.id] {
			apps[name] = true
		}
	}
	s.send(apps, &bridgeChannelEvent{eventBase: base(typ, time.Now()), Bridge: b.json(), Channel: ch.json()})
}

func (s *Server) emitDeviceState(name, state string) {
	apps := map[string]bool{}
	for n, app := range s.apps {
		if app.deviceNames[""] || app.deviceNames[name] {
			apps[n] = true
		}
	}
	s.send(apps, &deviceStateEvent{eventBase: base("DeviceStateChanged", time.Now()), DeviceState: deviceStateJSON{Name: name, State: state}})
}
