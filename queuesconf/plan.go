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
// compared with the database, all in memory: for a check and for tests.
// An import of any size uses ReadImportInto.
type Import struct {
	Queues   []queue.QueueConfig
	Agents   []queue.AgentConfig
	Warnings []Warning
}

// ReadImport parses the files into what stasisq would load, in memory.
func ReadImport(f Files) (Import, error) {
	book := NewAgentList()
	set := Import{}
	qs, err := ReadImportInto(f, book, func(w Warning) { set.Warnings = append(set.Warnings, w) })
	if err != nil {
		return Import{}, err
	}
	set.Queues, set.Agents = qs, book.agents
	return set, nil
}

// ReadImportInto parses the files into what stasisq would load: the
// queues it returns, the agents it puts in book, the notices it hands to
// note as it finds them (so that a big file's notices can be counted, not
// kept). Every queue passes queue.ValidateQueue and every agent has a
// device. A value it cannot take is an error naming file:line, and
// nothing is to be written: an import is all or nothing.
func ReadImportInto(f Files, book AgentBook, note func(Warning)) ([]queue.QueueConfig, error) {
	res, err := readQueues(f.Queues, Options{}, book, note)
	if err != nil {
		return nil, err
	}
	if f.Rules == "" {
		for _, q := range res.Queues {
			if name, ok := res.DefaultRules[q.Name]; ok {
				at := res.ruleLines[q.Name]
				note(Warning{File: at.File, Line: at.Line, Section: q.Name, Option: "defaultrule", Value: name,
					Reason: "no queuerules.conf was given, so the queue gets no penalty rules: import again with --queuerules queuerules.conf"})
			}
		}
	} else {
		rules, warnings, err := ParseRules(f.Rules, Options{})
		if err != nil {
			return nil, err
		}
		for _, w := range warnings {
			note(w)
		}
		res = Apply(res, rules)
	}
	var errs []error
	var queues []queue.QueueConfig
	for _, q := range res.Queues {
		// ParseQueues checked each queue's own options; the penalty rules
		// were added since.
		if err := queue.ValidateQueue(q); err != nil {
			errs = append(errs, fmt.Errorf("queue %s with its defaultrule's rules: %w", q.Name, err))
			continue
		}
		queues = append(queues, q)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if f.Agents == "" {
		return queues, nil
	}
	more, warnings, err := ParseAgents(f.Agents, Options{})
	if err != nil {
		return nil, err
	}
	if err := mergeAgents(book, more); err != nil {
		return nil, err
	}
	for _, w := range warnings {
		// ParseAgents reports each agents.conf agent as lacking a device.
		// One that matched a member => line has the member's device; one
		// that did not cannot be stored (the engine, and so "stasisq
		// serve", refuses an agent without a device), so its warning
		// says it was left out.
		if id, ok := noDeviceAgent(w); ok {
			_, found, err := memberOf(book, id)
			if err != nil {
				return nil, err
			}
			if found {
				continue
			}
			w.Reason = fmt.Sprintf("agent %s is not imported: app_agent_pool agents log in from any phone, so it has no device, and no member => line names Agent/%s; create it in the web console (Admin > Users) with its phone, e.g. PJSIP/%s", id, id, id)
		}
		note(w)
	}
	return queues, nil
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

// Existing is what the database holds before an import, looked up one
// queue or agent at a time (a big database is not read into memory).
type Existing interface {
	Queue(name string) (queue.QueueConfig, bool, error)
	Agent(id string) (queue.AgentConfig, bool, error)
	// AgentByDevice is the agent of a device, compared without case; of
	// several, the first by ID.
	AgentByDevice(device string) (queue.AgentConfig, bool, error)
}

// ExistingConfig is an Existing in memory.
type ExistingConfig struct {
	Queues   map[string]queue.QueueConfig
	Agents   map[string]queue.AgentConfig
	byDevice map[string]string
}

func (e *ExistingConfig) Queue(name string) (queue.QueueConfig, bool, error) {
	q, ok := e.Queues[name]
	return q, ok, nil
}

func (e *ExistingConfig) Agent(id string) (queue.AgentConfig, bool, error) {
	a, ok := e.Agents[id]
	return a, ok, nil
}

func (e *ExistingConfig) AgentByDevice(device string) (queue.AgentConfig, bool, error) {
	if e.byDevice == nil {
		e.byDevice = map[string]string{}
		for _, id := range slices.Sorted(maps.Keys(e.Agents)) {
			if key := strings.ToLower(e.Agents[id].Device); key != "" {
				if _, taken := e.byDevice[key]; !taken {
					e.byDevice[key] = id
				}
			}
		}
	}
	id, ok := e.byDevice[strings.ToLower(device)]
	if !ok {
		return queue.AgentConfig{}, false, nil
	}
	return e.Agents[id], true, nil
}

// Plan compares what the files say with what the database holds, both
// in memory.
func Plan(set Import, ex Existing) ([]Change, error) {
	plan := make([]Change, 0, len(set.Queues)+len(set.Agents))
	book := &AgentList{agents: set.Agents}
	err := PlanEach(set.Queues, book, ex, func(ch Change) error {
		plan = append(plan, ch)
		return nil
	})
	return plan, err
}

// PlanEach compares what the files say with what the database holds,
// handing fn one change at a time: queues first, then agents in the
// book's order.
func PlanEach(queues []queue.QueueConfig, book AgentBook, ex Existing, fn func(Change) error) error {
	for _, q := range queues {
		q = Normalised(q)
		ch := Change{Kind: "queue", ID: q.Name, Queue: &q, Status: StatusNew}
		old, ok, err := ex.Queue(q.Name)
		if err != nil {
			return fmt.Errorf("queue %s in the database: %w", q.Name, err)
		}
		if ok {
			ch.Diffs = FieldDiffs(Normalised(old), q)
			ch.Status = StatusUnchanged
			if len(ch.Diffs) > 0 {
				ch.Status = StatusChanged
			}
		}
		if err := fn(ch); err != nil {
			return err
		}
	}
	return book.Each(func(a queue.AgentConfig) error {
		a = Normalised(a)
		// An agent is its phone: a re-import finds it by device, whatever
		// its login became (renamed in the console, or a member name
		// added to the file since).
		old, ok, err := ex.AgentByDevice(a.Device)
		if err != nil {
			return fmt.Errorf("agent of %s in the database: %w", a.Device, err)
		}
		if ok {
			a.ID = old.ID
			if a.Name == a.Device && old.Name != old.Device {
				a.Name = old.Name // the file names no one; the console's name stays
			}
		}
		ch := Change{Kind: "agent", ID: a.ID, Agent: &a, Status: StatusNew}
		if !ok {
			// Another device's agent may hold the login.
			old, ok, err = ex.Agent(a.ID)
			if err != nil {
				return fmt.Errorf("agent %s in the database: %w", a.ID, err)
			}
		}
		if ok {
			ch.Diffs = FieldDiffs(Normalised(old), a)
			ch.Status = StatusUnchanged
			if len(ch.Diffs) > 0 {
				ch.Status = StatusChanged
			}
		}
		return fn(ch)
	})
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

// mergeAgents gives agents.conf agents' names to the agents queues.conf
// members made. An agents.conf agent matches a member by login or by an
// Agent/<id> member interface, and keeps the member's device and queues;
// one that matches no member has no device and is not imported.
func mergeAgents(book AgentBook, more []queue.AgentConfig) error {
	for _, a := range more {
		if a.Name == "" || a.Name == a.ID {
			continue
		}
		key, found, err := memberOf(book, a.ID)
		if err != nil || !found {
			return err
		}
		m, _, err := book.Agent(key)
		if err != nil {
			return err
		}
		m.Name = a.Name
		if err := book.Update(key, m); err != nil {
			return err
		}
	}
	return nil
}

// memberOf finds the member agent an agents.conf agent is: by login, or
// by an Agent/<id> interface. It returns the agent's key in book.
func memberOf(book AgentBook, id string) (string, bool, error) {
	iface, ok, err := book.Login(id)
	if err != nil {
		return "", false, err
	}
	if ok {
		return strings.ToLower(iface), true, nil
	}
	key := "agent/" + strings.ToLower(id)
	_, ok, err = book.Agent(key)
	return key, ok, err
}

// WriteReport prints what an import did (or, in a dry run, would do): each
// change with its field differences, the counts, what to do next, and the
// options it could not carry over. where says where it went.
func WriteReport(w io.Writer, done []Change, warnings []Warning, where string) {
	r := NewReport(w)
	for _, ch := range done {
		r.Change(ch)
	}
	var n Notices
	for _, warn := range warnings {
		n.Add(warn)
	}
	r.Finish(&n, where)
}

// Report prints an import's changes as they are made, and at the end
// the counts, what to do next and the notices.
type Report struct {
	w      io.Writer
	counts map[string]map[string]int
}

func NewReport(w io.Writer) *Report {
	return &Report{w: w, counts: map[string]map[string]int{"queue": {}, "agent": {}}}
}

// Change prints one change with its field differences.
func (r *Report) Change(ch Change) {
	r.counts[ch.Kind][ch.Status]++
	fmt.Fprintf(r.w, "%-9s %s %s%s\n", ch.Status, ch.Kind, ch.ID, ch.Describe())
	for _, d := range ch.Diffs {
		fmt.Fprintf(r.w, "            %s\n", d)
	}
}

// Finish prints the counts, what to do next, and the notices.
func (r *Report) Finish(n *Notices, where string) {
	w := r.w
	q, a := r.counts["queue"], r.counts["agent"]
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
	n.Write(w)
}

// noticeGroup is how many lines sharing one reason are listed one by one;
// more are counted on one line, so that a file with thousands of members
// on the same old channel driver says so once.
const noticeGroup = 3

// maxReasons bounds the reasons Notices keeps apart: past it (a file of
// a million lines each with its own reason) the rest are only counted.
const maxReasons = 1000

// Notices gathers what was not carried over as it was, in bounded memory:
// per reason its first noticeGroup lines and a count.
type Notices struct {
	total   int
	reasons map[string]*reasonNotices
	order   []string
	other   int // notices whose reason came past maxReasons
}

type reasonNotices struct {
	first []Warning
	n     int
}

// Add counts one notice.
func (n *Notices) Add(w Warning) {
	n.total++
	if n.reasons == nil {
		n.reasons = map[string]*reasonNotices{}
	}
	r := n.reasons[w.Reason]
	if r == nil {
		if len(n.order) >= maxReasons {
			n.other++
			return
		}
		r = &reasonNotices{}
		n.reasons[w.Reason] = r
		n.order = append(n.order, w.Reason)
	}
	r.n++
	if len(r.first) < noticeGroup {
		r.first = append(r.first, w)
	}
}

// Write lists the notices, one line each, or one line per reason shared
// by more than noticeGroup lines.
func (n *Notices) Write(w io.Writer) {
	if n.total == 0 {
		return
	}
	fmt.Fprintf(w, "\n%d lines not carried over as they are:\n", n.total)
	for _, reason := range n.order {
		r := n.reasons[reason]
		if r.n <= noticeGroup {
			for _, warn := range r.first {
				fmt.Fprintln(w, "  "+warn.String())
			}
			continue
		}
		var at []string
		for _, warn := range r.first {
			at = append(at, fmt.Sprintf("%s:%d", warn.File, warn.Line))
		}
		fmt.Fprintf(w, "  %d lines (%s and %d more): %s\n", r.n, strings.Join(at, ", "), r.n-noticeGroup, reason)
	}
	if n.other > 0 {
		fmt.Fprintf(w, "  %d more lines, each with a reason of its own past the first %d reasons (not listed: check the file with --dry-run after fixing those above)\n", n.other, maxReasons)
	}
}
