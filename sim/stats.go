package sim

import "sync/atomic"

// Stats counts what became of the simulated calls; safe to read while the
// simulation runs.
type Stats struct {
	started      atomic.Int64
	failed       atomic.Int64
	stasisFailed atomic.Int64
	answered     atomic.Int64
	abandoned    atomic.Int64
	continued    atomic.Int64
	callerEnded  atomic.Int64
	farEnded     atomic.Int64
	cancelled    atomic.Int64
	phoneCalls   atomic.Int64
	callbacks    atomic.Int64
}

// Counts is a snapshot of Stats.
type Counts struct {
	// Started callers dialled in; Failed could not (aritest refused the call).
	Started int64 `json:"started"`
	Failed  int64 `json:"failed"`
	// StasisFailed found no application connected (STASISSTATUS=FAILED).
	StasisFailed int64 `json:"stasis_failed"`
	// Answered were bridged with someone.
	Answered int64 `json:"answered"`
	// Abandoned hung up, out of patience, before anyone answered.
	Abandoned int64 `json:"abandoned"`
	// Continued left Stasis for the dialplan (timeout, full queue, exit key...).
	Continued int64 `json:"continued"`
	// CallerEnded were answered and hung up by the caller after talking;
	// FarEnded were hung up from the other side (the agent, or stasisq).
	CallerEnded int64 `json:"caller_ended"`
	FarEnded    int64 `json:"far_ended"`
	// Cancelled were still in progress when the simulation stopped.
	Cancelled int64 `json:"cancelled"`
	// InProgress callers have not finished yet.
	InProgress int64 `json:"in_progress"`
	// PhoneCalls is how many times a simulated phone was dialled.
	PhoneCalls int64 `json:"phone_calls"`
	// Callbacks asked to be called back and were let go by stasisq.
	Callbacks int64 `json:"callbacks"`
}

// Snapshot reads every counter. Counters are read one by one, so a snapshot
// taken while calls finish may be off by a call or two between fields.
func (s *Stats) Snapshot() Counts {
	c := Counts{
		Failed:       s.failed.Load(),
		StasisFailed: s.stasisFailed.Load(),
		Answered:     s.answered.Load(),
		Abandoned:    s.abandoned.Load(),
		Continued:    s.continued.Load(),
		CallerEnded:  s.callerEnded.Load(),
		FarEnded:     s.farEnded.Load(),
		Cancelled:    s.cancelled.Load(),
		PhoneCalls:   s.phoneCalls.Load(),
		Callbacks:    s.callbacks.Load(),
	}
	// Read started last so InProgress is never negative.
	c.Started = s.started.Load()
	c.InProgress = max(0, c.Started-c.finished())
	return c
}

// finished counts each finished call once: every end is exactly one of these.
func (c Counts) finished() int64 {
	return c.StasisFailed + c.Abandoned + c.Continued + c.CallerEnded + c.FarEnded + c.Cancelled + c.Callbacks
}
