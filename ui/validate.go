package ui

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"stasisq/queue"
)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// validateQueueConfig checks every field of a queue and reports each bad one
// under its JSON name, with messages for the admin form; queue.ValidateQueue
// adds anything the engine knows better, and the engine checks again when
// it applies the config.
func validateQueueConfig(c queue.QueueConfig) fieldErrors {
	f := fieldErrors{}
	if !namePattern.MatchString(c.Name) {
		f.add("name", "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit")
	}
	if !slices.Contains(queue.Strategies, c.Strategy) {
		f.add("strategy", "must be one of "+joinStrings(queue.Strategies))
	}
	if c.Timeout <= 0 {
		f.add("timeout", "must be > 0")
	}
	nonNegDur := map[string]int64{
		"retry": int64(c.Retry), "wrapuptime": int64(c.WrapUpTime), "servicelevel": int64(c.ServiceLevel),
		"maxwait": int64(c.MaxWait), "autopausedelay": int64(c.AutoPauseDelay),
		"announce_frequency": int64(c.AnnounceFrequency), "min_announce_frequency": int64(c.MinAnnounceFrequency),
		"periodic_announce_frequency": int64(c.PeriodicAnnounceFrequency),
		"maxlen":                      int64(c.MaxLen), "weight": int64(c.Weight), "autopause_noanswers": int64(c.AutoPauseNoAnswer),
		"announce_position_limit": int64(c.AnnouncePositionLimit), "announce_round_seconds": int64(c.AnnounceRoundSeconds),
	}
	for field, v := range nonNegDur {
		if v < 0 {
			f.add(field, "must be >= 0")
		}
	}
	if c.TimeoutPriority != "app" && c.TimeoutPriority != "conf" {
		f.add("timeoutpriority", `must be "app" or "conf"`)
	}
	if strings.Trim(c.ExitKeys, "0123456789*#") != "" {
		f.add("exitkeys", "only digits, * and #")
	}
	for _, pair := range []struct {
		field string
		conds []queue.EmptyCondition
	}{{"joinempty", c.JoinEmpty}, {"leavewhenempty", c.LeaveWhenEmpty}} {
		for _, cond := range pair.conds {
			if !slices.Contains(queue.EmptyConditions, cond) {
				f.add(pair.field, fmt.Sprintf("%q is not one of %s", cond, joinStrings(queue.EmptyConditions)))
			}
		}
	}
	switch c.AutoPause {
	case queue.AutoPauseNo, queue.AutoPauseYes, queue.AutoPauseAll:
	default:
		f.add("autopause", `must be "no", "yes" or "all"`)
	}
	if !slices.Contains([]string{"yes", "no", "more", "limit"}, c.AnnouncePosition) {
		f.add("announce_position", `must be "yes", "no", "more" or "limit"`)
	}
	if !slices.Contains([]string{"yes", "no", "once"}, c.AnnounceHoldTime) {
		f.add("announce_holdtime", `must be "yes", "no" or "once"`)
	}
	for i, p := range c.PeriodicAnnounce {
		if strings.TrimSpace(p) == "" {
			f.add(fmt.Sprintf("periodic_announce[%d]", i), "must not be empty")
		}
	}
	if c.MusicClass == "" {
		f.add("musicclass", `required ("default" for Asterisk's default class)`)
	}
	for i, r := range c.Rules {
		if r.After < 0 {
			f.add(fmt.Sprintf("rules[%d].after", i), "must be >= 0")
		}
		if i > 0 && r.After < c.Rules[i-1].After {
			f.add(fmt.Sprintf("rules[%d].after", i), "rules must be in order of time")
		}
		if !r.MaxRelative && r.MaxPenalty < 0 {
			f.add(fmt.Sprintf("rules[%d].max_penalty", i), "must be >= 0 unless relative")
		}
		if !r.MinRelative && r.MinPenalty < 0 {
			f.add(fmt.Sprintf("rules[%d].min_penalty", i), "must be >= 0 unless relative")
		}
	}
	return f
}

// validateAgentConfig checks an agent's settings; known lists the queues
// that exist (nil skips that check).
func validateAgentConfig(f fieldErrors, prefix string, a queue.AgentConfig, known map[string]bool) {
	if !namePattern.MatchString(a.ID) {
		f.add(prefix+"id", "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit")
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

func joinStrings[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
