package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"stasisq/queue"
)

// ErrLocked is Open's answer while another process (a running "stasisq
// serve") holds the file: bbolt is single-process.
var ErrLocked = errors.New("database locked by another process")

// ErrClosed is returned by operations on a closed DB.
var ErrClosed = errors.New("store closed")

// Options configures Open. The zero value is usable.
type Options struct {
	// Timeout bounds the wait for the file lock another process holds;
	// default 2s.
	Timeout time.Duration
	// BatchSize closes a group commit at this many events; default 256.
	BatchSize int
	// BatchDelay closes a group commit this long after its first event;
	// default 10ms. It is also what a kill -9 can lose (see doc.go).
	BatchDelay time.Duration
	// Retention prunes call records and interval statistics older than this,
	// in the background; 0 keeps them forever.
	Retention time.Duration
	// PruneEvery is how often retention runs; default 1h.
	PruneEvery time.Duration
	// Location is the wall clock of statistics intervals and CSV times; nil
	// means time.Local.
	Location *time.Location
	// CreateDir makes the file's directory (mode 0700) when it is missing
	// and the database is new: the commands that set up a new install
	// (import, user add) run before the service's first start has made
	// its state directory.
	CreateDir bool
	// QueueLog, when set, receives Asterisk queue_log lines for the events,
	// written after the events are committed.
	QueueLog io.Writer
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// NoSync skips fsync: for tests and benchmarks only, a power cut can
	// then lose committed data.
	NoSync bool
	// BcryptCost for SetPassword; 0 means bcrypt.DefaultCost. Tests lower it.
	BcryptCost int
	// OnCommit, when set, is told of each committed batch of events: how
	// many and how long its transaction took (fsync included). It runs on
	// the writer's goroutine and must not block (metrics).
	OnCommit func(events int, took time.Duration)
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.BatchDelay <= 0 {
		o.BatchDelay = 10 * time.Millisecond
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = time.Hour
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// DB is stasisq's database: configuration read and written synchronously,
// domain events persisted by one group-committing writer goroutine.
type DB struct {
	bolt *bolt.DB
	path string
	opts Options
	log  *slog.Logger

	w *writer

	pruneStop chan struct{}
	pruneDone chan struct{}
	closeOnce sync.Once

	dummyOnce sync.Once
	dummy     []byte // see dummyHash
	closeErr  error
}

// Open opens (or creates) the database at path, creates missing buckets, runs
// schema migrations and starts the writer. A file that exists but cannot be
// read as a stasisq database is an error naming the file and what to do; it is
// never replaced by an empty database.
func Open(path string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("open database %s: it is a directory, not a database file", path)
		}
		if fi.Size() == 0 {
			// bbolt would silently initialise an empty file; an empty file
			// where a database should be is more likely a failed copy or a
			// truncation than a wish for a fresh start.
			return nil, fmt.Errorf("open database %s: the file is empty (0 bytes); %s", path, whatToDo(path))
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	} else {
		if opts.CreateDir {
			dir := filepath.Dir(path)
			if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return nil, fmt.Errorf("open database %s: make its directory: %w", path, err)
				}
				opts.Logger.Info("made the database's directory", "dir", dir)
			}
		}
		opts.Logger.Info("creating a new database", "path", path)
	}

	bdb, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: bdb, path: path, opts: opts, log: opts.Logger}
	if err := db.initSchema(); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	rec, err := db.newRecorder()
	if err != nil {
		_ = bdb.Close()
		return nil, err
	}
	var waiting waitingSet
	err = db.view(context.Background(), func(tx *bolt.Tx) error {
		var err error
		waiting, err = readWaitingSet(tx)
		return err
	})
	waiting.findUnsettled()
	if err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("open database %s: load waiting callers: %w", path, err)
	}
	db.w = newWriter(db, rec, waiting)
	go db.w.run()
	if opts.Retention > 0 {
		db.pruneStop = make(chan struct{})
		db.pruneDone = make(chan struct{})
		go db.pruneLoop()
	}
	return db, nil
}

func whatToDo(path string) string {
	return fmt.Sprintf("restore %s from a backup, or move it aside (mv %s %s.broken) to start with an empty database", path, path, path)
}

// openBolt opens the file, turning bbolt's errors (and panics: bbolt can panic
// on some corrupt pages) into errors that say what to do.
func openBolt(path string, opts Options) (bdb *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			bdb = nil
			err = fmt.Errorf("open database %s: the file is damaged (%v); %s", path, r, whatToDo(path))
		}
	}()
	bdb, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	switch {
	case err == nil:
		return bdb, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open database %s: still locked after %v: is another stasisq using it? %w", path, opts.Timeout, ErrLocked)
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("open database %s: %w: does its directory exist?", path, err)
	case errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("open database %s: %w: check the file's owner and mode", path, err)
	default:
		// ErrInvalid, ErrChecksum, ErrVersionMismatch, a short file... bbolt
		// does not type all of them, and all mean the same to an operator.
		return nil, fmt.Errorf("open database %s: the file is damaged or not a bbolt database (%w); %s", path, err, whatToDo(path))
	}
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Close stops retention, commits everything recorded so far and closes the
// file. It returns the writer's error if events could not be committed.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.pruneStop != nil {
			close(db.pruneStop)
			<-db.pruneDone
		}
		werr := db.w.close()
		berr := db.bolt.Close()
		db.closeErr = errors.Join(werr, berr)
		if berr != nil {
			db.closeErr = errors.Join(werr, fmt.Errorf("close database %s: %w", db.path, berr))
		}
	})
	return db.closeErr
}

// view runs fn in a read transaction, turning a bbolt panic on a damaged page
// into an error that names the file.
func (db *DB) view(ctx context.Context, fn func(tx *bolt.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("read database %s: the file is damaged (%v); %s", db.path, r, whatToDo(db.path))
		}
	}()
	return db.bolt.View(fn)
}

// update runs fn in a write transaction, with the same panic guard as view.
func (db *DB) update(ctx context.Context, fn func(tx *bolt.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write database %s: the file is damaged (%v); %s", db.path, r, whatToDo(db.path))
		}
	}()
	return db.bolt.Update(fn)
}

// newRecorder seeds the statistics recorder with the intervals that events to
// come may still change. It loads relative to the latest stored interval, not
// the wall clock, so replayed or test events in the past extend their stored
// intervals instead of overwriting them.
func (db *DB) newRecorder() (*queue.Recorder, error) {
	rec := queue.NewRecorder(db.opts.Location)
	qs, as, err := db.RecentStatistics(context.Background())
	if err != nil {
		return nil, err
	}
	rec.Load(qs, as)
	return rec, nil
}

// RecentStatistics are the stored intervals of the last two days, counted
// back from the latest one: what seeds a queue.Recorder at start, the
// store's own and the engine's (today's live figures), so that a restart
// goes on from the figures it left.
func (db *DB) RecentStatistics(ctx context.Context) ([]queue.QueueInterval, []queue.AgentInterval, error) {
	var latest time.Time
	err := db.view(ctx, func(tx *bolt.Tx) error {
		latest = latestIntervalStart(tx)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("load statistics: %w", err)
	}
	if latest.IsZero() {
		return nil, nil, nil
	}
	qs, as, err := db.IntervalsSince(ctx, latest.Add(-48*time.Hour))
	if err != nil {
		return nil, nil, fmt.Errorf("load statistics: %w", err)
	}
	return qs, as, nil
}
