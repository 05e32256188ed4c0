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
// console makes each change through Floor.Configure, which validates it,
// has it stored here and only then applies it. Callers outside the console
// (load test, tests) use ConfigureQueue and ConfigureUser, which do the same.
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

func (d *directory) PutQueue(ctx context.Context, q queue.QueueConfig) error {
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

// PutUser stores u and, when given, its new password in one transaction.
func (d *directory) PutUser(ctx context.Context, u ui.UserRecord, password string) error {
	a := store.Agent{Config: u.Agent, Role: u.Role}
	a.Config.ID, a.Config.Name = u.ID, u.Name
	if password != "" {
		hash, err := d.db.HashPassword(password)
		if err != nil {
			return fmt.Errorf("store user %s: %w", u.ID, err)
		}
		a.PasswordHash = hash
	}
	return d.db.PutAgent(ctx, a)
}

func (d *directory) DeleteUser(ctx context.Context, id string) error {
	return d.db.DeleteAgent(ctx, id)
}

// ConfigureQueue stores q and configures it on the floor, as the web
// console's admin API does.
func (d *directory) ConfigureQueue(ctx context.Context, q queue.QueueConfig) error {
	return d.floor.Configure(ctx, queue.ConfigureQueue{Config: q}, func(ctx context.Context) error { return d.PutQueue(ctx, q) })
}

// ConfigureUser stores u and configures its agent on the floor when u takes
// calls, as the web console's admin API does.
func (d *directory) ConfigureUser(ctx context.Context, u ui.UserRecord, password string) error {
	var change queue.Input = queue.RemoveAgent{Agent: queue.AgentID(u.ID)}
	if u.Agent.Device != "" {
		cfg := u.Agent
		cfg.ID, cfg.Name = u.ID, u.Name
		change = queue.ConfigureAgent{Config: cfg}
	}
	return d.floor.Configure(ctx, change, func(ctx context.Context) error { return d.PutUser(ctx, u, password) })
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
