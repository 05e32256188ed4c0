package queue

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// How a supervisor takes part in a connected call (MonitorChange).
const (
	MonitorListen  = "listen"  // hears caller and agent; neither hears the supervisor
	MonitorWhisper = "whisper" // hears both; only the agent hears the supervisor
	MonitorBarge   = "barge"   // in the call: all three hear each other
)

// MonitorModes are the modes a supervisor may choose.
var MonitorModes = []string{MonitorListen, MonitorWhisper, MonitorBarge}

// CallMonitor is one supervisor on a call, as the agents board shows it.
// Shown says whether the agent is told (its queue's MonitorIndicator).
type CallMonitor struct {
	Supervisor string `json:"supervisor"`
	Mode       string `json:"mode"`
	Shown      bool   `json:"shown"`
}

// MonitorSession is one supervisor's time on one call, in the call
// record: the modes in the order used, from when the supervisor's phone
// answered to when it left (or the call ended).
type MonitorSession struct {
	Supervisor string    `json:"supervisor"`
	Modes      []string  `json:"modes"`
	From       time.Time `json:"from"`
	Until      time.Time `json:"until,omitzero"`
}

func (e *Engine) monitorChange(in MonitorChange) error {
	if in.Caller == "" || in.Supervisor == "" {
		return fmt.Errorf("monitor: caller and supervisor are required: %w", ErrInvalid)
	}
	if in.Mode != "" && !slices.Contains(MonitorModes, in.Mode) {
		return fmt.Errorf("monitor %s: mode %q: must be one of %s: %w", in.Caller, in.Mode, joinNames(MonitorModes), ErrInvalid)
	}
	ev := CallMonitored{At: e.now, Caller: in.Caller, Supervisor: in.Supervisor, Mode: in.Mode}
	c, ok := e.callers[in.Caller]
	switch {
	case ok && c.connected:
		ev.Agent, ev.Queue, ev.Shown = c.agent.id, c.q.cfg.Name, c.q.cfg.MonitorIndicator
		if in.Mode == "" {
			delete(c.monitors, in.Supervisor)
		} else {
			if c.monitors == nil {
				c.monitors = map[string]string{}
			}
			c.monitors[in.Supervisor] = in.Mode
		}
	case in.Mode != "":
		return fmt.Errorf("monitor %s: not on a call with an agent: %w", in.Caller, ErrNotAllowed)
	}
	// A session that ends with its call (Mode "") is recorded all the same.
	e.emit(ev)
	return nil
}

// monitorsOf lists the supervisors on c, by name.
func monitorsOf(c *callerState) []CallMonitor {
	if len(c.monitors) == 0 {
		return nil
	}
	out := make([]CallMonitor, 0, len(c.monitors))
	for _, s := range slices.Sorted(maps.Keys(c.monitors)) {
		out = append(out, CallMonitor{Supervisor: s, Mode: c.monitors[s], Shown: c.q.cfg.MonitorIndicator})
	}
	return out
}
