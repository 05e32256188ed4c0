package callflow

import (
	"context"
	"math"

	"stasisq/ari"
	"stasisq/queue"
)

// Callbacks: the engine's DialCallback calls a customer who asked to be
// called back (queue/callback.go). The customer's channel is originated
// into the application with "callback,<caller>", so that its StasisStart
// (its answer) and a later run's reconcile know whose it is; its ids are
// "sqk-<run>-<n>-1" (in the application once answered) and "-2". Until the
// answer it is a callbackLeg, whose end is CallbackFailed; answered it
// becomes the caller's leg (a.callers by its channel, cbChan from the
// engine's caller to it), through which every later action for the caller
// goes, as for any caller.

// CallbackArg is the first Stasis argument of a callback's customer leg.
const CallbackArg = "callback"

// callbackLeg is a customer's leg being dialled.
type callbackLeg struct {
	caller    queue.CallerID
	queue     string
	id, other string
	status    string // the last Dial status
	answered  bool
	ended     bool
	seq       uint64 // a.seq when dialled: a reconcile's view older than it does not judge it
}

func (a *App) dialCallback(e queue.DialCallback) {
	base := a.nextID("k", a.callbackServer(e.Caller))
	leg := &callbackLeg{caller: e.Caller, queue: e.Queue, id: base + "-1", other: base + "-2", seq: a.seq}
	a.callbacks[leg.id] = leg
	a.callbacks[leg.other] = leg
	a.cbChan[e.Caller] = leg.id
	req := ari.OriginateRequest{
		ChannelID:      leg.id,
		OtherChannelID: leg.other,
		Endpoint:       e.Endpoint,
		App:            a.cfg.App,
		AppArgs:        []string{CallbackArg, string(e.Caller)},
		CallerID:       e.CallerID,
		Timeout:        int(math.Ceil(e.Timeout.Seconds())),
		Formats:        "ulaw",
	}
	caller := e.Caller
	a.exec.Submit(leg.id, func(ctx context.Context) {
		err := a.originate(ctx, req, "callback leg")
		if err == nil {
			return
		}
		a.log.Warn("originate callback", "caller", caller, "endpoint", req.Endpoint, "err", err)
		a.post(func() { a.callbackEnded(leg, queue.RingError) })
	})
}

// callbackAnswered: the customer picked up (its leg's StasisStart).
func (a *App) callbackAnswered(ch ari.Channel, caller queue.CallerID) {
	leg, ok := a.callbacks[ch.ID]
	if !ok || leg.caller != caller || leg.id != ch.ID || leg.ended || leg.answered {
		a.submitHangup(ch.ID, "unwanted callback leg")
		return
	}
	leg.answered = true
	a.forgetCallbackLeg(leg)
	a.callers[ch.ID] = &callerLeg{id: ch.ID, caller: caller, queue: leg.queue, context: ch.Dialplan.Context, seq: a.seq, answered: true}
	a.cbChan[caller] = ch.ID
	if err := a.apply(queue.CallbackAnswered{Caller: caller}); err != nil {
		// The engine is done with it (removed by a supervisor meanwhile).
		a.log.Info("callback answered after its caller left", "caller", caller, "err", err)
		a.hangupCaller(caller)
	}
}

// callbackLegGone: a customer's leg ended before its answer.
func (a *App) callbackLegGone(leg *callbackLeg, id string, cause int) {
	if id != leg.id {
		delete(a.callbacks, id) // the ;2 half: the ;1 half follows with the cause
		return
	}
	if cause < 0 {
		cause = 0
	}
	a.callbackEnded(leg, causeFailure(leg.status, cause))
}

// callbackEnded reports a try that failed, once.
func (a *App) callbackEnded(leg *callbackLeg, reason queue.RingFailure) {
	if leg.ended || leg.answered {
		return
	}
	leg.ended = true
	a.forgetCallbackLeg(leg)
	if a.cbChan[leg.caller] == leg.id {
		delete(a.cbChan, leg.caller)
	}
	a.applyQuiet(queue.CallbackFailed{Caller: leg.caller, Reason: reason})
}

func (a *App) forgetCallbackLeg(leg *callbackLeg) {
	delete(a.callbacks, leg.id)
	delete(a.callbacks, leg.other)
}

// hangupCallback hangs up the customer's leg of c while it rings (the
// engine let the callback go: a supervisor removed it); it reports whether
// c had one.
func (a *App) hangupCallback(c queue.CallerID) bool {
	id, ok := a.cbChan[c]
	if !ok {
		return false
	}
	leg, ringing := a.callbacks[id]
	if !ringing {
		return false // answered: an ordinary leg of the caller's now
	}
	leg.ended = true
	a.forgetCallbackLeg(leg)
	delete(a.cbChan, c)
	a.submitHangup(leg.id, "callback no longer wanted")
	return true
}

// callbackDial records a Dial event's status for the leg that dials.
func (a *App) callbackDial(peer, status string) bool {
	leg, ok := a.callbacks[peer]
	if !ok || leg.answered || leg.ended {
		return ok
	}
	leg.status = status
	return true
}

// callbackServer is where a callback's customer is dialled: the server the
// caller first called, or while that one is down the first one up.
func (a *App) callbackServer(c queue.CallerID) string {
	if s := serverOf(string(c)); a.up[s] {
		return s
	}
	for _, s := range a.ari.names() {
		if a.up[s] {
			return s
		}
	}
	return serverOf(string(c))
}
