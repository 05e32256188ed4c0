package callflow

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/internal/scripttest"
	"stasisq/queue"
)

var update = flag.Bool("update", false, "rewrite the expected output of testdata/scenarios")

// TestScenarios replays each testdata/scenarios/*.txt script against the
// call flow and a scripted Asterisk (scriptARI), without a network: blocks
// of one command, a "----" line and what followed, separated by blank lines
// (etcd-io/raft's interaction tests). What followed is the REST calls the
// flow made ("> "), grouped by the channel, bridge or playback they act on,
// then the domain events it published ("= "), in order. Run with -update to
// rewrite the expectations.
//
// Commands:
//
//	queue NAME key=value...     configure a queue (strategy, timeout, retry,
//	                            wrapup, maxwait, exitkeys, joinempty, continue)
//	agent ID DEVICE QUEUE...    configure an agent and log it in
//	login|pause|unpause AGENT
//	call CALLER QUEUE [ARG...]  a caller runs Stasis(stasisq,QUEUE,ARG...)
//	answer DEVICE               the leg last rung on DEVICE answers
//	busy|noanswer DEVICE        that leg's Dial ends so, and the leg goes
//	hangup CALLER               the caller hangs up
//	vanish CALLER               it hangs up unseen (its events lost in a drop)
//	agent-hangup DEVICE         the agent's answered leg hangs up
//	dtmf CALLER DIGIT
//	played CALLER               its last playback finished
//	transfer DEVICE EXTEN       the agent's phone blind-transfers the caller
//	drop / reconnect            the events websocket drops / is back
//	reconnect-dropped           it is back, and drops again while the
//	                            reconcile is fetching Asterisk's view
//	all-devices                 Asterisk holds a subscription of the app
//	                            to every device state (an older stasisq's)
//	restart                     a new loop (stasisq restarted) on the same Asterisk
//	fail OP STATUS              the next OP call (originate, answer, ...) fails
//	wait DURATION               let the engine's timers run
func TestScenarios(t *testing.T) {
	// Later hang-up rounds within a scenario's "wait", not seconds apart.
	saved := lateHangupWaits
	lateHangupWaits = []time.Duration{30 * time.Millisecond, 30 * time.Millisecond}
	t.Cleanup(func() { lateHangupWaits = saved })
	savedEnd := recordingEndWait
	recordingEndWait = 50 * time.Millisecond
	t.Cleanup(func() { recordingEndWait = savedEnd })
	scripttest.RunDir(t, "testdata/scenarios", *update, func(t *testing.T) func(string) []string {
		return newFlowHarness(t).run
	})
}

// flowHarness is one App on a scriptARI, restarted in place by "restart".
type flowHarness struct {
	t      *testing.T
	ari    *scriptARI
	app    *App
	stop   context.CancelFunc
	done   chan error
	config []queue.Input // replayed into the engine of a restarted loop
	runs   int

	mu     sync.Mutex
	events []queue.Event
}

func newFlowHarness(t *testing.T) *flowHarness {
	h := &flowHarness{t: t, ari: newScriptARI()}
	h.start()
	t.Cleanup(h.halt)
	// The first connection's reconcile (subscribe, list what is there) is
	// every scenario's; "restart" shows a later one.
	h.settle()
	h.ari.take()
	return h
}

// start makes a loop over the engine configured so far and waits until it
// has connected and reconciled.
func (h *flowHarness) start() {
	h.runs++
	engine := queue.NewEngine(queue.Options{OfferPrefix: fmt.Sprintf("r%d-", h.runs), Location: time.UTC})
	for _, in := range h.config {
		if _, err := engine.Apply(time.Now(), in); err != nil {
			h.t.Fatalf("configure the restarted engine: %v", err)
		}
	}
	app, err := New(Config{
		ARI: h.ari, App: "stasisq", Engine: engine, RunTag: fmt.Sprintf("run%d", h.runs),
		Publish: []func([]queue.Event){h.publish},
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.app, h.stop, h.done = app, cancel, make(chan error, 1)
	go func() { h.done <- app.Run(ctx) }()
	select {
	case <-app.Ready():
	case <-time.After(10 * time.Second):
		h.t.Fatal("the loop never reconciled")
	}
}

func (h *flowHarness) halt() {
	if h.stop == nil {
		return
	}
	h.stop()
	if err := <-h.done; err != nil {
		h.t.Errorf("run: %v", err)
	}
	h.stop = nil
}

func (h *flowHarness) publish(evs []queue.Event) {
	h.mu.Lock()
	h.events = append(h.events, evs...)
	h.mu.Unlock()
}

// settle waits until the loop has handled everything sent and posted, and
// the executor has carried out every REST call that followed.
func (h *flowHarness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for stable := 0; stable < 3; {
		if time.Now().After(deadline) {
			h.t.Fatal("the call flow never settled")
		}
		if err := h.app.do(context.Background(), func() {}); err != nil {
			h.t.Fatal(err)
		}
		if h.app.Idle() && len(h.app.results) == 0 {
			stable++
		} else {
			stable = 0
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *flowHarness) send(evs ...ari.Event) {
	for _, ev := range evs {
		h.ari.events <- ev
	}
}

func (h *flowHarness) do(in queue.Input) {
	h.t.Helper()
	if err := h.app.Do(context.Background(), in); err != nil {
		h.t.Fatalf("%T: %v", in, err)
	}
}

func (h *flowHarness) run(cmd string) []string {
	h.t.Helper()
	f := strings.Fields(cmd)
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		h.t.Fatalf("%q: missing argument %d", cmd, i)
		return ""
	}
	must := func(err error) {
		if err != nil {
			h.t.Fatalf("%q: %v", cmd, err)
		}
	}
	switch f[0] {
	case "queue":
		c := queue.DefaultQueueConfig(arg(1))
		c.AnnouncePosition, c.AnnounceHoldTime = "no", "no"
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			must(setQueueOption(&c, k, v))
		}
		h.configure(queue.ConfigureQueue{Config: c})
	case "agent":
		cfg := queue.AgentConfig{ID: arg(1), Name: arg(1), Device: arg(2)}
		for _, q := range f[3:] {
			cfg.Queues = append(cfg.Queues, queue.Membership{Queue: q})
		}
		h.configure(queue.ConfigureAgent{Config: cfg})
		h.do(queue.AgentLogin{Agent: queue.AgentID(arg(1))})
	case "login":
		h.do(queue.AgentLogin{Agent: queue.AgentID(arg(1))})
	case "pause":
		h.do(queue.AgentPause{Agent: queue.AgentID(arg(1)), Reason: "break"})
	case "unpause":
		h.do(queue.AgentUnpause{Agent: queue.AgentID(arg(1))})
	case "call":
		h.send(h.ari.callerArrives(arg(1), f[2:]))
	case "call-answered": // call-answered <id> <args>: the dialplan answered before Stasis()
		h.send(h.ari.callerArrivesIn(arg(1), "Up", f[2:]))
	case "answer":
		ev, err := h.ari.agentAnswers(arg(1))
		must(err)
		h.send(ev)
	case "answer-unseen": // answer-unseen <endpoint>: answered while no events come (a dropped websocket)
		_, err := h.ari.agentAnswers(arg(1))
		must(err)
	case "busy", "noanswer":
		leg, other, err := h.ari.legOfEndpoint(arg(1))
		must(err)
		status, cause := "BUSY", 17
		if f[0] == "noanswer" {
			status, cause = "NOANSWER", 19
		}
		h.send(&ari.Dial{EventBase: ari.EventBase{Type: "Dial"}, Peer: ari.Channel{ID: other}, Dialstatus: status})
		h.send(h.ari.gone(other, cause)...)
		h.send(h.ari.gone(leg, cause)...)
	case "hangup":
		h.send(h.ari.gone(arg(1), 16)...)
	case "vanish":
		h.ari.gone(arg(1), 16)
	case "agent-hangup":
		leg, other, err := h.ari.legOfEndpoint(arg(1))
		must(err)
		h.send(h.ari.gone(other, 16)...)
		h.send(h.ari.gone(leg, 16)...)
	case "dtmf":
		h.send(&ari.ChannelDtmfReceived{EventBase: ari.EventBase{Type: "ChannelDtmfReceived"}, Channel: ari.Channel{ID: arg(1)}, Digit: arg(2)})
	case "played":
		pb := h.ari.playing(arg(1))
		h.send(&ari.PlaybackFinished{EventBase: ari.EventBase{Type: "PlaybackFinished"}, Playback: ari.Playback{ID: pb}})
	case "transfer":
		leg, _, err := h.ari.legOfEndpoint(arg(1))
		must(err)
		bridge := h.ari.bridgeOf(leg)
		h.send(&ari.BridgeBlindTransfer{EventBase: ari.EventBase{Type: "BridgeBlindTransfer"}, Channel: ari.Channel{ID: leg},
			Bridge: &ari.Bridge{ID: bridge}, Exten: arg(2), Context: "internal", Result: "Success"})
		// Asterisk hangs the transferer's phone up; its leg leaves.
		h.send(h.ari.gone(leg, 16)...)
	case "all-devices":
		h.ari.mu.Lock()
		h.ari.allDevices = true
		h.ari.mu.Unlock()
	case "drop":
		h.send(&ari.Disconnected{At: time.Now()})
	case "reconnect":
		h.send(&ari.Connected{At: time.Now()})
	case "reconnect-dropped":
		entered, release := h.ari.holdNext("application")
		h.send(&ari.Connected{At: time.Now()})
		<-entered // the reconcile's fetch is under way
		h.send(&ari.Disconnected{At: time.Now()})
		// The events reach the loop through the server's forwarder: wait
		// until it has taken the drop in, then let the fetch end.
		for down := false; !down; {
			must(h.app.do(context.Background(), func() {
				down = true
				for _, up := range h.app.up {
					down = down && !up
				}
			}))
		}
		release()
	case "restart":
		h.settle()
		h.halt()
		h.start()
	case "fail":
		status, err := strconv.Atoi(arg(2))
		must(err)
		h.ari.failNext(arg(1), status)
		return nil
	case "redirect": // redirect <caller> <target> [allowed context,exten ...]
		var allowed queue.RedirectTargets
		if len(f) > 3 {
			var err error
			allowed, err = queue.ParseRedirectTargets(f[3:])
			must(err)
		}
		if err := h.app.RedirectCaller(context.Background(), queue.CallerID(arg(1)), arg(2), allowed); err != nil {
			h.settle()
			return append(h.ari.take(), "! "+err.Error())
		}
	case "record": // record <caller> start|pause|resume: a supervisor's control
		if err := h.app.Do(context.Background(), queue.RecordingControl{Caller: queue.CallerID(arg(1)), Action: arg(2), By: "sup"}); err != nil {
			h.settle()
			return append(h.ari.take(), "! "+err.Error())
		}
	case "recorded": // recorded <seconds>: Asterisk finished the last recording
		secs, err := strconv.Atoi(arg(1))
		must(err)
		h.send(&ari.RecordingFinished{EventBase: ari.EventBase{Type: "RecordingFinished"},
			Recording: ari.LiveRecording{Name: h.ari.lastRecording, State: "done", Duration: secs}})
	case "record-failed": // record-failed <cause...>: Asterisk gave the last recording up
		h.send(&ari.RecordingFailed{EventBase: ari.EventBase{Type: "RecordingFailed"},
			Recording: ari.LiveRecording{Name: h.ari.lastRecording, State: "failed", Cause: strings.Join(f[1:], " ")}})
	case "wait":
		d, err := time.ParseDuration(arg(1))
		must(err)
		time.Sleep(d)
	default:
		h.t.Fatalf("unknown command %q", cmd)
	}
	h.settle()
	out := h.ari.take()
	h.mu.Lock()
	evs := h.events
	h.events = nil
	h.mu.Unlock()
	for _, ev := range evs {
		out = append(out, "= "+formatEvent(ev))
	}
	return out
}

func (h *flowHarness) configure(in queue.Input) {
	h.t.Helper()
	if err := h.app.Configure(context.Background(), in, func(context.Context) error { return nil }); err != nil {
		h.t.Fatalf("%T: %v", in, err)
	}
	h.config = append(h.config, in)
}

func setQueueOption(c *queue.QueueConfig, k, v string) error {
	dur := func() (time.Duration, error) { return time.ParseDuration(v) }
	var err error
	switch k {
	case "strategy":
		c.Strategy = queue.Strategy(v)
	case "timeout":
		c.Timeout, err = dur()
	case "retry":
		c.Retry, err = dur()
	case "wrapup":
		c.WrapUpTime, err = dur()
	case "maxwait":
		c.MaxWait, err = dur()
	case "exitkeys":
		c.ExitKeys = v
	case "exitcontext":
		c.ExitContext = v
	case "setinterfacevar":
		c.SetInterfaceVar = v == "yes"
	case "setqueueentryvar":
		c.SetQueueEntryVar = v == "yes"
	case "joinempty":
		c.JoinEmpty = nil
		for _, s := range strings.Split(v, ",") {
			c.JoinEmpty = append(c.JoinEmpty, queue.EmptyCondition(s))
		}
	case "continue":
		c.ContinueOnAgentHangup = v == "yes"
	case "record":
		c.Record = v
	case "record_format":
		c.RecordFormat = v
	case "callback_mode":
		c.CallbackMode = v
	case "callback_dial":
		c.CallbackDial = v
	default:
		return fmt.Errorf("unknown queue option %q", k)
	}
	return err
}

// formatEvent prints the fields of an event a call flow scenario is about.
func formatEvent(ev queue.Event) string {
	switch e := ev.(type) {
	case queue.QueueConfigured:
		return fmt.Sprintf("%s %s", e.Kind(), e.Config.Name)
	case queue.AgentConfigured:
		return fmt.Sprintf("%s %s", e.Kind(), e.Config.ID)
	case queue.CallerJoined:
		return fmt.Sprintf("%s %s %s pos=%d resumed=%v", e.Kind(), e.Caller, e.Queue, e.Position, e.Resumed)
	case queue.CallerRefused:
		return fmt.Sprintf("%s %s %s %s", e.Kind(), e.Caller, e.Queue, e.Status)
	case queue.CallerLeft:
		return fmt.Sprintf("%s %s %s %s", e.Kind(), e.Caller, e.Queue, e.Reason)
	case queue.QueueOrderChanged:
		return fmt.Sprintf("%s %s %v", e.Kind(), e.Queue, e.Callers)
	case queue.OfferStarted:
		return fmt.Sprintf("%s %s %s", e.Kind(), e.Caller, e.Agent)
	case queue.OfferEnded:
		return fmt.Sprintf("%s %s %s %s", e.Kind(), e.Caller, e.Agent, e.Result)
	case queue.CallConnected:
		return fmt.Sprintf("%s %s %s", e.Kind(), e.Caller, e.Agent)
	case queue.CallCompleted:
		return fmt.Sprintf("%s %s %s by=%s", e.Kind(), e.Caller, e.Agent, e.By)
	case queue.CallerTransferred:
		return fmt.Sprintf("%s %s %s exten=%s", e.Kind(), e.Caller, e.Agent, e.Exten)
	case queue.AgentStateChanged:
		return fmt.Sprintf("%s %s %s", e.Kind(), e.Agent, e.State)
	case queue.WrapUpEnded:
		return fmt.Sprintf("%s %s", e.Kind(), e.Agent)
	case queue.RecordingChanged:
		return fmt.Sprintf("%s %s %s %s %s", e.Kind(), e.Caller, e.State, e.Duration, e.Reason)
	case queue.CallbackRequested:
		return fmt.Sprintf("%s %s %s", e.Kind(), e.Caller, e.Number)
	case queue.CallbackAttempt:
		return fmt.Sprintf("%s %s %d %s", e.Kind(), e.Caller, e.Attempt, e.Agent)
	case queue.CallbackAttemptEnded:
		return fmt.Sprintf("%s %s %d %s", e.Kind(), e.Caller, e.Attempt, e.Result)
	case queue.CallerAnnounced:
		return fmt.Sprintf("%s %s %s", e.Kind(), e.Caller, e.Announcement)
	}
	return ev.Kind()
}
