package queue

import "time"

// Event is a domain event: a fact for the store to persist and the UI to
// show. Every event is also an Effect returned by Apply. Kind is a stable name
// used on the wire and in the store.
type Event interface {
	Effect
	Kind() string
	Time() time.Time
	// Scope says whom the event concerns (see Scope).
	Scope() Scope
}

// VisitStart is when this visit began: JoinedAt, except for a returning
// caller, whose JoinedAt starts its wait clock before it called again.
func (e CallerJoined) VisitStart() time.Time {
	if e.ReturnOf != "" && !e.Resumed {
		return e.At
	}
	return e.JoinedAt
}

// LeaveReason says how a caller left its queue. Every caller that joined
// leaves exactly once.
type LeaveReason string

const (
	LeftAnswered   LeaveReason = "answered"
	LeftAbandoned  LeaveReason = "abandoned"
	LeftTimeout    LeaveReason = "timeout"
	LeftExitKey    LeaveReason = "exit"
	LeftLeaveEmpty LeaveReason = "leaveempty"
	LeftContinued  LeaveReason = "continued" // a supervisor redirected it, or its queue was removed
	LeftHungUp     LeaveReason = "hungup"    // a supervisor hung it up
	LeftLost       LeaveReason = "lost"      // gone from Asterisk while stasisq was down
)

// AgentState is an agent's state.
type AgentState string

const (
	AgentLoggedOut AgentState = "logged-out"
	AgentAvailable AgentState = "available"
	AgentPaused    AgentState = "paused"
	AgentRinging   AgentState = "ringing"
	AgentOnCall    AgentState = "on-call"
	AgentWrapUp    AgentState = "wrap-up"
)

type (
	QueueConfigured struct {
		At     time.Time
		Config QueueConfig
	}
	QueueRemoved struct {
		At    time.Time
		Queue string
	}
	AgentConfigured struct {
		At     time.Time
		Config AgentConfig
	}
	AgentRemoved struct {
		At    time.Time
		Agent AgentID
	}
	CallerJoined struct {
		At       time.Time
		Caller   CallerID
		Queue    string
		Priority int
		Number   string
		Name     string
		JoinedAt time.Time
		Position int
		Resumed  bool
		// Recording names the recording that starts with the join
		// (record_from=join), if any.
		Recording *Recording `json:",omitempty"`
		// ReturnOf is the earlier visit (its caller id) of a caller back
		// within its queue's AbandonResume window: JoinedAt then starts its
		// wait clock where that visit's stopped (now less the wait it had),
		// and the CallerReturned just before says where its place is.
		ReturnOf CallerID `json:",omitempty"`
	}
	// CallerReturned: the caller who abandoned a visit (Caller, which left
	// at LeftAt after Wait) is back as AsCaller within the queue's
	// AbandonResume window and takes its place again; the abandon no
	// longer counts, as the two visits are one call.
	CallerReturned struct {
		At       time.Time
		Caller   CallerID
		AsCaller CallerID
		Queue    string
		Number   string
		LeftAt   time.Time
		Wait     time.Duration
	}
	CallerRefused struct {
		At     time.Time
		Caller CallerID
		Queue  string
		Number string
		Name   string
		Status QueueStatus
	}
	// CallerLeft: the caller left the queue. For LeftAnswered, Agent answered.
	CallerLeft struct {
		At       time.Time
		Caller   CallerID
		Queue    string
		Reason   LeaveReason
		Position int           // position when leaving
		JoinPos  int           // position at join
		Wait     time.Duration // from JoinedAt
		Agent    AgentID
		Key      string
	}
	// QueueOrderChanged carries a queue's whole order after any change.
	QueueOrderChanged struct {
		At      time.Time
		Queue   string
		Callers []CallerID
	}
	CallerMoved struct {
		At       time.Time
		Caller   CallerID
		From, To string
		KeepWait bool
	}
	CallerPriorityChanged struct {
		At       time.Time
		Caller   CallerID
		Queue    string
		Priority int
	}
	// AgentStateChanged: Prev and PrevSince let statistics count time in state.
	AgentStateChanged struct {
		At        time.Time
		Agent     AgentID
		State     AgentState
		Reason    string // pause reason; "autopause" when the engine paused it
		Prev      AgentState
		PrevSince time.Time
		Caller    CallerID // for ringing / on-call / wrap-up
		Queue     string
	}
	AgentQueuesChanged struct {
		At             time.Time
		Agent          AgentID
		Queues         []Membership
		Added, Removed []string
	}
	// MemberPaused: the agent is paused in one queue alone (autopause=yes,
	// as app_queue pauses one member), or no longer; it stays available to
	// its other queues.
	MemberPaused struct {
		At     time.Time
		Agent  AgentID
		Queue  string
		Paused bool
		Reason string
	}
	AgentDeviceChanged struct {
		At    time.Time
		Agent AgentID
		State DeviceState
	}
	OfferStarted struct {
		At     time.Time
		Offer  OfferID
		Caller CallerID
		Agent  AgentID
		Queue  string
	}
	// OfferEnded: Result is "answered", "canceled" (caller gone or another
	// agent answered) or a RingFailure.
	OfferEnded struct {
		At       time.Time
		Offer    OfferID
		Caller   CallerID
		Agent    AgentID
		Queue    string
		Result   string
		RingTime time.Duration
	}
	CallConnected struct {
		At       time.Time
		Caller   CallerID
		Agent    AgentID
		Offer    OfferID
		Queue    string
		Wait     time.Duration
		RingTime time.Duration
		Position int
		// Recording names the call's recording (Connect.Record), if any.
		Recording *Recording `json:",omitempty"`
	}
	// RecordingChanged: a call's recording started, paused, resumed,
	// finished (Duration), failed (Reason) or was deleted. Agent and Queue
	// are empty when it came after the call ended.
	RecordingChanged struct {
		At       time.Time
		Caller   CallerID
		Record   string // the call record's ID, "" for the caller's latest (RecordingReport)
		Agent    AgentID
		Queue    string
		Name     string
		Format   string
		State    string
		Duration time.Duration
		Reason   string
		By       string
	}
	// CallMonitored: a supervisor listens to, whispers into or joins a
	// call (Mode), or left it (Mode ""). Shown: the agent is told (the
	// queue's MonitorIndicator); otherwise only supervisors see it.
	// CallerAnnounced: a waiting caller was played one of its queue's
	// announcements: Announcement AnnouncePosition (its position and/or
	// expected hold time) or AnnouncePeriodic, at Position; what it heard
	// is the Announce action's. For the call's timeline; supervisors only.
	CallerAnnounced struct {
		At           time.Time
		Caller       CallerID
		Queue        string
		Announcement string
		Position     int
	}
	// CallbackRequested: the caller confirmed a callback to Number and
	// holds its place without its channel (callback.go).
	CallbackRequested struct {
		At       time.Time
		Caller   CallerID
		Queue    string
		Number   string
		Mode     string
		Dial     string // the dial string it will be called on, {number} in it
		CallerID string
		Position int // where it holds its place
	}
	// CallbackAttempt: try Attempt (from 1) dials the customer; Agent is the
	// agent waiting on it (agent first), "" customer first.
	CallbackAttempt struct {
		At      time.Time
		Caller  CallerID
		Queue   string
		Number  string
		Attempt int
		Agent   AgentID
	}
	// CallbackAttemptEnded: the try ended: answered, or why it failed.
	CallbackAttemptEnded struct {
		At      time.Time
		Caller  CallerID
		Queue   string
		Attempt int
		Result  string
	}
	CallMonitored struct {
		At         time.Time
		Caller     CallerID
		Agent      AgentID
		Queue      string
		Supervisor string
		Mode       string
		Shown      bool
	}
	CallCompleted struct {
		At     time.Time
		Caller CallerID
		Agent  AgentID
		Queue  string
		By     Party
		Wait   time.Duration
		Talk   time.Duration
	}
	// CallerTransferred: a connected call was transferred (CallTransferred);
	// CallCompleted with By PartyTransfer follows. Wait and Talk are the
	// caller's wait before the answer and the talk until the transfer.
	CallerTransferred struct {
		At       time.Time
		Caller   CallerID
		Agent    AgentID
		Queue    string
		By       Party // who transferred: agent or caller
		Exten    string
		Context  string
		Attended string // see CallTransferred
		Wait     time.Duration
		Talk     time.Duration
	}
	// WrapUpEnded: the agent's wrap-up after a call ended.
	WrapUpEnded struct {
		At     time.Time
		Agent  AgentID
		Queue  string
		WrapUp time.Duration
	}
)

func (e QueueConfigured) Kind() string       { return "queue_configured" }
func (e QueueRemoved) Kind() string          { return "queue_removed" }
func (e AgentConfigured) Kind() string       { return "agent_configured" }
func (e AgentRemoved) Kind() string          { return "agent_removed" }
func (e CallerJoined) Kind() string          { return "caller_joined" }
func (e CallerRefused) Kind() string         { return "caller_refused" }
func (e CallerLeft) Kind() string            { return "caller_left" }
func (e QueueOrderChanged) Kind() string     { return "queue_order" }
func (e CallerMoved) Kind() string           { return "caller_moved" }
func (e CallerPriorityChanged) Kind() string { return "caller_priority" }
func (e AgentStateChanged) Kind() string     { return "agent_state" }
func (e AgentQueuesChanged) Kind() string    { return "agent_queues" }
func (e AgentDeviceChanged) Kind() string    { return "agent_device" }
func (e MemberPaused) Kind() string          { return "member_paused" }
func (e OfferStarted) Kind() string          { return "offer_started" }
func (e OfferEnded) Kind() string            { return "offer_ended" }
func (e CallMonitored) Kind() string         { return "call_monitored" }
func (e CallerAnnounced) Kind() string       { return "caller_announced" }
func (e CallerReturned) Kind() string        { return "caller_returned" }
func (e CallbackRequested) Kind() string     { return "callback_requested" }
func (e CallbackAttempt) Kind() string       { return "callback_attempt" }
func (e CallbackAttemptEnded) Kind() string  { return "callback_attempt_ended" }
func (e RecordingChanged) Kind() string      { return "recording_changed" }
func (e CallConnected) Kind() string         { return "call_connected" }
func (e CallCompleted) Kind() string         { return "call_completed" }
func (e CallerTransferred) Kind() string     { return "call_transferred" }
func (e WrapUpEnded) Kind() string           { return "wrapup_ended" }

func (e QueueConfigured) Time() time.Time       { return e.At }
func (e QueueRemoved) Time() time.Time          { return e.At }
func (e AgentConfigured) Time() time.Time       { return e.At }
func (e AgentRemoved) Time() time.Time          { return e.At }
func (e CallerJoined) Time() time.Time          { return e.At }
func (e CallerRefused) Time() time.Time         { return e.At }
func (e CallerLeft) Time() time.Time            { return e.At }
func (e QueueOrderChanged) Time() time.Time     { return e.At }
func (e CallerMoved) Time() time.Time           { return e.At }
func (e CallerPriorityChanged) Time() time.Time { return e.At }
func (e AgentStateChanged) Time() time.Time     { return e.At }
func (e AgentQueuesChanged) Time() time.Time    { return e.At }
func (e AgentDeviceChanged) Time() time.Time    { return e.At }
func (e MemberPaused) Time() time.Time          { return e.At }
func (e OfferStarted) Time() time.Time          { return e.At }
func (e OfferEnded) Time() time.Time            { return e.At }
func (e CallMonitored) Time() time.Time         { return e.At }
func (e CallerAnnounced) Time() time.Time       { return e.At }
func (e CallerReturned) Time() time.Time        { return e.At }
func (e CallbackRequested) Time() time.Time     { return e.At }
func (e CallbackAttempt) Time() time.Time       { return e.At }
func (e CallbackAttemptEnded) Time() time.Time  { return e.At }
func (e RecordingChanged) Time() time.Time      { return e.At }
func (e CallConnected) Time() time.Time         { return e.At }
func (e CallCompleted) Time() time.Time         { return e.At }
func (e CallerTransferred) Time() time.Time     { return e.At }
func (e WrapUpEnded) Time() time.Time           { return e.At }

func (QueueConfigured) isEffect()       {}
func (QueueRemoved) isEffect()          {}
func (AgentConfigured) isEffect()       {}
func (AgentRemoved) isEffect()          {}
func (CallerJoined) isEffect()          {}
func (CallerRefused) isEffect()         {}
func (CallerLeft) isEffect()            {}
func (QueueOrderChanged) isEffect()     {}
func (CallerMoved) isEffect()           {}
func (CallerPriorityChanged) isEffect() {}
func (AgentStateChanged) isEffect()     {}
func (AgentQueuesChanged) isEffect()    {}
func (AgentDeviceChanged) isEffect()    {}
func (MemberPaused) isEffect()          {}
func (OfferStarted) isEffect()          {}
func (OfferEnded) isEffect()            {}
func (CallMonitored) isEffect()         {}
func (CallerAnnounced) isEffect()       {}
func (CallerReturned) isEffect()        {}
func (CallbackRequested) isEffect()     {}
func (CallbackAttempt) isEffect()       {}
func (CallbackAttemptEnded) isEffect()  {}
func (RecordingChanged) isEffect()      {}
func (CallConnected) isEffect()         {}
func (CallCompleted) isEffect()         {}
func (CallerTransferred) isEffect()     {}
func (WrapUpEnded) isEffect()           {}
