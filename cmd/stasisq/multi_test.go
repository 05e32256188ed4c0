package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"stasisq/ari/aritest"
	"stasisq/queue"
)

// One stasisq, several (fake) Asterisk servers: ids qualified per server,
// agent legs made on the caller's server, one order across servers, and a
// server that goes away taking only its own calls with it. The same flows
// on two real Asterisks linked by a trunk: asterisk_multi_test.go.

// multiEnv is a testEnv whose stasisq drives the fakes a and b (e.fake is
// a); proxies, when asked for, stand between stasisq and each fake so a
// test can cut a server's events websocket.
type multiEnv struct {
	*testEnv
	fakes   map[string]*aritest.Server
	proxies map[string]*cutProxy
}

func mustStartMultiEnv(t *testing.T, viaProxy bool, down ...string) *multiEnv {
	t.Helper()
	fakes := map[string]*aritest.Server{}
	for _, name := range []string{"a", "b"} {
		f := aritest.NewServer(aritest.Options{
			User: testUser, Password: testPassword,
			PlaybackDuration: func(string) time.Duration { return 100 * time.Millisecond },
			AnswerDelay:      5 * time.Millisecond,
		})
		t.Cleanup(f.Close)
		fakes[name] = f
	}
	m := &multiEnv{fakes: fakes, proxies: map[string]*cutProxy{}}
	m.testEnv = &testEnv{tb: t, fake: fakes["a"], dir: t.TempDir(), events: &eventLog{}, logs: &logRecorder{}}
	var servers []AsteriskServer
	for _, name := range []string{"a", "b"} {
		u := fakes[name].URL()
		if viaProxy {
			parsed, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			port, err := strconv.Atoi(parsed.Port())
			if err != nil {
				t.Fatal(err)
			}
			p := mustCutProxy(t, port)
			m.proxies[name] = p
			if slices.Contains(down, name) {
				p.cut(true) // down from the start
			}
			u = p.URL()
		}
		servers = append(servers, AsteriskServer{Name: name, URL: u, User: testUser, Password: testPassword, Dial: DefaultDialForTest})
	}
	m.MustRunMain(func(c *Config) { c.Servers = servers })
	return m
}

// DefaultDialForTest is callflow.DefaultDial spelled out, so the test says
// what endpoint it expects.
const DefaultDialForTest = "PJSIP/{device}@to-{server}"

// agentOn configures an agent whose phone is on server, logged in.
func (m *multiEnv) agentOn(id, server, device string, queues ...string) {
	m.tb.Helper()
	cfg := queue.AgentConfig{Device: device, Server: server}
	for _, q := range queues {
		cfg.Queues = append(cfg.Queues, queue.Membership{Queue: q})
	}
	if err := m.main.configureUser(m.ctx(), queue.User{ID: id, Name: id, Role: queue.RoleAgent, Agent: cfg}, ""); err != nil {
		m.tb.Fatalf("put agent %s: %v", id, err)
	}
	m.mustDo(queue.AgentLogin{Agent: queue.AgentID(id)})
}

func (m *multiEnv) callOn(server, q string) *aritest.Call {
	m.tb.Helper()
	c, err := m.fakes[server].Call(m.ctx(), aritest.CallSpec{App: testApp, Args: []string{q}, Number: "555" + server, Name: "Caller on " + server})
	if err != nil {
		m.tb.Fatalf("call on %s: %v", server, err)
	}
	return c
}

// joined waits until the engine has caller id (qualified) waiting or further.
func (m *multiEnv) joined(id string) {
	m.tb.Helper()
	m.waitUntil("caller "+id+" joined", func() bool { return len(m.events.kinds(queue.CallerID(id))) > 0 })
}

func originates(f *aritest.Server) []string {
	var out []string
	for _, r := range f.Requests() {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/ari/channels/sqa-") {
			out = append(out, r.Query.Get("endpoint"))
		}
	}
	return out
}

// TestMultiServerNamespacing: both fakes give their first caller the same
// channel id; stasisq keeps them apart as a~<id> and b~<id>, rings each
// caller's agent leg on the caller's own server (through the trunk when the
// agent's phone is on the other), and bridges both legs there.
func TestMultiServerNamespacing(t *testing.T) {
	m := mustStartMultiEnv(t, false)
	m.MustQueue("support", nil)
	// Each agent's phone is on the other server from the caller it gets.
	m.fakes["a"].SetDevice("PJSIP/2001@to-b", aritest.DeviceBehavior{Action: aritest.Answer})
	m.fakes["b"].SetDevice("PJSIP/1001@to-a", aritest.DeviceBehavior{Action: aritest.Answer})
	m.agentOn("bob", "b", "PJSIP/2001", "support")

	ca := m.callOn("a", "support")
	idA := "a~" + ca.ID()
	m.waitUntil("a's caller talks to bob", func() bool {
		return slices.Contains(m.events.kinds(queue.CallerID(idA)), "call_connected")
	})
	// alice logs in only now, so that b's caller is hers.
	m.agentOn("alice", "a", "PJSIP/1001", "support")
	cb := m.callOn("b", "support")
	idB := "b~" + cb.ID()
	t.Logf("ids: %s %s", ca.ID(), cb.ID())
	if ca.ID() != cb.ID() {
		t.Logf("the fakes gave different ids (%s, %s): the test still checks both are kept apart", ca.ID(), cb.ID())
	}
	m.waitUntil("b's caller talks to alice", func() bool {
		return slices.Contains(m.events.kinds(queue.CallerID(idB)), "call_connected")
	})
	if got := originates(m.fakes["a"]); !slices.Equal(got, []string{"PJSIP/2001@to-b"}) {
		t.Errorf("agent legs originated on a: %q, want bob's phone through the trunk to b", got)
	}
	if got := originates(m.fakes["b"]); !slices.Equal(got, []string{"PJSIP/1001@to-a"}) {
		t.Errorf("agent legs originated on b: %q, want alice's phone through the trunk to a", got)
	}
	for name, f := range m.fakes {
		bridges := f.BridgeIDs()
		if len(bridges) != 1 || strings.Contains(bridges[0], "~") {
			t.Errorf("%s's bridges %q: want one, named without a server qualifier", name, bridges)
		}
	}
	for _, c := range []struct {
		call  *aritest.Call
		id    string
		agent queue.AgentID
	}{{ca, idA, "bob"}, {cb, idB, "alice"}} {
		c.call.Hangup()
		m.waitDone(c.call)
		m.waitUntil(c.id+"'s call recorded", func() bool {
			return slices.Contains(m.events.kinds(queue.CallerID(c.id)), "call_completed")
		})
		rec := m.committedCall(queue.CallerID(c.id))
		if rec.Agent != c.agent || rec.Outcome != queue.OutcomeCompleted {
			t.Errorf("call record of %s: agent %q outcome %q, want %s completed", c.id, rec.Agent, rec.Outcome, c.agent)
		}
	}
	for name, f := range m.fakes {
		m.waitUntil(name+" has nothing left", func() bool { return len(f.ChannelIDs()) == 0 && len(f.BridgeIDs()) == 0 })
	}
}

// TestMultiServerOrder: callers joining a and b alternately are offered to
// the one agent in the order they joined, whichever server each is on.
func TestMultiServerOrder(t *testing.T) {
	m := mustStartMultiEnv(t, false)
	m.MustQueue("support", nil)
	m.fakes["a"].SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer, TalkFor: 30 * time.Millisecond})
	m.fakes["b"].SetDevice("PJSIP/1001@to-a", aritest.DeviceBehavior{Action: aritest.Answer, TalkFor: 30 * time.Millisecond})
	m.agentOn("alice", "a", "PJSIP/1001", "support")
	m.mustDo(queue.AgentPause{Agent: "alice", Reason: "Break"})
	var want []string
	for i := range 6 {
		server := []string{"a", "b"}[i%2]
		c := m.callOn(server, "support")
		id := server + "~" + c.ID()
		m.joined(id)
		want = append(want, id)
		time.Sleep(3 * time.Millisecond) // distinct join times
	}
	m.mustDo(queue.AgentUnpause{Agent: "alice"})
	m.waitUntil("every caller was answered", func() bool {
		n := 0
		for _, ev := range m.events.all() {
			if _, ok := ev.(queue.CallConnected); ok {
				n++
			}
		}
		return n == len(want)
	})
	var got []string
	for _, ev := range m.events.all() {
		if o, ok := ev.(queue.OfferStarted); ok {
			got = append(got, string(o.Caller))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("offered in the order %q, want the join order %q", got, want)
	}
}

// TestMultiServerDown: b's events websocket goes (b is down for stasisq):
// b's waiting caller is closed as lost, b's agent is unavailable and is
// not offered a's caller, a's caller is answered by a's agent at once; when
// b is back, its reconcile finds the caller still there and puts it back
// in the queue, and b's agent, available again, answers it.
func TestMultiServerDown(t *testing.T) {
	m := mustStartMultiEnv(t, true)
	m.MustQueue("support", nil)
	m.fakes["b"].SetDevice("PJSIP/2001", aritest.DeviceBehavior{Action: aritest.Answer})
	m.fakes["a"].SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer})
	m.fakes["a"].SetDevice("PJSIP/2001@to-b", aritest.DeviceBehavior{Action: aritest.Answer})
	m.agentOn("bob", "b", "PJSIP/2001", "support")
	m.mustDo(queue.AgentPause{Agent: "bob", Reason: "Break"})
	m.agentOn("alice", "a", "PJSIP/1001", "support")
	m.mustDo(queue.AgentPause{Agent: "alice", Reason: "Break"})
	// carol's phone is a Local channel: Asterisk lists no state for it, so
	// only b's return can make it usable again.
	m.fakes["b"].SetDevice("Local/3001@agents", aritest.DeviceBehavior{Action: aritest.Answer})
	m.agentOn("carol", "b", "Local/3001@agents", "support")
	m.mustDo(queue.AgentPause{Agent: "carol", Reason: "Break"})

	cb := m.callOn("b", "support")
	idB := "b~" + cb.ID()
	m.joined(idB)
	m.proxies["b"].cut(true)
	m.waitUntil("b's caller is closed as lost", func() bool {
		return slices.Contains(m.events.kinds(queue.CallerID(idB)), "caller_left")
	})
	if rec := m.committedCall(queue.CallerID(idB)); rec.Outcome != string(queue.LeftLost) {
		t.Errorf("b's caller's record: outcome %q, want %q", rec.Outcome, queue.LeftLost)
	}
	m.waitUntil("bob's and carol's phones are unavailable", func() bool {
		return m.agentDevice("bob") == queue.DeviceUnavailable && m.agentDevice("carol") == queue.DeviceUnavailable
	})
	snap, err := m.main.App.Snapshot(m.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(snap.Servers); got != "[{a true} {b false}]" {
		t.Errorf("the floor's servers: %s, want a connected and b not", got)
	}
	// Still ready (a takes calls); the metrics say which server is down.
	if status, _ := m.get("/readyz"); status != http.StatusOK {
		t.Errorf("/readyz with a up and b down: %d, want 200", status)
	}
	m.waitUntil("/metrics says b is down", func() bool {
		_, text := m.get("/metrics")
		return strings.Contains(text, `stasisq_ari_server_connected{server="a"} 1`) && strings.Contains(text, `stasisq_ari_server_connected{server="b"} 0`)
	})

	// a goes on: its caller is answered by alice, never offered to bob.
	m.mustDo(queue.AgentUnpause{Agent: "bob"})
	ca := m.callOn("a", "support")
	idA := "a~" + ca.ID()
	m.joined(idA)
	time.Sleep(100 * time.Millisecond)
	m.mustDo(queue.AgentUnpause{Agent: "alice"})
	m.waitUntil("a's caller talks to alice", func() bool {
		return slices.Contains(m.events.kinds(queue.CallerID(idA)), "call_connected")
	})
	for _, ev := range m.events.all() {
		if o, ok := ev.(queue.OfferStarted); ok && o.Agent == "bob" {
			t.Errorf("bob, whose server is down, was offered %s", o.Caller)
		}
	}

	// b is back: its caller, still waiting there, is queued again and bob
	// answers it.
	m.proxies["b"].cut(false)
	m.waitUntil("b's caller talks to bob", func() bool {
		kinds := m.events.kinds(queue.CallerID(idB))
		return count(kinds, "caller_joined") == 2 && slices.Contains(kinds, "call_connected")
	})
	if cb.Result().HungUp {
		t.Error("b's caller was hung up")
	}
	if d := m.agentDevice("carol"); d == queue.DeviceUnavailable {
		t.Errorf("carol's Local phone on b after b is back: %s, want usable", d)
	}
	ca.Hangup()
	cb.Hangup()
	m.waitDone(ca)
	m.waitDone(cb)
}

// get fetches path from stasisq's web server: status and body.
func (m *multiEnv) get(path string) (int, string) {
	m.tb.Helper()
	resp, err := http.Get(m.main.URL() + path)
	if err != nil {
		m.tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		m.tb.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

func (m *multiEnv) agentDevice(id string) queue.DeviceState {
	snap, err := m.main.App.Snapshot(m.ctx())
	if err != nil {
		m.tb.Fatalf("snapshot: %v", err)
	}
	for _, a := range snap.Agents {
		if a.Config.ID == id {
			return a.Device
		}
	}
	return ""
}

// TestMultiServerNeverUp: b is down from the start: stasisq is ready on a
// alone, bob (phone on b) is unavailable and never rung through the trunk
// to nowhere; a's caller waits for a's agent instead.
func TestMultiServerNeverUp(t *testing.T) {
	m := mustStartMultiEnv(t, true, "b")
	m.MustQueue("support", nil)
	m.fakes["a"].SetDevice("PJSIP/2001@to-b", aritest.DeviceBehavior{Action: aritest.Answer})
	m.fakes["a"].SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer})
	m.agentOn("bob", "b", "PJSIP/2001", "support")
	m.waitUntil("bob is unavailable", func() bool { return m.agentDevice("bob") == queue.DeviceUnavailable })
	ca := m.callOn("a", "support")
	idA := "a~" + ca.ID()
	m.joined(idA)
	time.Sleep(200 * time.Millisecond)
	if got := originates(m.fakes["a"]); len(got) != 0 {
		t.Fatalf("rang %q while b was down", got)
	}
	m.agentOn("alice", "a", "PJSIP/1001", "support")
	m.waitUntil("a's caller talks to alice", func() bool {
		return slices.Contains(m.events.kinds(queue.CallerID(idA)), "call_connected")
	})
	ca.Hangup()
	m.waitDone(ca)
}
