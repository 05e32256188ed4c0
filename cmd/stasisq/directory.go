package main

import (
	"context"
	"fmt"
	"time"

	"stasisq/callflow"
	"stasisq/queue"
	"stasisq/store"
	"stasisq/ui"
)

// directory adapts the store to ui.Directory. It only stores: the web
// console applies a change to the engine (Floor.Do) before it calls the
// Directory, so the store never holds what the engine refused and the floor
// sees each change once. Callers outside the console (load test, tests) use
// ConfigureQueue and ConfigureUser, which keep that order.
type directory struct {
	db    *store.DB
	floor *callflow.App // only for ConfigureQueue and ConfigureUser
}

var _ ui.Directory = (*directory)(nil)

func (d *directory) CheckPassword(ctx context.Context, login, password string) (ui.User, error) {
	a, err := d.db.CheckPassword(ctx, login, password)
	if err != nil {
		return ui.User{}, err
	}
	return ui.User{ID: a.Config.ID, Role: a.Role, Name: a.Config.Name}, nil
}

func (d *directory) Queues(ctx context.Context) ([]queue.QueueConfig, error) {
	return d.db.Queues(ctx)
}

// PutQueue stores q. It validates again so that nothing the engine would
// refuse at the next start reaches the store.
func (d *directory) PutQueue(ctx context.Context, q queue.QueueConfig) error {
	if err := queue.ValidateQueue(q); err != nil {
		return fmt.Errorf("store queue %s: %w", q.Name, err)
	}
	return d.db.PutQueue(ctx, q)
}

func (d *directory) DeleteQueue(ctx context.Context, name string) error {
	return d.db.DeleteQueue(ctx, name)
}

func (d *directory) Users(ctx context.Context) ([]ui.UserRecord, error) {
	agents, err := d.db.Agents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ui.UserRecord, 0, len(agents))
	for _, a := range agents {
		out = append(out, ui.UserRecord{ID: a.Config.ID, Name: a.Config.Name, Role: a.Role, Agent: a.Config})
	}
	return out, nil
}

func (d *directory) PutUser(ctx context.Context, u ui.UserRecord, password string) error {
	cfg := u.Agent
	cfg.ID, cfg.Name = u.ID, u.Name
	takesCalls := cfg.Device != ""
	if takesCalls {
		if err := queue.ValidateAgent(cfg); err != nil {
			return fmt.Errorf("store user %s: %w", u.ID, err)
		}
	}
	if err := d.db.PutAgent(ctx, store.Agent{Config: cfg, Role: u.Role}); err != nil {
		return err
	}
	if password != "" {
		if err := d.db.SetPassword(ctx, u.ID, password); err != nil {
			return err
		}
	}
	return nil
}

func (d *directory) DeleteUser(ctx context.Context, id string) error {
	return d.db.DeleteAgent(ctx, id)
}

// ConfigureQueue configures q on the floor, then stores it: the order of the
// web console's admin API.
func (d *directory) ConfigureQueue(ctx context.Context, q queue.QueueConfig) error {
	if err := d.floor.Do(ctx, queue.ConfigureQueue{Config: q}); err != nil {
		return fmt.Errorf("configure queue %s: %w", q.Name, err)
	}
	return d.PutQueue(ctx, q)
}

// ConfigureUser configures u's agent on the floor when u takes calls, then
// stores u, as the web console's admin API does.
func (d *directory) ConfigureUser(ctx context.Context, u ui.UserRecord, password string) error {
	if u.Agent.Device != "" {
		cfg := u.Agent
		cfg.ID, cfg.Name = u.ID, u.Name
		if err := d.floor.Do(ctx, queue.ConfigureAgent{Config: cfg}); err != nil {
			return fmt.Errorf("configure agent %s: %w", u.ID, err)
		}
	}
	return d.PutUser(ctx, u, password)
}

func (d *directory) Calls(ctx context.Context, from, to time.Time, queueName string, limit int) ([]queue.CallRecord, error) {
	return d.db.Calls(ctx, store.CallQuery{From: from, To: to, Queue: queueName, Limit: limit})
}

func (d *directory) QueueStats(ctx context.Context, queueName string, from, to time.Time) ([]queue.QueueInterval, error) {
	return d.db.QueueStats(ctx, queueName, from, to)
}

func (d *directory) AgentStats(ctx context.Context, agent string, from, to time.Time) ([]queue.AgentInterval, error) {
	return d.db.AgentStats(ctx, queue.AgentID(agent), from, to)
}
