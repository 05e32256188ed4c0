package ari

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinels for errors.Is against an *Error; they let callers treat the
// everyday races (a 404 for a channel that just hung up) without parsing
// status codes.
var (
	ErrBadRequest    = errors.New("ari: bad request")
	ErrNotFound      = errors.New("ari: not found")
	ErrConflict      = errors.New("ari: conflict")
	ErrUnprocessable = errors.New("ari: unprocessable entity")
	ErrServer        = errors.New("ari: server error")
)

// Error is a non-2xx reply from Asterisk. Message is Asterisk's own
// explanation (the "message" of its JSON error body, or the body text).
type Error struct {
	Method  string
	Path    string
	Status  int
	Message string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("ari %s %s: %d %s", e.Method, e.Path, e.Status, msg)
}

// Is maps the status to the sentinels above.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.Status == http.StatusBadRequest
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrUnprocessable:
		return e.Status == http.StatusUnprocessableEntity
	case ErrServer:
		return e.Status >= 500 && e.Status <= 599
	}
	return false
}
