package queue

import "time"

// CallerID identifies a waiting caller; stasisq uses the caller's ARI channel id.
type CallerID string

// AgentID is an agent's login.
type AgentID string

// OfferID identifies one attempt to ring one agent for one caller. The call
// flow uses it as (part of) the agent channel's id, chosen before originating.
type OfferID string

// Input is one thing that happened, handed to Engine.Apply. Every input is a
// plain value; the engine never keeps a pointer to one.
type Input interface{ isInput() }

// Configuration.
type (
	// ConfigureQueue creates or replaces a queue's settings; callers stay.
	ConfigureQueue struct{ Config QueueConfig }
	// RemoveQueue deletes a queue; its callers leave with QUEUESTATUS=LEAVEEMPTY.
	RemoveQueue struct{ Queue string }
	// ConfigureAgent creates or replaces an agent's settings; its login state stays.
	ConfigureAgent struct{ Config AgentConfig }
	// RemoveAgent logs an agent out and forgets it.
	RemoveAgent struct{ Agent AgentID }
)

// Callers.
type (
	// CallerJoin is a caller arriving (StasisStart). JoinedAt is the event's own
	// timestamp. Resume marks a caller restored after a restart: it keeps
	// JoinedAt and Position and is never refused.
	CallerJoin struct {
		Caller   CallerID
		Queue    string
		Priority int
		Skills   map[string]int // required skill -> minimum level
		Number   string         // caller id number
		Name     string         // caller id name
		JoinedAt time.Time
		Resume   bool
		Position int           // with Resume: the position held before the restart (1-based); 0 appends
		MaxWait  time.Duration // from the dialplan args; 0 uses the queue's
		// Callback, with Resume, restores a caller that held its place as a
		// callback: it has no channel, and waits for its turn again (a try
		// under way when stasisq stopped is tried again).
		Callback *CallbackResume
	}
	// CallbackResume is a callback's state across a restart.
	CallbackResume struct {
		Number   string `json:"number"`
		Attempts int    `json:"attempts,omitempty"`
		// The terms it was accepted on; "" takes its queue's.
		Mode     string `json:"mode,omitempty"`
		Dial     string `json:"dial,omitempty"`
		CallerID string `json:"callerid,omitempty"`
	}
	// CallerHangup is the caller's channel gone (StasisEnd / hangup), in any state.
	CallerHangup struct{ Caller CallerID }
	// CallerDTMF is a digit pressed by a waiting caller.
	CallerDTMF struct {
		Caller CallerID
		Digit  string
	}
	// AbandonedVisit is a caller that hung up while waiting, before a
	// restart: the engine keeps its place for the queue's AbandonResume
	// window from LeftAt, as it does for one it saw leave (the call flow
	// replays them from the store at start). Outside the window, or for a
	// queue without abandon-resume, it is ignored.
	AbandonedVisit struct {
		Caller   CallerID
		Queue    string
		Number   string
		Priority int
		JoinedAt time.Time     // the place in the queue
		Wait     time.Duration // waited before hanging up
		LeftAt   time.Time
	}
	// CallbackAnswered: the customer a DialCallback rang picked up.
	CallbackAnswered struct{ Caller CallerID }
	// CallbackFailed: it did not (Reason noanswer, busy, unavailable, error).
	CallbackFailed struct {
		Caller CallerID
		Reason RingFailure
	}
	// CallerLost closes a caller that a restart found no longer in Asterisk.
	CallerLost struct {
		Caller CallerID
	}
	// AnnouncementDone is the last Announce effect for the caller finished
	// playing, failed to play, or was dropped. Until then the engine starts
	// no other announcement for the caller, as app_queue's caller thread
	// cannot while it plays one. An unknown caller is ignored: the flow may
	// report after the caller connected or left.
	AnnouncementDone struct{ Caller CallerID }
)

// Agent sessions.
type (
	AgentLogin struct {
		Agent  AgentID
		Paused bool   // log in paused (app_queue AddQueueMember with paused)
		Reason string // pause reason when Paused
		// PausedIn are the queues the agent is paused in alone
		// (autopause=yes), restored after a restart.
		PausedIn []string
	}
	AgentLogout struct{ Agent AgentID }
	AgentPause  struct {
		Agent  AgentID
		Reason string
	}
	AgentUnpause struct{ Agent AgentID }
	// MemberPause pauses (or unpauses) a logged-in agent in one of its
	// queues alone, as app_queue's PauseQueueMember with a queue does;
	// autopause=yes makes the same pause. A restart restores it with it.
	MemberPause struct {
		Agent  AgentID
		Queue  string
		Paused bool
		Reason string
	}
	// RecordingControl starts, pauses or resumes a connected call's
	// recording (Action: RecordStart, RecordPause, RecordResume). Agent is
	// the agent asking, who must be on the call and allowed by the queue
	// (RecordAgentControl); "" for a supervisor, whom the console has
	// authorised. By is who asked, for the call record.
	RecordingControl struct {
		Caller CallerID
		Action string
		Agent  AgentID
		By     string
	}
	// RecordingReport is what became of a recording on Asterisk: State
	// RecordingDone (Duration is the file's), RecordingFailure (Reason
	// says why) or RecordingDeleted (By: "retention" or an admin). It may
	// come after the call ended.
	RecordingReport struct {
		Caller CallerID
		// Record is the call record's ID when the report is about an older
		// visit of the caller (retention, an admin's delete); "" for its
		// latest.
		Record   string
		Name     string
		State    string
		Duration time.Duration
		Reason   string
		By       string
	}
	// MonitorChange says a supervisor started to listen to, whisper into
	// or join (Mode) a connected call, switched mode, or left it (Mode "").
	// The call flow sends it once the supervisor's phone is in the call.
	MonitorChange struct {
		Caller     CallerID
		Supervisor string
		Mode       string
	}
	// AgentWrapUpDone ends wrap-up early ("Done" in the console).
	AgentWrapUpDone struct{ Agent AgentID }
	// AgentDeviceState feeds the device's own state (ARI DeviceStateChanged).
	AgentDeviceState struct {
		Agent AgentID
		State DeviceState
	}
	// SetAgentQueues replaces an agent's memberships and penalties.
	SetAgentQueues struct {
		Agent  AgentID
		Queues []Membership
	}
	// Pick is an agent taking a chosen waiting caller (where the queue allows it).
	Pick struct {
		Agent  AgentID
		Caller CallerID
	}
)

// DeviceState is Asterisk's device state, as DeviceStateChanged reports it.
type DeviceState string

const (
	DeviceUnknown     DeviceState = "UNKNOWN"
	DeviceNotInUse    DeviceState = "NOT_INUSE"
	DeviceInUse       DeviceState = "INUSE"
	DeviceBusy        DeviceState = "BUSY"
	DeviceInvalid     DeviceState = "INVALID"
	DeviceUnavailable DeviceState = "UNAVAILABLE"
	DeviceRinging     DeviceState = "RINGING"
	DeviceRingInUse   DeviceState = "RINGINUSE"
	DeviceOnHold      DeviceState = "ONHOLD"
)

// Offers: what happened to a RingAgent.
type (
	// OfferAnswered: the agent's leg answered (StasisStart of the agent channel /
	// Dial ANSWER). The engine answers with Connect, or with HangupAgent if the
	// caller is already gone.
	OfferAnswered struct{ Offer OfferID }
	// OfferFailed: the agent's leg ended without answering.
	OfferFailed struct {
		Offer  OfferID
		Reason RingFailure
	}
)

// RingFailure says why an offer ended unanswered.
type RingFailure string

const (
	RingNoAnswer    RingFailure = "noanswer"
	RingBusy        RingFailure = "busy"
	RingUnavailable RingFailure = "unavailable"
	RingRejected    RingFailure = "rejected" // the agent declined in the console or phone
	RingError       RingFailure = "error"    // originate failed (REST error): not the agent's fault
)

// Calls in progress.
type (
	// CallEnded: a connected call ended; By says which side hung up first.
	CallEnded struct {
		Caller CallerID
		By     Party
	}
	// CallTransferred: a side of a connected call transferred the other
	// away from its phone (blind or attended), ARI BridgeBlindTransfer or
	// BridgeAttendedTransfer. Asterisk carries the caller on to Exten at
	// Context (empty for an attended transfer to another call), so the
	// engine ends the call without hanging the caller up. By is the side
	// that transferred: the agent (the default) or the caller.
	CallTransferred struct {
		Caller  CallerID
		By      Party
		Exten   string
		Context string
		// Attended: where an attended transfer took the caller, as
		// app_queue's queue_log says it: "BRIDGE|<bridge id>",
		// "APP|<application>", "LINK|<chan>|<chan>", "THREEWAY|<chan>".
		// Empty for a blind transfer.
		Attended string
	}
)

// CallResumed puts back a call a previous run connected and Asterisk still
// bridges: the agent is on the call from ConnectedAt, and the call ends as
// any other does (CallEnded), with talk counted from ConnectedAt. Offer names
// the agent's leg for HangupAgent (the flow's id for it); Wait is the
// caller's wait before the answer, for CallCompleted. The engine refuses an
// agent that is ringing, on a call or wrapping up: it cannot be on this one.
type CallResumed struct {
	Caller      CallerID
	Agent       AgentID
	Queue       string
	Offer       OfferID
	ConnectedAt time.Time
	Wait        time.Duration
	Number      string
	Name        string
	// Recording is the call's recording going on (RecordingActive or
	// RecordingPaused in RecordingState), to be controlled as before.
	Recording      *Recording
	RecordingState string
}

// Party is a side of a call.
type Party string

const (
	PartyCaller Party = "caller"
	PartyAgent  Party = "agent"
	PartySystem Party = "system"
	// PartyTransfer ends a call that was transferred (CallCompleted.By).
	PartyTransfer Party = "transfer"
)

// Supervisor actions.
type (
	// Reorder puts a waiting caller at Position (1-based) in its queue; the
	// others keep their relative order.
	Reorder struct {
		Queue    string
		Caller   CallerID
		Position int
	}
	// Move sends a waiting caller to another queue, appended in that queue's
	// order; KeepWait keeps the original join time for ordering and statistics.
	Move struct {
		Caller   CallerID
		ToQueue  string
		KeepWait bool
	}
	SetPriority struct {
		Caller   CallerID
		Priority int
	}
	// Remove takes a caller out of the queue for the supervisor (hang up or
	// redirect); the call flow does the telephony. A redirect
	// (LeftContinued) with a Context continues there, at Exten and
	// Priority (QUEUESTATUS=WITHDRAW, as QueueWithdrawCaller leaves it);
	// without one, after Stasis() (CONTINUE).
	Remove struct {
		Caller   CallerID
		Reason   LeaveReason
		Context  string
		Exten    string
		Priority int
	}
)

// Tick wakes the engine at or after NextDeadline: ring timeouts, retries,
// wrap-up ends, maxwait, announcements and penalty rules are all deadlines.
type Tick struct{}

func (ConfigureQueue) isInput()   {}
func (RemoveQueue) isInput()      {}
func (ConfigureAgent) isInput()   {}
func (RemoveAgent) isInput()      {}
func (CallerJoin) isInput()       {}
func (CallerHangup) isInput()     {}
func (CallerDTMF) isInput()       {}
func (CallerLost) isInput()       {}
func (AbandonedVisit) isInput()   {}
func (CallbackAnswered) isInput() {}
func (CallbackFailed) isInput()   {}
func (AnnouncementDone) isInput() {}
func (AgentLogin) isInput()       {}
func (AgentLogout) isInput()      {}
func (AgentPause) isInput()       {}
func (AgentUnpause) isInput()     {}
func (MemberPause) isInput()      {}
func (AgentWrapUpDone) isInput()  {}
func (RecordingControl) isInput() {}
func (RecordingReport) isInput()  {}
func (MonitorChange) isInput()    {}
func (AgentDeviceState) isInput() {}
func (SetAgentQueues) isInput()   {}
func (Pick) isInput()             {}
func (OfferAnswered) isInput()    {}
func (OfferFailed) isInput()      {}
func (CallEnded) isInput()        {}
func (CallTransferred) isInput()  {}
func (CallResumed) isInput()      {}
func (Reorder) isInput()          {}
func (Move) isInput()             {}
func (SetPriority) isInput()      {}
func (Remove) isInput()           {}
func (Tick) isInput()             {}
