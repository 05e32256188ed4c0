package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"stasisq/queue"
)

// Error is the one error the API answers with: a status, a message a person
// can read, and for refused input the reason per field.
type Error struct {
	Status  int               `json:"-"`
	Message string            `json:"error"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

func newError(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// fieldErrors collects refused input field by field.
type fieldErrors map[string]string

func (f fieldErrors) add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Status: http.StatusUnprocessableEntity, Message: "invalid input", Fields: f}
}

// queryErr is err for a URL's query parameters: 400, the request itself
// is malformed (422 is for a body that parsed but says something wrong).
func (f fieldErrors) queryErr() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Status: http.StatusBadRequest, Message: "invalid query", Fields: f}
}

// toAPIError maps an error from the engine, the directory or a handler to
// the status and message the client sees. It is the only such mapping.
func toAPIError(err error) *Error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	var verr *queue.ValidationError
	if errors.As(err, &verr) {
		f := fieldErrors{}
		for _, fe := range verr.Fields {
			f.add(fe.Field, fe.Message)
		}
		return &Error{Status: http.StatusUnprocessableEntity, Message: "invalid input", Fields: f}
	}
	var echoErr *echo.HTTPError
	if errors.As(err, &echoErr) {
		return &Error{Status: echoErr.Code, Message: fmt.Sprint(echoErr.Message)}
	}
	// The message for a specific error where a person needs more than the
	// kind says; the status always follows from the kind.
	message := ""
	switch {
	case errors.Is(err, queue.ErrUnknownCaller):
		message = "unknown caller (it may have just left)"
	case errors.Is(err, queue.ErrUnknownOffer):
		message = "that call is no longer ringing"
	case errors.Is(err, queue.ErrNotAllowed):
		message = "not allowed now: " + err.Error()
	case errors.Is(err, queue.ErrUnknownQueue):
		message = "unknown queue"
	case errors.Is(err, queue.ErrUnknownAgent):
		message = "unknown agent"
	case errors.Is(err, queue.ErrDuplicate):
		message = "already exists"
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.kind) {
			if message == "" {
				message = k.message
				if k.message == "" {
					message = err.Error()
				}
			}
			return &Error{Status: k.status, Message: message}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &Error{Status: http.StatusServiceUnavailable, Message: "the call centre did not answer in time"}
	}
	return &Error{Status: http.StatusInternalServerError, Message: "internal error"}
}

// errorKinds maps each kind of domain error to its HTTP status, and the
// message for it ("": the error's own text).
var errorKinds = []struct {
	kind    error
	status  int
	message string
}{
	{queue.ErrBadCredentials, http.StatusUnauthorized, "wrong login or password"},
	{queue.ErrNotFound, http.StatusNotFound, "not found"},
	{queue.ErrConflict, http.StatusConflict, ""},
	{queue.ErrForbidden, http.StatusForbidden, ""},
	{queue.ErrInvalid, http.StatusBadRequest, ""},
}

// errorHandler is Echo's HTTPErrorHandler: every error leaves as JSON.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	apiErr := toAPIError(err)
	if apiErr.Status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if apiErr.Status == http.StatusTooManyRequests && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", "10")
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSONCharsetUTF8)
	c.Response().WriteHeader(apiErr.Status)
	if c.Request().Method == http.MethodHead {
		return
	}
	_ = json.NewEncoder(c.Response()).Encode(apiErr)
}
