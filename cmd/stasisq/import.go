package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
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

// importSet is what the files say stasisq should hold, before it is
// compared with the database.
type importSet struct {
	Queues   []queue.QueueConfig
	Agents   []queue.AgentConfig
	Warnings []queuesconf.Warning
	Errs     []error // queues the engine would refuse
}

// readImport parses the files and keeps only what stasisq can load: every
// queue passes queue.ValidateQueue and every agent has a device.
func readImport(c importConfig) (importSet, error) {
	res, err := queuesconf.ParseQueues(c.QueuesConf, queuesconf.Options{})
	if err != nil {
		return importSet{}, err
	}
	if c.QueueRules != "" {
		rules, warnings, err := queuesconf.ParseRules(c.QueueRules, queuesconf.Options{})
		if err != nil {
			return importSet{}, err
		}
		res.Warnings = append(res.Warnings, warnings...)
		res = queuesconf.Apply(res, rules)
	}
	set := importSet{Warnings: res.Warnings}
	agents := res.Agents
	if c.AgentsConf != "" {
		more, warnings, err := queuesconf.ParseAgents(c.AgentsConf, queuesconf.Options{})
		if err != nil {
			return importSet{}, err
		}
		set.Warnings = append(set.Warnings, warnings...)
		agents = mergeAgents(agents, more)
	}
	for _, q := range res.Queues {
		if err := queue.ValidateQueue(q); err != nil {
			set.Errs = append(set.Errs, fmt.Errorf("queue %s: %w", q.Name, err))
			continue
		}
		set.Queues = append(set.Queues, q)
	}
	kept := map[string]bool{}
	for _, a := range agents {
		if a.Device == "" {
			continue
		}
		kept[a.ID] = true
		if tech, id, ok := strings.Cut(a.Device, "/"); ok && strings.EqualFold(tech, "agent") {
			kept[id] = true
		}
		set.Agents = append(set.Agents, a)
	}
	// ParseAgents reports each agents.conf agent as lacking a device. One
	// that matched a member => line has the member's device; one that did
	// not cannot be stored (the engine, and so "stasisq serve", refuses an
	// agent without a device), so its warning says it was left out.
	ws := set.Warnings[:0]
	for _, w := range set.Warnings {
		if id, ok := noDeviceAgent(w); ok {
			if kept[id] {
				continue
			}
			w.Reason = fmt.Sprintf("agent %s is not imported: app_agent_pool agents log in from any phone, so it has no device, and no member => line names Agent/%s; create it in the web console (Admin > Users) with its phone, e.g. PJSIP/%s", id, id, id)
		}
		ws = append(ws, w)
	}
	set.Warnings = ws
	return set, nil
}

// noDeviceAgent recognises ParseAgents' warning about an agent without a
// device and returns the agent's ID.
func noDeviceAgent(w queuesconf.Warning) (string, bool) {
	var id string
	if _, err := fmt.Sscanf(w.Reason, "agent %q has no device", &id); err != nil {
		return "", false
	}
	return id, true
}

// existingConfig is what the database holds before the import.
type existingConfig struct {
	Queues map[string]queue.QueueConfig
	Agents map[string]store.Agent
}

func readExisting(ctx context.Context, db *store.DB) (existingConfig, error) {
	ex := existingConfig{Queues: map[string]queue.QueueConfig{}, Agents: map[string]store.Agent{}}
	if db == nil {
		return ex, nil
	}
	qs, err := db.Queues(ctx)
	if err != nil {
		return ex, err
	}
	for _, q := range qs {
		ex.Queues[q.Name] = q
	}
	as, err := db.Agents(ctx)
	if err != nil {
		return ex, err
	}
	for _, a := range as {
		ex.Agents[a.Config.ID] = a
	}
	return ex, nil
}

// openForDryRun reads a copy of the database, so that a dry run neither
// writes to the file (store.Open may migrate and always opens read-write)
// nor waits for the lock a running "stasisq serve" holds. No file means an
// empty database. The returned cleanup closes and removes the copy.
func openForDryRun(path string) (*store.DB, func(), error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, func() {}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read database %s: %w", path, err)
	}
	dir, err := os.MkdirTemp("", "stasisq-import-")
	if err != nil {
		return nil, nil, fmt.Errorf("dry run: %w", err)
	}
	cp := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(cp, data, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("dry run: copy %s: %w", path, err)
	}
	db, err := store.Open(cp, store.Options{NoSync: true})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("dry run on %s: %w", path, err)
	}
	return db, func() { _ = db.Close(); _ = os.RemoveAll(dir) }, nil
}

// Change statuses of an import plan.
const (
	statusNew       = "new"
	statusChanged   = "changed"
	statusUnchanged = "unchanged"
)

// plannedChange is one queue or agent of the import and what it does to the
// database.
type plannedChange struct {
	Kind   string // "queue" or "agent"
	ID     string
	Status string
	Diffs  []string // "field: old -> new" for a changed one
	Queue  queue.QueueConfig
	Agent  store.Agent
}

// importPlan compares what the files say with what the database holds.
func importPlan(set importSet, ex existingConfig) []plannedChange {
	var plan []plannedChange
	for _, q := range set.Queues {
		q = normalised(q)
		ch := plannedChange{Kind: "queue", ID: q.Name, Queue: q, Status: statusNew}
		if old, ok := ex.Queues[q.Name]; ok {
			ch.Diffs = fieldDiffs(normalised(old), q)
			ch.Status = statusUnchanged
			if len(ch.Diffs) > 0 {
				ch.Status = statusChanged
			}
		}
		plan = append(plan, ch)
	}
	for _, a := range set.Agents {
		a = normalised(a)
		ch := plannedChange{Kind: "agent", ID: a.ID, Agent: store.Agent{Config: a, Role: store.RoleAgent}, Status: statusNew}
		if old, ok := ex.Agents[a.ID]; ok {
			// A supervisor or admin who is also a member keeps the role, and
			// PutAgent keeps the password.
			ch.Agent.Role = old.Role
			ch.Diffs = fieldDiffs(normalised(old.Config), a)
			ch.Status = statusUnchanged
			if len(ch.Diffs) > 0 {
				ch.Status = statusChanged
			}
		}
		plan = append(plan, ch)
	}
	return plan
}

// normalised is v as the database gives it back (nil and empty slices are
// told apart by JSON), so that comparing with a stored value is fair.
func normalised[T any](v T) T {
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		return v
	}
	return out
}

// fieldDiffs lists the fields of two structs of one type that differ, by
// their JSON names.
func fieldDiffs[T any](old, new T) []string {
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(new)
	var diffs []string
	for i := 0; i < ov.NumField(); i++ {
		f := ov.Type().Field(i)
		if !f.IsExported() || reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		diffs = append(diffs, fmt.Sprintf("%s: %s -> %s", name, showValue(ov.Field(i)), showValue(nv.Field(i))))
	}
	return diffs
}

func showValue(v reflect.Value) string {
	switch {
	case v.Kind() == reflect.Pointer && v.IsNil():
		return "(unset)"
	case v.Kind() == reflect.Pointer:
		return showValue(v.Elem())
	case v.Kind() == reflect.String:
		return fmt.Sprintf("%q", v.String())
	case v.Kind() == reflect.Slice && v.Len() == 0:
		return "[]"
	}
	return fmt.Sprintf("%+v", v.Interface())
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseImportFlags(args, stderr)
	if err != nil {
		return err
	}
	set, err := readImport(c)
	if err != nil {
		return err
	}
	var db *store.DB
	if c.DryRun {
		var cleanup func()
		if db, cleanup, err = openForDryRun(c.DB); err != nil {
			return err
		}
		defer cleanup()
	} else {
		if db, err = store.Open(c.DB, store.Options{}); err != nil {
			return err
		}
		defer db.Close()
	}
	ex, err := readExisting(ctx, db)
	if err != nil {
		return err
	}
	plan := importPlan(set, ex)

	errs := set.Errs
	counts := map[string]map[string]int{"queue": {}, "agent": {}}
	for _, ch := range plan {
		if !c.DryRun && ch.Status != statusUnchanged {
			var err error
			if ch.Kind == "queue" {
				err = db.PutQueue(ctx, ch.Queue)
			} else {
				err = db.PutAgent(ctx, ch.Agent)
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
		}
		counts[ch.Kind][ch.Status]++
		fmt.Fprintf(stdout, "%-9s %s %s%s\n", ch.Status, ch.Kind, ch.ID, describe(ch))
		for _, d := range ch.Diffs {
			fmt.Fprintf(stdout, "            %s\n", d)
		}
	}
	verb := "written to"
	if c.DryRun {
		verb = "dry run, nothing written to"
	}
	fmt.Fprintf(stdout, "\nqueues: %d new, %d changed, %d unchanged; agents: %d new, %d changed, %d unchanged (%s %s)\n",
		counts["queue"][statusNew], counts["queue"][statusChanged], counts["queue"][statusUnchanged],
		counts["agent"][statusNew], counts["agent"][statusChanged], counts["agent"][statusUnchanged], verb, c.DB)
	if counts["queue"][statusNew]+counts["queue"][statusChanged]+counts["agent"][statusNew]+counts["agent"][statusChanged] == 0 {
		fmt.Fprintln(stdout, "no changes: the database already holds this configuration")
	}
	if counts["agent"][statusNew] > 0 {
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

func describe(ch plannedChange) string {
	if ch.Kind == "queue" {
		return fmt.Sprintf(" (strategy %s, %d penalty rules)", ch.Queue.Strategy, len(ch.Queue.Rules))
	}
	var qs []string
	for _, m := range ch.Agent.Config.Queues {
		qs = append(qs, fmt.Sprintf("%s:%d", m.Queue, m.Penalty))
	}
	return fmt.Sprintf(" (%s, device %s, static %v, queues %s)", ch.Agent.Config.Name, ch.Agent.Config.Device, ch.Agent.Config.Static, strings.Join(qs, ","))
}

// mergeAgents adds agents.conf agents to those queues.conf members made. An
// agents.conf agent matches a member by login or by an Agent/<id> member
// interface; it then gives the member its name, and keeps the member's
// device and queues.
func mergeAgents(members, more []queue.AgentConfig) []queue.AgentConfig {
	byID := map[string]int{}
	byAgentDevice := map[string]int{}
	out := append([]queue.AgentConfig(nil), members...)
	for i, a := range out {
		byID[a.ID] = i
		if tech, id, ok := strings.Cut(a.Device, "/"); ok && strings.EqualFold(tech, "agent") {
			byAgentDevice[strings.ToLower(id)] = i
		}
	}
	for _, a := range more {
		i, ok := byID[a.ID]
		if !ok {
			i, ok = byAgentDevice[strings.ToLower(a.ID)]
		}
		if ok {
			if a.Name != "" && a.Name != a.ID {
				out[i].Name = a.Name
			}
			continue
		}
		byID[a.ID] = len(out)
		out = append(out, a)
	}
	return out
}
