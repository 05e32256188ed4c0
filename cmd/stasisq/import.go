package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

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
	c := importConfig{DB: "stasisq.db"}
	if v, ok := os.LookupEnv("STASISQ_DB"); ok {
		c.DB = v
	}
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
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
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
		if db, err = store.Open(c.DB, store.Options{}); err != nil {
			return err
		}
		defer db.Close()
	}
	ex, roles, err := readExisting(ctx, db)
	if err != nil {
		return err
	}
	plan := queuesconf.Plan(set, ex)

	errs := set.Errs
	counts := map[string]map[string]int{"queue": {}, "agent": {}}
	for _, ch := range plan {
		if !c.DryRun && ch.Status != queuesconf.StatusUnchanged {
			var err error
			if ch.Kind == "queue" {
				err = db.PutQueue(ctx, ch.Queue)
			} else {
				// PutAgent keeps the password.
				role, ok := roles[ch.ID]
				if !ok {
					role = queue.RoleAgent
				}
				err = db.PutAgent(ctx, store.Agent{Config: ch.Agent, Role: role})
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
		}
		counts[ch.Kind][ch.Status]++
		fmt.Fprintf(stdout, "%-9s %s %s%s\n", ch.Status, ch.Kind, ch.ID, ch.Describe())
		for _, d := range ch.Diffs {
			fmt.Fprintf(stdout, "            %s\n", d)
		}
	}
	verb := "written to"
	if c.DryRun {
		verb = "dry run, nothing written to"
	}
	fmt.Fprintf(stdout, "\nqueues: %d new, %d changed, %d unchanged; agents: %d new, %d changed, %d unchanged (%s %s)\n",
		counts["queue"][queuesconf.StatusNew], counts["queue"][queuesconf.StatusChanged], counts["queue"][queuesconf.StatusUnchanged],
		counts["agent"][queuesconf.StatusNew], counts["agent"][queuesconf.StatusChanged], counts["agent"][queuesconf.StatusUnchanged], verb, c.DB)
	if counts["queue"][queuesconf.StatusNew]+counts["queue"][queuesconf.StatusChanged]+counts["agent"][queuesconf.StatusNew]+counts["agent"][queuesconf.StatusChanged] == 0 {
		fmt.Fprintln(stdout, "no changes: the database already holds this configuration")
	}
	if counts["agent"][queuesconf.StatusNew] > 0 {
		fmt.Fprintln(stdout, "imported agents have no password: static agents take calls without logging in, and to log in to the browser an agent needs one, set by an admin in the web console (Admin > Users > the agent > Password)")
	}
	if len(set.Warnings) > 0 {
		fmt.Fprintf(stdout, "\n%d options not carried over:\n", len(set.Warnings))
		for _, w := range set.Warnings {
			fmt.Fprintln(stdout, "  "+w.String())
		}
	}
	return errors.Join(errs...)
}
