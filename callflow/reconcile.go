package callflow

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"stasisq/ari"
	"stasisq/queue"
	"stasisq/store"
)

// asteriskView is what Asterisk says is there, fetched by the executor after
// every (re)connect: events during a websocket gap are lost, not replayed,
// so the loop compares this with its tables.
type asteriskView struct {
	server   string // the server it is of: only its legs are judged by it
	seq      uint64 // a.seq when the fetch started: legs seen later are not judged by it
	conn     int    // the server's connection it was fetched over (App.conns)
	inApp    map[string]bool
	channels map[string]ari.Channel
	bridges  []ari.Bridge
	devices  []ari.DeviceState
	// endpoints tell a phone that is not registered (offline).
	endpoints []ari.Endpoint
	state     *store.State // the previous run's, on the first connection only
}

// startReconcile subscribes to device states and fetches Asterisk's view on
// the executor; the comparison happens on the loop (reconcile).
func (a *App) startReconcile(server string) {
	seq, conn := a.seq, a.conns[server]
	first := !a.resumed
	var devices []string
	for _, d := range a.devices.devices() {
		if serverOf(d) == server {
			devices = append(devices, d)
		}
	}
	var phones []queue.AgentConfig
	if server == a.ari.first() {
		phones = a.phoneList()
	}
	srv := a.ari.on(server)
	a.exec.Submit("reconcile:"+server, func(ctx context.Context) {
		// Before the device states: a phone that registers again after an
		// Asterisk restart needs its endpoint back.
		if server == a.ari.first() {
			a.putPhones(ctx, phones)
		}
		view, err := a.fetchView(ctx, srv, first, devices)
		if err != nil {
			a.log.Error("reconcile with Asterisk", "server", server, "err", err)
			// Try again shortly unless the connection went away meanwhile
			// (the next Connected starts a new reconcile).
			go func() {
				select {
				case <-time.After(time.Second):
					a.post(func() {
						if a.up[server] {
							a.startReconcile(server)
						}
					})
				case <-a.exec.ctx.Done():
				}
			}()
			return
		}
		view.seq, view.server, view.conn = seq, server, conn
		a.post(func() { a.reconcile(view) })
	})
}

func (a *App) fetchView(ctx context.Context, srv *serverARI, first bool, agentDevices []string) (*asteriskView, error) {
	// Only the events the loop reads (EventTypes) go over the websocket:
	// Asterisk still builds the JSON of every event of a channel the app
	// is subscribed to (it filters just before the write, in
	// res/ari/ari_websockets.c), but serialises and sends about a third of
	// them (a burst of 200 calls: 34 events a call built, 12 sent).
	if _, err := srv.SetEventFilter(ctx, a.cfg.App, append(slices.Clone(EventTypes), a.cfg.ExtraEvents...)...); err != nil {
		a.log.Warn("ARI event filter", "server", srv.name, "err", err)
	}
	app, err := srv.GetApplication(ctx, a.cfg.App)
	if err != nil {
		return nil, err
	}
	// stasisq hears only its agents' devices. An older stasisq subscribed to
	// every device state, and Asterisk keeps an application's subscriptions
	// across websockets: undone when the application lists it (asked
	// blindly, Asterisk refuses with 422 at every start, an error on
	// /metrics).
	if subscribedToAllDevices(app) {
		if _, err := srv.Unsubscribe(ctx, a.cfg.App, "deviceState:"); err != nil && !errors.Is(err, ari.ErrNotFound) {
			a.log.Warn("unsubscribe from every device state", "server", srv.name, "err", err)
		}
	}
	a.subscribeDevices(ctx, agentDevices)
	chans, err := srv.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	bridges, err := srv.ListBridges(ctx)
	if err != nil {
		return nil, err
	}
	devices, err := srv.ListDeviceStates(ctx)
	if err != nil {
		a.log.Warn("list device states", "server", srv.name, "err", err)
	}
	// ARI lists only the device states it controls; whether a phone is
	// registered is its endpoint's state.
	endpoints, err := srv.ListEndpoints(ctx)
	if err != nil {
		a.log.Warn("list endpoints", "server", srv.name, "err", err)
	}
	view := &asteriskView{
		inApp:     make(map[string]bool, len(app.ChannelIDs)),
		channels:  make(map[string]ari.Channel, len(chans)),
		bridges:   bridges,
		devices:   devices,
		endpoints: endpoints,
	}
	for _, id := range app.ChannelIDs {
		view.inApp[id] = true
	}
	for _, ch := range chans {
		view.channels[ch.ID] = ch
	}
	if first && a.cfg.LoadState != nil {
		st, err := a.cfg.LoadState(ctx)
		if err != nil {
			return nil, err
		}
		view.state = &st
	}
	return view, nil
}

// reconcile makes the tables and the engine agree with Asterisk: no caller
// lost, none duplicated, no agent left ringing, no bridge left behind.
func (a *App) reconcile(v *asteriskView) {
	if !a.up[v.server] || v.conn != a.conns[v.server] {
		// The server went down (or down and up) while its view was
		// fetched: what the view lists is from before, and applied now it
		// would put back a caller already closed as lost, and a phone
		// already made unavailable. The next connection reconciles anew.
		a.log.Debug("reconcile view dropped: its connection is gone", "server", v.server)
		return
	}
	// What the resume below creates (a static agent rung at once for a
	// resumed callback) is newer than the view and not judged by it.
	a.seq++
	if !a.resumed {
		// The first reconcile loaded the previous run's state; each server
		// resumes its part of it on its own first reconcile.
		a.resumed = true
		a.pending = v.state
	}
	if !a.resumedOn[v.server] {
		a.resumedOn[v.server] = true
		a.resume(v, a.pending, len(a.resumedOn) == 1)
		if len(a.resumedOn) == len(a.ari.list) {
			a.pending = nil
		}
	}
	// Callers we know that left during the gap.
	for id, leg := range a.callers {
		if serverOf(id) != v.server || leg.seq > v.seq || v.inApp[id] || leg.leaving {
			continue
		}
		a.channelGone(id, -1)
	}
	// Agent legs: gone, answered during the gap, or still ringing.
	for _, leg := range a.offers {
		if serverOf(leg.id) != v.server || leg.seq > v.seq || leg.ended {
			continue
		}
		_, exists := v.channels[leg.id]
		switch {
		case !leg.answered && v.inApp[leg.id]:
			a.agentAnswered(leg.id, leg.offer)
		case !exists && !v.inApp[leg.id]:
			a.agentLegGone(leg, leg.id, -1)
		}
	}
	// Customers' legs of callbacks: answered during the gap, or gone.
	for id, leg := range a.callbacks {
		if serverOf(id) != v.server || id != leg.id || leg.seq > v.seq || leg.answered || leg.ended {
			continue
		}
		if ch, ok := v.channels[id]; ok && v.inApp[id] {
			a.callbackAnswered(ch, leg.caller)
		} else if !ok {
			a.callbackLegGone(leg, id, -1)
		}
	}
	// Channels in the app that we do not know: a previous run's.
	var unknown []string
	for id := range v.inApp {
		if _, ok := a.callers[id]; ok {
			continue
		}
		if _, ok := a.agentChan[id]; ok {
			continue
		}
		if _, ok := a.orphans[id]; ok {
			continue
		}
		if _, ok := a.monitorChan[id]; ok {
			continue
		}
		if _, ok := a.callbacks[id]; ok {
			continue
		}
		unknown = append(unknown, id)
	}
	sort.Strings(unknown)
	bridgeOf := map[string]ari.Bridge{}
	for _, b := range v.bridges {
		for _, ch := range b.Channels {
			bridgeOf[ch] = b
		}
	}
	for _, id := range unknown {
		ch, ok := v.channels[id]
		if !ok {
			continue
		}
		if b, ok := bridgeOf[id]; ok && ownBridge(b.ID) && len(b.Channels) > 1 && !isMonitorChannel(id) {
			// A call a previous run bridged: let them talk; when either
			// leaves, the other is hung up and the bridge destroyed.
			for _, member := range b.Channels {
				if !isMonitorChannel(member) { // a barging supervisor's leg is hung up, not kept
					a.orphans[member] = b.ID
				}
			}
			continue
		}
		args := appArgs(ch.Dialplan.AppData)
		if IsAgentLeg(id) || (len(args) > 0 && args[0] == AgentArg) {
			a.submitHangup(id, "stale agent leg")
			continue
		}
		if isRecordingSnoop(id) || (len(args) > 0 && args[0] == RecordSnoopArg) {
			continue // a caller's recording: it ends with the caller
		}
		if len(args) > 0 && args[0] == CallbackArg {
			// A previous run's customer leg: the callback it dialled was
			// resumed from the store and is tried again.
			a.submitHangup(id, "a previous run's callback leg")
			continue
		}
		if isMonitorChannel(id) || (len(args) > 0 && (args[0] == MonitorArg || args[0] == SnoopArg)) {
			// A supervisor's session does not outlive the run that made it.
			a.submitHangup(id, "a previous run's supervisor leg or snoop")
			continue
		}
		if a.engine.HoldsPlace(queue.CallerID(id)) {
			// A callback's own channel still there (stasisq stopped during
			// its goodbye): the callback holds its place without it.
			a.submitHangup(id, "the line of a caller now a callback")
			continue
		}
		a.log.Info("resuming caller found in Asterisk", "caller", id)
		a.callerArrived(ch, args, ch.Creationtime.Time, true)
	}
	// Agent legs a previous run left ringing. They enter the application
	// only when answered, so the loop above never sees them: left alone the
	// phone rings on for the whole ring timeout (the agent's device busy all
	// that time), and an agent who picks up is hung up on.
	var stale []string
	for id := range v.channels {
		if !v.inApp[id] && a.previousRunsLeg(id) {
			stale = append(stale, id)
		}
	}
	sort.Strings(stale)
	for _, id := range stale {
		a.log.Info("hanging up an agent leg a previous run left ringing", "channel", id)
		a.submitHangup(id, "stale agent leg")
	}
	// Our bridges nobody uses any more.
	inUse := map[string]bool{}
	for _, leg := range a.callers {
		if leg.bridge != "" {
			inUse[leg.bridge] = true
		}
	}
	for _, b := range a.orphans {
		inUse[b] = true
	}
	for _, s := range a.monitors {
		if s.bridge != "" {
			inUse[s.bridge] = true
		}
	}
	for _, b := range v.bridges {
		if (ownBridge(b.ID) || strings.HasPrefix(localOf(b.ID), monitorBridgePrefix)) && !inUse[b.ID] {
			id := b.ID
			a.exec.Submit(id, func(ctx context.Context) { a.destroy(ctx, id) })
		}
	}
	a.serverDevicesUp(v.server)
	for _, d := range v.devices {
		a.deviceState(d.Name, d.State)
	}
	for _, ep := range v.endpoints {
		a.endpointState(v.server, ep)
	}
	// The floor as reconciled, at once: the web console's clients wait for
	// a first snapshot.
	a.pushSnapshot()
	a.readyMu.Do(func() { close(a.ready) })
}

// resume puts back the calls a previous run connected and the callers it
// left waiting on v's server, in their order, and closes those Asterisk no
// longer has; with common, also what is on no server: the agents' logins
// and pauses, callbacks holding their places, the recent abandons.
func (a *App) resume(v *asteriskView, st *store.State, common bool) {
	if st == nil {
		return
	}
	// Calls first: their agents must be on-call before any caller joins or
	// any agent logs in, or the engine would ring a busy agent.
	bridgeOf := map[string]ari.Bridge{}
	for _, b := range v.bridges {
		for _, ch := range b.Channels {
			bridgeOf[ch] = b
		}
	}
	onCall := map[queue.AgentID]bool{}
	var endNow []queue.CallEnded
	for _, c := range st.Calls {
		if serverOf(string(c.Caller)) != v.server {
			continue
		}
		by, ok := a.resumeCall(v, c, bridgeOf)
		if !ok {
			continue
		}
		onCall[c.Agent] = true
		if by != "" {
			endNow = append(endNow, queue.CallEnded{Caller: c.Caller, By: by})
		}
	}
	// Static agents are logged in and free from the start: their pauses go
	// back before any caller joins, or a paused one would be rung.
	static := map[queue.AgentID]bool{}
	for _, s := range st.Agents {
		if !common {
			break
		}
		if view, ok := a.engine.Agent(s.ID); ok && view.State != queue.AgentLoggedOut && !onCall[s.ID] {
			static[s.ID] = true
			a.restoreStaticPauses(s)
		}
	}
	// The places of callers who hung up shortly before: one calling back
	// gets its place as if stasisq had never stopped.
	for _, visit := range st.Abandoned {
		if common {
			a.applyQuiet(visit)
		}
	}
	callers := append([]store.WaitingCaller(nil), st.Callers...)
	sort.SliceStable(callers, func(i, j int) bool {
		if callers[i].Queue != callers[j].Queue {
			return callers[i].Queue < callers[j].Queue
		}
		return callers[i].Position < callers[j].Position
	})
	for _, c := range callers {
		id := string(c.ID)
		if _, known := a.callers[id]; known {
			continue
		}
		if (c.Callback != nil && !common) || (c.Callback == nil && serverOf(id) != v.server) {
			continue
		}
		if c.Callback != nil {
			// A callback holds its place without a channel: nothing to
			// find in Asterisk; it waits for its turn again.
			cb := *c.Callback
			if err := a.apply(queue.CallerJoin{Caller: c.ID, Queue: c.Queue, Priority: c.Priority, Number: c.Number, Name: c.Name,
				JoinedAt: c.JoinedAt, Resume: true, Position: c.Position, Callback: &cb}); err != nil {
				a.log.Warn("resume callback", "caller", c.ID, "queue", c.Queue, "err", err)
			}
			continue
		}
		ch, alive := v.channels[id]
		// Skills and maxwait are not stored: they come from the dialplan
		// arguments, read again from the channel.
		fromArgs := parseCallerArgs(appArgs(ch.Dialplan.AppData))
		join := queue.CallerJoin{
			Caller:   c.ID,
			Queue:    c.Queue,
			Priority: c.Priority,
			Skills:   fromArgs.Skills,
			MaxWait:  fromArgs.MaxWait,
			Number:   c.Number,
			Name:     c.Name,
			JoinedAt: c.JoinedAt,
			Resume:   true,
			Position: c.Position,
		}
		a.joinCaller(id, ch.Dialplan.Context, ch.State == "Up", join)
		if !alive || !v.inApp[id] {
			// Gone while we were down: close it as lost so the store and
			// statistics end it exactly once.
			delete(a.callers, id)
			a.applyQuiet(queue.CallerLost{Caller: c.ID})
		}
	}
	for _, s := range st.Agents {
		if common && !static[s.ID] {
			a.resumeAgent(s, onCall[s.ID])
		}
	}
	// Calls a side of which left while we were down end now, after their
	// agents logged in, so that they wrap up as after any call. Their end
	// time is unknown: talk runs to now.
	for _, in := range endNow {
		a.log.Info("ending a call that ended while stasisq was down", "caller", in.Caller, "gone", in.By)
		a.applyQuiet(in)
	}
}

// resumeCall puts back a call a previous run connected: the engine has the
// agent on it from its connect time and the tables know both legs, so that
// whichever leaves first ends it as any call ends. by is the side already
// gone (PartySystem: both), "" when both are still there; ok is false when
// the engine refused it (agent or queue since removed), leaving the bridge
// to the orphan handling.
func (a *App) resumeCall(v *asteriskView, c store.ConnectedCall, bridgeOf map[string]ari.Bridge) (by queue.Party, ok bool) {
	id := string(c.Caller)
	if _, known := a.callers[id]; known {
		return "", false
	}
	callerHere := v.inApp[id]
	var bridge, agentChan string
	if b, inBridge := bridgeOf[id]; inBridge && ownBridge(b.ID) {
		bridge = b.ID
		for _, ch := range b.Channels {
			if ch != id && v.inApp[ch] && !isMonitorChannel(ch) {
				agentChan = ch
				break
			}
		}
	}
	// Our agent legs are named after their offer; any other leg gets an
	// offer id of its own, only for the tables.
	offer := queue.OfferID("resumed-" + id)
	var other string
	if o, ours := OfferOfAgentLeg(agentChan); ours {
		offer = o
		_, other = AgentLegIDs(offer)
	}
	resume := queue.CallResumed{Caller: c.Caller, Agent: c.Agent, Queue: c.Queue, Offer: offer,
		ConnectedAt: c.ConnectedAt, Wait: c.Wait, Number: c.Number, Name: c.Name}
	if r := c.Recording; r != nil {
		resume.Recording, resume.RecordingState = &queue.Recording{Name: r.Name, Format: r.Format}, r.State
	}
	err := a.apply(resume)
	if err != nil {
		a.log.Warn("resume connected call", "caller", id, "agent", c.Agent, "err", err)
		return "", false
	}
	if callerHere {
		a.callers[id] = &callerLeg{id: id, caller: c.Caller, queue: c.Queue, context: v.channels[id].Dialplan.Context, seq: a.seq,
			answered: true, agentChan: agentChan, bridge: bridge}
	}
	if agentChan != "" {
		leg := &agentLeg{offer: offer, caller: c.Caller, agent: c.Agent, id: agentChan, other: other, seq: a.seq, answered: true}
		a.offers[offer] = leg
		a.agentChan[agentChan] = leg
		if other != "" {
			a.agentChan[other] = leg
		}
	}
	a.log.Info("resuming connected call", "caller", id, "agent", c.Agent, "agent_leg", agentChan, "bridge", bridge)
	switch {
	case callerHere && agentChan != "":
		return "", true
	case callerHere:
		return queue.PartyAgent, true
	case agentChan != "":
		return queue.PartyCaller, true
	}
	return queue.PartySystem, true
}

// resumeAgent logs an agent back in as its session left it. onCall: a
// resumed call has it on-call, which hides whether it is logged in.
// restoreStaticPauses: static agents are logged in by the engine; their
// pauses are kept: a supervisor's, and those in single queues
// (autopause=yes).
func (a *App) restoreStaticPauses(s store.AgentSession) {
	if s.Paused || s.State == queue.AgentPaused {
		a.applyQuiet(queue.AgentPause{Agent: s.ID, Reason: s.Reason})
	}
	for _, q := range s.PausedIn {
		a.applyQuiet(queue.MemberPause{Agent: s.ID, Queue: q, Paused: true, Reason: "autopause"})
	}
}

func (a *App) resumeAgent(s store.AgentSession, onCall bool) {
	id := s.ID
	switch s.State {
	case queue.AgentLoggedOut, "":
		return
	case queue.AgentPaused:
		a.applyQuiet(queue.AgentLogin{Agent: id, Paused: true, Reason: s.Reason, PausedIn: s.PausedIn})
	default:
		a.applyQuiet(queue.AgentLogin{Agent: id, Paused: s.Paused, Reason: s.Reason, PausedIn: s.PausedIn})
	}
}

// orphanGone ends a call a previous run bridged once either side leaves.
func (a *App) orphanGone(id, bridge string) {
	var others []string
	for ch, b := range a.orphans {
		if b == bridge {
			delete(a.orphans, ch)
			if ch != id {
				others = append(others, ch)
			}
		}
	}
	a.exec.Submit(bridge, func(ctx context.Context) {
		for _, ch := range others {
			a.hangup(ctx, ch, "the other side of an ended call")
		}
		a.destroy(ctx, bridge)
	})
}

// previousRunsLeg reports whether id is an agent leg (either half) that
// another run of stasisq originated: ours carry this run's tag, and the ones
// we are dialling now are in agentChan.
func (a *App) previousRunsLeg(id string) bool {
	if !IsAgentLeg(id) || strings.HasPrefix(id, agentLegPrefix+a.cfg.RunTag+"-") {
		return false
	}
	_, ours := a.agentChan[id]
	return !ours
}

// appArgs splits a Stasis() app_data ("stasisq,support,priority=5") into the
// arguments after the application name.
func appArgs(appData string) []string {
	parts := strings.Split(appData, ",")
	if len(parts) <= 1 {
		return nil
	}
	return parts[1:]
}

// serverDevicesDown makes the phones on server unavailable: stasisq cannot
// reach them. Its next reconcile takes that back (serverDevicesUp) before
// Asterisk's own word on each.
func (a *App) serverDevicesDown(server string) {
	for key, name := range a.devices.name {
		if serverOf(key) == server {
			a.downDevices[key] = true
			a.deviceState(name, string(queue.DeviceUnavailable))
		}
	}
}

// serverDevicesUp undoes serverDevicesDown once server is reconciled: a
// phone Asterisk says nothing of (a Local channel, a device ARI lists no
// state for) is usable again, as any is at start.
func (a *App) serverDevicesUp(server string) {
	for key := range a.downDevices {
		if serverOf(key) != server {
			continue
		}
		delete(a.downDevices, key)
		if name, ok := a.devices.name[key]; ok {
			a.deviceState(name, string(queue.DeviceNotInUse))
		}
	}
}

// serverLost ends what was on a server whose events websocket dropped,
// when there are others to go on with: its callers are on that box and,
// for the engine, gone (closed as lost: the call records say so); rings
// and supervisors' sessions there end; the agents whose phones are there
// are unavailable, so no caller of another server is offered to them. The
// other servers' calls go on untouched. When it comes back its reconcile
// finds what is still there: waiting callers take their place again by
// their join time, calls still bridged go on as a previous run's do.
func (a *App) serverLost(server string) {
	a.serverDevicesDown(server)
	var lost []string
	for id := range a.callers {
		if serverOf(id) == server {
			lost = append(lost, id)
		}
	}
	sort.Strings(lost)
	for _, id := range lost {
		leg := a.callers[id]
		delete(a.callers, id)
		if a.cbChan[leg.caller] == id {
			delete(a.cbChan, leg.caller)
		}
		if leg.playing != "" {
			delete(a.playbacks, leg.playing)
		}
		if !leg.leaving {
			a.log.Warn("caller lost with its Asterisk server", "caller", id, "server", server)
			a.applyQuiet(queue.CallerLost{Caller: leg.caller})
		}
	}
	for _, leg := range a.offers {
		if serverOf(leg.id) == server && !leg.ended {
			a.agentLegGone(leg, leg.id, -1)
		}
	}
	for id, leg := range a.callbacks {
		if serverOf(id) == server && id == leg.id && !leg.ended {
			a.callbackLegGone(leg, id, -1)
		}
	}
	for id, s := range a.monitorChan {
		if serverOf(id) == server && !s.ended {
			a.monitorChannelGone(s, id, -1)
		}
	}
	for id := range a.orphans {
		if serverOf(id) == server {
			delete(a.orphans, id)
		}
	}
	a.pushSnapshot()
}
