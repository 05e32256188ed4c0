package ui

import (
	"fmt"
	"strings"

	"stasisq/queue"
)

// validateQueueConfig checks what the admin form asks beyond what the
// engine needs, which queue.ValidateQueue checks (the one validation of a
// queue's configuration, merged in by the caller): a name that is safe in a
// URL, an explicit music class, and rules listed in order of time.
func validateQueueConfig(c queue.QueueConfig) fieldErrors {
	f := fieldErrors{}
	if !queue.ValidName(c.Name) {
		f.add("name", queue.NameRule)
	}
	if c.MusicClass == "" {
		f.add("musicclass", `required ("default" for Asterisk's default class)`)
	}
	for i := 1; i < len(c.Rules); i++ {
		if c.Rules[i].After < c.Rules[i-1].After {
			f.add(fmt.Sprintf("rules[%d].after", i), "rules must be in order of time")
		}
	}
	return f
}

// validateAgentConfig checks an agent's settings; known lists the queues
// that exist (nil skips that check).
func validateAgentConfig(f fieldErrors, prefix string, a queue.AgentConfig, known map[string]bool) {
	if !queue.ValidName(a.ID) {
		f.add(prefix+"id", queue.NameRule)
	}
	if tech, res, ok := strings.Cut(a.Device, "/"); !ok || tech == "" || res == "" || strings.ContainsAny(a.Device, " ,&\t\r\n") {
		f.add(prefix+"device", "must be an Asterisk device such as PJSIP/1001")
	}
	validateMemberships(f, prefix+"queues", a.Queues, known)
	for skill, level := range a.Skills {
		if skill == "" {
			f.add(prefix+"skills", "a skill needs a name")
		}
		if level < 1 || level > 100 {
			f.add(prefix+"skills."+skill, "level must be from 1 to 100")
		}
	}
}

func validateMemberships(f fieldErrors, field string, ms []queue.Membership, known map[string]bool) {
	seen := map[string]bool{}
	for i, m := range ms {
		name := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case m.Queue == "":
			f.add(name+".queue", "required")
		case known != nil && !known[m.Queue]:
			f.add(name+".queue", fmt.Sprintf("no queue called %q", m.Queue))
		case seen[m.Queue]:
			f.add(name+".queue", fmt.Sprintf("%q is listed twice", m.Queue))
		}
		seen[m.Queue] = true
		if m.Penalty < 0 {
			f.add(name+".penalty", "must be >= 0")
		}
	}
}
