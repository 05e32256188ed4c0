package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"stasisq/queue"
)

const auditDetailKey = "ui.audit_detail"

// auditActions records every state-changing request on the supervisor
// and admin routes, refused ones too, once it has been answered: who, from
// where, the route, its parameters, what the handler noted (auditNote) and
// the status. A failed write is logged, not answered: the action is done.
func (s *Server) auditActions(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		err := next(c)
		u, _ := currentUser(c)
		status := c.Response().Status
		if err != nil {
			status = toAPIError(err).Status
		}
		var params []string
		for i, name := range c.ParamNames() {
			params = append(params, name+"="+c.ParamValues()[i])
		}
		detail, _ := c.Get(auditDetailKey).(string)
		e := queue.AuditEntry{
			At: time.Now(), User: u.ID, Role: u.Role, From: c.RealIP(),
			Action: c.Request().Method + " " + c.Path(), Target: strings.Join(params, " "), Detail: detail, Status: status,
		}
		// Its own deadline: the request's may be spent, the record is owed.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if aerr := s.opts.Directory.AddAudit(ctx, e); aerr != nil {
			s.log.Error("audit log", "action", e.Action, "user", e.User, "err", aerr)
		}
		return err
	}
}

// auditNote adds what the audit log should say beyond the route (the
// redirect's target, the pause reason, the role given); never a secret.
func auditNote(c echo.Context, format string, args ...any) {
	c.Set(auditDetailKey, fmt.Sprintf(format, args...))
}

func (s *Server) adminAudit(c echo.Context) error {
	from, to, err := s.timeRange(c)
	if err != nil {
		return err
	}
	if c.QueryParam("from") == "" {
		from = to.AddDate(0, 0, -7) // a week back unless asked
	}
	limit, err := intParam(c, "limit", 200, 1, 5000)
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	entries, err := s.opts.Directory.Audit(ctx, from, to, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": entries})
}

// truncateNote joins a list for a note, cut to a line a person reads.
func truncateNote(items []string) string {
	j := strings.Join(items, " ")
	if len(j) > 200 {
		return j[:200] + "…"
	}
	return j
}
