package queuesconf

import (
	"fmt"
	"strconv"
	"strings"

	"stasisq/queue"
)

// memberSet turns member => lines into static agents: one agent per
// interface, however many queues list it.
type memberSet struct {
	negativeInvalid bool
	byInterface     map[string]*queue.AgentConfig // lower-cased interface
	order           []*queue.AgentConfig
	ids             map[string]string // agent ID -> interface that took it
	lines           map[string]int    // queue -> member lines read so far
}

func newMemberSet() *memberSet {
	return &memberSet{byInterface: map[string]*queue.AgentConfig{}, ids: map[string]string{}, lines: map[string]int{}}
}

func (m *memberSet) agents() []queue.AgentConfig {
	out := make([]queue.AgentConfig, 0, len(m.order))
	for _, a := range m.order {
		out = append(out, *a)
	}
	return out
}

// add reads "member => interface,penalty,membername,state_interface,
// ringinuse,wrapuptime,paused" (Asterisk 22's field order).
func (m *memberSet) add(sec *section, v variable) []Warning {
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
		return ws
	}
	tech, resource, ok := strings.Cut(iface, "/")
	if !ok || tech == "" || resource == "" {
		warn("interface %q is not Technology/resource; left out", iface)
		return ws
	}

	penalty := 0
	if penaltyText != "" {
		n, ok := parseInt(penaltyText)
		switch {
		case !ok:
			warn("penalty %q is not a whole number; imported as 0", penaltyText)
		case n < 0 && m.negativeInvalid:
			warn("negative penalty with negative_penalty_invalid=yes: app_queue treats this member as logged off, so it is left out")
			return ws
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
	a := m.byInterface[key]
	if a == nil {
		a = &queue.AgentConfig{Name: name, Device: iface, Static: true, RingInUse: ringInUse}
		if a.Name == "" {
			a.Name = iface
		}
		a.ID = m.uniqueID(slugOr(name, iface), iface)
		if base := slugOr(name, iface); a.ID != base {
			warn("agent ID %q is taken by %s, which shares the member name; this one is %q", base, m.ids[base], a.ID)
		}
		m.byInterface[key] = a
		m.order = append(m.order, a)
	} else {
		switch {
		case name != "" && a.Name == iface:
			// The first line named no one: a real name wins over the
			// interface, and so does a login made from it.
			a.Name = name
			if id := slugOr(name, iface); id != a.ID {
				delete(m.ids, a.ID)
				a.ID = m.uniqueID(id, iface)
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
	for i, ms := range a.Queues {
		if ms.Queue == sec.Name {
			warn("%s is listed twice in this queue; the later line's penalty %d replaces %d, as app_queue does", iface, penalty, ms.Penalty)
			a.Queues[i].Penalty = penalty
			a.Queues[i].Paused = paused
			return ws
		}
	}
	// linear and rrordered ring in member line order, after a restart too.
	m.lines[sec.Name]++
	a.Queues = append(a.Queues, queue.Membership{Queue: sec.Name, Penalty: penalty, Order: m.lines[sec.Name], Paused: paused})
	return ws
}

func slugOr(name, iface string) string {
	if s := slug(name); s != "" {
		return s
	}
	return slug(iface)
}

// uniqueID gives each interface its own login: app_queue lets several
// interfaces share a member name, stasisq's agent IDs must differ.
func (m *memberSet) uniqueID(base, iface string) string {
	id := base
	for n := 2; ; n++ {
		if _, taken := m.ids[id]; !taken {
			m.ids[id] = iface
			return id
		}
		id = base + "-" + strconv.Itoa(n)
	}
}
