package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"stasisq/ari/aritest"
	"stasisq/queue"
	"stasisq/queuesconf"
	"stasisq/store"
)

type importCase struct {
	name   string
	dir    string
	queues string
	rules  string
	agents string
	// check asserts the mapped values of key options.
	check func(t *testing.T, qs map[string]queue.QueueConfig, as map[string]store.Agent)
}

var importCases = []importCase{
	{
		name: "sample", dir: "testdata/import/sample", queues: "queues.conf", rules: "queuerules.conf",
		check: func(t *testing.T, qs map[string]queue.QueueConfig, as map[string]store.Agent) {
			q := qs["markq"]
			want := queue.DefaultQueueConfig("markq")
			want.Strategy = queue.RROrdered
			want.ServiceLevel = 60 * time.Second
			want.TimeoutPriority = "conf"
			want.WrapUpTime = 15 * time.Second
			want.AutoPause = queue.AutoPauseAll
			want.AutoPauseDelay = time.Minute
			want.AnnounceFrequency = 90 * time.Second
			want.PeriodicAnnounceFrequency = time.Minute
			want.AnnounceHoldTime = "once"
			want.AnnouncePosition = "more"
			want.AnnounceRoundSeconds = 10
			want.PeriodicAnnounce = []string{"queue-periodic-announce", "your-call-is-important", "please-wait"}
			want.JoinEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyInUse, queue.EmptyInvalid}
			want.LeaveWhenEmpty = []queue.EmptyCondition{queue.EmptyInUse, queue.EmptyRinging}
			want.ExitContext = "qoutcon"
			want.RingInUse = false
			want.AnnouncePositionLimit = 5
			want.Sounds = map[string]string{"queue-thankyou": ""} // the others are set to their defaults
			want.PenaltyMembersLimit = 5
			want.Announce = "queue-markq"                                // the agent hears which queue the call is from
			want.Record, want.RecordFormat = queue.RecordAlways, "wav49" // monitor-format = wav49: every answered call recorded
			want.Rules = []queue.PenaltyRule{
				{After: 30 * time.Second, MaxPenalty: 3, MaxRelative: true, MinRelative: true},
				{After: time.Minute, MaxPenalty: 10, MinPenalty: 5},
				{After: 2 * time.Minute, MaxPenalty: -1, MaxRelative: true, MinPenalty: 0},
			}
			if !reflect.DeepEqual(queuesconf.Normalised(q), queuesconf.Normalised(want)) {
				t.Errorf("markq:\n got=%+v\nwant %+v", q, want)
			}
			wantAgent(t, as, "bob-johnson", "DAHDI/3", "Bob Johnson", nil, queue.Membership{Queue: "markq", Penalty: 10})
			no := false
			wantAgent(t, as, "lorem-ipsum", "Local/2000@default", "Lorem Ipsum", &no, queue.Membership{Queue: "markq"})
			if len(as) != 7 {
				t.Errorf("agents got=%d, want 7 (one per member line)", len(as))
			}
		},
	},
	{
		name: "small business", dir: "testdata/import/smallbiz", queues: "queues.conf", rules: "queuerules.conf", agents: "agents.conf",
		check: func(t *testing.T, qs map[string]queue.QueueConfig, as map[string]store.Agent) {
			if len(qs) != 3 {
				t.Errorf("queues got=%d, want reception, optics, overflow", len(qs))
			}
			r := qs["reception"]
			if r.MusicClass != "riverside" || r.Strategy != queue.LeastRecent || r.Timeout != 20*time.Second || r.Weight != 2 ||
				r.AutoPause != queue.AutoPauseYes || r.AutoPauseDelay != 20*time.Second || len(r.Rules) != 3 {
				t.Errorf("reception got=%+v", r)
			}
			o := qs["optics"]
			if o.Strategy != queue.FewestCalls || o.AnnouncePosition != "no" || o.WrapUpTime != 30*time.Second {
				t.Errorf("optics got=%+v", o)
			}
			ov := qs["overflow"]
			if ov.Strategy != queue.RingAll || ov.Timeout != 30*time.Second || ov.MaxLen != 5 || ov.MusicClass != "riverside" ||
				!reflect.DeepEqual(ov.PeriodicAnnounce, []string{"riverside/still-busy"}) ||
				!reflect.DeepEqual(ov.JoinEmpty, []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyPenalty, queue.EmptyInvalid}) {
				t.Errorf("overflow got=%+v", ov)
			}
			no, yes := false, true
			wantAgent(t, as, "front-desk-anna", "PJSIP/201", "Front Desk Anna", &no,
				queue.Membership{Queue: "reception"}, queue.Membership{Queue: "optics", Penalty: 3})
			wantAgent(t, as, "ortiz-ben", "PJSIP/202", "Ortiz, Ben", nil,
				queue.Membership{Queue: "reception", Penalty: 1}, queue.Membership{Queue: "overflow"})
			wantAgent(t, as, "chris-lee", "Local/203@from-queue/n", "Chris Lee", &yes, queue.Membership{Queue: "reception", Penalty: 2})
			// The Agent/4001 member takes its agents.conf name; 4002 has no
			// device and is reported, not stored.
			wantAgent(t, as, "agent-4001", "Agent/4001", "Erin Fox", nil, queue.Membership{Queue: "overflow", Penalty: 1})
			if _, ok := as["4002"]; ok {
				t.Errorf("agent 4002 has no device and must not be stored")
			}
		},
	},
}

func wantAgent(t *testing.T, as map[string]store.Agent, id, device, name string, ringInUse *bool, ms ...queue.Membership) {
	t.Helper()
	a, ok := as[id]
	if !ok {
		t.Errorf("agent %s missing; have %v", id, keys(as))
		return
	}
	want := queue.AgentConfig{ID: id, Name: name, Device: device, Static: true, Queues: ms, RingInUse: ringInUse}
	got := a.Config
	got.Queues = slices.Clone(got.Queues)
	for i := range got.Queues {
		got.Queues[i].Order = 0 // member line order: TestImportKeepsMemberOrderAcrossRestarts
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("agent %s:\n got=%+v\nwant %+v", id, a.Config, want)
	}
	if a.Role != queue.RoleAgent || len(a.PasswordHash) != 0 {
		t.Errorf("agent %s: role=%q password set=%v, want agent without password", id, a.Role, len(a.PasswordHash) > 0)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (c importCase) args(db string, extra ...string) []string {
	args := []string{filepath.Join(c.dir, c.queues), "--db", db}
	if c.rules != "" {
		args = append(args, "--queuerules", filepath.Join(c.dir, c.rules))
	}
	if c.agents != "" {
		args = append(args, "--agents", filepath.Join(c.dir, c.agents))
	}
	return append(args, extra...)
}

// MustImport runs "stasisq import" in-process and returns its output.
func MustImport(tb testing.TB, args []string) string {
	tb.Helper()
	var out, errOut bytes.Buffer
	if err := runImport(context.Background(), args, &out, &errOut); err != nil {
		tb.Fatalf("import %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, out.String(), errOut.String())
	}
	return out.String()
}

// MustReadDB opens the database at path and returns its queues and agents.
func MustReadDB(tb testing.TB, path string) (map[string]queue.QueueConfig, map[string]store.Agent) {
	tb.Helper()
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	return MustReadConfig(tb, db)
}

func TestImportConfigurations(t *testing.T) {
	for _, tc := range importCases {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "stasisq.db")

			// A dry run on no database creates none and plans everything new.
			dry := MustImport(t, tc.args(db, "--dry-run"))
			if _, err := os.Stat(db); !os.IsNotExist(err) {
				t.Fatalf("dry run created the database (stat err=%v)", err)
			}
			if !strings.Contains(dry, "dry run, nothing written") || strings.Contains(dry, "unchanged queue") {
				t.Errorf("dry run output:\n%s", dry)
			}

			out := MustImport(t, tc.args(db))
			qs, as := MustReadDB(t, db)
			tc.check(t, qs, as)
			for name := range qs {
				if !strings.Contains(dry, "new       queue "+name+" ") || !strings.Contains(out, "new       queue "+name+" ") {
					t.Errorf("queue %s not planned and imported as new:\n%s", name, out)
				}
			}
			if !strings.Contains(out, "Admin > Users") {
				t.Errorf("output does not say how to give agents a password:\n%s", out)
			}

			// Every option line is mapped or reported, at its file:line.
			set, err := queuesconf.ReadImport(mustImportConfig(t, tc.args(db)).files())
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range set.Warnings {
				if !strings.Contains(out, w.String()) {
					t.Errorf("warning not printed: %s", w)
				}
			}
			files := []struct {
				kind queuesconf.Kind
				name string
			}{{queuesconf.QueuesConf, tc.queues}, {queuesconf.QueueRulesConf, tc.rules}, {queuesconf.AgentsConf, tc.agents}}
			for _, f := range files {
				if f.name == "" {
					continue
				}
				lost, err := queuesconf.Unaccounted(f.kind, filepath.Join(tc.dir, f.name), queuesconf.Options{}, set.Warnings)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range lost {
					t.Errorf("neither mapped nor reported: %s", l)
				}
			}

			// Importing again changes nothing, and says so.
			again := MustImport(t, tc.args(db))
			if !strings.Contains(again, "no changes") || strings.Contains(again, "\nnew ") || strings.Contains(again, "\nchanged ") {
				t.Errorf("second import:\n%s", again)
			}
			qs2, as2 := MustReadDB(t, db)
			if !reflect.DeepEqual(qs, qs2) || !reflect.DeepEqual(as, as2) {
				t.Errorf("second import changed the stored configuration")
			}

			// A dry run against the database shows a changed field and
			// writes nothing.
			mustChangeQueue(t, db, func(q *queue.QueueConfig) { q.Weight = 77 })
			before := mustFileBytes(t, db)
			dry = MustImport(t, tc.args(db, "--dry-run"))
			if !strings.Contains(dry, "changed   queue ") || !strings.Contains(dry, "weight: 77 -> ") {
				t.Errorf("dry run does not show the changed weight:\n%s", dry)
			}
			if !bytes.Equal(before, mustFileBytes(t, db)) {
				t.Errorf("dry run changed the database file")
			}
		})
	}
}

func mustImportConfig(tb testing.TB, args []string) importConfig {
	tb.Helper()
	c, err := parseImportFlags(args, io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func mustFileBytes(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustChangeQueue edits the first stored queue, as an admin would.
func mustChangeQueue(tb testing.TB, path string, edit func(*queue.QueueConfig)) {
	tb.Helper()
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	qs, err := db.Queues(context.Background())
	if err != nil || len(qs) == 0 {
		tb.Fatalf("queues: %v %v", qs, err)
	}
	edit(&qs[0])
	if err := db.PutQueue(context.Background(), qs[0]); err != nil {
		tb.Fatal(err)
	}
}

// The imported configuration loads into "stasisq serve" and comes back
// through the JSON API field for field; a queue and an agent PUT back
// unchanged are accepted.
func TestImportRoundTripThroughAPI(t *testing.T) {
	for _, tc := range importCases {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "stasisq.db")
			MustImport(t, tc.args(db))
			qs, as := MustReadDB(t, db)
			mustAdmin(t, db, "boss", "correct horse battery")

			fake := aritest.NewServer(aritest.Options{User: testUser, Password: testPassword})
			t.Cleanup(fake.Close)
			m := NewMain()
			m.Stderr = io.Discard
			m.Logger = testLogger(t)
			if err := m.ParseFlags(context.Background(), []string{"--listen", "127.0.0.1:0", "--db", db,
				"--ari-url", fake.URL(), "--ari-user", testUser, "--ari-password", testPassword, "--app", testApp}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			if err := m.Run(ctx); err != nil {
				_ = m.Close()
				t.Fatalf("serve the imported database: %v", err)
			}
			t.Cleanup(func() { _ = m.Close() })

			c := MustConsoleLogin(t, m.URL(), "boss", "correct horse battery")

			var views []struct {
				Config queue.QueueConfig `json:"config"`
			}
			c.mustDo(http.MethodGet, "/api/queues", nil, http.StatusOK, &views)
			if len(views) != len(qs) {
				t.Fatalf("GET /api/queues got %d queues, want %d", len(views), len(qs))
			}
			for _, v := range views {
				want, ok := qs[v.Config.Name]
				if !ok {
					t.Errorf("API has queue %s the import did not write", v.Config.Name)
					continue
				}
				for _, d := range queuesconf.FieldDiffs(queuesconf.Normalised(want), queuesconf.Normalised(v.Config)) {
					t.Errorf("queue %s differs through the API: %s", v.Config.Name, d)
				}
			}
			var admQueues []queue.QueueConfig
			c.mustDo(http.MethodGet, "/api/admin/queues", nil, http.StatusOK, &admQueues)
			for _, q := range admQueues {
				if want := qs[q.Name]; !reflect.DeepEqual(queuesconf.Normalised(want), queuesconf.Normalised(q)) {
					t.Errorf("admin queue %s:\n got=%+v\nwant %+v", q.Name, q, want)
				}
			}

			var agents []struct {
				Config queue.AgentConfig `json:"config"`
			}
			c.mustDo(http.MethodGet, "/api/agents", nil, http.StatusOK, &agents)
			if len(agents) != len(as) {
				t.Errorf("GET /api/agents got %d agents, want %d", len(agents), len(as))
			}
			for _, a := range agents {
				want, ok := as[a.Config.ID]
				if !ok {
					t.Errorf("API has agent %s the import did not write", a.Config.ID)
					continue
				}
				for _, d := range queuesconf.FieldDiffs(queuesconf.Normalised(want.Config), queuesconf.Normalised(a.Config)) {
					t.Errorf("agent %s differs through the API: %s", a.Config.ID, d)
				}
			}

			// PUT every imported queue back as it came: the API validates
			// it as an admin's edit would be.
			for _, q := range admQueues {
				var got queue.QueueConfig
				c.mustDo(http.MethodPut, "/api/admin/queues/"+q.Name, q, http.StatusOK, &got)
				if !reflect.DeepEqual(queuesconf.Normalised(got), queuesconf.Normalised(q)) {
					t.Errorf("PUT queue %s echoed %+v, want %+v", q.Name, got, q)
				}
			}
			// And one agent, through the users form.
			a := agents[0].Config
			body := map[string]any{"name": a.Name, "role": "agent", "agent": a}
			c.mustDo(http.MethodPut, "/api/admin/users/"+a.ID, body, http.StatusOK, nil)
			_, after := MustReadConfig(t, m.DB)
			if !reflect.DeepEqual(queuesconf.Normalised(after[a.ID].Config), queuesconf.Normalised(as[a.ID].Config)) {
				t.Errorf("agent %s after PUT:\n got=%+v\nwant %+v", a.ID, after[a.ID].Config, as[a.ID].Config)
			}
		})
	}
}

// MustReadConfig returns the queues and agents of an open store.
func MustReadConfig(tb testing.TB, db *store.DB) (map[string]queue.QueueConfig, map[string]store.Agent) {
	tb.Helper()
	ctx := context.Background()
	qs, err := db.Queues(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	as, err := db.Agents(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	queues, agents := map[string]queue.QueueConfig{}, map[string]store.Agent{}
	for _, q := range qs {
		queues[q.Name] = q
	}
	for _, a := range as {
		agents[a.Config.ID] = a
	}
	return queues, agents
}

func mustAdmin(tb testing.TB, path, id, password string) {
	tb.Helper()
	db, err := store.Open(path, store.Options{NoSync: true, BcryptCost: 4})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.PutAgent(ctx, store.Agent{Config: queue.AgentConfig{ID: id, Name: "Boss"}, Role: queue.RoleAdmin}); err != nil {
		tb.Fatal(err)
	}
	if err := db.SetPassword(ctx, id, password); err != nil {
		tb.Fatal(err)
	}
}

// mustImportGood is a database into which one queue with one agent was
// imported, in a directory of its own.
func mustImportGood(t *testing.T) (dir, db string) {
	dir = t.TempDir()
	db = filepath.Join(dir, "stasisq.db")
	good := filepath.Join(dir, "good.conf")
	if err := os.WriteFile(good, []byte("[sales]\nmember => PJSIP/1001,0,Ann\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	MustImport(t, []string{good, "--db", db})
	return dir, db
}

// An import is all or nothing: a value stasisq cannot take fails it with
// the file, line and value, and the database keeps exactly what it had.
func TestImportIsAllOrNothing(t *testing.T) {
	dir, db := mustImportGood(t)
	before, beforeAgents := MustReadDB(t, db)

	for _, tc := range []struct{ name, conf, want string }{
		{"a number out of range", "[support]\nmember => PJSIP/1002,0,Bob\n\n[billing]\ntimeout = 9999999999\nmember => PJSIP/1003,0,Cy\n",
			"bad.conf:5: [billing] timeout = 9999999999: out of range"},
		{"a queue the engine refuses", "[support]\nmember => PJSIP/1002,0,Bob\n[billing]\ncontext = a,b\n",
			"bad.conf:4: [billing] context = a,b:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(dir, "bad.conf")
			if err := os.WriteFile(bad, []byte(tc.conf), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			err := runImport(context.Background(), []string{bad, "--db", db}, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import: got %v, want an error saying %q", err, tc.want)
			}
			after, afterAgents := MustReadDB(t, db)
			if !reflect.DeepEqual(after, before) || !reflect.DeepEqual(afterAgents, beforeAgents) {
				t.Errorf("the failed import wrote to the database:\nqueues %v -> %v\nagents %v -> %v", keys(before), keys(after), keys(beforeAgents), keys(afterAgents))
			}
		})
	}
}

// A linear queue rings its first member => line first, whatever the
// agents are called, when serve starts from the import and after a
// restart.
func TestImportKeepsMemberOrderAcrossRestarts(t *testing.T) {
	e := MustStartEnv(t)
	if err := e.main.Close(); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(e.dir, "queues.conf")
	if err := os.WriteFile(conf, []byte("[lin]\nstrategy = linear\nmember => Local/3@agents,0,Zoe\nmember => Local/1@agents,0,Amy\nmember => Local/2@agents,0,Max\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	MustImport(t, []string{conf, "--db", filepath.Join(e.dir, "stasisq.db")})
	for run := 1; run <= 2; run++ {
		e.MustRunMain()
		call := e.MustCall("lin")
		caller := queue.CallerID(call.ID())
		e.waitEvent(caller, "call_connected")
		if got := offerResults(e, caller); len(got) == 0 || got[0] != "zoe=answered" {
			t.Errorf("run %d: offers %v, want zoe (the first member line) rung first", run, got)
		}
		call.Hangup()
		e.waitDone(call)
		if err := e.main.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// withImportBatch makes imports bigger than n queues and agents go in
// batches of n into a copy of the database (store.Rewrite), as a big
// file does.
func withImportBatch(t *testing.T, n int) {
	old := importBatch
	importBatch = n
	t.Cleanup(func() { importBatch = old })
}

// An import in many transactions (into a copy renamed over the file)
// writes what one transaction writes, prints the same report, and on a
// re-import finds the same agents by device and keeps their roles.
func TestImportInBatchesWritesWhatOneTransactionWrites(t *testing.T) {
	for _, tc := range importCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			one, batched := filepath.Join(dir, "one.db"), filepath.Join(dir, "batched.db")
			import2 := func(extra ...string) (string, string) {
				t.Helper()
				a := MustImport(t, tc.args(one, extra...))
				withImportBatch(t, 3)
				b := MustImport(t, tc.args(batched, extra...))
				importBatch = 20000
				return strings.ReplaceAll(a, one, "DB"), strings.ReplaceAll(b, batched, "DB")
			}
			a, b := import2()
			if a != b {
				t.Errorf("reports differ:\none transaction:\n%s\nbatches:\n%s", a, b)
			}
			if !strings.Contains(b, "new       agent ") {
				t.Fatalf("the batched import made no agent:\n%s", b)
			}
			if _, err := os.Stat(batched + ".rewrite"); !os.IsNotExist(err) {
				t.Errorf("the copy was left beside the database (stat err=%v)", err)
			}
			qa, aa := MustReadDB(t, one)
			qb, ab := MustReadDB(t, batched)
			if !reflect.DeepEqual(qa, qb) || !reflect.DeepEqual(aa, ab) {
				t.Errorf("databases differ:\nqueues %v / %v\nagents %v / %v", keys(qa), keys(qb), keys(aa), keys(ab))
			}

			// Re-import after a login became a supervisor: found by its
			// device, unchanged, still a supervisor.
			var first string
			for id := range ab {
				if first == "" || id < first {
					first = id
				}
			}
			for _, path := range []string{one, batched} {
				db, err := store.Open(path, store.Options{NoSync: true})
				if err != nil {
					t.Fatal(err)
				}
				ag := ab[first]
				ag.Role = queue.RoleSupervisor
				if err := db.PutAgent(context.Background(), ag); err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			a, b = import2()
			if a != b || !strings.Contains(b, "no changes") {
				t.Errorf("re-import reports:\none transaction:\n%s\nbatches:\n%s\nwant the same, with no changes", a, b)
			}
			_, ab = MustReadDB(t, batched)
			if ab[first].Role != queue.RoleSupervisor {
				t.Errorf("%s after the batched re-import: role %q, want supervisor kept", first, ab[first].Role)
			}
		})
	}
}

// A batched import stopped half-way (Ctrl-C: its context canceled after
// the first batch is in the copy) writes nothing: the file keeps what it
// had and the copy is removed.
func TestImportInBatchesStoppedHalfWayWritesNothing(t *testing.T) {
	dir, db := mustImportGood(t)
	before, beforeAgents := MustReadDB(t, db)
	beforeFile, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}

	var conf strings.Builder
	for q := 0; q < 4; q++ {
		fmt.Fprintf(&conf, "[q%d]\n", q)
		for m := 0; m < 5; m++ {
			fmt.Fprintf(&conf, "member => PJSIP/%d,0,Agent %d\n", 2000+q*10+m, q*10+m)
		}
	}
	big := filepath.Join(dir, "big.conf")
	if err := os.WriteFile(big, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	withImportBatch(t, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	written := 0
	importBatchWritten = func(n int) {
		written = n
		cancel()
	}
	t.Cleanup(func() { importBatchWritten = nil })
	var out, errOut bytes.Buffer
	err = runImport(ctx, []string{big, "--db", db}, &out, &errOut)
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "nothing written") {
		t.Fatalf("import: %v, want it canceled, saying nothing was written", err)
	}
	if written != 1 {
		t.Fatalf("stopped after %d batches, want after the first", written)
	}
	if out.Len() != 0 {
		t.Errorf("a failed import printed a report:\n%s", out.String())
	}
	after, afterAgents := MustReadDB(t, db)
	if !reflect.DeepEqual(after, before) || !reflect.DeepEqual(afterAgents, beforeAgents) {
		t.Errorf("the stopped import wrote to the database:\nqueues %v -> %v\nagents %v -> %v", keys(before), keys(after), keys(beforeAgents), keys(afterAgents))
	}
	if afterFile, err := os.Stat(db); err != nil || !os.SameFile(beforeFile, afterFile) {
		t.Errorf("the database file was replaced (stat err=%v)", err)
	}
	if _, err := os.Stat(db + ".rewrite"); !os.IsNotExist(err) {
		t.Errorf("the copy was left beside the database (stat err=%v)", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".stasisq-") {
			t.Errorf("scratch %s left beside the database", e.Name())
		}
	}
}
