package ari

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"
)

// waitTimeout is generous: these tests run under -race on loaded 2-core
// machines. Nothing waits for it unless something is broken.
const waitTimeout = 20 * time.Second

// MustNoLeaks checks, after every other cleanup of the test (servers
// included), that no goroutine started during the test is still running.
func MustNoLeaks(tb testing.TB) {
	tb.Helper()
	before := goleak.IgnoreCurrent()
	tb.Cleanup(func() { goleak.VerifyNone(tb, before) })
}

func stasisStartLine(id string) string {
	return `{"type":"StasisStart","timestamp":"2026-11-26T04:59:40.720+0000","args":["100"],"channel":{"id":"` + id +
		`","name":"Local/100@from-callers-00000001;2","state":"Ring","protocol_id":"","caller":{"name":"Test Caller","number":"5551234"},` +
		`"connected":{"name":"Test Caller","number":"5551234"},"accountcode":"","dialplan":{"context":"from-callers","exten":"100","priority":2,` +
		`"app_name":"Stasis","app_data":"queueapp,100"},"creationtime":"2026-11-26T04:59:40.720+0000","language":"en"},` +
		`"asterisk_id":"02:fc:00:00:00:01","application":"queueapp"}`
}

// wsSession is one accepted events websocket, handed to the test's script.
type wsSession struct {
	n    int // 1 for the first connection
	conn *websocket.Conn
	r    *http.Request
}

// waitClient keeps the socket open until the client goes away.
func (s wsSession) waitClient() {
	for {
		if _, _, err := s.conn.Read(context.Background()); err != nil {
			return
		}
	}
}

func (s wsSession) send(tb testing.TB, frames ...string) {
	for _, f := range frames {
		if err := s.conn.Write(s.r.Context(), websocket.MessageText, []byte(f)); err != nil {
			tb.Errorf("session %d: write: %v", s.n, err)
			return
		}
	}
}

// MustEventsServer starts an httptest server whose /ari/events runs script
// for each connection (the socket closes when script returns) and a client
// for it. Authentication and the query are checked on every connection.
func MustEventsServer(tb testing.TB, script func(s wsSession)) (*Client, *syncBuffer) {
	tb.Helper()
	var sessions atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ari/events" {
			http.NotFound(w, r)
			return
		}
		if user, pass, ok := r.BasicAuth(); !ok || user != "asterisk" || pass != "secret" {
			http.Error(w, `{"message":"Authentication required"}`, http.StatusUnauthorized)
			return
		}
		if got := r.URL.Query().Get("app"); got != "queueapp" {
			tb.Errorf("events query app got=%q, want queueapp", got)
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			tb.Errorf("accept: %v", err)
			return
		}
		defer conn.CloseNow()
		script(wsSession{n: int(sessions.Add(1)), conn: conn, r: r})
	}))
	tb.Cleanup(srv.Close)
	logs := &syncBuffer{}
	c, err := NewClient(Config{
		URL: srv.URL, User: "asterisk", Password: "secret", App: "queueapp",
		HTTPClient: &http.Client{Transport: &http.Transport{}},
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
		MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c, logs
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// MustRun starts c.Run and returns a stop function that cancels it and
// checks that it returned context.Canceled.
func MustRun(tb testing.TB, c *Client) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	return func() {
		tb.Helper()
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				tb.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(waitTimeout):
			tb.Fatal("Run did not return after cancel")
		}
	}
}

// MustNext reads the next event from ch or fails.
func MustNext(tb testing.TB, ch <-chan Event) Event {
	tb.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(waitTimeout):
		tb.Fatal("no event within timeout")
		return nil
	}
}

// describe gives a short text for an event: its type, and the channel id of
// a StasisStart.
func describe(ev Event) string {
	if s, ok := ev.(*StasisStart); ok {
		return "StasisStart:" + s.Channel.ID
	}
	return ev.EventType()
}

func TestReconnectAfterDrop(t *testing.T) {
	MustNoLeaks(t)
	c, _ := MustEventsServer(t, func(s wsSession) {
		switch s.n {
		case 1:
			s.send(t, stasisStartLine("before-drop"))
			// return: the server drops the socket mid-stream, without a close frame
		default:
			s.send(t, stasisStartLine(fmt.Sprintf("after-drop-%d", s.n)))
			s.waitClient()
		}
	})
	stop := MustRun(t, c)
	want := []string{"Connected", "StasisStart:before-drop", "Disconnected", "Connected", "StasisStart:after-drop-2"}
	for i, w := range want {
		ev := MustNext(t, c.Events())
		if got := describe(ev); got != w {
			t.Fatalf("event %d got=%s, want %s", i, got, w)
		}
		if d, ok := ev.(*Disconnected); ok && d.Err == nil {
			t.Error("Disconnected.Err is nil, want the read error")
		}
	}
	if !c.Connected() {
		t.Error("Connected() got=false after reconnect, want true")
	}
	if got := c.Reconnects(); got != 1 {
		t.Errorf("Reconnects() got=%d, want 1", got)
	}
	stop()
	if c.Connected() {
		t.Error("Connected() got=true after Run returned, want false")
	}
}

func TestRetriesUntilServerAccepts(t *testing.T) {
	MustNoLeaks(t)
	var refused atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refused.Add(1) <= 3 {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		wsSession{conn: conn, r: r}.waitClient()
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(Config{URL: srv.URL, App: "queueapp", HTTPClient: &http.Client{Transport: &http.Transport{}},
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := MustRun(t, c)
	if ev := MustNext(t, c.Events()); ev.EventType() != "Connected" {
		t.Fatalf("first event got=%s, want Connected (failed dials emit nothing)", ev.EventType())
	}
	if got := refused.Load(); got != 4 {
		t.Errorf("dial attempts got=%d, want 4", got)
	}
	stop()
}

func TestMalformedFrameIsSkipped(t *testing.T) {
	c, logs := MustEventsServer(t, func(s wsSession) {
		s.send(t, `{"type":"StasisStart","timestamp":`, stasisStartLine("after-garbage"))
		s.waitClient()
	})
	stop := MustRun(t, c)
	defer stop()
	for i, w := range []string{"Connected", "StasisStart:after-garbage"} {
		if got := describe(MustNext(t, c.Events())); got != w {
			t.Fatalf("event %d got=%s, want %s", i, got, w)
		}
	}
	if got := c.MalformedFrames(); got != 1 {
		t.Errorf("MalformedFrames() got=%d, want 1", got)
	}
	if !c.Connected() {
		t.Error("Connected() got=false, want the stream to go on after a bad frame")
	}
	if got := logs.String(); !strings.Contains(got, "malformed frame skipped") || !strings.Contains(got, `timestamp\":`) {
		t.Errorf("log got=%q, want a malformed-frame line with the frame's first bytes", got)
	}
}

func TestUnknownEventTypeIsRaw(t *testing.T) {
	unknown := `{"type":"ChannelTeleported","timestamp":"2026-11-26T04:59:41.000+0000","application":"queueapp","planet":"mars"}`
	c, _ := MustEventsServer(t, func(s wsSession) {
		s.send(t, unknown, stasisStartLine("after-unknown"))
		s.waitClient()
	})
	stop := MustRun(t, c)
	defer stop()
	MustNext(t, c.Events()) // Connected
	raw, ok := MustNext(t, c.Events()).(*RawEvent)
	if !ok {
		t.Fatal("unknown type not delivered as *RawEvent")
	}
	if raw.EventType() != "ChannelTeleported" || raw.Application() != "queueapp" || string(raw.Data) != unknown {
		t.Errorf("got=%s %s %s, want ChannelTeleported queueapp %s", raw.EventType(), raw.Application(), raw.Data, unknown)
	}
	if want := time.Date(2026, 11, 26, 4, 59, 41, 0, time.UTC); !raw.Timestamp().Equal(want) {
		t.Errorf("Timestamp() got=%v, want %v", raw.Timestamp(), want)
	}
	if got := describe(MustNext(t, c.Events())); got != "StasisStart:after-unknown" {
		t.Errorf("next event got=%s, want StasisStart:after-unknown", got)
	}
	if got := c.MalformedFrames(); got != 0 {
		t.Errorf("MalformedFrames() got=%d, want 0: an unknown type is not an error", got)
	}
}

func TestSlowReaderLosesNothing(t *testing.T) {
	const n = 300 // well past the main stream's buffer
	c, _ := MustEventsServer(t, func(s wsSession) {
		for i := range n {
			s.send(t, stasisStartLine(fmt.Sprint(i)))
		}
		s.waitClient()
	})
	stop := MustRun(t, c)
	defer stop()
	MustNext(t, c.Events()) // Connected
	for i := range n {
		if got, want := describe(MustNext(t, c.Events())), fmt.Sprintf("StasisStart:%d", i); got != want {
			t.Fatalf("got=%s, want %s", got, want)
		}
	}
}

func TestSubscriptions(t *testing.T) {
	lines := []string{
		stasisStartLine("caller-1"),
		stasisStartLine("caller-2"),
		`{"type":"PlaybackFinished","timestamp":"2026-11-26T05:00:00.000+0000","application":"queueapp","playback":{"id":"pb1","media_uri":"sound:x","target_uri":"channel:caller-1","language":"en","state":"done"}}`,
		`{"type":"ChannelEnteredBridge","timestamp":"2026-11-26T05:00:00.001+0000","application":"queueapp","bridge":{"id":"hold-1","technology":"holding_bridge","bridge_type":"holding","bridge_class":"stasis","creator":"Stasis","name":"","channels":["caller-1"],"creationtime":"2026-11-26T05:00:00.000+0000"},"channel":{"id":"caller-1","name":"x","state":"Up","protocol_id":"","caller":{"name":"","number":""},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"","exten":"","priority":1,"app_name":"","app_data":""},"creationtime":"2026-11-26T05:00:00.000+0000","language":"en"}}`,
		`{"type":"ChannelVarset","timestamp":"2026-11-26T05:00:00.002+0000","application":"queueapp","variable":"GLOBAL","value":"1"}`,
	}
	release := make(chan struct{})
	c, _ := MustEventsServer(t, func(s wsSession) {
		<-release
		s.send(t, lines...)
		s.waitClient()
	})
	caller1 := c.SubscribeChannel("caller-1")
	defer caller1.Close()
	bridge := c.SubscribeBridge("hold-1")
	defer bridge.Close()
	closed := c.SubscribeChannel("caller-2")
	closed.Close()
	closed.Close() // twice is fine
	if _, ok := <-closed.Events(); ok {
		t.Error("closed subscription's channel is open, want closed")
	}
	stop := MustRun(t, c)
	defer stop()
	close(release)
	// The main stream gets everything, subscriptions only their part.
	for i, w := range []string{"Connected", "StasisStart:caller-1", "StasisStart:caller-2", "PlaybackFinished", "ChannelEnteredBridge", "ChannelVarset"} {
		if got := describe(MustNext(t, c.Events())); got != w {
			t.Fatalf("main event %d got=%s, want %s", i, got, w)
		}
	}
	for i, w := range []string{"StasisStart:caller-1", "PlaybackFinished", "ChannelEnteredBridge"} {
		if got := describe(MustNext(t, caller1.Events())); got != w {
			t.Fatalf("channel subscription event %d got=%s, want %s", i, got, w)
		}
	}
	if got := describe(MustNext(t, bridge.Events())); got != "ChannelEnteredBridge" {
		t.Fatalf("bridge subscription got=%s, want ChannelEnteredBridge", got)
	}
	select {
	case ev := <-caller1.Events():
		t.Errorf("channel subscription got extra %s", describe(ev))
	case ev := <-bridge.Events():
		t.Errorf("bridge subscription got extra %s", describe(ev))
	default:
	}
}

func TestSubscriptionCloseEndsItsGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c, err := NewClient(Config{URL: "http://127.0.0.1:1", App: "queueapp"})
	if err != nil {
		t.Fatal(err)
	}
	s := c.SubscribeChannel("c1")
	ev, _ := DecodeEvent([]byte(stasisStartLine("c1")))
	c.publish(ev) // never read
	c.publish(ev)
	s.Close()
	if len(c.subs) != 0 {
		t.Errorf("client still holds %d subscription keys after Close", len(c.subs))
	}
}

func TestRunTwiceAtOnceIsRefused(t *testing.T) {
	c, _ := MustEventsServer(t, func(s wsSession) { s.waitClient() })
	stop := MustRun(t, c)
	defer stop()
	MustNext(t, c.Events()) // Connected: the first Run is in its loop
	if err := c.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run got=%v, want an already-running error", err)
	}
}

func TestKeepAliveReconnectsAfterSilentPeer(t *testing.T) {
	MustNoLeaks(t)
	quit := make(chan struct{})
	var sessions atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		if sessions.Add(1) == 1 {
			<-quit // never reads, so never answers a ping: a dead peer
			return
		}
		wsSession{conn: conn, r: r}.waitClient() // reads, so answers pings
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(quit) })
	c, err := NewClient(Config{URL: srv.URL, App: "queueapp", HTTPClient: &http.Client{Transport: &http.Transport{}},
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, PingInterval: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := MustRun(t, c)
	for i, w := range []string{"Connected", "Disconnected", "Connected"} {
		ev := MustNext(t, c.Events())
		if got := ev.EventType(); got != w {
			t.Fatalf("event %d got=%s, want %s", i, got, w)
		}
		if d, ok := ev.(*Disconnected); ok && (d.Err == nil || !strings.Contains(d.Err.Error(), "keepalive")) {
			t.Errorf("Disconnected.Err got=%v, want the keepalive failure", d.Err)
		}
	}
	// The live peer answers pings: several intervals pass without a drop.
	select {
	case ev := <-c.Events():
		t.Errorf("got=%s on a healthy connection, want nothing", ev.EventType())
	case <-time.After(time.Second): // four pings
	}
	stop()
}
