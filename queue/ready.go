package queue

// Ready is what one Apply decided, split the way the call flow must carry
// it out (in the spirit of etcd-io/raft's Ready):
//
//  1. Events: persist them, then publish them (UI, metrics), in order.
//  2. CallerActions: the telephony on callers' channels (Accept, Refuse,
//     Exit, Connect, Announce, HangupCaller), in order.
//  3. AgentActions: the telephony on agent legs (RingAgent, CancelRing,
//     HangupAgent), in order.
//
// Each list keeps the order in which the engine decided; between the lists
// no order is owed, since no action on a caller waits on an agent leg's or
// the other way round (the call flow runs them on separate lanes). Events
// come first because they are what a restart rebuilds from: an action
// carried out whose event was lost could not be reconciled, while an event
// whose action was lost is repaired by reconcile (a ring nobody placed
// fails, a caller not yet answered is answered when resumed).
type Ready struct {
	Events        []Event
	CallerActions []Action
	AgentActions  []Action
}

// Action is a telephony action for the call flow to carry out.
type Action interface {
	Effect
	isAction()
}

// Empty reports whether the Apply decided nothing.
func (r Ready) Empty() bool {
	return len(r.Events) == 0 && len(r.CallerActions) == 0 && len(r.AgentActions) == 0
}

// Effects lists everything in the order the call flow handles it: events,
// caller actions, agent actions (tests and logs); nil when it is empty.
func (r Ready) Effects() []Effect {
	if r.Empty() {
		return nil
	}
	out := make([]Effect, 0, len(r.Events)+len(r.CallerActions)+len(r.AgentActions))
	for _, e := range r.Events {
		out = append(out, e)
	}
	for _, a := range r.CallerActions {
		out = append(out, a)
	}
	for _, a := range r.AgentActions {
		out = append(out, a)
	}
	return out
}

func (r *Ready) add(ef Effect) {
	switch ef := ef.(type) {
	case Event:
		r.Events = append(r.Events, ef)
	case RingAgent, CancelRing, HangupAgent:
		r.AgentActions = append(r.AgentActions, ef.(Action))
	case Action:
		r.CallerActions = append(r.CallerActions, ef)
	}
}

func (Accept) isAction()           {}
func (Refuse) isAction()           {}
func (RingAgent) isAction()        {}
func (CancelRing) isAction()       {}
func (Connect) isAction()          {}
func (ControlRecording) isAction() {}
func (Announce) isAction()         {}
func (Exit) isAction()             {}
func (HangupCaller) isAction()     {}
func (HangupAgent) isAction()      {}
func (DialCallback) isAction()     {}
