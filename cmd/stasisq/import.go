package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"stasisq/queue"
	"stasisq/queuesconf"
	"stasisq/store"
)

func init() { extraCommands["import"] = runImport }

// importConfig is what "stasisq import" was asked to do.
type importConfig struct {
	QueuesConf string
	QueueRules string
	AgentsConf string
	DB         string
	DryRun     bool
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

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseImportFlags(args, stderr)
	if err != nil {
		return err
	}
	res, err := queuesconf.ParseQueues(c.QueuesConf, queuesconf.Options{})
	if err != nil {
		return err
	}
	if c.QueueRules != "" {
		rules, warnings, err := queuesconf.ParseRules(c.QueueRules, queuesconf.Options{})
		if err != nil {
			return err
		}
		res.Warnings = append(res.Warnings, warnings...)
		res = queuesconf.Apply(res, rules)
	}
	agents := res.Agents
	if c.AgentsConf != "" {
		more, warnings, err := queuesconf.ParseAgents(c.AgentsConf, queuesconf.Options{})
		if err != nil {
			return err
		}
		res.Warnings = append(res.Warnings, warnings...)
		agents = mergeAgents(agents, more)
	}
	var db *store.DB
	if !c.DryRun {
		if db, err = store.Open(c.DB, store.Options{}); err != nil {
			return err
		}
		defer db.Close()
	}
	verb := "imported"
	if c.DryRun {
		verb = "would import"
	}
	var errs []error
	for _, q := range res.Queues {
		if err := queue.ValidateQueue(q); err != nil {
			errs = append(errs, fmt.Errorf("queue %s: %w", q.Name, err))
			continue
		}
		if db != nil {
			if err := db.PutQueue(ctx, q); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		fmt.Fprintf(stdout, "%s queue %s (strategy %s, %d rules)\n", verb, q.Name, q.Strategy, len(q.Rules))
	}
	for _, a := range agents {
		if db != nil {
			if err := db.PutAgent(ctx, store.Agent{Config: a, Role: store.RoleAgent}); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		var qs []string
		for _, m := range a.Queues {
			qs = append(qs, fmt.Sprintf("%s:%d", m.Queue, m.Penalty))
		}
		fmt.Fprintf(stdout, "%s agent %s (device %q, static %v, queues %s)\n", verb, a.ID, a.Device, a.Static, strings.Join(qs, ","))
	}
	if len(res.Warnings) > 0 {
		fmt.Fprintf(stdout, "\n%d options not carried over:\n", len(res.Warnings))
		for _, w := range res.Warnings {
			fmt.Fprintln(stdout, "  "+w.String())
		}
	}
	return errors.Join(errs...)
}

// mergeAgents adds agents.conf agents to those queues.conf members made; an
// agent in both keeps the member's device and queues and takes the name.
func mergeAgents(members, more []queue.AgentConfig) []queue.AgentConfig {
	byID := map[string]int{}
	out := append([]queue.AgentConfig(nil), members...)
	for i, a := range out {
		byID[a.ID] = i
	}
	for _, a := range more {
		if i, ok := byID[a.ID]; ok {
			if a.Name != "" {
				out[i].Name = a.Name
			}
			continue
		}
		byID[a.ID] = len(out)
		out = append(out, a)
	}
	return out
}
