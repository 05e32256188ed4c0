package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"

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

// readExisting is what the database holds before the import, and the role
// of each user (a supervisor or admin who is also a member keeps it).
func readExisting(ctx context.Context, db *store.DB) (queuesconf.Existing, map[string]queue.Role, error) {
	ex := queuesconf.Existing{Queues: map[string]queue.QueueConfig{}, Agents: map[string]queue.AgentConfig{}}
	roles := map[string]queue.Role{}
	if db == nil {
		return ex, roles, nil
	}
	qs, err := db.Queues(ctx)
	if err != nil {
		return ex, roles, err
	}
	for _, q := range qs {
		ex.Queues[q.Name] = q
	}
	as, err := db.Agents(ctx)
	if err != nil {
		return ex, roles, err
	}
	for _, a := range as {
		ex.Agents[a.Config.ID] = a.Config
		roles[a.Config.ID] = a.Role
	}
	return ex, roles, nil
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseImportFlags(args, stderr)
	if err != nil {
		return err
	}
	// A big file makes much short-lived garbage (parse, plan, encode):
	// collected at a quarter over the live heap, not twice it, a 50 MB
	// queues.conf needs about half the memory for a few seconds more.
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	set, err := queuesconf.ReadImport(c.files())
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
	ex, roles, err := readExisting(ctx, db)
	if err != nil {
		return err
	}
	plan := queuesconf.Plan(set, ex)

	// One transaction: on any error nothing is written.
	var queues []queue.QueueConfig
	var agents []store.Agent
	for _, ch := range plan {
		switch {
		case ch.Status == queuesconf.StatusUnchanged:
		case ch.Kind == "queue":
			queues = append(queues, *ch.Queue)
		default:
			role, ok := roles[ch.ID]
			if !ok {
				role = queue.RoleAgent
			}
			agents = append(agents, store.Agent{Config: *ch.Agent, Role: role}) // the stored password stays
		}
	}
	if !c.DryRun {
		if err := db.PutConfiguration(ctx, queues, agents); err != nil {
			return fmt.Errorf("import into %s: nothing written: %w", c.DB, err)
		}
	}
	where := "written to " + c.DB
	if c.DryRun {
		where = "dry run, nothing written to " + c.DB
	}
	queuesconf.WriteReport(stdout, plan, set.Warnings, where)
	return nil
}
