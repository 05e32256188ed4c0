package ari

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// RecordRequest is POST /bridges/{bridgeId}/record's parameters. Name is
// the stored recording's name (a path under Asterisk's recording
// directory, without extension); Format is Asterisk's format name (wav,
// gsm, wav49). IfExists is fail (Asterisk's default), overwrite or append.
type RecordRequest struct {
	Name        string
	Format      string
	MaxDuration int // seconds, 0 for none
	IfExists    string
	Beep        bool
}

// query is the request's parameters, both record routes taking the same.
func (req RecordRequest) query() url.Values {
	q := query("name", req.Name, "format", req.Format, "ifExists", req.IfExists)
	if req.MaxDuration > 0 {
		q.Set("maxDurationSeconds", strconv.Itoa(req.MaxDuration))
	}
	if req.Beep {
		q.Set("beep", "true")
	}
	return q
}

// StoredRecording is a finished recording Asterisk keeps.
type StoredRecording struct {
	Name   string `json:"name"`
	Format string `json:"format"`
}

// RecordBridge records a bridge's mixed audio. Asterisk answers once the
// recording is queued; RecordingStarted, then RecordingFinished or
// RecordingFailed, follow on the events websocket.
func (c *Client) RecordBridge(ctx context.Context, bridgeID string, req RecordRequest) (*LiveRecording, error) {
	rc := call{method: http.MethodPost, route: "/bridges/{bridgeId}/record", path: "/bridges/" + seg(bridgeID) + "/record", query: req.query()}
	out, err := send[LiveRecording](ctx, c, rc)
	if err != nil {
		return nil, fmt.Errorf("record bridge %s as %s: %w", bridgeID, req.Name, err)
	}
	return out, nil
}

// RecordChannel records what a channel receives (POST
// /channels/{channelId}/record); the channel must not be in a bridge.
func (c *Client) RecordChannel(ctx context.Context, channelID string, req RecordRequest) (*LiveRecording, error) {
	rc := call{method: http.MethodPost, route: "/channels/{channelId}/record", path: "/channels/" + seg(channelID) + "/record", query: req.query()}
	out, err := send[LiveRecording](ctx, c, rc)
	if err != nil {
		return nil, fmt.Errorf("record channel %s as %s: %w", channelID, req.Name, err)
	}
	return out, nil
}

const liveRoute = "/recordings/live/{recordingName}"

func livePath(name string) string { return "/recordings/live/" + seg(name) }

// PauseRecording pauses a live recording: Asterisk writes nothing until
// it is unpaused, so the paused part is absent from the file.
func (c *Client) PauseRecording(ctx context.Context, name string) error {
	return c.action(ctx, http.MethodPost, liveRoute+"/pause", livePath(name)+"/pause", nil)
}

// UnpauseRecording resumes a paused recording.
func (c *Client) UnpauseRecording(ctx context.Context, name string) error {
	return c.action(ctx, http.MethodDelete, liveRoute+"/pause", livePath(name)+"/pause", nil)
}

// StopRecording ends a live recording and keeps what it has.
func (c *Client) StopRecording(ctx context.Context, name string) error {
	return c.action(ctx, http.MethodPost, liveRoute+"/stop", livePath(name)+"/stop", nil)
}

const storedRoute = "/recordings/stored/{recordingName}"

func storedPath(name string) string { return "/recordings/stored/" + seg(name) }

// GetStoredRecording returns a finished recording; one that is not there
// is an error wrapping ErrNotFound.
func (c *Client) GetStoredRecording(ctx context.Context, name string) (*StoredRecording, error) {
	return get[StoredRecording](ctx, c, storedRoute, storedPath(name))
}

// DeleteStoredRecording deletes a finished recording's file.
func (c *Client) DeleteStoredRecording(ctx context.Context, name string) error {
	if err := c.action(ctx, http.MethodDelete, storedRoute, storedPath(name), nil); err != nil {
		return fmt.Errorf("delete recording %s: %w", name, err)
	}
	return nil
}

// RecordingFile is a stored recording's file as Asterisk serves it.
type RecordingFile struct {
	Body        io.ReadCloser // the caller closes it
	ContentType string
	Size        int64 // -1 when Asterisk did not say
}

// StoredRecordingFile opens a finished recording's file (GET
// /recordings/stored/{name}/file) for the caller to stream; a 2xx answer's
// body is not read here.
func (c *Client) StoredRecordingFile(ctx context.Context, name string) (*RecordingFile, error) {
	rc := call{method: http.MethodGet, route: storedRoute + "/file", path: storedPath(name) + "/file"}
	resp, err := c.open(ctx, rc, "*/*")
	if err != nil {
		return nil, fmt.Errorf("recording file %s: %w", name, err)
	}
	return &RecordingFile{Body: resp.Body, ContentType: resp.Header.Get("Content-Type"), Size: resp.ContentLength}, nil
}
