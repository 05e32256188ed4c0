package sim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"stasisq/ari"
	"stasisq/ari/aritest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testApp  = "stasisq"
	testUser = "sim"
	testPass = "sim-secret"
)

// MustServer starts a fake Asterisk closed at the end of the test.
func MustServer(tb testing.TB) *aritest.Server {
	tb.Helper()
	s := aritest.NewServer(aritest.Options{
		User: testUser, Password: testPass,
		PlaybackDuration: func(string) time.Duration { return 50 * time.Millisecond },
		AnswerDelay:      5 * time.Millisecond,
	})
	tb.Cleanup(s.Close)
	return s
}

// appMode is what the tiny Stasis application in these tests does with a
// caller.
type appMode int

const (
	// connect answers the caller and puts it through to the next phone in
	// turn, as a queue with agents would.
	connect appMode = iota
	// hold answers the caller and never puts it through.
	hold
	// continueAll sends every caller back to the dialplan at once.
	continueAll
)

// fakeApp is a minimal Stasis application: enough of a queue to give the
// simulated callers and phones something real to talk to.
type fakeApp struct {
	tb      testing.TB
	cl      *ari.Client
	mode    appMode
	devices []string

	mu       sync.Mutex
	next     int
	waiting  map[string]bool   // callers in Stasis, not yet put through
	ringing  map[string]string // agent leg id -> caller id, before it answers
	agentOf  map[string]string // caller id -> agent leg id
	callerOf map[string]string // agent leg id -> caller id
}

// MustFakeApp connects a fake application to s and serves it until the test ends.
func MustFakeApp(tb testing.TB, s *aritest.Server, mode appMode, devices []string) *fakeApp {
	tb.Helper()
	tr := &http.Transport{}
	cl, err := ari.NewClient(ari.Config{URL: s.URL(), User: testUser, Password: testPass, App: testApp,
		SubscribeAll: true, HTTPClient: &http.Client{Transport: tr, Timeout: 10 * time.Second}})
	if err != nil {
		tb.Fatalf("new client: %v", err)
	}
	a := &fakeApp{tb: tb, cl: cl, mode: mode, devices: devices, agentOf: map[string]string{}, callerOf: map[string]string{},
		waiting: map[string]bool{}, ringing: map[string]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = cl.Run(ctx) })
	wg.Go(func() { a.serve(ctx) })
	tb.Cleanup(func() {
		cancel()
		wg.Wait()
		tr.CloseIdleConnections()
	})
	waitFor(tb, 10*time.Second, "the application's websocket", cl.Connected)
	return a
}

func (a *fakeApp) serve(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-a.cl.Events():
			a.handle(ctx, ev)
		}
	}
}

// ignoreGone: a channel that hung up meanwhile is no error (404, or 400 and
// 422 when adding it to a bridge).
func (a *fakeApp) ignoreGone(ctx context.Context, what string, err error) {
	var apiErr *ari.Error
	if err == nil || ctx.Err() != nil {
		return
	}
	if errors.As(err, &apiErr) {
		switch apiErr.Status {
		case http.StatusNotFound, http.StatusBadRequest, http.StatusUnprocessableEntity:
			return
		}
	}
	a.tb.Logf("fake app: %s: %v", what, err)
}

func (a *fakeApp) handle(ctx context.Context, ev ari.Event) {
	switch e := ev.(type) {
	case *ari.StasisStart:
		if len(e.Args) == 2 && e.Args[0] == "agent" {
			a.bridge(ctx, e.Args[1], e.Channel.ID)
			return
		}
		a.arrive(ctx, e.Channel.ID)
	case *ari.ChannelDestroyed:
		// A phone that was busy or rang out: try the next one.
		a.mu.Lock()
		caller, rang := a.ringing[e.Channel.ID]
		delete(a.ringing, e.Channel.ID)
		retry := rang && a.waiting[caller]
		a.mu.Unlock()
		if retry {
			a.ring(ctx, caller)
		}
	case *ari.StasisEnd:
		a.mu.Lock()
		delete(a.waiting, e.Channel.ID)
		other := a.agentOf[e.Channel.ID]
		if other == "" {
			other = a.callerOf[e.Channel.ID]
		}
		delete(a.agentOf, e.Channel.ID)
		delete(a.callerOf, e.Channel.ID)
		a.mu.Unlock()
		if other != "" {
			a.ignoreGone(ctx, "hang up the other side", a.cl.Hangup(ctx, other, "normal"))
		}
	}
}

func (a *fakeApp) arrive(ctx context.Context, caller string) {
	if a.mode == continueAll {
		a.ignoreGone(ctx, "continue", a.cl.Continue(ctx, caller, "from-callers", "after-queue", 1, ""))
		return
	}
	a.ignoreGone(ctx, "answer", a.cl.Answer(ctx, caller))
	if a.mode == hold || len(a.devices) == 0 {
		return
	}
	a.mu.Lock()
	a.waiting[caller] = true
	a.mu.Unlock()
	a.ring(ctx, caller)
}

func (a *fakeApp) ring(ctx context.Context, caller string) {
	a.mu.Lock()
	dev := a.devices[a.next%len(a.devices)]
	leg := fmt.Sprintf("agent-%d", a.next)
	a.next++
	a.ringing[leg] = caller
	a.mu.Unlock()
	_, err := a.cl.Originate(ctx, ari.OriginateRequest{ChannelID: leg, Endpoint: dev, App: testApp,
		AppArgs: []string{"agent", caller}, Timeout: 10})
	a.ignoreGone(ctx, "originate", err)
}

func (a *fakeApp) bridge(ctx context.Context, caller, agent string) {
	a.mu.Lock()
	delete(a.ringing, agent)
	delete(a.waiting, caller)
	a.agentOf[caller], a.callerOf[agent] = agent, caller
	a.mu.Unlock()
	id := "bridge-" + caller
	if _, err := a.cl.CreateBridge(ctx, id, "mixing", ""); err != nil {
		a.ignoreGone(ctx, "create bridge", err)
		return
	}
	a.ignoreGone(ctx, "add caller", a.cl.AddChannel(ctx, id, caller, ""))
	a.ignoreGone(ctx, "add agent", a.cl.AddChannel(ctx, id, agent, ""))
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, limit time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
