package queue

import (
	"testing"
	"time"
)

// Report rows from known intervals, the figures computed by hand: SL over
// answered and abandoned past the short-abandon threshold, ASA and AHT per
// answered call, occupancy over time logged in and not paused; hours, days
// and Monday weeks of the site's calendar, also across the end of daylight
// saving time (the repeated hour is two hours, the day one day).
func TestRollUps(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2026-10-25 03:00 CEST becomes 02:00 CET: 02:xx happens twice.
	first := at("2026-10-25 02:15") // CEST
	second := first.Add(time.Hour)  // 02:15 CET, the repeated hour
	ivs := []QueueInterval{
		{Queue: "sales", Start: at("2026-10-24 23:45"), Offered: 4, Answered: 3, AnsweredInSL: 2, Abandoned: 1, AbandonedShort: 0,
			WaitSum: 60 * time.Second, WaitMax: 40 * time.Second, TalkSum: 300 * time.Second, WrapSum: 30 * time.Second, AbandonWaitSum: 50 * time.Second},
		{Queue: "sales", Start: first, Offered: 2, Answered: 1, AnsweredInSL: 1, Abandoned: 1, AbandonedShort: 1,
			WaitSum: 10 * time.Second, WaitMax: 10 * time.Second, TalkSum: 100 * time.Second, WrapSum: 10 * time.Second, AbandonWaitSum: 2 * time.Second},
		{Queue: "sales", Start: second, Offered: 1, Answered: 1, AnsweredInSL: 0, WaitSum: 90 * time.Second, WaitMax: 90 * time.Second, TalkSum: 60 * time.Second},
		{Queue: "help", Start: at("2026-10-26 10:00"), Offered: 1, Abandoned: 1, AbandonWaitSum: 30 * time.Second},
	}
	rows, totals := RollUpQueues(ivs, ReportHour, paris)
	if len(rows) != 4 || rows[0].Queue != "help" || rows[2].Start.Equal(rows[3].Start) {
		t.Fatalf("hourly rows: %d, want help's one and sales' three (the repeated 02:00 twice): %+v", len(rows), rows)
	}
	sales := totals[1]
	// SL: 3 in SL of (5 answered + 2 abandoned - 1 short) = 50 %.
	if sales.Queue != "sales" || sales.Offered != 7 || *sales.ServiceLevelPct != 50 {
		t.Errorf("sales total: offered %d, SL %v, want 7 and 50 %%", sales.Offered, *sales.ServiceLevelPct)
	}
	// ASA (60+10+90)/5 = 32 s; AHT (460 talk + 40 wrap)/5 = 100 s; longest 90 s.
	if sales.ASA != 32*time.Second || sales.AHT != 100*time.Second || sales.LongestWait != 90*time.Second {
		t.Errorf("sales: ASA %s AHT %s longest %s, want 32s 100s 1m30s", sales.ASA, sales.AHT, sales.LongestWait)
	}
	// Abandoned past the threshold: 1 of 7 offered.
	if got := *sales.AbandonPct; got < 14.28 || got > 14.29 {
		t.Errorf("sales abandon %%: %v, want 14.29", got)
	}
	if h := totals[0]; h.ServiceLevelPct == nil || *h.ServiceLevelPct != 0 || h.ASA != 0 || h.AvgAbandon != 30*time.Second {
		t.Errorf("help: %+v, want SL 0 (one abandon, none answered), no ASA, 30 s average abandon", h)
	}

	days, _ := RollUpQueues(ivs, ReportDay, paris)
	if len(days) != 3 || !days[1].Start.Equal(at("2026-10-24 00:00")) || !days[2].Start.Equal(at("2026-10-25 00:00")) || days[2].Offered != 3 {
		t.Errorf("daily rows: %+v, want help on the 26th, sales on the 24th and the 25th (3 offered, the 25-hour day)", days)
	}
	weeks, _ := RollUpQueues(ivs, ReportWeek, paris)
	// Saturday 24th and Sunday 25th are the week of Monday 19th; Monday
	// 26th starts the next.
	if len(weeks) != 2 || !weeks[1].Start.Equal(at("2026-10-19 00:00")) || weeks[1].Offered != 7 || !weeks[0].Start.Equal(at("2026-10-26 00:00")) {
		t.Errorf("weekly rows: %+v, want help in the week of the 26th, sales (7) in the week of the 19th", weeks)
	}
	if all := SumQueueRows(totals); all.Offered != 8 || all.Answered != 5 {
		t.Errorf("all queues: %+v, want 8 offered, 5 answered", all)
	}

	agents, atot := RollUpAgents([]AgentInterval{
		{Agent: "ann", Start: at("2026-10-26 09:00"), Calls: 3, NoAnswers: 1, Talk: 20 * time.Minute, WrapUp: 4 * time.Minute, Paused: 15 * time.Minute, LoggedIn: time.Hour},
		{Agent: "ann", Start: at("2026-10-26 10:30"), Calls: 1, Talk: 6 * time.Minute, LoggedIn: 30 * time.Minute},
	}, ReportDay, paris)
	a := atot[0]
	// Occupancy (26+4) min over (90 - 15) min = 40 %; 4 calls in 1.5 h.
	if len(agents) != 1 || a.Calls != 4 || a.NoAnswers != 1 || *a.Occupancy != 40 || a.CallsPerHour < 2.66 || a.CallsPerHour > 2.67 || a.AHT != 7*time.Minute+30*time.Second {
		t.Errorf("ann: %+v occupancy %v, want 4 calls, 1 missed, 40 %%, 2.67 per hour, AHT 7m30s", a, *a.Occupancy)
	}
}

func TestCheckReportRange(t *testing.T) {
	t1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		from, to time.Time
		interval string
		ok       bool
	}{
		{t1, t1.AddDate(0, 0, 1), ReportHour, true},
		{t1, t1.AddDate(0, 0, 400), ReportDay, true},
		{t1, t1.AddDate(0, 0, 401), ReportDay, false},
		{t1.AddDate(0, 0, 1), t1, ReportDay, false},
		{t1, t1, ReportDay, false},
		{t1, t1.AddDate(0, 0, 1), "minute", false},
	} {
		if err := CheckReportRange(tc.from, tc.to, tc.interval); (err == nil) != tc.ok {
			t.Errorf("%s..%s %s: %v, want ok=%v", tc.from, tc.to, tc.interval, err, tc.ok)
		}
	}
}
