package demo

import (
	"context"
	mrand "math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"stasisq/queue"
	"stasisq/sim"
	"stasisq/store"
)

// The demo's past, written through the store as live events are, reads
// back as a call centre's month: weekdays busy, Sundays quiet, most calls
// answered, agents logged in for their shifts with breaks and lunch.
func TestHistoryIsAMonthOfCalls(t *testing.T) {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "stasisq.db"), store.Options{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	today := time.Date(2026, 11, 4, 10, 0, 0, 0, loc) // a Wednesday: the month crosses the end of summer time
	agents := sim.DemoAgents(12)
	start := time.Now()
	st, err := writeHistory(today, 30, loc, sim.DemoQueues(), agents, mrand.New(mrand.NewPCG(7, 7)), db.Record)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d days, %d calls, %d answered, %d events in %s", st.Days, st.Calls, st.Answered, st.Events, time.Since(start).Round(time.Millisecond))
	if st.Days != 30 || st.Calls < 15000 || float64(st.Answered) < 0.85*float64(st.Calls) {
		t.Fatalf("history %+v: want %d days of over 15,000 calls, 85%% answered", st, 30)
	}

	midnight := time.Date(2026, 11, 4, 0, 0, 0, 0, loc)
	yesterday, sunday := midnight.AddDate(0, 0, -1), midnight.AddDate(0, 0, -3)
	var offered, answered, short int
	for _, q := range sim.DemoQueueNames() {
		days, err := db.QueueDays(ctx, q, midnight.AddDate(0, 0, -30), midnight)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range days {
			if d.Start.Equal(sunday) && (d.Offered == 0 || d.Offered > 40) {
				t.Errorf("%s: %d calls offered on Sunday %s, want a few (the site opens 10:00 to 14:00)", q, d.Offered, sunday.Format(time.DateOnly))
			}
			offered += d.Offered
			answered += d.Answered
			short += d.AbandonedShort
		}
		y, err := db.QueueStats(ctx, q, yesterday, midnight)
		if err != nil {
			t.Fatal(err)
		}
		if len(y) < 30 {
			t.Errorf("%s: %d quarter hours with figures yesterday, want the day's 40", q, len(y))
		}
	}
	if short == 0 || short > offered/20 {
		t.Errorf("%d short abandons of %d calls: want a few", short, offered)
	}
	if offered != st.Calls || answered != st.Answered {
		t.Errorf("the day roll-ups count %d offered, %d answered; the past had %d calls, %d answered", offered, answered, st.Calls, st.Answered)
	}

	ivs, err := db.AgentDays(ctx, queue.AgentID(agents[0].ID), yesterday, midnight)
	if err != nil || len(ivs) != 1 {
		t.Fatalf("agent %s yesterday: %v, %v", agents[0].ID, ivs, err)
	}
	a := ivs[0]
	if a.LoggedIn < 8*time.Hour || a.LoggedIn > 9*time.Hour || a.Calls < 20 || a.PausedBy["Lunch"] < 20*time.Minute || a.PausedBy["Break"] < 20*time.Minute {
		t.Errorf("agent %s yesterday: logged in %s, %d calls, paused %v: want a shift of 8.5 h with lunch and two breaks", a.Agent, a.LoggedIn, a.Calls, a.PausedBy)
	}
	calls, err := db.Calls(ctx, queue.CallQuery{From: yesterday, To: midnight})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.Open() {
			t.Fatalf("call %s of yesterday still open: %+v", c.ID, c)
		}
	}
	if len(calls) < 500 {
		t.Errorf("%d call records yesterday", len(calls))
	}
}
