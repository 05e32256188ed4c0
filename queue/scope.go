package queue

// Scope says whom an event concerns. Agent is the one agent whose own
// state or call the event is about; Queues are the queues whose floor
// (settings, waiting callers, their order) it changes. The web console
// sends an event to supervisors always, to the agent it names, and to the
// agents of the queues it names; the store names Agent as the member of a
// queue_log line. An event with neither is for supervisors only.
type Scope struct {
	Agent  AgentID
	Queues []string
}

func queueScope(qs ...string) Scope { return Scope{Queues: qs} }
func agentScope(a AgentID) Scope    { return Scope{Agent: a} }

// VisibleTo reports whether agent viewer, a member of the queues in
// member, is shown an event of this scope.
func (s Scope) VisibleTo(viewer AgentID, member map[string]bool) bool {
	if s.Agent != "" && s.Agent == viewer {
		return true
	}
	for _, q := range s.Queues {
		if member[q] {
			return true
		}
	}
	return false
}

func (e QueueConfigured) Scope() Scope      { return queueScope(e.Config.Name) }
func (e QueueRemoved) Scope() Scope         { return queueScope(e.Queue) }
func (e CallerJoined) Scope() Scope         { return queueScope(e.Queue) }
func (e CallerRefused) Scope() Scope        { return queueScope(e.Queue) }
func (e CallerReturned) Scope() Scope       { return queueScope(e.Queue) }
func (e CallbackRequested) Scope() Scope    { return queueScope(e.Queue) }
func (e CallbackAttemptEnded) Scope() Scope { return queueScope(e.Queue) }

// CallbackAttempt is also the agent's, whose callback it dials.
func (e CallbackAttempt) Scope() Scope       { return Scope{Agent: e.Agent, Queues: []string{e.Queue}} }
func (e QueueOrderChanged) Scope() Scope     { return queueScope(e.Queue) }
func (e CallerMoved) Scope() Scope           { return queueScope(e.From, e.To) }
func (e CallerPriorityChanged) Scope() Scope { return queueScope(e.Queue) }

// CallerLeft leaves its queue's list; answered, it is the agent's call too.
func (e CallerLeft) Scope() Scope { return Scope{Agent: e.Agent, Queues: []string{e.Queue}} }

func (e AgentConfigured) Scope() Scope    { return agentScope(AgentID(e.Config.ID)) }
func (e AgentRemoved) Scope() Scope       { return agentScope(e.Agent) }
func (e AgentStateChanged) Scope() Scope  { return agentScope(e.Agent) }
func (e AgentQueuesChanged) Scope() Scope { return agentScope(e.Agent) }
func (e AgentDeviceChanged) Scope() Scope { return agentScope(e.Agent) }
func (e MemberPaused) Scope() Scope       { return agentScope(e.Agent) }
func (e OfferStarted) Scope() Scope       { return agentScope(e.Agent) }
func (e OfferEnded) Scope() Scope         { return agentScope(e.Agent) }

// CallerAnnounced is for supervisors alone: agents need not hear of every
// prompt played to every caller.
func (e CallerAnnounced) Scope() Scope { return Scope{} }

// CallMonitored reaches the agent only where its queue tells agents.
func (e CallMonitored) Scope() Scope {
	if e.Shown {
		return agentScope(e.Agent)
	}
	return Scope{}
}
func (e RecordingChanged) Scope() Scope  { return agentScope(e.Agent) }
func (e CallConnected) Scope() Scope     { return agentScope(e.Agent) }
func (e CallCompleted) Scope() Scope     { return agentScope(e.Agent) }
func (e CallerTransferred) Scope() Scope { return agentScope(e.Agent) }
func (e WrapUpEnded) Scope() Scope       { return agentScope(e.Agent) }
