package callflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"stasisq/ari"
	"stasisq/queue"
)

// Calls are recorded from their bridge (POST /bridges/{id}/record), so the
// file has both sides mixed, as MixMonitor's. Asterisk reports the end
// (RecordingFinished, with its length, or RecordingFailed), which goes into
// the call record through the engine (RecordingReport). A recording that
// cannot be made is reported and logged; the call goes on.
//
// Why the bridge outlives the call until that report: Asterisk sends a
// bridge recording's events through the bridge (its recorder channel's
// messages are forwarded to the bridge's topic), so a bridge destroyed
// with the recording still running can take the report with it, and the
// call record would say "recording" for ever (seen on a real Asterisk 22,
// twice in some forty CI runs). So at the call's end the recording is
// stopped first and the bridge destroyed when its report has come, or
// recordingEndWait later if it never does.

// bridgeEnd is an ended call's bridge waiting for its recording's report.
type bridgeEnd struct{ lane, bridge string }

// recordingEndWait bounds that wait: the report of a stopped recording
// comes within milliseconds; past this the bridge goes regardless.
var recordingEndWait = 5 * time.Second

// endRecordingThenBridge stops the recording name of an ended call's
// bridge; recordingOver destroys the bridge once Asterisk has reported the
// end.
func (a *App) endRecordingThenBridge(lane, bridge, name string) {
	a.endingBridge[name] = bridgeEnd{lane: lane, bridge: bridge}
	srv := a.ari.of(lane) // a recording is on its call's server
	a.exec.Submit(lane, func(ctx context.Context) {
		if err := srv.StopRecording(ctx, name); err != nil && !errors.Is(err, ari.ErrNotFound) {
			a.log.Warn("stop recording at the call's end", "recording", name, "bridge", bridge, "err", err)
		}
	})
	time.AfterFunc(recordingEndWait, func() {
		a.post(func() {
			if _, waiting := a.endingBridge[name]; waiting {
				a.log.Warn("recording's end not reported; destroying its bridge", "recording", name, "bridge", bridge, "waited", recordingEndWait)
				a.recordingOver(name)
			}
		})
	})
}

// recordingOver forgets recording name and destroys its bridge if the
// call has ended.
func (a *App) recordingOver(name string) {
	for bridge, n := range a.recordings {
		if n == name {
			delete(a.recordings, bridge)
		}
	}
	if end, ok := a.endingBridge[name]; ok {
		delete(a.endingBridge, name)
		a.exec.Submit(end.lane, func(ctx context.Context) { a.destroy(ctx, end.bridge) })
	}
}

// startRecording records the call's bridge; run on the caller's lane, after
// the bridge has both legs.
func (a *App) startRecording(ctx context.Context, caller, bridge string, rec queue.Recording) {
	_, err := a.ari.RecordBridge(ctx, bridge, ari.RecordRequest{Name: rec.Name, Format: rec.Format, IfExists: "fail"})
	if err == nil {
		return
	}
	var ae *ari.Error
	switch {
	case errors.Is(err, ari.ErrNotFound):
		// 404 Bridge not found: the call ended before the recording began.
		err = fmt.Errorf("the call ended before the recording started: %w", err)
	case errors.As(err, &ae) && ae.Status == http.StatusInternalServerError:
		// What Asterisk 22 answers when it cannot open the file (it logs
		// "Unrecognized recording error: No such file or directory").
		err = fmt.Errorf("Asterisk could not write the file: check that its recording directory (astspooldir/recording) exists and is writable: %w", err)
	}
	a.log.Error("record call", "caller", caller, "bridge", bridge, "recording", rec.Name, "err", err)
	a.post(func() {
		a.recordingOver(rec.Name) // never started: nothing to wait for
		a.recordingReport(string(caller), rec.Name, queue.RecordingFailure, 0, err.Error())
	})
}

// controlRecording carries out the engine's ControlRecording.
func (a *App) controlRecording(e queue.ControlRecording) {
	id, caller := a.chanFor(e.Caller), string(e.Caller) // the channel, and whom the engine hears of
	leg, ok := a.callers[id]
	if !ok {
		return
	}
	bridge := leg.bridge
	if e.Action == queue.RecordStart && bridge != "" {
		a.recordings[bridge] = e.Recording.Name
	}
	srv := a.ari.of(id) // a recording is on its call's server
	a.exec.Submit(id, func(ctx context.Context) {
		switch e.Action {
		case queue.RecordStart:
			if bridge == "" {
				a.post(func() {
					a.recordingReport(caller, e.Name, queue.RecordingFailure, 0, "the call has no bridge to record")
				})
				return
			}
			a.startRecording(ctx, caller, bridge, e.Recording)
		case queue.RecordPause:
			if err := srv.PauseRecording(ctx, e.Name); err != nil {
				// What the pause was for (a card number read out) must not be
				// recorded: a recording that cannot be paused is stopped.
				a.log.Error("pause recording; stopping it instead", "caller", id, "recording", e.Name, "err", err)
				if stopErr := srv.StopRecording(ctx, e.Name); stopErr != nil && !errors.Is(stopErr, ari.ErrNotFound) {
					a.log.Error("stop recording that could not be paused", "recording", e.Name, "err", stopErr)
				}
				a.post(func() {
					a.recordingReport(caller, e.Name, queue.RecordingFailure, 0, "could not be paused, stopped: "+err.Error())
				})
			}
		case queue.RecordResume:
			if err := srv.UnpauseRecording(ctx, e.Name); err != nil {
				a.log.Error("resume recording", "caller", id, "recording", e.Name, "err", err)
				a.post(func() {
					a.recordingReport(caller, e.Name, queue.RecordingFailure, 0, "could not be resumed: "+err.Error())
				})
			}
		}
	})
}

// recordingEvent handles Asterisk's RecordingFinished and RecordingFailed.
func (a *App) recordingEvent(rec ari.LiveRecording, failed bool) {
	// The name says whose it is (queue.RecordingName), also for one a
	// previous run started: no table to keep, or to leak.
	caller, ok := queue.RecordingCaller(rec.Name)
	if !ok {
		return // not ours
	}
	a.recordingOver(rec.Name)
	if failed {
		reason := rec.Cause
		if reason == "" {
			reason = "Asterisk reported the recording failed"
		}
		a.log.Error("recording failed", "caller", string(caller), "recording", rec.Name, "cause", rec.Cause)
		a.recordingReport(string(caller), rec.Name, queue.RecordingFailure, 0, reason)
		return
	}
	a.recordingReport(string(caller), rec.Name, queue.RecordingDone, time.Duration(rec.Duration)*time.Second, "")
}

func (a *App) recordingReport(caller, name, state string, d time.Duration, reason string) {
	in := queue.RecordingReport{Caller: queue.CallerID(caller), Name: name, State: state, Duration: d, Reason: reason}
	if err := a.apply(in); err != nil {
		a.log.Warn("recording report refused", "caller", caller, "recording", name, "err", err)
	}
}

// OpenRecording streams a finished recording from Asterisk (GET
// /recordings/stored/{name}/file): its body (the caller closes it), content
// type and size (-1 if unknown). It does not go through the loop: the file
// is Asterisk's, not the engine's.
func (a *App) OpenRecording(ctx context.Context, name string) (io.ReadCloser, string, int64, error) {
	// Its file is on the server of the call, which its name says.
	caller, _ := queue.RecordingCaller(name)
	f, err := a.ari.of(string(caller)).StoredRecordingFile(ctx, name)
	if err != nil {
		if errors.Is(err, ari.ErrNotFound) {
			return nil, "", 0, fmt.Errorf("recording %s: %w", name, queue.ErrNotFound)
		}
		return nil, "", 0, err
	}
	return f.Body, f.ContentType, f.Size, nil
}

// DeleteRecording deletes a finished recording from Asterisk and says so in
// the call record whose ID is record (by: the admin's login, or
// "retention"). One Asterisk no longer has is deleted as well.
func (a *App) DeleteRecording(ctx context.Context, caller queue.CallerID, record, name, by string) error {
	if err := a.ari.of(string(caller)).DeleteStoredRecording(ctx, name); err != nil && !errors.Is(err, ari.ErrNotFound) {
		return err
	}
	return a.Do(ctx, queue.RecordingReport{Caller: caller, Record: record, Name: name, State: queue.RecordingDeleted, By: by})
}

// A queue recording from the join (record_from=join, app_queue's
// monitor-join) records a snoop on the caller's channel (spy both: what the
// caller hears and says) rather than the channel itself, which Asterisk
// would then refuse to bridge (409 "Channel currently recording"). The
// snoop follows the caller into the call's bridge and ends with the
// caller; it is left alone by a later run's reconcile, so a restart does
// not cut the recording.

const (
	recordingSnoopPrefix = "sqr-" // nextID("r")
	// RecordSnoopArg is the first Stasis argument of a recording snoop:
	// "record,<recording name>,<format>".
	RecordSnoopArg = "record"
)

func isRecordingSnoop(id string) bool { return strings.HasPrefix(localOf(id), recordingSnoopPrefix) }

// recordFromJoin snoops on the caller for its recording, on its lane
// after the answer; recordingSnoopArrived starts the recording.
func (a *App) recordFromJoin(ctx context.Context, caller, snoop string, rec queue.Recording) {
	_, err := a.ari.Snoop(ctx, caller, ari.SnoopRequest{SnoopID: snoop, Spy: "both", App: a.cfg.App,
		AppArgs: []string{RecordSnoopArg, rec.Name, rec.Format}})
	if err == nil || legLeft(err) {
		return // recorded, or the caller is gone already
	}
	a.log.Error("snoop on the caller to record it", "caller", caller, "recording", rec.Name, "err", err)
	a.post(func() { a.recordingReport(caller, rec.Name, queue.RecordingFailure, 0, err.Error()) })
}

func (a *App) recordingSnoopArrived(channel, name, format string) {
	caller, ok := queue.RecordingCaller(name)
	if !ok {
		a.submitHangup(channel, "recording snoop with a name not ours")
		return
	}
	a.exec.Submit(channel, func(ctx context.Context) {
		_, err := a.ari.RecordChannel(ctx, channel, ari.RecordRequest{Name: name, Format: format, IfExists: "fail"})
		if err == nil {
			return
		}
		a.log.Error("record the caller's snoop", "caller", string(caller), "recording", name, "err", err)
		a.hangup(ctx, channel, "recording snoop that could not record")
		a.post(func() { a.recordingReport(string(caller), name, queue.RecordingFailure, 0, err.Error()) })
	})
}
