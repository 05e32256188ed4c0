package queue

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Report intervals: the stored 15-minute intervals rolled up by hour, day
// or week (weeks start on Monday), in the site's time zone, so that a day
// is the site's day also across a daylight-saving change.
const (
	ReportQuarter = "15m"
	ReportHour    = "hour"
	ReportDay     = "day"
	ReportWeek    = "week"
)

// ReportIntervals are the intervals a report may be asked for.
var ReportIntervals = []string{ReportQuarter, ReportHour, ReportDay, ReportWeek}

// MaxReportRange bounds a report's range: past it a request is refused
// rather than left to read years of intervals.
const MaxReportRange = 400 * 24 * time.Hour

// BucketStart is the start of the report interval that t falls in.
func BucketStart(t time.Time, interval string, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	switch interval {
	case ReportHour:
		// As IntervalStart: the wall clock's part past the hour, so the
		// repeated hour when daylight saving ends stays two hours.
		return t.Add(-time.Duration(t.Minute())*time.Minute - time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond()))
	case ReportDay:
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	case ReportWeek:
		day := time.Date(y, m, d, 0, 0, 0, 0, loc)
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -back)
	}
	return IntervalStart(t, loc)
}

// QueueReportRow is one queue's figures over one report interval (or, with
// a zero Start, the whole range), with the ratios a manager reads.
type QueueReportRow struct {
	QueueInterval
	// ServiceLevelPct is answered within the queue's service level over
	// answered and abandoned (short abandons left out), as app_queue's
	// SL2 does; nil when no call counted.
	ServiceLevelPct *float64      `json:"service_level_pct"`
	ASA             time.Duration `json:"asa"`          // average speed of answer
	AHT             time.Duration `json:"aht"`          // average handle time: talk + wrap-up per answered call
	AbandonPct      *float64      `json:"abandon_pct"`  // abandoned (short ones left out) over offered
	AvgAbandon      time.Duration `json:"avg_abandon"`  // average wait of the abandoned
	LongestWait     time.Duration `json:"longest_wait"` // of the answered (WaitMax)
}

// AgentReportRow is one agent's figures over one report interval (or the
// range).
type AgentReportRow struct {
	AgentInterval
	// Occupancy is talk and wrap-up over the time logged in and not
	// paused; nil without such time.
	Occupancy    *float64      `json:"occupancy_pct"`
	CallsPerHour float64       `json:"calls_per_hour"` // answered per hour logged in
	AHT          time.Duration `json:"aht"`
}

// RollUpQueues sums 15-minute queue intervals into report rows, one per
// queue and interval, ordered by queue then start, and one total per queue.
func RollUpQueues(ivs []QueueInterval, interval string, loc *time.Location) (rows, totals []QueueReportRow) {
	return rollUp(ivs, interval, loc, func(q QueueInterval) (string, time.Time) { return q.Queue, q.Start },
		func(name string, start time.Time) QueueInterval { return QueueInterval{Queue: name, Start: start} }, queueRow)
}

type rollKey struct {
	name  string
	start int64
}

// rollUp is RollUpQueues and RollUpAgents: intervals summed by name (of
// the queue or agent, key's) and report interval, and by name alone, each
// sum made a row.
func rollUp[I any, P interface {
	*I
	Add(I)
}, R any](ivs []I, interval string, loc *time.Location, key func(I) (string, time.Time), fresh func(string, time.Time) I, row func(I) R) (rows, totals []R) {
	byKey := map[rollKey]*I{}
	byName := map[string]*I{}
	for _, iv := range ivs {
		name, at := key(iv)
		k := rollKey{name, BucketStart(at, interval, loc).UnixNano()}
		if byKey[k] == nil {
			v := fresh(name, time.Unix(0, k.start).In(loc))
			byKey[k] = &v
		}
		P(byKey[k]).Add(iv)
		if byName[name] == nil {
			v := fresh(name, time.Time{})
			byName[name] = &v
		}
		P(byName[name]).Add(iv)
	}
	keys := slices.SortedFunc(maps.Keys(byKey), func(a, b rollKey) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.start, b.start))
	})
	for _, k := range keys {
		rows = append(rows, row(*byKey[k]))
	}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		totals = append(totals, row(*byName[name]))
	}
	return rows, totals
}

// SumQueueRows is the total of several queues' totals.
func SumQueueRows(rows []QueueReportRow) QueueReportRow {
	var t QueueInterval
	for _, r := range rows {
		t.Add(r.QueueInterval)
	}
	return queueRow(t)
}

func queueRow(iv QueueInterval) QueueReportRow {
	r := QueueReportRow{QueueInterval: iv, LongestWait: iv.WaitMax}
	if iv.Answered > 0 {
		r.ASA = iv.WaitSum / time.Duration(iv.Answered)
		r.AHT = (iv.TalkSum + iv.WrapSum) / time.Duration(iv.Answered)
	}
	counted := iv.Answered + iv.Abandoned - iv.AbandonedShort
	if counted > 0 {
		r.ServiceLevelPct = ptr(iv.ServiceLevelPercent())
	}
	if iv.Offered > 0 {
		r.AbandonPct = pct(iv.Abandoned-iv.AbandonedShort, iv.Offered)
	}
	if iv.Abandoned > 0 {
		r.AvgAbandon = iv.AbandonWaitSum / time.Duration(iv.Abandoned)
	}
	return r
}

// RollUpAgents is RollUpQueues for agents.
func RollUpAgents(ivs []AgentInterval, interval string, loc *time.Location) (rows, totals []AgentReportRow) {
	return rollUp(ivs, interval, loc, func(a AgentInterval) (string, time.Time) { return string(a.Agent), a.Start },
		func(name string, start time.Time) AgentInterval {
			return AgentInterval{Agent: AgentID(name), Start: start}
		}, agentRow)
}

func agentRow(iv AgentInterval) AgentReportRow {
	r := AgentReportRow{AgentInterval: iv}
	if avail := iv.LoggedIn - iv.Paused; avail > 0 {
		r.Occupancy = ptr(min(100, 100*float64(iv.Talk+iv.WrapUp)/float64(avail)))
	}
	if iv.LoggedIn > 0 {
		r.CallsPerHour = float64(iv.Calls) / iv.LoggedIn.Hours()
	}
	if iv.Calls > 0 {
		r.AHT = (iv.Talk + iv.WrapUp) / time.Duration(iv.Calls)
	}
	return r
}

// CheckReportRange refuses an inverted or too long range, and an unknown
// interval.
func CheckReportRange(from, to time.Time, interval string) error {
	switch {
	case !to.After(from):
		return fmt.Errorf("report from %s to %s: the end must be after the start: %w", from.Format(time.DateTime), to.Format(time.DateTime), ErrInvalid)
	case to.Sub(from) > MaxReportRange:
		return fmt.Errorf("report over %d days: at most %d: %w", int(to.Sub(from).Hours()/24), int(MaxReportRange.Hours()/24), ErrInvalid)
	case !slices.Contains(ReportIntervals, interval):
		return fmt.Errorf("report interval %q: must be one of %s: %w", interval, joinNames(ReportIntervals), ErrInvalid)
	}
	return nil
}

func pct(n, d int) *float64 { return ptr(100 * float64(n) / float64(d)) }

func ptr[T any](v T) *T { return &v }
