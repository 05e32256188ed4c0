package sim

import (
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
const stateIdle = "NOT_INUSE"

// configurePhones gives each device a function that aritest calls once per
// dial, so every call draws its own behaviour (answer after a while, ring
// out, busy) and is counted.
func configurePhones(srv *aritest.Server, d *dice, st *Stats, specs []AgentSpec) {
	for _, spec := range specs {
		srv.SetDeviceFunc(spec.Device, func() aritest.DeviceBehavior {
			st.phoneCalls.Add(1)
			var b aritest.DeviceBehavior
			// aritest holds its lock while calling this; dice never waits on
			// the server, so the two locks cannot deadlock.
			d.with(func(r *rand.Rand) { b = phoneBehavior(r, spec) })
			return b
		})
	}
}
