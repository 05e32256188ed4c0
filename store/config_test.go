package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"stasisq/queue"
)

func TestQueueConfigRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	db := MustOpenPath(t, path, testOptions())

	support := queue.DefaultQueueConfig("support")
	support.Strategy = queue.RRMemory
	support.JoinEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyUnavailable}
	support.Rules = []queue.PenaltyRule{{After: 30 * time.Second, MaxPenalty: 5, MaxRelative: true}}
	support.PeriodicAnnounce = []string{"sound:queue-periodic-announce"}
	sales := queue.DefaultQueueConfig("sales")
	for _, q := range []queue.QueueConfig{support, sales} {
		if err := db.PutQueue(ctx, q); err != nil {
			t.Fatalf("PutQueue(%s): %v", q.Name, err)
		}
	}
	if err := db.PutQueue(ctx, queue.QueueConfig{}); err == nil {
		t.Errorf("PutQueue without a name: got=nil, want an error")
	}

	// Survives a reopen byte for byte.
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	db = MustOpenPath(t, path, testOptions())
	got, err := db.Queues(ctx)
	if err != nil {
		t.Fatalf("Queues: %v", err)
	}
	want := []queue.QueueConfig{sales, support} // by name
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Queues:\ngot=%+v\nwant %+v", got, want)
	}
	one, err := db.Queue(ctx, "support")
	if err != nil || !reflect.DeepEqual(one, support) {
		t.Errorf("Queue(support): got=%+v, %v, want %+v", one, err, support)
	}

	if err := db.DeleteQueue(ctx, "sales"); err != nil {
		t.Fatalf("DeleteQueue: %v", err)
	}
	if err := db.DeleteQueue(ctx, "sales"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("DeleteQueue twice: got=%v, want ErrNotFound", err)
	}
	if _, err := db.Queue(ctx, "sales"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("Queue(sales) after delete: got=%v, want ErrNotFound", err)
	}
}

func TestAgentRoundTripAndPasswords(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	db := MustOpenPath(t, path, testOptions())

	yes := true
	alice := Agent{Config: queue.AgentConfig{ID: "alice", Name: "Alice", Device: "PJSIP/1001",
		Queues: []queue.Membership{{Queue: "support", Penalty: 1}}, Skills: map[string]int{"fr": 80}, RingInUse: &yes}}
	boss := Agent{Config: queue.AgentConfig{ID: "boss", Name: "The Boss"}, Role: queue.RoleSupervisor}
	for _, a := range []Agent{alice, boss} {
		if err := db.PutAgent(ctx, a); err != nil {
			t.Fatalf("PutAgent(%s): %v", a.Config.ID, err)
		}
	}
	alice.Role = queue.RoleAgent // the default PutAgent fills in

	for _, tc := range []struct {
		name  string
		agent Agent
	}{
		{"no id", Agent{Role: queue.RoleAgent}},
		{"unknown role", Agent{Config: queue.AgentConfig{ID: "x"}, Role: "root"}},
	} {
		var verr *queue.ValidationError
		if err := db.PutAgent(ctx, tc.agent); !errors.As(err, &verr) {
			t.Errorf("PutAgent(%s): got=%v, want a *queue.ValidationError", tc.name, err)
		}
	}

	if err := db.SetPassword(ctx, "alice", "s3cret"); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if err := db.SetPassword(ctx, "nobody", "x"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("SetPassword(nobody): got=%v, want ErrNotFound", err)
	}
	// Editing the agent without a hash keeps its password.
	alice.Config.Name = "Alice B."
	if err := db.PutAgent(ctx, alice); err != nil {
		t.Fatalf("PutAgent: %v", err)
	}

	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	db = MustOpenPath(t, path, testOptions())

	got, err := db.CheckPassword(ctx, "alice", "s3cret")
	if err != nil {
		t.Fatalf("CheckPassword(right): %v", err)
	}
	if string(got.PasswordHash) == "s3cret" || len(got.PasswordHash) == 0 {
		t.Errorf("stored hash %q: want a bcrypt hash", got.PasswordHash)
	}
	got.PasswordHash = nil
	if !reflect.DeepEqual(got, alice) {
		t.Errorf("CheckPassword agent:\ngot=%+v\nwant %+v", got, alice)
	}
	for _, tc := range []struct{ name, id, pw string }{
		{"wrong password", "alice", "guess"},
		{"unknown login", "mallory", "s3cret"},
		{"login without password", "boss", ""},
	} {
		if _, err := db.CheckPassword(ctx, tc.id, tc.pw); !errors.Is(err, queue.ErrBadCredentials) {
			t.Errorf("CheckPassword(%s): got=%v, want ErrBadCredentials", tc.name, err)
		}
	}

	all, err := db.Agents(ctx)
	if err != nil {
		t.Fatalf("Agents: %v", err)
	}
	if len(all) != 2 || all[0].Config.ID != "alice" || all[1].Config.ID != "boss" || all[1].Role != queue.RoleSupervisor {
		t.Errorf("Agents: got=%+v, want alice then boss (supervisor)", all)
	}
	if err := db.DeleteAgent(ctx, "boss"); err != nil {
		t.Fatalf("DeleteAgent: %v", err)
	}
	if _, err := db.GetAgent(ctx, "boss"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("GetAgent after delete: got=%v, want ErrNotFound", err)
	}
	if err := db.DeleteAgent(ctx, "boss"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("DeleteAgent twice: got=%v, want ErrNotFound", err)
	}
}

func TestRedirectTargetsKept(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stasisq.db")
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if ts, err := db.RedirectTargets(ctx); err != nil || len(ts) != 0 {
		t.Fatalf("a new database: got=%v err=%v, want an empty list", ts, err)
	}
	want := queue.RedirectTargets{{Context: "from-internal", Exten: "2000"}, {Context: "ivr", Exten: "_X."}}
	if err := db.PutRedirectTargets(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = MustOpenPath(t, path, testOptions())
	if got, err := db.RedirectTargets(ctx); err != nil || !slices.Equal(got, want) {
		t.Fatalf("after reopen got=%v err=%v, want %v", got, err, want)
	}
}
