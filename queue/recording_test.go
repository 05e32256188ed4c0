package queue

import (
	"errors"
	"testing"
)

// A call connected and recorded before a restart is resumed with its
// recording, which can still be resumed (it was paused) and paused again;
// one resumed without a recording cannot be paused.
func TestResumedCallKeepsItsRecording(t *testing.T) {
	q := DefaultQueueConfig("sales")
	q.Record = RecordAlways
	h := MustHarness(t, []QueueConfig{q}, []AgentConfig{{ID: "a1", Device: "PJSIP/a1", Static: true, Queues: []Membership{{Queue: "sales"}}},
		{ID: "a2", Device: "PJSIP/a2", Static: true, Queues: []Membership{{Queue: "sales"}}}})
	rec := &Recording{Name: RecordingName(t0, "c1"), Format: "wav"}
	h.do(CallResumed{Caller: "c1", Agent: "a1", Queue: "sales", Offer: "o1", ConnectedAt: t0, Recording: rec, RecordingState: RecordingPaused})
	h.do(CallResumed{Caller: "c2", Agent: "a2", Queue: "sales", Offer: "o2", ConnectedAt: t0})

	if _, err := h.e.Apply(h.now, RecordingControl{Caller: "c1", Action: RecordPause, By: "sue"}); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("pausing a paused recording: %v, want not allowed", err)
	}
	ready, err := h.e.Apply(h.now, RecordingControl{Caller: "c1", Action: RecordResume, By: "sue"})
	if err != nil {
		t.Fatalf("resume the resumed call's recording: %v", err)
	}
	var ctl *ControlRecording
	for _, a := range ready.CallerActions {
		if c, ok := a.(ControlRecording); ok {
			ctl = &c
		}
	}
	if ctl == nil || ctl.Name != rec.Name || ctl.Action != RecordResume {
		t.Fatalf("actions %v, want the recording %s resumed", ready.CallerActions, rec.Name)
	}
	if _, err := h.e.Apply(h.now, RecordingControl{Caller: "c2", Action: RecordPause, By: "sue"}); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("pausing a call resumed without a recording: %v, want not allowed", err)
	}
	if v, _ := h.e.Agent("a1"); v.Recording != RecordingActive {
		t.Fatalf("a1's view: recording %q, want %q", v.Recording, RecordingActive)
	}
}
