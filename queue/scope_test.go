package queue

import (
	"slices"
	"testing"
)

// Scope is the one answer to "whose event is this", for the console's
// filter and the store's queue_log member alike.
func TestEventScope(t *testing.T) {
	tests := []struct {
		name   string
		ev     Event
		agent  AgentID
		queues []string
	}{
		{"queue order is the queue's", QueueOrderChanged{Queue: "q"}, "", []string{"q"}},
		{"a move concerns both queues", CallerMoved{From: "a", To: "b"}, "", []string{"a", "b"}},
		{"an answered caller leaves the queue and is the agent's call", CallerLeft{Queue: "q", Agent: "x"}, "x", []string{"q"}},
		{"an abandon is the queue's", CallerLeft{Queue: "q"}, "", []string{"q"}},
		{"an offer is the agent's", OfferStarted{Queue: "q", Agent: "x"}, "x", nil},
		{"a transfer is the agent's", CallerTransferred{Queue: "q", Agent: "x"}, "x", nil},
		{"a configured agent is its own", AgentConfigured{Config: AgentConfig{ID: "x"}}, "x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.ev.Scope()
			if s.Agent != tt.agent || !slices.Equal(s.Queues, tt.queues) {
				t.Errorf("got=%+v, want agent %q queues %v", s, tt.agent, tt.queues)
			}
		})
	}
	inQ := map[string]bool{"q": true}
	vis := []struct {
		name   string
		scope  Scope
		viewer AgentID
		want   bool
	}{
		{"own event", Scope{Agent: "x"}, "x", true},
		{"someone else's event", Scope{Agent: "y"}, "x", false},
		{"own queue's event", Scope{Queues: []string{"q"}}, "x", true},
		{"another queue's event", Scope{Queues: []string{"r"}}, "x", false},
		{"for supervisors only", Scope{}, "x", false},
	}
	for _, tt := range vis {
		if got := tt.scope.VisibleTo(tt.viewer, inQ); got != tt.want {
			t.Errorf("%s: got=%v, want %v", tt.name, got, tt.want)
		}
	}
}
