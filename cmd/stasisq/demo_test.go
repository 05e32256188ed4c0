package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"stasisq/ari/aritest"
	"stasisq/demo"
	"stasisq/queue"
	"stasisq/store"
	"stasisq/ui"
)

// demoProcess is "stasisq demo" running as a child process.
type demoProcess struct {
	cmd    *exec.Cmd
	url    string   // base URL without the trailing slash
	lines  []string // stdout lines up to and including the logins
	stderr string   // file collecting stderr, for failure messages
	tmp    string   // the child's TMPDIR
	done   chan error
}

// MustStartDemo starts the binary's demo and waits for its URL and logins.
func MustStartDemo(tb testing.TB, bin string, args ...string) *demoProcess {
	tb.Helper()
	dir := tb.TempDir()
	p := &demoProcess{stderr: filepath.Join(dir, "stderr.log"), tmp: filepath.Join(dir, "tmp"), done: make(chan error, 1)}
	if err := os.Mkdir(p.tmp, 0o755); err != nil {
		tb.Fatal(err)
	}
	errFile, err := os.Create(p.stderr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = errFile.Close() })
	p.cmd = exec.Command(bin, append([]string{"demo"}, args...)...)
	p.cmd.Env = append(os.Environ(), "TMPDIR="+p.tmp)
	p.cmd.Stderr = errFile
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start demo: %v", err)
	}
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		p.done <- p.cmd.Wait()
	}()
	tb.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.After(45 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				tb.Fatalf("demo exited before printing its logins; stdout %q, stderr:\n%s", p.lines, p.stderrText())
			}
			p.lines = append(p.lines, line)
			if u, ok := strings.CutPrefix(line, "stasisq demo: open "); ok {
				p.url = strings.TrimSuffix(u, "/")
			}
			if strings.HasPrefix(line, "login admin ") {
				go func() {
					for range lines { // keep the pipe drained
					}
				}()
				if p.url == "" {
					tb.Fatalf("no URL line before the logins: %q", p.lines)
				}
				return p
			}
		case <-deadline:
			tb.Fatalf("no URL and logins within 45s; stdout %q, stderr:\n%s", p.lines, p.stderrText())
		}
	}
}

func (p *demoProcess) stderrText() string {
	b, _ := os.ReadFile(p.stderr)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// promSum adds every series of name in a Prometheus text exposition;
// found says whether any series (or a HELP line) of it was there.
func promSum(text, name string) (sum float64, found bool) {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "# HELP "+name+" ") {
			found = true
			continue
		}
		if !strings.HasPrefix(line, name) || (len(line) > len(name) && line[len(name)] != '{' && line[len(name)] != ' ') {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

func scrapeMetrics(tb testing.TB, base string) string {
	tb.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		tb.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /metrics: got=%d, want 200", resp.StatusCode)
	}
	return string(raw)
}

func httpStatus(tb testing.TB, u string) int {
	tb.Helper()
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// The demo as someone would run it: the binary, a port of 0, traffic; then
// the console API, the wallboard websocket, /metrics and a clean ctrl-C.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := MustBuildStasisq(t)
	start := time.Now()
	p := MustStartDemo(t, bin, "--listen", "127.0.0.1:0", "--rate", "4", "--seed", "1", "--log-level", "warn")
	if strings.HasSuffix(p.url, ":0") {
		t.Fatalf("URL %s: got port 0, want the port actually bound", p.url)
	}
	wantLogins := []string{"login alice / demo (agent)", "login bob / demo (agent)", "login carol / demo (agent)",
		"login sam / demo (supervisor)", "login sue / demo (supervisor)", "login admin / demo (admin)"}
	for _, w := range wantLogins {
		if !strings.Contains(strings.Join(p.lines, "\n"), w) {
			t.Errorf("stdout: got %q, want a line %q", p.lines, w)
		}
	}
	firstMetrics := scrapeMetrics(t, p.url)
	joined0, _ := promSum(firstMetrics, "stasisq_callers_joined_total")
	offers0, _ := promSum(firstMetrics, "stasisq_offers_total")
	commits0, _ := promSum(firstMetrics, "stasisq_store_commit_duration_seconds_count")

	if got := httpStatus(t, p.url+"/healthz"); got != http.StatusOK {
		t.Errorf("/healthz: got=%d, want 200", got)
	}
	pollUntil(t, 15*time.Second, "/readyz to answer 200", func() (bool, string) {
		got := httpStatus(t, p.url+"/readyz")
		return got == http.StatusOK, fmt.Sprint(got)
	})

	sam := MustConsoleLogin(t, p.url, "sam", "demo")
	pollUntil(t, 20*time.Second, "callers waiting or talking on the wallboard", func() (bool, string) {
		var snap queue.Snapshot
		st, _, err := sam.do(http.MethodGet, "/api/snapshot", nil, &snap)
		if err != nil {
			t.Fatal(err)
		}
		if st != http.StatusOK {
			return false, fmt.Sprintf("status %d", st)
		}
		var waiting, talking int
		for _, q := range snap.Queues {
			waiting += q.RealTime.Waiting
			talking += q.RealTime.InProgress
		}
		return waiting > 0 && talking > 0, fmt.Sprintf("%d waiting, %d talking", waiting, talking)
	})
	from := url.QueryEscape(start.Add(-time.Minute).UTC().Format(time.RFC3339))
	pollUntil(t, 30*time.Second, "answered calls in the call records", func() (bool, string) {
		var recs []struct {
			Outcome    string    `json:"outcome"`
			Agent      string    `json:"agent"`
			AnsweredAt time.Time `json:"answered_at"`
		}
		st, _, err := sam.do(http.MethodGet, "/api/calls?limit=1000&from="+from, nil, &recs)
		if err != nil {
			t.Fatal(err)
		}
		if st != http.StatusOK {
			return false, fmt.Sprintf("status %d", st)
		}
		outcomes := map[string]int{}
		answered := 0
		for _, r := range recs {
			outcomes[r.Outcome]++
			if (r.Outcome == queue.OutcomeConnected || r.Outcome == queue.OutcomeCompleted) && r.Agent != "" && !r.AnsweredAt.IsZero() {
				answered++
			}
		}
		return answered >= 3, fmt.Sprintf("%d records by outcome %v", len(recs), outcomes)
	})

	t.Run("wallboard websocket streams", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		wsURL := "ws" + strings.TrimPrefix(p.url, "http") + "/api/ws"
		conn, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{
			"Cookie": {sam.cookieHeader()}, "Origin": {p.url},
		}})
		if err != nil {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.Fatalf("dial %s: %v (status %d)", wsURL, err, status)
		}
		defer conn.CloseNow()
		conn.SetReadLimit(16 << 20)
		var gotSnapshot, gotEvent bool
		for !gotSnapshot || !gotEvent {
			_, data, err := conn.Read(ctx)
			if err != nil {
				t.Fatalf("read: %v (snapshot %v, event %v)", err, gotSnapshot, gotEvent)
			}
			var msg struct {
				Type     string          `json:"type"`
				Snapshot *queue.Snapshot `json:"snapshot"`
			}
			if err := ui.UnmarshalAPI(data, &msg); err != nil {
				t.Fatalf("decode %.200s: %v", data, err)
			}
			switch msg.Type {
			case "snapshot":
				if msg.Snapshot == nil || len(msg.Snapshot.Queues) != 3 {
					t.Fatalf("snapshot: got %.300s, want the three demo queues", data)
				}
				gotSnapshot = true
			case "event":
				if !gotSnapshot {
					t.Errorf("got an event before the first snapshot: %.200s", data)
				}
				gotEvent = true
			}
		}
		conn.Close(websocket.StatusNormalClosure, "")
	})

	// A new database gets a month of the past (--history-days 30 by
	// default): last week's report has figures on its working days and the
	// call search finds last week's calls, each one over.
	t.Run("the past in reports and call search", func(t *testing.T) {
		today := time.Now()
		from, to := today.AddDate(0, 0, -7).Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly)
		var rep struct {
			Rows []struct {
				Start   time.Time `json:"start"`
				Offered int       `json:"offered"`
			} `json:"rows"`
			Total struct {
				Offered, Answered int
			} `json:"total"`
		}
		st, body, err := sam.do(http.MethodGet, "/api/reports/queues?interval=day&from="+from+"&to="+to, nil, &rep)
		if err != nil || st != http.StatusOK {
			t.Fatalf("queues report: %d %s %v", st, body, err)
		}
		days := map[string]bool{}
		for _, r := range rep.Rows {
			if r.Offered > 0 {
				days[r.Start.Local().Format(time.DateOnly)] = true
			}
		}
		// The site takes calls every day, Sundays too (for four hours).
		if len(days) != 7 || rep.Total.Answered < rep.Total.Offered*8/10 || rep.Total.Offered < 2000 {
			t.Errorf("last week: calls on %d days (%v), %d offered, %d answered: want calls every day, most answered", len(days), days, rep.Total.Offered, rep.Total.Answered)
		}
		var recs []queue.CallRecord
		st, body, err = sam.do(http.MethodGet, "/api/calls?limit=1000&from="+from+"&to="+to, nil, &recs)
		if err != nil || st != http.StatusOK || len(recs) != 1000 {
			t.Fatalf("last week's calls: %d %s %v, %d records", st, body, err, len(recs))
		}
		announced := 0
		for _, r := range recs {
			if r.Open() || r.Number == "" || r.Outcome == "" || (r.Outcome == queue.OutcomeCompleted && len(r.Rings) == 0) {
				t.Errorf("past call %s: %+v, want a closed call with a number, an outcome and, answered, its rings", r.ID, r)
			}
			if len(r.Announcements) > 0 {
				announced++
			}
		}
		// The timeline's prompts: callers who waited were told their position.
		if announced == 0 {
			t.Errorf("none of %d past calls has an announcement in its record", len(recs))
		}
	})

	t.Run("customer lookup from the demo CRM", func(t *testing.T) {
		var res struct {
			Status string `json:"status"`
			Fields []struct {
				Key, Value string
			} `json:"fields"`
		}
		sam.mustDo(http.MethodGet, "/api/lookup?number="+url.QueryEscape("+442079460123"), nil, http.StatusOK, &res)
		keys := map[string]string{}
		for _, f := range res.Fields {
			keys[f.Key] = f.Value
		}
		if res.Status != "match" || keys["name"] == "" || keys["account"] == "" || keys["recent_orders"] == "" || keys["notes"] == "" {
			t.Errorf("lookup: got %+v, want a match with name, account, recent orders and notes", res)
		}
	})

	// A person logging in as a human agent gets calls: the phone rings and
	// answers by itself.
	t.Run("human agent takes a call", func(t *testing.T) {
		alice := MustConsoleLogin(t, p.url, "alice", "demo")
		alice.mustPost("/api/me/login", map[string]any{})
		seen := map[queue.AgentState]bool{}
		pollUntil(t, 30*time.Second, "alice ringing, then on a call", func() (bool, string) {
			var snap queue.Snapshot
			st, _, err := alice.do(http.MethodGet, "/api/snapshot", nil, &snap)
			if err != nil {
				t.Fatal(err)
			}
			if st != http.StatusOK {
				return false, fmt.Sprintf("status %d", st)
			}
			for _, a := range snap.Agents {
				if a.Config.ID == "alice" {
					seen[a.State] = true
				}
			}
			return seen[queue.AgentOnCall], fmt.Sprintf("states seen %v", seen)
		})
	})

	t.Run("metrics move as calls flow", func(t *testing.T) {
		pollUntil(t, 20*time.Second, "joined, offered and store commit counters to rise", func() (bool, string) {
			text := scrapeMetrics(t, p.url)
			joined, _ := promSum(text, "stasisq_callers_joined_total")
			offers, _ := promSum(text, "stasisq_offers_total")
			_, waitingGauge := promSum(text, "stasisq_queue_callers_waiting")
			ari, _ := promSum(text, "stasisq_ari_connected")
			// The store's commits are counted, with their events.
			commits, _ := promSum(text, "stasisq_store_commit_duration_seconds_count")
			batched, _ := promSum(text, "stasisq_store_batch_events_sum")
			return joined > joined0 && offers > offers0 && waitingGauge && ari == 1 && commits > commits0 && batched >= commits,
				fmt.Sprintf("joined %v→%v, offers %v→%v, waiting gauge %v, ari_connected %v, store commits %v→%v with %v events",
					joined0, joined, offers0, offers, waitingGauge, ari, commits0, commits, batched)
		})
	})

	// ctrl-C: a clean exit, and the temporary database gone.
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("SIGINT: %v", err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGINT: got=%v, want status 0; stderr:\n%s", err, p.stderrText())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("demo still running 30s after SIGINT; stderr:\n%s", p.stderrText())
	}
	if left, _ := os.ReadDir(p.tmp); len(left) != 0 {
		t.Errorf("TMPDIR after exit: got %d entries (%s...), want the demo database removed", len(left), left[0].Name())
	}
}

// wsGate is a reverse proxy to a fake Asterisk that refuses the events
// websocket while closed, so a test decides when stasisq may connect.
type wsGate struct {
	open  atomic.Bool
	proxy *httputil.ReverseProxy
}

func (g *wsGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/ari/events") && !g.open.Load() {
		http.Error(w, "wsGate closed", http.StatusServiceUnavailable)
		return
	}
	g.proxy.ServeHTTP(w, r)
}

// /readyz follows the ARI websocket: 503 before it connects, 200 once up,
// 503 again when Asterisk drops it. /healthz is 200 throughout.
func TestReadyzFollowsARIWebsocket(t *testing.T) {
	fake := aritest.NewServer(aritest.Options{User: testUser, Password: testPassword})
	t.Cleanup(fake.Close)
	target, _ := url.Parse(fake.URL())
	g := &wsGate{proxy: httputil.NewSingleHostReverseProxy(target)}
	front := httptest.NewServer(g)
	t.Cleanup(front.Close)

	m := NewMain()
	m.Config.ARIURL = front.URL
	m.Config.ARIUser, m.Config.ARIPassword = testUser, testPassword
	m.Config.App = testApp
	m.Config.Listen = "127.0.0.1:0"
	m.Config.DB = filepath.Join(t.TempDir(), "stasisq.db")
	m.Logger = testLogger(t)
	if err := m.Run(context.Background()); err != nil {
		_ = m.Close()
		t.Fatalf("run: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })

	ready := func(want int) func() (bool, string) {
		return func() (bool, string) {
			got := httpStatus(t, m.URL()+"/readyz")
			return got == want, fmt.Sprint(got)
		}
	}
	if got := httpStatus(t, m.URL()+"/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz before the websocket: got=%d, want 503", got)
	}
	if got := httpStatus(t, m.URL()+"/healthz"); got != http.StatusOK {
		t.Errorf("/healthz before the websocket: got=%d, want 200", got)
	}
	g.open.Store(true)
	pollUntil(t, waitFor, "/readyz 200 once connected", ready(http.StatusOK))
	g.open.Store(false)
	fake.DropWebsockets()
	pollUntil(t, waitFor, "/readyz 503 once the websocket dropped", ready(http.StatusServiceUnavailable))
	if got := httpStatus(t, m.URL()+"/healthz"); got != http.StatusOK {
		t.Errorf("/healthz without the websocket: got=%d, want 200", got)
	}
	g.open.Store(true)
	pollUntil(t, waitFor, "/readyz 200 after reconnecting", ready(http.StatusOK))
}

func TestParseDemoFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    func(demo.Config) bool
		wantErr bool
	}{
		{name: "defaults", want: func(c demo.Config) bool {
			return c.Listen == "127.0.0.1:8080" && c.Rate == 0 && c.Agents == 12 && c.InitialCallers > 0 && c.DB == "" && c.Seed == 0
		}},
		{name: "every flag", args: []string{"--listen", ":0", "--rate", "2.5", "--agents", "30", "--initial-callers", "0", "--seed", "7", "--db", "x.db", "--log-level", "debug"},
			want: func(c demo.Config) bool {
				return c.Listen == ":0" && c.Rate == 2.5 && c.Agents == 30 && c.InitialCallers == 0 && c.Seed == 7 && c.DB == "x.db" && c.LogLevel == "debug"
			}},
		{name: "history", args: []string{"--history-days", "7"}, want: func(c demo.Config) bool { return c.HistoryDays == 7 }},
		{name: "history by default", args: nil, want: func(c demo.Config) bool { return c.HistoryDays == 30 }},
		{name: "negative history", args: []string{"--history-days", "-1"}, wantErr: true},
		{name: "history past the report range", args: []string{"--history-days", "401"}, wantErr: true},
		{name: "negative rate", args: []string{"--rate", "-1"}, wantErr: true},
		{name: "negative agents", args: []string{"--agents", "-3"}, wantErr: true},
		{name: "stray argument", args: []string{"now"}, wantErr: true},
		{name: "unknown flag", args: []string{"--speed", "9"}, wantErr: true},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseDemoFlags(tc.args, io.Discard)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err: got=%v, want error %v", err, tc.wantErr)
			}
			if err == nil && !tc.want(c) {
				t.Errorf("config: got=%+v", c)
			}
		})
	}
}

// The CRM gives a number the same customer every time, and different
// numbers different ones, with what the customer panel shows.
// Stopping the demo stops the traffic before stasisq: every simulated
// caller is hung up and its call record closed in the store, and the fake
// Asterisk is left with no channel.
func TestDemoCloseLeavesNoCallOpen(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	cfg, err := parseDemoFlags([]string{"--listen", "127.0.0.1:0", "--rate", "5", "--seed", "3", "--agents", "4", "--db", dbPath, "--history-days", "0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := startDemo(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatalf("start demo: %v", err)
	}
	started := time.Now()
	pollUntil(t, 30*time.Second, "callers waiting and answered", func() (bool, string) {
		c := d.Stats.Snapshot()
		return c.Answered >= 2 && c.InProgress > c.Answered, fmt.Sprintf("%+v", c)
	})
	stopping := time.Now()
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("traffic for %v, Close took %v", stopping.Sub(started).Round(time.Millisecond), time.Since(stopping).Round(time.Millisecond))
	if c := d.Stats.Snapshot(); c.InProgress != 0 || c.Cancelled == 0 {
		t.Errorf("after Close: got %+v, want no caller in progress and some cancelled", c)
	}
	if left := d.Fake.ChannelIDs(); len(left) != 0 {
		t.Errorf("channels after Close: got=%v, want none", left)
	}
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	defer db.Close()
	recs, err := db.Calls(context.Background(), queue.CallQuery{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Minute), Limit: 10000})
	if err != nil {
		t.Fatalf("calls: %v", err)
	}
	if len(recs) == 0 {
		t.Fatal("got no call records, want the demo's calls")
	}
	for _, r := range recs {
		if r.Open() {
			t.Errorf("call %s: got open (%s), want every call ended and recorded", r.ID, r.Outcome)
		}
	}
	if _, err := db.CheckPassword(context.Background(), "sue", demo.Password); err != nil {
		t.Errorf("demo login sue: got=%v, want the demo password to work", err)
	}
}
