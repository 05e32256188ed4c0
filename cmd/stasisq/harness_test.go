package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"stasisq/ari/aritest"
	"stasisq/callflow"
	"stasisq/internal/asteriskt"
	"stasisq/queue"
)

const (
	testApp      = "stasisq"
	testUser     = "stasisq"
	testPassword = "secret"
	waitFor      = 15 * time.Second // generous: 2 loaded cores under -race
)

// eventLog collects the domain events the app published, in order.
type eventLog struct {
	mu  sync.Mutex
	evs []queue.Event
}

func (l *eventLog) publish(evs []queue.Event) {
	l.mu.Lock()
	l.evs = append(l.evs, evs...)
	l.mu.Unlock()
}

func (l *eventLog) all() []queue.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]queue.Event(nil), l.evs...)
}

// kinds lists the Kind of every event about caller (or every event when
// caller is "").
func (l *eventLog) kinds(caller queue.CallerID) []string {
	var out []string
	for _, ev := range l.all() {
		if caller == "" || eventCaller(ev) == caller {
			out = append(out, ev.Kind())
		}
	}
	return out
}

func eventCaller(ev queue.Event) queue.CallerID {
	switch e := ev.(type) {
	case queue.CallerJoined:
		return e.Caller
	case queue.CallerRefused:
		return e.Caller
	case queue.CallerLeft:
		return e.Caller
	case queue.OfferStarted:
		return e.Caller
	case queue.OfferEnded:
		return e.Caller
	case queue.CallConnected:
		return e.Caller
	case queue.CallCompleted:
		return e.Caller
	case queue.CallerTransferred:
		return e.Caller
	}
	if c, ok := queue.RecordCaller(ev); ok { // the others that concern a caller's record
		return c
	}
	return ""
}

// testEnv is a fake Asterisk and a whole stasisq (engine, flow, store) in
// process, talking over real HTTP and websockets.
type testEnv struct {
	tb     testing.TB
	fake   *aritest.Server     // nil against a real Asterisk
	ast    *asteriskt.Instance // nil against the fake
	main   *Main
	dir    string
	events *eventLog
	logs   *logRecorder
	ari    ariLog // what stasisq received from Asterisk, across restarts
}

// logRecorder keeps the messages stasisq logged at warning level or above,
// for tests that a normal race is not reported as a failure.
type logRecorder struct {
	mu   sync.Mutex
	recs []string // "LEVEL message"
}

func (l *logRecorder) atLeast(level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		lv, _, _ := strings.Cut(r, " ")
		var got slog.Level
		if err := got.UnmarshalText([]byte(lv)); err == nil && got >= level {
			out = append(out, r)
		}
	}
	return out
}

// recordingHandler passes records on to next and keeps warnings and errors.
type recordingHandler struct {
	next slog.Handler
	rec  *logRecorder
}

func (h recordingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.next.Enabled(ctx, l)
}

func (h recordingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.rec.mu.Lock()
		h.rec.recs = append(h.rec.recs, r.Level.String()+" "+r.Message)
		h.rec.mu.Unlock()
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h recordingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return recordingHandler{next: h.next.WithAttrs(as), rec: h.rec}
}

func (h recordingHandler) WithGroup(name string) slog.Handler {
	return recordingHandler{next: h.next.WithGroup(name), rec: h.rec}
}

type envOption func(*aritest.Options)

func MustStartEnv(tb testing.TB, opts ...envOption) *testEnv {
	tb.Helper()
	o := aritest.Options{
		User: testUser, Password: testPassword,
		PlaybackDuration: func(string) time.Duration { return 100 * time.Millisecond },
		AnswerDelay:      5 * time.Millisecond,
	}
	for _, opt := range opts {
		opt(&o)
	}
	fake := aritest.NewServer(o)
	tb.Cleanup(fake.Close)
	env := &testEnv{tb: tb, fake: fake, dir: tb.TempDir(), events: &eventLog{}, logs: &logRecorder{}}
	env.MustRunMain()
	return env
}

func testLogger(tb testing.TB) *slog.Logger {
	if os.Getenv("STASISQ_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// MustRunMain starts stasisq against the env's fake and database and waits
// until it has reconciled; configure changes the process configuration
// first (e.g. a queue_log file).
func (e *testEnv) MustRunMain(configure ...func(*Config)) *Main {
	e.tb.Helper()
	m := NewMain()
	if e.ast != nil {
		m.Config.ARIURL, m.Config.ARIUser, m.Config.ARIPassword = e.ast.ARIURL, e.ast.ARIUser, e.ast.ARIPassword
	} else {
		m.Config.ARIURL, m.Config.ARIUser, m.Config.ARIPassword = e.fake.URL(), testUser, testPassword
	}
	m.Config.App = testApp
	m.Config.Listen = "127.0.0.1:0"
	m.Config.DB = filepath.Join(e.dir, "stasisq.db")
	for _, f := range configure {
		f(&m.Config)
	}
	m.Logger = slog.New(recordingHandler{next: testLogger(e.tb).Handler(), rec: e.logs})
	m.Publish = []func([]queue.Event){e.events.publish}
	m.OnARIEvent = e.ari.add
	m.ExtraARIEvents = []string{"PlaybackStarted", "PlaybackContinuing", "ChannelEnteredBridge"} // the announcement tests follow them
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		e.tb.Fatalf("run stasisq: %v", err)
	}
	e.tb.Cleanup(func() { _ = m.Close() })
	select {
	case <-m.App.Ready():
	case <-ctx.Done():
		e.tb.Fatalf("stasisq never connected to the fake Asterisk")
	}
	e.main = m
	return m
}

func (e *testEnv) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	e.tb.Cleanup(cancel)
	return ctx
}

// MustQueue configures a queue from the defaults, changed by edit.
func (e *testEnv) MustQueue(name string, edit func(*queue.QueueConfig)) {
	e.tb.Helper()
	q := queue.DefaultQueueConfig(name)
	q.Timeout = 5 * time.Second
	q.Retry = 50 * time.Millisecond
	q.AnnouncePosition = "no"
	q.AnnounceHoldTime = "no"
	q.MinAnnounceFrequency = 0
	if edit != nil {
		edit(&q)
	}
	if err := e.main.configureQueue(e.ctx(), q); err != nil {
		e.tb.Fatalf("put queue %s: %v", name, err)
	}
}

// MustAgent configures an agent on device in queues and logs it in.
func (e *testEnv) MustAgent(id, device string, queues ...string) {
	e.tb.Helper()
	cfg := queue.AgentConfig{Device: device}
	for i, q := range queues {
		cfg.Queues = append(cfg.Queues, queue.Membership{Queue: q, Penalty: i})
	}
	if err := e.main.configureUser(e.ctx(), queue.User{ID: id, Name: id, Role: queue.RoleAgent, Agent: cfg}, ""); err != nil {
		e.tb.Fatalf("put agent %s: %v", id, err)
	}
	if err := e.main.App.Do(e.ctx(), queue.AgentLogin{Agent: queue.AgentID(id)}); err != nil {
		e.tb.Fatalf("log in %s: %v", id, err)
	}
}

func (e *testEnv) MustCall(q string, args ...string) *aritest.Call {
	e.tb.Helper()
	c, err := e.fake.Call(e.ctx(), aritest.CallSpec{App: testApp, Args: append([]string{q}, args...), Number: "5551234", Name: "Test Caller"})
	if err != nil {
		e.tb.Fatalf("call: %v", err)
	}
	return c
}

// waitUntil polls cond until it holds or the generous deadline passes.
func (e *testEnv) waitUntil(what string, cond func() bool) {
	e.tb.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			e.tb.Fatalf("timed out waiting until %s\nrequests:\n%s\nevents: %v", what, e.requestLog(), e.events.kinds(""))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// committedCall is the caller's call record once every event recorded so
// far is committed: the store's writer commits after the events are
// published, so a record read right after an event may not have it yet.
func (e *testEnv) committedCall(caller queue.CallerID) queue.CallRecord {
	e.tb.Helper()
	if err := e.main.DB.Flush(e.ctx()); err != nil {
		e.tb.Fatalf("flush the store: %v", err)
	}
	rec, err := e.main.DB.Call(e.ctx(), caller)
	if err != nil {
		e.tb.Fatalf("call record of %s: %v", caller, err)
	}
	return rec
}

func (e *testEnv) agentState(id string) queue.AgentState {
	snap, err := e.main.App.Snapshot(e.ctx())
	if err != nil {
		e.tb.Fatalf("snapshot: %v", err)
	}
	for _, a := range snap.Agents {
		if a.Config.ID == id {
			return a.State
		}
	}
	return ""
}

func (e *testEnv) waitAgent(id string, state queue.AgentState) {
	e.tb.Helper()
	e.waitUntil(fmt.Sprintf("agent %s is %s", id, state), func() bool { return e.agentState(id) == state })
}

func (e *testEnv) waitDone(c *aritest.Call) aritest.CallResult {
	e.tb.Helper()
	select {
	case <-c.Done():
		return c.Result()
	case <-time.After(waitFor):
		e.tb.Fatalf("call %s never left Stasis\nrequests:\n%s\nevents: %v", c.ID(), e.requestLog(), e.events.kinds(""))
	}
	return aritest.CallResult{}
}

// waitClean waits until the fake has no channel and no bridge left and the
// executor is idle: nothing left behind.
func (e *testEnv) waitClean() {
	e.tb.Helper()
	e.waitUntil("no channel or bridge is left in Asterisk", func() bool {
		return len(e.fake.ChannelIDs()) == 0 && len(e.fake.BridgeIDs()) == 0 && e.main.App.Idle()
	})
}

func (e *testEnv) requestLog() string {
	if e.fake == nil {
		return "  (a real Asterisk: its logs are kept under artifacts/asterisk/ when the test fails)\n"
	}
	var b strings.Builder
	for _, r := range e.fake.Requests() {
		fmt.Fprintf(&b, "  %s %s?%s -> %d\n", r.Method, r.Path, r.Query.Encode(), r.Status)
	}
	return b.String()
}

// requests returns "METHOD path" of every request whose path contains sub.
func (e *testEnv) requests(sub string) []string {
	var out []string
	for _, r := range e.fake.Requests() {
		if strings.Contains(r.Path, sub) {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// findRequest returns the first request matching method and a path with
// prefix, or fails.
func (e *testEnv) findRequest(method, prefix string) aritest.Request {
	e.tb.Helper()
	for _, r := range e.fake.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			return r
		}
	}
	e.tb.Fatalf("no %s %s* request; requests:\n%s", method, prefix, e.requestLog())
	return aritest.Request{}
}

func (e *testEnv) countRequests(method, prefix string) int {
	n := 0
	for _, r := range e.fake.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// assertOrder checks that the requests, each given as "METHOD path-prefix",
// were made in this order (others may come between). The fake logs a
// request when it has answered it, so the last steps may still be on their
// way: poll until the deadline.
func (e *testEnv) assertOrder(steps ...string) {
	e.tb.Helper()
	missing := ""
	inOrder := func() bool {
		i := 0
		for _, r := range e.fake.Requests() {
			if i == len(steps) {
				break
			}
			method, prefix, _ := strings.Cut(steps[i], " ")
			if r.Method == method && strings.HasPrefix(r.Path, prefix) {
				i++
			}
		}
		if i < len(steps) {
			missing = steps[i]
			return false
		}
		return true
	}
	deadline := time.Now().Add(waitFor)
	for !inOrder() {
		if time.Now().After(deadline) {
			e.tb.Fatalf("requests out of order: step %q not found after the earlier ones; requests:\n%s", missing, e.requestLog())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func containsInOrder(got []string, want ...string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func count(got []string, s string) int {
	n := 0
	for _, g := range got {
		if g == s {
			n++
		}
	}
	return n
}

func agentLegOf(e *testEnv, agent string) string {
	for _, ev := range e.events.all() {
		if o, ok := ev.(queue.OfferStarted); ok && string(o.Agent) == agent {
			leg, _ := callflow.AgentLegIDs(o.Offer)
			return leg
		}
	}
	return ""
}

// mustOfferOfLeg is the offer an agent leg's channel id names.
func mustOfferOfLeg(tb testing.TB, leg string) queue.OfferID {
	tb.Helper()
	offer, ok := callflow.OfferOfAgentLeg(leg)
	if !ok {
		tb.Fatalf("%q is not an agent leg's id", leg)
	}
	return offer
}
