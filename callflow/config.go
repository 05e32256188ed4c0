package callflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"stasisq/queue"
)

// Configure makes one configuration change (queue.ConfigureQueue,
// RemoveQueue, ConfigureAgent or RemoveAgent) to the engine and, through
// save, to the store, together or not at all: on the loop, the engine
// checks the change against its current state (Engine.CheckConfig, the one
// validation), save writes it, and only then does the engine apply it, which
// it cannot refuse any more. A failed save leaves the engine as it was; a
// refused change is never saved. Removing what the engine does not hold (a
// user without a phone) is saved and is done.
//
// The save runs on the loop: configuration changes are rare, one small
// bbolt transaction costs the loop a few milliseconds, and nothing can
// change the engine's state between the check and the apply.
func (a *App) Configure(ctx context.Context, in queue.Input, save func(context.Context) error) error {
	var cmdErr error
	err := a.do(ctx, func() {
		checkErr := a.engine.CheckConfig(in)
		absent := isAbsent(in, checkErr)
		if checkErr != nil && !absent {
			cmdErr = checkErr
			return
		}
		if err := save(ctx); err != nil {
			cmdErr = fmt.Errorf("store %T: %w", in, err)
			return
		}
		if absent {
			return
		}
		if err := a.apply(in); err != nil {
			// CheckConfig said yes on this very state: a bug, and the store
			// now holds what this run does not.
			a.log.Error("configuration stored but not applied", "change", fmt.Sprintf("%T", in), "err", err)
			cmdErr = fmt.Errorf("apply %T: %w", in, err)
		}
	})
	if err != nil {
		return err
	}
	return cmdErr
}

// isAbsent: a removal of something the engine does not hold is done.
func isAbsent(in queue.Input, err error) bool {
	switch in.(type) {
	case queue.RemoveQueue:
		return errors.Is(err, queue.ErrUnknownQueue)
	case queue.RemoveAgent:
		return errors.Is(err, queue.ErrUnknownAgent)
	}
	return false
}

// ConfigSource is where the configuration lives between runs (the store).
type ConfigSource interface {
	Queues(ctx context.Context) ([]queue.QueueConfig, error)
	// AgentConfigs are the agents of every login; one without a device
	// (a supervisor or admin) takes no calls.
	AgentConfigs(ctx context.Context) ([]queue.AgentConfig, error)
	// RecentStatistics are the stored intervals today's figures go on from.
	RecentStatistics(ctx context.Context) ([]queue.QueueInterval, []queue.AgentInterval, error)
}

// LoadConfiguration gives a new engine every stored queue and agent, and
// today's figures so far. One
// entry the engine refuses (written by an older version, or edited by hand)
// is logged with the reason and left out: refusing to start would send
// every caller to the dialplan's fallback over one bad queue. Only a store
// that cannot be read stops the start.
func LoadConfiguration(ctx context.Context, log *slog.Logger, src ConfigSource, engine *queue.Engine) error {
	qs, as, err := src.RecentStatistics(ctx)
	if err != nil {
		return err
	}
	engine.LoadStatistics(qs, as)
	queues, err := src.Queues(ctx)
	if err != nil {
		return fmt.Errorf("load queues: %w", err)
	}
	now := time.Now()
	for _, q := range queues {
		if _, err := engine.Apply(now, queue.ConfigureQueue{Config: q}); err != nil {
			log.Error("stored queue left out: fix it in the admin UI", "queue", q.Name, "err", err)
		}
	}
	agents, err := src.AgentConfigs(ctx)
	if err != nil {
		return fmt.Errorf("load agents: %w", err)
	}
	for _, a := range agents {
		if a.Device == "" {
			continue // a supervisor or admin login, or an agent with no phone yet: takes no calls
		}
		if _, err := engine.Apply(now, queue.ConfigureAgent{Config: a}); err != nil {
			log.Error("stored agent left out: fix it in the admin UI", "agent", a.ID, "err", err)
		}
	}
	return nil
}
