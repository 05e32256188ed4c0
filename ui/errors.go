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

// ErrBadCredentials is what Directory.CheckPassword returns for an unknown
// login or a wrong password; the API never says which.
var ErrBadCredentials = errors.New("bad credentials")

// ErrNotFound is what Directory returns for a queue, user or record it does
// not hold.
var ErrNotFound = errors.New("not found")

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
	switch {
	case errors.Is(err, ErrBadCredentials):
		return &Error{Status: http.StatusUnauthorized, Message: "wrong login or password"}
	case errors.Is(err, queue.ErrUnknownQueue):
		return &Error{Status: http.StatusNotFound, Message: "unknown queue"}
	case errors.Is(err, queue.ErrUnknownCaller):
		return &Error{Status: http.StatusNotFound, Message: "unknown caller (it may have just left)"}
	case errors.Is(err, queue.ErrUnknownAgent):
		return &Error{Status: http.StatusNotFound, Message: "unknown agent"}
	case errors.Is(err, queue.ErrUnknownOffer):
		return &Error{Status: http.StatusConflict, Message: "that call is no longer ringing"}
	case errors.Is(err, ErrNotFound):
		return &Error{Status: http.StatusNotFound, Message: "not found"}
	case errors.Is(err, queue.ErrNotAllowed):
		return &Error{Status: http.StatusConflict, Message: "not allowed now: " + err.Error()}
	case errors.Is(err, queue.ErrDuplicate):
		return &Error{Status: http.StatusConflict, Message: "already exists"}
	case errors.Is(err, queue.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &Error{Status: http.StatusServiceUnavailable, Message: "the call centre did not answer in time"}
	}
	return &Error{Status: http.StatusInternalServerError, Message: "internal error"}
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
	if apiErr.Status == http.StatusTooManyRequests {
		c.Response().Header().Set("Retry-After", "10")
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSONCharsetUTF8)
	c.Response().WriteHeader(apiErr.Status)
	if c.Request().Method == http.MethodHead {
		return
	}
	_ = json.NewEncoder(c.Response()).Encode(apiErr)
}
