package aritest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"stasisq/internal/groundtruth"
)

const (
	testUser = "stasisq"
	testPass = "s3cret"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// allEvents collects every event emitted in this test binary for the
// events.json conformance check, which runs last (see TestZZEventsConform).
var allEvents struct {
	sync.Mutex
	list []json.RawMessage
}

// MustServer starts a fake Asterisk closed at the end of the test.
func MustServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.User == "" {
		opts.User, opts.Password = testUser, testPass
	}
	s := NewServer(opts)
	tb.Cleanup(func() {
		allEvents.Lock()
		allEvents.list = append(allEvents.list, s.Events()...)
		allEvents.Unlock()
		s.Close()
	})
	return s
}

// restClient talks plain net/http to the fake.
type restClient struct {
	tb   testing.TB
	base string
	hc   *http.Client
}

func newRESTClient(tb testing.TB, s *Server) *restClient {
	tr := &http.Transport{}
	tb.Cleanup(tr.CloseIdleConnections)
	return &restClient{tb: tb, base: s.URL(), hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// do sends method to pathAndQuery (starting with /ari) and returns the
// status and the body (nil when empty).
func (c *restClient) do(method, pathAndQuery string, body any) (int, json.RawMessage) {
	c.tb.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			c.tb.Fatalf("encode body: %v", err)
		}
		rd = strings.NewReader(string(data))
	}
	req, err := http.NewRequest(method, c.base+pathAndQuery, rd)
	if err != nil {
		c.tb.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(testUser, testPass)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tb.Fatalf("read %s %s: %v", method, pathAndQuery, err)
	}
	if len(data) == 0 {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, data
}

// eventSocket is an events websocket read by one goroutine into a list.
type eventSocket struct {
	tb     testing.TB
	conn   *websocket.Conn
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	events []json.RawMessage
	err    error
	notify chan struct{}
}

func authHeader() http.Header {
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPass)))
	return h
}

// MustConnect opens /ari/events for apps (comma separated).
func MustConnect(tb testing.TB, s *Server, apps string, extra string) *eventSocket {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(s.URL(), "http") + "/ari/events?app=" + apps + extra
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: authHeader()})
	if err != nil {
		tb.Fatalf("dial events: %v", err)
	}
	conn.SetReadLimit(1 << 20)
	rctx, rcancel := context.WithCancel(context.Background())
	es := &eventSocket{tb: tb, conn: conn, cancel: rcancel, done: make(chan struct{}), notify: make(chan struct{}, 1)}
	go es.read(rctx)
	tb.Cleanup(es.close)
	// The fake registers the application before its first event; wait until
	// it lists the app so tests do not race the registration.
	waitUntil(tb, 5*time.Second, "application registered", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, a := range strings.Split(apps, ",") {
			if !s.appConnected(a) {
				return false
			}
		}
		return true
	})
	return es
}

func (es *eventSocket) read(ctx context.Context) {
	defer close(es.done)
	for {
		_, data, err := es.conn.Read(ctx)
		es.mu.Lock()
		if err != nil {
			es.err = err
			es.mu.Unlock()
			es.wake()
			return
		}
		es.events = append(es.events, data)
		es.mu.Unlock()
		es.wake()
	}
}

func (es *eventSocket) wake() {
	select {
	case es.notify <- struct{}{}:
	default:
	}
}

func (es *eventSocket) close() {
	es.cancel()
	_ = es.conn.CloseNow()
	<-es.done
}

func (es *eventSocket) snapshot() []json.RawMessage {
	es.mu.Lock()
	defer es.mu.Unlock()
	return append([]json.RawMessage(nil), es.events...)
}

// waitCount waits until at least n events have arrived.
func (es *eventSocket) waitCount(n int, timeout time.Duration) []json.RawMessage {
	es.tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		evs := es.snapshot()
		if len(evs) >= n {
			return evs
		}
		select {
		case <-es.notify:
		case <-deadline.C:
			es.tb.Fatalf("got=%d events, want at least %d within %v; got types %v", len(evs), n, timeout, eventTypes(evs))
			return nil
		}
	}
}

// waitType waits for the next event of typ after index from, returning its index.
func (es *eventSocket) waitFor(from int, timeout time.Duration, match func(ev map[string]any) bool) (int, map[string]any) {
	es.tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		evs := es.snapshot()
		for i := from; i < len(evs); i++ {
			var m map[string]any
			if err := json.Unmarshal(evs[i], &m); err != nil {
				es.tb.Fatalf("decode event: %v", err)
			}
			if match(m) {
				return i, m
			}
		}
		select {
		case <-es.notify:
		case <-deadline.C:
			es.tb.Fatalf("no matching event within %v; got types %v", timeout, eventTypes(evs))
			return -1, nil
		}
	}
}

func isType(typ string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == typ }
}

func isTypeOn(typ, channelID string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		if m["type"] != typ {
			return false
		}
		ch, _ := m["channel"].(map[string]any)
		if ch == nil {
			ch, _ = m["peer"].(map[string]any)
		}
		return ch != nil && ch["id"] == channelID
	}
}

func eventTypes(evs []json.RawMessage) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		var m struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(e, &m)
		out[i] = m.Type
	}
	return out
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sharedDir holds Asterisk's api-docs and transcripts (see groundtruth).
func sharedDir(tb testing.TB) string {
	tb.Helper()
	return groundtruth.Dir(tb)
}

func mustJSON(tb testing.TB, data []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		tb.Fatalf("decode %s: %v", data, err)
	}
	return m
}

func str(v any) string { return fmt.Sprint(v) }
