package callflow

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"stasisq/ari"
	"stasisq/queue"
)

// The REST steps several parts of the flow share. They run on an executor
// lane; a channel, playback or bridge that is already gone (404) is the
// normal race with a hangup and is not reported.

// hangup hangs channel up with cause normal; what names it in the log.
// A call that never got an answer is tried again: a caller left up would
// sit in Stasis with nobody (seen when a burst filled Asterisk's HTTP
// sessions and calls failed with EOF).
//
// When every try of a round failed that way (Asterisk overloaded for
// seconds: seen at 1,200 waiting callers on two cores, requests timing
// out), later rounds follow (lateHangupWaits) on the channel's lane: a
// caller whose agent hung up would otherwise stay alone in the call's
// bridge for good. A round that finds the channel gone (404) ends it.
func (a *App) hangup(ctx context.Context, channel, what string) {
	a.hangupRounds(ctx, channel, "normal", what, 0, func(j job) { a.exec.Submit(channel, j) }, func(err error) {
		if err != nil && !errors.Is(err, ari.ErrNotFound) {
			a.log.Warn("hang up "+what, "channel", channel, "err", err)
		}
	})
}

// lateHangupWaits are the pauses before each later round of a hang-up
// whose every try got no answer.
var lateHangupWaits = []time.Duration{5 * time.Second, 15 * time.Second, 45 * time.Second}

// hangupRounds is one round of tries to hang channel up; when every try got
// no answer it has submit run the next round after its pause, and
// otherwise hands done the round's outcome: nil, a 404 (gone already), a
// 4xx (another try cannot help) or the last round's error.
func (a *App) hangupRounds(ctx context.Context, channel, reason, what string, round int, submit func(job), done func(error)) {
	err := retried(ctx, func(ctx context.Context) error { return a.ari.Hangup(ctx, channel, reason) })
	var ae *ari.Error
	answered := errors.As(err, &ae) && !errors.Is(err, ari.ErrServer)
	// Canceled (not timed out): stasisq is stopping, and a restart's
	// reconcile deals with what is left.
	stopping := errors.Is(ctx.Err(), context.Canceled)
	if err == nil || answered || stopping || round >= len(lateHangupWaits) {
		done(err)
		return
	}
	wait := lateHangupWaits[round]
	a.log.Warn("hang up "+what+": no answer from Asterisk, trying again later", "channel", channel, "in", wait, "err", err)
	time.AfterFunc(wait, func() {
		submit(func(ctx context.Context) { a.hangupRounds(ctx, channel, reason, what, round+1, submit, done) })
	})
}

// retryWaits are the pauses before each new try of an idempotent call that
// failed without an answer from Asterisk, or with a 5xx.
var retryWaits = []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, 1600 * time.Millisecond}

// retried runs call until it succeeds, Asterisk answers it with a 4xx
// (the channel is gone, the request is wrong: trying again cannot help),
// ctx ends, or the tries run out; it returns the last error.
func retried(ctx context.Context, call func(context.Context) error) error {
	err := call(ctx)
	for _, wait := range retryWaits {
		var ae *ari.Error
		if err == nil || (errors.As(err, &ae) && !errors.Is(err, ari.ErrServer)) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		err = call(ctx)
	}
	return err
}

// submitHangup queues hangup on channel's own lane.
func (a *App) submitHangup(channel, what string) {
	a.exec.Submit(channel, func(ctx context.Context) { a.hangup(ctx, channel, what) })
}

// destroy destroys one of our bridges.
func (a *App) destroy(ctx context.Context, bridge string) {
	if err := a.ari.DestroyBridge(ctx, bridge); err != nil && !errors.Is(err, ari.ErrNotFound) {
		a.log.Warn("destroy bridge", "bridge", bridge, "err", err)
	}
}

// stopPlayback stops an announcement; one that just finished is gone (404).
func (a *App) stopPlayback(ctx context.Context, playback string) {
	if err := a.ari.StopPlayback(ctx, playback); err != nil && !errors.Is(err, ari.ErrNotFound) {
		a.log.Warn("stop announcement", "playback", playback, "err", err)
	}
}

// exit is how a waiting (or just connected) caller leaves the application
// alive: what to stop, the variables app_queue would set, and where in the
// dialplan to go on ("" context: the next priority where it came from).
type exit struct {
	playing string // announcement to stop
	stopMOH bool   // its channel hold music is on
	status  queue.QueueStatus
	key     string // QUEUEEXITKEY, for an exit key
	// position is QUEUEPOSITION (0: not set); abandoned sets ABANDONED=TRUE.
	position  int
	abandoned bool
	vars      []queue.ChannelVar // setqueuevar's, set first
	context   string
	exten     string
	prio      int
}

// continueCaller stops the caller's announcement and hold music, sets
// QUEUESTATUS, QUEUEEXITKEY, QUEUEPOSITION and ABANDONED as x says (the last
// two as app_queue sets them) and continues it in the dialplan. A caller
// that hung up meanwhile ends the steps: its StasisEnd does the rest.
func (a *App) continueCaller(ctx context.Context, id string, x exit) {
	if x.playing != "" {
		a.stopPlayback(ctx, x.playing)
	}
	if x.stopMOH {
		if err := a.ari.StopMOH(ctx, id); legLeft(err) {
			return
		} else if err != nil {
			a.log.Warn("stop hold music", "caller", id, "err", err)
		}
	}
	vars := append(slices.Clone(x.vars), queue.ChannelVar{Name: "QUEUESTATUS", Value: string(x.status)})
	if x.key != "" {
		vars = append(vars, queue.ChannelVar{Name: "QUEUEEXITKEY", Value: x.key})
	}
	if x.position > 0 {
		vars = append(vars, queue.ChannelVar{Name: "QUEUEPOSITION", Value: strconv.Itoa(x.position)})
	}
	if x.abandoned {
		vars = append(vars, queue.ChannelVar{Name: "ABANDONED", Value: "TRUE"})
	}
	if !a.setVars(ctx, id, vars) {
		return
	}
	if err := retried(ctx, func(ctx context.Context) error { return a.ari.Continue(ctx, id, x.context, x.exten, x.prio, "") }); err != nil && !legLeft(err) {
		a.log.Warn("continue caller", "caller", id, "err", err)
	}
}

// setVars sets vars on channel in order; false when the channel has gone
// (the rest would fail too).
func (a *App) setVars(ctx context.Context, channel string, vars []queue.ChannelVar) bool {
	for _, v := range vars {
		if err := a.ari.SetVariable(ctx, channel, v.Name, v.Value); legLeft(err) {
			return false
		} else if err != nil {
			a.log.Warn("set "+v.Name, "channel", channel, "err", err)
		}
	}
	return true
}
