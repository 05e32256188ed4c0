package queuesconf

import (
	"fmt"
	"strconv"
	"strings"

	"stasisq/queue"
)

// AgentBook holds the agents member => lines make while a file is read,
// by lower-cased interface, in the order their first line came: a list in
// memory (AgentList) for a check or a small file, or on disk
// (store.AgentScratch) for an import of any size.
type AgentBook interface {
	// Agent is the agent of an interface, lower-cased.
	Agent(key string) (queue.AgentConfig, bool, error)
	// Add gives a new interface its agent, last in the order.
	Add(key string, a queue.AgentConfig) error
	// Update replaces the agent of an interface Add gave one.
	Update(key string, a queue.AgentConfig) error
	// Login is the interface that holds an agent ID.
	Login(id string) (string, bool, error)
	// SetLogin gives id to iface; an empty iface frees it.
	SetLogin(id, iface string) error
	// Each calls fn with every agent, in order; fn must not change the book.
	Each(fn func(queue.AgentConfig) error) error
	// Len is how many agents it holds.
	Len() int
}

// AgentList is an AgentBook in memory.
type AgentList struct {
	byKey  map[string]int
	agents []queue.AgentConfig
	logins map[string]string
}

func NewAgentList() *AgentList {
	return &AgentList{byKey: map[string]int{}, logins: map[string]string{}}
}

func (l *AgentList) Agent(key string) (queue.AgentConfig, bool, error) {
	i, ok := l.byKey[key]
	if !ok {
		return queue.AgentConfig{}, false, nil
	}
	return l.agents[i], true, nil
}

func (l *AgentList) Add(key string, a queue.AgentConfig) error {
	if _, ok := l.byKey[key]; ok {
		return fmt.Errorf("agent of %s added twice", key)
	}
	l.byKey[key] = len(l.agents)
	l.agents = append(l.agents, a)
	return nil
}

func (l *AgentList) Update(key string, a queue.AgentConfig) error {
	i, ok := l.byKey[key]
	if !ok {
		return fmt.Errorf("agent of %s updated before it was added", key)
	}
	l.agents[i] = a
	return nil
}

func (l *AgentList) Login(id string) (string, bool, error) {
	iface, ok := l.logins[id]
	return iface, ok, nil
}

func (l *AgentList) SetLogin(id, iface string) error {
	if iface == "" {
		delete(l.logins, id)
		return nil
	}
	l.logins[id] = iface
	return nil
}

func (l *AgentList) Each(fn func(queue.AgentConfig) error) error {
	for _, a := range l.agents {
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

func (l *AgentList) Len() int { return len(l.agents) }

// memberSet turns member => lines into static agents: one agent per
// interface, however many queues list it.
type memberSet struct {
	negativeInvalid bool
	book            AgentBook
	lines           map[string]int // queue -> member lines read so far
}

func newMemberSet(book AgentBook) *memberSet {
	return &memberSet{book: book, lines: map[string]int{}}
}

// add reads "member => interface,penalty,membername,state_interface,
// ringinuse,wrapuptime,paused" (Asterisk 22's field order).
func (m *memberSet) add(sec *section, v variable) ([]Warning, error) {
	var ws []Warning
	warn := func(format string, args ...any) {
		ws = append(ws, sec.warn(v, fmt.Sprintf(format, args...)))
	}
	value := v.Value
	if !strings.Contains(value, ",") && strings.Contains(value, "|") {
		// Asterisk 1.4's argument separator, still in old files.
		value = strings.ReplaceAll(value, "|", ",")
		warn("the old '|' separator is read as ',' (Asterisk 1.6 and later read it as part of the interface)")
	}
	f := splitArgs(value)
	for len(f) < 7 {
		f = append(f, "")
	}
	iface, penaltyText, name, stateIface, ringInUseText, wrapText, pausedText := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	if len(f) > 7 {
		warn("fields after the seventh (paused) are not app_queue's and are ignored: %q", strings.Join(f[7:], ","))
	}
	if iface == "" {
		warn("member without an interface is left out")
		return ws, nil
	}
	tech, resource, ok := strings.Cut(iface, "/")
	if !ok || tech == "" || resource == "" {
		warn("interface %q is not Technology/resource; left out", iface)
		return ws, nil
	}

	penalty := 0
	if penaltyText != "" {
		n, ok := parseInt(penaltyText)
		switch {
		case !ok:
			warn("penalty %q is not a whole number; imported as 0", penaltyText)
		case n < 0 && m.negativeInvalid:
			warn("negative penalty with negative_penalty_invalid=yes: app_queue treats this member as logged off, so it is left out")
			return ws, nil
		case n < 0:
			warn("negative penalty imported as 0, as app_queue does")
		default:
			penalty = n
		}
	}

	var ringInUse *bool
	if ringInUseText != "" {
		b, ok := parseBool(ringInUseText)
		if ok {
			ringInUse = &b
		} else {
			warn("ringinuse %q is not yes or no; the queue's ringinuse applies", ringInUseText)
		}
	}
	if stateIface != "" && !strings.EqualFold(stateIface, iface) {
		warn("state interface %q not carried over: stasisq rings and watches the device %s itself; if that is a Local channel, its busy state may not reflect the phone's", stateIface, iface)
	}
	if wrapText != "" {
		if n, ok := parseInt(wrapText); !ok || n != 0 {
			warn("per-member wrapuptime %q not carried over: the queue's wrapuptime applies", wrapText)
		}
	}
	// paused=yes: the member starts paused in this queue alone (app_queue's
	// reload_single_member), and so does the static agent in stasisq.
	paused := isTrue(pausedText)
	if pausedText != "" && !paused && !isFalse(pausedText) {
		warn("paused %q is not yes or no; the member starts ready", pausedText)
	}
	switch strings.ToLower(tech) {
	case "agent":
		warn("Agent/ members are chan_agent/app_agent_pool agents, which stasisq replaces: import agents.conf and set each agent's device in the UI")
	case "sip":
		warn("chan_sip was removed in Asterisk 21; change the device to its PJSIP/ endpoint")
	}

	key := strings.ToLower(iface)
	a, known, err := m.book.Agent(key)
	if err != nil {
		return ws, err
	}
	if !known {
		a = queue.AgentConfig{Name: name, Device: iface, Static: true, RingInUse: ringInUse}
		if a.Name == "" {
			a.Name = iface
		}
		base := slugOr(name, iface)
		if a.ID, err = m.uniqueID(base, iface); err != nil {
			return ws, err
		}
		if a.ID != base {
			holder, _, err := m.book.Login(base)
			if err != nil {
				return ws, err
			}
			warn("agent ID %q is taken by %s, which shares the member name; this one is %q", base, holder, a.ID)
		}
	} else {
		switch {
		case name != "" && a.Name == iface:
			// The first line named no one: a real name wins over the
			// interface, and so does a login made from it.
			a.Name = name
			if id := slugOr(name, iface); id != a.ID {
				if err := m.book.SetLogin(a.ID, ""); err != nil {
					return ws, err
				}
				if a.ID, err = m.uniqueID(id, iface); err != nil {
					return ws, err
				}
			}
		case name != "" && name != a.Name:
			warn("member name %q differs from %q given to %s in an earlier queue; the agent keeps %q", name, a.Name, iface, a.Name)
		}
		if ringInUse != nil {
			if a.RingInUse == nil {
				a.RingInUse = ringInUse
			} else if *a.RingInUse != *ringInUse {
				warn("ringinuse=%t here but %t for %s in an earlier queue; stasisq has one per agent and keeps %t", *ringInUse, *a.RingInUse, iface, *a.RingInUse)
			}
		}
	}
	listed := false
	for i, ms := range a.Queues {
		if ms.Queue == sec.Name {
			warn("%s is listed twice in this queue; the later line's penalty %d replaces %d, as app_queue does", iface, penalty, ms.Penalty)
			a.Queues[i].Penalty = penalty
			a.Queues[i].Paused = paused
			listed = true
			break
		}
	}
	if !listed {
		// linear and rrordered ring in member line order, after a restart too.
		m.lines[sec.Name]++
		a.Queues = append(a.Queues, queue.Membership{Queue: sec.Name, Penalty: penalty, Order: m.lines[sec.Name], Paused: paused})
	}
	if known {
		return ws, m.book.Update(key, a)
	}
	return ws, m.book.Add(key, a)
}

func slugOr(name, iface string) string {
	if s := slug(name); s != "" {
		return s
	}
	return slug(iface)
}

// uniqueID gives each interface its own login: app_queue lets several
// interfaces share a member name, stasisq's agent IDs must differ.
func (m *memberSet) uniqueID(base, iface string) (string, error) {
	id := base
	for n := 2; ; n++ {
		_, taken, err := m.book.Login(id)
		if err != nil {
			return "", err
		}
		if !taken {
			return id, m.book.SetLogin(id, iface)
		}
		id = base + "-" + strconv.Itoa(n)
	}
}
