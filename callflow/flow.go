package callflow

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"stasisq/ari"
	"stasisq/queue"
)

// handleEvent translates one ARI event into engine inputs. Events about
// channels we do not know, or that arrive after we stopped caring (a Dial
// after the caller hung up, a StasisEnd overtaking a REST reply), are
// dropped here or refused harmlessly by the engine.
// EventTypes are the ARI events handleEvent reads, one per case of its
// switch (TestEventTypesAreHandled keeps the two together): the event
// filter lets Asterisk send nothing else.
var EventTypes = []string{
	"StasisStart", "StasisEnd", "ChannelDestroyed", "Dial", "BridgeBlindTransfer",
	"BridgeAttendedTransfer", "ChannelDtmfReceived", "PlaybackFinished", "DeviceStateChanged",
	"RecordingFinished", "RecordingFailed",
}

func (a *App) handleEvent(server string, ev ari.Event) {
	switch e := ev.(type) {
	case *ari.Connected:
		a.up[server] = true
		a.conns[server]++
		if a.ari.multi() {
			a.log.Info("Asterisk server connected", "server", server)
		}
		a.startReconcile(server)
	case *ari.Disconnected:
		a.up[server] = false
		if !a.ari.multi() {
			a.log.Warn("ARI events websocket lost; reconnecting", "err", e.Err)
			return
		}
		a.log.Warn("Asterisk server lost; reconnecting", "server", server, "err", e.Err)
		a.serverLost(server)
	case *ari.StasisStart:
		if e.ReplaceChannel != nil {
			// Asterisk swapped this channel into a bridge in place of
			// another (a transfer's Local channel): never a caller.
			a.replacementArrived(e.Channel.ID, e.ReplaceChannel.ID)
			return
		}
		if len(e.Args) >= 2 && e.Args[0] == AgentArg {
			a.agentAnswered(e.Channel.ID, queue.OfferID(e.Args[1]))
			return
		}
		if len(e.Args) >= 2 && e.Args[0] == CallbackArg {
			a.callbackAnswered(e.Channel, queue.CallerID(e.Args[1]))
			return
		}
		if len(e.Args) >= 2 && e.Args[0] == MonitorArg {
			a.monitorAnswered(e.Channel.ID, e.Args[1])
			return
		}
		if len(e.Args) >= 2 && e.Args[0] == SnoopArg {
			a.snoopArrived(e.Channel.ID, e.Args[1])
			return
		}
		if len(e.Args) >= 3 && e.Args[0] == RecordSnoopArg {
			a.recordingSnoopArrived(e.Channel.ID, e.Args[1], e.Args[2])
			return
		}
		if _, known := a.callers[e.Channel.ID]; known {
			return
		}
		a.callerArrived(e.Channel, e.Args, e.Timestamp(), false)
	case *ari.StasisEnd:
		a.channelGone(e.Channel.ID, -1)
	case *ari.ChannelDestroyed:
		a.channelGone(e.Channel.ID, e.Cause)
	case *ari.Dial:
		if s, ok := a.monitorChan[e.Peer.ID]; ok && !s.answered {
			switch e.Dialstatus {
			case "BUSY":
				a.endMonitor(s, ringFailure(s.device, 17))
			case "NOANSWER":
				a.endMonitor(s, ringFailure(s.device, 19))
			case "CHANUNAVAIL", "CONGESTION":
				a.endMonitor(s, ringFailure(s.device, 20))
			}
			return
		}
		if a.callbackDial(e.Peer.ID, e.Dialstatus) {
			return
		}
		leg, ok := a.agentChan[e.Peer.ID]
		if !ok || leg.answered || leg.ended {
			return
		}
		leg.status = e.Dialstatus
		// NOANSWER is also what Asterisk says of a phone that rejected the
		// call (cause 21, seen on a real Asterisk 22): the leg's end, right
		// after, tells them apart (causeFailure).
		if reason, final := dialFailure(e.Dialstatus); final && reason != queue.RingNoAnswer {
			a.offerFailed(leg, reason)
		}
	case *ari.BridgeBlindTransfer:
		if e.Result == "Success" && e.Bridge != nil {
			a.callTransferred(e.Bridge.ID, e.Channel.ID, replacementOf(e.ReplaceChannel),
				queue.CallTransferred{Exten: e.Exten, Context: e.Context})
		}
	case *ari.BridgeAttendedTransfer:
		if e.Result == "Success" && e.TransfererFirstLegBridge != nil {
			a.callTransferred(e.TransfererFirstLegBridge.ID, e.TransfererFirstLeg.ID, replacementOf(e.ReplaceChannel),
				queue.CallTransferred{Attended: attendedDestination(e)})
		}
	case *ari.ChannelDtmfReceived:
		if leg, ok := a.callers[e.Channel.ID]; ok && !a.talking(leg) && !leg.leaving {
			a.applyQuiet(queue.CallerDTMF{Caller: leg.caller, Digit: e.Digit})
		}
	case *ari.PlaybackFinished:
		a.playbackDone(e.Playback.ID)
	case *ari.DeviceStateChanged:
		a.deviceState(e.DeviceState.Name, e.DeviceState.State)
	case *ari.RecordingFinished:
		a.recordingEvent(e.Recording, false)
	case *ari.RecordingFailed:
		a.recordingEvent(e.Recording, true)
	}
}

// callerArrived joins a caller from its StasisStart (or, after a restart,
// from what Asterisk still lists). args are the Stasis arguments after the
// application name: queue[,priority=N][,skills=a:50|b][,maxwait=S].
func (a *App) callerArrived(ch ari.Channel, args []string, joined time.Time, resume bool) {
	if a.cfg.Observer != nil && !resume {
		a.cfg.Observer.CallerArrived(queue.CallerID(ch.ID), joined, time.Now())
	}
	join := parseCallerArgs(args)
	join.Caller = queue.CallerID(ch.ID)
	join.Number = ch.Caller.Number
	join.Name = ch.Caller.Name
	join.JoinedAt = joined
	join.Resume = resume
	a.joinCaller(ch.ID, ch.Dialplan.Context, ch.State == "Up", join)
}

// joinCaller joins a caller whose channel is id; up: it is answered already.
func (a *App) joinCaller(id, dialplanContext string, up bool, join queue.CallerJoin) {
	leg := &callerLeg{id: id, caller: join.Caller, queue: join.Queue, context: dialplanContext, seq: a.seq, up: up}
	a.callers[id] = leg
	if err := a.apply(join); err != nil {
		if errors.Is(err, queue.ErrDuplicate) {
			return
		}
		// The engine refused outright (no queue name, unknown queue): the
		// caller must not be left in Stasis with nothing happening.
		status := queue.StatusUnknownQueue
		a.log.Info("caller refused", "caller", id, "queue", join.Queue, "err", err)
		a.execute(queue.Refuse{Caller: join.Caller, Queue: join.Queue, Status: status})
	}
}

func parseCallerArgs(args []string) queue.CallerJoin {
	var j queue.CallerJoin
	if len(args) > 0 {
		j.Queue = strings.TrimSpace(args[0])
	}
	for _, arg := range args[min(1, len(args)):] {
		key, value, _ := strings.Cut(strings.TrimSpace(arg), "=")
		switch strings.ToLower(key) {
		case "priority", "prio":
			if n, err := strconv.Atoi(value); err == nil {
				j.Priority = n
			}
		case "maxwait", "timeout":
			if n, err := strconv.ParseFloat(value, 64); err == nil && n > 0 {
				j.MaxWait = time.Duration(n * float64(time.Second))
			}
		case "skills":
			j.Skills = parseSkills(value)
		}
	}
	return j
}

// parseSkills reads "english:50|billing" (also separated by + & ;); a skill
// without level requires level 1.
func parseSkills(s string) map[string]int {
	out := map[string]int{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == '+' || r == '&' || r == ';' }) {
		name, level, _ := strings.Cut(strings.TrimSpace(f), ":")
		if name == "" {
			continue
		}
		n, err := strconv.Atoi(level)
		if err != nil || n < 1 {
			n = 1
		}
		out[name] = n
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// agentAnswered: an agent leg entered Stasis, which for a channel originated
// with app= means it was answered.
func (a *App) agentAnswered(chanID string, offer queue.OfferID) {
	leg, ok := a.offers[offer]
	if !ok || leg.id != chanID || leg.ended {
		// An answer we no longer want: a previous run's leg, or one whose
		// ring we already cancelled (answered as the hangup crossed).
		a.submitHangup(chanID, "unwanted agent leg")
		return
	}
	if leg.answered {
		return
	}
	leg.answered = true
	if err := a.apply(queue.OfferAnswered{Offer: offer}); err != nil {
		// The engine no longer knows the offer: nobody to bridge with.
		leg.ended = true
		a.hangupAgentLeg(leg, "normal")
	}
}

// channelGone handles StasisEnd (cause -1) and ChannelDestroyed for any
// channel of ours.
func (a *App) channelGone(id string, cause int) {
	if leg, ok := a.callers[id]; ok {
		delete(a.callers, id)
		if a.cbChan[leg.caller] == id {
			delete(a.cbChan, leg.caller)
		}
		if leg.playing != "" {
			delete(a.playbacks, leg.playing)
		}
		if leg.leaving {
			return
		}
		if a.talking(leg) {
			a.applyQuiet(queue.CallEnded{Caller: leg.caller, By: queue.PartyCaller})
			if leg.bridge != "" {
				a.destroyBridge(id, leg.bridge)
			}
			return
		}
		a.applyQuiet(queue.CallerHangup{Caller: leg.caller})
		return
	}
	if cb, ok := a.callbacks[id]; ok {
		a.callbackLegGone(cb, id, cause)
		return
	}
	if leg, ok := a.agentChan[id]; ok {
		a.agentLegGone(leg, id, cause)
		return
	}
	if s, ok := a.monitorChan[id]; ok {
		a.monitorChannelGone(s, id, cause)
		return
	}
	if bridge, ok := a.orphans[id]; ok {
		a.orphanGone(id, bridge)
	}
}

// callTransferred: a phone in a connected call's bridge transferred the
// other side. A Stasis bridge is transferred whole (ari/README.md, aritest
// BlindTransfer): Asterisk swaps a Local channel in for the transferer and
// the caller stays in our bridge, talking through it to the destination.
// The call is over for the queue; what is left of it is kept as an orphan
// call: when the caller or the Local channel leaves, the other is hung up
// and the bridge destroyed, and the caller's StasisEnd is no abandon.
func (a *App) callTransferred(bridge, transferer, replacement string, in queue.CallTransferred) {
	var leg *callerLeg
	for _, l := range a.callers {
		if l.bridge == bridge && a.talking(l) {
			leg = l
			break
		}
	}
	if leg == nil {
		return // not one of our calls, or over already
	}
	in.Caller = leg.caller
	in.By = queue.PartyAgent
	if transferer == leg.id {
		in.By = queue.PartyCaller
	}
	// Unlinked first: apply destroys the bridge of a call that ended, and
	// this one's caller still talks through it.
	leg.bridge = ""
	if err := a.apply(in); err != nil {
		leg.bridge = bridge
		a.log.Warn("transfer not applied", "caller", leg.id, "err", err)
		return
	}
	delete(a.callers, leg.id)
	a.dropAnnouncements(leg)
	a.orphans[leg.id] = bridge
	if replacement != "" {
		a.orphans[replacement] = bridge
	}
}

// replacementArrived: a channel Asterisk swapped in for replaced entered the
// application. Its StasisStart may come before or after the transfer event.
func (a *App) replacementArrived(id, replaced string) {
	if _, ok := a.orphans[id]; ok {
		return
	}
	if bridge, ok := a.orphans[replaced]; ok {
		a.orphans[id] = bridge
		return
	}
	for _, l := range a.callers {
		if l.bridge != "" && (l.agentChan == replaced || l.id == replaced) && a.talking(l) {
			a.orphans[id] = l.bridge
			return
		}
	}
	a.log.Info("channel swapped into a bridge that is not ours", "channel", id, "replaced", replaced)
}

func replacementOf(ch *ari.Channel) string {
	if ch == nil {
		return ""
	}
	return ch.ID
}

// attendedDestination says where an attended transfer took the caller, as
// app_queue's log_attended_transfer writes it to the queue_log.
func attendedDestination(e *ari.BridgeAttendedTransfer) string {
	switch e.DestinationType {
	case "bridge":
		return "BRIDGE|" + e.DestinationBridge
	case "application":
		return "APP|" + e.DestinationApplication
	case "link":
		var first, second string
		if e.DestinationLinkFirstLeg != nil {
			first = e.DestinationLinkFirstLeg.Name
		}
		if e.DestinationLinkSecondLeg != nil {
			second = e.DestinationLinkSecondLeg.Name
		}
		return "LINK|" + first + "|" + second
	case "threeway":
		if e.DestinationThreewayChannel != nil {
			return "THREEWAY|" + e.DestinationThreewayChannel.Name
		}
		return "THREEWAY|"
	}
	return strings.ToUpper(e.DestinationType)
}

func (a *App) agentLegGone(leg *agentLeg, id string, cause int) {
	if id != leg.id {
		// The ;2 half: its cause is the device's, but the ;1 half follows
		// with the same one; wait for it.
		delete(a.agentChan, id)
		return
	}
	a.forgetAgentLeg(leg)
	if leg.ended {
		return
	}
	leg.ended = true
	if leg.answered {
		a.applyQuiet(queue.CallEnded{Caller: leg.caller, By: queue.PartyAgent})
		return
	}
	if cause < 0 {
		cause = 0
	}
	a.offerFailedReason(leg, causeFailure(leg.status, cause))
}

func (a *App) forgetAgentLeg(leg *agentLeg) {
	delete(a.agentChan, leg.id)
	delete(a.agentChan, leg.other)
	if a.offers[leg.offer] == leg {
		delete(a.offers, leg.offer)
	}
}

func (a *App) offerFailed(leg *agentLeg, reason queue.RingFailure) {
	leg.ended = true
	a.offerFailedReason(leg, reason)
}

func (a *App) offerFailedReason(leg *agentLeg, reason queue.RingFailure) {
	a.applyQuiet(queue.OfferFailed{Offer: leg.offer, Reason: reason})
}

// dialFailure maps a Dial event's dialstatus. Asterisk's dialstatus is what
// to trust: a busy device's channel is destroyed with cause 0 (ari/README.md).
func dialFailure(status string) (queue.RingFailure, bool) {
	switch strings.ToUpper(status) {
	case "BUSY":
		return queue.RingBusy, true
	case "NOANSWER", "CANCEL":
		return queue.RingNoAnswer, true
	case "CHANUNAVAIL", "CONGESTION":
		return queue.RingUnavailable, true
	}
	return "", false
}

// causeFailure says why an unanswered agent leg ended from its last
// dialstatus or, without one, its hangup cause (Q.850). A rejection (cause
// 21) comes with dialstatus NOANSWER, so the cause wins there.
func causeFailure(status string, cause int) queue.RingFailure {
	if cause == 21 {
		return queue.RingRejected
	}
	if r, ok := dialFailure(status); ok {
		return r
	}
	switch cause {
	case 19, 18, 16, 26: // no answer, no user responding, normal clearing before answer, answered elsewhere
		return queue.RingNoAnswer
	case 17:
		return queue.RingBusy
	case 21:
		return queue.RingRejected
	default: // 20 subscriber absent, 1, 3, 27, 34, 38, 0 ...: the device cannot be reached
		return queue.RingUnavailable
	}
}

// deviceState feeds a DeviceStateChanged to the agents on that device.
func (a *App) deviceState(name, state string) {
	for _, id := range a.devices.agents(name) {
		if view, ok := a.engine.Agent(id); ok && view.Device != queue.DeviceState(state) {
			a.applyQuiet(queue.AgentDeviceState{Agent: id, State: queue.DeviceState(state)})
		}
	}
}

// execute hands one telephony effect to the executor.
func (a *App) execute(e queue.Action) {
	switch e := e.(type) {
	case queue.Accept:
		a.accept(e)
	case queue.Refuse:
		a.leave(a.chanFor(e.Caller), exit{status: e.Status})
	case queue.Exit:
		x := exit{status: e.Status, key: e.Key, position: e.Position, abandoned: e.Abandoned, vars: e.Vars}
		if e.Context != "" {
			// app_queue's context= (the key is the extension), or a redirect.
			x.context, x.exten, x.prio = e.Context, e.Exten, e.Priority
		}
		a.leave(a.chanFor(e.Caller), x)
	case queue.RingAgent:
		a.ring(e)
	case queue.CancelRing:
		if leg, ok := a.offers[e.Offer]; ok && !leg.answered {
			leg.ended = true
			reason := "normal"
			switch {
			case e.Elsewhere:
				reason = "answered_elsewhere"
			case e.Declined:
				reason = "busy"
			}
			a.hangupAgentLeg(leg, reason)
		}
	case queue.Connect:
		a.connect(e)
	case queue.ControlRecording:
		a.controlRecording(e)
	case queue.Announce:
		a.announce(e)
	case queue.HangupCaller:
		a.hangupCaller(e.Caller)
	case queue.DialCallback:
		a.dialCallback(e)
	case queue.HangupAgent:
		if leg, ok := a.offers[e.Offer]; ok {
			leg.ended = true
			a.hangupAgentLeg(leg, "normal")
		}
	}
}

func (a *App) accept(e queue.Accept) {
	id := a.chanFor(e.Caller)
	up := false
	if leg, ok := a.callers[id]; ok {
		leg.answered = true
		leg.music = e.MusicClass
		up = leg.up
	}
	class := e.MusicClass
	var recSnoop string
	if e.Record != nil {
		recSnoop = a.nextID("r", serverOf(id)) // sqr-<run>-<n>
	}
	a.exec.Submit(id, func(ctx context.Context) {
		// A caller the dialplan answered before Stasis() (the usual
		// Answer() first) needs no answer: one REST call less per call.
		if !up {
			if err := a.ari.Answer(ctx, id); err != nil {
				if legLeft(err) {
					return // gone already; its StasisEnd does the rest
				}
				a.log.Warn("answer caller", "caller", id, "err", err)
			}
		}
		if e.Record != nil {
			a.recordFromJoin(ctx, id, recSnoop, *e.Record)
		}
		// Hold music on the caller's channel, as app_queue does, not on a
		// holding bridge: a holding bridge's MOH stops for good when the
		// bridge empties and must be restarted racing that (ari/README.md).
		if err := a.ari.StartMOH(ctx, id, class); err != nil && !legLeft(err) {
			a.log.Warn("start hold music", "caller", id, "class", class, "err", err)
		}
	})
}

// leave sets the variables x names and continues the caller in the
// dialplan: refused, timed out, exit key, or the agent hung up first on a
// queue that continues.
func (a *App) leave(id string, x exit) {
	var bridge string
	if leg, ok := a.callers[id]; ok {
		leg.leaving = true
		x.playing, bridge = leg.playing, leg.bridge
		x.stopMOH = leg.answered && leg.bridge == ""
		a.dropAnnouncements(leg)
		leg.bridge = ""
	}
	a.exec.Submit(id, func(ctx context.Context) { a.continueCaller(ctx, id, x) })
	if bridge != "" {
		a.destroyBridge(id, bridge) // on the same lane: after the continue
	}
}

// hangupCaller hangs up the channel of the engine's caller c: its own, or
// its callback's customer's, ringing or answered; a callback holding its
// place has none.
func (a *App) hangupCaller(c queue.CallerID) {
	if a.hangupCallback(c) {
		return
	}
	id := a.chanFor(c)
	leg, ok := a.callers[id]
	var bridge string
	if ok {
		leg.leaving = true
		bridge = leg.bridge
		leg.bridge = ""
		a.dropAnnouncements(leg)
	}
	a.exec.Submit(id, func(ctx context.Context) { a.hangup(ctx, id, "caller") })
	if bridge != "" {
		a.destroyBridge(id, bridge) // on the same lane: after the hangup
	}
}

// ring originates the agent's device into the application, with an id we
// choose so the leg's first events (which can beat the REST reply) are ours.
func (a *App) ring(e queue.RingAgent) {
	// On the caller's server, whichever server the agent's phone is on:
	// both legs are bridged there.
	from := serverOf(a.chanFor(e.Caller))
	device := e.Device
	if key, ok := a.devices.ofAgent[e.Agent]; ok {
		device = a.ari.dialFrom(from, a.devices.name[key])
	}
	id, other := AgentLegIDs(e.Offer)
	id, other = qualify(from, id), qualify(from, other)
	leg := &agentLeg{offer: e.Offer, caller: e.Caller, agent: e.Agent, id: id, other: other, seq: a.seq}
	a.offers[e.Offer] = leg
	a.agentChan[leg.id] = leg
	a.agentChan[leg.other] = leg
	req := ari.OriginateRequest{
		ChannelID:      leg.id,
		OtherChannelID: leg.other,
		Endpoint:       device,
		App:            a.cfg.App,
		AppArgs:        []string{AgentArg, string(e.Offer)},
		CallerID:       callerID(e.Name, e.Number),
		// The engine's own timer ends the ring at e.Timeout (a hangup from
		// us); Asterisk's is a backstop a second later, so the ring ends
		// the same way every time rather than by whichever fires first.
		Timeout: int(math.Ceil(e.Timeout.Seconds())) + 1,
		// Without formats a Local channel made over ARI runs at slin192 and
		// hold music is resampled for every caller (ari/README.md).
		Formats: "ulaw",
	}
	if e.AutoAnswer > 0 && strings.HasPrefix(device, "PJSIP/") {
		// The queue's auto-answer, to the browser phone in the INVITE
		// (phone.js reads it); a desk phone ignores an unknown header.
		req.Variables = map[string]string{"PJSIP_HEADER(add," + AutoAnswerHeader + ")": strconv.Itoa(int(math.Ceil(e.AutoAnswer.Seconds())))}
	}
	offer, caller, agent, taken := e.Offer, e.Caller, e.Agent, a.takenAt
	a.exec.SubmitRing(string(e.Offer), func(ctx context.Context) {
		if a.cfg.RingDispatched != nil && !taken.IsZero() {
			a.cfg.RingDispatched(time.Since(taken))
		}
		if a.cfg.Observer != nil {
			a.cfg.Observer.Dialing(offer, caller, agent, time.Now())
		}
		err := a.originate(ctx, req, "agent leg")
		if err == nil {
			return
		}
		a.log.Warn("originate agent", "offer", offer, "endpoint", req.Endpoint, "err", err)
		a.post(func() {
			if leg.ended || leg.answered {
				return
			}
			leg.ended = true
			a.forgetAgentLeg(leg)
			a.offerFailedReason(leg, queue.RingError)
		})
	})
}

// originate makes a leg of ours; one whose request got no reply may exist
// all the same, and is hung up so that it does not ring on unseen.
func (a *App) originate(ctx context.Context, req ari.OriginateRequest, what string) error {
	_, err := a.ari.Originate(ctx, req)
	if err == nil {
		return nil
	}
	var ariErr *ari.Error
	if !errors.As(err, &ariErr) {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		a.hangup(hctx, req.ChannelID, what+" whose originate got no reply")
		cancel()
	}
	return err
}

func callerID(name, number string) string {
	clean := strings.NewReplacer(`"`, "", "<", "", ">", "").Replace
	name, number = strings.TrimSpace(clean(name)), strings.TrimSpace(clean(number))
	switch {
	case name != "" && number != "":
		return name + " <" + number + ">"
	case number != "":
		return "<" + number + ">"
	default:
		return name
	}
}

func (a *App) hangupAgentLeg(leg *agentLeg, reason string) {
	id := leg.id
	submit := func(j job) { a.exec.SubmitRing(string(leg.offer), j) }
	submit(func(ctx context.Context) {
		a.hangupRounds(ctx, id, reason, "agent leg", 0, submit, func(err error) {
			switch {
			case err == nil:
			case errors.Is(err, ari.ErrNotFound):
				// Already gone and its events possibly lost: forget it.
				a.post(func() { a.forgetAgentLeg(leg) })
			default:
				a.log.Warn("hang up agent leg", "channel", id, "reason", reason, "err", err)
			}
		})
	})
}

// connect bridges the caller with the agent who answered: announcement and
// hold music stopped first (adding a channel to a mixing bridge does not
// stop its channel MOH), so the agent is never talked over.
func (a *App) connect(e queue.Connect) {
	id := a.chanFor(e.Caller)
	leg, ok := a.callers[id]
	agent, okAgent := a.offers[e.Offer]
	if !ok || !okAgent {
		return
	}
	leg.agentChan = agent.id
	leg.bridge = a.nextID("b", serverOf(id))
	playing := leg.playing
	a.dropAnnouncements(leg)
	bridge, agentID, q := leg.bridge, agent.id, e.Queue
	if e.Record != nil {
		a.recordings[bridge] = e.Record.Name
	}

	var agentPB string
	var agentDone chan struct{}
	if len(e.AgentMedia) > 0 {
		agentPB, agentDone = a.nextID("p", serverOf(agent.id)), make(chan struct{})
		a.agentPlaybacks[agentPB] = agentDone
	}
	a.exec.Submit(id, func(ctx context.Context) {
		if e.Delay > 0 {
			// memberdelay: the caller hears its music a moment longer; one
			// who hangs up meanwhile fails the bridge below as any leg that
			// left does.
			if !sleep(ctx, e.Delay) {
				return
			}
		}
		if agentPB != "" && !a.announceToAgent(ctx, agentID, agentPB, agentDone, e.AgentMedia) {
			return
		}
		if playing != "" {
			a.stopPlayback(ctx, playing)
		}
		if err := a.ari.StopMOH(ctx, id); legLeft(err) {
			return // caller gone; CallEnded follows from its StasisEnd
		}
		err := retry(ctx, 3, func() error {
			_, err := a.ari.CreateBridge(ctx, bridge, "mixing", "queue-"+q+"-call")
			return err
		})
		if err == nil {
			// Both in one call, as app_queue's bridge is made: one round trip
			// less before they hear each other. Asterisk looks every channel
			// up before adding any, so a leg that left fails the whole call.
			err = retry(ctx, 3, func() error { return a.ari.AddChannel(ctx, bridge, id+","+agentID, "") })
		}
		if err == nil {
			// After the bridge, so that they hear each other at once: what
			// reads them (the dialplan after Stasis(), CDRs) comes later.
			a.setVars(ctx, id, e.CallerVars)
			a.setVars(ctx, agentID, e.AgentVars)
			if e.Record != nil {
				a.startRecording(ctx, string(e.Caller), bridge, *e.Record)
			}
			return
		}
		if bridgeLegLeft(err) {
			return // a leg that left: its StasisEnd ends the call
		}
		a.log.Error("bridge caller with agent", "caller", id, "agent", agentID, "err", err)
		a.post(func() { a.applyQuiet(queue.CallEnded{Caller: e.Caller, By: queue.PartySystem}) })
	})
}

// agentAnnounceLimit bounds the wait for an announcement to an agent whose
// PlaybackFinished is lost: the caller is put through then regardless.
const agentAnnounceLimit = 2 * time.Minute

// announceToAgent plays the queue's announce and reported hold time to the
// agent who answered and waits for the end, as app_queue's try_calling does
// before the bridge (the caller keeps its music). false: the run is over.
func (a *App) announceToAgent(ctx context.Context, agentID, pb string, done chan struct{}, media []string) bool {
	defer a.post(func() { delete(a.agentPlaybacks, pb) })
	if _, err := a.ari.Play(ctx, agentID, pb, media...); err != nil {
		if !legLeft(err) {
			a.log.Warn("play announcement to agent", "channel", agentID, "media", media, "err", err)
		}
		return true // the bridge below finds out whether the agent is still there
	}
	t := time.NewTimer(agentAnnounceLimit)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		a.log.Warn("announcement to agent not reported finished; bridging", "channel", agentID, "playback", pb)
	case <-ctx.Done():
		return false
	}
	return true
}

// sleep waits d unless ctx ends first; false if it did.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// legLeft reports whether a REST call on a channel failed because the
// channel left the application or is being hung up, the normal race with a
// hangup: 404 Channel not found, 409 Channel not in a Stasis application,
// 412 Channel in invalid state (channels.json). Its StasisEnd does the rest.
func legLeft(err error) bool {
	var e *ari.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Status {
	case http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed:
		return true
	}
	return false
}

// bridgeLegLeft is legLeft for POST /bridges/{id}/addChannel, whose statuses
// differ (bridges.json): 400 Channel not found, 422 Channel not in Stasis
// application, 404 Bridge not found (the other leg's end destroyed it). Its
// 409 (bridge not in Stasis, channel recording) is a real failure.
func bridgeLegLeft(err error) bool {
	var e *ari.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// retry retries fn on server errors and timeouts, not on 4xx answers.
func retry(ctx context.Context, attempts int, fn func() error) error {
	var err error
	for i := 0; i < attempts; i++ {
		if err = fn(); err == nil {
			return nil
		}
		var ariErr *ari.Error
		if errors.As(err, &ariErr) && ariErr.Status < 500 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(i+1) * 50 * time.Millisecond):
		}
	}
	return err
}

// destroyBridge destroys a call's bridge on lane; a bridge being recorded
// only once Asterisk has reported the recording's end (recording.go).
func (a *App) destroyBridge(lane, bridge string) {
	if name, ok := a.recordings[bridge]; ok {
		a.endRecordingThenBridge(lane, bridge, name)
		return
	}
	a.exec.Submit(lane, func(ctx context.Context) { a.destroy(ctx, bridge) })
}

// announce plays an announcement. The engine queues them and sends the
// next only after AnnouncementDone (see playbackDone), so one arriving while
// another plays means the engine gave up waiting for that one's end (its
// fallback): the old playback is forgotten, and Asterisk, which plays a
// channel's playbacks one after another, still never overlaps them.
func (a *App) announce(e queue.Announce) {
	leg, ok := a.legOf(e.Caller)
	if !ok || a.talking(leg) || leg.leaving || len(e.Media) == 0 {
		return
	}
	if e.Interrupt && leg.playing != "" {
		// Stopped on the caller's lane before the new one plays; its
		// PlaybackFinished finds it forgotten.
		old := leg.playing
		a.exec.Submit(leg.id, func(ctx context.Context) { a.stopPlayback(ctx, old) })
	}
	a.dropAnnouncements(leg)
	a.play(leg, e.Media)
}

func (a *App) play(leg *callerLeg, media []string) {
	id := leg.id
	pb := a.nextID("p", serverOf(id))
	leg.playing = pb
	a.playbacks[pb] = id
	a.exec.Submit(id, func(ctx context.Context) {
		// Hold music off first, as app_queue does around an announcement:
		// a playback replaces the channel's music, and on a real Asterisk 22
		// the music does not come back after it (TestAsteriskHoldMusicComes
		// BackAfterAnAnnouncement); playbackDone puts it back.
		if err := a.ari.StopMOH(ctx, id); legLeft(err) {
			return // gone: its StasisEnd drops the announcement
		} else if err != nil {
			a.log.Warn("stop hold music for an announcement", "caller", id, "err", err)
		}
		if _, err := a.ari.Play(ctx, id, pb, media...); err != nil {
			if !legLeft(err) {
				a.log.Warn("play announcement", "caller", id, "media", media, "err", err)
			}
			// No PlaybackFinished will come: move on.
			a.post(func() { a.playbackDone(pb) })
		}
	})
}

func (a *App) playbackDone(pb string) {
	if done, ok := a.agentPlaybacks[pb]; ok {
		delete(a.agentPlaybacks, pb)
		close(done)
		return
	}
	id, ok := a.playbacks[pb]
	if !ok {
		return
	}
	delete(a.playbacks, pb)
	leg, ok := a.callers[id]
	if !ok || leg.playing != pb {
		return
	}
	leg.playing = ""
	if a.talking(leg) || leg.leaving {
		return
	}
	// Over (finished, or its play request failed): the music again, on the
	// caller's lane after anything queued there, and the engine may start
	// the next announcement, timed as app_queue times it.
	class := leg.music
	a.exec.Submit(id, func(ctx context.Context) {
		if err := a.ari.StartMOH(ctx, id, class); err != nil && !legLeft(err) {
			a.log.Warn("restart hold music after an announcement", "caller", id, "err", err)
		}
	})
	a.applyQuiet(queue.AnnouncementDone{Caller: leg.caller})
}

// dropAnnouncements forgets a caller's playback. It reports no
// AnnouncementDone: every caller whose announcements are dropped (connected,
// leaving, hung up, transferred) is one the engine has finished with, and
// it would ignore the report.
func (a *App) dropAnnouncements(leg *callerLeg) {
	if leg.playing != "" {
		delete(a.playbacks, leg.playing)
		leg.playing = ""
	}
}
