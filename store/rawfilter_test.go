package store

import (
	"encoding/json"
	"testing"
	"time"

	"stasisq/queue"
)

// The raw filter may only refuse what CallQuery.Matches refuses: every
// record × query pair below where Matches says yes, mightMatch says yes, and
// the pairs it refuses are the ones meant to be cheap.
func TestRawFilterNeverRefusesAMatch(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	records := []queue.CallRecord{
		{Caller: "c1", Queue: "sales", Number: "+44 20 7946 0042", Agent: "alice", Outcome: queue.OutcomeCompleted, JoinedAt: at},
		{Caller: "c2", Queue: "support", Number: "020-7946-0042", Outcome: queue.OutcomeCompleted, JoinedAt: at,
			Rings: []queue.CallRing{{Agent: "bob", At: at, Result: "noanswer"}}},
		{Caller: "c3", Queue: "billing", Number: "2001", Outcome: string(queue.LeftAbandoned), JoinedAt: at,
			Moves: []queue.CallMove{{At: at, From: "sales", To: "billing"}}},
		// Characters encoding/json escapes, in the number and the names.
		{Caller: "c4", Queue: "q<&>", Number: "\"12\"\\34\u2028", Agent: "a<b>", Outcome: queue.OutcomeCompleted, JoinedAt: at},
		{Caller: "c5", Queue: "sales", Number: "", Name: `"number":"999"`, Outcome: queue.OutcomeCompleted, JoinedAt: at},
		{Caller: "c6", Queue: "ünïcode", Number: "٤٤ 1234", Agent: "Ålice", Outcome: queue.OutcomeCompleted, JoinedAt: at},
	}
	queries := []queue.CallQuery{
		{}, {Number: "7946 0042"}, {Number: "0042"}, {Number: "1234"}, {Number: "999"}, {Number: "+"}, {Number: "12"}, {Number: "34"},
		{Agent: "alice"}, {Agent: "bob"}, {Agent: "a<b>"}, {Agent: "Ålice"}, {Queue: "sales"}, {Queue: "q<&>"}, {Queue: "ünïcode"},
		{Outcome: queue.OutcomeCompleted}, {Outcome: string(queue.LeftAbandoned)}, {Queue: "sales", Agent: "alice", Number: "44"},
	}
	refused := 0
	for _, r := range records {
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range queries {
			might := newRawFilter(q).mightMatch(raw)
			if q.Matches(r) && !might {
				t.Errorf("record %s, query %+v: Matches says yes, the raw filter no", r.Caller, q)
			}
			if !might {
				refused++
			}
		}
	}
	// A filter that lets everything through would pass the loop above.
	if refused < len(records)*len(queries)/2 {
		t.Errorf("the raw filter refused %d of %d pairs: it is not filtering", refused, len(records)*len(queries))
	}
}
