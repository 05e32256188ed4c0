package sim

import (
	"context"
	"math/rand/v2"
	"time"

	"stasisq/ari/aritest"
)

// AgentSpec describes a simulated agent's phone.
type AgentSpec struct {
	Device string // endpoint, e.g. PJSIP/sim-001
	// AnswerAfter is the mean ring time before answering; each call draws
	// uniformly from [AnswerAfter/2, 3*AnswerAfter/2).
	AnswerAfter time.Duration
	// TalkMean is the mean time before the agent hangs up; 0 leaves the
	// hanging up to the caller.
	TalkMean time.Duration
	// NoAnswerProb and BusyProb are the chances that a call rings out or
	// finds the phone busy.
	NoAnswerProb, BusyProb float64
}

// phoneBehavior draws how the phone takes one call.
func phoneBehavior(r *rand.Rand, a AgentSpec) aritest.DeviceBehavior {
	u := r.Float64()
	switch {
	case u < a.BusyProb:
		return aritest.DeviceBehavior{Action: aritest.Busy}
	case u < a.BusyProb+a.NoAnswerProb:
		return aritest.DeviceBehavior{Action: aritest.NoAnswer}
	}
	return aritest.DeviceBehavior{
		Action:  aritest.Answer,
		After:   jitter(r, a.AnswerAfter),
		TalkFor: talkTime(r, a.TalkMean),
	}
}

// Device states as Asterisk names them.
const (
	stateIdle    = "NOT_INUSE"
	stateRinging = "RINGING"
	stateInUse   = "INUSE"
)

// phone tracks one simulated device between polls.
type phone struct {
	spec AgentSpec
	// last is the device state seen at the previous poll.
	last string
	// current is the behaviour the device has now; busyUntil is when a Busy
	// behaviour is redrawn, since a busy phone never leaves NOT_INUSE and so
	// gives no sign that it took a call.
	current   aritest.DeviceBehavior
	busyUntil time.Time
}

// phoneBank gives each device a fresh behaviour for each call. aritest reads
// a device's behaviour when the device is dialled and keeps it for that call,
// so drawing a new one as soon as the device is seen ringing or in use gives
// the next call its own; a per-call hook in aritest would make this exact.
type phoneBank struct {
	srv    *aritest.Server
	dice   *dice
	stats  *Stats
	phones []*phone
	every  time.Duration
}

func newPhoneBank(srv *aritest.Server, d *dice, st *Stats, specs []AgentSpec, every time.Duration) *phoneBank {
	b := &phoneBank{srv: srv, dice: d, stats: st, every: every}
	now := time.Now()
	for _, s := range specs {
		p := &phone{spec: s, last: stateIdle}
		b.redraw(p, now)
		b.phones = append(b.phones, p)
	}
	return b
}

func (b *phoneBank) redraw(p *phone, now time.Time) {
	b.dice.with(func(r *rand.Rand) {
		p.current = phoneBehavior(r, p.spec)
		if p.current.Action == aritest.Busy {
			// The person is on another line for a little while.
			p.busyUntil = now.Add(jitter(r, 2*max(p.spec.AnswerAfter, 50*time.Millisecond)))
		}
	})
	b.srv.SetDevice(p.spec.Device, p.current)
}

// run polls the devices until ctx ends.
func (b *phoneBank) run(ctx context.Context) {
	if len(b.phones) == 0 {
		return
	}
	t := time.NewTicker(b.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			b.poll(now)
		}
	}
}

func (b *phoneBank) poll(now time.Time) {
	for _, p := range b.phones {
		st := b.srv.DeviceStateOf(p.spec.Device)
		prev := p.last
		p.last = st
		newCall := st != prev && (st == stateRinging || (st == stateInUse && prev != stateRinging))
		switch {
		case newCall:
			b.stats.phoneCalls.Add(1)
			b.redraw(p, now)
		case p.current.Action == aritest.Busy && now.After(p.busyUntil):
			b.redraw(p, now)
		}
	}
}
