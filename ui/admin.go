package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"stasisq/queue"
)

type adminMeta struct {
	Strategies      []queue.Strategy       `json:"strategies"`
	EmptyConditions []queue.EmptyCondition `json:"empty_conditions"`
	AutoPause       []queue.AutoPause      `json:"autopause"`
	Roles           []queue.Role           `json:"roles"`
	DefaultQueue    queue.QueueConfig      `json:"default_queue"`
	PauseReasons    []string               `json:"pause_reasons"`
	Servers         []string               `json:"servers"` // several Asterisk servers: an agent's phone is on one
}

// adminMeta gives the admin forms their choices and defaults.
func (s *Server) adminMeta(c echo.Context) error {
	return c.JSON(http.StatusOK, adminMeta{
		Strategies:      queue.Strategies,
		EmptyConditions: queue.EmptyConditions,
		AutoPause:       []queue.AutoPause{queue.AutoPauseNo, queue.AutoPauseYes, queue.AutoPauseAll},
		Roles:           []queue.Role{queue.RoleAgent, queue.RoleSupervisor, queue.RoleAdmin},
		DefaultQueue:    queue.DefaultQueueConfig(""),
		PauseReasons:    nonNil(s.opts.PauseReasons),
		Servers:         nonNil(s.opts.Servers),
	})
}

func (s *Server) adminQueues(c echo.Context) error {
	return writeList(c, "queues", s.opts.Directory.Queues)
}

// adminPutQueue creates or replaces a queue through Floor.Configure: stored,
// then applied, so a failed write changes nothing. The engine's validation
// is merged into the form's own checks so that one answer lists every bad
// field.
func (s *Server) adminPutQueue(c echo.Context) error {
	name := c.Param("name")
	cfg := queue.DefaultQueueConfig(name)
	if err := decodeJSON(c, &cfg); err != nil {
		return err
	}
	if cfg.Name == "" {
		cfg.Name = name
	}
	f := validateQueueConfig(cfg)
	mergeValidation(f, "", queue.ValidateQueue(cfg))
	if cfg.Name != name {
		f.add("name", "must match the queue in the URL (rename by creating the new queue and deleting the old)")
	}
	if err := f.err(); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	save := func(ctx context.Context) error { return s.opts.Directory.PutQueue(ctx, cfg) }
	if err := s.opts.Floor.Configure(ctx, queue.ConfigureQueue{Config: cfg}, save); err != nil {
		return fmt.Errorf("configure queue %s: %w", name, err)
	}
	s.log.Info("queue configured", "queue", name, "by", userID(c))
	return c.JSON(http.StatusOK, cfg)
}

func (s *Server) adminDeleteQueue(c echo.Context) error {
	name := c.Param("name")
	ctx, cancel := requestContext(c)
	defer cancel()
	save := func(ctx context.Context) error { return s.opts.Directory.DeleteQueue(ctx, name) }
	if err := s.opts.Floor.Configure(ctx, queue.RemoveQueue{Queue: name}, save); err != nil {
		return fmt.Errorf("delete queue %s: %w", name, err)
	}
	s.log.Info("queue deleted", "queue", name, "by", userID(c))
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) adminUsers(c echo.Context) error {
	return writeList(c, "users", s.opts.Directory.Users)
}

// userBody is a user as the admin form sends it. Agent is null for a user
// who takes no calls.
type userBody struct {
	Name       string             `json:"name"`
	Role       queue.Role         `json:"role"`
	Password   string             `json:"password"`
	Agent      *queue.AgentConfig `json:"agent"`
	Supervises []string           `json:"supervises"`
}

func (s *Server) adminPutUser(c echo.Context) error {
	id := c.Param("id")
	var b userBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	users, err := s.opts.Directory.Users(ctx)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	var old *queue.User
	for i := range users {
		if users[i].ID == id {
			old = &users[i]
		}
	}
	qs, err := s.opts.Directory.Queues(ctx)
	if err != nil {
		return fmt.Errorf("queues: %w", err)
	}
	known := map[string]bool{}
	for _, q := range qs {
		known[q.Name] = true
	}

	f := fieldErrors{}
	if !queue.ValidName(id) {
		f.add("id", queue.NameRule)
	}
	if b.Name == "" {
		b.Name = id
	}
	if msg := queue.CheckText(b.Name, queue.MaxTextLength); msg != "" {
		f.add("name", msg)
	}
	if b.Role.Rank() == 0 {
		f.add("role", "must be agent, supervisor or admin")
	}
	switch {
	case b.Password == "" && old == nil:
		f.add("password", "required for a new user")
	case b.Password != "":
		if msg := queue.CheckPassword(b.Password); msg != "" {
			f.add("password", msg)
		}
	}
	if b.Role == queue.RoleAgent && b.Agent == nil {
		f.add("agent", "an agent needs a device and queues")
	}
	switch {
	case len(b.Supervises) > 0 && b.Role != queue.RoleSupervisor:
		f.add("supervises", "only a supervisor supervises chosen queues (an admin supervises all)")
	default:
		for _, q := range b.Supervises {
			if !known[q] {
				f.add("supervises", fmt.Sprintf("unknown queue %q", q))
			}
		}
	}
	rec := queue.User{ID: id, Name: b.Name, Role: b.Role, Supervises: b.Supervises}
	if b.Agent != nil {
		rec.Agent = *b.Agent
		if rec.Agent.ID == "" {
			rec.Agent.ID = id
		}
		if rec.Agent.Name == "" {
			rec.Agent.Name = b.Name
		}
		if rec.Agent.ID != id {
			f.add("agent.id", "must be the user's id")
		}
		if rec.Agent.Queues == nil {
			rec.Agent.Queues = []queue.Membership{}
		}
		validateAgentConfig(f, "agent.", rec.Agent, known)
		if srv := rec.Agent.Server; srv != "" && !slices.Contains(s.opts.Servers, srv) {
			if len(s.opts.Servers) == 0 {
				f.add("agent.server", "stasisq drives one Asterisk: leave it empty")
			} else {
				f.add("agent.server", fmt.Sprintf("no Asterisk server %q: one of %s", srv, strings.Join(s.opts.Servers, ", ")))
			}
		}
		mergeValidation(f, "agent.", queue.ValidateAgent(rec.Agent))
	}
	if err := f.err(); err != nil {
		return err
	}

	auditNote(c, "role %s, password changed %v, takes calls %v", rec.Role, b.Password != "", b.Agent != nil)
	// A user who takes no calls is no agent of the engine's.
	var change queue.Input = queue.RemoveAgent{Agent: queue.AgentID(id)}
	if b.Agent != nil {
		change = queue.ConfigureAgent{Config: rec.Agent}
	}
	save := func(ctx context.Context) error { return s.opts.Directory.PutUser(ctx, rec, b.Password) }
	if err := s.opts.Floor.Configure(ctx, change, save); err != nil {
		return prefixFields(fmt.Errorf("save user %s: %w", id, err), "agent.")
	}
	if b.Password != "" || (old != nil && old.Role != rec.Role) {
		// The store ended this user's sessions with the write; their open
		// consoles go to the login page.
		s.hub.endUser(id)
	}
	s.log.Info("user saved", "user", id, "role", rec.Role, "by", userID(c))
	return c.JSON(http.StatusOK, rec)
}

func (s *Server) adminDeleteUser(c echo.Context) error {
	id := c.Param("id")
	if id == userID(c) {
		return newError(http.StatusConflict, "you cannot delete yourself")
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	save := func(ctx context.Context) error { return s.opts.Directory.DeleteUser(ctx, id) }
	if err := s.opts.Floor.Configure(ctx, queue.RemoveAgent{Agent: queue.AgentID(id)}, save); err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	s.hub.endUser(id) // the store ended its sessions with the delete
	s.log.Info("user deleted", "user", id, "by", userID(c))
	return c.NoContent(http.StatusNoContent)
}

// redirectTargetsBody is the allow-list as the admin edits it: one
// "context,exten" per entry, patterns allowed (_X.).
type redirectTargetsBody struct {
	Targets []string `json:"targets"`
}

// targetStrings is the list as the admin writes it ("context,exten").
func targetStrings(ts queue.RedirectTargets) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

func (s *Server) adminRedirectTargets(c echo.Context) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	ts, err := s.opts.Directory.RedirectTargets(ctx)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, redirectTargetsBody{Targets: targetStrings(ts)})
}

func (s *Server) adminPutRedirectTargets(c echo.Context) error {
	var b redirectTargetsBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Targets == nil {
		return fieldErrors{"targets": "required (a list, maybe empty)"}.err()
	}
	ts, err := queue.ParseRedirectTargets(b.Targets)
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := s.opts.Directory.PutRedirectTargets(ctx, ts); err != nil {
		return err
	}
	auditNote(c, "%d targets: %s", len(ts), truncateNote(targetStrings(ts)))
	s.log.Info("redirect targets saved", "count", len(ts), "by", userID(c))
	return s.adminRedirectTargets(c)
}

// mergeValidation adds the engine's own findings to ours; ours come first
// because their messages were written for the form.
func mergeValidation(f fieldErrors, prefix string, err error) {
	var verr *queue.ValidationError
	if errors.As(err, &verr) {
		for _, fe := range verr.Fields {
			f.add(prefix+fe.Field, fe.Message)
		}
	}
}

// prefixFields puts the engine's field names for an agent under "agent.",
// where the form has them.
func prefixFields(err error, prefix string) error {
	apiErr := toAPIError(err)
	if len(apiErr.Fields) == 0 {
		return err
	}
	out := &Error{Status: apiErr.Status, Message: apiErr.Message, Fields: map[string]string{}}
	for k, v := range apiErr.Fields {
		out.Fields[prefix+k] = v
	}
	return out
}

func userID(c echo.Context) string {
	u, _ := currentUser(c)
	return u.ID
}
