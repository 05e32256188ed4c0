package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"stasisq/internal/cli"
	"stasisq/queue"
	"stasisq/queuesconf"
	"stasisq/store"
)

// importConfig is what "stasisq import" was asked to do.
type importConfig struct {
	QueuesConf string
	QueueRules string
	AgentsConf string
	DB         string
	DryRun     bool
}

func (c importConfig) files() queuesconf.Files {
	return queuesconf.Files{Queues: c.QueuesConf, Rules: c.QueueRules, Agents: c.AgentsConf}
}

func parseImportFlags(args []string, stderr io.Writer) (importConfig, error) {
	c := importConfig{DB: cli.Env("STASISQ_DB", "stasisq.db")}
	fs := flag.NewFlagSet("stasisq import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stasisq import queues.conf [--queuerules queuerules.conf] [--agents agents.conf] [--db stasisq.db] [--dry-run]")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.QueueRules, "queuerules", "", "queuerules.conf with the penalty rules the queues name")
	fs.StringVar(&c.AgentsConf, "agents", "", "agents.conf (chan_agent or app_agent_pool style)")
	fs.StringVar(&c.DB, "db", c.DB, "bbolt database to write ($STASISQ_DB)")
	fs.BoolVar(&c.DryRun, "dry-run", false, "print what would change, write nothing")
	// Flags may come before or after the file name.
	positional, err := cli.ParseInterspersed(fs, args)
	if err != nil {
		return c, err
	}
	if len(positional) != 1 {
		fs.Usage()
		return c, errors.New("import: give exactly one queues.conf")
	}
	c.QueuesConf = positional[0]
	return c, nil
}

// importBatch is how many queues and agents an import writes in one
// transaction. An import up to it is one transaction on the file; a bigger
// one goes in transactions of this size into a copy of the file that
// replaces it at the end (store.Rewrite), because one bbolt transaction
// holds every page it changes in memory. A variable for the tests.
var importBatch = 20000

// importBatchWritten, set by tests, is called after each batch a big
// import writes into the copy, to stop it there as Ctrl-C or a full disk
// would.
var importBatchWritten func(batch int)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseImportFlags(args, stderr)
	if err != nil {
		return err
	}
	// What the import gathers (its agents, the database's devices, the
	// report) goes to files here, not to memory: a queues.conf of any size
	// needs the memory of its largest section. Beside the database, where
	// its copy goes too: /tmp may be a tmpfs, which is memory.
	scratchDir, err := store.ScratchDir(c.DB, ".stasisq-import-")
	if err != nil {
		return fmt.Errorf("import: scratch directory: %w", err)
	}
	defer os.RemoveAll(scratchDir)
	book, err := store.NewAgentScratch(filepath.Join(scratchDir, "agents.db"))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer book.Close()
	var notices queuesconf.Notices
	queues, err := queuesconf.ReadImportInto(c.files(), book, notices.Add)
	if err != nil {
		return err
	}

	var db *store.DB
	if c.DryRun {
		var cleanup func()
		if db, cleanup, err = store.OpenCopy(c.DB); err != nil {
			return err
		}
		defer cleanup()
	} else {
		db, err = store.Open(c.DB, store.Options{CreateDir: true})
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%w\nstasisq serve holds %s while it runs: stop it for the import (callers waiting are resumed when it starts again), or change queues in the console (Admin > Queues); --dry-run works while it runs", err, c.DB)
		}
		if err != nil {
			return err
		}
		defer db.Close()
	}
	existing, err := db.ConfigView(ctx, book)
	if err != nil {
		return err
	}

	// The report is written as the plan is made and printed once the
	// writes are done: a failed import prints only its error.
	spool, err := os.CreateTemp(scratchDir, "report-")
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer spool.Close()
	out := bufio.NewWriter(spool)
	report := queuesconf.NewReport(out)

	switch {
	case c.DryRun:
		err = queuesconf.PlanEach(queues, book, existing, func(ch queuesconf.Change) error {
			report.Change(ch)
			return nil
		})
	case len(queues)+book.Len() <= importBatch:
		// One transaction: on any error nothing is written.
		var w importWrites
		err = queuesconf.PlanEach(queues, book, existing, func(ch queuesconf.Change) error {
			report.Change(ch)
			w.add(ch)
			return nil
		})
		if err == nil {
			err = db.PutConfiguration(ctx, w.queues, w.agents)
		}
	default:
		err = db.Rewrite(ctx, func(cp *store.DB) error {
			var w importWrites
			batches := 0
			err := queuesconf.PlanEach(queues, book, existing, func(ch queuesconf.Change) error {
				report.Change(ch)
				if w.add(ch) < importBatch {
					return nil
				}
				if err := w.flush(ctx, cp); err != nil {
					return err
				}
				if batches++; importBatchWritten != nil {
					importBatchWritten(batches)
				}
				return nil
			})
			if err != nil {
				return err
			}
			return w.flush(ctx, cp)
		})
	}
	if err != nil {
		if c.DryRun {
			return fmt.Errorf("import (dry run): %w", err)
		}
		return fmt.Errorf("import into %s: nothing written: %w", c.DB, err)
	}
	where := "written to " + c.DB
	if c.DryRun {
		where = "dry run, nothing written to " + c.DB
	}
	report.Finish(&notices, where)
	if err := out.Flush(); err != nil {
		return fmt.Errorf("import: the report: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("import: the report: %w", err)
	}
	if _, err := io.Copy(stdout, spool); err != nil {
		return fmt.Errorf("import: print the report: %w", err)
	}
	return nil
}

// importWrites is a batch of an import's changes to write.
type importWrites struct {
	queues []queue.QueueConfig
	agents []store.Agent
}

// add keeps a change that changes something and says how many are kept.
func (w *importWrites) add(ch queuesconf.Change) int {
	switch {
	case ch.Status == queuesconf.StatusUnchanged:
	case ch.Kind == "queue":
		w.queues = append(w.queues, *ch.Queue)
	default:
		// No role: a login kept keeps its own; the stored password stays.
		w.agents = append(w.agents, store.Agent{Config: *ch.Agent})
	}
	return len(w.queues) + len(w.agents)
}

func (w *importWrites) flush(ctx context.Context, db *store.DB) error {
	if len(w.queues)+len(w.agents) == 0 {
		return nil
	}
	if err := db.PutConfiguration(ctx, w.queues, w.agents); err != nil {
		return err
	}
	w.queues, w.agents = w.queues[:0], w.agents[:0]
	return nil
}
