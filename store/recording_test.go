package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"stasisq/queue"
)

// A recording's report lands on the visit it was made in: the caller's
// latest by default, the one its call record ID names otherwise (a
// retention delete of a caller who came back to the queue later).
func TestRecordingChangesLandOnTheirVisit(t *testing.T) {
	db := MustOpen(t, testOptions())
	ctx := context.Background()
	first := callScript{caller: "1741597200.1", queue: "support", number: "1001", joined: t0, pos: 1}
	answered := first.answer("o1", "alice", 2*time.Second, 5*time.Second)
	connect := answered[2].(queue.CallConnected)
	connect.Recording = &queue.Recording{Name: "stasisq-20250310-090005-1741597200.1", Format: "wav"}
	answered[2] = connect
	db.Record(concat(first.join(), first.ring("o1", "alice", 2*time.Second), answered,
		first.complete("alice", queue.PartyCaller, 5*time.Second, 20*time.Second))...)
	db.Record(queue.RecordingChanged{At: at(26 * time.Second), Caller: first.caller, Name: connect.Recording.Name,
		State: queue.RecordingDone, Duration: 20 * time.Second})
	// The same channel comes back for a second visit, not recorded.
	again := first
	again.joined = at(time.Minute)
	db.Record(again.join()...)
	MustFlush(t, db)

	old, err := db.Calls(ctx, queue.CallQuery{To: at(30 * time.Second)})
	if err != nil || len(old) != 1 {
		t.Fatalf("Calls: %v %v, want the first visit", old, err)
	}
	if rec := old[0].Recording; rec == nil || rec.State != queue.RecordingDone || rec.Duration != 20*time.Second {
		t.Fatalf("first visit's recording: %+v, want done, 20 s", rec)
	}
	db.Record(queue.RecordingChanged{At: at(2 * time.Minute), Caller: first.caller, Record: old[0].ID,
		Name: connect.Recording.Name, State: queue.RecordingDeleted, By: "retention"})
	MustFlush(t, db)

	got, err := db.CallByID(ctx, old[0].ID)
	if err != nil {
		t.Fatalf("CallByID: %v", err)
	}
	if rec := got.Recording; rec == nil || rec.State != queue.RecordingDeleted || rec.DeletedBy != "retention" || rec.Duration != 20*time.Second {
		t.Fatalf("first visit after the delete: %+v, want deleted by retention, still 20 s", rec)
	}
	latest, err := db.Call(ctx, first.caller)
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	if latest.ID == old[0].ID || latest.Recording != nil {
		t.Fatalf("latest visit %s: recording %+v, want the second visit untouched", latest.ID, latest.Recording)
	}
	if _, err := db.CallByID(ctx, "nonsense"); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("CallByID(nonsense): %v, want ErrNotFound", err)
	}
}

// A supervisor's queues are kept with its login and come back with it,
// also through its session.
func TestSupervisesIsKept(t *testing.T) {
	db := MustOpen(t, testOptions())
	ctx := context.Background()
	u := queue.User{ID: "sue", Name: "Sue", Role: queue.RoleSupervisor, Supervises: []string{"sales", "support"}}
	if err := db.PutUser(ctx, u, "sue-password"); err != nil {
		t.Fatal(err)
	}
	got, err := db.User(ctx, "sue")
	if err != nil || !slices.Equal(got.Supervises, u.Supervises) {
		t.Fatalf("User: %+v %v, want supervises %v", got, err, u.Supervises)
	}
	u.Supervises = nil // back to every queue; the password kept
	if err := db.PutUser(ctx, u, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Authenticate(ctx, "sue", "sue-password"); err != nil || len(got.Supervises) != 0 {
		t.Fatalf("Authenticate after clearing: %+v %v, want no list and the password kept", got, err)
	}
}
