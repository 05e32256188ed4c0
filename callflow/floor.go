package callflow

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"stasisq/queue"
)

// The App is the ui.Floor: every method runs on the loop and waits for it.

// Snapshot returns a deep copy of the live state.
func (a *App) Snapshot(ctx context.Context) (queue.Snapshot, error) {
	var s queue.Snapshot
	if err := a.do(ctx, func() { s = a.snapshot() }); err != nil {
		// ctx ended: the loop may still be writing s (do's fn runs on).
		return queue.Snapshot{}, err
	}
	return s, nil
}

// Do applies an engine command (pause, reorder, move, pick, login...).
func (a *App) Do(ctx context.Context, in queue.Input) error {
	var applyErr error
	err := a.do(ctx, func() {
		applyErr = a.apply(in)
	})
	if err != nil {
		return err
	}
	return applyErr
}

// HangupCaller hangs a caller up for a supervisor, waiting or connected.
func (a *App) HangupCaller(ctx context.Context, caller queue.CallerID) error {
	var cmdErr error
	err := a.do(ctx, func() {
		leg, ok := a.legOf(caller)
		if !ok {
			if a.engine.HoldsPlace(caller) { // a callback: no line to hang up
				if err := a.apply(queue.Remove{Caller: caller, Reason: queue.LeftHungUp}); err != nil {
					cmdErr = fmt.Errorf("hang up %s: %w", caller, err)
				}
				return
			}
			cmdErr = fmt.Errorf("hang up %s: %w", caller, queue.ErrUnknownCaller)
			return
		}
		if a.talking(leg) {
			// The call ends through the normal flow when the channel goes.
			a.submitHangup(leg.id, "caller")
			return
		}
		if err := a.apply(queue.Remove{Caller: caller, Reason: queue.LeftHungUp}); err != nil {
			cmdErr = fmt.Errorf("hang up %s: %w", caller, err)
			return
		}
		a.hangupCaller(leg.caller)
	})
	if err != nil {
		return err
	}
	return cmdErr
}

// RedirectCaller takes a waiting caller out of its queue and continues it in
// the dialplan at target: "context,exten,priority", "context,exten" or an
// extension in the context the caller came from; only to a context and
// extension allowed lists (queue.ErrForbidden otherwise).
func (a *App) RedirectCaller(ctx context.Context, caller queue.CallerID, target string, allowed queue.RedirectTargets) error {
	var cmdErr error
	err := a.do(ctx, func() {
		leg, ok := a.legOf(caller)
		if !ok && a.engine.HoldsPlace(caller) {
			cmdErr = fmt.Errorf("redirect %s: a callback holding its place has no line to send on: %w", caller, queue.ErrNotAllowed)
			return
		}
		if !ok {
			cmdErr = fmt.Errorf("redirect %s: %w", caller, queue.ErrUnknownCaller)
			return
		}
		dctx, exten, prio, err := parseTarget(target, leg.context)
		if err != nil {
			cmdErr = fmt.Errorf("redirect %s: %w", caller, err)
			return
		}
		if !allowed.Allows(dctx, exten) {
			cmdErr = fmt.Errorf("redirect %s to %s,%s: not on the admin's list of redirect targets: %w", caller, dctx, exten, queue.ErrForbidden)
			return
		}
		if a.talking(leg) {
			cmdErr = fmt.Errorf("redirect %s: caller is talking to an agent: %w", caller, queue.ErrNotAllowed)
			return
		}
		// The engine's Exit carries the target: one continue, as for an
		// exit key (two would race, and the first one, after Stasis(), won).
		if err := a.apply(queue.Remove{Caller: caller, Reason: queue.LeftContinued, Context: dctx, Exten: exten, Priority: prio}); err != nil {
			cmdErr = fmt.Errorf("redirect %s: %w", caller, err)
		}
	})
	if err != nil {
		return err
	}
	return cmdErr
}

func parseTarget(target, defaultContext string) (dctx, exten string, prio int, err error) {
	parts := strings.Split(strings.TrimSpace(target), ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	prio = 1
	switch len(parts) {
	case 1:
		dctx, exten = defaultContext, parts[0]
	case 2:
		dctx, exten = parts[0], parts[1]
	case 3:
		dctx, exten = parts[0], parts[1]
		if prio, err = strconv.Atoi(parts[2]); err != nil || prio < 1 {
			return "", "", 0, fmt.Errorf("priority %q: %w", parts[2], queue.ErrInvalid)
		}
	default:
		return "", "", 0, fmt.Errorf("target %q: %w", target, queue.ErrInvalid)
	}
	if exten == "" {
		return "", "", 0, fmt.Errorf("target %q has no extension: %w", target, queue.ErrInvalid)
	}
	return dctx, exten, prio, nil
}
