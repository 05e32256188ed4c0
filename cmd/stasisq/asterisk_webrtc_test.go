package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/queue"
)

// The console as the agent's phone on a real Asterisk: Chromium with a
// fake microphone runs the console (ui/browsertest/webrtc_*.mjs), SIP.js
// registers over Asterisk's websocket with the account stasisq provisioned
// over ARI, and media flows between Asterisk and the browser. Everything
// runs in a network namespace made for the test (TESTING.md): media reaches
// no address of the machine but the namespace's own.

// netnsEnv marks the test binary re-run inside its namespace.
const netnsEnv = "STASISQ_TEST_NETNS"

// mustInNetns re-runs the calling test inside a new network namespace with
// loopback and a veth pair (pjlib offers no loopback ICE candidate, so
// Asterisk needs an address of its own), and reports whether the caller is
// that inner run; the outer run returns false, having passed or failed with
// the inner one.
func mustInNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) == "1" {
		return true
	}
	need := func(msg string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if os.Geteuid() != 0 {
		need("the browser phone tests make a network namespace (unshare -n), which needs root")
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			need("the browser phone tests need " + tool + " (util-linux, iproute2)")
		}
	}
	setup := "ip link set lo up && ip link add t0 type veth peer name t1 && ip addr add 10.99.0.1/24 dev t0 && ip link set t0 up && ip link set t1 up"
	cmd := exec.Command("unshare", "-n", "--", "/bin/sh", "-c", setup+` && exec "$0" "$@"`,
		os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.v", "-test.count=1", "-test.timeout=8m")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		t.Log("netns: " + line)
	}
	if err != nil {
		t.Fatalf("%s in its network namespace: %v", t.Name(), err)
	}
	if strings.Contains(string(out), "--- SKIP: "+t.Name()) {
		t.Skip("skipped in its network namespace (see above)")
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s did not pass in its network namespace", t.Name())
	}
	return false
}

// phoneBrowser is a ui/browsertest script run by the test: its STEP lines
// arrive on steps, and cue sends it a go-ahead.
type phoneBrowser struct {
	t     *testing.T
	stdin io.WriteCloser
	steps chan phoneStep
	done  chan error
}

type phoneStep struct {
	name string
	data json.RawMessage
	at   time.Time
}

// startPhoneBrowser runs script (in ui/browsertest) against e's stasisq.
func startPhoneBrowser(t *testing.T, e *testEnv, script string, env ...string) *phoneBrowser {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "ui", "browsertest"))
	if err != nil {
		t.Fatal(err)
	}
	need := func(msg string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		need("the browser phone tests need node; run scripts/setup-test-deps")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		need("the browser phone tests need /usr/bin/chromium; run scripts/setup-test-deps")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		need("the browser phone tests need playwright-core in ui/browsertest; run scripts/setup-test-deps")
	}
	artifacts, err := filepath.Abs(filepath.Join("..", "..", "artifacts", "browser"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{
		"STASISQ_URL=" + e.main.URL(), "STASISQ_ARTIFACTS=" + artifacts, "TMPDIR=" + t.TempDir(),
		"STASISQ_PASSWORD=" + phoneTestPassword,
		"STASISQ_CHROMIUM_FLAGS=--use-fake-ui-for-media-stream --use-fake-device-for-media-stream --allow-loopback-in-peer-connection --autoplay-policy=no-user-gesture-required",
	}, env...)...)
	b := &phoneBrowser{t: t, steps: make(chan phoneStep, 16), done: make(chan error, 1)}
	if b.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", script, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			t.Log("browser: " + line)
			if rest, ok := strings.CutPrefix(line, "STEP "); ok {
				name, data, _ := strings.Cut(rest, " ")
				b.steps <- phoneStep{name: name, data: json.RawMessage(data), at: time.Now()}
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		wg.Wait()
		b.done <- err
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	return b
}

// step waits for the script to reach name.
func (b *phoneBrowser) step(name string) phoneStep {
	b.t.Helper()
	deadline := time.After(90 * time.Second)
	for {
		select {
		case s := <-b.steps:
			if s.name == name {
				return s
			}
			b.t.Logf("browser step %s (waiting for %s)", s.name, name)
		case err := <-b.done:
			b.t.Fatalf("the browser script ended (%v) before step %s", err, name)
		case <-deadline:
			b.t.Fatalf("no browser step %s within 90 s", name)
		}
	}
}

func (b *phoneBrowser) cue(name string) {
	b.t.Helper()
	if _, err := fmt.Fprintln(b.stdin, name); err != nil {
		b.t.Fatalf("cue %s: %v", name, err)
	}
}

// wait waits for the script to finish well.
func (b *phoneBrowser) wait() {
	b.t.Helper()
	b.stdin.Close()
	select {
	case err := <-b.done:
		if err != nil {
			b.t.Fatalf("browser script: %v", err)
		}
	case <-time.After(60 * time.Second):
		b.t.Fatal("the browser script did not end")
	}
}

const phoneTestPassword = "browser-phone-pass"

// MustStartPhoneEnv is a real Asterisk with the sample's sorcery.conf (so
// stasisq can provision browser phones) and stasisq against it.
func MustStartPhoneEnv(t *testing.T, configure ...func(*Config)) (*testEnv, *observer) {
	t.Helper()
	sorcery, err := os.ReadFile(filepath.Join("..", "..", "asterisk-conf", "sorcery.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return MustStartAsteriskEnv(t, map[string]string{"sorcery.conf": string(sorcery)}, configure...)
}

// mustBrowserAgent makes id an agent whose phone is the console, with a
// console password, in queues.
func (e *testEnv) mustBrowserAgent(id string, queues ...string) {
	e.tb.Helper()
	cfg := queue.AgentConfig{Device: queue.BrowserDevice(id), Phone: queue.PhoneBrowser}
	for _, q := range queues {
		cfg.Queues = append(cfg.Queues, queue.Membership{Queue: q})
	}
	if err := e.main.configureUser(e.ctx(), queue.User{ID: id, Name: id, Role: queue.RoleAgent, Agent: cfg}, phoneTestPassword); err != nil {
		e.tb.Fatalf("put agent %s: %v", id, err)
	}
}

// setAutoAnswer gives agent's browser phone auto-answer.
func (e *testEnv) setAutoAnswer(agent string, after time.Duration) {
	e.tb.Helper()
	u, err := e.main.DB.User(e.ctx(), agent)
	if err != nil {
		e.tb.Fatal(err)
	}
	u.Agent.AutoAnswer = after
	if err := e.main.configureUser(e.ctx(), u, ""); err != nil {
		e.tb.Fatalf("auto-answer for %s: %v", agent, err)
	}
}

// agentDevice is the device state the engine has for agent.
func (e *testEnv) agentDevice(agent queue.AgentID) queue.DeviceState {
	snap, err := e.main.App.Snapshot(e.ctx())
	if err != nil {
		e.tb.Fatal(err)
	}
	for _, a := range snap.Agents {
		if queue.AgentID(a.Config.ID) == agent {
			return a.Device
		}
	}
	return ""
}

// phoneVar reads a variable or function of the agent's browser phone
// channel.
func phoneVar(t *testing.T, e *testEnv, agent, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	chans, err := e.main.ARI.ListChannels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		if strings.HasPrefix(ch.Name, queue.BrowserDevice(agent)+"-") {
			v, err := e.main.ARI.GetVariable(ctx, ch.ID, name)
			if err != nil {
				t.Fatalf("%s of %s: %v", name, ch.Name, err)
			}
			return v
		}
	}
	t.Fatalf("no channel of %s in Asterisk", queue.BrowserDevice(agent))
	return ""
}

var rtcpCount = regexp.MustCompile(`(rx|tx)count=(\d+)`)

// rtpCounts reads Asterisk's RTP packet counters of the agent's browser
// phone channel (CHANNEL(rtcp,all) of chan_pjsip).
func rtpCounts(t *testing.T, e *testEnv, agent string) (rx, tx int) {
	t.Helper()
	for _, m := range rtcpCount.FindAllStringSubmatch(phoneVar(t, e, agent, "CHANNEL(rtcp,all)"), -1) {
		n, _ := strconv.Atoi(m[2])
		if m[1] == "rx" {
			rx = n
		} else {
			tx = n
		}
	}
	return rx, tx
}

// TestAsteriskWebRTCAnswer: alice's console registers its phone, rings with
// the caller's number, she answers in the browser, audio flows both ways
// (the browser's getStats and Asterisk's RTP counters), mute silences her
// microphone, the keypad reaches Asterisk, her hold puts the caller's leg
// on hold in Asterisk, which plays the caller music (recorded at the
// caller's ear, alice muted) until she resumes, and her hang-up from the
// browser ends the call with the talk time it had.
func TestAsteriskWebRTCAnswer(t *testing.T) {
	if !mustInNetns(t) {
		return
	}
	e, obs := MustStartPhoneEnv(t)
	e.asteriskQueue("support", nil)
	e.mustBrowserAgent("alice", "support")
	b := startPhoneBrowser(t, e, "webrtc_answer.mjs", "STASISQ_CALLER_NUMBER=555c01")
	b.step("registered")
	e.waitUntil("alice's phone available to routing", func() bool { return e.agentDevice("alice") == queue.DeviceNotInUse })
	e.mustDo(queue.AgentLogin{Agent: "alice"})
	obs.call("support", "c01")
	b.cue("calling")
	b.step("declined")
	// Her decline is a refusal for the queue's rules (not a ring nobody
	// answered), and the caller stays queued for the next ring.
	e.waitUntil("alice's first ring ended", func() bool { return len(offersOf(e, "c01")) == 1 })
	if o := offersOf(e, "c01")[0]; o.Result != string(queue.RingRejected) {
		t.Errorf("the declined ring ended %q, want %q", o.Result, queue.RingRejected)
	}
	answered := b.step("answered")
	e.waitConnected("c01", "alice")
	obs.say("c01", "demo-congrats") // the caller speaks: audio for the browser's ear
	media := b.step("media")
	var got struct{ InboundPackets, OutboundPackets int }
	if err := json.Unmarshal(media.data, &got); err != nil {
		t.Fatalf("media step %s: %v", media.data, err)
	}
	rx, tx := rtpCounts(t, e, "alice")
	t.Logf("browser: in %d, out %d packets; Asterisk, alice's channel: rx %d, tx %d", got.InboundPackets, got.OutboundPackets, rx, tx)
	if rx == 0 || tx == 0 {
		t.Errorf("Asterisk counted rx %d, tx %d RTP packets on alice's channel, want both > 0", rx, tx)
	}

	b.step("dtmf")
	e.waitUntil("the browser's 5 at Asterisk", func() bool {
		for _, ev := range e.ari.all() {
			if d, ok := ev.(*ari.ChannelDtmfReceived); ok && d.Digit == "5" && strings.HasPrefix(d.Channel.Name, queue.BrowserDevice("alice")) {
				return true
			}
		}
		return false
	})
	b.cue("dtmf-checked")

	b.step("held")
	// The browser's hold (a sendonly re-INVITE) reaches the caller's leg
	// as a hold indication, and the caller's channel plays itself music:
	// alice is muted, so what the caller's ear gets is the music.
	e.waitUntil("the caller's leg held by alice's hold", func() bool {
		v, err := e.main.ARI.GetVariable(e.ctx(), "c01", "CHANNEL(onhold)")
		return err == nil && v == "1"
	})
	obs.hush("c01")
	ear := map[string]string{"caller": "o-c01"}
	if rms := obs.earsRMS(t, ear, 3*time.Second, nil)["caller"]; rms <= speechRMS {
		t.Errorf("held by alice, the caller's ear got RMS %.0f, want music (over %d)", rms, speechRMS)
	}
	b.cue("hold-checked")
	b.step("resumed")
	if rms := obs.earsRMS(t, ear, 3*time.Second, nil)["caller"]; rms > speechRMS {
		t.Errorf("resumed with alice muted, the caller's ear got RMS %.0f, want the music gone (under %d)", rms, speechRMS)
	}
	b.cue("resume-checked")

	hungUp := b.step("hung-up")
	b.wait()
	e.waitEvent("c01", "call_completed")
	var done queue.CallCompleted
	for _, ev := range e.events.all() {
		if c, ok := ev.(queue.CallCompleted); ok && c.Caller == "c01" {
			done = c
		}
	}
	talk := hungUp.at.Sub(answered.at)
	t.Logf("talk time: recorded %s, the browser's answer to hang-up %s; ended by %s", done.Talk, talk, done.By)
	if done.By != queue.PartyAgent {
		t.Errorf("the call ended by %s, want the agent", done.By)
	}
	if d := done.Talk - talk; d < -2*time.Second || d > 2*time.Second {
		t.Errorf("recorded talk time %s, the browser had the call for %s", done.Talk, talk)
	}
	e.waitAsteriskClean(obs)
}

// TestAsteriskWebRTCUnregistered: closing the console takes alice's phone
// off, so routing skips her and the next caller goes to bob; opening it
// again brings her back, with auto-answer taking the next call by itself;
// a second tab of hers takes the phone over when the first closes.
func TestAsteriskWebRTCUnregistered(t *testing.T) {
	if !mustInNetns(t) {
		return
	}
	network := newBrowserNetwork(t)
	e, obs := MustStartPhoneEnv(t, network.through)
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.Linear })
	e.mustBrowserAgent("alice", "support")
	b := startPhoneBrowser(t, e, "webrtc_unregistered.mjs")
	b.step("registered")
	e.waitUntil("alice's phone available", func() bool { return e.agentDevice("alice") == queue.DeviceNotInUse })
	e.mustDo(queue.AgentLogin{Agent: "alice"})
	e.MustAgent("bob", "Local/1002@agents", "support") // after alice: linear rings her first

	b.cue("close")
	closed := b.step("closed")
	e.waitUntil("alice's phone unavailable", func() bool { return e.agentDevice("alice") == queue.DeviceUnavailable })
	t.Logf("alice unavailable %s after her console closed", time.Since(closed.at).Round(100*time.Millisecond))
	obs.call("support", "c01")
	e.waitConnected("c01", "bob")
	for _, o := range offersOf(e, "c01") {
		if o.Agent == "alice" {
			t.Errorf("alice, whose phone is gone, was rung: %+v", o)
		}
	}
	e.endCall(obs, "c01", "bob")

	// The queue's auto-answer for the reopened console (hers is off: the
	// INVITE says it); bob away, so the next caller is hers and nobody clicks.
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.Strategy, q.AutoAnswer = queue.Linear, time.Second })
	e.mustDo(queue.AgentPause{Agent: "bob", Reason: "x"})
	b.cue("reopen")
	b.step("registered-again")
	e.waitUntil("alice's phone available again", func() bool { return e.agentDevice("alice") == queue.DeviceNotInUse })
	obs.call("support", "c02")
	b.step("auto-answered")
	e.waitConnected("c02", "alice")
	obs.hangup("c02")
	e.waitEvent("c02", "call_completed")

	// A second tab of hers waits, and takes the phone over when the first
	// closes: never two registrations, never none for long. It answers by
	// itself with her own auto-answer, the queue's now off.
	e.asteriskQueue("support", func(q *queue.QueueConfig) { q.Strategy = queue.Linear })
	e.setAutoAnswer("alice", time.Second)
	b.cue("second")
	b.step("second-tab")
	e.waitUntil("alice's phone available from the second tab", func() bool { return e.agentDevice("alice") == queue.DeviceNotInUse })
	obs.call("support", "c03")
	b.step("auto-answered-agent")
	e.waitConnected("c03", "alice")
	obs.hangup("c03")
	e.waitEvent("c03", "call_completed")

	// The network between her browser and Asterisk drops for 6 s: the
	// connection is cut and new ones fail. Asterisk loses her contact with
	// the websocket, routing stops offering her calls, her console says it
	// is reconnecting; once the network is back SIP.js connects and
	// registers again by itself and she takes the caller who waited.
	b.step("idle")
	b.cue("drop")
	dropped := time.Now()
	if cut := network.drop(); cut == 0 {
		t.Fatal("the browser's phone had no connection to Asterisk to cut")
	}
	e.waitUntil("alice's phone unavailable when her network dropped", func() bool { return e.agentDevice("alice") == queue.DeviceUnavailable })
	t.Logf("alice unavailable %s after her network dropped", time.Since(dropped).Round(100*time.Millisecond))
	b.step("reconnecting")
	obs.call("support", "c04") // waits: bob is paused, alice unreachable
	time.Sleep(time.Until(dropped.Add(6 * time.Second)))
	if offers := offersOf(e, "c04"); len(offers) > 0 {
		t.Errorf("alice was rung while her network was down: %+v", offers)
	}
	network.restore()
	back := time.Now()
	b.step("reconnected")
	e.waitUntil("alice's phone registered after the network came back", func() bool { return e.agentDevice("alice") != queue.DeviceUnavailable })
	t.Logf("alice's phone back %s after the network came back", time.Since(back).Round(100*time.Millisecond))
	b.step("auto-answered-after-drop")
	e.waitConnected("c04", "alice")
	obs.hangup("c04")
	e.waitEvent("c04", "call_completed")
	b.cue("done")
	b.wait()
	e.waitAsteriskClean(obs)
}

// browserNetwork stands between the browsers and Asterisk's SIP websocket:
// a TCP relay the test can cut, as a network that drops. stasisq's own
// ARI connection does not go through it.
type browserNetwork struct {
	t      *testing.T
	ln     net.Listener
	target string // Asterisk's HTTP address

	mu    sync.Mutex
	down  bool
	links map[*link]bool // open ones
}

// link is one browser connection relayed to Asterisk.
type link struct{ in, out net.Conn }

func newBrowserNetwork(t *testing.T) *browserNetwork {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &browserNetwork{t: t, ln: ln, links: map[*link]bool{}}
	t.Cleanup(func() { ln.Close(); n.cut() })
	go n.serve()
	return n
}

// through sends the browser phones' websocket through n.
func (n *browserNetwork) through(c *Config) {
	u, err := url.Parse(c.ARIURL)
	if err != nil {
		n.t.Fatal(err)
	}
	n.mu.Lock()
	n.target = u.Host
	n.mu.Unlock()
	c.PhoneWSURL = "ws://" + n.ln.Addr().String() + "/ws"
}

func (n *browserNetwork) serve() {
	for {
		in, err := n.ln.Accept()
		if err != nil {
			return // closed by the test's end
		}
		n.mu.Lock()
		down, target := n.down, n.target
		n.mu.Unlock()
		if down {
			in.Close() // no way through while the network is down
			continue
		}
		out, err := net.Dial("tcp", target)
		if err != nil {
			n.t.Logf("browser network: dial Asterisk: %v", err)
			in.Close()
			continue
		}
		l := &link{in: in, out: out}
		n.mu.Lock()
		n.links[l] = true
		n.mu.Unlock()
		go func() { io.Copy(out, in); out.Close() }()
		go func() {
			io.Copy(in, out)
			in.Close()
			n.mu.Lock()
			delete(n.links, l)
			n.mu.Unlock()
		}()
	}
}

// cut closes every open connection through n and says how many there were.
func (n *browserNetwork) cut() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	cut := len(n.links)
	for l := range n.links {
		l.in.Close()
		l.out.Close()
		delete(n.links, l)
	}
	return cut
}

// drop takes the network down: what was connected is cut and nothing
// gets through until restore.
func (n *browserNetwork) drop() int {
	n.mu.Lock()
	n.down = true
	n.mu.Unlock()
	return n.cut()
}

func (n *browserNetwork) restore() {
	n.mu.Lock()
	n.down = false
	n.mu.Unlock()
}
