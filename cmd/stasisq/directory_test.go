package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"stasisq/queue"
	"stasisq/ui"
)

// configChanges counts the configuration events the app published, per kind
// and name ("queue_configured sales").
func configChanges(e *testEnv) map[string]int {
	out := map[string]int{}
	for _, ev := range e.events.all() {
		switch ev := ev.(type) {
		case queue.QueueConfigured:
			out[ev.Kind()+" "+ev.Config.Name]++
		case queue.QueueRemoved:
			out[ev.Kind()+" "+ev.Queue]++
		case queue.AgentConfigured:
			out[ev.Kind()+" "+ev.Config.ID]++
		case queue.AgentRemoved:
			out[ev.Kind()+" "+string(ev.Agent)]++
		}
	}
	return out
}

// TestDirectoryOnlyStores: the store, the web console's Directory, persists
// and never touches the floor, which the console changes through
// Floor.Configure.
func TestDirectoryOnlyStores(t *testing.T) {
	e := MustStartEnv(t)
	var dir ui.Directory = e.main.DB
	ctx := e.ctx()

	q := queue.DefaultQueueConfig("sales")
	if err := dir.PutQueue(ctx, q); err != nil {
		t.Fatalf("put queue: %v", err)
	}
	u := queue.User{ID: "ann", Name: "Ann", Role: queue.RoleAgent, Agent: queue.AgentConfig{Device: "PJSIP/ann", Queues: []queue.Membership{{Queue: "sales"}}}}
	if err := dir.PutUser(ctx, u, "secret-password"); err != nil {
		t.Fatalf("put user: %v", err)
	}
	if got := configChanges(e); len(got) != 0 {
		t.Errorf("configuration events from storing: got=%v, want none", got)
	}
	snap, err := e.main.App.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Queues) != 0 || len(snap.Agents) != 0 {
		t.Errorf("engine after storing: got %d queues and %d agents, want none", len(snap.Queues), len(snap.Agents))
	}
	queues, err := dir.Queues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(queues, func(c queue.QueueConfig) bool { return c.Name == "sales" }) {
		t.Errorf("stored queues got=%v, want sales among them", queues)
	}
	if _, err := dir.Authenticate(ctx, "ann", "secret-password"); err != nil {
		t.Errorf("check stored password: %v", err)
	}

	// An invalid queue is refused by the one validation, before the store
	// or the engine sees it.
	bad := queue.DefaultQueueConfig("broken")
	bad.Strategy = "nonsense"
	if err := e.main.configureQueue(ctx, bad); !errors.Is(err, queue.ErrInvalid) {
		t.Errorf("configure invalid queue: got=%v, want a validation error", err)
	}
	queues, err = dir.Queues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(queues, func(c queue.QueueConfig) bool { return c.Name == "broken" }) {
		t.Error("an invalid queue was stored")
	}

	if err := dir.DeleteUser(ctx, "ann"); err != nil {
		t.Fatalf("delete user: %v", err)
	}
	if err := dir.DeleteQueue(ctx, "sales"); err != nil {
		t.Fatalf("delete queue: %v", err)
	}
	if err := dir.DeleteQueue(ctx, "sales"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("delete missing queue: got=%v, want ui.ErrNotFound", err)
	}
	if got := configChanges(e); len(got) != 0 {
		t.Errorf("configuration events from deleting: got=%v, want none", got)
	}
}

// TestConfigureStoresBeforeApplying: a configuration change whose store
// write fails leaves the engine as it was; one that is stored is applied.
func TestConfigureStoresBeforeApplying(t *testing.T) {
	e := MustStartEnv(t)
	ctx := e.ctx()
	diskFull := errors.New("disk full")
	q := queue.DefaultQueueConfig("sales")
	err := e.main.App.Configure(ctx, queue.ConfigureQueue{Config: q}, func(context.Context) error { return diskFull })
	if !errors.Is(err, diskFull) {
		t.Fatalf("configure with a failing store: got=%v, want the store's error", err)
	}
	snap, err := e.main.App.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Queues) != 0 || len(configChanges(e)) != 0 {
		t.Errorf("engine after a failed store write: got %d queues, events %v; want none", len(snap.Queues), configChanges(e))
	}
	saved := false
	err = e.main.App.Configure(ctx, queue.ConfigureQueue{Config: q}, func(context.Context) error { saved = true; return nil })
	if err != nil || !saved {
		t.Fatalf("configure: got err=%v saved=%v, want stored and applied", err, saved)
	}
	if got := configChanges(e); got["queue_configured sales"] != 1 {
		t.Errorf("configuration events: got=%v, want queue_configured sales once", got)
	}
}

// TestAdminChangesApplyOnce drives the web console's admin API: every change
// reaches the engine exactly once (one event each) and is stored.
func TestAdminChangesApplyOnce(t *testing.T) {
	e := MustStartEnv(t)
	ctx := e.ctx()
	if err := e.main.DB.PutUser(ctx, queue.User{ID: "boss", Name: "Boss", Role: queue.RoleAdmin}, "boss-password"); err != nil {
		t.Fatalf("seed admin: %v", err)
	}
	c := MustConsoleLogin(t, e.main.URL(), "boss", "boss-password")

	q := queue.DefaultQueueConfig("sales")
	c.mustDo(http.MethodPut, "/api/admin/queues/sales", q, http.StatusOK, nil)
	c.mustDo(http.MethodPut, "/api/admin/users/ann", map[string]any{
		"name": "Ann", "role": "agent", "password": "ann-password",
		"agent": queue.AgentConfig{Device: "PJSIP/ann", Queues: []queue.Membership{{Queue: "sales"}}},
	}, http.StatusOK, nil)
	c.mustDo(http.MethodDelete, "/api/admin/users/ann", nil, http.StatusNoContent, nil)
	c.mustDo(http.MethodDelete, "/api/admin/queues/sales", nil, http.StatusNoContent, nil)

	want := map[string]int{"queue_configured sales": 1, "agent_configured ann": 1, "agent_removed ann": 1, "queue_removed sales": 1}
	got := configChanges(e)
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s events got=%d, want %d (all: %v)", k, got[k], n, got)
		}
	}
	users, err := e.main.DB.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(users, func(u queue.User) bool { return u.ID == "ann" }) {
		t.Error("deleted user ann is still stored")
	}
}
