package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"stasisq/internal/asteriskt"
	"stasisq/queue"
)

// Two real Asterisks, a and b, linked by a PJSIP trunk on loopback (a on
// 127.0.0.2, b on 127.0.0.3: PJSIP tells the trunk from the phones by
// source address), each with a desk phone (SIPp) registered: 1001 on a,
// 2001 on b. One stasisq drives both (serve --asterisk a=… --asterisk b=…).
// A caller whose agent's phone is on the other server gets its agent leg
// on its own server, through the trunk (PJSIP/<device>@to-<server>), and
// both legs are bridged there.

// multiPJSIP is server self's pjsip.conf: its transport on its own
// loopback address, its phone, and the trunk to the other server: the
// sample asterisk-conf/pjsip-trunk.conf (written for a reaching b at
// 10.0.0.12:5060) with the names and address made this pair's.
func multiPJSIP(t *testing.T, selfAddr, phone, other, otherAddr string, otherPort int) string {
	trunk := readSample(t, "pjsip-trunk.conf")
	for _, want := range []string{"[to-b]", "from-b", "10.0.0.12:5060", "match = 10.0.0.12"} {
		if !strings.Contains(trunk, want) {
			t.Fatalf("asterisk-conf/pjsip-trunk.conf has no %q: the test adapts it", want)
		}
	}
	trunk = strings.NewReplacer("to-b", "to-"+other, "from-b", "from-"+other,
		"10.0.0.12:5060", fmt.Sprintf("%s:%d", otherAddr, otherPort), "10.0.0.12", otherAddr).Replace(trunk)
	return fmt.Sprintf(`[transport-udp]
type = transport
protocol = udp
bind = %[1]s:@SIP_PORT@

[%[2]s]
type = endpoint
context = agents
disallow = all
allow = ulaw
direct_media = no
auth = %[2]s
aors = %[2]s

[%[2]s]
type = auth
auth_type = userpass
username = %[2]s
password = phone-%[2]s

[%[2]s]
type = aor
max_contacts = 1
remove_existing = yes

`, selfAddr, phone) + trunk
}

// multiDialplan adds to the test dialplan the trunk's way in, the sample
// asterisk-conf/extensions-trunk.conf made this server's.
func multiDialplan(t *testing.T, other string) string {
	in := readSample(t, "extensions-trunk.conf")
	if !strings.Contains(in, "[from-b]") {
		t.Fatal("asterisk-conf/extensions-trunk.conf has no [from-b]: the test adapts it")
	}
	return asteriskDialplan + "\n" + strings.ReplaceAll(in, "from-b", "from-"+other)
}

type asteriskPair struct {
	*testEnv
	ast  map[string]*asteriskt.Instance
	obs  map[string]*observer
	addr map[string]string
}

func mustStartAsteriskPair(t *testing.T) *asteriskPair {
	t.Helper()
	ports := map[string]int{"a": freeUDPPort(t), "b": freeUDPPort(t)}
	addr := map[string]string{"a": "127.0.0.2", "b": "127.0.0.3"}
	phone := map[string]string{"a": "1001", "b": "2001"}
	other := map[string]string{"a": "b", "b": "a"}
	p := &asteriskPair{ast: map[string]*asteriskt.Instance{}, obs: map[string]*observer{}, addr: addr}
	for _, name := range []string{"a", "b"} {
		o := other[name]
		p.ast[name] = asteriskt.StartWith(t, map[string]string{
			"extensions.conf": multiDialplan(t, o),
			"pjsip.conf":      multiPJSIP(t, addr[name], phone[name], o, addr[o], ports[o]),
		}, asteriskt.Options{SIPPort: ports[name]})
		p.obs[name] = mustObserve(t, p.ast[name])
	}
	p.testEnv = &testEnv{tb: t, ast: p.ast["a"], dir: t.TempDir(), events: &eventLog{}, logs: &logRecorder{}}
	var servers []AsteriskServer
	for _, name := range []string{"a", "b"} {
		a := p.ast[name]
		servers = append(servers, AsteriskServer{Name: name, URL: a.ARIURL, User: a.ARIUser, Password: a.ARIPassword})
	}
	p.MustRunMain(func(c *Config) { c.Servers = servers })
	for _, name := range []string{"a", "b"} {
		p.registerPhone(name, phone[name])
	}
	return p
}

// registerPhone registers a SIPp desk phone with server name, answering
// calls until the test ends.
func (p *asteriskPair) registerPhone(name, user string) {
	p.tb.Helper()
	a := p.ast[name]
	port := freeUDPPort(p.tb)
	target := p.addr[name] + ":" + strconv.Itoa(a.SIPPort)
	reg := sippTo(p.tb, target, "-sf", sippScenario(p.tb, "register.xml"), "-s", user, "-au", user, "-ap", "phone-"+user,
		"-p", strconv.Itoa(port), "-m", "1", "-timeout", "10s", "-timeout_error")
	if out, err := reg.CombinedOutput(); err != nil {
		p.tb.Fatalf("register %s with %s: %v\n%s", user, name, err, out)
	}
	uas := sippTo(p.tb, target, "-sn", "uas", "-p", strconv.Itoa(port))
	if err := uas.Start(); err != nil {
		p.tb.Fatalf("start SIPp uas: %v", err)
	}
	p.tb.Cleanup(func() {
		_ = uas.Process.Kill()
		_ = uas.Wait()
	})
}

// queueAndAgents: support, its ring and retry short; alice's phone is
// 1001 on a, bob's 2001 on b.
func (p *asteriskPair) queueAndAgents() {
	p.tb.Helper()
	p.asteriskQueue("support", nil)
	for _, ag := range []struct{ id, server, device string }{{"alice", "a", "PJSIP/1001"}, {"bob", "b", "PJSIP/2001"}} {
		cfg := queue.AgentConfig{Device: ag.device, Server: ag.server, Queues: []queue.Membership{{Queue: "support"}}}
		if err := p.main.configureUser(p.ctx(), queue.User{ID: ag.id, Name: ag.id, Role: queue.RoleAgent, Agent: cfg}, ""); err != nil {
			p.tb.Fatalf("put agent %s: %v", ag.id, err)
		}
		p.mustDo(queue.AgentLogin{Agent: queue.AgentID(ag.id)})
		p.mustDo(queue.AgentPause{Agent: queue.AgentID(ag.id), Reason: "Break"})
	}
	// Registered phones are online: both agents' devices are known.
	for _, id := range []string{"alice", "bob"} {
		p.waitUntil(id+"'s phone is registered", func() bool {
			d := p.deviceOf(id)
			return d != queue.DeviceUnavailable && d != queue.DeviceInvalid
		})
	}
}

func (p *asteriskPair) deviceOf(id string) queue.DeviceState {
	snap, err := p.main.App.Snapshot(p.ctx())
	if err != nil {
		p.tb.Fatalf("snapshot: %v", err)
	}
	for _, a := range snap.Agents {
		if a.Config.ID == id {
			return a.Device
		}
	}
	return ""
}

// joined waits until caller (qualified id) is in the queue.
func (p *asteriskPair) joined(caller string) {
	p.tb.Helper()
	p.waitUntil(caller+" joined", func() bool { return slices.Contains(p.events.kinds(queue.CallerID(caller)), "caller_joined") })
}

// channelsOf lists server name's channels' names.
func (p *asteriskPair) channelsOf(name string) []string { return p.obs[name].channels() }

// TestAsteriskMultiCrossServer: a caller on a is answered by bob, whose
// phone is on b, and a caller on b by alice, whose phone is on a; each
// call's legs are bridged on the caller's server, the other server carries
// only the trunk call to the phone.
func TestAsteriskMultiCrossServer(t *testing.T) {
	p := mustStartAsteriskPair(t)
	p.queueAndAgents()

	p.obs["a"].call("support", "ca1")
	p.joined("a~ca1")
	p.mustDo(queue.AgentUnpause{Agent: "bob"})
	p.waitConnected("a~ca1", "bob")
	p.obs["b"].call("support", "cb1")
	p.joined("b~cb1")
	p.mustDo(queue.AgentUnpause{Agent: "alice"})
	p.waitConnected("b~cb1", "alice")

	for _, c := range []struct{ server, other, caller, trunk string }{
		{"a", "b", "ca1", "PJSIP/to-b-"}, {"b", "a", "cb1", "PJSIP/to-a-"},
	} {
		// Connected (the agent answered) comes before the bridge is made.
		var ours []string
		pollUntil(t, waitFor, "caller "+c.caller+" bridged on "+c.server, func() (bool, string) {
			ours = nil
			for _, b := range p.obs[c.server].bridges() {
				if strings.HasPrefix(b.ID, "sqb-") {
					ours = append(ours, strings.Join(b.Channels, ","))
				}
			}
			return len(ours) == 1 && strings.Contains(ours[0], c.caller) && strings.Count(ours[0], ",") == 1, fmt.Sprintf("stasisq's bridges on %s: %q", c.server, ours)
		})
		if !slices.ContainsFunc(p.channelsOf(c.server), func(n string) bool { return strings.Contains(n, " "+c.trunk) }) {
			t.Errorf("%s's channels %q: no agent leg through the trunk (%s…)", c.server, p.channelsOf(c.server), c.trunk)
		}
	}
	for _, c := range []struct{ server, caller, agent string }{{"a", "ca1", "bob"}, {"b", "cb1", "alice"}} {
		p.obs[c.server].hangup(c.caller)
		id := queue.CallerID(c.server + "~" + c.caller)
		p.waitEvent(id, "call_completed")
		p.waitAgent(c.agent, queue.AgentAvailable)
		if rec := p.committedCall(id); rec.Agent != queue.AgentID(c.agent) || rec.Outcome != queue.OutcomeCompleted {
			t.Errorf("call record of %s: agent %q, outcome %q; want %s, completed", id, rec.Agent, rec.Outcome, c.agent)
		}
	}
	for _, name := range []string{"a", "b"} {
		p.waitUntil(name+" has no call left", func() bool { return len(p.channelsOf(name)) == 0 })
	}
}

// TestAsteriskMultiFIFO: callers joining a and b alternately are offered
// to the one free agent in the order they joined.
func TestAsteriskMultiFIFO(t *testing.T) {
	p := mustStartAsteriskPair(t)
	p.queueAndAgents()
	var want []string
	for i := range 6 {
		server := []string{"a", "b"}[i%2]
		id := fmt.Sprintf("c%d%s", i, server)
		p.obs[server].call("support", id)
		p.joined(server + "~" + id)
		want = append(want, server+"~"+id)
	}
	p.mustDo(queue.AgentUnpause{Agent: "alice"})
	for _, caller := range want {
		p.waitConnected(queue.CallerID(caller), "alice")
		server, id, _ := strings.Cut(caller, "~")
		p.obs[server].hangup(id)
		p.waitEvent(queue.CallerID(caller), "call_completed")
	}
	var got []string
	for _, ev := range p.events.all() {
		if o, ok := ev.(queue.OfferStarted); ok {
			got = append(got, string(o.Caller))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("offered in the order %q, want the join order %q", got, want)
	}
}

// TestAsteriskMultiServerDown: b crashes (kill -9) while a's call is up and
// b's caller waits. a's call goes on, b's caller is recorded lost, bob (phone on b)
// is unavailable and is not offered a's next caller, whom alice takes.
// When b is back, stasisq reconnects and resynchronises: bob's phone
// registers again and bob takes b's next caller.
func TestAsteriskMultiServerDown(t *testing.T) {
	p := mustStartAsteriskPair(t)
	p.queueAndAgents()
	p.mustDo(queue.AgentUnpause{Agent: "alice"})
	p.obs["a"].call("support", "ca1")
	p.waitConnected("a~ca1", "alice")
	p.obs["b"].call("support", "cb1")
	p.joined("b~cb1")

	p.ast["b"].Kill(t)
	p.waitUntil("b's caller is recorded lost", func() bool {
		return slices.Contains(p.events.kinds("b~cb1"), "caller_left")
	})
	if rec := p.committedCall("b~cb1"); rec.Outcome != string(queue.LeftLost) {
		t.Errorf("b's caller's record: outcome %q, want %q", rec.Outcome, queue.LeftLost)
	}
	p.waitUntil("bob is unavailable", func() bool { return p.deviceOf("bob") == queue.DeviceUnavailable })
	snap, err := p.main.App.Snapshot(p.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(snap.Servers); got != "[{a true} {b false}]" {
		t.Errorf("the floor's servers: %s, want a connected and b not", got)
	}
	// a's call is still up, and its queue works: bob, unpaused, is not
	// offered a's next caller; alice takes it once free.
	time.Sleep(500 * time.Millisecond)
	if slices.Contains(p.events.kinds("a~ca1"), "call_completed") ||
		!slices.ContainsFunc(p.channelsOf("a"), func(n string) bool { return strings.HasPrefix(n, "ca1 ") }) {
		t.Fatalf("a's call did not outlive b: events %v, a's channels %v", p.events.kinds("a~ca1"), p.channelsOf("a"))
	}
	p.mustDo(queue.AgentUnpause{Agent: "bob"})
	p.obs["a"].call("support", "ca2")
	p.joined("a~ca2")
	p.obs["a"].hangup("ca1")
	p.waitConnected("a~ca2", "alice")
	for _, ev := range p.events.all() {
		if o, ok := ev.(queue.OfferStarted); ok && o.Agent == "bob" {
			t.Errorf("bob, whose server is down, was offered %s", o.Caller)
		}
	}

	// b is back: stasisq reconnects by itself; the phone registers again.
	p.ast["b"].Restart(t)
	p.waitUntil("b is connected again", func() bool {
		for _, s := range p.main.App.Servers() {
			if s.Name == "b" {
				return s.Connected
			}
		}
		return false
	})
	p.registerPhone("b", "2001")
	p.waitUntil("bob's phone is back", func() bool { return p.deviceOf("bob") != queue.DeviceUnavailable })
	p.waitUntil("b's observer is connected again", func() bool { return p.obs["b"].ari.Connected() })
	p.obs["b"].call("support", "cb2")
	p.waitConnected("b~cb2", "bob")
	p.obs["b"].hangup("cb2")
	p.obs["a"].hangup("ca2")
	p.waitEvent("b~cb2", "call_completed")
	p.waitEvent("a~ca2", "call_completed")
}
