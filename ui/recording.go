package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"stasisq/queue"
)

// Recordings are the call recordings Asterisk keeps, reached through the
// call flow: files are Asterisk's, the call record says what they are.
type Recordings interface {
	// OpenRecording opens a finished recording's file: its body (closed
	// by the caller), content type and size (-1 when unknown); one that
	// is not there is queue.ErrNotFound.
	OpenRecording(ctx context.Context, name string) (io.ReadCloser, string, int64, error)
	// DeleteRecording deletes it from Asterisk and marks it deleted, by
	// the given login, in the call record whose ID is record.
	DeleteRecording(ctx context.Context, caller queue.CallerID, record, name, by string) error
}

// recordingLimit bounds one download: an eight-hour call in wav is 460 MB.
const recordingLimit = 1 << 30

// recordingFile serves a call's recording to supervisors and admins, who
// may read call records; with ?download=1 as an attachment. The file is
// spooled to a temporary file first, so that the browser's player gets
// ranges (seeking) and a length, which Asterisk's own answer lacks, with
// no more memory than a copy buffer.
func (s *Server) recordingFile(c echo.Context) error {
	rec, err := s.recordedCall(c)
	if err != nil {
		return err
	}
	// Its own deadline: a long recording takes longer than an API call.
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Minute)
	defer cancel()
	body, contentType, _, err := s.opts.Recordings.OpenRecording(ctx, rec.Recording.Name)
	switch {
	case errors.Is(err, queue.ErrNotFound) && rec.Recording.State == queue.RecordingFailure:
		// A recording that failed part way has a file; one refused at the
		// start has none.
		return newError(http.StatusNotFound, "the recording of call %s failed: %s", rec.ID, rec.Recording.Error)
	case errors.Is(err, queue.ErrNotFound):
		return newError(http.StatusNotFound, "Asterisk no longer has recording %s of call %s", rec.Recording.Name, rec.ID)
	case err != nil:
		return fmt.Errorf("recording of call %s: %w", rec.ID, err)
	}
	defer body.Close()
	f, err := os.CreateTemp("", "stasisq-recording-*")
	if err != nil {
		return fmt.Errorf("spool recording %s: %w", rec.Recording.Name, err)
	}
	defer func() {
		f.Close()
		if err := os.Remove(f.Name()); err != nil {
			s.log.Warn("remove spooled recording", "file", f.Name(), "err", err)
		}
	}()
	n, err := io.Copy(f, io.LimitReader(body, recordingLimit+1))
	if err != nil {
		return fmt.Errorf("fetch recording %s from Asterisk: %w", rec.Recording.Name, err)
	}
	if n > recordingLimit {
		return newError(http.StatusInsufficientStorage, "recording %s is larger than %d bytes", rec.Recording.Name, recordingLimit)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool recording %s: %w", rec.Recording.Name, err)
	}
	file := rec.Recording.Name + "." + fileExtension(rec.Recording.Format)
	disposition := "inline"
	if c.QueryParam("download") == "1" {
		disposition = "attachment"
	}
	h := c.Response().Header()
	if contentType == "" || contentType == "application/octet-stream" {
		contentType = recordingType(rec.Recording.Format)
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", disposition+`; filename="`+file+`"`)
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(c.Response(), c.Request(), file, rec.EndedAt, f)
	return nil
}

// deleteRecording deletes a call's recording, for admins.
func (s *Server) deleteRecording(c echo.Context) error {
	rec, err := s.recordedCall(c)
	if err != nil {
		return err
	}
	u, _ := currentUser(c)
	ctx, cancel := requestContext(c)
	defer cancel()
	auditNote(c, "recording %s", rec.Recording.Name)
	if err := s.opts.Recordings.DeleteRecording(ctx, rec.Caller, rec.ID, rec.Recording.Name, u.ID); err != nil {
		return fmt.Errorf("delete recording of call %s: %w", rec.ID, err)
	}
	return c.NoContent(http.StatusNoContent)
}

// recordedCall is the call record :id names, with a finished recording
// and somewhere to fetch it from.
func (s *Server) recordedCall(c echo.Context) (queue.CallRecord, error) {
	ctx, cancel := requestContext(c)
	defer cancel()
	rec, err := s.opts.Directory.CallByID(ctx, c.Param("id"))
	if err != nil {
		return rec, err
	}
	r := rec.Recording
	switch {
	case r == nil:
		return rec, newError(http.StatusNotFound, "call %s was not recorded", rec.ID)
	case r.State == queue.RecordingDeleted:
		return rec, newError(http.StatusNotFound, "the recording of call %s was deleted by %s on %s", rec.ID, r.DeletedBy,
			r.DeletedAt.In(s.loc).Format(time.DateTime))
	case r.State == queue.RecordingActive || r.State == queue.RecordingPaused:
		return rec, newError(http.StatusConflict, "call %s is still being recorded", rec.ID)
	case s.opts.Recordings == nil:
		return rec, newError(http.StatusServiceUnavailable, "recordings are not available without Asterisk")
	}
	return rec, nil
}

type recordingBody struct {
	Caller string `json:"caller"`
	Action string `json:"action"`
}

var recordingActions = []string{queue.RecordStart, queue.RecordPause, queue.RecordResume}

func (b recordingBody) check(needCaller bool) error {
	f := fieldErrors{}
	if needCaller && b.Caller == "" {
		f.add("caller", "required")
	}
	if !slices.Contains(recordingActions, b.Action) {
		f.add("action", "must be start, pause or resume")
	}
	return f.err()
}

// controlRecording starts, pauses or resumes a call's recording for a
// supervisor (POST /api/callers/:id/recording).
func (s *Server) controlRecording(c echo.Context) error {
	var b recordingBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := b.check(false); err != nil {
		return err
	}
	if err := s.supervisesCall(c, queue.CallerID(c.Param("id"))); err != nil {
		return err
	}
	u, _ := currentUser(c)
	auditNote(c, "%s", b.Action)
	return s.do(c, queue.RecordingControl{Caller: queue.CallerID(c.Param("id")), Action: b.Action, By: u.ID})
}

// meRecording is the same for the agent on the call, where its queue
// allows agents to (the engine checks both).
func (s *Server) meRecording(c echo.Context) error {
	var b recordingBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := b.check(true); err != nil {
		return err
	}
	err := s.do(c, queue.RecordingControl{Caller: queue.CallerID(b.Caller), Action: b.Action, Agent: me(c), By: string(me(c))})
	if errors.Is(err, queue.ErrUnknownCaller) {
		return newError(http.StatusNotFound, "that call has ended")
	}
	return err
}

func fileExtension(format string) string {
	if format == "wav49" {
		return "WAV" // Asterisk's name for GSM in a WAV container
	}
	return format
}

func recordingType(format string) string {
	switch format {
	case "wav", "wav49":
		return "audio/wav"
	case "gsm":
		return "audio/x-gsm"
	}
	return "application/octet-stream"
}
