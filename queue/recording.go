package queue

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Recording names a call's recording on Asterisk: a stored recording of
// that name and format once it is finished (/recordings/stored/{Name}).
type Recording struct {
	Name   string `json:"name"`
	Format string `json:"format"`
}

// States of a call's recording (CallRecording.State, RecordingChanged).
const (
	RecordingActive  = "recording"
	RecordingPaused  = "paused"
	RecordingDone    = "done"    // the file is complete on Asterisk
	RecordingFailure = "failed"  // Asterisk refused it or it broke off
	RecordingDeleted = "deleted" // by retention or an admin
)

// Recording controls (RecordingControl.Action, ControlRecording.Action).
const (
	RecordStart  = "start"
	RecordPause  = "pause"
	RecordResume = "resume"
)

// CallRecording is what a call record says of the call's recording.
type CallRecording struct {
	Name      string    `json:"name"`
	Format    string    `json:"format"`
	State     string    `json:"state"`
	StartedAt time.Time `json:"started_at"`
	// Duration is the file's length as Asterisk measured it (whole
	// seconds), paused parts left out.
	Duration time.Duration    `json:"duration,omitempty"`
	Pauses   []RecordingPause `json:"pauses,omitempty"`
	Error    string           `json:"error,omitempty"`
	// DeletedAt and DeletedBy ("retention" or the admin's login) say when
	// and by whom a recording was deleted.
	DeletedAt time.Time `json:"deleted_at,omitzero"`
	DeletedBy string    `json:"deleted_by,omitempty"`
}

// RecordingPause is a part of the call left out of its recording.
type RecordingPause struct {
	At    time.Time `json:"at"`
	By    string    `json:"by"`
	Until time.Time `json:"until,omitzero"` // zero: still paused, or to the end
}

// RecordingName is the stored recording a call answered at at gets:
// sortable by time, unique by caller, and only characters that are safe
// in a file name and an ARI path segment.
func RecordingName(at time.Time, caller CallerID) string {
	id := strings.Map(func(r rune) rune {
		// '~': a caller on one of several Asterisk servers is "<server>~<id>"
		// (callflow/servers.go), and the name must give it back whole.
		if r == '.' || r == '-' || r == '_' || r == '~' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, string(caller))
	return "stasisq-" + at.UTC().Format("20060102-150405") + "-" + id
}

// RecordingCaller is the caller a recording named by RecordingName
// belongs to ("stasisq-20060102-150405-<caller>", "-<n>" after it for a
// second go). Asterisk's channel ids (epoch.seq) have no "-" and come back
// whole.
func RecordingCaller(name string) (CallerID, bool) {
	const stamp = len("20060102-150405-")
	rest, ok := strings.CutPrefix(name, "stasisq-")
	if !ok || len(rest) <= stamp {
		return "", false
	}
	rest = rest[stamp:]
	if i := strings.LastIndexByte(rest, '-'); i > 0 && isDigits(rest[i+1:]) {
		rest = rest[:i]
	}
	return CallerID(rest), true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// RecordFormatOf is the format the queue records in.
func RecordFormatOf(cfg *QueueConfig) string {
	if cfg.RecordFormat == "" {
		return RecordFormats[0]
	}
	return cfg.RecordFormat
}

// recordingOf is the recording a call answered now in the queue starts
// with: one for every call with record=always, none otherwise.
func recordingOf(cfg *QueueConfig, now time.Time, c CallerID) *Recording {
	if cfg.Record != RecordAlways || cfg.RecordFrom == RecordFromJoin {
		return nil
	}
	return &Recording{Name: RecordingName(now, c), Format: RecordFormatOf(cfg)}
}

// joinRecordingOf is the recording a caller joining now starts with:
// one where the queue records always from the join.
func joinRecordingOf(cfg *QueueConfig, now time.Time, c CallerID) *Recording {
	if cfg.Record != RecordAlways || cfg.RecordFrom != RecordFromJoin {
		return nil
	}
	return &Recording{Name: RecordingName(now, c), Format: RecordFormatOf(cfg)}
}

// recState is a connected call's recording as the engine knows it.
type recState struct {
	Recording
	state string
	tries int // starts, counting the failed ones
}

func (e *Engine) recordingControl(in RecordingControl) error {
	what := in.Action + " recording"
	c, err := e.caller(in.Caller, what)
	if err != nil {
		return err
	}
	if !c.connected {
		return fmt.Errorf("%s %q: not connected: %w", what, in.Caller, ErrNotAllowed)
	}
	cfg := &c.q.cfg
	if in.Agent != "" {
		if c.agent.id != in.Agent {
			return fmt.Errorf("%s %q: not %s's call: %w", what, in.Caller, in.Agent, ErrForbidden)
		}
		if !cfg.RecordAgentControl {
			return fmt.Errorf("%s %q: queue %s does not let agents control recordings: %w", what, in.Caller, cfg.Name, ErrNotAllowed)
		}
	}
	by := in.By
	if by == "" {
		by = string(in.Agent)
	}
	ev := RecordingChanged{At: e.now, Caller: c.id, Agent: c.agent.id, Queue: cfg.Name, By: by}
	switch in.Action {
	case RecordStart:
		if cfg.Record != RecordOnDemand && cfg.Record != RecordAlways {
			return fmt.Errorf("%s %q: queue %s records no calls: %w", what, in.Caller, cfg.Name, ErrNotAllowed)
		}
		if c.rec != nil && c.rec.state != RecordingFailure {
			return fmt.Errorf("%s %q: already recorded: %w", what, in.Caller, ErrNotAllowed)
		}
		name, tries := RecordingName(e.now, c.id), 1
		if c.rec != nil {
			// Another go after a failure: a name of its own, so that
			// Asterisk's file of the failed one (ifExists=fail) is not in
			// the way and is not overwritten.
			tries = c.rec.tries + 1
			name += fmt.Sprintf("-%d", tries)
		}
		c.rec = &recState{Recording: Recording{Name: name, Format: RecordFormatOf(cfg)}, tries: tries}
		ev.State = RecordingActive
	case RecordPause:
		if c.rec == nil || c.rec.state != RecordingActive {
			return fmt.Errorf("%s %q: no recording going on: %w", what, in.Caller, ErrNotAllowed)
		}
		ev.State = RecordingPaused
	case RecordResume:
		if c.rec == nil || c.rec.state != RecordingPaused {
			return fmt.Errorf("%s %q: not paused: %w", what, in.Caller, ErrNotAllowed)
		}
		ev.State = RecordingActive
	default:
		return fmt.Errorf("recording %q: action %q: %w", in.Caller, in.Action, ErrInvalid)
	}
	c.rec.state = ev.State
	ev.Name, ev.Format = c.rec.Name, c.rec.Format
	e.emit(ev)
	e.emit(ControlRecording{Caller: c.id, Action: in.Action, Recording: c.rec.Recording})
	return nil
}

// recordingReport records what Asterisk said of a recording, also after
// the call ended (a recording finishes when the call's bridge goes).
func (e *Engine) recordingReport(in RecordingReport) error {
	if in.Caller == "" || in.Name == "" {
		return fmt.Errorf("recording report: caller and name are required: %w", ErrInvalid)
	}
	if !slices.Contains([]string{RecordingDone, RecordingFailure, RecordingDeleted}, in.State) {
		return fmt.Errorf("recording report %s: state %q: %w", in.Name, in.State, ErrInvalid)
	}
	ev := RecordingChanged{At: e.now, Caller: in.Caller, Record: in.Record, Name: in.Name, State: in.State,
		Duration: max(in.Duration, 0), Reason: in.Reason, By: in.By}
	if c, ok := e.callers[in.Caller]; ok && c.connected {
		ev.Agent, ev.Queue = c.agent.id, c.q.cfg.Name
		if c.rec != nil && c.rec.Name == in.Name {
			ev.Format = c.rec.Format
			c.rec.state = in.State
		}
	}
	e.emit(ev)
	return nil
}
