package queue

import (
	"slices"
	"testing"
	"time"
)

// setinterfacevar, setqueueentryvar and setqueuevar: the variables
// app_queue sets as the caller and the member are bridged, on both
// channels (MEMBER*, QE*) or the caller's (QUEUE*).
func TestBridgeVars(t *testing.T) {
	cfg := queueCfg("q", Linear, func(c *QueueConfig) {
		c.SetInterfaceVar, c.SetQueueEntryVar, c.SetQueueVar = true, true, true
		c.MaxLen = 5
		c.ServiceLevel = 20 * time.Second
	})
	a1 := agentIn("a1", true, Membership{Queue: "q", Penalty: 2})
	a1.Name = "Ann Lee"
	h := MustHarness(t, []QueueConfig{cfg}, []AgentConfig{a1})
	h.join("c1", "q")
	h.join("c2", "q")
	h.now = h.now.Add(7 * time.Second)
	var conn []Connect
	conn = ofType[Connect](h.answer("a1"))
	if len(conn) != 1 {
		t.Fatalf("got %d Connect, want 1", len(conn))
	}
	member := []ChannelVar{
		{"MEMBERINTERFACE", "PJSIP/a1"}, {"MEMBERNAME", "Ann Lee"}, {"MEMBERCALLS", "0"}, {"MEMBERLASTCALL", "0"},
		{"MEMBERPENALTY", "2"}, {"MEMBERDYNAMIC", "0"}, {"MEMBERREALTIME", "0"},
		{"QEHOLDTIME", "7"}, {"QEORIGINALPOS", "1"},
	}
	if got := conn[0].AgentVars; !slices.Equal(got, member) {
		t.Errorf("agent's channel: got %v\nwant %v", got, member)
	}
	queueVars := []ChannelVar{
		{"QUEUENAME", "q"}, {"QUEUEMAX", "5"}, {"QUEUESTRATEGY", "linear"}, {"QUEUECALLS", "1"},
		{"QUEUEHOLDTIME", "0"}, {"QUEUETALKTIME", "0"}, {"QUEUECOMPLETED", "0"}, {"QUEUEABANDONED", "0"},
		{"QUEUESRVLEVEL", "20"}, {"QUEUESRVLEVELPERF", "100.0"},
	}
	if got := conn[0].CallerVars; !slices.Equal(got, append(slices.Clone(member), queueVars...)) {
		t.Errorf("caller's channel: got %v\nwant %v then %v", got, member, queueVars)
	}
}
