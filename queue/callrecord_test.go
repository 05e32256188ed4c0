package queue

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// A call record folds the events of one visit, without a store: the store
// only persists what CallRecord.Apply makes of them.
func TestCallRecordFoldsAVisit(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	join := CallerJoined{At: at(0), Caller: "c1", Queue: "support", Number: "555", Name: "Ann", Priority: 2, JoinedAt: at(0), Position: 3}
	tests := []struct {
		name  string
		after []Event
		check func(CallRecord) string
	}{
		{"answered, rung twice, completed by the caller", []Event{
			OfferStarted{At: at(5), Caller: "c1", Agent: "bob"},
			OfferEnded{At: at(20), Caller: "c1", Agent: "bob", Result: "noanswer"},
			OfferStarted{At: at(21), Caller: "c1", Agent: "alice"},
			OfferEnded{At: at(25), Caller: "c1", Agent: "alice", Result: "answered"},
			CallerLeft{At: at(25), Caller: "c1", Queue: "support", Reason: LeftAnswered, Agent: "alice", Position: 1, Wait: 25 * time.Second},
			CallConnected{At: at(25), Caller: "c1", Agent: "alice", RingTime: 4 * time.Second, Wait: 25 * time.Second},
			CallCompleted{At: at(85), Caller: "c1", Agent: "alice", By: PartyCaller, Talk: time.Minute},
		}, func(r CallRecord) string {
			if r.Outcome != OutcomeCompleted || r.Agent != "alice" || r.Offers != 2 || r.Unanswered != 1 || !r.FirstRingAt.Equal(at(5)) ||
				!r.AnsweredAt.Equal(at(25)) || !r.EndedAt.Equal(at(85)) || r.Talk != time.Minute || r.Wait != 25*time.Second ||
				r.RingTime != 4*time.Second || r.CompletedBy != PartyCaller || r.JoinPosition != 3 || r.ExitPosition != 1 || r.Open() {
				return "want completed by the caller with alice, 2 offers (1 unanswered), 25 s wait, 1 min talk"
			}
			return ""
		}},
		{"recorded, paused once, finished after the call", []Event{
			CallerLeft{At: at(25), Caller: "c1", Queue: "support", Reason: LeftAnswered, Agent: "alice", Position: 1},
			CallConnected{At: at(25), Caller: "c1", Agent: "alice", Recording: &Recording{Name: "stasisq-x-c1", Format: "wav"}},
			RecordingChanged{At: at(30), Caller: "c1", Name: "stasisq-x-c1", State: RecordingPaused, By: "sue"},
			RecordingChanged{At: at(40), Caller: "c1", Name: "stasisq-x-c1", State: RecordingActive, By: "sue"},
			CallCompleted{At: at(85), Caller: "c1", Agent: "alice", By: PartyCaller, Talk: time.Minute},
			RecordingChanged{At: at(86), Caller: "c1", Name: "stasisq-x-c1", State: RecordingDone, Duration: 50 * time.Second},
		}, func(r CallRecord) string {
			rec := r.Recording
			if rec == nil || rec.Name != "stasisq-x-c1" || rec.Format != "wav" || rec.State != RecordingDone || rec.Duration != 50*time.Second ||
				!rec.StartedAt.Equal(at(25)) || len(rec.Pauses) != 1 || rec.Pauses[0] != (RecordingPause{At: at(30), By: "sue", Until: at(40)}) {
				return "want a done recording of 50 s from 25 s, paused by sue from 30 to 40 s"
			}
			return ""
		}},
		{"recording failed, then deleted", []Event{
			CallConnected{At: at(25), Caller: "c1", Agent: "alice", Recording: &Recording{Name: "r1", Format: "gsm"}},
			RecordingChanged{At: at(26), Caller: "c1", Name: "r1", State: RecordingFailure, Reason: "disk full"},
			RecordingChanged{At: at(90), Caller: "c1", Name: "r1", State: RecordingDeleted, By: "retention"},
		}, func(r CallRecord) string {
			rec := r.Recording
			if rec == nil || rec.State != RecordingDeleted || rec.Error != "disk full" || rec.DeletedBy != "retention" || !rec.DeletedAt.Equal(at(90)) || rec.Format != "gsm" {
				return "want deleted by retention, still saying it failed: disk full"
			}
			return ""
		}},
		{"two supervisors, one switching modes, one leaving after the call", []Event{
			CallConnected{At: at(25), Caller: "c1", Agent: "alice"},
			CallMonitored{At: at(30), Caller: "c1", Supervisor: "sam", Mode: MonitorListen},
			CallMonitored{At: at(31), Caller: "c1", Supervisor: "sue", Mode: MonitorListen},
			CallMonitored{At: at(40), Caller: "c1", Supervisor: "sam", Mode: MonitorWhisper},
			CallMonitored{At: at(41), Caller: "c1", Supervisor: "sam", Mode: MonitorWhisper},
			CallMonitored{At: at(50), Caller: "c1", Supervisor: "sam"},
			CallCompleted{At: at(85), Caller: "c1", Agent: "alice", By: PartyCaller, Talk: time.Minute},
			CallMonitored{At: at(85), Caller: "c1", Supervisor: "sue"},
		}, func(r CallRecord) string {
			want := []MonitorSession{
				{Supervisor: "sam", Modes: []string{"listen", "whisper"}, From: at(30), Until: at(50)},
				{Supervisor: "sue", Modes: []string{"listen"}, From: at(31), Until: at(85)},
			}
			if !reflect.DeepEqual(r.Monitors, want) {
				return fmt.Sprintf("monitors %+v, want %+v", r.Monitors, want)
			}
			return ""
		}},
		{"announced while waiting: position twice, periodic once, then answered", []Event{
			CallerAnnounced{At: at(1), Caller: "c1", Queue: "support", Announcement: AnnouncePosition, Position: 3},
			CallerAnnounced{At: at(31), Caller: "c1", Queue: "support", Announcement: AnnouncePeriodic, Position: 2},
			CallerAnnounced{At: at(61), Caller: "c1", Queue: "support", Announcement: AnnouncePosition, Position: 1},
			CallConnected{At: at(70), Caller: "c1", Agent: "alice"},
		}, func(r CallRecord) string {
			want := []CallAnnouncement{{At: at(1), Kind: "position", Position: 3}, {At: at(31), Kind: "periodic", Position: 2}, {At: at(61), Kind: "position", Position: 1}}
			if !reflect.DeepEqual(r.Announcements, want) || r.Announced != 3 {
				return fmt.Sprintf("announcements %+v (%d), want %+v", r.Announcements, r.Announced, want)
			}
			return ""
		}},
		{"abandoned", []Event{
			CallerLeft{At: at(40), Caller: "c1", Queue: "support", Reason: LeftAbandoned, Position: 2, Wait: 40 * time.Second},
		}, func(r CallRecord) string {
			if r.Outcome != string(LeftAbandoned) || !r.EndedAt.Equal(at(40)) || r.Agent != "" || r.ExitPosition != 2 || r.Open() {
				return "want abandoned at 40 s from position 2"
			}
			return ""
		}},
		{"moved, reprioritised, left by the exit key", []Event{
			CallerMoved{At: at(10), Caller: "c1", From: "support", To: "sales", KeepWait: true},
			CallerPriorityChanged{At: at(11), Caller: "c1", Queue: "sales", Priority: 9},
			CallerLeft{At: at(12), Caller: "c1", Queue: "sales", Reason: LeftExitKey, Key: "0", Position: 1},
		}, func(r CallRecord) string {
			if r.Queue != "sales" || len(r.Moves) != 1 || r.Moves[0].To != "sales" || !r.Moves[0].KeepWait || r.Priority != 9 ||
				r.Outcome != string(LeftExitKey) || r.ExitKey != "0" {
				return "want moved to sales keeping its wait, priority 9, left with key 0"
			}
			return ""
		}},
		{"transferred by the agent", []Event{
			CallConnected{At: at(25), Caller: "c1", Agent: "alice"},
			CallerTransferred{At: at(115), Caller: "c1", Agent: "alice", By: PartyAgent, Exten: "200", Context: "internal", Talk: 90 * time.Second},
			CallCompleted{At: at(115), Caller: "c1", Agent: "alice", By: PartyTransfer, Talk: 90 * time.Second},
		}, func(r CallRecord) string {
			if r.Outcome != OutcomeTransferred || r.Transfer == nil || r.Transfer.Exten != "200" || r.Transfer.By != PartyAgent || r.Talk != 90*time.Second {
				return "want transferred to 200@internal after 90 s of talk"
			}
			return ""
		}},
		{"resumed after a restart goes on with its record", []Event{
			CallerJoined{At: at(30), Caller: "c1", Queue: "support", Priority: 2, JoinedAt: at(0), Resumed: true},
		}, func(r CallRecord) string {
			if !r.Resumed || !r.JoinedAt.Equal(at(0)) || r.Outcome != OutcomeWaiting || !r.Open() {
				return "want the same visit, marked resumed, still waiting"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := NewCallRecord("k1", join)
			if !ok || r.ID != "k1" || r.Outcome != OutcomeWaiting || r.Caller != "c1" || r.JoinPosition != 3 {
				t.Fatalf("opened record: got %+v (%v)", r, ok)
			}
			for _, ev := range tt.after {
				if c, ok := RecordCaller(ev); !ok || c != "c1" {
					t.Fatalf("RecordCaller(%s) = %q, %v; want c1", ev.Kind(), c, ok)
				}
				r.Apply(ev)
			}
			if msg := tt.check(r); msg != "" {
				t.Errorf("got %+v: %s", r, msg)
			}
		})
	}
	refused, ok := NewCallRecord("k2", CallerRefused{At: at(1), Caller: "c2", Queue: "support", Status: StatusJoinEmpty})
	if !ok || refused.Outcome != OutcomeRefused || refused.Status != StatusJoinEmpty || refused.Open() {
		t.Errorf("refused: got %+v, want a closed record with its status", refused)
	}
	if _, ok := NewCallRecord("k3", QueueOrderChanged{}); ok {
		t.Error("a queue order opened a call record")
	}
}

func TestCallQueryMatches(t *testing.T) {
	r := CallRecord{Queue: "sales", Number: "+44 20 7946 0757", Agent: "alice", Outcome: OutcomeCompleted,
		Rings: []CallRing{{Agent: "bob", Result: "noanswer"}, {Agent: "alice", Result: "answered"}},
		Moves: []CallMove{{From: "billing", To: "sales"}}}
	for _, tc := range []struct {
		q    CallQuery
		want bool
	}{
		{CallQuery{}, true},
		{CallQuery{Number: "2079460757"}, true},
		{CallQuery{Number: "+44 20"}, true},
		{CallQuery{Number: "555"}, false},
		{CallQuery{Number: "abc"}, false}, // no digits matches nothing rather than everything
		{CallQuery{Agent: "bob"}, true},   // rung, not answered: still his call to find
		{CallQuery{Agent: "carol"}, false},
		{CallQuery{Outcome: OutcomeCompleted, Queue: "billing"}, true},
		{CallQuery{Outcome: string(LeftAbandoned)}, false},
	} {
		if got := tc.q.Matches(r); got != tc.want {
			t.Errorf("%+v: got %v, want %v", tc.q, got, tc.want)
		}
	}
}

// A caller waiting an hour hears a prompt every 30 s: its record keeps the
// first maxAnnouncements of them and counts them all.
func TestCallRecordBoundsAnnouncements(t *testing.T) {
	r, _ := NewCallRecord("k1", CallerJoined{At: t0, Caller: "c1", Queue: "support", JoinedAt: t0, Position: 1})
	for i := range 120 {
		r.Apply(CallerAnnounced{At: t0.Add(time.Duration(i) * 30 * time.Second), Caller: "c1", Announcement: AnnouncePosition, Position: 1})
	}
	if len(r.Announcements) != maxAnnouncements || r.Announced != 120 || !r.Announcements[maxAnnouncements-1].At.Equal(t0.Add(time.Duration(maxAnnouncements-1)*30*time.Second)) {
		t.Errorf("%d announcements kept, %d counted: want the first %d and 120", len(r.Announcements), r.Announced, maxAnnouncements)
	}
}
