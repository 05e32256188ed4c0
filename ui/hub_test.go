package ui

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"stasisq/queue"
)

type hubMessage struct {
	Type     string          `json:"type"`
	Seq      uint64          `json:"seq"`
	Kind     string          `json:"kind"`
	Snapshot *queue.Snapshot `json:"snapshot"`
	Event    json.RawMessage `json:"event"`
}

type wsClient struct {
	tb   testing.TB
	conn *websocket.Conn
}

type dialOptions struct {
	origin      string
	readBuffer  int // TCP receive buffer; small makes a slow client block sooner
	wantRefusal int
}

// MustDial opens the hub's websocket as the browser c.
func (e *testEnv) MustDial(tb testing.TB, c *apiClient, o dialOptions) *wsClient {
	tb.Helper()
	u := e.ts.URL + "/api/ws"
	h := http.Header{}
	req, _ := http.NewRequest("GET", u, nil)
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	h.Set("Cookie", req.Header.Get("Cookie"))
	if o.origin != "" {
		h.Set("Origin", o.origin)
	}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil && o.readBuffer > 0 {
			_ = conn.(*net.TCPConn).SetReadBuffer(o.readBuffer)
		}
		return conn, err
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h, HTTPClient: &http.Client{Transport: transport}})
	if o.wantRefusal != 0 {
		if err == nil {
			conn.CloseNow()
			tb.Fatalf("dial succeeded, want refusal %d", o.wantRefusal)
		}
		if resp == nil || resp.StatusCode != o.wantRefusal {
			tb.Fatalf("dial refusal got=%v (%v), want %d", resp, err, o.wantRefusal)
		}
		return nil
	}
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	conn.SetReadLimit(64 << 20)
	tb.Cleanup(func() { conn.CloseNow() })
	return &wsClient{tb: tb, conn: conn}
}

func (w *wsClient) next() hubMessage {
	w.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := w.conn.Read(ctx)
	if err != nil {
		w.tb.Fatalf("read: %v", err)
	}
	var m hubMessage
	if err := UnmarshalAPI(data, &m); err != nil {
		w.tb.Fatalf("message %s: %v", data, err)
	}
	return m
}

// nextEvent skips snapshots, checking that sequence numbers never skip.
func (w *wsClient) nextEvent(last *uint64) hubMessage {
	w.tb.Helper()
	for {
		m := w.next()
		if m.Seq != *last+1 {
			w.tb.Fatalf("seq got=%d, want %d (message %s %s)", m.Seq, *last+1, m.Type, m.Kind)
		}
		*last = m.Seq
		if m.Type == "event" {
			return m
		}
	}
}

func (w *wsClient) send(v any) {
	w.tb.Helper()
	b, _ := MarshalAPI(v)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.conn.Write(ctx, websocket.MessageText, b); err != nil {
		w.tb.Fatalf("write: %v", err)
	}
}

func TestWebsocketOrigin(t *testing.T) {
	tests := []struct {
		name   string
		origin string
		want   int // 0: accepted
	}{
		{"same origin", "", 0},
		{"allowed origin", "https://wall.example.com", 0},
		{"foreign origin", "http://evil.example", http.StatusForbidden},
		{"lookalike origin", "https://wall.example.com.evil.example", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := MustTestEnv(t, func(o *Options) { o.AllowedOrigins = []string{"https://wall.example.com"} })
			sue := env.MustLogin(t, "sue")
			origin := tt.origin
			if origin == "" {
				origin = env.ts.URL
			}
			ws := env.MustDial(t, sue, dialOptions{origin: origin, wantRefusal: tt.want})
			if tt.want == 0 {
				if m := ws.next(); m.Type != "snapshot" {
					t.Fatalf("first message got=%s, want snapshot", m.Type)
				}
			}
		})
	}
}

func TestWebsocketNeedsLogin(t *testing.T) {
	env := MustTestEnv(t)
	env.MustDial(t, env.anonymous(t), dialOptions{wantRefusal: http.StatusUnauthorized})
}

func TestHubSnapshotThenOrderedEvents(t *testing.T) {
	env := MustTestEnv(t)
	ws := env.MustDial(t, env.MustLogin(t, "sue"), dialOptions{})
	first := ws.next()
	if first.Type != "snapshot" || first.Seq != 1 || first.Snapshot == nil || len(first.Snapshot.Queues) != 2 {
		t.Fatalf("first message got=%+v, want snapshot seq 1 with 2 queues", first)
	}
	now := time.Now()
	events := []queue.Event{
		queue.AgentStateChanged{At: now, Agent: "bob", State: queue.AgentPaused, Reason: "Break"},
		queue.CallerJoined{At: now, Caller: "c9", Queue: "sales", Number: "5559999"},
		queue.QueueOrderChanged{At: now, Queue: "sales", Callers: []queue.CallerID{"c1", "c2", "c9"}},
	}
	env.srv.Publish(events[:1])
	env.srv.Publish(events[1:])
	last := first.Seq
	for _, want := range events {
		m := ws.nextEvent(&last)
		if m.Kind != want.Kind() {
			t.Fatalf("kind got=%s, want %s", m.Kind, want.Kind())
		}
	}
	// Events bring a fresh snapshot soon after, without being asked.
	for {
		m := ws.next()
		if m.Seq != last+1 {
			t.Fatalf("seq got=%d, want %d", m.Seq, last+1)
		}
		last = m.Seq
		if m.Type == "snapshot" {
			break
		}
	}
}

func TestHubAgentsSeeTheirOwnView(t *testing.T) {
	env := MustTestEnv(t)
	alice := env.MustDial(t, env.MustLogin(t, "alice"), dialOptions{})
	bob := env.MustDial(t, env.MustLogin(t, "bob"), dialOptions{})
	sue := env.MustDial(t, env.MustLogin(t, "sue"), dialOptions{})
	for name, ws := range map[string]*wsClient{"alice": alice, "bob": bob} {
		m := ws.next()
		if m.Type != "snapshot" || len(m.Snapshot.Agents) != 1 || string(m.Snapshot.Agents[0].Config.ID) != name || len(m.Snapshot.Queues) != 1 {
			t.Fatalf("%s's first snapshot got=%+v, want only itself and its queue", name, m.Snapshot)
		}
	}
	sue.next()
	now := time.Now()
	env.srv.Publish([]queue.Event{
		queue.CallerJoined{At: now, Caller: "c8", Queue: "support"},
		queue.AgentStateChanged{At: now, Agent: "alice", State: queue.AgentPaused},
		queue.AgentStateChanged{At: now, Agent: "bob", State: queue.AgentPaused},
		queue.OfferStarted{At: now, Agent: "bob", Caller: "c8", Queue: "support"},
		// The agent's own call, transferred from its phone: its console and
		// the store agree that it is bob's event.
		queue.CallerTransferred{At: now, Caller: "c7", Agent: "bob", Queue: "support", By: queue.PartyAgent},
		queue.CallerPriorityChanged{At: now, Caller: "c1", Queue: "sales", Priority: 3},
		queue.CallerMoved{At: now, Caller: "c3", From: "support", To: "sales"},
		queue.QueueConfigured{At: now, Config: queue.DefaultQueueConfig("sales")},   // alice's fence
		queue.QueueConfigured{At: now, Config: queue.DefaultQueueConfig("support")}, // bob's fence
	})
	read := func(ws *wsClient, fence string) []string {
		var kinds []string
		var last uint64 = 1
		for {
			m := ws.nextEvent(&last)
			var q struct{ Config queue.QueueConfig }
			_ = UnmarshalAPI(m.Event, &q)
			if m.Kind == "queue_configured" && q.Config.Name == fence {
				return kinds
			}
			kinds = append(kinds, m.Kind)
		}
	}
	if got, want := strings.Join(read(alice, "sales"), ","), "agent_state,caller_priority,caller_moved"; got != want {
		t.Errorf("alice got=%s, want %s", got, want)
	}
	if got, want := strings.Join(read(bob, "support"), ","), "caller_joined,agent_state,offer_started,call_transferred,caller_moved"; got != want {
		t.Errorf("bob got=%s, want %s", got, want)
	}
	var last uint64 = 1
	var n int
	for n = 0; n < 9; n++ {
		sue.nextEvent(&last)
	}
}

// Two supervisors: what one does, the other sees, through the floor's
// events and the snapshot that follows them.
func TestSupervisorsSeeEachOthersChanges(t *testing.T) {
	env := MustTestEnv(t)
	env.floor.mu.Lock()
	env.floor.doErr = nil
	env.floor.mu.Unlock()
	sue1 := env.MustLogin(t, "sue")
	sue2 := env.MustLogin(t, "ada")
	ws2 := env.MustDial(t, sue2, dialOptions{})
	last := ws2.next().Seq

	// The app loop would apply the reorder and publish; the fake does the same.
	done := make(chan struct{})
	go func() {
		defer close(done)
		waitFor(t, "the reorder to reach the floor", func() bool {
			env.floor.mu.Lock()
			defer env.floor.mu.Unlock()
			return len(env.floor.inputs) == 1
		})
		snap := testFloorState()
		cs := snap.Queues[0].Callers
		cs[0], cs[1] = cs[1], cs[0]
		cs[0].Position, cs[1].Position = 1, 2
		env.floor.setSnapshot(snap)
		env.srv.Publish([]queue.Event{queue.QueueOrderChanged{At: time.Now(), Queue: "sales", Callers: []queue.CallerID{"c2", "c1"}}})
	}()
	start := time.Now()
	if status, body := sue1.do("POST", "/api/callers/c2/reorder", map[string]any{"position": 1}); status != http.StatusNoContent {
		t.Fatalf("reorder: got=%d (%s)", status, body)
	}
	<-done
	m := ws2.nextEvent(&last)
	if m.Kind != "queue_order" {
		t.Fatalf("kind got=%s, want queue_order", m.Kind)
	}
	for {
		m := ws2.next()
		if m.Type == "snapshot" {
			if got := m.Snapshot.Queues[0].Callers[0].ID; got != "c2" {
				t.Fatalf("first caller in the new snapshot got=%s, want c2", got)
			}
			break
		}
	}
	t.Logf("the other supervisor had the new order in %v", time.Since(start))
}

// A client that connects gets the loop's latest pushed snapshot and then
// the events published since, in order: the hub asks the loop for nothing.
func TestHubCatchesUpFromThePushedSnapshot(t *testing.T) {
	env := MustTestEnv(t)
	env.stopPush() // the test pushes, as the loop would
	snap := testFloorState()
	env.srv.PublishSnapshot(snap)
	now := time.Now()
	env.srv.Publish([]queue.Event{
		queue.CallerJoined{At: now, Caller: "c9", Queue: "sales"},
		queue.QueueOrderChanged{At: now, Queue: "sales", Callers: []queue.CallerID{"c1", "c2", "c9"}},
	})
	env.floor.mu.Lock()
	asked := env.floor.snapshots
	env.floor.mu.Unlock()

	ws := env.MustDial(t, env.MustLogin(t, "sue"), dialOptions{})
	first := ws.next()
	if first.Type != "snapshot" || first.Seq != 1 || len(first.Snapshot.Queues) != len(snap.Queues) {
		t.Fatalf("first message got=%+v, want the pushed snapshot as seq 1", first)
	}
	last := first.Seq
	for _, want := range []string{"caller_joined", "queue_order"} {
		if m := ws.nextEvent(&last); m.Kind != want {
			t.Fatalf("after the snapshot got=%s, want %s (the events since it, in order)", m.Kind, want)
		}
	}
	env.floor.mu.Lock()
	defer env.floor.mu.Unlock()
	if env.floor.snapshots != asked {
		t.Errorf("the hub asked the floor for %d snapshots, want none", env.floor.snapshots-asked)
	}
}

func TestHubResync(t *testing.T) {
	env := MustTestEnv(t)
	ws := env.MustDial(t, env.MustLogin(t, "sue"), dialOptions{})
	first := ws.next()
	snap := testFloorState()
	snap.Agents[1].State = queue.AgentPaused
	env.floor.setSnapshot(snap)
	// The loop pushes its snapshot (the test's state change has no event).
	env.srv.PublishSnapshot(snap)
	// A client that saw a gap asks again.
	ws.send(map[string]string{"type": "resync"})
	m := ws.next()
	if m.Type != "snapshot" || m.Seq != first.Seq+1 {
		t.Fatalf("got=%s seq %d, want snapshot seq %d", m.Type, m.Seq, first.Seq+1)
	}
	if m.Snapshot.Agents[1].State != queue.AgentPaused {
		t.Fatalf("resync snapshot is stale: bob got=%s, want paused", m.Snapshot.Agents[1].State)
	}
	env.srv.Publish([]queue.Event{queue.AgentStateChanged{At: time.Now(), Agent: "bob", State: queue.AgentAvailable}})
	last := m.Seq
	if e := ws.nextEvent(&last); e.Kind != "agent_state" {
		t.Fatalf("after resync got=%s, want agent_state", e.Kind)
	}
}

// A client that never reads fills its buffer; the others keep getting
// every event at once, and the slow one gets a snapshot when it catches up.
func TestHubSlowClient(t *testing.T) {
	env := MustTestEnv(t)
	env.replaceHub(hubConfig{buffer: 64, writeTimeout: time.Minute})
	slow := env.MustDial(t, env.MustLogin(t, "sue"), dialOptions{readBuffer: 128 << 10})
	fast := env.MustDial(t, env.MustLogin(t, "ada"), dialOptions{})
	fastLast := fast.next().Seq

	big := strings.Repeat("x", 20<<10)
	published := 0
	for batch := 0; env.srv.hub.overflows.Load() == 0; batch++ {
		if batch == 400 {
			t.Fatalf("the slow client never overflowed after %d events", published)
		}
		events := make([]queue.Event, 50)
		for i := range events {
			published++
			events[i] = queue.CallerJoined{At: time.Now(), Caller: queue.CallerID("c" + itoa(published)), Queue: "sales", Name: big}
		}
		env.srv.Publish(events)
		// The fast client gets the whole batch while the slow one is stuck.
		for i := range events {
			m := fast.nextEvent(&fastLast)
			var ev queue.CallerJoined
			if err := UnmarshalAPI(m.Event, &ev); err != nil {
				t.Fatal(err)
			}
			if want := events[i].(queue.CallerJoined).Caller; ev.Caller != want {
				t.Fatalf("fast client got=%s, want %s", ev.Caller, want)
			}
		}
	}
	t.Logf("slow client overflowed after %d events", published)

	// Now it reads: the backlog, then (after a gap) a fresh snapshot.
	var last uint64
	gap := false
	for {
		m := slow.next()
		if m.Seq != last+1 {
			gap = true
		}
		if last > 0 && m.Seq <= last {
			t.Fatalf("seq went back: got=%d after %d", m.Seq, last)
		}
		last = m.Seq
		if m.Type == "snapshot" && gap {
			break
		}
	}
	// A snapshot the hub caught it up with is followed by the events
	// published since the loop pushed that snapshot (the floor as it is
	// now), which may be the last of the callers; then, without a gap, what
	// is published next.
	env.srv.Publish([]queue.Event{queue.AgentStateChanged{At: time.Now(), Agent: "bob", State: queue.AgentPaused}})
	for replayed := 0; ; replayed++ {
		m := slow.nextEvent(&last)
		if m.Kind == "agent_state" {
			break
		}
		if m.Kind != "caller_joined" || replayed == published {
			t.Fatalf("after recovery got=%s (after %d replayed), want the events since the snapshot, then agent_state", m.Kind, replayed)
		}
	}
}

func TestCloseClosesWebsockets(t *testing.T) {
	env := MustTestEnv(t)
	ws := env.MustDial(t, env.MustLogin(t, "sue"), dialOptions{})
	ws.next()
	waitFor(t, "one client", func() bool { return env.srv.Clients() == 1 })
	env.srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := ws.conn.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("read after Close got=%v, want close status going away", err)
	}
	waitFor(t, "no clients", func() bool { return env.srv.Clients() == 0 })
}

func itoa(n int) string {
	b, _ := MarshalAPI(n)
	return string(b)
}

// An agent added to a queue sees that queue's events from then on.
func TestHubAgentFollowsMembership(t *testing.T) {
	env := MustTestEnv(t)
	bob := env.MustDial(t, env.MustLogin(t, "bob"), dialOptions{})
	last := bob.next().Seq
	now := time.Now()
	env.srv.Publish([]queue.Event{
		queue.CallerJoined{At: now, Caller: "s1", Queue: "sales"}, // not bob's queue yet
		queue.AgentQueuesChanged{At: now, Agent: "bob", Queues: []queue.Membership{{Queue: "support"}, {Queue: "sales"}}, Added: []string{"sales"}},
		queue.CallerJoined{At: now, Caller: "s2", Queue: "sales"},
	})
	if m := bob.nextEvent(&last); m.Kind != "agent_queues" {
		t.Fatalf("got=%s, want agent_queues (the sales join before it is not bob's)", m.Kind)
	}
	m := bob.nextEvent(&last)
	var ev queue.CallerJoined
	_ = UnmarshalAPI(m.Event, &ev)
	if m.Kind != "caller_joined" || ev.Caller != "s2" {
		t.Fatalf("got=%s %s, want caller_joined s2", m.Kind, ev.Caller)
	}
}

// A client that stops reading for good is dropped once a write has waited
// writeTimeout, freeing its goroutines and socket.
func TestHubDropsClientThatStopsReading(t *testing.T) {
	env := MustTestEnv(t)
	env.replaceHub(hubConfig{buffer: 4, writeTimeout: 300 * time.Millisecond})
	env.MustDial(t, env.MustLogin(t, "sue"), dialOptions{readBuffer: 128 << 10})
	waitFor(t, "the client to connect", func() bool { return env.srv.Clients() == 1 })
	big := strings.Repeat("x", 64<<10)
	for i := 0; env.srv.Clients() == 1; i++ {
		if i == 2000 {
			t.Fatalf("a client that never reads is still connected after %d events", i)
		}
		env.srv.Publish([]queue.Event{queue.CallerJoined{At: time.Now(), Caller: queue.CallerID(itoa(i)), Queue: "sales", Name: big}})
		time.Sleep(2 * time.Millisecond)
	}
}

// A client sending resync in a loop gets a few snapshots a second, not one
// per message; the last one still comes after its last request, with the
// floor as it is then.
func TestHubResyncFloodCoalesced(t *testing.T) {
	env := MustTestEnv(t)
	ws := env.MustDial(t, env.MustLogin(t, "sue"), dialOptions{})
	ws.next()
	start := time.Now()
	const asked = 900
	for range asked {
		ws.send(map[string]string{"type": "resync"})
	}
	snap := testFloorState()
	snap.Agents[1].State = queue.AgentPaused
	env.floor.setSnapshot(snap)
	env.srv.PublishSnapshot(snap) // what the last snapshot must show
	ws.send(map[string]string{"type": "resync"})
	sentFor := time.Since(start)

	snapshots := 0
	var last hubMessage
	ctx, cancel := context.WithTimeout(context.Background(), sentFor+2*minResyncGap+time.Second)
	defer cancel()
	for {
		_, data, err := ws.conn.Read(ctx)
		if err != nil {
			break // quiet: nothing more is coming
		}
		var m hubMessage
		if err := UnmarshalAPI(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == "snapshot" {
			snapshots++
			last = m
		}
	}
	// One per gap while asking, one coalesced after, and the pushes.
	limit := int(sentFor/minResyncGap) + 4
	t.Logf("%d resyncs in %v: %d snapshots (limit %d)", asked+1, sentFor.Round(time.Millisecond), snapshots, limit)
	if snapshots == 0 || snapshots > limit {
		t.Fatalf("snapshots got=%d for %d resyncs in %v, want 1..%d", snapshots, asked+1, sentFor, limit)
	}
	if last.Snapshot.Agents[1].State != queue.AgentPaused {
		t.Fatalf("the last snapshot is stale: bob %s, want paused", last.Snapshot.Agents[1].State)
	}
}
