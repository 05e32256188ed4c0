package callflow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Shared hold music (Config.SharedHold): the callers of one music class on
// one server wait in one holding bridge with bridge MOH, so that Asterisk
// plays one stream of music for all of them instead of one per caller
// (callers in a holding bridge hear the music, not each other). Measured
// in README "real Asterisk, side by side".
//
// A holding bridge's MOH stops for good when the bridge empties
// (../shared/ari/README.md), and restarting it races that. So a bridge
// lives while it has callers: the last one out has it destroyed, and the
// next caller gets a new one (a new id) with its music started afresh.
// The loop counts a bridge's callers; joining and leaving are decided
// there, the REST calls made on the executor.
//
// Announcements play to the caller's channel in the bridge, which
// suspends the bridge's music for that caller alone until it ends; an
// agent's mixing bridge takes the caller out of the holding bridge in the
// same addChannel, so connecting costs no "stop music" request.

// holdBridge is one holding bridge of waiting callers.
type holdBridge struct {
	id, key, class string
	callers        int // loop-owned: callers joined and not yet released

	// made runs once, on the executor, for whichever caller gets there
	// first; the others wait for it.
	made sync.Once
	err  error // set by made
}

func holdKey(server, class string) string { return server + "\x00" + class }

// joinHold gives the caller on channel id, of music class, a place in its
// server's holding bridge for the class, made when there is none. Loop
// only.
func (a *App) joinHold(leg *callerLeg, class string) *holdBridge {
	if leg.hold != nil {
		if leg.hold.class == class {
			return leg.hold
		}
		a.releaseHold(leg)
	}
	server := serverOf(leg.id)
	key := holdKey(server, class)
	hb := a.holds[key]
	if hb == nil {
		hb = &holdBridge{id: a.nextID("h", server), key: key, class: class}
		a.holds[key] = hb
	}
	hb.callers++
	leg.hold = hb
	return hb
}

// releaseHold takes the caller out of its holding bridge's count; the
// last one out has the bridge destroyed (the caller itself leaves it by
// the request that follows: a mixing bridge's addChannel, continue, or
// hang-up). Loop only.
func (a *App) releaseHold(leg *callerLeg) {
	hb := leg.hold
	if hb == nil {
		return
	}
	leg.hold = nil
	hb.callers--
	if hb.callers > 0 {
		return
	}
	if a.holds[hb.key] == hb {
		delete(a.holds, hb.key)
	}
	a.exec.Submit(hb.id, func(ctx context.Context) {
		hb.made.Do(func() { hb.err = errHoldNeverMade }) // nobody made it: nothing to destroy
		if hb.err == nil {
			a.destroy(ctx, hb.id)
		}
	})
}

// errHoldNeverMade: every caller of the bridge left before one made it.
var errHoldNeverMade = errors.New("holding bridge never made: its callers left first")

// enterHold puts the caller's channel in hb, making the bridge and
// starting its music first if no caller has. On the caller's lane.
func (a *App) enterHold(ctx context.Context, hb *holdBridge, id string) error {
	hb.made.Do(func() {
		hb.err = retry(ctx, 3, func() error {
			_, err := a.ari.CreateBridge(ctx, hb.id, "holding", "stasisq-hold-"+hb.class)
			return err
		})
		if hb.err == nil {
			hb.err = a.ari.StartBridgeMOH(ctx, hb.id, hb.class)
			if hb.err != nil {
				a.destroy(ctx, hb.id)
			}
		}
		if hb.err != nil {
			hb.err = fmt.Errorf("make holding bridge %s for music class %q: %w", hb.id, hb.class, hb.err)
		}
	})
	if hb.err != nil {
		return hb.err
	}
	return a.ari.AddChannel(ctx, hb.id, id, "")
}

func ownHold(id string) bool { return strings.HasPrefix(localOf(id), holdPrefix) }
