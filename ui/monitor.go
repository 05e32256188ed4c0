package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"stasisq/queue"
)

type monitorBody struct {
	Mode string `json:"mode"`
}

// monitorRequestLimit covers the supervisor's phone ringing (30 s) and
// answering.
const monitorRequestLimit = 40 * time.Second

// monitorCall puts the supervisor on a connected call (listen, whisper,
// barge), or switches its mode; it answers once the supervisor's phone is
// in the call, or with why not (no phone, not registered, busy, no answer,
// the call over).
func (s *Server) monitorCall(c echo.Context) error {
	var b monitorBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if !slices.Contains(queue.MonitorModes, b.Mode) {
		return fieldErrors{"mode": "must be listen, whisper or barge"}.err()
	}
	if err := s.supervisesCall(c, queue.CallerID(c.Param("id"))); err != nil {
		return err
	}
	u, _ := currentUser(c)
	auditNote(c, "%s", b.Mode)
	ctx, cancel := context.WithTimeout(c.Request().Context(), monitorRequestLimit)
	defer cancel()
	if err := s.opts.Floor.Monitor(ctx, queue.CallerID(c.Param("id")), u.ID, b.Mode); err != nil {
		if errors.Is(err, queue.ErrNotFound) {
			// The call ended, or the session did, while the phone rang:
			// the words say which (the kind's own message would not).
			return newError(http.StatusNotFound, "%s", err.Error())
		}
		return fmt.Errorf("%s call %s: %w", b.Mode, c.Param("id"), err)
	}
	return c.JSON(http.StatusOK, map[string]string{"caller": c.Param("id"), "mode": b.Mode})
}

// leaveCall takes the supervisor off a call it listens to or joined.
func (s *Server) leaveCall(c echo.Context) error {
	u, _ := currentUser(c)
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := s.opts.Floor.StopMonitor(ctx, queue.CallerID(c.Param("id")), u.ID); err != nil {
		return fmt.Errorf("leave call %s: %w", c.Param("id"), err)
	}
	return c.NoContent(http.StatusNoContent)
}

// supervisesCall refuses a supervisor who does not supervise the queue of
// caller's call (queue.User.SupervisesQueue); a caller on no call is left
// to the floor to refuse.
func (s *Server) supervisesCall(c echo.Context, caller queue.CallerID) error {
	u, _ := currentUser(c)
	who := queue.User{ID: u.ID, Role: u.Role, Supervises: u.Supervises}
	if u.Role == queue.RoleAdmin || len(u.Supervises) == 0 {
		return nil
	}
	snap, err := s.floorSnapshot(c)
	if err != nil {
		return err
	}
	for _, a := range snap.Agents {
		if a.Caller == caller && a.Queue != "" {
			if !who.SupervisesQueue(a.Queue) {
				return newError(http.StatusForbidden, "you do not supervise queue %s", a.Queue)
			}
			return nil
		}
	}
	return nil
}
