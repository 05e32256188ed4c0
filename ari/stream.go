package ari

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// maxFrame bounds one events frame; Asterisk's largest events (transfers,
// channels with many channelvars) stay far below it.
const maxFrame = 8 << 20

// Events is the main stream: every Asterisk event for the application, in
// arrival order, plus *Connected after each (re)connect and *Disconnected
// when the websocket drops. Nothing is dropped: while nobody reads, Run stops
// reading the websocket. The channel is never closed; stop reading when Run
// has returned.
func (c *Client) Events() <-chan Event { return c.events }

// Connected reports whether the events websocket is open now.
func (c *Client) Connected() bool { return c.connected.Load() }

// MalformedFrames counts websocket frames skipped because they were not a
// JSON object.
func (c *Client) MalformedFrames() uint64 { return c.malformed.Load() }

// Reconnects counts how many times the events websocket dropped while Run
// was running.
func (c *Client) Reconnects() uint64 { return c.reconnects.Load() }

// Run connects the events websocket and reads it, in the calling goroutine
// only, until ctx ends; it then returns ctx.Err(). When the socket drops or
// cannot be opened it retries with exponential backoff between MinBackoff and
// MaxBackoff, with jitter. Only one Run may be active at a time.
//
// A frame that is not JSON is logged with its first bytes, counted
// (MalformedFrames) and skipped; the stream goes on. An unknown event type
// is delivered as *RawEvent.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("ari: Run is already running")
	}
	defer c.running.Store(false)
	// Failed upgrades leave keep-alive connections in the HTTP client's
	// pool, each with two goroutines; nothing of Run should outlive it.
	defer c.http.CloseIdleConnections()
	attempt := 0
	for {
		conn, err := c.dialEvents(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.log.Warn("ari events: connect failed", "url", c.eventsURL(), "attempt", attempt+1, "err", err)
			if !sleep(ctx, c.backoff(attempt)) {
				return ctx.Err()
			}
			attempt++
			continue
		}
		opened := time.Now()
		c.connected.Store(true)
		c.log.Info("ari events: connected", "url", c.eventsURL())
		err = c.emit(ctx, &Connected{At: opened})
		if err == nil {
			err = c.serve(ctx, conn)
		}
		c.connected.Store(false)
		conn.CloseNow()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.reconnects.Add(1)
		c.log.Warn("ari events: websocket dropped", "err", err)
		if err := c.emit(ctx, &Disconnected{Err: err, At: time.Now()}); err != nil {
			return ctx.Err()
		}
		// A connection that lived a while was healthy: start the backoff
		// again. One that dropped at once keeps growing it, so a server that
		// accepts and closes is not hammered.
		if time.Since(opened) >= c.maxBackoff {
			attempt = 0
		}
		if !sleep(ctx, c.backoff(attempt)) {
			return ctx.Err()
		}
		attempt++
	}
}

func (c *Client) eventsURL() string {
	u := *c.base
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	u.Path = c.base.Path + "/ari/events"
	u.RawPath = ""
	q := url.Values{"app": {c.app}}
	if c.subscribeAll {
		q.Set("subscribeAll", "true")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (c *Client) dialEvents(ctx context.Context) (*websocket.Conn, error) {
	header := http.Header{}
	req := http.Request{Header: header}
	req.SetBasicAuth(c.user, c.pass)
	conn, resp, err := websocket.Dial(ctx, c.eventsURL(), &websocket.DialOptions{
		HTTPClient: c.http,
		HTTPHeader: header,
	})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial events websocket: status %d: %w", resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial events websocket: %w", err)
	}
	conn.SetReadLimit(maxFrame)
	return conn, nil
}

// serve reads conn until it fails or ctx ends, with the keepalive pinger
// beside it when PingInterval is set. The pinger only writes; reading stays
// in the caller's goroutine.
func (c *Client) serve(ctx context.Context, conn *websocket.Conn) error {
	if c.pingEvery <= 0 {
		return c.read(ctx, conn)
	}
	pingCtx, stop := context.WithCancel(ctx)
	pingErr := make(chan error, 1)
	go func() { pingErr <- c.keepAlive(pingCtx, conn) }()
	err := c.read(ctx, conn)
	stop()
	if perr := <-pingErr; perr != nil {
		return perr // the reader only saw the socket the pinger closed
	}
	return err
}

// keepAlive pings until ctx ends; when a pong is late it closes conn, which
// ends the reader, and says why.
func (c *Client) keepAlive(ctx context.Context, conn *websocket.Conn) error {
	tick := time.NewTicker(c.pingEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		pctx, cancel := context.WithTimeout(ctx, c.pingEvery)
		err := conn.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			conn.CloseNow()
			return fmt.Errorf("events websocket keepalive: no pong within %v: %w", c.pingEvery, err)
		}
	}
}

// read decodes frames until the socket fails or ctx ends.
func (c *Client) read(ctx context.Context, conn *websocket.Conn) error {
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		ev, err := DecodeEvent(data)
		if err != nil {
			if ev == nil {
				n := c.malformed.Add(1)
				c.log.Warn("ari events: malformed frame skipped", "err", err, "first_bytes", firstBytes(data, 80), "malformed_total", n)
				continue
			}
			c.log.Warn("ari events: event does not fit its type, delivered as RawEvent", "type", ev.EventType(), "err", err)
		}
		c.publish(ev)
		if err := c.emit(ctx, ev); err != nil {
			return err
		}
	}
}

func firstBytes(data []byte, n int) string {
	if len(data) > n {
		return string(data[:n]) + "..."
	}
	return string(data)
}

// emit delivers on the main stream, blocking (backpressure) until read or
// until ctx ends.
func (c *Client) emit(ctx context.Context, ev Event) error {
	if c.onEvent != nil {
		c.onEvent(ev)
	}
	select {
	case c.events <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff is MinBackoff doubled per attempt up to MaxBackoff, then "equal
// jitter": a random point in its upper half, so many clients restarted
// together do not reconnect in step.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.minBackoff
	for i := 0; i < attempt && d < c.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.maxBackoff)
	half := d / 2
	return half + rand.N(half+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

type subKey struct {
	kind resourceKind
	id   string
}

// Subscription receives the events about one channel or bridge, as well as
// the main stream does. It buffers without limit and never drops; Close it
// when done, which also ends its goroutine.
type Subscription struct {
	c    *Client
	key  subKey
	out  chan Event
	wake chan struct{}
	done chan struct{}
	exit chan struct{}
	once sync.Once

	mu    sync.Mutex
	queue []Event
}

// SubscribeChannel returns a Subscription to the events that name channel
// id: as the channel, peer, caller, replaced channel... and playbacks whose
// target is the channel. It does not ask Asterisk to send more events (see
// Subscribe for that).
func (c *Client) SubscribeChannel(id string) *Subscription {
	return c.subscribe(subKey{channelResource, id})
}

// SubscribeBridge returns a Subscription to the events that name bridge id,
// including playbacks whose target is the bridge.
func (c *Client) SubscribeBridge(id string) *Subscription {
	return c.subscribe(subKey{bridgeResource, id})
}

func (c *Client) subscribe(key subKey) *Subscription {
	s := &Subscription{
		c:    c,
		key:  key,
		out:  make(chan Event),
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
		exit: make(chan struct{}),
	}
	c.subsMu.Lock()
	set := c.subs[key]
	if set == nil {
		set = map[*Subscription]struct{}{}
		c.subs[key] = set
	}
	set[s] = struct{}{}
	c.subsMu.Unlock()
	go s.pump()
	return s
}

// Events delivers the subscription's events in arrival order. It is closed
// by Close.
func (s *Subscription) Events() <-chan Event { return s.out }

// Close stops the subscription; undelivered events are discarded. It waits
// for the subscription's goroutine to end and is safe to call twice.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.c.subsMu.Lock()
		if set := s.c.subs[s.key]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(s.c.subs, s.key)
			}
		}
		s.c.subsMu.Unlock()
		close(s.done)
	})
	<-s.exit
}

func (s *Subscription) push(ev Event) {
	s.mu.Lock()
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Subscription) pump() {
	defer close(s.exit)
	defer close(s.out)
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		s.mu.Unlock()
		for _, ev := range batch {
			select {
			case s.out <- ev:
			case <-s.done:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-s.wake:
		case <-s.done:
			return
		}
	}
}

// publish hands ev to the subscriptions of every channel and bridge it
// names, once per subscription.
func (c *Client) publish(ev Event) {
	re, ok := ev.(resourceEvent)
	if !ok {
		return
	}
	c.subsMu.Lock()
	defer c.subsMu.Unlock()
	if len(c.subs) == 0 {
		return
	}
	var sent []*Subscription
	re.visitResources(func(kind resourceKind, id string) {
		if id == "" {
			return
		}
		for s := range c.subs[subKey{kind, id}] {
			dup := false
			for _, prev := range sent {
				dup = dup || prev == s
			}
			if !dup {
				sent = append(sent, s)
				s.push(ev)
			}
		}
	})
}
