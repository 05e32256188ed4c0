package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"stasisq/internal/asteriskt"
	"stasisq/queue"
)

// parityQueuesConf is one queues.conf for both sides of
// TestAsteriskAppQueueParity: Asterisk loads it with @D@ = 1 (its members
// are Local/1xx), stasisq imports it with @D@ = 2, so the two never share a
// device while their callers run side by side.
const parityQueuesConf = `[general]
persistentmembers = no

[pans]
member => Local/@D@01@agents,0,ans

[pnext]
strategy = linear
timeout = 2
retry = 1
member => Local/@D@02@noanswer,0,nxa
member => Local/@D@03@agents,0,nxb

[pbusy]
strategy = linear
timeout = 5
retry = 1
member => Local/@D@04@busy,0,bsa
member => Local/@D@05@agents,0,bsb

[pabw]

[pabr]
timeout = 15
member => Local/@D@06@noanswer,0,abr

[ptime]

[pjoin]
joinempty = paused
member => Local/@D@07@agents,0,jne,,,,1

[pexit]
context = pexitctx

[pcont]
setinterfacevar = yes
setqueueentryvar = yes
member => Local/@D@08@shortcall,3,cnt
`

// parityDialplan: a caller dialled into <queue>@appq runs app_queue's
// Queue(), one dialled into <queue>@stq runs Stasis(stasisq); after either
// the observer reads what the dialplan was left with. app_queue's exit key
// goes to the queue's context (pexitctx); ptime waits at most 2 s.
const parityVerdict = `Stasis(observer,done,${QUEUESTATUS},${QUEUEEXITKEY},${QUEUEPOSITION},${ABANDONED},${CONTEXT},${EXTEN},` +
	`${MEMBERNAME},${MEMBERPENALTY},${MEMBERDYNAMIC},${MEMBERCALLS},${QEORIGINALPOS})`

// parityVars names the verdict's fields.
var parityVars = []string{"QUEUESTATUS", "QUEUEEXITKEY", "QUEUEPOSITION", "ABANDONED", "CONTEXT", "EXTEN",
	"MEMBERNAME", "MEMBERPENALTY", "MEMBERDYNAMIC", "MEMBERCALLS", "QEORIGINALPOS"}

const parityDialplan = `
[appq]
exten => pcont,1,Answer()
 same => n,Queue(pcont,c)
 same => n,` + parityVerdict + `
 same => n,Hangup()
exten => ptime,1,Answer()
 same => n,Queue(ptime,,,,2)
 same => n,` + parityVerdict + `
 same => n,Hangup()
exten => _[a-z].,1,Answer()
 same => n,Queue(${EXTEN})
 same => n,` + parityVerdict + `
 same => n,Hangup()

[pexitctx]
exten => _X,1,` + parityVerdict + `
 same => n,Hangup()

[stq]
exten => ptime,1,Stasis(stasisq,ptime,maxwait=2)
 same => n,` + parityVerdict + `
 same => n,Hangup()
exten => _[a-z].,1,Stasis(stasisq,${EXTEN})
 same => n,` + parityVerdict + `
 same => n,Hangup()
`

// parityFlow is one flow run through both: the caller's own actions, timed
// from when it was answered.
type parityFlow struct {
	queue    string
	hangupAt time.Duration // the caller hangs up (0: it does not)
	pressAt  time.Duration // the caller presses 5 (0: it does not)
	verdict  bool          // the caller comes back to its dialplan
}

var parityFlows = []parityFlow{
	{queue: "pans", hangupAt: 4 * time.Second},            // answered, the caller ends it
	{queue: "pnext", hangupAt: 7 * time.Second},           // no answer, then the next member
	{queue: "pbusy", hangupAt: 4 * time.Second},           // busy, then the next member
	{queue: "pabw", hangupAt: 2 * time.Second},            // abandon while waiting
	{queue: "pabr", hangupAt: 2 * time.Second},            // abandon while a member rings
	{queue: "ptime", verdict: true},                       // Queue()'s timeout: TIMEOUT
	{queue: "pjoin", verdict: true},                       // joinempty: JOINEMPTY
	{queue: "pexit", pressAt: time.Second, verdict: true}, // exit key
	{queue: "pcont", verdict: true},                       // the agent hangs up, the caller goes on
}

// parityCaller is the caller id of a flow on one side: "q-" for app_queue,
// "s-" for stasisq (the same length, as every Local channel name here is).
func parityCaller(side, q string) string { return side + "-" + q }

// TestAsteriskAppQueueParity runs the same flows through app_queue and
// through stasisq on one Asterisk, from one queues.conf, and compares what
// the dialplan is left with and the queue_log lines, field by field. A
// difference fails the test unless parityDeliberate lists it, with the
// reason queue/doc.go gives.
func TestAsteriskAppQueueParity(t *testing.T) {
	appConf := strings.ReplaceAll(parityQueuesConf, "@D@", "1")
	ast := asteriskt.Start(t, map[string]string{
		"extensions.conf": asteriskDialplan + parityDialplan,
		"queues.conf":     appConf,
	})
	e := &testEnv{tb: t, ast: ast, dir: t.TempDir(), events: &eventLog{}, logs: &logRecorder{}}
	obs := mustObserve(t, ast)

	// stasisq's side is the migration a site would do: stasis import.
	confPath := filepath.Join(e.dir, "queues.conf")
	if err := os.WriteFile(confPath, []byte(strings.ReplaceAll(parityQueuesConf, "@D@", "2")), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := runImport(e.ctx(), []string{"--db", filepath.Join(e.dir, "stasisq.db"), confPath}, &out, &errOut); err != nil {
		t.Fatalf("stasisq import: %v\n%s%s", err, out.String(), errOut.String())
	}
	t.Logf("stasisq import:\n%s%s", out.String(), errOut.String())
	stasisqLog := filepath.Join(e.dir, "queue_log")
	e.MustRunMain(func(c *Config) { c.QueueLog = stasisqLog })
	// The importer carries context= over but cannot see which digits have
	// extensions there; they are set as its report says.
	q, err := e.main.DB.Queue(e.ctx(), "pexit")
	if err != nil {
		t.Fatal(err)
	}
	q.ExitKeys = "5"
	if err := e.main.configureQueue(e.ctx(), q); err != nil {
		t.Fatal(err)
	}
	// Queue()'s c option (go on when the agent hangs up) is stasisq's
	// queue setting.
	q, err = e.main.DB.Queue(e.ctx(), "pcont")
	if err != nil {
		t.Fatal(err)
	}
	q.ContinueOnAgentHangup = true
	if err := e.main.configureQueue(e.ctx(), q); err != nil {
		t.Fatal(err)
	}
	// The member line's paused field is not imported (its report says so).
	e.mustDo(queue.AgentPause{Agent: "jne", Reason: "paused in queues.conf"})

	// Both sides' callers at once: each flow has its own queue and members.
	start := time.Now()
	for _, f := range parityFlows {
		obs.dial("Local/"+f.queue+"@appq", parityCaller("q", f.queue))
		obs.dial("Local/"+f.queue+"@stq", parityCaller("s", f.queue))
	}
	type act struct {
		at     time.Duration
		caller string
		press  bool
	}
	var acts []act
	for _, f := range parityFlows {
		for _, side := range []string{"q", "s"} {
			if f.hangupAt > 0 {
				acts = append(acts, act{f.hangupAt, parityCaller(side, f.queue), false})
			}
			if f.pressAt > 0 {
				acts = append(acts, act{f.pressAt, parityCaller(side, f.queue), true})
			}
		}
	}
	sort.Slice(acts, func(i, j int) bool { return acts[i].at < acts[j].at })
	for _, a := range acts {
		obs.waitAnswered(a.caller)
		time.Sleep(time.Until(start.Add(a.at)))
		if a.press {
			obs.press(a.caller, "5")
		} else {
			obs.hangup(a.caller)
		}
	}

	var diffs []string
	for _, f := range parityFlows {
		if !f.verdict {
			continue
		}
		app, ours := obs.verdict(parityCaller("q", f.queue)), obs.verdict(parityCaller("s", f.queue))
		for i, name := range parityVars {
			a, s := at(app, i), at(ours, i)
			if name == "CONTEXT" && a == "appq" && s == "stq" {
				continue // the two dialplans' own names
			}
			if a != s {
				diffs = append(diffs, fmt.Sprintf("%s: %s app_queue %q, stasisq %q", f.queue, name, a, s))
			}
		}
		t.Logf("%s dialplan after the queue: app_queue %q, stasisq %q", f.queue, app, ours)
	}
	e.waitAsteriskClean(obs)

	appLines := readQueueLog(t, filepath.Join(ast.RunDir, "log", "queue_log"), "q-")
	// stasisq writes its queue_log from the event writer, a moment after
	// the call ends: wait until every flow has as many lines as app_queue's.
	var ourLines map[string][]string
	pollUntil(t, waitFor, "stasisq's queue_log complete", func() (bool, string) {
		ourLines = readQueueLog(t, stasisqLog, "s-")
		for _, f := range parityFlows {
			if len(ourLines[f.queue]) < len(appLines[f.queue]) {
				return false, fmt.Sprint(ourLines)
			}
		}
		return true, ""
	})
	for _, f := range parityFlows {
		a, s := appLines[f.queue], ourLines[f.queue]
		t.Logf("%s queue_log:\n  app_queue: %s\n  stasisq:   %s", f.queue,
			strings.Join(a, "\n             "), strings.Join(s, "\n             "))
		for i := 0; i < max(len(a), len(s)); i++ {
			if d := compareQueueLogLine(at(a, i), at(s, i)); d != "" {
				diffs = append(diffs, fmt.Sprintf("%s line %d: %s", f.queue, i+1, d))
			}
		}
	}
	var unexplained []string
	for _, d := range diffs {
		if reason, ok := parityDeliberate[d]; ok {
			t.Logf("deliberate difference: %s (%s)", d, reason)
			continue
		}
		unexplained = append(unexplained, d)
	}
	if len(unexplained) > 0 {
		t.Errorf("stasisq differs from app_queue:\n%s", strings.Join(unexplained, "\n"))
	}
}

// parityDeliberate are the differences queue/doc.go lists as deliberate,
// keyed as TestAsteriskAppQueueParity reports them.
var parityDeliberate = map[string]string{
	`pexit: QUEUESTATUS app_queue "", stasisq "EXITWITHKEY"`: "an exit key sets QUEUESTATUS and QUEUEEXITKEY, which app_queue leaves unset",
	`pexit: QUEUEEXITKEY app_queue "", stasisq "5"`:          "an exit key sets QUEUESTATUS and QUEUEEXITKEY, which app_queue leaves unset",
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// readQueueLog reads a queue_log file into each flow's lines (keyed by
// queue), for the callers whose id starts with prefix, without the time and
// call id (which differ between the two by nature).
func readQueueLog(t *testing.T, path, prefix string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read queue_log: %v", err)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "|")
		if len(f) < 5 || !strings.HasPrefix(f[1], prefix) {
			continue
		}
		q := strings.TrimPrefix(f[1], prefix)
		// The caller's number is 555<caller id>: the same once the id goes.
		rest := strings.ReplaceAll(strings.Join(f[2:], "|"), f[1], "CALLER")
		out[q] = append(out[q], rest)
	}
	return out
}

// compareQueueLogLine compares two lines (queue|agent|event|data…) field by
// field: durations may differ by a second (ring times, in milliseconds, by
// one and a half) since the two sides ran at slightly different moments;
// the bridged channel's uniqueid need only be there.
func compareQueueLogLine(app, ours string) string {
	a, s := strings.Split(app, "|"), strings.Split(ours, "|")
	if len(a) < 3 || len(s) < 3 || a[2] != s[2] {
		return fmt.Sprintf("app_queue %q, stasisq %q", app, ours)
	}
	event := a[2]
	if len(a) != len(s) {
		return fmt.Sprintf("%s has %d fields in app_queue, %d in stasisq", event, len(a), len(s))
	}
	// Which data fields (after queue, agent, event) are durations.
	seconds := map[string][]int{
		"CONNECT":         {0, 2},
		"COMPLETECALLER":  {0, 1},
		"COMPLETEAGENT":   {0, 1},
		"ABANDON":         {2},
		"EXITWITHTIMEOUT": {2},
		"EXITEMPTY":       {2},
		"EXITWITHKEY":     {3},
	}[event]
	millis := map[string][]int{"RINGNOANSWER": {0}, "RINGCANCELED": {0}}[event]
	// A completed call's hold and talk: stasisq rings the next member
	// without app_queue's retry pause (queue/doc.go, Retry), so where a
	// member did not answer its caller is connected up to the retry (1 s
	// here) sooner, and each field, in whole seconds, may then differ by
	// 2; what both measure from the same join to the same hang-up, their
	// sum, must still agree within a second.
	completeTolerance := 1.0
	if (event == "COMPLETECALLER" || event == "COMPLETEAGENT") && len(a) >= 5 {
		ha, err1 := strconv.ParseFloat(a[3], 64)
		ca, err2 := strconv.ParseFloat(a[4], 64)
		hs, err3 := strconv.ParseFloat(s[3], 64)
		cs, err4 := strconv.ParseFloat(s[4], 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			return fmt.Sprintf("%s hold or talk not a number: app_queue %q, stasisq %q", event, app, ours)
		}
		if d := (ha + ca) - (hs + cs); d > 1 || d < -1 {
			return fmt.Sprintf("%s hold+talk: app_queue %v, stasisq %v", event, ha+ca, hs+cs)
		}
		completeTolerance = 2
	}
	for i := range a {
		d := i - 3
		switch {
		case i < 3:
			if a[i] != s[i] {
				return fmt.Sprintf("%s field %d: app_queue %q, stasisq %q", event, i+1, a[i], s[i])
			}
		case slices.Contains(seconds, d), slices.Contains(millis, d):
			tolerance := completeTolerance
			if slices.Contains(millis, d) {
				tolerance = 1500
			}
			x, err1 := strconv.ParseFloat(a[i], 64)
			y, err2 := strconv.ParseFloat(s[i], 64)
			if err1 != nil || err2 != nil || x-y > tolerance || y-x > tolerance {
				return fmt.Sprintf("%s data %d: app_queue %q, stasisq %q", event, d+1, a[i], s[i])
			}
		case event == "CONNECT" && d == 1:
			if (a[i] == "") != (s[i] == "") {
				return fmt.Sprintf("CONNECT bridged channel: app_queue %q, stasisq %q", a[i], s[i])
			}
		default:
			if a[i] != s[i] {
				return fmt.Sprintf("%s data %d: app_queue %q, stasisq %q", event, d+1, a[i], s[i])
			}
		}
	}
	return ""
}

// The parity test's line comparison: whole-second durations within their
// tolerance, a completed call's hold+talk within a second.
func TestCompareQueueLogLine(t *testing.T) {
	for _, c := range []struct {
		app, ours string
		same      bool
	}{
		{"pnext|nxb|COMPLETECALLER|3|3|1", "pnext|nxb|COMPLETECALLER|2|5|1", true}, // connected a retry sooner (CI, 18:29)
		{"pnext|nxb|COMPLETECALLER|3|3|1", "pnext|nxb|COMPLETECALLER|2|6|1", false},
		{"pans|ans|COMPLETECALLER|0|3|1", "pans|ans|COMPLETECALLER|0|4|1", true},
		{"pans|ans|COMPLETECALLER|0|3|1", "pans|ans|COMPLETECALLER|0|3|2", false}, // position
		{"pans|ans|CONNECT|0|x|0", "pans|ans|CONNECT|2|y|0", false},
		{"pabr|abr|RINGCANCELED|1482", "pabr|abr|RINGCANCELED|1984", true},
	} {
		if got := compareQueueLogLine(c.app, c.ours); (got == "") != c.same {
			t.Errorf("compare %q with %q: %q, want same=%v", c.app, c.ours, got, c.same)
		}
	}
}
