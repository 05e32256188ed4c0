package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/internal/asteriskt"
	"stasisq/queue"
)

// The real-Asterisk tests (TestAsterisk…) run stasisq in process against a
// private Asterisk 22 started by internal/asteriskt, with Local-channel
// callers and agents:
//
//   - a caller is a Local channel originated by the test's own ARI
//     application ("observer") to <queue>@callers: its ;2 half runs
//     Stasis(stasisq,<queue>) and, when stasisq lets it go on, enters the
//     observer again with what app_queue would leave in the dialplan
//     (QUEUESTATUS, QUEUEEXITKEY, STASISSTATUS). The ;1 half, in the
//     observer, is the caller's ear and mouth.
//   - an agent's phone is Local/<ext>@<behaviour>: agents answers and echoes,
//     slow answers after a second, noanswer rings on, busy and reject refuse.
const asteriskDialplan = `[general]
static = yes
writeprotect = no

[callers]
exten => _[a-z].,1,NoOp(caller for queue ${EXTEN})
 same => n,Stasis(stasisq,${EXTEN})
 same => n,Stasis(observer,done,${QUEUESTATUS},${QUEUEEXITKEY},${STASISSTATUS})
 same => n,Hangup()

[agents]
exten => _X.,1,Answer()
 same => n,Echo()

[slow]
exten => _X.,1,Ringing()
 same => n,Wait(1)
 same => n,Answer()
 same => n,Echo()

[noanswer]
exten => _X.,1,Ringing()
 same => n,Wait(300)

[shortcall]
exten => _X.,1,Answer()
 same => n,Wait(1)
 same => n,Hangup()

[busy]
exten => _X.,1,Busy(10)

[reject]
exten => _X.,1,Hangup(21)

; A callback's customers: one who answers (and echoes), one who is busy.
[customers]
exten => _X.,1,Answer()
 same => n,Echo()

[busycustomers]
exten => _X.,1,Busy(10)
`

// MustStartAsteriskEnv starts a real Asterisk with the test dialplan (and
// any files of extra laid over it) and stasisq against it, and connects the
// observer.
func MustStartAsteriskEnv(tb testing.TB, extra map[string]string, configure ...func(*Config)) (*testEnv, *observer) {
	tb.Helper()
	conf := map[string]string{"extensions.conf": asteriskDialplan}
	for k, v := range extra {
		conf[k] = v
	}
	ast := asteriskt.Start(tb, conf)
	env := &testEnv{tb: tb, ast: ast, dir: tb.TempDir(), events: &eventLog{}, logs: &logRecorder{}}
	obs := mustObserve(tb, ast)
	env.MustRunMain(configure...)
	return env, obs
}

// recordingDir is Asterisk's astspooldir/recording, where ARI recordings go.
func recordingDir(ast *asteriskt.Instance) string {
	return filepath.Join(ast.RunDir, "spool", "recording")
}

// observer is the callers' side: an ARI application of the test's own.
type observer struct {
	tb  testing.TB
	ari *ari.Client

	mu      sync.Mutex
	arrived map[string]bool     // ;1 halves that entered (the caller was answered)
	done    map[string][]string // caller -> its dialplan's verdict after stasisq
	talked  map[string]int      // ;1 halves: audio heard (ChannelTalkingStarted)
	// parties are the channels a dialplan hands the observer with
	// Stasis(observer,<role>,<exten>): "agent:1001" -> channel id.
	parties map[string]string
	earSeq  int // names of the ears' recordings (asterisk_monitor_test.go)
}

func mustObserve(tb testing.TB, ast *asteriskt.Instance) *observer {
	tb.Helper()
	c, err := ari.NewClient(ari.Config{URL: ast.ARIURL, User: ast.ARIUser, Password: ast.ARIPassword, App: "observer",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	// The observer hears at a party's ear by recording its channel, into
	// Asterisk's recording directory, which Asterisk does not make itself.
	if err := os.MkdirAll(recordingDir(ast), 0o755); err != nil {
		tb.Fatal(err)
	}
	o := &observer{tb: tb, ari: c, arrived: map[string]bool{}, done: map[string][]string{}, talked: map[string]int{}, parties: map[string]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = c.Run(ctx) }()
	go o.read(ctx)
	tb.Cleanup(func() { cancel(); <-stopped })
	deadline := time.Now().Add(waitFor)
	for !c.Connected() {
		if time.Now().After(deadline) {
			tb.Fatal("the observer never connected to Asterisk")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return o
}

func (o *observer) read(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-o.ari.Events():
			o.handle(ctx, ev)
		}
	}
}

func (o *observer) handle(ctx context.Context, ev ari.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch e := ev.(type) {
	case *ari.StasisStart:
		if len(e.Args) > 0 && e.Args[0] == "done" {
			o.done[e.Channel.ID] = e.Args[1:]
			// The verdict is in: let the dialplan hang up.
			go func() {
				if err := o.ari.Continue(ctx, e.Channel.ID, "", "", 0, ""); err != nil && ctx.Err() == nil {
					o.tb.Logf("observer: continue %s: %v", e.Channel.ID, err)
				}
			}()
			return
		}
		o.arrived[e.Channel.ID] = true
		if len(e.Args) > 0 {
			o.parties[strings.Join(e.Args, ":")] = e.Channel.ID
		}
		// Listen on the caller's ear: Asterisk tells when audio (hold
		// music, the agent's voice) comes in.
		id := e.Channel.ID
		go func() {
			// Silence for half a second ends "talking" (the default is 2.5 s).
			if err := o.ari.SetVariable(ctx, id, "TALK_DETECT(set)", "500"); err != nil && ctx.Err() == nil {
				o.tb.Logf("observer: talk detect on %s: %v", id, err)
			}
		}()
	case *ari.ChannelTalkingStarted:
		o.talked[e.Channel.ID]++
	}
}

// call dials a caller into queue: the ;2 half, id, is what stasisq sees.
func (o *observer) call(q, id string) {
	o.tb.Helper()
	o.dial("Local/"+q+"@callers", id)
}

// dial makes a caller of a Local channel to endpoint (exten@context).
func (o *observer) dial(endpoint, id string) {
	o.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err := o.ari.Originate(ctx, ari.OriginateRequest{
		ChannelID: "o-" + id, OtherChannelID: id, Endpoint: endpoint,
		App: "observer", CallerID: fmt.Sprintf("Caller %s <555%s>", id, id), Timeout: 60, Formats: "ulaw",
	})
	if err != nil {
		o.tb.Fatalf("originate caller %s: %v", id, err)
	}
}

// hangup hangs the caller up from its own side.
func (o *observer) hangup(id string) {
	o.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := o.ari.Hangup(ctx, "o-"+id, "normal"); err != nil {
		o.tb.Fatalf("hang up caller %s: %v", id, err)
	}
}

// heard is how many times audio started reaching caller id's ear.
func (o *observer) heard(id string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.talked["o-"+id]
}

// listenAgain gives caller id a fresh talk detector: one that has heard
// nothing yet, so the next audio is news (a bridge sends no frames while
// nobody speaks, so the old detector would never hear silence end).
func (o *observer) listenAgain(id string) {
	o.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for _, v := range [][2]string{{"TALK_DETECT(remove)", ""}, {"TALK_DETECT(set)", "500"}} {
		if err := o.ari.SetVariable(ctx, "o-"+id, v[0], v[1]); err != nil {
			o.tb.Fatalf("%s on caller %s: %v", v[0], id, err)
		}
	}
}

// say plays a sound from caller id's mouth.
func (o *observer) say(id, sound string) {
	o.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := o.ari.Play(ctx, "o-"+id, "say-"+id, "sound:"+sound); err != nil {
		o.tb.Fatalf("play %s from caller %s: %v", sound, id, err)
	}
}

// hush stops what caller id says. A channel's ARI operations run one
// after another: a recording of the caller's ear asked for while it still
// speaks would start only once the sound ends, and hear nothing before.
func (o *observer) hush(id string) {
	o.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := o.ari.StopPlayback(ctx, "say-"+id); err != nil && !errors.Is(err, ari.ErrNotFound) {
		o.tb.Fatalf("stop caller %s speaking: %v", id, err)
	}
}

// verdict waits for what the caller's dialplan found after stasisq let it
// go: QUEUESTATUS, QUEUEEXITKEY, STASISSTATUS.
func (o *observer) verdict(id string) []string {
	o.tb.Helper()
	var got []string
	pollUntil(o.tb, waitFor, "caller "+id+" back in its dialplan", func() (bool, string) {
		o.mu.Lock()
		defer o.mu.Unlock()
		v, ok := o.done[id]
		got = v
		return ok, fmt.Sprint(o.done)
	})
	return got
}

// channels lists what Asterisk has, the observer's own calls included.
func (o *observer) channels() []string {
	o.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	chans, err := o.ari.ListChannels(ctx)
	if err != nil {
		o.tb.Fatalf("list channels: %v", err)
	}
	var ids []string
	for _, c := range chans {
		ids = append(ids, c.ID+" "+c.Name)
	}
	slices.Sort(ids)
	return ids
}

// bridges lists Asterisk's bridges with their channels.
func (o *observer) bridges() []ari.Bridge {
	o.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	bs, err := o.ari.ListBridges(ctx)
	if err != nil {
		o.tb.Fatalf("list bridges: %v", err)
	}
	return bs
}

// waitAsteriskClean waits until Asterisk has no channel and no bridge left.
func (e *testEnv) waitAsteriskClean(o *observer) {
	e.tb.Helper()
	pollUntil(e.tb, waitFor, "no channel or bridge left in Asterisk", func() (bool, string) {
		ch, br := o.channels(), o.bridges()
		return len(ch) == 0 && len(br) == 0 && e.main.App.Idle(), fmt.Sprintf("channels %v bridges %d", ch, len(br))
	})
}

// waitEvent waits until the app published an event about caller of kind.
func (e *testEnv) waitEvent(caller queue.CallerID, kind string) {
	e.tb.Helper()
	e.waitUntil(fmt.Sprintf("%s for %s", kind, caller), func() bool {
		return slices.Contains(e.events.kinds(caller), kind)
	})
}

// asteriskQueue configures a queue for the real-Asterisk tests: no
// announcements, a short ring timeout and retry, so tests run in seconds.
func (e *testEnv) asteriskQueue(name string, edit func(*queue.QueueConfig)) {
	e.tb.Helper()
	e.MustQueue(name, func(q *queue.QueueConfig) {
		q.Timeout = 3 * time.Second
		q.Retry = 200 * time.Millisecond
		if edit != nil {
			edit(q)
		}
	})
}

// offerResults lists an agent and its offer's result per ended offer.
func offerResults(e *testEnv, caller queue.CallerID) []string {
	var out []string
	for _, o := range offersOf(e, caller) {
		out = append(out, string(o.Agent)+"="+o.Result)
	}
	return out
}

func bridgeMembers(bs []ari.Bridge) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.ID+":"+strings.Join(b.Channels, ","))
	}
	return out
}

// cutProxy forwards TCP to Asterisk's HTTP port and can cut the ARI events
// websockets through it (and refuse new ones) while REST goes on.
type cutProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	blocked bool
	ws      []net.Conn
}

func mustCutProxy(tb testing.TB, port int) *cutProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: fmt.Sprintf("127.0.0.1:%d", port)}
	go p.serve()
	tb.Cleanup(func() { ln.Close(); p.cut(true) })
	return p
}

func (p *cutProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *cutProxy) handle(c net.Conn) {
	br := bufio.NewReader(c)
	line, err := br.Peek(64)
	if err != nil && len(line) == 0 {
		c.Close()
		return
	}
	ws := bytes.Contains(line, []byte("/ari/events"))
	p.mu.Lock()
	if ws && p.blocked {
		p.mu.Unlock()
		c.Close()
		return
	}
	if ws {
		p.ws = append(p.ws, c)
	}
	p.mu.Unlock()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	go func() { _, _ = io.Copy(up, br); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

// cut closes the events websockets and refuses new ones (block), or lets
// them through again.
func (p *cutProxy) cut(block bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = block
	if block {
		for _, c := range p.ws {
			c.Close()
		}
		p.ws = nil
	}
}

// sipp runs SIPp (Debian's sip-tester) against the instance's SIP port;
// without it the test skips, or fails under CI=true.
func sipp(tb testing.TB, ast *asteriskt.Instance, args ...string) *exec.Cmd {
	tb.Helper()
	return sippTo(tb, fmt.Sprintf("127.0.0.1:%d", ast.SIPPort), args...)
}

// sippTo is sipp against a SIP server at target (host:port).
func sippTo(tb testing.TB, target string, args ...string) *exec.Cmd {
	tb.Helper()
	bin, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("sipp not found (required when CI=true): apt-get install sip-tester")
		}
		tb.Skip("sipp not found: apt-get install sip-tester")
	}
	dir := tb.TempDir()
	// -aa: answer OPTIONS (Asterisk's qualify) as a phone does.
	full := append([]string{target, "-i", "127.0.0.1", "-aa", "-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "errors.log")}, args...)
	cmd := exec.Command(bin, full...)
	cmd.Dir = dir
	return cmd
}

// mustRegisterPhone registers user with password from local port, as a
// desk phone does, then answers calls there until the test ends: SIPp's
// built-in uas, or the SIPp arguments of phone (a scenario of its own).
func mustRegisterPhone(tb testing.TB, ast *asteriskt.Instance, user, password string, phone ...string) {
	tb.Helper()
	port := freeUDPPort(tb)
	reg := sipp(tb, ast, "-sf", sippScenario(tb, "register.xml"), "-s", user, "-au", user, "-ap", password,
		"-p", strconv.Itoa(port), "-m", "1", "-timeout", "10s", "-timeout_error")
	if out, err := reg.CombinedOutput(); err != nil {
		tb.Fatalf("register %s with SIPp: %v\n%s", user, err, out)
	}
	if len(phone) == 0 {
		phone = []string{"-sn", "uas"}
	}
	uas := sipp(tb, ast, append(phone, "-p", strconv.Itoa(port))...)
	if err := uas.Start(); err != nil {
		tb.Fatalf("start SIPp uas: %v", err)
	}
	tb.Cleanup(func() {
		_ = uas.Process.Kill()
		_ = uas.Wait()
	})
}

func freeUDPPort(tb testing.TB) int {
	tb.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// press sends DTMF from caller id's keypad.
func (o *observer) press(id, digits string) {
	o.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := o.ari.SendDTMF(ctx, "o-"+id, digits); err != nil {
		o.tb.Fatalf("press %s on caller %s: %v", digits, id, err)
	}
}

// waitAnswered waits until stasisq answered caller id (its ;1 half, the
// caller's side, entered the observer).
func (o *observer) waitAnswered(id string) {
	o.tb.Helper()
	pollUntil(o.tb, waitFor, "caller "+id+" answered by stasisq", func() (bool, string) {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.arrived["o-"+id], fmt.Sprint(o.arrived)
	})
}

// mustDo applies an engine command through the loop, as the console does.
func (e *testEnv) mustDo(in queue.Input) {
	e.tb.Helper()
	if err := e.main.App.Do(e.ctx(), in); err != nil {
		e.tb.Fatalf("%T: %v", in, err)
	}
}
