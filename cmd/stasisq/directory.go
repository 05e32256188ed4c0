package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"stasisq/queue"
	"stasisq/store"
	"stasisq/ui"
)

// directory adapts the store to ui.Directory. Configuration changes are
// persisted first, then applied to the running engine through the loop, so
// a change the engine refuses is never half-applied to the floor.
type directory struct {
	db    *store.DB
	floor *App
}

var _ ui.Directory = (*directory)(nil)

func (d *directory) CheckPassword(ctx context.Context, login, password string) (ui.User, error) {
	a, err := d.db.CheckPassword(ctx, login, password)
	if err != nil {
		if errors.Is(err, store.ErrBadCredentials) || errors.Is(err, store.ErrNotFound) {
			return ui.User{}, ui.ErrBadCredentials
		}
		return ui.User{}, err
	}
	return ui.User{ID: a.Config.ID, Role: ui.Role(a.Role), Name: a.Config.Name}, nil
}

func (d *directory) Queues(ctx context.Context) ([]queue.QueueConfig, error) {
	return d.db.Queues(ctx)
}

func (d *directory) PutQueue(ctx context.Context, q queue.QueueConfig) error {
	if err := queue.ValidateQueue(q); err != nil {
		return err
	}
	if err := d.db.PutQueue(ctx, q); err != nil {
		return err
	}
	return d.floor.Do(ctx, queue.ConfigureQueue{Config: q})
}

func (d *directory) DeleteQueue(ctx context.Context, name string) error {
	if err := d.db.DeleteQueue(ctx, name); err != nil {
		return notFound(err)
	}
	if err := d.floor.Do(ctx, queue.RemoveQueue{Queue: name}); err != nil && !errors.Is(err, queue.ErrUnknownQueue) {
		return err
	}
	return nil
}

func (d *directory) Users(ctx context.Context) ([]ui.UserRecord, error) {
	agents, err := d.db.Agents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ui.UserRecord, 0, len(agents))
	for _, a := range agents {
		out = append(out, ui.UserRecord{ID: a.Config.ID, Name: a.Config.Name, Role: ui.Role(a.Role), Agent: a.Config})
	}
	return out, nil
}

func (d *directory) PutUser(ctx context.Context, u ui.UserRecord, password string) error {
	cfg := u.Agent
	cfg.ID, cfg.Name = u.ID, u.Name
	takesCalls := cfg.Device != ""
	if takesCalls {
		if err := queue.ValidateAgent(cfg); err != nil {
			return err
		}
	}
	if err := d.db.PutAgent(ctx, store.Agent{Config: cfg, Role: string(u.Role)}); err != nil {
		return err
	}
	if password != "" {
		if err := d.db.SetPassword(ctx, u.ID, password); err != nil {
			return err
		}
	}
	if takesCalls {
		return d.floor.Do(ctx, queue.ConfigureAgent{Config: cfg})
	}
	return nil
}

func (d *directory) DeleteUser(ctx context.Context, id string) error {
	if err := d.db.DeleteAgent(ctx, id); err != nil {
		return notFound(err)
	}
	if err := d.floor.Do(ctx, queue.RemoveAgent{Agent: queue.AgentID(id)}); err != nil && !errors.Is(err, queue.ErrUnknownAgent) {
		return err
	}
	return nil
}

func (d *directory) Calls(ctx context.Context, from, to time.Time, queueName string, limit int) ([]ui.CallRecord, error) {
	recs, err := d.db.Calls(ctx, store.CallQuery{From: from, To: to, Queue: queueName, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]ui.CallRecord, 0, len(recs))
	for _, r := range recs {
		out = append(out, ui.CallRecord{
			ID:         r.ID,
			Caller:     string(r.Caller),
			Queue:      r.Queue,
			Number:     r.Number,
			Name:       r.Name,
			Agent:      string(r.Agent),
			JoinedAt:   r.JoinedAt,
			AnsweredAt: r.AnsweredAt,
			EndedAt:    r.EndedAt,
			Outcome:    r.Outcome,
			Wait:       r.Wait,
			Talk:       r.Talk,
			Position:   r.JoinPosition,
			EndedBy:    string(r.CompletedBy),
		})
	}
	return out, nil
}

func (d *directory) QueueStats(ctx context.Context, queueName string, from, to time.Time) ([]queue.QueueInterval, error) {
	return d.db.QueueStats(ctx, queueName, from, to)
}

func (d *directory) AgentStats(ctx context.Context, agent string, from, to time.Time) ([]queue.AgentInterval, error) {
	return d.db.AgentStats(ctx, queue.AgentID(agent), from, to)
}

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w", ui.ErrNotFound)
	}
	return err
}
