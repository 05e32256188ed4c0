package callflow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"stasisq/ari"
	"stasisq/queue"
)

// A supervisor listens to, whispers into or joins (barges) a connected call
// from the wallboard. The supervisor's phone (its user's device: a desk
// phone or the browser phone) is rung into the application; once it
// answers it is joined to the call:
//
//   - listen: a snoop channel on the agent's leg (spy both: what the agent
//     hears and says) is bridged with the supervisor's leg in a bridge of
//     its own; nobody hears the supervisor.
//   - whisper: the same snoop whispering "out", into what the agent hears:
//     the agent hears the supervisor, the caller does not.
//   - barge: the supervisor's leg is added to the call's bridge.
//
// Switching mode keeps the supervisor's leg (a new snoop, or a move
// between bridges). The supervisor leaving (hang-up, or Leave) disturbs
// nothing of the call; the call ending hangs the supervisor's leg up. A
// session does not outlive stasisq: a later run hangs up what a previous
// one left (reconcile).

const (
	monitorLegPrefix    = "sqm-" // the supervisor's leg (both halves of a Local one): nextID("m")
	snoopPrefix         = "sqn-" // nextID("n")
	monitorBridgePrefix = "sqs-"
	// MonitorArg and SnoopArg are the first Stasis arguments of a
	// supervisor's leg and of a snoop channel: "monitor,<session>".
	MonitorArg = "monitor"
	SnoopArg   = "snoop"
)

// monitorRingTimeout is how long the supervisor's phone rings.
const monitorRingTimeout = 30 * time.Second

// isMonitorChannel reports whether id is a supervisor's leg or a snoop of
// ours, this run's or an earlier one's.
func isMonitorChannel(id string) bool {
	id = localOf(id)
	return strings.HasPrefix(id, monitorLegPrefix) || strings.HasPrefix(id, snoopPrefix)
}

type monitorSession struct {
	id         string
	supervisor string
	caller     string
	device     string
	leg, other string // the supervisor's leg: the half in Stasis, and the dialling half
	snoop      string // the current snoop channel, "" in barge
	bridge     string // the listen/whisper bridge, once made
	mode       string
	answered   bool
	ended      bool
	// ready is answered once: nil when the supervisor's phone is in the
	// call, the reason otherwise. Buffered: nobody may be waiting.
	ready chan error
}

func (s *monitorSession) finish(err error) {
	select {
	case s.ready <- err:
	default:
	}
}

// Monitor puts the supervisor on the connected call of caller in mode
// (queue.MonitorListen, MonitorWhisper, MonitorBarge), ringing its phone
// first and waiting until it answers; with a session on this call already
// it switches mode. The errors say what a person can act on: no phone, the
// phone unregistered, busy or unanswered, the call over.
func (a *App) Monitor(ctx context.Context, caller queue.CallerID, supervisor, mode string) error {
	var (
		s      *monitorSession
		cmdErr error
	)
	err := a.do(ctx, func() { s, cmdErr = a.startMonitor(string(caller), supervisor, mode) })
	if err != nil {
		return err
	}
	if cmdErr != nil || s == nil {
		return cmdErr
	}
	t := time.NewTimer(monitorRingTimeout + 5*time.Second)
	defer t.Stop()
	select {
	case err := <-s.ready:
		return err
	case <-ctx.Done():
		// The request gave up; the phone may still answer, and the session
		// then goes on as asked.
		return fmt.Errorf("ringing your phone %s: %w", s.device, ctx.Err())
	case <-t.C:
		return monitorErr(queue.ErrConflict, "your phone %s did not answer", s.device)
	}
}

// StopMonitor takes the supervisor off the call: its phone is hung up.
func (a *App) StopMonitor(ctx context.Context, caller queue.CallerID, supervisor string) error {
	var cmdErr error
	err := a.do(ctx, func() {
		s := a.monitorOf(string(caller), supervisor)
		if s == nil {
			cmdErr = monitorErr(queue.ErrNotFound, "%s is not on call %s", supervisor, caller)
			return
		}
		a.endMonitor(s, nil)
	})
	if err != nil {
		return err
	}
	return cmdErr
}

func (a *App) monitorOf(caller, supervisor string) *monitorSession {
	for _, s := range a.monitors {
		if s.caller == caller && s.supervisor == supervisor && !s.ended {
			return s
		}
	}
	return nil
}

// startMonitor runs on the loop: checks, then rings the supervisor's phone
// (a new session) or switches an answered one's mode (nil session).
func (a *App) startMonitor(caller, supervisor, mode string) (*monitorSession, error) {
	leg, ok := a.legOf(queue.CallerID(caller))
	if !ok || !a.talking(leg) || leg.bridge == "" || leg.agentChan == "" {
		return nil, monitorErr(queue.ErrNotAllowed, "call %s: not connected to an agent", caller)
	}
	if s := a.monitorOf(caller, supervisor); s != nil {
		if !s.answered {
			return nil, monitorErr(queue.ErrConflict, "your phone %s is still ringing for call %s", s.device, caller)
		}
		if s.mode != mode {
			a.switchMonitor(s, leg, mode)
		}
		return nil, nil
	}
	for _, s := range a.monitors {
		if s.supervisor == supervisor && !s.ended {
			return nil, monitorErr(queue.ErrConflict, "you are already on call %s: leave it first", s.caller)
		}
	}
	view, ok := a.engine.Agent(queue.AgentID(supervisor))
	if !ok || view.Config.Device == "" {
		return nil, monitorErr(queue.ErrConflict, "%s has no phone to listen on: give the user a device or the browser phone (Admin > Users)", supervisor)
	}
	device := view.Config.Device
	switch view.Device {
	case queue.DeviceUnavailable, queue.DeviceInvalid:
		return nil, monitorErr(queue.ErrConflict, "your phone %s is not registered (%s)", device, view.Device)
	case queue.DeviceInUse, queue.DeviceBusy, queue.DeviceRinging, queue.DeviceRingInUse, queue.DeviceOnHold:
		return nil, monitorErr(queue.ErrConflict, "your phone %s is busy (%s)", device, view.Device)
	}
	// On the call's server, as an agent leg is.
	id := a.nextID("m", serverOf(leg.id)) // sqm-<run>-<n>: the legs are it with -1 and -2
	endpoint := a.ari.dialFrom(serverOf(leg.id), a.deviceKey(view.Config))
	s := &monitorSession{id: id, supervisor: supervisor, caller: caller, device: device, mode: mode,
		leg: id + "-1", other: id + "-2", ready: make(chan error, 1)}
	a.monitors[id] = s
	a.monitorChan[s.leg] = s
	a.monitorChan[s.other] = s
	req := ari.OriginateRequest{
		ChannelID: s.leg, OtherChannelID: s.other, Endpoint: endpoint, App: a.cfg.App,
		AppArgs:  []string{MonitorArg, id},
		CallerID: callerID("Listen "+leg.queue, ""),
		Timeout:  int(monitorRingTimeout.Seconds()),
		Formats:  "ulaw",
	}
	a.exec.Submit(monitorLane(s), func(ctx context.Context) {
		if _, err := a.ari.Originate(ctx, req); err != nil {
			a.log.Warn("ring supervisor's phone", "supervisor", supervisor, "device", device, "err", err)
			a.post(func() { a.endMonitor(s, fmt.Errorf("ring your phone %s: %w", device, err)) })
		}
	})
	return s, nil
}

func monitorLane(s *monitorSession) string { return "monitor:" + s.id }

// monitorAnswered: the supervisor's phone answered (its leg's StasisStart).
func (a *App) monitorAnswered(channel, id string) {
	s, ok := a.monitors[id]
	if !ok || s.ended || channel != s.leg {
		a.submitHangup(channel, "supervisor leg of a session that is over")
		return
	}
	leg, ok := a.legOf(queue.CallerID(s.caller))
	if !ok || !a.talking(leg) || leg.bridge == "" {
		a.endMonitor(s, monitorErr(queue.ErrNotFound, "call %s ended while your phone rang", s.caller))
		return
	}
	s.answered = true
	a.joinMonitor(s, leg, s.mode)
	if err := a.apply(queue.MonitorChange{Caller: queue.CallerID(s.caller), Supervisor: s.supervisor, Mode: s.mode}); err != nil {
		a.log.Warn("monitor change refused", "caller", s.caller, "err", err)
	}
	s.finish(nil)
}

// joinMonitor connects an answered supervisor's leg to the call in mode.
func (a *App) joinMonitor(s *monitorSession, leg *callerLeg, mode string) {
	s.mode = mode
	callBridge, agentChan, sup := leg.bridge, leg.agentChan, s.leg
	if mode == queue.MonitorBarge {
		a.exec.Submit(monitorLane(s), func(ctx context.Context) {
			if err := a.ari.AddChannel(ctx, callBridge, sup, ""); err != nil {
				a.log.Warn("supervisor barge", "bridge", callBridge, "err", err)
				a.post(func() { a.endMonitor(s, fmt.Errorf("join the call: %w", err)) })
			}
		})
		return
	}
	whisper := "none"
	if mode == queue.MonitorWhisper {
		whisper = "out" // into what the agent's leg is sent: the agent hears it
	}
	if s.bridge == "" {
		s.bridge = qualify(serverOf(s.id), monitorBridgePrefix+strings.TrimPrefix(localOf(s.id), monitorLegPrefix))
	}
	s.snoop = a.nextID("n", serverOf(s.id)) // sqn-<run>-<n>
	bridge, snoop := s.bridge, s.snoop
	a.monitorChan[snoop] = s
	a.exec.Submit(monitorLane(s), func(ctx context.Context) {
		if _, err := a.ari.CreateBridge(ctx, bridge, "mixing", "monitor-"+s.supervisor); err != nil {
			var ae *ari.Error
			if !errors.As(err, &ae) || ae.Status != 409 { // 409: made for an earlier mode
				a.post(func() { a.endMonitor(s, fmt.Errorf("make the listening bridge: %w", err)) })
				return
			}
		}
		// The snoop's StasisStart adds it and the supervisor to the bridge.
		_, err := a.ari.Snoop(ctx, agentChan, ari.SnoopRequest{SnoopID: snoop, Spy: "both", Whisper: whisper,
			App: a.cfg.App, AppArgs: []string{SnoopArg, s.id}})
		if err != nil {
			a.log.Warn("snoop on the agent's leg", "channel", agentChan, "err", err)
			a.post(func() { a.endMonitor(s, fmt.Errorf("listen to the agent's leg: %w", err)) })
		}
	})
}

// snoopArrived: a snoop channel entered the application; bridged with the
// supervisor (who may still be in the call's bridge, coming from barge:
// addChannel moves it).
func (a *App) snoopArrived(channel, id string) {
	s, ok := a.monitors[id]
	if !ok || s.ended || s.snoop != channel {
		a.submitHangup(channel, "snoop of a session or mode that is over")
		return
	}
	bridge, sup := s.bridge, s.leg
	a.exec.Submit(monitorLane(s), func(ctx context.Context) {
		if err := a.ari.AddChannel(ctx, bridge, sup+","+channel, ""); err != nil {
			a.log.Warn("bridge supervisor with snoop", "bridge", bridge, "err", err)
			a.post(func() { a.endMonitor(s, fmt.Errorf("bridge your phone with the call: %w", err)) })
		}
	})
}

// switchMonitor changes an answered session's mode, keeping the
// supervisor's leg.
func (a *App) switchMonitor(s *monitorSession, leg *callerLeg, mode string) {
	old := s.snoop
	if old != "" {
		delete(a.monitorChan, old)
		s.snoop = ""
		a.exec.Submit(monitorLane(s), func(ctx context.Context) { a.hangup(ctx, old, "previous snoop") })
	}
	if s.mode == queue.MonitorBarge {
		callBridge, sup := leg.bridge, s.leg
		a.exec.Submit(monitorLane(s), func(ctx context.Context) {
			if err := a.ari.RemoveChannel(ctx, callBridge, sup); err != nil && !errors.Is(err, ari.ErrNotFound) {
				a.log.Warn("take supervisor out of the call's bridge", "bridge", callBridge, "err", err)
			}
		})
	}
	a.joinMonitor(s, leg, mode)
	if err := a.apply(queue.MonitorChange{Caller: queue.CallerID(s.caller), Supervisor: s.supervisor, Mode: mode}); err != nil {
		a.log.Warn("monitor change refused", "caller", s.caller, "err", err)
	}
}

// endMonitor ends a session: the supervisor's phone and the snoop hung up,
// the listening bridge destroyed, nothing of the call touched. why is what
// the waiting request hears (nil: left on purpose).
func (a *App) endMonitor(s *monitorSession, why error) {
	if s.ended {
		return
	}
	s.ended = true
	if why == nil {
		why = monitorErr(queue.ErrNotFound, "left call %s", s.caller)
	}
	s.finish(why)
	delete(a.monitors, s.id)
	for _, ch := range []string{s.leg, s.other, s.snoop} {
		if ch != "" {
			delete(a.monitorChan, ch)
		}
	}
	leg, other, snoop, bridge := s.leg, s.other, s.snoop, s.bridge
	a.exec.Submit(monitorLane(s), func(ctx context.Context) {
		for _, ch := range []string{snoop, leg, other} {
			if ch != "" {
				a.hangup(ctx, ch, "supervisor's leg")
			}
		}
		if bridge != "" {
			a.destroy(ctx, bridge)
		}
	})
	if s.answered {
		if err := a.apply(queue.MonitorChange{Caller: queue.CallerID(s.caller), Supervisor: s.supervisor}); err != nil {
			a.log.Warn("monitor end refused", "caller", s.caller, "err", err)
		}
	}
}

// monitorChannelGone: a supervisor's leg or snoop left. The leg gone (the
// supervisor hung up, or its phone was busy or did not answer) ends the
// session; a snoop gone on its own (the agent's leg went) too.
func (a *App) monitorChannelGone(s *monitorSession, id string, cause int) {
	if id == s.snoop || id == s.leg || id == s.other {
		reason := errors.New("your phone hung up")
		if !s.answered {
			reason = ringFailure(s.device, cause)
		}
		a.endMonitor(s, reason)
	}
}

// ringFailure says why a supervisor's phone did not come to the call, from
// the hang-up cause of its leg.
func ringFailure(device string, cause int) error {
	switch cause {
	case 17:
		return monitorErr(queue.ErrConflict, "your phone %s is busy", device)
	case 18, 19:
		return monitorErr(queue.ErrConflict, "your phone %s did not answer", device)
	case 20, 27, 3:
		return monitorErr(queue.ErrConflict, "your phone %s is not reachable (not registered?)", device)
	case 21:
		return monitorErr(queue.ErrConflict, "your phone %s declined the call", device)
	}
	return monitorErr(queue.ErrConflict, "your phone %s did not come to the call (cause %d)", device, cause)
}

// endMonitorsOf ends every session on a call that ended.
func (a *App) endMonitorsOf(caller string) {
	for _, s := range a.monitors {
		if s.caller == caller {
			a.endMonitor(s, monitorErr(queue.ErrNotFound, "call %s ended", caller))
		}
	}
}

// monitorError is a refusal a supervisor reads as it is: its text alone,
// its kind (queue.ErrConflict, ErrNotFound...) for the status.
type monitorError struct {
	msg  string
	kind error
}

func (e *monitorError) Error() string { return e.msg }
func (e *monitorError) Unwrap() error { return e.kind }

func monitorErr(kind error, format string, args ...any) error {
	return &monitorError{msg: fmt.Sprintf(format, args...), kind: kind}
}
