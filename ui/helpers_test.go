package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"stasisq/queue"
)

// fakeFloor is an in-memory Floor: it records every input and serves a
// snapshot the test sets.
type fakeFloor struct {
	mu        sync.Mutex
	snap      queue.Snapshot
	inputs    []queue.Input
	hangups   []queue.CallerID
	redirects []string
	monitors  []string // Monitor and StopMonitor calls
	doErr     error
	snapshots int // Snapshot calls
}

func (f *fakeFloor) Snapshot(ctx context.Context) (queue.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapshots++
	b, _ := MarshalAPI(f.snap)
	var out queue.Snapshot
	_ = UnmarshalAPI(b, &out)
	return out, nil
}

func (f *fakeFloor) Do(ctx context.Context, in queue.Input) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.doErr != nil {
		return f.doErr
	}
	f.inputs = append(f.inputs, in)
	return nil
}

// Configure keeps callflow.App.Configure's order: a refusal (doErr) comes
// before the save, and the change is recorded only after it.
func (f *fakeFloor) Configure(ctx context.Context, in queue.Input, save func(context.Context) error) error {
	f.mu.Lock()
	refused := f.doErr
	f.mu.Unlock()
	if refused != nil {
		return refused
	}
	if err := queue.ValidateConfig(in); err != nil {
		return err
	}
	if err := save(ctx); err != nil {
		return err
	}
	return f.Do(ctx, in)
}

func (f *fakeFloor) HangupCaller(ctx context.Context, caller queue.CallerID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hangups = append(f.hangups, caller)
	return nil
}

// RedirectCaller records the redirect with the allow-list it came with
// (the call flow enforces the list; see callflow's redirect scenario).
func (f *fakeFloor) RedirectCaller(ctx context.Context, caller queue.CallerID, target string, allowed queue.RedirectTargets) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := make([]string, len(allowed))
	for i, t := range allowed {
		list[i] = t.String()
	}
	f.redirects = append(f.redirects, string(caller)+"->"+target+" allowed "+strings.Join(list, " "))
	return nil
}

func (f *fakeFloor) Monitor(ctx context.Context, caller queue.CallerID, supervisor, mode string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.monitors = append(f.monitors, fmt.Sprintf("%s %s %s", supervisor, mode, caller))
	return f.doErr
}

func (f *fakeFloor) StopMonitor(ctx context.Context, caller queue.CallerID, supervisor string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.monitors = append(f.monitors, fmt.Sprintf("%s leaves %s", supervisor, caller))
	return f.doErr
}

func (f *fakeFloor) setSnapshot(s queue.Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snap = s
}

func (f *fakeFloor) takeInputs() []queue.Input {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.inputs
	f.inputs = nil
	return in
}

// fakeDirectory is an in-memory Directory with real bcrypt hashes.
type fakeDirectory struct {
	mu         sync.Mutex
	users      map[string]queue.User
	hashes     map[string][]byte
	queues     map[string]queue.QueueConfig
	calls      []queue.CallRecord
	queueStats map[string][]queue.QueueInterval
	agentStats map[string][]queue.AgentInterval
	sessions   map[string]queue.Session
	redirectTo queue.RedirectTargets
	audit      []queue.AuditEntry // oldest first
	authCalls  atomic.Int64       // Authenticate calls: passwords checked
	lastCalls  struct {
		from, to time.Time
		queue    string
		limit    int
	}
}

func newFakeDirectory() *fakeDirectory {
	return &fakeDirectory{
		users: map[string]queue.User{}, hashes: map[string][]byte{}, queues: map[string]queue.QueueConfig{},
		queueStats: map[string][]queue.QueueInterval{}, agentStats: map[string][]queue.AgentInterval{},
		sessions: map[string]queue.Session{},
	}
}

// The fake's sessions follow the store's rules (store/sessions.go): a new
// password or role, or the user's removal, ends them.
func (d *fakeDirectory) PutSession(ctx context.Context, s queue.Session) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.users[s.User]; !ok {
		return queue.ErrNotFound
	}
	d.sessions[s.ID] = s
	return nil
}

func (d *fakeDirectory) SessionUser(ctx context.Context, id string, now time.Time) (queue.Session, queue.User, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.sessions[id]
	if !ok || !now.Before(s.Expires) {
		return queue.Session{}, queue.User{}, queue.ErrNotFound
	}
	u, ok := d.users[s.User]
	if !ok {
		return queue.Session{}, queue.User{}, queue.ErrNotFound
	}
	return s, u, nil
}

func (d *fakeDirectory) RedirectTargets(ctx context.Context) (queue.RedirectTargets, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.redirectTo, nil
}

func (d *fakeDirectory) PutRedirectTargets(ctx context.Context, ts queue.RedirectTargets) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.redirectTo = ts
	return nil
}

func (d *fakeDirectory) AddAudit(ctx context.Context, e queue.AuditEntry) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.audit = append(d.audit, e)
	return nil
}

func (d *fakeDirectory) Audit(ctx context.Context, from, to time.Time, limit int) ([]queue.AuditEntry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []queue.AuditEntry{}
	for i := len(d.audit) - 1; i >= 0 && len(out) < limit; i-- {
		if e := d.audit[i]; !e.At.Before(from) && e.At.Before(to) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (d *fakeDirectory) DeleteSession(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.sessions, id)
	return nil
}

func (d *fakeDirectory) endSessionsLocked(user string) {
	for id, s := range d.sessions {
		if s.User == user {
			delete(d.sessions, id)
		}
	}
}

func (d *fakeDirectory) Authenticate(ctx context.Context, login, password string) (queue.User, error) {
	d.authCalls.Add(1)
	d.mu.Lock()
	u, ok := d.users[login]
	h := d.hashes[login]
	d.mu.Unlock()
	if !ok || bcrypt.CompareHashAndPassword(h, []byte(password)) != nil {
		return queue.User{}, queue.ErrBadCredentials
	}
	return u, nil
}

func (d *fakeDirectory) Queues(ctx context.Context) ([]queue.QueueConfig, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []queue.QueueConfig
	for _, q := range d.queues {
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b queue.QueueConfig) int { return compareStrings(a.Name, b.Name) })
	return out, nil
}

func (d *fakeDirectory) PutQueue(ctx context.Context, q queue.QueueConfig) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queues[q.Name] = q
	return nil
}

func (d *fakeDirectory) DeleteQueue(ctx context.Context, name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.queues[name]; !ok {
		return queue.ErrNotFound
	}
	delete(d.queues, name)
	return nil
}

func (d *fakeDirectory) Users(ctx context.Context) ([]queue.User, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []queue.User
	for _, u := range d.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b queue.User) int { return compareStrings(a.ID, b.ID) })
	return out, nil
}

func (d *fakeDirectory) PutUser(ctx context.Context, u queue.User, password string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if password != "" {
		h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			return err
		}
		d.hashes[u.ID] = h
		d.endSessionsLocked(u.ID)
	} else if _, ok := d.hashes[u.ID]; !ok {
		return errors.New("new user without password")
	}
	if old, ok := d.users[u.ID]; ok && old.Role != u.Role {
		d.endSessionsLocked(u.ID)
	}
	d.users[u.ID] = u
	return nil
}

func (d *fakeDirectory) DeleteUser(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.users[id]; !ok {
		return queue.ErrNotFound
	}
	delete(d.users, id)
	delete(d.hashes, id)
	d.endSessionsLocked(id)
	return nil
}

func (d *fakeDirectory) Calls(ctx context.Context, q queue.CallQuery) ([]queue.CallRecord, error) {
	from, to, queueName, limit := q.From, q.To, q.Queue, q.Limit
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastCalls.from, d.lastCalls.to, d.lastCalls.queue, d.lastCalls.limit = from, to, queueName, limit
	var out []queue.CallRecord
	for _, c := range d.calls {
		if (queueName == "" || c.Queue == queueName) && q.Matches(c) && !c.JoinedAt.Before(from) && c.JoinedAt.Before(to) && (limit == 0 || len(out) < limit) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (d *fakeDirectory) WriteCallsCSV(ctx context.Context, w io.Writer, q queue.CallQuery) error {
	calls, _ := d.Calls(ctx, q)
	if _, err := fmt.Fprintln(w, "id,queue,outcome"); err != nil {
		return err
	}
	for _, c := range calls {
		if _, err := fmt.Fprintf(w, "%s,%s,%s\n", c.ID, c.Queue, c.Outcome); err != nil {
			return err
		}
	}
	return nil
}

func (d *fakeDirectory) CallByID(ctx context.Context, id string) (queue.CallRecord, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.calls {
		if c.ID == id {
			return c, nil
		}
	}
	return queue.CallRecord{}, fmt.Errorf("call %s: %w", id, queue.ErrNotFound)
}

func (d *fakeDirectory) QueueStats(ctx context.Context, queueName string, from, to time.Time) ([]queue.QueueInterval, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queueStats[queueName], nil
}

func (d *fakeDirectory) AgentStats(ctx context.Context, agent queue.AgentID, from, to time.Time) ([]queue.AgentInterval, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.agentStats[string(agent)], nil
}

func (d *fakeDirectory) QueueDays(ctx context.Context, queueName string, from, to time.Time) ([]queue.QueueInterval, error) {
	ivs, _ := d.QueueStats(ctx, queueName, from, to)
	days, _ := queue.RollUpQueues(ivs, queue.ReportDay, time.Local)
	var out []queue.QueueInterval
	for _, r := range days {
		out = append(out, r.QueueInterval)
	}
	return out, nil
}

func (d *fakeDirectory) AgentDays(ctx context.Context, agent queue.AgentID, from, to time.Time) ([]queue.AgentInterval, error) {
	ivs, _ := d.AgentStats(ctx, agent, from, to)
	days, _ := queue.RollUpAgents(ivs, queue.ReportDay, time.Local)
	var out []queue.AgentInterval
	for _, r := range days {
		out = append(out, r.AgentInterval)
	}
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

const testPassword = "correct horse"

// testFloorState is a small floor: queues sales (pick allowed) and support,
// agent alice in sales ringing for caller c1, agent bob in support.
func testFloorState() queue.Snapshot {
	now := time.Now()
	sales := queue.DefaultQueueConfig("sales")
	sales.AllowPick = true
	support := queue.DefaultQueueConfig("support")
	return queue.Snapshot{
		At: now,
		Queues: []queue.QueueView{
			{Config: sales, Callers: []queue.CallerView{
				{ID: "c1", Queue: "sales", Position: 1, Number: "5551001", Name: "Ann", JoinedAt: now.Add(-time.Minute), Ringing: []queue.AgentID{"alice"}},
				{ID: "c2", Queue: "sales", Position: 2, Number: "5551002", Name: "Ben", JoinedAt: now.Add(-30 * time.Second)},
			}},
			{Config: support, Callers: []queue.CallerView{
				{ID: "c3", Queue: "support", Position: 1, Number: "5551003", Name: "Cat", JoinedAt: now.Add(-10 * time.Second)},
			}},
		},
		Agents: []queue.AgentView{
			{Config: queue.AgentConfig{ID: "alice", Name: "Alice", Device: "PJSIP/1001", Queues: []queue.Membership{{Queue: "sales", Penalty: 0}}},
				State: queue.AgentRinging, Since: now, Caller: "c1", CallerNumber: "5551001", CallerName: "Ann", Queue: "sales", Offer: "o-0001"},
			{Config: queue.AgentConfig{ID: "bob", Name: "Bob", Device: "PJSIP/1002", Queues: []queue.Membership{{Queue: "support", Penalty: 1}}},
				State: queue.AgentAvailable, Since: now},
		},
	}
}

type testEnv struct {
	srv      *Server
	ts       *httptest.Server
	floor    *fakeFloor
	dir      *fakeDirectory
	stopPush func()
}

// startPushing pushes the fake floor's snapshot to the server at once and
// then every second, as the application loop does.
func (e *testEnv) startPushing() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			snap, err := e.floor.Snapshot(ctx)
			if err == nil {
				e.srv.PublishSnapshot(snap)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	e.stopPush = func() { cancel(); <-done }
}

// replaceHub swaps in a hub made with cfg (slow-client tests), pushed to as
// the loop would.
func (e *testEnv) replaceHub(cfg hubConfig) {
	e.stopPush()
	e.srv.hub.Close()
	e.srv.hub = newHub(cfg)
	e.startPushing()
}

// MustTestEnv starts a Server with a fake floor and directory holding
// users alice (agent, in sales and support), bob (agent), sue (supervisor)
// and ada (admin), all with testPassword.
func MustTestEnv(tb testing.TB, mutate ...func(*Options)) *testEnv {
	tb.Helper()
	floor := &fakeFloor{}
	floor.setSnapshot(testFloorState())
	dir := newFakeDirectory()
	ctx := context.Background()
	for _, q := range []string{"sales", "support"} {
		_ = dir.PutQueue(ctx, queue.DefaultQueueConfig(q))
	}
	for _, u := range []queue.User{
		{ID: "alice", Name: "Alice", Role: queue.RoleAgent, Agent: queue.AgentConfig{ID: "alice", Name: "Alice", Device: "PJSIP/1001",
			Queues: []queue.Membership{{Queue: "sales", Penalty: 0}, {Queue: "support", Penalty: 2}}}},
		{ID: "bob", Name: "Bob", Role: queue.RoleAgent, Agent: queue.AgentConfig{ID: "bob", Name: "Bob", Device: "PJSIP/1002",
			Queues: []queue.Membership{{Queue: "support", Penalty: 1}}}},
		{ID: "sue", Name: "Sue", Role: queue.RoleSupervisor},
		{ID: "ada", Name: "Ada", Role: queue.RoleAdmin},
	} {
		if err := dir.PutUser(ctx, u, testPassword); err != nil {
			tb.Fatalf("put user: %v", err)
		}
	}
	opts := Options{Floor: floor, Directory: dir, PauseReasons: []string{"Break", "Lunch", "Training"}}
	for _, m := range mutate {
		m(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	if d, ok := opts.Directory.(*fakeDirectory); ok {
		dir = d // a "restarted" server on another's directory
	}
	env := &testEnv{srv: srv, ts: ts, floor: floor, dir: dir}
	env.startPushing()
	tb.Cleanup(func() { env.stopPush() })
	return env
}

// apiClient is a browser: a cookie jar and the CSRF token from login.
type apiClient struct {
	tb   testing.TB
	base string
	http *http.Client
	csrf string
}

func (e *testEnv) anonymous(tb testing.TB) *apiClient {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	return &apiClient{tb: tb, base: e.ts.URL, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// MustLogin logs a user in and returns its browser.
func (e *testEnv) MustLogin(tb testing.TB, login string) *apiClient {
	tb.Helper()
	c := e.anonymous(tb)
	status, body := c.do("POST", "/api/login", map[string]string{"login": login, "password": testPassword})
	if status != http.StatusOK {
		tb.Fatalf("login %s: status got=%d, want 200 (%s)", login, status, body)
	}
	var sr sessionResponse
	if err := UnmarshalAPI(body, &sr); err != nil {
		tb.Fatalf("login response: %v", err)
	}
	c.csrf = sr.CSRF
	return c
}

// do sends a request with the CSRF token (when the client has one) and
// returns the status and body.
func (c *apiClient) do(method, path string, body any) (int, []byte) {
	c.tb.Helper()
	return c.doHeaders(method, path, body, nil)
}

func (c *apiClient) doHeaders(method, path string, body any, headers map[string]string) (int, []byte) {
	c.tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	default:
		buf, err := MarshalAPI(b)
		if err != nil {
			c.tb.Fatalf("marshal: %v", err)
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.tb.Fatalf("request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set(csrfHeader, c.csrf)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
