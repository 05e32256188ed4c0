package queuesconf

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"stasisq/queue"
)

// ParseRules reads a queuerules.conf: each [rule] holds
// "penaltychange => seconds,max[,min[,raise]]" lines, where "+N"/"-N" (or an
// empty max) change the caller's range relative to its current one.
// Rules come back sorted by time, as app_queue applies them.
func ParseRules(path string, opts Options) (map[string][]queue.PenaltyRule, []Warning, error) {
	cfg, err := loadConfig(path, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("queuerules.conf: %w", err)
	}
	ws := cfg.warnings
	rules := map[string][]queue.PenaltyRule{}
	for _, sec := range cfg.Sections() {
		if strings.EqualFold(sec.Name, "general") {
			for _, v := range sec.Vars {
				reason := "unknown [general] option; app_queue ignores it too"
				if strings.EqualFold(v.Name, "realtime_rules") {
					reason = "rules from realtime are not read; stasisq keeps imported rules in its own database"
				}
				ws = append(ws, sec.warn(v, reason))
			}
			continue
		}
		list := rules[sec.Name]
		for _, v := range sec.Vars {
			if !strings.EqualFold(v.Name, "penaltychange") {
				ws = append(ws, sec.warn(v, "unknown option in a rule; only penaltychange is read, as app_queue does"))
				continue
			}
			r, reason, ok := parsePenaltyChange(v.Value)
			if reason != "" {
				ws = append(ws, sec.warn(v, reason))
			}
			if ok {
				list = append(list, r)
			}
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i].After < list[j].After })
		rules[sec.Name] = list
	}
	return rules, ws, nil
}

func parsePenaltyChange(val string) (queue.PenaltyRule, string, bool) {
	f := strings.Split(val, ",")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	if len(f) < 2 {
		return queue.PenaltyRule{}, "needs at least seconds and a max penalty; rule line left out", false
	}
	secs, ok := parseInt(f[0])
	if !ok || secs < 0 {
		return queue.PenaltyRule{}, fmt.Sprintf("time %q is not a non-negative number of seconds; rule line left out", f[0]), false
	}
	r := queue.PenaltyRule{After: time.Duration(secs) * time.Second}
	var err error
	if r.MaxPenalty, r.MaxRelative, err = penaltyValue(f[1]); err != nil {
		return queue.PenaltyRule{}, "max penalty " + err.Error() + "; rule line left out", false
	}
	r.MinRelative = true // no minimum given: no change
	if len(f) > 2 && f[2] != "" {
		if r.MinPenalty, r.MinRelative, err = penaltyValue(f[2]); err != nil {
			return queue.PenaltyRule{}, "min penalty " + err.Error() + "; rule line left out", false
		}
	}
	var reason string
	if len(f) > 3 && f[3] != "" {
		reason = fmt.Sprintf("raise penalty %q not carried over: stasisq does not raise members' penalties", f[3])
	}
	if len(f) > 4 {
		reason = strings.TrimPrefix(reason+"; extra fields ignored", "; ")
	}
	return r, reason, true
}

// penaltyValue reads an absolute penalty or a "+N"/"-N" change; empty means
// "+0", as app_queue reads it.
func penaltyValue(s string) (int, bool, error) {
	if s == "" {
		return 0, true, nil
	}
	relative := s[0] == '+' || s[0] == '-'
	n, ok := parseInt(strings.TrimPrefix(s, "+"))
	if !ok {
		return 0, false, fmt.Errorf("%q is not a whole number", s)
	}
	return n, relative, nil
}

// Apply attaches to each queue the rules its defaultrule names; a rule that
// does not exist is reported and the queue gets none.
func Apply(res Result, rules map[string][]queue.PenaltyRule) Result {
	out := res
	out.Queues = make([]queue.QueueConfig, len(res.Queues))
	copy(out.Queues, res.Queues)
	out.Warnings = append([]Warning(nil), res.Warnings...)
	for i := range out.Queues {
		q := &out.Queues[i]
		name, ok := res.DefaultRules[q.Name]
		if !ok || name == "" {
			continue
		}
		list, found := rules[name]
		if !found {
			at := res.ruleLines[q.Name]
			out.Warnings = append(out.Warnings, Warning{File: at.File, Line: at.Line, Section: q.Name, Option: "defaultrule", Value: name,
				Reason: "no rule of that name in queuerules.conf; the queue has no penalty rules"})
			continue
		}
		q.Rules = append([]queue.PenaltyRule(nil), list...)
	}
	return out
}
