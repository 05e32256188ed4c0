package ui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

// The report routes: bounds refused as the request's fault (400, not 500),
// supervisors only, JSON totals and a CSV with its header and one row per
// queue and interval.
func TestReportRoutes(t *testing.T) {
	env := MustTestEnv(t)
	day := time.Now().In(time.Local)
	start := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, time.Local)
	env.dir.mu.Lock()
	env.dir.queueStats["sales"] = []queue.QueueInterval{
		{Queue: "sales", Start: start, Offered: 3, Answered: 2, AnsweredInSL: 2, Abandoned: 1, WaitSum: 20 * time.Second, TalkSum: 100 * time.Second},
		{Queue: "sales", Start: start.Add(15 * time.Minute), Offered: 1, Answered: 1, WaitSum: 10 * time.Second, TalkSum: 50 * time.Second},
		{Queue: "sales", Start: start.Add(time.Hour), Offered: 2, Answered: 2, AnsweredInSL: 1, WaitSum: 30 * time.Second, TalkSum: 60 * time.Second},
	}
	env.dir.agentStats["alice"] = []queue.AgentInterval{
		{Agent: "alice", Start: start, Calls: 2, Paused: 10 * time.Minute, LoggedIn: 15 * time.Minute,
			PausedBy: map[string]time.Duration{"Lunch": 7 * time.Minute, "": 3 * time.Minute}},
		{Agent: "alice", Start: start.Add(15 * time.Minute), Paused: 5 * time.Minute, LoggedIn: 15 * time.Minute,
			PausedBy: map[string]time.Duration{"Lunch": 5 * time.Minute}},
	}
	env.dir.mu.Unlock()
	sue, alice := env.MustLogin(t, "sue"), env.MustLogin(t, "alice")
	d := day.Format(time.DateOnly)
	for _, bad := range []string{
		"from=" + d + "&to=" + day.AddDate(0, 0, -2).Format(time.DateOnly),
		"from=" + day.AddDate(0, 0, -401).Format(time.DateOnly) + "&to=" + d,
		"from=" + d + "&to=" + d + "&interval=minute",
		"from=" + d + "&to=" + d + "&format=xml",
		"from=yesterday",
	} {
		if status, body := sue.do("GET", "/api/reports/queues?"+bad, nil); status != http.StatusBadRequest {
			t.Errorf("%s: got=%d %s, want 400", bad, status, body)
		}
	}
	if status, _ := alice.do("GET", "/api/reports/queues", nil); status != http.StatusForbidden {
		t.Errorf("an agent's report: got=%d, want 403", status)
	}
	var rep queueReport
	status, body := sue.do("GET", "/api/reports/queues?queue=sales&interval=hour&from="+d+"&to="+d, nil)
	if status != http.StatusOK {
		t.Fatalf("report: got=%d %s", status, body)
	}
	if err := UnmarshalAPI(body, &rep); err != nil {
		t.Fatal(err)
	}
	// Two hours: 09:00 (4 offered, 3 answered) and 10:00 (2, 2); SL 3 of
	// 5 answered + 1 abandoned = 50 %; ASA 60 s / 5 = 12 s.
	if len(rep.Rows) != 2 || rep.Rows[0].Offered != 4 || rep.Rows[1].Offered != 2 || rep.Total.Offered != 6 ||
		*rep.Total.ServiceLevelPct != 50 || rep.Total.ASA != 12*time.Second {
		t.Errorf("report: rows %+v total %+v, want 09:00 4 offered, 10:00 2, SL 50 %%, ASA 12 s", rep.Rows, rep.Total)
	}
	status, body = sue.do("GET", "/api/reports/queues?queue=sales&interval=hour&format=csv&from="+d+"&to="+d, nil)
	lines := strings.Split(strings.TrimSpace(string(body)), "\r\n")
	if status != http.StatusOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "queue,start,offered,answered,answered_in_sl,sl_percent,abandoned") ||
		!strings.HasPrefix(lines[1], "sales,") || !strings.Contains(lines[1], ",4,3,2,50.0,1,") {
		t.Errorf("CSV: %d\n%s\nwant a header and two CRLF rows, 09:00 with 4,3,2,66.7 %%,1", status, body)
	}

	// Pauses by reason, summed over the hour, in seconds in JSON and CSV.
	status, body = sue.do("GET", "/api/reports/agents?agent=alice&interval=hour&from="+d+"&to="+d, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"paused_by":{"":180,"Lunch":720}`) {
		t.Errorf("agent report: %d %s, want alice's pauses by reason: 180 s with none, 720 s Lunch", status, body)
	}
	status, body = sue.do("GET", "/api/reports/agents?agent=alice&interval=hour&format=csv&from="+d+"&to="+d, nil)
	if status != http.StatusOK || !strings.Contains(string(body), "(none)=180.0;Lunch=720.0") {
		t.Errorf("agent CSV: %d %s, want the pauses by reason", status, body)
	}
}
