package queue

import "errors"

// The kinds of error every layer passes on, wrapped with context: the
// engine, the store and the call flow return them, and the web console maps
// each kind to one HTTP status in one place (ui's toAPIError).
var (
	ErrNotFound       = errors.New("not found")
	ErrBadCredentials = errors.New("wrong login or password") // never says which of the two
	ErrInvalid        = errors.New("invalid input")           // see also *ValidationError, field by field
	ErrConflict       = errors.New("conflict")                // not possible in the current state
	ErrForbidden      = errors.New("forbidden")               // allowed to nobody, whatever the role (a redirect off the admin's list)
)

// Errors Apply returns when it refuses a command; the engine state is then
// unchanged and no effects are returned. Each is of one kind above:
// errors.Is(ErrUnknownCaller, ErrNotFound) holds.
var (
	ErrUnknownQueue  error = &kindError{"unknown queue", ErrNotFound}
	ErrUnknownCaller error = &kindError{"unknown caller", ErrNotFound}
	ErrUnknownAgent  error = &kindError{"unknown agent", ErrNotFound}
	ErrUnknownOffer  error = &kindError{"unknown offer", ErrConflict}  // that ring is over
	ErrNotAllowed    error = &kindError{"not allowed", ErrConflict}    // e.g. pick where the queue forbids it, pause while logged out
	ErrDuplicate     error = &kindError{"already exists", ErrConflict} // a caller id that is already queued
)

// kindError is one specific error of a kind.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }
