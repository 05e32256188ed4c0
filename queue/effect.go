package queue

import (
	"time"
)

// Effect is something Apply decided: a telephony action for the call flow to
// carry out (RingAgent, Connect, ...) or a domain Event for the store and UI.
type Effect interface{ isEffect() }

// QueueStatus is the value of the QUEUESTATUS channel variable, as app_queue sets it.
type QueueStatus string

const (
	StatusTimeout      QueueStatus = "TIMEOUT"
	StatusFull         QueueStatus = "FULL"
	StatusJoinEmpty    QueueStatus = "JOINEMPTY"
	StatusLeaveEmpty   QueueStatus = "LEAVEEMPTY"
	StatusJoinUnavail  QueueStatus = "JOINUNAVAIL"
	StatusLeaveUnavail QueueStatus = "LEAVEUNAVAIL"
	StatusContinue     QueueStatus = "CONTINUE"
	StatusWithdraw     QueueStatus = "WITHDRAW"
	StatusExitKey      QueueStatus = "EXITWITHKEY" // not set by app_queue (it jumps to the digit's extension); ours says why
	StatusUnknownQueue QueueStatus = "UNKNOWNQUEUE"
)

// Telephony actions for the call flow.
type (
	// Accept: the caller is queued. Answer it and start hold music of MusicClass.
	Accept struct {
		Caller     CallerID
		Queue      string
		MusicClass string
		// Record, when set, records the caller from now on, waiting and
		// then talking (record_from=join).
		Record *Recording
	}
	// Refuse: the caller was not queued. Set QUEUESTATUS and continue in the dialplan.
	Refuse struct {
		Caller CallerID
		Queue  string
		Status QueueStatus
	}
	// RingAgent: dial Device for the caller, for at most Timeout, presenting
	// the caller's number and name.
	RingAgent struct {
		// Callback: the agent takes a callback (agent first): on answer
		// the customer at Number is dialled (DialCallback), not bridged.
		Callback bool
		// AutoAnswer is the queue's: a browser phone answers by itself
		// after it (0: as the agent's own setting says).
		AutoAnswer time.Duration
		Offer      OfferID
		Caller     CallerID
		Agent      AgentID
		Device     string
		Queue      string
		Timeout    time.Duration
		Number     string
		Name       string
	}
	// DialCallback: call the customer of a callback at Endpoint, presenting
	// CallerID, ringing for Timeout, into the application; report its
	// answer (CallbackAnswered) or its failure (CallbackFailed). Agent
	// first, Offer is the agent's answered leg, to bridge with the customer
	// on Connect; customer first it is "" and the answered customer is
	// Accepted as a caller again.
	DialCallback struct {
		Caller   CallerID
		Queue    string
		Endpoint string
		CallerID string
		Number   string
		Timeout  time.Duration
		Offer    OfferID
		Agent    AgentID
	}
	// CancelRing: hang up an unanswered agent leg. Elsewhere: another agent
	// answered (ARI reason answered_elsewhere). Declined: the agent turned the
	// call down in the console (reason busy, as a phone's reject key does).
	// Neither: the ring timed out or the caller left (reason normal).
	CancelRing struct {
		Offer     OfferID
		Agent     AgentID
		Elsewhere bool
		Declined  bool
	}
	// Connect: the agent answered; stop the caller's MOH and announcements and
	// bridge the caller with the agent's leg.
	Connect struct {
		Offer  OfferID
		Caller CallerID
		Agent  AgentID
		Queue  string
		// CallerVars and AgentVars are channel variables to set on each
		// side as they are bridged (the queue's setinterfacevar,
		// setqueueentryvar and setqueuevar), in order.
		CallerVars, AgentVars []ChannelVar
		// Delay is the queue's memberdelay: the agent has answered and
		// hears silence that long before the caller is put through.
		Delay time.Duration
		// AgentMedia is played to the agent after Delay and before the
		// bridge, to its end (the queue's announce and reportholdtime);
		// the caller keeps its hold music meanwhile.
		AgentMedia []string
		// Record, when set, records the call from its bridge.
		Record *Recording
	}
	// ControlRecording starts (on the call's bridge), pauses or resumes a
	// connected call's recording; Action is RecordStart, RecordPause or
	// RecordResume.
	ControlRecording struct {
		Caller CallerID
		Action string
		Recording
	}
	// Announce: play these media URIs (sound:, digits:, number:) to the waiting
	// caller, in order, after anything already playing. The call flow must drop
	// them if the caller is connected first.
	Announce struct {
		Caller CallerID
		Media  []string
		// Interrupt stops what plays first: a caller's key in the
		// callback's dialogue cuts the prompt short, as any IVR does.
		Interrupt bool
	}
	// Exit: the caller leaves the queue alive: set QUEUESTATUS (and
	// QUEUEEXITKEY for a key), the variables app_queue leaves, and continue
	// in the dialplan: at Context,Key,1 for an exit key of a queue with an
	// exit context (as app_queue's context= does), else after Stasis().
	Exit struct {
		Caller CallerID
		Queue  string
		Status QueueStatus
		Key    string
		// Position is QUEUEPOSITION, where the caller was when it left the
		// queue (app_queue's leave_queue sets it); 0 when unknown (a call
		// resumed after a restart).
		Position int
		// Abandoned sets ABANDONED=TRUE, as app_queue's record_abandoned
		// does for a timeout or a leave-empty.
		Abandoned bool
		// Context, when set, is where the caller continues, at Exten and
		// Priority: an exit key's (Exten is the key, priority 1) or a
		// supervisor's redirect.
		Context  string
		Exten    string
		Priority int
		// Vars are more variables to set first (setqueuevar's).
		Vars []ChannelVar
	}
	// HangupCaller: hang the caller up (the agent hung up first and the queue
	// does not continue, or a supervisor hung the caller up).
	HangupCaller struct{ Caller CallerID }
	// HangupAgent: hang up the agent's connected leg (the caller hung up first),
	// or an answered leg whose caller had already gone.
	HangupAgent struct {
		Offer OfferID
		Agent AgentID
	}
)

func (Accept) isEffect()           {}
func (Refuse) isEffect()           {}
func (RingAgent) isEffect()        {}
func (CancelRing) isEffect()       {}
func (Connect) isEffect()          {}
func (ControlRecording) isEffect() {}
func (Announce) isEffect()         {}
func (Exit) isEffect()             {}
func (HangupCaller) isEffect()     {}
func (HangupAgent) isEffect()      {}
func (DialCallback) isEffect()     {}
