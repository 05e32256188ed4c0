package queuesconf

import (
	"fmt"
	"strings"

	"stasisq/queue"
)

// Line is one option line of a configuration file.
type Line struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Section string `json:"section"`
	Option  string `json:"option"`
	Value   string `json:"value"`
}

func (l Line) String() string {
	return fmt.Sprintf("%s:%d: [%s] %s=%s", l.File, l.Line, l.Section, l.Option, l.Value)
}

// Kind says which file a set of lines comes from, and so which options map.
type Kind int

const (
	QueuesConf Kind = iota
	QueueRulesConf
	AgentsConf
)

// Unaccounted returns the option lines of path (and its includes) that were
// neither carried over nor reported in ws: an import that returns none lost
// nothing silently. A line counts as carried over when the importer maps its
// option and value without a warning; a warning at the line, or at the
// header of a section that was not imported (an unused template, a duplicate
// or unusable queue), accounts for it too.
func Unaccounted(kind Kind, path string, opts Options, ws []Warning) ([]Line, error) {
	cfg, err := loadConfig(path, opts)
	if err != nil {
		return nil, err
	}
	reported := map[string]bool{}
	for _, w := range ws {
		reported[fmt.Sprintf("%s:%d", w.File, w.Line)] = true
	}
	at := func(file string, line int) string { return fmt.Sprintf("%s:%d", file, line) }

	type entry struct {
		line      Line
		accounted bool
	}
	var order []string
	lines := map[string]*entry{}
	for _, sec := range cfg.all {
		skipped := reported[at(sec.File, sec.Line)]
		for _, v := range sec.Vars {
			key := at(v.File, v.Line)
			e := lines[key]
			if e == nil {
				e = &entry{line: Line{File: v.File, Line: v.Line, Section: sec.Name, Option: v.Name, Value: v.Value}}
				lines[key] = e
				order = append(order, key)
			}
			switch {
			case e.accounted:
			case reported[key], skipped:
				e.accounted = true
			case !sec.Template && carriedOver(kind, sec, v):
				e.accounted = true
			}
		}
	}
	var out []Line
	for _, key := range order {
		if e := lines[key]; !e.accounted {
			out = append(out, e.line)
		}
	}
	return out, nil
}

// carriedOver says whether the importer carries this line over as it is.
func carriedOver(kind Kind, sec *section, v variable) bool {
	general := strings.EqualFold(sec.Name, "general")
	name := strings.ToLower(v.Name)
	switch kind {
	case QueuesConf:
		if general {
			return generalAsStasisqDoes(name, v.Value)
		}
		if name == "member" || name == "defaultrule" {
			return true
		}
		q := queue.DefaultQueueConfig(sec.Name)
		return setQueueOption(&q, name, v.Value) == ""
	case QueueRulesConf:
		if general || name != "penaltychange" {
			return false
		}
		_, reason, ok := parsePenaltyChange(v.Value)
		return ok && reason == ""
	case AgentsConf:
		if general {
			return false
		}
		if strings.EqualFold(sec.Name, "agents") && name == "agent" {
			return splitArgs(v.Value)[0] != ""
		}
		return name == "fullname"
	}
	return false
}
