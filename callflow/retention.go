package callflow

import (
	"context"
	"fmt"
	"time"

	"stasisq/queue"
)

// RecordedCalls is where the retention sweep finds recorded calls: the
// store's call history.
type RecordedCalls interface {
	Calls(ctx context.Context, q queue.CallQuery) ([]queue.CallRecord, error)
}

// RetentionInterval is how often RunRetention sweeps: retention is counted
// in days, an hour late is on time.
const RetentionInterval = time.Hour

// RunRetention deletes, at once and then every interval until ctx ends,
// the recordings older than their queue's RecordRetention (SweepRecordings).
// A failed sweep is logged and tried again at the next.
func (a *App) RunRetention(ctx context.Context, calls RecordedCalls, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := a.SweepRecordings(ctx, calls, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Error("recording retention", "deleted", n, "err", err)
		case n > 0:
			a.log.Info("recording retention", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepRecordings deletes the recordings, as of now, of calls that ended
// longer ago than their queue's RecordRetention, from Asterisk and in the
// call record (deleted by "retention"), and returns how many. A call is
// its queue's at the end of its visit (it may have been moved); a queue
// without retention keeps its recordings.
func (a *App) SweepRecordings(ctx context.Context, calls RecordedCalls, now time.Time) (int, error) {
	snap, err := a.Snapshot(ctx)
	if err != nil {
		return 0, fmt.Errorf("recording retention: %w", err)
	}
	deleted := 0
	for _, q := range snap.Queues {
		keep := q.Config.RecordRetention
		if keep <= 0 {
			continue
		}
		cutoff := now.Add(-keep)
		// Calls are found by join time; one that ended after the cutoff
		// waits for a later sweep.
		recs, err := calls.Calls(ctx, queue.CallQuery{To: cutoff, Queue: q.Config.Name})
		if err != nil {
			return deleted, fmt.Errorf("recording retention, queue %s: %w", q.Config.Name, err)
		}
		for _, r := range recs {
			rec := r.Recording
			if rec == nil || r.Queue != q.Config.Name || r.Open() || !r.EndedAt.Before(cutoff) {
				continue
			}
			if rec.State != queue.RecordingDone && rec.State != queue.RecordingFailure {
				continue // deleted already, or Asterisk has not finished it
			}
			if err := a.DeleteRecording(ctx, r.Caller, r.ID, rec.Name, "retention"); err != nil {
				return deleted, fmt.Errorf("recording retention, call %s: %w", r.ID, err)
			}
			deleted++
		}
	}
	return deleted, nil
}
