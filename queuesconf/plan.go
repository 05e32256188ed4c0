package queuesconf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"

	"stasisq/queue"
)

// Import is what the files say stasisq should hold, before it is
// compared with the database.
type Import struct {
	Queues   []queue.QueueConfig
	Agents   []queue.AgentConfig
	Warnings []Warning
}

// ReadImport parses the files into what stasisq would load: every queue
// passes queue.ValidateQueue and every agent has a device. A value it cannot
// take is an error naming file:line, and nothing is returned to write: an
// import is all or nothing.
func ReadImport(f Files) (Import, error) {
	res, err := ParseQueues(f.Queues, Options{})
	if err != nil {
		return Import{}, err
	}
	if f.Rules == "" {
		for _, q := range res.Queues {
			if name, ok := res.DefaultRules[q.Name]; ok {
				at := res.ruleLines[q.Name]
				res.Warnings = append(res.Warnings, Warning{File: at.File, Line: at.Line, Section: q.Name, Option: "defaultrule", Value: name,
					Reason: "no queuerules.conf was given, so the queue gets no penalty rules: import again with --queuerules queuerules.conf"})
			}
		}
	} else {
		rules, warnings, err := ParseRules(f.Rules, Options{})
		if err != nil {
			return Import{}, err
		}
		res.Warnings = append(res.Warnings, warnings...)
		res = Apply(res, rules)
	}
	set := Import{Warnings: res.Warnings}
	agents := res.Agents
	if f.Agents != "" {
		more, warnings, err := ParseAgents(f.Agents, Options{})
		if err != nil {
			return Import{}, err
		}
		set.Warnings = append(set.Warnings, warnings...)
		agents = mergeAgents(agents, more)
	}
	var errs []error
	for _, q := range res.Queues {
		// ParseQueues checked each queue's own options; the penalty rules
		// were added since.
		if err := queue.ValidateQueue(q); err != nil {
			errs = append(errs, fmt.Errorf("queue %s with its defaultrule's rules: %w", q.Name, err))
			continue
		}
		set.Queues = append(set.Queues, q)
	}
	if len(errs) > 0 {
		return Import{}, errors.Join(errs...)
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
func noDeviceAgent(w Warning) (string, bool) {
	var id string
	if _, err := fmt.Sscanf(w.Reason, "agent %q has no device", &id); err != nil {
		return "", false
	}
	return id, true
}

// Change statuses of an import plan.
const (
	StatusNew       = "new"
	StatusChanged   = "changed"
	StatusUnchanged = "unchanged"
)

// Change is one queue or agent of the import and what it does to the
// database.
type Change struct {
	Kind   string // "queue" or "agent"
	ID     string
	Status string
	Diffs  []string // "field: old -> new" for a changed one
	// One of the two, by Kind: pointers, so that a plan of a million
	// agents does not carry a queue's settings in each.
	Queue *queue.QueueConfig
	Agent *queue.AgentConfig
}

// Files names the Asterisk files of one import; Rules and Agents are optional.
type Files struct {
	Queues string // queues.conf
	Rules  string // queuerules.conf
	Agents string // agents.conf
}

// Existing is what the database holds before an import.
type Existing struct {
	Queues map[string]queue.QueueConfig
	Agents map[string]queue.AgentConfig
}

// Plan compares what the files say with what the database holds. It
// normalises set.Agents in place and the agent changes point into it.
func Plan(set Import, ex Existing) []Change {
	plan := make([]Change, 0, len(set.Queues)+len(set.Agents))
	for _, q := range set.Queues {
		q = Normalised(q)
		ch := Change{Kind: "queue", ID: q.Name, Queue: &q, Status: StatusNew}
		if old, ok := ex.Queues[q.Name]; ok {
			ch.Diffs = FieldDiffs(Normalised(old), q)
			ch.Status = StatusUnchanged
			if len(ch.Diffs) > 0 {
				ch.Status = StatusChanged
			}
		}
		plan = append(plan, ch)
	}
	byDevice := map[string]queue.AgentConfig{}
	for _, id := range slices.Sorted(maps.Keys(ex.Agents)) {
		old := ex.Agents[id]
		if key := strings.ToLower(old.Device); key != "" {
			if _, taken := byDevice[key]; !taken {
				byDevice[key] = old
			}
		}
	}
	for i := range set.Agents {
		a := &set.Agents[i] // in place: a big import holds one copy of its agents
		*a = Normalised(*a)
		// An agent is its phone: a re-import finds it by device, whatever
		// its login became (renamed in the console, or a member name
		// added to the file since).
		if old, ok := byDevice[strings.ToLower(a.Device)]; ok {
			a.ID = old.ID
			if a.Name == a.Device && old.Name != old.Device {
				a.Name = old.Name // the file names no one; the console's name stays
			}
		}
		ch := Change{Kind: "agent", ID: a.ID, Agent: a, Status: StatusNew}
		if old, ok := ex.Agents[a.ID]; ok {
			ch.Diffs = FieldDiffs(Normalised(old), *a)
			ch.Status = StatusUnchanged
			if len(ch.Diffs) > 0 {
				ch.Status = StatusChanged
			}
		}
		plan = append(plan, ch)
	}
	return plan
}

// Normalised is v as the database gives it back (nil and empty slices are
// told apart by JSON), so that comparing with a stored value is fair.
func Normalised[T any](v T) T {
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

// FieldDiffs lists the fields of two structs of one type that differ, by
// their JSON names.
func FieldDiffs[T any](old, new T) []string {
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

func (ch Change) Describe() string {
	if ch.Kind == "queue" {
		return fmt.Sprintf(" (strategy %s, %d penalty rules)", ch.Queue.Strategy, len(ch.Queue.Rules))
	}
	var qs []string
	for _, m := range ch.Agent.Queues {
		qs = append(qs, fmt.Sprintf("%s:%d", m.Queue, m.Penalty))
	}
	return fmt.Sprintf(" (%s, device %s, static %v, queues %s)", ch.Agent.Name, ch.Agent.Device, ch.Agent.Static, strings.Join(qs, ","))
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

// WriteReport prints what an import did (or, in a dry run, would do): each
// change with its field differences, the counts, what to do next, and the
// options it could not carry over. where says where it went.
func WriteReport(w io.Writer, done []Change, warnings []Warning, where string) {
	counts := map[string]map[string]int{"queue": {}, "agent": {}}
	for _, ch := range done {
		counts[ch.Kind][ch.Status]++
		fmt.Fprintf(w, "%-9s %s %s%s\n", ch.Status, ch.Kind, ch.ID, ch.Describe())
		for _, d := range ch.Diffs {
			fmt.Fprintf(w, "            %s\n", d)
		}
	}
	q, a := counts["queue"], counts["agent"]
	fmt.Fprintf(w, "\nqueues: %d new, %d changed, %d unchanged; agents: %d new, %d changed, %d unchanged (%s)\n",
		q[StatusNew], q[StatusChanged], q[StatusUnchanged], a[StatusNew], a[StatusChanged], a[StatusUnchanged], where)
	if q[StatusNew]+q[StatusChanged]+a[StatusNew]+a[StatusChanged] == 0 {
		fmt.Fprintln(w, "no changes: the database already holds this configuration")
	}
	if a[StatusNew] > 0 {
		fmt.Fprintln(w, "imported agents have no password: static agents take calls without logging in; to log in to the console an agent needs one: 'stasisq user passwd LOGIN' (while serve is stopped), or an admin sets it in the console (Admin > Users > the agent > Password)")
	}
	if q[StatusNew]+q[StatusChanged]+q[StatusUnchanged] == 0 {
		fmt.Fprintln(w, "the files define no queue (only [general], templates or comments?): check the path and any #include lines")
	}
	writeNotices(w, warnings)
}

// noticeGroup is how many lines sharing one reason are listed one by one;
// more are counted on one line, so that a file with thousands of members
// on the same old channel driver says so once.
const noticeGroup = 3

// writeNotices lists what was not carried over as it was, one line per
// notice, or one line per reason shared by more than noticeGroup lines.
func writeNotices(w io.Writer, warnings []Warning) {
	if len(warnings) == 0 {
		return
	}
	byReason := map[string][]Warning{}
	var reasons []string
	for _, warn := range warnings {
		if _, seen := byReason[warn.Reason]; !seen {
			reasons = append(reasons, warn.Reason)
		}
		byReason[warn.Reason] = append(byReason[warn.Reason], warn)
	}
	fmt.Fprintf(w, "\n%d lines not carried over as they are:\n", len(warnings))
	for _, reason := range reasons {
		ws := byReason[reason]
		if len(ws) <= noticeGroup {
			for _, warn := range ws {
				fmt.Fprintln(w, "  "+warn.String())
			}
			continue
		}
		var at []string
		for _, warn := range ws[:noticeGroup] {
			at = append(at, fmt.Sprintf("%s:%d", warn.File, warn.Line))
		}
		fmt.Fprintf(w, "  %d lines (%s and %d more): %s\n", len(ws), strings.Join(at, ", "), len(ws)-noticeGroup, reason)
	}
}
