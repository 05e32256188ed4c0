package ui

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"stasisq/internal/csvcell"
	"stasisq/queue"
)

// Reports: the stored 15-minute intervals of queues and agents rolled up
// over a range of the site's days by 15 minutes, hour, day or week (queue
// RollUpQueues, RollUpAgents), as JSON or CSV (RFC 4180, a header row,
// durations in seconds).

type queueReport struct {
	From     time.Time              `json:"from"`
	To       time.Time              `json:"to"`
	Interval string                 `json:"interval"`
	Rows     []queue.QueueReportRow `json:"rows"`
	Totals   []queue.QueueReportRow `json:"totals"` // one per queue, over the range
	Total    queue.QueueReportRow   `json:"total"`  // every queue
}

type agentReport struct {
	From     time.Time              `json:"from"`
	To       time.Time              `json:"to"`
	Interval string                 `json:"interval"`
	Rows     []queue.AgentReportRow `json:"rows"`
	Totals   []queue.AgentReportRow `json:"totals"`
}

// reportRange reads from, to and interval, refusing an inverted or too
// long range (400, the request is wrong).
func (s *Server) reportRange(c echo.Context) (from, to time.Time, interval string, err error) {
	from, to, err = s.timeRange(c)
	if err != nil {
		return
	}
	interval = c.QueryParam("interval")
	if interval == "" {
		interval = queue.ReportHour
	}
	if err = queue.CheckReportRange(from, to, interval); err != nil {
		f := fieldErrors{}
		switch {
		case !slices.Contains(queue.ReportIntervals, interval):
			f.add("interval", "must be one of 15m, hour, day, week")
		default:
			f.add("to", strings.TrimSuffix(err.Error(), ": "+queue.ErrInvalid.Error()))
		}
		err = f.queryErr()
	}
	return
}

// listParam is a query parameter given as a comma-separated list or
// repeated.
func listParam(c echo.Context, name string) []string {
	var out []string
	for _, v := range c.QueryParams()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func wantCSV(c echo.Context) (bool, error) {
	switch c.QueryParam("format") {
	case "", "json":
		return false, nil
	case "csv":
		return true, nil
	}
	return false, fieldErrors{"format": "must be json or csv"}.queryErr()
}

// reportRequest is what both reports are asked: range, interval, format.
type reportRequest struct {
	from, to time.Time
	interval string
	csv      bool
}

func (s *Server) reportRequest(c echo.Context) (reportRequest, error) {
	var r reportRequest
	var err error
	if r.from, r.to, r.interval, err = s.reportRange(c); err != nil {
		return r, err
	}
	r.csv, err = wantCSV(c)
	return r, err
}

// fileName is the CSV's name: what it reports, over which days, by what.
func (r reportRequest) fileName(what string) string {
	return fmt.Sprintf("%s-%s-%s-%s.csv", what, r.from.Format(time.DateOnly), r.to.Format(time.DateOnly), r.interval)
}

// gather reads the intervals of each named queue or agent over the range:
// days when the report is by day or week over whole days (byDays), the
// 15-minute intervals otherwise.
func gather[T any](ctx context.Context, r reportRequest, what string, names []string,
	intervals, days func(context.Context, string, time.Time, time.Time) ([]T, error)) ([]T, error) {
	read := intervals
	if byDays(r.from, r.to, r.interval) {
		read = days
	}
	var out []T
	for _, name := range names {
		got, err := read(ctx, name, r.from, r.to)
		if err != nil {
			return nil, fmt.Errorf("report: %s %s: %w", what, name, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

func (s *Server) queueReport(c echo.Context) error {
	req, err := s.reportRequest(c)
	if err != nil {
		return err
	}
	from, to, interval := req.from, req.to, req.interval
	ctx, cancel := context.WithTimeout(c.Request().Context(), 30*time.Second)
	defer cancel()
	names := listParam(c, "queue")
	if len(names) == 0 {
		qs, err := s.opts.Directory.Queues(ctx)
		if err != nil {
			return fmt.Errorf("report: queues: %w", err)
		}
		for _, q := range qs {
			names = append(names, q.Name)
		}
	}
	ivs, err := gather(ctx, req, "queue", names, s.opts.Directory.QueueStats, s.opts.Directory.QueueDays)
	if err != nil {
		return err
	}
	rows, totals := queue.RollUpQueues(ivs, interval, s.loc)
	rep := queueReport{From: from, To: to, Interval: interval, Rows: nonNil(rows), Totals: nonNil(totals), Total: queue.SumQueueRows(totals)}
	if !req.csv {
		return c.JSON(http.StatusOK, rep)
	}
	header := []string{"queue", "start", "offered", "answered", "answered_in_sl", "sl_percent", "abandoned", "abandoned_short",
		"abandon_percent", "timed_out", "exited", "asa_seconds", "longest_wait_seconds", "aht_seconds", "avg_abandon_seconds",
		"callbacks", "callbacks_failed"}
	for _, b := range queue.WaitBuckets {
		header = append(header, fmt.Sprintf("answered_within_%gs", b.Seconds()))
	}
	header = append(header, fmt.Sprintf("answered_after_%gs", queue.WaitBuckets[len(queue.WaitBuckets)-1].Seconds()))
	out := make([][]string, 0, len(rows)+1)
	for _, r := range rows {
		line := []string{csvcell.Safe(r.Queue), r.Start.Format(time.RFC3339), strconv.Itoa(r.Offered), strconv.Itoa(r.Answered), strconv.Itoa(r.AnsweredInSL),
			pctText(r.ServiceLevelPct), strconv.Itoa(r.Abandoned), strconv.Itoa(r.AbandonedShort), pctText(r.AbandonPct), strconv.Itoa(r.TimedOut), strconv.Itoa(r.Exited),
			secs(r.ASA), secs(r.LongestWait), secs(r.AHT), secs(r.AvgAbandon), strconv.Itoa(r.Callbacks), strconv.Itoa(r.CallbacksFailed)}
		for _, n := range r.WaitHist {
			line = append(line, strconv.Itoa(n))
		}
		out = append(out, line)
	}
	return writeCSV(c, req.fileName("queues"), header, out)
}

func (s *Server) agentReport(c echo.Context) error {
	req, err := s.reportRequest(c)
	if err != nil {
		return err
	}
	from, to, interval := req.from, req.to, req.interval
	ctx, cancel := context.WithTimeout(c.Request().Context(), 30*time.Second)
	defer cancel()
	ids := listParam(c, "agent")
	if len(ids) == 0 {
		users, err := s.opts.Directory.Users(ctx)
		if err != nil {
			return fmt.Errorf("report: users: %w", err)
		}
		for _, u := range users {
			if u.Agent.Device != "" {
				ids = append(ids, u.ID)
			}
		}
	}
	byAgent := func(read func(context.Context, queue.AgentID, time.Time, time.Time) ([]queue.AgentInterval, error)) func(context.Context, string, time.Time, time.Time) ([]queue.AgentInterval, error) {
		return func(ctx context.Context, id string, from, to time.Time) ([]queue.AgentInterval, error) {
			return read(ctx, queue.AgentID(id), from, to)
		}
	}
	ivs, err := gather(ctx, req, "agent", ids, byAgent(s.opts.Directory.AgentStats), byAgent(s.opts.Directory.AgentDays))
	if err != nil {
		return err
	}
	rows, totals := queue.RollUpAgents(ivs, interval, s.loc)
	if !req.csv {
		return c.JSON(http.StatusOK, agentReport{From: from, To: to, Interval: interval, Rows: nonNil(rows), Totals: nonNil(totals)})
	}
	header := []string{"agent", "start", "calls", "missed", "talk_seconds", "wrap_up_seconds", "paused_seconds", "logged_in_seconds",
		"occupancy_percent", "calls_per_hour", "aht_seconds", "paused_by_reason"}
	out := make([][]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, []string{csvcell.Safe(string(r.Agent)), r.Start.Format(time.RFC3339), strconv.Itoa(r.Calls), strconv.Itoa(r.NoAnswers), secs(r.Talk),
			secs(r.WrapUp), secs(r.Paused), secs(r.LoggedIn), pctText(r.Occupancy), strconv.FormatFloat(r.CallsPerHour, 'f', 2, 64), secs(r.AHT),
			pausesText(r.PausedBy)})
	}
	return writeCSV(c, req.fileName("agents"), header, out)
}

// byDays reports whether a report can be read from the day roll-ups: by
// day or week over whole days.
func byDays(from, to time.Time, interval string) bool {
	return (interval == queue.ReportDay || interval == queue.ReportWeek) && from.Equal(startOfDay(from)) && to.Equal(startOfDay(to))
}

func writeCSV(c echo.Context, file string, header []string, rows [][]string) error {
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+file+`"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	w.UseCRLF = true // RFC 4180
	if err := w.Write(header); err != nil {
		return err
	}
	if err := w.WriteAll(rows); err != nil {
		// The status is sent: the client sees a cut file, the log why.
		return fmt.Errorf("write csv %s: %w", file, err)
	}
	return nil
}

// pausesText is paused time by reason as "Break=300.0;Lunch=600.0", by
// reason, "(none)" for a pause given none.
func pausesText(by map[string]time.Duration) string {
	var parts []string
	for _, reason := range slices.Sorted(maps.Keys(by)) {
		name := reason
		if name == "" {
			name = "(none)"
		}
		parts = append(parts, csvcell.Safe(name)+"="+secs(by[reason]))
	}
	return strings.Join(parts, ";")
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) }

func pctText(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 1, 64)
}
