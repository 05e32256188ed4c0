package callflow

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"stasisq/queue"
	"stasisq/store"
	"stasisq/webphone"
)

// Config wires the application loop.
type Config struct {
	// ARI is the one Asterisk, or Servers several (ARI then unset).
	ARI     ARI
	Servers []Server
	App     string        // Stasis application name
	Engine  *queue.Engine // owned by the loop from Run on
	// Record persists domain events; it must not block (store.DB.Record).
	Record func(events ...queue.Event)
	// LoadState returns what a previous run left waiting, to resume it on the
	// first connection; nil resumes nothing.
	LoadState func(ctx context.Context) (store.State, error)
	// Publish receives the domain events of every Apply (UI hub, metrics); it
	// must not block.
	Publish []func([]queue.Event)
	// Snapshot, when set, gets a fresh engine snapshot once connected and
	// reconciled, then every SnapshotEvery (metrics gauges, the web
	// console's hub), from the loop, in order with Publish; it must not
	// block.
	Snapshot      func(queue.Snapshot)
	SnapshotEvery time.Duration
	Logger        *slog.Logger
	// RunTag makes the ids this process gives channels, bridges and
	// playbacks unique across restarts; lower case, fixed length.
	RunTag   string
	Parallel int // concurrent ARI REST calls for callers (executor); 0: 32
	// RingParallel bounds concurrent REST calls for agent legs (originate,
	// hang up); 0: 64.
	RingParallel int
	// Observer, when set, is told when callers arrive, agents free up and
	// dials go out (load test figures). Called from the loop and executor.
	Observer Observer
	// RingDispatched, when set, is told for every ring how long stasisq
	// took from taking up the input behind it (an event, a command, a
	// timer) to sending its originate (the /metrics figure). Called from
	// the executor; it must not block.
	RingDispatched func(time.Duration)
	// ExtraEvents are ARI event types to let through the event filter
	// besides EventTypes, for whoever watches the client's events (tests
	// count PlaybackStarted); the loop ignores them.
	ExtraEvents []string
	// PhoneSecret derives the browser phones' SIP passwords
	// (webphone.Password); PhoneOptions shape their endpoints.
	PhoneSecret  []byte
	PhoneOptions webphone.Options
}

// Observer receives call-flow timings for load figures. raised is when
// Asterisk raised the ARI event behind the moment (its timestamp, to the
// millisecond; zero when no event was behind it, e.g. a wrap-up timer),
// seen when the loop took it up: the difference is time spent in Asterisk's
// websocket, our client and the loop's inbox.
type Observer interface {
	CallerArrived(caller queue.CallerID, raised, seen time.Time)
	AgentFree(agent queue.AgentID, raised, seen time.Time)
	// Dialing is called just before POST /channels goes out.
	Dialing(offer queue.OfferID, caller queue.CallerID, agent queue.AgentID, at time.Time)
}

// App is the application loop: one goroutine owns the queue engine and the
// tables translating between ARI ids and engine ids. It never calls ARI
// itself; REST calls go to the executor and their failures come back as
// inputs through results.
type App struct {
	cfg    Config
	ari    *serverSet
	engine *queue.Engine
	log    *slog.Logger
	exec   *executor

	cmds    chan func()   // UI commands, run on the loop
	results chan func()   // executor outcomes, run on the loop
	done    chan struct{} // closed when the loop has stopped
	ready   chan struct{} // closed after the first reconcile
	readyMu sync.Once

	// Translation tables, loop-owned.
	callers map[string]*callerLeg // caller channel id
	// callbacks are the customers' legs of callbacks being dialled, by
	// channel; cbChan maps a callback's caller to its customer's channel
	// from the dialling on (callback.go).
	callbacks map[string]*callbackLeg
	cbChan    map[queue.CallerID]string
	offers    map[queue.OfferID]*agentLeg // offer id
	agentChan map[string]*agentLeg        // both halves of an agent leg's Local channel
	playbacks map[string]string           // playback id -> caller channel id
	// agentPlaybacks are the announcements to agents before their bridge
	// (Connect.AgentMedia): closed when PlaybackFinished comes.
	agentPlaybacks map[string]chan struct{}
	orphans        map[string]string                   // channel id -> bridge id, calls bridged by a previous run
	devices        deviceIndex                         // which agents a device state concerns
	phones         map[queue.AgentID]queue.AgentConfig // agents with a browser phone (phones.go)
	monitors       map[string]*monitorSession          // supervisors on calls, by session (monitor.go)
	monitorChan    map[string]*monitorSession          // their legs' and snoops' channels
	seq            uint64                              // event counter, to tell what a reconcile could see
	raised         time.Time                           // Asterisk's timestamp of the event being handled (Observer)
	takenAt        time.Time                           // when the loop took up what it is handling (RingDispatched)
	counter        uint64                              // for bridge and playback ids
	// recordings is the recording of each call bridge of ours, by bridge,
	// until Asterisk reports its end; endingBridge the bridges of ended
	// calls waiting for that report to be destroyed, by recording
	// (recording.go says why).
	recordings   map[string]string
	endingBridge map[string]bridgeEnd
	// up holds the servers whose events websocket is connected; conns
	// counts each server's connections, so that a reconcile's view fetched
	// over an earlier one is known stale (reconcile).
	up    map[string]bool
	conns map[string]int
	// resumed: the store's state was loaded (on the first reconcile) and
	// what is not on a server applied; resumedOn: what is on that server
	// applied too (its first reconcile); pending is the state until every
	// server has had it.
	resumed   bool
	resumedOn map[string]bool
	pending   *store.State
	// downDevices are the phones made unavailable because their server
	// was not connected (serverDevicesDown), by device key.
	downDevices map[string]bool
	// phoneCodecs is what the browser phones' endpoints allow when the
	// configuration leaves it to Asterisk: found on every connection
	// (phones.go), read by the executor's lanes.
	phoneCodecs atomic.Pointer[string]
}

type callerLeg struct {
	id      string         // its channel
	caller  queue.CallerID // the engine's caller: id, except for a callback's customer leg
	queue   string
	context string // dialplan context the caller came from, for redirects
	seq     uint64 // a.seq when first seen

	playing  string // current playback id
	answered bool   // Accept carried out
	up       bool   // its channel was answered when it joined (no answer owed)
	music    string // its hold music class, put back after an announcement

	// Whether the caller is talking to an agent is the engine's to say
	// (talking); the flow keeps only the channels of the call.
	agentChan string
	bridge    string
	leaving   bool // continued or hung up by us: its StasisEnd is expected
}

// talking reports whether the engine has leg's caller talking to an agent.
func (a *App) talking(leg *callerLeg) bool { return a.engine.Connected(leg.caller) }

// chanFor is the channel of the engine's caller c: its own, except for a
// callback, whose customer's leg it is once dialled (callback.go).
func (a *App) chanFor(c queue.CallerID) string {
	if ch, ok := a.cbChan[c]; ok {
		return ch
	}
	return string(c)
}

// legOf is the leg of the engine's caller c, if it has one.
func (a *App) legOf(c queue.CallerID) (*callerLeg, bool) {
	leg, ok := a.callers[a.chanFor(c)]
	return leg, ok
}

type agentLeg struct {
	offer    queue.OfferID
	caller   queue.CallerID
	agent    queue.AgentID
	id       string // the ;1 half, in Stasis once answered
	other    string // the ;2 half
	seq      uint64
	answered bool
	ended    bool // OfferFailed / cancel / hangup already accounted for
	status   string
}

// New builds the loop; Run starts it.
func New(cfg Config) (*App, error) {
	if cfg.Engine == nil {
		return nil, errors.New("app: the engine is required")
	}
	servers := cfg.Servers
	if cfg.ARI != nil {
		servers = append([]Server{{ARI: cfg.ARI}}, servers...)
	}
	if cfg.App == "" {
		return nil, errors.New("app: Stasis application name is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RunTag == "" {
		cfg.RunTag = NewRunTag()
	}
	set, err := newServerSet(servers, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	agents := cfg.Engine.Snapshot(time.Now()).Agents
	if cfg.SnapshotEvery <= 0 {
		cfg.SnapshotEvery = time.Second
	}
	a := &App{
		cfg:            cfg,
		ari:            set,
		engine:         cfg.Engine,
		log:            cfg.Logger,
		exec:           newExecutorPools(cfg.Parallel, cfg.RingParallel, 10*time.Second),
		cmds:           make(chan func()),
		results:        make(chan func(), 1024),
		done:           make(chan struct{}),
		ready:          make(chan struct{}),
		callers:        make(map[string]*callerLeg),
		callbacks:      make(map[string]*callbackLeg),
		cbChan:         make(map[queue.CallerID]string),
		offers:         make(map[queue.OfferID]*agentLeg),
		agentChan:      make(map[string]*agentLeg),
		playbacks:      make(map[string]string),
		agentPlaybacks: make(map[string]chan struct{}),
		recordings:     make(map[string]string),
		endingBridge:   make(map[string]bridgeEnd),
		orphans:        make(map[string]string),
		phones:         browserPhones(agents),
		monitors:       map[string]*monitorSession{},
		monitorChan:    map[string]*monitorSession{},
		up:             map[string]bool{},
		conns:          map[string]int{},
		resumedOn:      map[string]bool{},
		downDevices:    map[string]bool{},
	}
	a.devices = newDeviceIndex(agents, a.deviceKey)
	return a, nil
}

// Ready is closed once the app has connected and reconciled with Asterisk.
func (a *App) Ready() <-chan struct{} { return a.ready }

// Run runs the ARI connection and the loop until ctx ends, then shuts down
// so that a restart can resume: waiting callers stay in Stasis with their
// music, connected calls stay bridged, only ringing agent legs are hung up
// (nobody would be there to bridge them).
func (a *App) Run(ctx context.Context) error {
	ariCtx, stopARI := context.WithCancel(context.Background())
	ariDone := make(chan struct{})
	go func() { a.ari.run(ariCtx); close(ariDone) }()

	a.loop(ctx)

	// Shutdown, in the order that keeps Asterisk healthy.
	for _, leg := range a.offers {
		if !leg.answered && !leg.ended {
			leg.ended = true
			a.hangupAgentLeg(leg, "normal")
		}
	}
	closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	a.exec.Close(closeCtx)
	cancel()
	// Asterisk 22 can deadlock when the websocket closes while the app is
	// subscribed to device states: unsubscribe first (ari/README.md).
	unsubCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	a.unsubscribeDevices(unsubCtx, a.devices.devices())
	cancel()
	stopARI()
	// Drain events so the client's reader is never stuck on a full channel.
	for {
		select {
		case <-a.ari.events:
			continue
		case <-ariDone:
		}
		break
	}
	close(a.done)
	return nil
}

func (a *App) loop(ctx context.Context) {
	if a.ari.multi() {
		// Until a server is connected and reconciled its phones cannot be
		// rung: one that never comes up leaves its agents unavailable
		// rather than rung through a trunk to nowhere.
		for _, s := range a.ari.names() {
			a.serverDevicesDown(s)
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	snap := time.NewTicker(a.cfg.SnapshotEvery)
	defer snap.Stop()
	events := a.ari.events
	for {
		a.armTimer(timer)
		select {
		case <-ctx.Done():
			// Commands sent from now on get ErrStopped once Run has closed done.
			return
		case sev := <-events:
			a.takenAt = time.Now()
			a.seq++
			if a.cfg.Observer != nil {
				a.raised = sev.ev.Timestamp()
			}
			a.handleEvent(sev.server, sev.ev)
			a.raised = time.Time{}
		case fn := <-a.results:
			a.takenAt = time.Now()
			fn()
		case fn := <-a.cmds:
			a.takenAt = time.Now()
			fn()
		case <-timer.C:
			a.takenAt = time.Now()
			a.apply(queue.Tick{})
		case <-snap.C:
			a.pushSnapshot()
		}
	}
}

func (a *App) armTimer(t *time.Timer) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	next, ok := a.engine.NextDeadline()
	if !ok {
		t.Reset(time.Hour)
		return
	}
	d := time.Until(next)
	if d < 0 {
		d = 0
	}
	t.Reset(d)
}

// pushSnapshot hands the Snapshot sink the floor as it is now.
func (a *App) pushSnapshot() {
	if a.cfg.Snapshot != nil {
		a.cfg.Snapshot(a.snapshot())
	}
}

// snapshot is the engine's, with the servers' states when there are several.
func (a *App) snapshot() queue.Snapshot {
	s := a.engine.Snapshot(time.Now())
	if a.ari.multi() {
		for _, name := range a.ari.names() {
			s.Servers = append(s.Servers, queue.ServerStatus{Name: name, Connected: a.up[name]})
		}
	}
	return s
}

// Servers are the Asterisk servers' states, in the order they were given
// (safe from any goroutine: their websockets' own flags).
func (a *App) Servers() []queue.ServerStatus {
	out := make([]queue.ServerStatus, 0, len(a.ari.list))
	for _, s := range a.ari.list {
		out = append(out, queue.ServerStatus{Name: s.name, Connected: s.up.Load()})
	}
	return out
}

// post hands an executor outcome to the loop.
func (a *App) post(fn func()) {
	select {
	case a.results <- fn:
	case <-a.exec.ctx.Done():
	}
}

// apply feeds one input to the engine and carries out what it decided, in
// the order that keeps a crash safe (queue.Ready):
//
//  1. The events go to the store (Record) and then to the UI and metrics.
//     Record only queues them for the store's writer: the loop never waits
//     for a disk. A kill -9 can lose the last batch (up to 10 ms) of events
//     whose actions went out; reconcile starts from what Asterisk still has
//     (the channels in the application, their creation times and Stasis
//     arguments, our bridges), so a caller whose join was lost is re-queued
//     from its channel, a ring whose offer was lost is hung up as a previous
//     run's leg, and a caller who left meanwhile is closed as lost. The
//     resume state is written in the same transaction as the events that
//     changed it, so it never runs ahead of them (store/doc.go).
//  2. The caller actions go to their callers' lanes, in order.
//  3. A finished call's bridge is destroyed after those, on the caller's lane,
//     so it goes after the hangup and the continue queued there.
//  4. The agent-leg actions go last, in order: lanes run apart, so this
//     changes no lane's order, but the goroutine started last is the one the
//     scheduler runs next, and a ring is what a free agent waits for.
func (a *App) apply(in queue.Input) error {
	now := time.Now()
	ready, err := a.engine.Apply(now, in)
	if err != nil {
		return err
	}
	var ended []queue.CallerID
	var unreachable []string // new agents' phones on a server not connected
	for _, ev := range ready.Events {
		switch ev := ev.(type) {
		case queue.CallCompleted:
			ended = append(ended, ev.Caller)
		case queue.AgentConfigured:
			if a.devices.set(queue.AgentID(ev.Config.ID), a.deviceKey(ev.Config)) {
				a.fetchDeviceState(a.deviceKey(ev.Config))
				// Before the first connection the reconcile subscribes to all.
				if device := a.deviceKey(ev.Config); a.up[serverOf(device)] {
					a.exec.Submit("device:"+device, func(ctx context.Context) { a.subscribeDevices(ctx, []string{device}) })
				} else if a.ari.multi() {
					key := strings.ToLower(device) // as the index keys it
					a.downDevices[key] = true
					unreachable = append(unreachable, a.devices.name[key])
				}
			}
			a.phoneConfigured(ev.Config)
		case queue.AgentRemoved:
			a.devices.set(ev.Agent, "")
			a.phoneRemoved(ev.Agent)
		case queue.AgentStateChanged:
			if ev.State == queue.AgentAvailable && a.cfg.Observer != nil {
				a.cfg.Observer.AgentFree(ev.Agent, a.raised, now)
			}
		}
	}
	if len(ready.Events) > 0 {
		if a.cfg.Record != nil {
			a.cfg.Record(ready.Events...)
		}
		for _, p := range a.cfg.Publish {
			p(ready.Events)
		}
	}
	for _, act := range ready.CallerActions {
		a.execute(act)
	}
	for _, c := range ended {
		a.endMonitorsOf(string(c))
		if leg, ok := a.legOf(c); ok && leg.bridge != "" {
			a.destroyBridge(leg.id, leg.bridge)
			leg.bridge = ""
		}
	}
	for _, act := range ready.AgentActions {
		a.execute(act)
	}
	// After this input's actions: each is an input of its own.
	for _, name := range unreachable {
		a.deviceState(name, string(queue.DeviceUnavailable))
	}
	return nil
}

// applyQuiet applies an input whose refusal is a normal race (an event about
// a caller or offer the engine has already closed).
func (a *App) applyQuiet(in queue.Input) {
	if err := a.apply(in); err != nil && a.log.Enabled(context.Background(), slog.LevelDebug) {
		// Checked first: the %T formatting would cost on every refusal.
		a.log.Debug("input refused", "input", fmt.Sprintf("%T", in), "err", err)
	}
}

// nextID is a new id of kind for something made on server.
func (a *App) nextID(kind, server string) string {
	a.counter++
	// Fixed width: Asterisk refuses an id that is a case-insensitive prefix
	// of a live one, so ids of one kind never are prefixes of each other.
	return qualify(server, fmt.Sprintf("sq%s-%s-%08d", kind, a.cfg.RunTag, a.counter))
}

// ErrStopped is returned to commands sent after the loop stopped.
var ErrStopped = errors.New("stasisq is shutting down")

// do runs fn on the loop and waits for it.
func (a *App) do(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	wrapped := func() { fn(); close(done) }
	select {
	case a.cmds <- wrapped:
	case <-a.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// fn still runs on the loop; its result is dropped.
		return ctx.Err()
	}
}

// NewRunTag is a short random lower-case tag so that ids chosen by this
// process never repeat those of an earlier one.
func NewRunTag() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Idle reports whether no REST call is queued or running (tests, load figures).
func (a *App) Idle() bool { return a.exec.Idle() }

// RunTag is the tag in the ids this process gives channels, bridges and playbacks.
func (a *App) RunTag() string { return a.cfg.RunTag }
