package ari

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// MustReplyClient returns a client whose server answers every request with
// status and body, and a pointer to the last OnRequest report.
func MustReplyClient(tb testing.TB, status int, body string) (*Client, *[]int) {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	tb.Cleanup(srv.Close)
	statuses := &[]int{}
	c, err := NewClient(Config{URL: srv.URL, App: "stasisq", OnRequest: func(method, route string, st int, d time.Duration, err error) {
		*statuses = append(*statuses, st)
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return c, statuses
}

func TestNotFoundIsErrNotFound(t *testing.T) {
	c, statuses := MustReplyClient(t, http.StatusNotFound, `{"message":"Channel not found"}`)
	err := c.Answer(t.Context(), "gone-1")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got=%v, want errors.Is ErrNotFound", err)
	}
	for _, other := range []error{ErrServer, ErrConflict, ErrBadRequest, ErrUnprocessable} {
		if errors.Is(err, other) {
			t.Errorf("404 also matches %v", other)
		}
	}
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("got=%T, want *Error", err)
	}
	want := Error{Method: "POST", Path: "/channels/gone-1/answer", Status: 404, Message: "Channel not found"}
	if *ae != want {
		t.Errorf("got=%+v, want %+v", *ae, want)
	}
	if !strings.Contains(err.Error(), "Channel not found") {
		t.Errorf("Error() got=%q, want Asterisk's message in it", err.Error())
	}
	if len(*statuses) != 1 || (*statuses)[0] != 404 {
		t.Errorf("OnRequest statuses got=%v, want [404]", *statuses)
	}
	// Methods with a result wrap the *Error; it stays reachable.
	if _, err := c.Originate(t.Context(), OriginateRequest{Endpoint: "Local/1@x", App: "stasisq"}); !errors.Is(err, ErrNotFound) || !errors.As(err, &ae) {
		t.Errorf("Originate got=%v, want a wrapped *Error matching ErrNotFound", err)
	}
}

func TestServerErrorIsErrServer(t *testing.T) {
	c, _ := MustReplyClient(t, http.StatusInternalServerError, `{"message":"Allocation failed"}`)
	_, err := c.GetChannel(t.Context(), "c1")
	if !errors.Is(err, ErrServer) || errors.Is(err, ErrNotFound) {
		t.Fatalf("got=%v, want ErrServer and not ErrNotFound", err)
	}
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != 500 || ae.Message != "Allocation failed" {
		t.Errorf("got=%+v, want *Error status 500 message %q", ae, "Allocation failed")
	}
}

func TestErrorStatusMapping(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error
		msg    string
	}{
		{"bad request", 400, `{"message":"Invalid priority"}`, ErrBadRequest, "Invalid priority"},
		{"conflict", 409, `{"message":"Channel with given unique ID already exists"}`, ErrConflict, "Channel with given unique ID already exists"},
		{"unprocessable", 422, `{"message":"Bridge not in Stasis application"}`, ErrUnprocessable, "Bridge not in Stasis application"},
		{"503 plain text", 503, "overloaded\n", ErrServer, "overloaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := MustReplyClient(t, tt.status, tt.body)
			err := c.Hangup(t.Context(), "c1", "normal")
			var ae *Error
			if !errors.Is(err, tt.want) || !errors.As(err, &ae) || ae.Message != tt.msg {
				t.Errorf("got=%v, want %v with message %q", err, tt.want, tt.msg)
			}
		})
	}
}

func TestNetworkErrorIsNotAnError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	var gotErr error
	c, err := NewClient(Config{URL: url, App: "stasisq", OnRequest: func(_, _ string, _ int, _ time.Duration, err error) { gotErr = err }})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Answer(t.Context(), "c1")
	var ae *Error
	if err == nil || errors.As(err, &ae) || errors.Is(err, ErrServer) {
		t.Errorf("got=%v, want a network error that is not *Error", err)
	}
	if gotErr == nil {
		t.Error("OnRequest got no error for a failed call")
	}
}

func TestNewClientRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no URL", Config{App: "a"}},
		{"no app", Config{URL: "http://127.0.0.1:8088"}},
		{"websocket scheme", Config{URL: "ws://127.0.0.1:8088", App: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewClient(tt.cfg); err == nil {
				t.Error("got=nil, want an error")
			}
		})
	}
}

func TestRESTDecodesReplies(t *testing.T) {
	c, _ := MustReplyClient(t, 200, `{"id":"pb1","media_uri":"sound:queue-thankyou","target_uri":"channel:c1","language":"en","state":"queued"}`)
	pb, err := c.Play(t.Context(), "c1", "pb1", "sound:queue-thankyou")
	if err != nil {
		t.Fatal(err)
	}
	want := Playback{ID: "pb1", MediaURI: "sound:queue-thankyou", TargetURI: "channel:c1", Language: "en", State: "queued"}
	if *pb != want {
		t.Errorf("got=%+v, want %+v", *pb, want)
	}
}

// A password given inside the URL is used and never shown: not in errors,
// not in what the client logs.
func TestURLCredentialsUsedAndNeverShown(t *testing.T) {
	var gotUser, gotPass string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser, gotPass, _ = r.BasicAuth()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ts.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	u := strings.Replace(ts.URL, "http://", "http://stasisq:s3cret-pw@", 1)
	c, err := NewClient(Config{URL: u, App: "a", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Answer(t.Context(), "c1"); err != nil {
		t.Fatal(err)
	}
	if gotUser != "stasisq" || gotPass != "s3cret-pw" {
		t.Fatalf("basic auth got=%q:%q, want the URL's stasisq:s3cret-pw", gotUser, gotPass)
	}
	// The events websocket to a server that is no ARI fails, and is logged.
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	_ = c.Run(ctx) // ends with ctx; only the logs matter here
	if !strings.Contains(logs.String(), `url="ws://`+strings.TrimPrefix(ts.URL, "http://")) {
		t.Fatalf("the client logged no events URL, so the check below would prove nothing:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "s3cret") {
		t.Fatalf("the password is in the client's logs:\n%s", logs.String())
	}
	for _, bad := range []string{"http://stasisq:s3cret-pw@[::1", "ftp://stasisq:s3cret-pw@host"} {
		_, err := NewClient(Config{URL: bad, App: "a"})
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("NewClient(%q) err=%v, want an error without the password", bad, err)
		}
	}
}
