package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// closeAttempts is how often Close retries a failing commit before giving the
// remaining events up, so that shutdown cannot hang on a full disk.
const closeAttempts = 3

// writer owns the one goroutine that writes domain events. Record appends to
// pending under mu and returns; the goroutine takes batches and commits each
// in one bbolt transaction.
type writer struct {
	db    *DB
	size  int
	delay time.Duration

	mu        sync.Mutex
	pending   [][]queue.Event // one group per Record call, never split across batches
	npending  int
	firstAt   time.Time // when the oldest pending event was recorded
	recorded  uint64    // events ever recorded
	committed uint64    // events committed (or given up at Close)
	closing   bool
	waiters   []flushWaiter
	closeErr  error

	wake chan struct{}
	done chan struct{}

	// Owned by the goroutine.
	rec      *queue.Recorder
	unsavedQ map[intervalKey]queue.QueueInterval
	unsavedA map[intervalKey]queue.AgentInterval
	waiting  waitingSet // as committed: batches read callers from it, not from the file
	advanced time.Time  // the event time rec was last advanced to
	latest   time.Time  // the latest event time seen
}

// advanceEvery is how far the events' time moves before the writer counts
// every logged-in agent's time in its state again (Recorder.Advance). Each
// Advance changes every such agent's interval and day row, and rewriting
// all of them with every commit (14 commits a second in the side-by-side
// saturation, 20 agents: 40 rows decoded and encoded each time) took a
// fifth of stasisq's CPU there. An agent's own events count its time
// anyway; this only keeps the stored figures of one who sits in one state
// for long current, to the second. Close advances them to the last event
// (run), as every commit used to.
const advanceEvery = time.Second

type flushWaiter struct {
	target uint64
	ch     chan error
}

type intervalKey struct {
	name  string
	start int64
}

func newWriter(db *DB, rec *queue.Recorder, waiting waitingSet) *writer {
	return &writer{
		db:       db,
		size:     db.opts.BatchSize,
		delay:    db.opts.BatchDelay,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		rec:      rec,
		unsavedQ: make(map[intervalKey]queue.QueueInterval),
		unsavedA: make(map[intervalKey]queue.AgentInterval),
		waiting:  waiting,
	}
}

// Record hands domain events to the writer and returns at once: it never
// waits for the disk. The events of one call are committed in the same
// transaction, so the effects of one engine Apply are all durable or none
// are. The queue in memory is unbounded: dropping an event would corrupt the
// resume state, and a writer that cannot keep up shows as growing memory and
// a Flush that takes long, not as lost callers. Events recorded after Close
// are dropped and logged.
func (db *DB) Record(events ...queue.Event) {
	db.w.record(events)
}

// Flush waits until every event recorded before the call is committed,
// closing the current batch at once instead of after BatchDelay. It returns
// the commit error if a commit failed meanwhile (the writer keeps retrying).
func (db *DB) Flush(ctx context.Context) error {
	return db.w.flush(ctx)
}

func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *writer) record(events []queue.Event) {
	if len(events) == 0 {
		return
	}
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		w.db.log.Error("store closed: events dropped", "events", len(events), "first", events[0].Kind())
		return
	}
	was := w.npending
	if was == 0 {
		w.firstAt = time.Now()
	}
	w.pending = append(w.pending, slices.Clone(events))
	w.npending += len(events)
	w.recorded += uint64(len(events))
	now := w.npending
	w.mu.Unlock()
	// Wake the writer to start the batch timer, or because the batch is full;
	// other Records need not wake it.
	if was == 0 || (was < w.size && now >= w.size) {
		w.signal()
	}
}

func (w *writer) flush(ctx context.Context) error {
	w.mu.Lock()
	if w.committed >= w.recorded {
		w.mu.Unlock()
		return nil
	}
	ch := make(chan error, 1)
	w.waiters = append(w.waiters, flushWaiter{target: w.recorded, ch: ch})
	w.mu.Unlock()
	w.signal()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return fmt.Errorf("flush: %w", ctx.Err())
	}
}

// close commits everything pending and stops the goroutine.
func (w *writer) close() error {
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	w.signal()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closeErr
}

func (w *writer) run() {
	defer close(w.done)
	for {
		batch, ok := w.nextBatch()
		if !ok {
			if w.latest.After(w.advanced) {
				// Closing: idle agents' time up to the last event, in
				// a commit of its own.
				w.commitBatch(nil)
			}
			return
		}
		w.commitBatch(batch)
	}
}

// nextBatch waits until a batch is due: BatchSize events pending, BatchDelay
// since the oldest pending one, a Flush waiting, or Close. It returns false
// when closing with nothing left.
func (w *writer) nextBatch() ([]queue.Event, bool) {
	for {
		w.mu.Lock()
		n := w.npending
		urgent := len(w.waiters) > 0 || w.closing
		age := time.Since(w.firstAt)
		if n > 0 && (n >= w.size || urgent || age >= w.delay) {
			batch := w.takeLocked()
			w.mu.Unlock()
			return batch, true
		}
		if n == 0 && w.closing {
			w.mu.Unlock()
			return nil, false
		}
		w.mu.Unlock()
		if n == 0 {
			<-w.wake
			continue
		}
		t := time.NewTimer(w.delay - age)
		select {
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// takeLocked takes whole groups until the batch holds at least one group and
// no more than BatchSize events (a single larger group goes alone).
func (w *writer) takeLocked() []queue.Event {
	var batch []queue.Event
	i := 0
	for ; i < len(w.pending); i++ {
		g := w.pending[i]
		if len(batch) > 0 && len(batch)+len(g) > w.size {
			break
		}
		batch = append(batch, g...)
	}
	clear(w.pending[:i])
	w.pending = w.pending[i:]
	if len(w.pending) == 0 {
		w.pending = nil
	}
	w.npending -= len(batch)
	return batch
}

// commitBatch feeds the statistics recorder once, then commits the batch,
// retrying on failure with backoff: the same events are re-applied in a new
// transaction, which is correct because a failed transaction left nothing.
func (w *writer) commitBatch(batch []queue.Event) {
	for _, ev := range batch {
		w.rec.Observe(ev)
		if at := ev.Time(); at.After(w.latest) {
			w.latest = at
		}
	}
	// Count time in state up to the latest event, so that an agent who sits
	// paused for an hour shows in the intervals before it unpauses; an
	// empty batch is the closing one (run), made only when there is time
	// to count.
	if len(batch) == 0 || w.latest.Sub(w.advanced) >= advanceEvery {
		w.rec.Advance(w.latest)
		w.advanced = w.latest
	}
	qs, as := w.rec.Drain()
	for _, q := range qs {
		w.unsavedQ[intervalKey{q.Queue, q.Start.UnixNano()}] = q
	}
	for _, a := range as {
		w.unsavedA[intervalKey{string(a.Agent), a.Start.UnixNano()}] = a
	}

	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		began := time.Now()
		lines, err := w.commit(batch)
		if err == nil {
			if on := w.db.opts.OnCommit; on != nil && len(batch) > 0 {
				on(len(batch), time.Since(began))
			}
			clear(w.unsavedQ)
			clear(w.unsavedA)
			w.writeQueueLog(lines)
			w.committedN(len(batch), nil)
			return
		}
		err = fmt.Errorf("commit %d events to %s: %w", len(batch), w.db.path, err)
		w.db.log.Error("store writer", "err", err, "attempt", attempt)
		w.mu.Lock()
		closing := w.closing
		w.mu.Unlock()
		if closing && attempt >= closeAttempts {
			w.mu.Lock()
			w.closeErr = errors.Join(w.closeErr, fmt.Errorf("%w: %d events lost", err, len(batch)))
			w.mu.Unlock()
			w.committedN(len(batch), err)
			return
		}
		w.failWaiters(err)
		time.Sleep(backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (w *writer) committedN(n int, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.committed += uint64(n)
	kept := w.waiters[:0]
	for _, fw := range w.waiters {
		if fw.target <= w.committed {
			fw.ch <- err
			continue
		}
		kept = append(kept, fw)
	}
	clear(w.waiters[len(kept):])
	w.waiters = kept
}

func (w *writer) failWaiters(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, fw := range w.waiters {
		fw.ch <- err
	}
	w.waiters = nil
}

func (w *writer) writeQueueLog(lines []string) {
	out := w.db.opts.QueueLog
	if out == nil || len(lines) == 0 {
		return
	}
	var buf []byte
	for _, l := range lines {
		buf = append(buf, l...)
		buf = append(buf, '\n')
	}
	if _, err := out.Write(buf); err != nil {
		w.db.log.Error("write queue_log", "err", err, "lines", len(lines))
	}
}

// commit applies the batch and the unsaved intervals in one transaction and
// returns the queue_log lines to write once it is durable.
func (w *writer) commit(batch []queue.Event) ([]string, error) {
	var lines []string
	var b *batchTx
	err := w.db.update(context.Background(), func(tx *bolt.Tx) error {
		b = newBatchTx(tx, &w.waiting, w.db.opts.QueueLog != nil)
		for _, ev := range batch {
			if err := b.apply(ev); err != nil {
				return fmt.Errorf("%s: %w", ev.Kind(), err)
			}
		}
		if err := b.finish(); err != nil {
			return err
		}
		if err := putIntervals(tx, w.db.opts.Location, w.unsavedQ, w.unsavedA); err != nil {
			return err
		}
		lines = b.lines
		return nil
	})
	if err != nil {
		if b != nil {
			b.rollback()
		}
		return nil, err
	}
	return lines, nil
}
