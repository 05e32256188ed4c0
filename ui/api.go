package ui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"stasisq/queue"
)

// --- reads ----------------------------------------------------------------

// snapshot is the live state as the user may see it: the whole floor for a
// supervisor, the agent's own view for an agent.
func (s *Server) snapshot(c echo.Context) error {
	u, _ := currentUser(c)
	snap, err := s.floorSnapshot(c)
	if err != nil {
		return err
	}
	if u.Role.Rank() < queue.RoleSupervisor.Rank() {
		snap = agentView(snap, queue.AgentID(u.ID))
	}
	return c.JSON(http.StatusOK, snap)
}

// agentView keeps the agent's own row and the queues it is a member of;
// of the supervisors on its call, only those its queue tells it about.
func agentView(snap queue.Snapshot, agent queue.AgentID) queue.Snapshot {
	out := queue.Snapshot{At: snap.At, Queues: []queue.QueueView{}, Agents: []queue.AgentView{}}
	mine := map[string]bool{}
	for _, a := range snap.Agents {
		if queue.AgentID(a.Config.ID) == agent {
			var shown []queue.CallMonitor
			for _, m := range a.Monitors {
				if m.Shown {
					shown = append(shown, m)
				}
			}
			a.Monitors = shown
			out.Agents = append(out.Agents, a)
			for _, m := range a.Config.Queues {
				mine[m.Queue] = true
			}
		}
	}
	for _, q := range snap.Queues {
		if mine[q.Config.Name] {
			out.Queues = append(out.Queues, q)
		}
	}
	return out
}

func (s *Server) floorSnapshot(c echo.Context) (queue.Snapshot, error) {
	ctx, cancel := requestContext(c)
	defer cancel()
	snap, err := s.opts.Floor.Snapshot(ctx)
	if err != nil {
		return queue.Snapshot{}, fmt.Errorf("snapshot: %w", err)
	}
	return snap, nil
}

func (s *Server) listQueues(c echo.Context) error {
	snap, err := s.floorSnapshot(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, nonNil(snap.Queues))
}

func (s *Server) getQueue(c echo.Context) error {
	snap, err := s.floorSnapshot(c)
	if err != nil {
		return err
	}
	for _, q := range snap.Queues {
		if q.Config.Name == c.Param("name") {
			return c.JSON(http.StatusOK, q)
		}
	}
	return queue.ErrUnknownQueue
}

func (s *Server) listAgents(c echo.Context) error {
	snap, err := s.floorSnapshot(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, nonNil(snap.Agents))
}

func (s *Server) getAgent(c echo.Context) error {
	snap, err := s.floorSnapshot(c)
	if err != nil {
		return err
	}
	if a, ok := findAgent(snap, queue.AgentID(c.Param("id"))); ok {
		return c.JSON(http.StatusOK, a)
	}
	return queue.ErrUnknownAgent
}

func (s *Server) listCalls(c echo.Context) error {
	from, to, err := s.timeRange(c)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	asCSV, err := wantCSV(c)
	if err != nil {
		return err
	}
	q := queue.CallQuery{From: from, To: to, Queue: c.QueryParam("queue"), Limit: limit,
		Number: c.QueryParam("number"), Agent: queue.AgentID(c.QueryParam("agent")), Outcome: c.QueryParam("outcome")}
	if asCSV {
		if to.Sub(from) > queue.MaxReportRange {
			return fieldErrors{"to": "at most 400 days after from"}.queryErr()
		}
		// Every matching call, not a page of them: the export streams.
		q.Limit = 0
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Minute)
		defer cancel()
		h := c.Response().Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="calls-%s-%s.csv"`, from.Format(time.DateOnly), to.Format(time.DateOnly)))
		c.Response().WriteHeader(http.StatusOK)
		if err := s.opts.Directory.WriteCallsCSV(ctx, c.Response(), q); err != nil {
			s.log.Error("calls csv cut short", "err", err) // the status is sent: the log says why
		}
		return nil
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	calls, err := s.opts.Directory.Calls(ctx, q)
	if err != nil {
		return fmt.Errorf("calls: %w", err)
	}
	return c.JSON(http.StatusOK, nonNil(calls))
}

// statsResponse is a range of intervals and their sum.
type statsResponse[T any] struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Intervals []T       `json:"intervals"`
	Total     T         `json:"total"`
}

func (s *Server) queueStats(c echo.Context) error {
	from, to, err := s.timeRange(c)
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	ivs, err := s.opts.Directory.QueueStats(ctx, c.Param("name"), from, to)
	if err != nil {
		return fmt.Errorf("queue stats %s: %w", c.Param("name"), err)
	}
	total := sumIntervals(queue.QueueInterval{Queue: c.Param("name"), Start: from}, ivs)
	return c.JSON(http.StatusOK, statsResponse[queue.QueueInterval]{From: from, To: to, Intervals: nonNil(ivs), Total: total})
}

// allQueueStats is every configured queue's intervals, for the wallboard chart.
func (s *Server) allQueueStats(c echo.Context) error {
	from, to, err := s.timeRange(c)
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	qs, err := s.opts.Directory.Queues(ctx)
	if err != nil {
		return fmt.Errorf("queues: %w", err)
	}
	out := map[string]statsResponse[queue.QueueInterval]{}
	for _, q := range qs {
		ivs, err := s.opts.Directory.QueueStats(ctx, q.Name, from, to)
		if err != nil {
			return fmt.Errorf("queue stats %s: %w", q.Name, err)
		}
		total := sumIntervals(queue.QueueInterval{Queue: q.Name, Start: from}, ivs)
		out[q.Name] = statsResponse[queue.QueueInterval]{From: from, To: to, Intervals: nonNil(ivs), Total: total}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) agentStats(c echo.Context) error {
	return s.writeAgentStats(c, c.Param("id"))
}

func (s *Server) meStats(c echo.Context) error {
	u, _ := currentUser(c)
	return s.writeAgentStats(c, u.ID)
}

func (s *Server) writeAgentStats(c echo.Context, agent string) error {
	from, to, err := s.timeRange(c)
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	ivs, err := s.opts.Directory.AgentStats(ctx, queue.AgentID(agent), from, to)
	if err != nil {
		return fmt.Errorf("agent stats %s: %w", agent, err)
	}
	total := sumIntervals(queue.AgentInterval{Agent: queue.AgentID(agent), Start: from}, ivs)
	return c.JSON(http.StatusOK, statsResponse[queue.AgentInterval]{From: from, To: to, Intervals: nonNil(ivs), Total: total})
}

// sumIntervals adds ivs to total, which names the queue or agent and the
// start of the range.
func sumIntervals[T any, P interface {
	*T
	Add(T)
}](total T, ivs []T) T {
	for _, iv := range ivs {
		P(&total).Add(iv)
	}
	return total
}

// writeList answers with what list returns, [] for none; what names the
// list in errors.
func writeList[T any](c echo.Context, what string, list func(context.Context) ([]T, error)) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	items, err := list(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return c.JSON(http.StatusOK, nonNil(items))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// --- actions ----------------------------------------------------------------

// do applies one engine command for the request and answers 204.
func (s *Server) do(c echo.Context, in queue.Input) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := s.opts.Floor.Do(ctx, in); err != nil {
		return fmt.Errorf("%T: %w", in, err)
	}
	u, _ := currentUser(c)
	s.log.Debug("action", "user", u.ID, "input", fmt.Sprintf("%T", in))
	return c.NoContent(http.StatusNoContent)
}

type loginBody struct {
	Paused bool   `json:"paused"`
	Reason string `json:"reason"`
}

type pauseBody struct {
	Reason string `json:"reason"`
}

func (s *Server) checkReason(reason string) error {
	if len(reason) > 64 {
		return fieldErrors{"reason": "at most 64 characters"}.err()
	}
	if reason == "" || len(s.opts.PauseReasons) == 0 || slices.Contains(s.opts.PauseReasons, reason) {
		return nil
	}
	return fieldErrors{"reason": "must be one of: " + strings.Join(s.opts.PauseReasons, ", ")}.err()
}

// loginAgent logs agent in as the request's body asks.
func (s *Server) loginAgent(c echo.Context, agent string) error {
	var b loginBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Paused {
		if err := s.checkReason(b.Reason); err != nil {
			return err
		}
	} else if b.Reason != "" {
		return fieldErrors{"reason": "only when paused"}.err()
	}
	return s.do(c, queue.AgentLogin{Agent: queue.AgentID(agent), Paused: b.Paused, Reason: b.Reason})
}

// pauseAgent pauses agent with the request body's reason.
func (s *Server) pauseAgent(c echo.Context, agent string) error {
	var b pauseBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := s.checkReason(b.Reason); err != nil {
		return err
	}
	auditNote(c, "reason %q", b.Reason)
	return s.do(c, queue.AgentPause{Agent: queue.AgentID(agent), Reason: b.Reason})
}

func me(c echo.Context) queue.AgentID {
	u, _ := currentUser(c)
	return queue.AgentID(u.ID)
}

func (s *Server) meLogin(c echo.Context) error { return s.loginAgent(c, string(me(c))) }

func (s *Server) meLogout(c echo.Context) error { return s.do(c, queue.AgentLogout{Agent: me(c)}) }
func (s *Server) meReady(c echo.Context) error  { return s.do(c, queue.AgentUnpause{Agent: me(c)}) }
func (s *Server) meDone(c echo.Context) error   { return s.do(c, queue.AgentWrapUpDone{Agent: me(c)}) }

func (s *Server) mePause(c echo.Context) error { return s.pauseAgent(c, string(me(c))) }

type rejectBody struct {
	Offer string `json:"offer"` // optional: refuse if another call rings by now
}

// meReject declines the call ringing the agent now.
func (s *Server) meReject(c echo.Context) error {
	var b rejectBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	snap, err := s.floorSnapshot(c)
	if err != nil {
		return err
	}
	a, ok := findAgent(snap, me(c))
	if !ok {
		return queue.ErrUnknownAgent
	}
	if a.State != queue.AgentRinging || a.Offer == "" {
		return newError(http.StatusConflict, "no call is ringing you")
	}
	if b.Offer != "" && queue.OfferID(b.Offer) != a.Offer {
		return newError(http.StatusConflict, "that call is no longer ringing you")
	}
	return s.do(c, queue.OfferFailed{Offer: a.Offer, Reason: queue.RingRejected})
}

type pickBody struct {
	Caller string `json:"caller"`
}

func (s *Server) mePick(c echo.Context) error {
	var b pickBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Caller == "" {
		return fieldErrors{"caller": "required"}.err()
	}
	return s.do(c, queue.Pick{Agent: me(c), Caller: queue.CallerID(b.Caller)})
}

type myQueuesBody struct {
	Queues []string `json:"queues"`
}

// meQueues lets an agent choose among the queues the admin configured for
// it, with the configured penalties.
func (s *Server) meQueues(c echo.Context) error {
	var b myQueuesBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Queues == nil {
		return fieldErrors{"queues": "required (a list, maybe empty)"}.err()
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	rec, err := s.findUser(ctx, string(me(c)))
	if err != nil {
		return err
	}
	allowed := map[string]queue.Membership{}
	for _, m := range rec.Agent.Queues {
		allowed[m.Queue] = m
	}
	var ms []queue.Membership
	seen := map[string]bool{}
	for _, q := range b.Queues {
		m, ok := allowed[q]
		if !ok {
			return fieldErrors{"queues": fmt.Sprintf("%q is not one of your queues", q)}.err()
		}
		if !seen[q] {
			seen[q] = true
			ms = append(ms, m)
		}
	}
	return s.do(c, queue.SetAgentQueues{Agent: me(c), Queues: nonNil(ms)})
}

// MyQueue is one queue the admin configured for an agent, and whether the
// agent is in it now.
type MyQueue struct {
	Queue     string `json:"queue"`
	Penalty   int    `json:"penalty"`
	Active    bool   `json:"active"`
	AllowPick bool   `json:"allowpick"`
}

// myQueues lists the queues the agent may choose among, for the toggles.
func (s *Server) myQueues(c echo.Context) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	rec, err := s.findUser(ctx, string(me(c)))
	if err != nil {
		return err
	}
	snap, err := s.opts.Floor.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	active := map[string]bool{}
	if a, ok := findAgent(snap, me(c)); ok {
		for _, m := range a.Config.Queues {
			active[m.Queue] = true
		}
	}
	pick := map[string]bool{}
	for _, q := range snap.Queues {
		pick[q.Config.Name] = q.Config.AllowPick
	}
	out := []MyQueue{}
	for _, m := range rec.Agent.Queues {
		out = append(out, MyQueue{Queue: m.Queue, Penalty: m.Penalty, Active: active[m.Queue], AllowPick: pick[m.Queue]})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) findUser(ctx context.Context, id string) (queue.User, error) {
	users, err := s.opts.Directory.Users(ctx)
	if err != nil {
		return queue.User{}, fmt.Errorf("users: %w", err)
	}
	for _, u := range users {
		if u.ID == id {
			return u, nil
		}
	}
	return queue.User{}, queue.ErrUnknownAgent
}

func findAgent(snap queue.Snapshot, id queue.AgentID) (queue.AgentView, bool) {
	for _, a := range snap.Agents {
		if queue.AgentID(a.Config.ID) == id {
			return a, true
		}
	}
	return queue.AgentView{}, false
}

func findCaller(snap queue.Snapshot, id queue.CallerID) (queue.CallerView, bool) {
	for _, q := range snap.Queues {
		for _, cv := range q.Callers {
			if cv.ID == id {
				return cv, true
			}
		}
	}
	return queue.CallerView{}, false
}

// --- supervisor actions -----------------------------------------------------

type reorderBody struct {
	Position int    `json:"position"`
	Queue    string `json:"queue"` // optional; the caller's current queue by default
}

func (s *Server) reorderCaller(c echo.Context) error {
	var b reorderBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Position < 1 {
		return fieldErrors{"position": "must be 1 or more"}.err()
	}
	auditNote(c, "to position %d", b.Position)
	caller := queue.CallerID(c.Param("id"))
	if b.Queue == "" {
		snap, err := s.floorSnapshot(c)
		if err != nil {
			return err
		}
		cv, ok := findCaller(snap, caller)
		if !ok {
			return queue.ErrUnknownCaller
		}
		b.Queue = cv.Queue
	}
	return s.do(c, queue.Reorder{Queue: b.Queue, Caller: caller, Position: b.Position})
}

type moveBody struct {
	Queue    string `json:"queue"`
	KeepWait *bool  `json:"keep_wait"`
}

func (s *Server) moveCaller(c echo.Context) error {
	var b moveBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Queue == "" {
		return fieldErrors{"queue": "required"}.err()
	}
	keep := b.KeepWait == nil || *b.KeepWait
	auditNote(c, "to %s (keep wait %v)", b.Queue, keep)
	return s.do(c, queue.Move{Caller: queue.CallerID(c.Param("id")), ToQueue: b.Queue, KeepWait: keep})
}

type priorityBody struct {
	Priority *int `json:"priority"`
}

// MaxPriority bounds caller priorities given through the API.
const MaxPriority = 1000

func (s *Server) setCallerPriority(c echo.Context) error {
	var b priorityBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Priority == nil {
		return fieldErrors{"priority": "required"}.err()
	}
	if *b.Priority < 0 || *b.Priority > MaxPriority {
		return fieldErrors{"priority": fmt.Sprintf("must be from 0 to %d", MaxPriority)}.err()
	}
	auditNote(c, "priority %d", *b.Priority)
	return s.do(c, queue.SetPriority{Caller: queue.CallerID(c.Param("id")), Priority: *b.Priority})
}

func (s *Server) hangupCaller(c echo.Context) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := s.opts.Floor.HangupCaller(ctx, queue.CallerID(c.Param("id"))); err != nil {
		return fmt.Errorf("hang up %s: %w", c.Param("id"), err)
	}
	return c.NoContent(http.StatusNoContent)
}

type redirectBody struct {
	Target string `json:"target"`
}

// validTarget accepts "exten" or "context,exten,priority" as the dialplan
// writes them; anything else could smuggle dialplan syntax into Asterisk.
func validTarget(t string) string {
	if t == "" {
		return "required"
	}
	if len(t) > 128 {
		return "at most 128 characters"
	}
	parts := strings.Split(t, ",")
	if len(parts) != 1 && len(parts) != 3 {
		return `must be an extension or "context,extension,priority"`
	}
	for _, p := range parts {
		if p == "" {
			return `must be an extension or "context,extension,priority" with no empty part`
		}
		for _, r := range p {
			ok := r == '_' || r == '-' || r == '.' || r == '+' || r == '*' || r == '#' ||
				(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
			if !ok {
				return fmt.Sprintf("may not contain %q", r)
			}
		}
	}
	return ""
}

func (s *Server) redirectCaller(c echo.Context) error {
	var b redirectBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	auditNote(c, "to %q", b.Target)
	if msg := validTarget(b.Target); msg != "" {
		return fieldErrors{"target": msg}.err()
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	allowed, err := s.opts.Directory.RedirectTargets(ctx)
	if err != nil {
		return err
	}
	if len(allowed) == 0 {
		return newError(http.StatusForbidden, "no redirect targets are allowed yet: an admin lists them in Admin > Redirect targets")
	}
	if err := s.opts.Floor.RedirectCaller(ctx, queue.CallerID(c.Param("id")), b.Target, allowed); err != nil {
		return fmt.Errorf("redirect %s: %w", c.Param("id"), err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) agentLogin(c echo.Context) error { return s.loginAgent(c, c.Param("id")) }

func (s *Server) agentPause(c echo.Context) error { return s.pauseAgent(c, c.Param("id")) }

func (s *Server) agentUnpause(c echo.Context) error {
	return s.do(c, queue.AgentUnpause{Agent: queue.AgentID(c.Param("id"))})
}

func (s *Server) agentLogout(c echo.Context) error {
	return s.do(c, queue.AgentLogout{Agent: queue.AgentID(c.Param("id"))})
}

type agentQueuesBody struct {
	Queues []queue.Membership `json:"queues"`
}

func (s *Server) agentQueues(c echo.Context) error {
	var b agentQueuesBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Queues == nil {
		return fieldErrors{"queues": "required (a list, maybe empty)"}.err()
	}
	snap, err := s.floorSnapshot(c)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, q := range snap.Queues {
		known[q.Config.Name] = true
	}
	f := fieldErrors{}
	validateMemberships(f, "queues", b.Queues, known)
	if err := f.err(); err != nil {
		return err
	}
	return s.do(c, queue.SetAgentQueues{Agent: queue.AgentID(c.Param("id")), Queues: b.Queues})
}
