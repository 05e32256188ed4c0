package queue

import (
	"slices"
	"strings"
	"time"
)

// Outcomes of a call record besides the LeaveReason values a caller
// can leave with unanswered (abandoned, timeout, exit, leaveempty, continued,
// hungup, lost).
const (
	OutcomeWaiting   = "waiting"   // in the queue
	OutcomeConnected = "connected" // talking to an agent
	OutcomeCompleted = "completed" // answered, then hung up
	OutcomeRefused   = "refused"   // never queued; Status says why
	// OutcomeReturned: hung up while waiting, then called back within the
	// queue's AbandonResume window and took its place again; ReturnedAs
	// is the visit that went on (whose ReturnOf points back here).
	OutcomeReturned = "returned"
	// OutcomeTransferred: answered, then transferred from the agent's phone;
	// Transfer says where to. It counts as answered, its talk until the
	// transfer.
	OutcomeTransferred = "transferred"
)

// CallTransfer is a connected call transferred away from the agent's phone.
type CallTransfer struct {
	At       time.Time `json:"at"`
	By       Party     `json:"by"`
	Exten    string    `json:"exten,omitempty"`
	Context  string    `json:"context,omitempty"`
	Attended string    `json:"attended,omitempty"` // attended transfer: where to, as queue_log says it
}

// CallMove is a supervisor moving a waiting caller to another
type CallMove struct {
	At       time.Time `json:"at"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	KeepWait bool      `json:"keep_wait"`
}

// CallRecord is one caller's visit: from joining (or being refused) to
// leaving the queue unanswered or ending the call with an agent. A channel
// that enters the application again gets a new record.
type CallRecord struct {
	ID       string   `json:"id"` // time-ordered: join time then caller id
	Caller   CallerID `json:"caller"`
	Queue    string   `json:"queue"` // the queue it is (or was last) in
	Number   string   `json:"number"`
	Name     string   `json:"name"`
	Priority int      `json:"priority"`

	JoinedAt    time.Time `json:"joined_at"`
	FirstRingAt time.Time `json:"first_ring_at,omitzero"`
	AnsweredAt  time.Time `json:"answered_at,omitzero"`
	LeftAt      time.Time `json:"left_at,omitzero"`  // left the queue, answered or not
	EndedAt     time.Time `json:"ended_at,omitzero"` // visit over: left unanswered, or call ended

	Agent        AgentID       `json:"agent,omitempty"`
	Outcome      string        `json:"outcome"`
	Status       QueueStatus   `json:"status,omitempty"` // for OutcomeRefused
	ExitKey      string        `json:"exit_key,omitempty"`
	CompletedBy  Party         `json:"completed_by,omitempty"`
	JoinPosition int           `json:"join_position"`
	ExitPosition int           `json:"exit_position"`
	Wait         time.Duration `json:"wait"`      // join to leaving the queue
	RingTime     time.Duration `json:"ring_time"` // of the offer that was answered
	Talk         time.Duration `json:"talk"`
	Offers       int           `json:"offers"`     // agents rung
	Unanswered   int           `json:"unanswered"` // offers that failed (not canceled)
	Moves        []CallMove    `json:"moves,omitempty"`
	Resumed      bool          `json:"resumed,omitempty"` // carried across a restart of stasisq
	// ReturnOf is the visit this one took the place of (abandon-resume);
	// ReturnedAs the visit that took this one's, when it is OutcomeReturned.
	ReturnOf   CallerID      `json:"return_of,omitempty"`
	ReturnedAs CallerID      `json:"returned_as,omitempty"`
	Transfer   *CallTransfer `json:"transfer,omitempty"`
	// Recording is the call's recording, if it was recorded.
	Recording *CallRecording `json:"recording,omitempty"`
	// Monitors are the supervisors who listened to, whispered into or
	// joined the call.
	Monitors []MonitorSession `json:"monitors,omitempty"`
	// Callback is the callback the caller asked for, with every try.
	Callback *CallRecordCallback `json:"callback,omitempty"`
	// Announcements are the prompts played to the caller while it waited
	// (the first maxAnnouncements; Announced counts them all).
	Announcements []CallAnnouncement `json:"announcements,omitempty"`
	Announced     int                `json:"announced,omitempty"`
	// Rings are the agents rung, in order, with how each ring ended (the
	// first maxRings of them; Offers counts them all).
	Rings []CallRing `json:"rings,omitempty"`
}

// Open reports whether the visit is still going on.
func (r CallRecord) Open() bool { return r.EndedAt.IsZero() }

// NewCallRecord is the record a caller's visit opens: from its CallerJoined
// or CallerRefused. A resumed join goes on with the caller's open record
// (Apply) and opens one only when that was lost. id is the store's key.
func NewCallRecord(id string, ev Event) (CallRecord, bool) {
	switch e := ev.(type) {
	case CallerJoined:
		return CallRecord{
			ID: id, Caller: e.Caller, Queue: e.Queue, Number: e.Number, Name: e.Name,
			Priority: e.Priority, JoinedAt: e.VisitStart(), JoinPosition: e.Position,
			Outcome: OutcomeWaiting, Resumed: e.Resumed, Recording: joinRecording(e), ReturnOf: e.ReturnOf,
		}, true
	case CallerRefused:
		return CallRecord{
			ID: id, Caller: e.Caller, Queue: e.Queue, Number: e.Number, Name: e.Name,
			JoinedAt: e.At, EndedAt: e.At, Outcome: OutcomeRefused, Status: e.Status,
		}, true
	}
	return CallRecord{}, false
}

// RecordCaller is the caller whose record ev changes, for the events that
// change one after it is opened.
func RecordCaller(ev Event) (CallerID, bool) {
	switch e := ev.(type) {
	case CallerJoined:
		return e.Caller, e.Resumed
	case OfferStarted:
		return e.Caller, true
	case OfferEnded:
		return e.Caller, true
	case CallerLeft:
		return e.Caller, true
	case CallConnected:
		return e.Caller, true
	case RecordingChanged:
		return e.Caller, true
	case CallMonitored:
		return e.Caller, true
	case CallerAnnounced:
		return e.Caller, true
	case CallerReturned:
		return e.Caller, true
	case CallbackRequested:
		return e.Caller, true
	case CallbackAttempt:
		return e.Caller, true
	case CallbackAttemptEnded:
		return e.Caller, true
	case CallCompleted:
		return e.Caller, true
	case CallerTransferred:
		return e.Caller, true
	case CallerMoved:
		return e.Caller, true
	case CallerPriorityChanged:
		return e.Caller, true
	}
	return "", false
}

// Apply folds one event about the record's caller into it: the one
// definition of what a call record says, for the store to persist.
func (r *CallRecord) Apply(ev Event) {
	switch e := ev.(type) {
	case CallerJoined: // resumed after a restart: the visit goes on
		r.Resumed = true
		r.Queue = e.Queue
		r.Priority = e.Priority
	case OfferStarted:
		r.Offers++
		if r.FirstRingAt.IsZero() {
			r.FirstRingAt = e.At
		}
		if len(r.Rings) < maxRings {
			r.Rings = append(r.Rings, CallRing{Agent: e.Agent, At: e.At})
		}
	case OfferEnded:
		if e.Result != "answered" && e.Result != "canceled" {
			r.Unanswered++
		}
		for i := len(r.Rings) - 1; i >= 0; i-- {
			if g := &r.Rings[i]; g.Agent == e.Agent && g.Result == "" {
				g.Result, g.Ended = e.Result, e.At
				break
			}
		}
	case CallerLeft:
		r.LeftAt = e.At
		r.ExitPosition = e.Position
		if e.JoinPos > 0 {
			r.JoinPosition = e.JoinPos
		}
		r.Wait = e.Wait
		if e.Reason == LeftAnswered {
			r.Agent = e.Agent
			return
		}
		r.Outcome = string(e.Reason)
		r.EndedAt = e.At
		r.ExitKey = e.Key
	case CallConnected:
		r.AnsweredAt = e.At
		r.Agent = e.Agent
		r.Outcome = OutcomeConnected
		r.RingTime = e.RingTime
		if e.Wait > 0 {
			r.Wait = e.Wait
		}
		if e.Recording != nil {
			r.Recording = &CallRecording{Name: e.Recording.Name, Format: e.Recording.Format, State: RecordingActive, StartedAt: e.At}
		}
	case RecordingChanged:
		r.applyRecording(e)
	case CallMonitored:
		r.applyMonitor(e)
	case CallerReturned:
		r.Outcome = OutcomeReturned
		r.ReturnedAs = e.AsCaller
	case CallbackRequested:
		r.Callback = &CallRecordCallback{Number: e.Number, Mode: e.Mode, RequestedAt: e.At}
	case CallbackAttempt:
		if r.Callback == nil { // the request was lost: the tries still count
			r.Callback = &CallRecordCallback{Number: e.Number}
		}
		if len(r.Callback.Tries) < maxRings {
			r.Callback.Tries = append(r.Callback.Tries, CallbackTry{At: e.At, Agent: e.Agent})
		}
	case CallbackAttemptEnded:
		if cb := r.Callback; cb != nil && e.Attempt >= 1 && e.Attempt <= len(cb.Tries) {
			cb.Tries[e.Attempt-1].Result, cb.Tries[e.Attempt-1].Ended = e.Result, e.At
		}
	case CallerAnnounced:
		r.Announced++
		if len(r.Announcements) < maxAnnouncements {
			r.Announcements = append(r.Announcements, CallAnnouncement{At: e.At, Kind: e.Announcement, Position: e.Position})
		}
	case CallCompleted:
		r.EndedAt = e.At
		r.Talk = e.Talk
		r.CompletedBy = e.By
		r.Outcome = OutcomeCompleted
		if e.By == PartyTransfer {
			r.Outcome = OutcomeTransferred
		}
		if e.Agent != "" {
			r.Agent = e.Agent
		}
	case CallerTransferred:
		r.Transfer = &CallTransfer{At: e.At, By: e.By, Exten: e.Exten, Context: e.Context, Attended: e.Attended}
		r.Outcome = OutcomeTransferred
		r.Talk = e.Talk
		if e.Agent != "" {
			r.Agent = e.Agent
		}
	case CallerMoved:
		r.Moves = append(r.Moves, CallMove{At: e.At, From: e.From, To: e.To, KeepWait: e.KeepWait})
		r.Queue = e.To
	case CallerPriorityChanged:
		r.Priority = e.Priority
	}
}

// CallQuery selects call records by join time, From inclusive and To
// exclusive (zero means unbounded), and queue (empty means all; a record
// matches a queue it is in or was moved from). Limit 0 means no limit.
type CallQuery struct {
	From, To time.Time
	Queue    string
	Limit    int
	// Number matches a caller number containing it (digits compared, so
	// "+44 20" finds 442079...); Agent the agent who answered or was rung;
	// Outcome the record's outcome. Empty matches all.
	Number  string
	Agent   AgentID
	Outcome string
}

// Matches reports whether r is in the query's queue and matches its
// number, agent and outcome; the join-time range is the store's to check,
// as it walks its index over that range.
func (q CallQuery) Matches(r CallRecord) bool {
	if q.Outcome != "" && r.Outcome != q.Outcome {
		return false
	}
	if q.Agent != "" && r.Agent != q.Agent && !slices.ContainsFunc(r.Rings, func(g CallRing) bool { return g.Agent == q.Agent }) {
		return false
	}
	if d := Digits(q.Number); q.Number != "" && (d == "" || !strings.Contains(Digits(r.Number), d)) {
		return false
	}
	if q.Queue == "" || r.Queue == q.Queue {
		return true
	}
	for _, m := range r.Moves {
		if m.From == q.Queue {
			return true
		}
	}
	return false
}

// Digits is s with everything but the ASCII digits taken out: how call
// search compares numbers ("+44 20" finds 442079...).
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// CallRing is one agent rung for the call, in the record's timeline.
type CallRing struct {
	Agent  AgentID   `json:"agent"`
	At     time.Time `json:"at"`
	Result string    `json:"result,omitempty"` // answered, noanswer, busy, declined, canceled...; "" while ringing
	Ended  time.Time `json:"ended,omitzero"`
}

// CallRecordCallback is a caller's keep-my-place callback: the number it
// asked to be called at, the mode, and each try (at most maxRings).
type CallRecordCallback struct {
	Number      string        `json:"number"`
	Mode        string        `json:"mode,omitempty"`
	RequestedAt time.Time     `json:"requested_at,omitzero"`
	Tries       []CallbackTry `json:"tries,omitempty"`
}

// CallbackTry is one dialling of the customer: Agent waited on the line
// (agent first); Result is answered or why it failed, "" while it rings.
type CallbackTry struct {
	At     time.Time `json:"at"`
	Agent  AgentID   `json:"agent,omitempty"`
	Result string    `json:"result,omitempty"`
	Ended  time.Time `json:"ended,omitzero"`
}

// CallAnnouncement is one prompt played to a waiting caller, in the
// record's timeline: Kind is AnnouncePosition or AnnouncePeriodic.
type CallAnnouncement struct {
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Position int       `json:"position"`
}

// maxAnnouncements bounds them as maxRings bounds the rings: an hour's
// wait with a prompt every 30 s is 120.
const maxAnnouncements = 50

// maxRings bounds a record's timeline: a caller waiting an hour in a
// ringall queue of twenty rings hundreds of times; the count stays exact.
const maxRings = 50

// applyRecording folds a change of the call's recording into the record.
func (r *CallRecord) applyRecording(e RecordingChanged) {
	rec := r.Recording
	if rec == nil || rec.Name != e.Name {
		if e.State != RecordingActive {
			// A report on a recording the record does not name (its start
			// lost in a crash): keep what Asterisk said of it.
			rec = &CallRecording{Name: e.Name, Format: e.Format}
		} else {
			rec = &CallRecording{Name: e.Name, Format: e.Format, StartedAt: e.At}
		}
		r.Recording = rec
	}
	endPause := func() {
		if n := len(rec.Pauses); n > 0 && rec.Pauses[n-1].Until.IsZero() {
			rec.Pauses[n-1].Until = e.At
		}
	}
	switch e.State {
	case RecordingActive:
		endPause()
	case RecordingPaused:
		rec.Pauses = append(rec.Pauses, RecordingPause{At: e.At, By: e.By})
	case RecordingDone:
		endPause()
		rec.Duration = e.Duration
	case RecordingFailure:
		endPause()
		rec.Error = e.Reason
	case RecordingDeleted:
		rec.DeletedAt = e.At
		rec.DeletedBy = e.By
	}
	if e.Format != "" {
		rec.Format = e.Format
	}
	rec.State = e.State
}

// applyMonitor folds a supervisor's joining, switching or leaving into
// the record: one session per supervisor until it leaves.
func (r *CallRecord) applyMonitor(e CallMonitored) {
	for i := len(r.Monitors) - 1; i >= 0; i-- {
		m := &r.Monitors[i]
		if m.Supervisor != e.Supervisor || !m.Until.IsZero() {
			continue
		}
		if e.Mode == "" {
			m.Until = e.At
		} else if m.Modes[len(m.Modes)-1] != e.Mode {
			m.Modes = append(m.Modes, e.Mode)
		}
		return
	}
	if e.Mode != "" {
		r.Monitors = append(r.Monitors, MonitorSession{Supervisor: e.Supervisor, Modes: []string{e.Mode}, From: e.At})
	}
}

func joinRecording(e CallerJoined) *CallRecording {
	if e.Recording == nil {
		return nil
	}
	return &CallRecording{Name: e.Recording.Name, Format: e.Recording.Format, State: RecordingActive, StartedAt: e.At}
}
