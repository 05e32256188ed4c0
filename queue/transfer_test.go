package queue

import (
	"testing"
	"time"
)

func TestTransferredCallCompletesWithoutHangingUpTheCaller(t *testing.T) {
	h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory, func(c *QueueConfig) { c.WrapUpTime = 10 * time.Second })}, staticAgents("q", 1))
	h.join("c1", "q")
	h.now = h.now.Add(4 * time.Second)
	h.answer("a1")
	h.now = h.now.Add(75 * time.Second)
	effs := h.do(CallTransferred{Caller: "c1", By: PartyAgent, Exten: "200", Context: "internal"})
	wantKinds(t, effs, "CallerTransferred CallCompleted AgentStateChanged(wrap-up) HangupAgent")
	tr := ofType[CallerTransferred](effs)[0]
	want := CallerTransferred{At: h.now, Caller: "c1", Agent: "a1", Queue: "q", By: PartyAgent, Exten: "200", Context: "internal",
		Wait: 4 * time.Second, Talk: 75 * time.Second}
	if tr != want {
		t.Fatalf("got %+v, want %+v", tr, want)
	}
	cc := ofType[CallCompleted](effs)[0]
	if cc.By != PartyTransfer || cc.Talk != 75*time.Second || cc.Wait != 4*time.Second || cc.Agent != "a1" {
		t.Fatalf("got %+v, want by transfer, talk 75s, wait 4s, agent a1", cc)
	}
	if ha := ofType[HangupAgent](effs)[0]; ha.Agent != "a1" {
		t.Fatalf("got %+v, want the agent's leg hung up", ha)
	}
	h.wantState("a1", AgentWrapUp)
	// The call is over for the engine: the caller's StasisEnd that follows
	// is no second end and no abandon.
	wantErrIs(t, h.doErr(CallerHangup{Caller: "c1"}), ErrUnknownCaller)
	wantErrIs(t, h.doErr(CallEnded{Caller: "c1", By: PartyCaller}), ErrUnknownCaller)
}

func TestTransferredCallCountsAsAnsweredWithItsTalk(t *testing.T) {
	h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
	h.join("c1", "q")
	h.answer("a1")
	h.now = h.now.Add(30 * time.Second)
	h.do(CallTransferred{Caller: "c1", Exten: "200", Context: "internal"})
	q, ok := h.e.Queue("q")
	if !ok {
		t.Fatal("queue q not found")
	}
	if got := q.RealTime.Today; got.Answered != 1 || got.TalkSum != 30*time.Second || got.Abandoned != 0 {
		t.Fatalf("got answered=%d talk=%v abandoned=%d, want 1, 30s, 0", got.Answered, got.TalkSum, got.Abandoned)
	}
	a, ok := h.e.Agent("a1")
	if !ok {
		t.Fatal("agent a1 not found")
	}
	if a.Today.Calls != 1 || a.Today.Talk != 30*time.Second {
		t.Fatalf("got agent calls=%d talk=%v, want 1, 30s", a.Today.Calls, a.Today.Talk)
	}
}

func TestTransferFreesTheAgentForTheNextCaller(t *testing.T) {
	h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
	h.join("c1", "q")
	h.join("c2", "q")
	h.answer("a1")
	wantRung(t, h.do(CallTransferred{Caller: "c1", Exten: "200", Context: "internal"}), "c2>a1")
}

func TestTransferWithoutPartyIsTheAgents(t *testing.T) {
	h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
	h.join("c1", "q")
	h.answer("a1")
	effs := h.do(CallTransferred{Caller: "c1"})
	if tr := ofType[CallerTransferred](effs)[0]; tr.By != PartyAgent || tr.Exten != "" {
		t.Fatalf("got %+v, want by agent and no extension (attended transfer)", tr)
	}
}

func TestTransferIsRefusedUnlessTheCallIsConnected(t *testing.T) {
	tests := []struct {
		name string
		in   CallTransferred
		want error
	}{
		{"unknown caller", CallTransferred{Caller: "nobody"}, ErrUnknownCaller},
		{"waiting caller", CallTransferred{Caller: "c2"}, ErrNotAllowed},
		{"system is no party to a transfer", CallTransferred{Caller: "c1", By: PartySystem}, ErrInvalid},
		{"transfer is no party to a transfer", CallTransferred{Caller: "c1", By: PartyTransfer}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := MustHarness(t, []QueueConfig{queueCfg("q", RRMemory)}, staticAgents("q", 1))
			h.join("c1", "q")
			h.answer("a1")
			h.join("c2", "q")
			wantErrIs(t, h.doErr(tt.in), tt.want)
			h.wantState("a1", AgentOnCall)
		})
	}
}
