package callflow

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"stasisq/queue"
	"stasisq/store"
)

// A stored entry the engine refuses must not keep stasisq from starting: the
// good queues and agents still load, the bad ones are left out.
func TestLoadConfigurationLeavesOutWhatTheEngineRefuses(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "stasisq.db"), store.Options{NoSync: true, BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	good := queue.DefaultQueueConfig("support")
	bad := queue.DefaultQueueConfig("broken")
	bad.Timeout = -time.Second
	bad.Strategy = "no-such-strategy"
	for _, q := range []queue.QueueConfig{good, bad} {
		if err := db.PutQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	agents := []store.Agent{
		{Config: queue.AgentConfig{ID: "alice", Device: "PJSIP/alice", Queues: []queue.Membership{{Queue: "support"}}}},
		{Config: queue.AgentConfig{ID: "nophone", Queues: []queue.Membership{{Queue: "support"}}}, Role: queue.RoleAgent},
		{Config: queue.AgentConfig{ID: "sam"}, Role: queue.RoleSupervisor},
	}
	for _, a := range agents {
		if err := db.PutAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	engine := queue.NewEngine(queue.Options{})
	if err := LoadConfiguration(ctx, slog.New(slog.DiscardHandler), db, engine); err != nil {
		t.Fatalf("LoadConfiguration: got=%v, want nil", err)
	}
	tests := []struct {
		name string
		ok   bool
		got  func() bool
	}{
		{"valid queue loaded", true, func() bool { _, ok := engine.Queue("support"); return ok }},
		{"invalid queue left out", false, func() bool { _, ok := engine.Queue("broken"); return ok }},
		{"agent with a phone loaded", true, func() bool { _, ok := engine.Agent("alice"); return ok }},
		{"agent without a phone left out", false, func() bool { _, ok := engine.Agent("nophone"); return ok }},
		{"supervisor not an agent", false, func() bool { _, ok := engine.Agent("sam"); return ok }},
	}
	for _, tt := range tests {
		if got := tt.got(); got != tt.ok {
			t.Errorf("%s: got=%v, want %v", tt.name, got, tt.ok)
		}
	}
}
