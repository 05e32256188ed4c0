package ui

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"stasisq/queue"
)

// The first-run path: a database with no administrator who can log in gets
// a one-time setup token from "stasisq serve" (Options.SetupToken, which it
// logs with the address of /setup). Whoever holds it creates the first
// administrator in the browser, once; the token dies with that, and with the
// process. Nothing else is reachable with it.

type setupRequest struct {
	Token    string `json:"token"`
	Login    string `json:"login"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// setup creates the first administrator with the setup token.
func (s *Server) setup(c echo.Context) error {
	var req setupRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := fieldErrors{}
	if !queue.ValidName(req.Login) {
		f.add("login", queue.NameRule)
	}
	if req.Name == "" {
		req.Name = req.Login
	}
	if msg := queue.CheckText(req.Name, queue.MaxTextLength); msg != "" {
		f.add("name", msg)
	}
	if msg := queue.CheckPassword(req.Password); msg != "" {
		f.add("password", msg)
	}
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	switch {
	case s.setupToken == "":
		return newError(http.StatusGone, "setup is done: log in")
	case subtle.ConstantTimeCompare([]byte(req.Token), []byte(s.setupToken)) != 1:
		return newError(http.StatusForbidden, "wrong setup token: use the address stasisq serve logged")
	}
	if err := f.err(); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	switch _, err := s.findUser(ctx, req.Login); {
	case err == nil:
		return &Error{Status: http.StatusConflict, Message: "that login exists", Fields: map[string]string{"login": "taken: choose another"}}
	case !errors.Is(err, queue.ErrNotFound):
		return err
	}
	// An administrator takes no calls: the engine is not concerned.
	if err := s.opts.Directory.PutUser(ctx, queue.User{ID: req.Login, Name: req.Name, Role: queue.RoleAdmin}, req.Password); err != nil {
		if errors.Is(err, queue.ErrInvalid) {
			return err
		}
		return fmt.Errorf("store the first administrator: %w", err)
	}
	s.setupToken = ""
	s.log.Info("first administrator created; the setup address no longer works", "user", req.Login)
	return c.NoContent(http.StatusNoContent)
}
