package queuesconf

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

// MustParseQueues parses a queues.conf under testdata or fails the test.
func MustParseQueues(tb testing.TB, path string) Result {
	tb.Helper()
	res, err := ParseQueues(path, Options{})
	if err != nil {
		tb.Fatalf("ParseQueues(%s): %v", path, err)
	}
	return res
}

// memFS serves files from a map, so a test can write a queues.conf inline.
func memFS(files map[string]string) Options {
	return Options{Include: func(path string) ([]byte, error) {
		text, ok := files[filepath.ToSlash(path)]
		if !ok {
			return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
		}
		return []byte(text), nil
	}}
}

func findQueue(tb testing.TB, res Result, name string) queue.QueueConfig {
	tb.Helper()
	for _, q := range res.Queues {
		if q.Name == name {
			return q
		}
	}
	tb.Fatalf("queue %q not imported; got %d queues", name, len(res.Queues))
	return queue.QueueConfig{}
}

func findAgent(tb testing.TB, agents []queue.AgentConfig, id string) queue.AgentConfig {
	tb.Helper()
	for _, a := range agents {
		if a.ID == id {
			return a
		}
	}
	var ids []string
	for _, a := range agents {
		ids = append(ids, a.ID)
	}
	tb.Fatalf("agent %q not imported; got %v", id, ids)
	return queue.AgentConfig{}
}

// findWarning returns the warning at file:line (base name) about option.
func findWarning(ws []Warning, file string, line int, option string) (Warning, bool) {
	for _, w := range ws {
		if filepath.Base(w.File) == file && w.Line == line && strings.EqualFold(w.Option, option) {
			return w, true
		}
	}
	return Warning{}, false
}

func wantWarning(t *testing.T, ws []Warning, file string, line int, option, reasonPart string) {
	t.Helper()
	w, ok := findWarning(ws, file, line, option)
	if !ok {
		t.Errorf("no warning for %s at %s:%d; warnings:\n%s", option, file, line, dump(ws))
		return
	}
	if !strings.Contains(w.Reason, reasonPart) {
		t.Errorf("warning %s: reason got=%q, want it to contain %q", w, w.Reason, reasonPart)
	}
}

func dump(ws []Warning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString("  " + w.String() + "\n")
	}
	return b.String()
}

func TestParseQueuesAcme(t *testing.T) {
	res := MustParseQueues(t, "testdata/acme/queues.conf")

	var names []string
	for _, q := range res.Queues {
		names = append(names, q.Name)
	}
	if want := []string{"support", "billing", "sales"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("queues got=%v, want %v (oldsales is inside a block comment, templates are not queues)", names, want)
	}

	support := findQueue(t, res, "support")
	wantSupport := queue.DefaultQueueConfig("support")
	wantSupport.MusicClass = "acme-hold"
	wantSupport.Strategy = queue.RRMemory
	wantSupport.Timeout = 20 * time.Second
	wantSupport.Retry = 5 * time.Second
	wantSupport.WrapUpTime = 10 * time.Second
	wantSupport.ServiceLevel = 30 * time.Second
	wantSupport.JoinEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyUnavailable, queue.EmptyInvalid}
	wantSupport.LeaveWhenEmpty = []queue.EmptyCondition{queue.EmptyUnavailable}
	wantSupport.AutoPause = queue.AutoPauseAll
	wantSupport.AutoPauseDelay = 60 * time.Second
	wantSupport.AutoPauseBusy = true
	wantSupport.AutoPauseUnavail = true
	wantSupport.TimeoutPriority = "conf"
	wantSupport.RingInUse = false      // std-queue: ringinuse = no
	wantSupport.SetInterfaceVar = true // std-queue
	wantSupport.ExitContext = "support-exit"
	wantSupport.Announce = "queue-markq" // std-queue: the agent hears which queue
	if !reflect.DeepEqual(support, wantSupport) {
		t.Errorf("support:\n got=%+v\nwant %+v", support, wantSupport)
	}

	billing := findQueue(t, res, "billing")
	wantBilling := wantSupport
	wantBilling.Name = "billing"
	wantBilling.Strategy = queue.Linear
	wantBilling.Timeout = 15 * time.Second
	wantBilling.Weight = 10
	wantBilling.Sounds = map[string]string{"queue-youarenext": "acme-youarenext"} // announce-heavy template
	wantBilling.ExitContext = ""                                                  // support's own, not the template's
	wantBilling.JoinEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyPenalty, queue.EmptyInvalid}
	wantBilling.LeaveWhenEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyPenalty, queue.EmptyUnavailable, queue.EmptyInvalid}
	wantBilling.AnnounceFrequency = 90 * time.Second
	wantBilling.MinAnnounceFrequency = 30 * time.Second
	wantBilling.AnnouncePosition = "limit"
	wantBilling.AnnouncePositionLimit = 3
	wantBilling.AnnounceHoldTime = "once"
	wantBilling.AnnounceRoundSeconds = 10
	wantBilling.PeriodicAnnounce = []string{"acme-please-hold", "acme-web"}
	wantBilling.PeriodicAnnounceFrequency = 45 * time.Second
	wantBilling.RandomPeriodicAnnounce = true
	if !reflect.DeepEqual(billing, wantBilling) {
		t.Errorf("billing:\n got=%+v\nwant %+v", billing, wantBilling)
	}

	// sales has bad values: each keeps the default and names its line.
	sales := findQueue(t, res, "sales")
	wantSales := queue.DefaultQueueConfig("sales")
	wantSales.MusicClass = "sales-music"
	wantSales.Record, wantSales.RecordFormat = queue.RecordAlways, "wav49" // monitor-format = wav49
	wantSales.Strategy = queue.WRandom
	wantSales.MaxLen = 12
	wantSales.PenaltyMembersLimit = 2
	wantSales.MemberDelay = 2 * time.Second
	wantSales.Weight = 5
	wantSales.ServiceLevel = 20 * time.Second
	wantSales.AutoPause = queue.AutoPauseYes
	wantSales.TimeoutRestart = true
	wantSales.PeriodicAnnounce = []string{"sales-offer", "sales-web", "sales-hours"}
	wantSales.AnnouncePosition = "more"
	wantSales.AnnounceHoldTime = "yes"
	if !reflect.DeepEqual(sales, wantSales) {
		t.Errorf("sales:\n got=%+v\nwant %+v", sales, wantSales)
	}

	if got, want := res.DefaultRules, map[string]string{"support": "escalate"}; !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultRules got=%v, want %v", got, want)
	}

	warnings := []struct {
		file   string
		line   int
		option string
		reason string
	}{
		// Lines 6, 7, 9 and 10 (persistentmembers=yes, autofill=yes,
		// shared_lastcall=yes, updatecdr=no) are what stasisq does anyway:
		// no notice (TestGeneralAsStasisqDoesIsQuiet).
		{"queues.conf", 8, "monitor-type", "recording"},
		{"queues.conf", 11, "negative_penalty_invalid", "become 0"},
		{"queues.conf", 24, "context", "exit keys"},
		{"queues.conf", 28, "member", "state interface"},
		{"queues.conf", 30, "member", "per-member wrapuptime"},
		{"sales.conf", 5, "timeout", `"abc" is not a whole number`},
		{"sales.conf", 6, "retry", "kept 5s"},
		{"sales.conf", 10, "ringinuse", "not yes or no"},
		{"sales.conf", 12, "announce-round-seconds", "not one of"},
		{"sales-members.conf", 2, "member", "negative penalty imported as 0"},
		{"sales-members.conf", 3, "member", "Agent/"},
		{"sales-members.conf", 4, "member", "one per agent"},
	}
	for _, w := range warnings {
		t.Run(fmt.Sprintf("%s:%d %s", w.file, w.line, w.option), func(t *testing.T) {
			wantWarning(t, res.Warnings, w.file, w.line, w.option, w.reason)
		})
	}
	// autopause=yes (sales.conf:11) and timeoutrestart=yes (15) are
	// carried over and implemented: no notice.
	for _, w := range res.Warnings {
		if filepath.Base(w.File) == "sales.conf" && (w.Line == 11 || w.Line == 15) {
			t.Errorf("sales.conf:%d %s warned: %s", w.Line, w.Option, w.Reason)
		}
	}
	// paused=yes on line 30 is carried over (TestMembersBecomeStaticAgents):
	// its only notice is the wrapuptime one.
	for _, w := range res.Warnings {
		if filepath.Base(w.File) == "queues.conf" && w.Line == 30 && strings.Contains(w.Reason, "paused") {
			t.Errorf("queues.conf:30 warned about paused=yes, which is carried over: %s", w.Reason)
		}
	}
}

func TestMembersBecomeStaticAgents(t *testing.T) {
	res := MustParseQueues(t, "testdata/acme/queues.conf")
	no, yes := false, true
	tests := []struct {
		id   string
		want queue.AgentConfig
	}{
		{"night-shift", queue.AgentConfig{ID: "night-shift", Name: "Night Shift", Device: "PJSIP/1099", Static: true,
			Queues: []queue.Membership{{Queue: "support", Penalty: 9}, {Queue: "billing", Penalty: 9}}}},
		{"alice-smith", queue.AgentConfig{ID: "alice-smith", Name: "Alice Smith", Device: "PJSIP/1001", Static: true, RingInUse: &no,
			Queues: []queue.Membership{{Queue: "support", Penalty: 0}, {Queue: "billing", Penalty: 5}}}},
		{"smith-bob", queue.AgentConfig{ID: "smith-bob", Name: "Smith, Bob", Device: "PJSIP/1002", Static: true, RingInUse: &yes,
			Queues: []queue.Membership{{Queue: "support", Penalty: 1}, {Queue: "sales", Penalty: 2}}}},
		{"carol-jones", queue.AgentConfig{ID: "carol-jones", Name: "Carol Jones", Device: "Local/1003@agents/n", Static: true,
			Queues: []queue.Membership{{Queue: "support", Penalty: 2}}}},
		{"pjsip-1004", queue.AgentConfig{ID: "pjsip-1004", Name: "PJSIP/1004", Device: "PJSIP/1004", Static: true,
			Queues: []queue.Membership{{Queue: "support", Penalty: 0}}}},
		// member => PJSIP/1005,3,Dave Brown,,,10,yes: starts paused in
		// support alone, as app_queue loads it.
		{"dave-brown", queue.AgentConfig{ID: "dave-brown", Name: "Dave Brown", Device: "PJSIP/1005", Static: true,
			Queues: []queue.Membership{{Queue: "support", Penalty: 3, Paused: true}}}},
		{"eve-adams", queue.AgentConfig{ID: "eve-adams", Name: "Eve Adams", Device: "PJSIP/1006", Static: true, RingInUse: &no,
			Queues: []queue.Membership{{Queue: "billing", Penalty: 0}}}},
		{"grace-hall", queue.AgentConfig{ID: "grace-hall", Name: "Grace Hall", Device: "PJSIP/2002", Static: true,
			Queues: []queue.Membership{{Queue: "sales", Penalty: 0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got := withoutOrder(findAgent(t, res.Agents, tt.id)) // TestMemberOrder
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got=%+v, want %+v", got, tt.want)
			}
		})
	}
	var ids []string
	for _, a := range res.Agents {
		ids = append(ids, a.ID)
	}
	want := []string{"night-shift", "alice-smith", "smith-bob", "carol-jones", "pjsip-1004", "dave-brown", "eve-adams", "frank-green", "grace-hall", "agent-three"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("agents got=%v, want %v (one per interface, in order of first appearance)", ids, want)
	}
}

// Every option line of the realistic set is either mapped or reported at its
// own file:line: nothing is dropped silently.
func TestNothingDroppedSilently(t *testing.T) {
	const path = "testdata/acme/queues.conf"
	res := MustParseQueues(t, path)
	cfg, err := loadConfig(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	reported := map[string]bool{}
	for _, w := range res.Warnings {
		reported[fmt.Sprintf("%s:%d", w.File, w.Line)] = true
	}
	// Options that map onto QueueConfig or AgentConfig without loss.
	mapped := map[string]bool{"member": true, "defaultrule": true}
	for _, name := range []string{"musicclass", "music", "musiconhold", "strategy", "timeout", "retry", "wrapuptime", "maxlen",
		"weight", "servicelevel", "joinempty", "leavewhenempty", "ringinuse", "autopause", "autopausedelay", "autopausebusy",
		"autopauseunavail", "timeoutpriority", "announce-frequency", "min-announce-frequency", "announce-position",
		"announce-position-limit", "announce-holdtime", "announce-round-seconds", "periodic-announce",
		"periodic-announce-frequency", "random-periodic-announce", "announce", "announce-to-first-user", "reportholdtime", "context", "setinterfacevar", "setqueuevar", "setqueueentryvar", "penaltymemberslimit", "memberdelay", "timeoutrestart", "monitor-format", "monitor-join", "recording"} {
		mapped[name] = true
	}
	for _, name := range queue.SoundOptions {
		mapped[name] = true
	}
	checked := 0
	for _, sec := range cfg.all {
		for _, v := range sec.Vars {
			checked++
			if mapped[strings.ToLower(v.Name)] && !strings.EqualFold(sec.Name, "general") {
				continue
			}
			if strings.EqualFold(sec.Name, "general") && generalAsStasisqDoes(v.Name, v.Value) {
				continue // what stasisq does anyway
			}
			if !reported[fmt.Sprintf("%s:%d", v.File, v.Line)] {
				t.Errorf("%s:%d [%s] %s=%s is neither mapped nor reported", v.File, v.Line, sec.Name, v.Name, v.Value)
			}
		}
	}
	if checked < 60 {
		t.Errorf("checked %d option lines, want the whole acme set (60+)", checked)
	}
}

func TestEveryQueueOption(t *testing.T) {
	no := false
	_ = no
	tests := []struct {
		line   string
		want   func(q *queue.QueueConfig) // sets what the line should change on the defaults
		reason string                     // part of the warning; "" means none expected
	}{
		{"musicclass = jazz", func(q *queue.QueueConfig) { q.MusicClass = "jazz" }, ""},
		{"music = jazz", func(q *queue.QueueConfig) { q.MusicClass = "jazz" }, ""},
		{"musiconhold=jazz", func(q *queue.QueueConfig) { q.MusicClass = "jazz" }, ""},
		{"strategy = ringall", func(q *queue.QueueConfig) {}, ""},
		{"strategy = leastrecent", func(q *queue.QueueConfig) { q.Strategy = queue.LeastRecent }, ""},
		{"strategy = fewestcalls", func(q *queue.QueueConfig) { q.Strategy = queue.FewestCalls }, ""},
		{"strategy = random", func(q *queue.QueueConfig) { q.Strategy = queue.Random }, ""},
		{"strategy = rrmemory", func(q *queue.QueueConfig) { q.Strategy = queue.RRMemory }, ""},
		{"strategy = rrordered", func(q *queue.QueueConfig) { q.Strategy = queue.RROrdered }, ""},
		{"strategy = linear", func(q *queue.QueueConfig) { q.Strategy = queue.Linear }, ""},
		{"strategy = wrandom", func(q *queue.QueueConfig) { q.Strategy = queue.WRandom }, ""},
		{"strategy = RRMemory", func(q *queue.QueueConfig) { q.Strategy = queue.RRMemory }, ""},
		{"strategy = roundrobin", func(q *queue.QueueConfig) { q.Strategy = queue.RRMemory }, "old name"},
		{"strategy = fastest", func(q *queue.QueueConfig) {}, "unknown strategy"},
		{"timeout = 30", func(q *queue.QueueConfig) { q.Timeout = 30 * time.Second }, ""},
		{"timeout = 0", func(q *queue.QueueConfig) {}, "ring until answered"},
		{"timeout = abc", func(q *queue.QueueConfig) {}, "not a whole number"},
		{"timeout = -5", func(q *queue.QueueConfig) {}, "negative timeout"},
		{"retry = 2", func(q *queue.QueueConfig) { q.Retry = 2 * time.Second }, ""},
		{"retry = 0", func(q *queue.QueueConfig) {}, "must be positive"},
		{"wrapuptime = 15", func(q *queue.QueueConfig) { q.WrapUpTime = 15 * time.Second }, ""},
		{"wrapuptime = 1.5", func(q *queue.QueueConfig) {}, "not a whole number"},
		{"maxlen = 10", func(q *queue.QueueConfig) { q.MaxLen = 10 }, ""},
		{"maxlen = -1", func(q *queue.QueueConfig) {}, "unlimited"},
		{"weight = 3", func(q *queue.QueueConfig) { q.Weight = 3 }, ""},
		{"servicelevel = 20", func(q *queue.QueueConfig) { q.ServiceLevel = 20 * time.Second }, ""},
		{"ringinuse = yes", func(q *queue.QueueConfig) { q.RingInUse = true }, ""},
		{"ringinuse = on", func(q *queue.QueueConfig) { q.RingInUse = true }, ""},
		{"ringinuse = sometimes", func(q *queue.QueueConfig) {}, "not yes or no"},
		{"joinempty = paused,inuse,invalid", func(q *queue.QueueConfig) {
			q.JoinEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyInUse, queue.EmptyInvalid}
		}, ""},
		{"joinempty = yes", func(q *queue.QueueConfig) { q.JoinEmpty = []queue.EmptyCondition{} }, ""},
		{"joinempty = no", func(q *queue.QueueConfig) {
			q.JoinEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyPenalty, queue.EmptyInvalid}
		}, ""},
		{"joinempty = strict", func(q *queue.QueueConfig) {
			q.JoinEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyPenalty, queue.EmptyUnavailable, queue.EmptyInvalid}
		}, ""},
		{"joinempty = loose", func(q *queue.QueueConfig) {
			q.JoinEmpty = []queue.EmptyCondition{queue.EmptyPenalty, queue.EmptyInvalid}
		}, ""},
		{"joinempty = paused, busy", func(q *queue.QueueConfig) { q.JoinEmpty = []queue.EmptyCondition{queue.EmptyPaused} }, `unknown condition " busy"`},
		{"leavewhenempty = yes", func(q *queue.QueueConfig) {
			q.LeaveWhenEmpty = []queue.EmptyCondition{queue.EmptyPaused, queue.EmptyPenalty, queue.EmptyInvalid}
		}, ""},
		{"leavewhenempty = no", func(q *queue.QueueConfig) { q.LeaveWhenEmpty = []queue.EmptyCondition{} }, ""},
		{"leavewhenempty = inuse,ringing,wrapup,unknown", func(q *queue.QueueConfig) {
			q.LeaveWhenEmpty = []queue.EmptyCondition{queue.EmptyInUse, queue.EmptyRinging, queue.EmptyUnknown, queue.EmptyWrapup}
		}, ""},
		{"autopause = no", func(q *queue.QueueConfig) {}, ""},
		{"autopause = all", func(q *queue.QueueConfig) { q.AutoPause = queue.AutoPauseAll }, ""},
		{"autopause = yes", func(q *queue.QueueConfig) { q.AutoPause = queue.AutoPauseYes }, ""},
		{"autopause = often", func(q *queue.QueueConfig) {}, "not yes, no or all"},
		{"autopausedelay = 30", func(q *queue.QueueConfig) { q.AutoPauseDelay = 30 * time.Second }, ""},
		{"autopausebusy = yes", func(q *queue.QueueConfig) { q.AutoPauseBusy = true }, ""},
		{"autopauseunavail = yes", func(q *queue.QueueConfig) { q.AutoPauseUnavail = true }, ""},
		{"timeoutpriority = conf", func(q *queue.QueueConfig) { q.TimeoutPriority = "conf" }, ""},
		{"timeoutpriority = app", func(q *queue.QueueConfig) {}, ""},
		{"timeoutpriority = both", func(q *queue.QueueConfig) {}, "not app or conf"},
		{"announce-frequency = 60", func(q *queue.QueueConfig) { q.AnnounceFrequency = time.Minute }, ""},
		{"min-announce-frequency = 20", func(q *queue.QueueConfig) { q.MinAnnounceFrequency = 20 * time.Second }, ""},
		{"announce-position = no", func(q *queue.QueueConfig) { q.AnnouncePosition = "no" }, ""},
		{"announce-position = more", func(q *queue.QueueConfig) { q.AnnouncePosition = "more" }, ""},
		{"announce-position = limit", func(q *queue.QueueConfig) { q.AnnouncePosition = "limit" }, ""},
		{"announce-position = loud", func(q *queue.QueueConfig) {}, "not yes, no, more or limit"},
		{"announce-position-limit = 8", func(q *queue.QueueConfig) { q.AnnouncePositionLimit = 8 }, ""},
		{"announce-holdtime = yes", func(q *queue.QueueConfig) { q.AnnounceHoldTime = "yes" }, ""},
		{"announce-holdtime = once", func(q *queue.QueueConfig) { q.AnnounceHoldTime = "once" }, ""},
		{"announce-holdtime = twice", func(q *queue.QueueConfig) {}, "not yes, no or once"},
		{"announce-round-seconds = 30", func(q *queue.QueueConfig) { q.AnnounceRoundSeconds = 30 }, ""},
		{"announce-round-seconds = 45", func(q *queue.QueueConfig) {}, "not one of"},
		{"periodic-announce = queue-periodic-announce", func(q *queue.QueueConfig) {
			q.PeriodicAnnounce = []string{"queue-periodic-announce"}
		}, ""},
		{"periodic-announce = a,b|c", func(q *queue.QueueConfig) { q.PeriodicAnnounce = []string{"a", "b", "c"} }, ""},
		{"periodic-announce-frequency = 60", func(q *queue.QueueConfig) { q.PeriodicAnnounceFrequency = time.Minute }, ""},
		{"random-periodic-announce = yes", func(q *queue.QueueConfig) { q.RandomPeriodicAnnounce = true }, ""},
		{"announce-to-first-user = yes", func(q *queue.QueueConfig) { q.AnnounceToFirstUser = true }, ""},
		{"reportholdtime = yes", func(q *queue.QueueConfig) { q.ReportHoldTime = true }, ""},
		{"announce = queue-sales&custom/brief", func(q *queue.QueueConfig) { q.Announce = "queue-sales&custom/brief" }, ""},
		{"reportholdtime = maybe", func(q *queue.QueueConfig) {}, "not yes or no"},
		{"context = qoutcon", func(q *queue.QueueConfig) { q.ExitContext = "qoutcon" }, "exit keys"},
		{"announce = queue-markq", func(q *queue.QueueConfig) { q.Announce = "queue-markq" }, ""},
		{"queue-callerannounce = you-are-being-connected", func(q *queue.QueueConfig) {}, "before bridging"},
		{"setinterfacevar = yes", func(q *queue.QueueConfig) { q.SetInterfaceVar = true }, ""},
		{"setqueuevar = yes", func(q *queue.QueueConfig) { q.SetQueueVar = true }, ""},
		{"setqueueentryvar = yes", func(q *queue.QueueConfig) { q.SetQueueEntryVar = true }, ""},
		{"monitor-format = wav", func(q *queue.QueueConfig) { q.Record, q.RecordFormat = queue.RecordAlways, "wav" }, ""},
		{"monitor-format = WAV", func(q *queue.QueueConfig) { q.Record, q.RecordFormat = queue.RecordAlways, "wav49" }, ""},
		{"monitor-format = gsm", func(q *queue.QueueConfig) { q.Record, q.RecordFormat = queue.RecordAlways, "gsm" }, ""},
		{"monitor-format = ogg", func(q *queue.QueueConfig) { q.Record, q.RecordFormat = queue.RecordAlways, "wav" }, "recorded in wav"},
		{"monitor-format =", func(q *queue.QueueConfig) { q.Record = queue.RecordNever }, ""},
		{"monitor-type = MixMonitor", func(q *queue.QueueConfig) {}, ""},
		{"monitor-type = Monitor", func(q *queue.QueueConfig) {}, "mixed in one file"},
		{"monitor-join = yes", func(q *queue.QueueConfig) { q.RecordFrom = queue.RecordFromJoin }, ""},
		{"monitor-join = perhaps", func(q *queue.QueueConfig) {}, "not yes or no"},
		{"recording = dontcare", func(q *queue.QueueConfig) { q.Record = queue.RecordOnDemand }, ""},
		{"recording = force", func(q *queue.QueueConfig) { q.Record = queue.RecordAlways }, ""},
		{"recording = sometimes", func(q *queue.QueueConfig) {}, "not always, dontcare or never"},
		{"membermacro = foo", func(q *queue.QueueConfig) {}, "macro"},
		{"membergosub = foo,s,1", func(q *queue.QueueConfig) {}, "gosub"},
		{"announce-position-only-up = yes", func(q *queue.QueueConfig) {}, "improved"},
		{"periodic-announce-startdelay = 10", func(q *queue.QueueConfig) {}, "first periodic"},
		{"relative-periodic-announce = yes", func(q *queue.QueueConfig) {}, "from the end"},
		{"penaltymemberslimit = 5", func(q *queue.QueueConfig) { q.PenaltyMembersLimit = 5 }, ""},
		{"autofill = no", func(q *queue.QueueConfig) {}, "parallel"},
		{"eventmemberstatus = yes", func(q *queue.QueueConfig) {}, "AMI"},
		{"eventwhencalled = vars", func(q *queue.QueueConfig) {}, "AMI"},
		{"memberdelay = 1", func(q *queue.QueueConfig) { q.MemberDelay = time.Second }, ""},
		{"timeoutrestart = yes", func(q *queue.QueueConfig) { q.TimeoutRestart = true }, ""},
		{"timeoutrestart = no", func(q *queue.QueueConfig) {}, ""},
		{"queue-youarenext = custom/next", func(q *queue.QueueConfig) { q.Sounds = map[string]string{"queue-youarenext": "custom/next"} }, ""},
		{"queue-thankyou =", func(q *queue.QueueConfig) { q.Sounds = map[string]string{"queue-thankyou": ""} }, ""},
		{"queue-reporthold = custom/hold", func(q *queue.QueueConfig) { q.Sounds = map[string]string{"queue-reporthold": "custom/hold"} }, ""},
		{"frobnicate = 1", func(q *queue.QueueConfig) {}, "unknown option"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			opts := memFS(map[string]string{"q.conf": "[q]\n" + tt.line + "\n"})
			res, err := ParseQueues("q.conf", opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Queues) != 1 {
				t.Fatalf("queues got=%d, want 1", len(res.Queues))
			}
			want := queue.DefaultQueueConfig("q")
			tt.want(&want)
			if !reflect.DeepEqual(res.Queues[0], want) {
				t.Errorf("queue:\n got=%+v\nwant %+v", res.Queues[0], want)
			}
			switch {
			case tt.reason == "" && len(res.Warnings) > 0:
				t.Errorf("unexpected warnings:\n%s", dump(res.Warnings))
			case tt.reason != "":
				name, _, _ := strings.Cut(tt.line, "=")
				wantWarning(t, res.Warnings, "q.conf", 2, strings.TrimSpace(name), tt.reason)
			}
		})
	}
}

func TestMemberLines(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name   string
		conf   string
		want   []queue.AgentConfig
		reason string
	}{
		{"interface only", "[q]\nmember => PJSIP/1001\n",
			[]queue.AgentConfig{{ID: "pjsip-1001", Name: "PJSIP/1001", Device: "PJSIP/1001", Static: true, Queues: []queue.Membership{{Queue: "q"}}}}, ""},
		{"all seven fields", "[q]\nmember => PJSIP/1001,4,Ann Lee,PJSIP/1001,yes,0,no\n",
			[]queue.AgentConfig{{ID: "ann-lee", Name: "Ann Lee", Device: "PJSIP/1001", Static: true, RingInUse: &yes, Queues: []queue.Membership{{Queue: "q", Penalty: 4}}}}, ""},
		{"escaped semicolon in the name", "[q]\nmember => PJSIP/1001,0,Ann\\;Lee ; a comment\n",
			[]queue.AgentConfig{{ID: "ann-lee", Name: "Ann;Lee", Device: "PJSIP/1001", Static: true, Queues: []queue.Membership{{Queue: "q"}}}}, ""},
		{"member= with equals", "[q]\nmember=PJSIP/1001,1\n",
			[]queue.AgentConfig{{ID: "pjsip-1001", Name: "PJSIP/1001", Device: "PJSIP/1001", Static: true, Queues: []queue.Membership{{Queue: "q", Penalty: 1}}}}, ""},
		{"bad penalty", "[q]\nmember => PJSIP/1001,high\n",
			[]queue.AgentConfig{{ID: "pjsip-1001", Name: "PJSIP/1001", Device: "PJSIP/1001", Static: true, Queues: []queue.Membership{{Queue: "q"}}}}, "not a whole number"},
		{"negative penalty invalid", "[general]\nnegative_penalty_invalid = yes\n[q]\nmember => PJSIP/1001,-1\n", nil, "logged off"},
		{"no interface", "[q]\nmember => ,1,Nobody\n", nil, "without an interface"},
		{"not tech/resource", "[q]\nmember => 1001\n", nil, "Technology/resource"},
		{"bad ringinuse", "[q]\nmember => PJSIP/1001,0,,,perhaps\n",
			[]queue.AgentConfig{{ID: "pjsip-1001", Name: "PJSIP/1001", Device: "PJSIP/1001", Static: true, Queues: []queue.Membership{{Queue: "q"}}}}, "queue's ringinuse applies"},
		{"hint state interface", "[q]\nmember => Local/1001@from-queue/n,0,Ann,hint:1001@ext-local\n",
			[]queue.AgentConfig{{ID: "ann", Name: "Ann", Device: "Local/1001@from-queue/n", Static: true, Queues: []queue.Membership{{Queue: "q"}}}}, "hint:1001@ext-local"},
		{"chan_sip", "[q]\nmember => SIP/1001\n",
			[]queue.AgentConfig{{ID: "sip-1001", Name: "SIP/1001", Device: "SIP/1001", Static: true, Queues: []queue.Membership{{Queue: "q"}}}}, "chan_sip"},
		{"same name, two interfaces", "[q]\nmember => PJSIP/1001,0,Desk\nmember => PJSIP/1002,0,Desk\n",
			[]queue.AgentConfig{
				{ID: "desk", Name: "Desk", Device: "PJSIP/1001", Static: true, Queues: []queue.Membership{{Queue: "q"}}},
				{ID: "desk-2", Name: "Desk", Device: "PJSIP/1002", Static: true, Queues: []queue.Membership{{Queue: "q"}}},
			}, "shares the member name"},
		{"listed twice", "[q]\nmember => PJSIP/1001,1\nmember => pjsip/1001,3\n",
			[]queue.AgentConfig{{ID: "pjsip-1001", Name: "PJSIP/1001", Device: "PJSIP/1001", Static: true, Queues: []queue.Membership{{Queue: "q", Penalty: 3}}}}, "listed twice"},
		{"ringinuse set in second queue", "[a]\nmember => PJSIP/1001\n[b]\nmember => PJSIP/1001,0,,,no\n",
			[]queue.AgentConfig{{ID: "pjsip-1001", Name: "PJSIP/1001", Device: "PJSIP/1001", Static: true, RingInUse: &no,
				Queues: []queue.Membership{{Queue: "a"}, {Queue: "b"}}}}, ""},
		{"extra fields", "[q]\nmember => PJSIP/1001,0,,,,,,surplus\n",
			[]queue.AgentConfig{{ID: "pjsip-1001", Name: "PJSIP/1001", Device: "PJSIP/1001", Static: true, Queues: []queue.Membership{{Queue: "q"}}}}, "seventh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": tt.conf}))
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.want) == 0 && len(res.Agents) == 0 {
				res.Agents = nil
			}
			for i := range res.Agents {
				res.Agents[i] = withoutOrder(res.Agents[i]) // TestMemberOrder
			}
			if !reflect.DeepEqual(res.Agents, tt.want) {
				t.Errorf("agents:\n got=%+v\nwant %+v", res.Agents, tt.want)
			}
			var memberWarnings []Warning
			for _, w := range res.Warnings {
				if w.Option == "member" {
					memberWarnings = append(memberWarnings, w)
				}
			}
			if tt.reason == "" {
				if len(memberWarnings) > 0 {
					t.Errorf("unexpected warnings:\n%s", dump(memberWarnings))
				}
				return
			}
			found := false
			for _, w := range memberWarnings {
				found = found || strings.Contains(w.Reason, tt.reason)
			}
			if !found {
				t.Errorf("no member warning containing %q; got:\n%s", tt.reason, dump(res.Warnings))
			}
		})
	}
}

func TestIncludeLoop(t *testing.T) {
	_, err := ParseQueues("testdata/loop/a.conf", Options{})
	if err == nil {
		t.Fatal("got no error, want an include loop")
	}
	for _, part := range []string{"include loop", "testdata/loop/a.conf -> testdata/loop/b.conf -> testdata/loop/a.conf"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error got=%q, want it to contain %q", err, part)
		}
	}
}

func TestSelfInclude(t *testing.T) {
	_, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": "[q]\n#include q.conf\n"}))
	if err == nil || !strings.Contains(err.Error(), "include loop") {
		t.Fatalf("error got=%v, want an include loop", err)
	}
}

func TestMissingInclude(t *testing.T) {
	_, err := ParseQueues("testdata/missing.conf", Options{})
	if err == nil {
		t.Fatal("got no error, want the missing include named")
	}
	if !strings.Contains(err.Error(), "does-not-exist.conf") || !strings.Contains(err.Error(), "missing.conf:2") {
		t.Errorf("error got=%q, want it to name does-not-exist.conf and missing.conf:2", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error got=%v, want it to wrap fs.ErrNotExist", err)
	}
}

func TestTryIncludeMissingIsFine(t *testing.T) {
	res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": "#tryinclude <local.conf>\n[q]\nweight=2\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queues) != 1 || res.Queues[0].Weight != 2 {
		t.Errorf("queues got=%+v, want q with weight 2", res.Queues)
	}
}

func TestSyntax(t *testing.T) {
	tests := []struct {
		name string
		conf string
		want func(q *queue.QueueConfig)
	}{
		{"block comment mid-line", "[q]\nweight = 4 ;-- hidden\nweight = 9\n--; maxlen = 3\n", func(q *queue.QueueConfig) { q.Weight = 4; q.MaxLen = 3 }},
		{"nested block comments", "[q]\n;-- outer ;-- inner --; still hidden\nweight = 9 --;\nmaxlen=2\n", func(q *queue.QueueConfig) { q.MaxLen = 2 }},
		{"ruler is a plain comment", "[q]\n;-----------------\nweight = 1\n", func(q *queue.QueueConfig) { q.Weight = 1 }},
		{"tabs and CRLF", "[q]\r\n\tweight\t=\t7\t\r\n", func(q *queue.QueueConfig) { q.Weight = 7 }},
		{"template chain", "[base](!)\nweight=1\nmaxlen=5\n[mid](!,base)\nweight=2\n[q](mid)\nmaxlen=6\n", func(q *queue.QueueConfig) { q.Weight = 2; q.MaxLen = 6 }},
		{"append to section", "[q]\nweight=1\n[q](+)\nmaxlen=4\n", func(q *queue.QueueConfig) { q.Weight = 1; q.MaxLen = 4 }},
		{"plus-equals appends", "[q]\nperiodic-announce = a\nperiodic-announce += ,b\n", func(q *queue.QueueConfig) { q.PeriodicAnnounce = []string{"a", "b"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": tt.conf}))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Queues) != 1 {
				t.Fatalf("queues got=%+v, want just q", res.Queues)
			}
			want := queue.DefaultQueueConfig("q")
			tt.want(&want)
			if !reflect.DeepEqual(res.Queues[0], want) {
				t.Errorf("got=%+v\nwant %+v", res.Queues[0], want)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct{ name, conf, want string }{
		{"option before any section", "weight = 1\n", "outside any [section]"},
		{"unclosed section", "[q\n", "no closing ']'"},
		{"unknown template", "[q](nope)\n", `inherits from "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": tt.conf}))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "q.conf:1") {
				t.Errorf("error got=%v, want q.conf:1 and %q", err, tt.want)
			}
		})
	}
}

// Files Asterisk's config loader reads, with a warning where it logs one:
// the importer reads them the same way instead of refusing them.
func TestLenientSyntaxAsAsteriskReadsIt(t *testing.T) {
	tests := []struct {
		name, conf string
		want       func(*queue.QueueConfig)
		warning    string // "" for none
	}{
		{"byte order mark", "\ufeff[q]\nweight = 3\n", func(q *queue.QueueConfig) { q.Weight = 3 }, ""},
		{"#warning", "#warning check this\n[q]\nweight = 3\n", func(q *queue.QueueConfig) { q.Weight = 3 }, "unknown directive #warning"},
		{"unknown directive", "[q]\n#frob x\nweight = 3\n", func(q *queue.QueueConfig) { q.Weight = 3 }, "unknown directive #frob"},
		{"#include with no file", "#include\n[q]\nweight = 3\n", func(q *queue.QueueConfig) { q.Weight = 3 }, "names no file"},
		{"text after ]", "[q] ; old\n[r]junk\nweight = 3\n", nil, "text after [r] is ignored"},
		{"template named in another case", "[TPL](!)\nweight = 3\n[q](tpl)\n", func(q *queue.QueueConfig) { q.Weight = 3 }, ""},
		{"a second section in another case", "[q]\nweight = 3\n[Q]\nweight = 4\n", func(q *queue.QueueConfig) { q.Weight = 3 }, "a second [Q] section"},
		{"(+) in another case", "[Q]\nweight = 3\n[q](+)\nmaxlen = 4\n", func(q *queue.QueueConfig) { q.Weight, q.MaxLen = 3, 4 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": tt.conf}))
			if err != nil {
				t.Fatalf("Asterisk reads this file; got %v", err)
			}
			var ws []string
			for _, w := range res.Warnings {
				ws = append(ws, w.String())
			}
			switch {
			case tt.warning == "" && len(ws) > 0:
				t.Errorf("warnings %q, want none", ws)
			case tt.warning != "" && !strings.Contains(strings.Join(ws, "\n"), tt.warning):
				t.Errorf("warnings %q, want one saying %q", ws, tt.warning)
			}
			if tt.want == nil {
				return
			}
			if len(res.Queues) != 1 {
				t.Fatalf("queues %+v, want one", res.Queues)
			}
			want := queue.DefaultQueueConfig(res.Queues[0].Name)
			tt.want(&want)
			if !reflect.DeepEqual(res.Queues[0], want) {
				t.Errorf("got=%+v\nwant %+v", res.Queues[0], want)
			}
		})
	}
}

func TestDuplicateQueueSection(t *testing.T) {
	res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": "[q]\nweight=1\n[q]\nweight=2\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queues) != 1 || res.Queues[0].Weight != 1 {
		t.Errorf("queues got=%+v, want one q with weight 1", res.Queues)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Line != 3 {
		t.Errorf("warnings got:\n%s\nwant one at line 3", dump(res.Warnings))
	}
}

// A queue with no options is app_queue's init_queue: each option left out
// of queues.conf means what it means to Asterisk 22.
func TestOptionsLeftOutAreAppQueueDefaults(t *testing.T) {
	res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": "[q]\n"}))
	if err != nil || len(res.Queues) != 1 {
		t.Fatalf("got %+v, %v", res.Queues, err)
	}
	q := res.Queues[0]
	for _, c := range []struct {
		option string
		got    any
		want   any
	}{
		{"strategy", q.Strategy, queue.RingAll},
		{"timeout (DEFAULT_TIMEOUT)", q.Timeout, 15 * time.Second},
		{"retry (DEFAULT_RETRY)", q.Retry, 5 * time.Second},
		{"maxlen", q.MaxLen, 0},
		{"announce-frequency", q.AnnounceFrequency, time.Duration(0)},
		{"min-announce-frequency", q.MinAnnounceFrequency, 15 * time.Second},
		{"announce-holdtime", q.AnnounceHoldTime, "yes"},
		{"announce-position", q.AnnouncePosition, "yes"},
		{"announce-position-limit", q.AnnouncePositionLimit, 10},
		{"announce-round-seconds", q.AnnounceRoundSeconds, 0},
		{"servicelevel", q.ServiceLevel, time.Duration(0)},
		{"ringinuse", q.RingInUse, true},
		{"wrapuptime", q.WrapUpTime, time.Duration(0)},
		{"joinempty", len(q.JoinEmpty), 0},
		{"leavewhenempty", len(q.LeaveWhenEmpty), 0},
		{"weight", q.Weight, 0},
		{"periodic-announce-frequency", q.PeriodicAnnounceFrequency, time.Duration(0)},
		{"random-periodic-announce", q.RandomPeriodicAnnounce, false},
		{"announce-to-first-user", q.AnnounceToFirstUser, false},
		{"reportholdtime", q.ReportHoldTime, false},
		{"announce", q.Announce, ""},
		{"autopause", q.AutoPause, queue.AutoPauseNo},
		{"autopausedelay", q.AutoPauseDelay, time.Duration(0)},
		{"timeoutpriority", q.TimeoutPriority, "app"},
	} {
		if c.got != c.want {
			t.Errorf("%s left out: got %v, want app_queue's %v", c.option, c.got, c.want)
		}
	}
}

// withoutOrder is a with its memberships' Order cleared, for tests about
// other fields.
func withoutOrder(a queue.AgentConfig) queue.AgentConfig {
	a.Queues = slices.Clone(a.Queues)
	for i := range a.Queues {
		a.Queues[i].Order = 0
	}
	return a
}

// Each queue's member => lines keep their order (linear and rrordered ring
// by it), independently of the other queues' and of the agents' names.
func TestMemberOrder(t *testing.T) {
	conf := "[a]\nmember => PJSIP/3,0,Zoe\nmember => PJSIP/1,0,Amy\nmember => PJSIP/2,0,Max\n" +
		"[b]\nmember => PJSIP/2,0,Max\nmember => PJSIP/3,0,Zoe\n"
	res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": conf}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, a := range res.Agents {
		for _, m := range a.Queues {
			q := got[m.Queue]
			for len(q) < m.Order {
				q = append(q, "")
			}
			q[m.Order-1] = a.ID
			got[m.Queue] = q
		}
	}
	want := map[string][]string{"a": {"zoe", "amy", "max"}, "b": {"max", "zoe"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("member order by queue: got %v, want %v (the member => lines)", got, want)
	}
}

func TestLoginsFromMemberNames(t *testing.T) {
	long := strings.Repeat("Bartholomew ", 8)
	for _, tc := range []struct{ name, want string }{
		{"Ålice", "alice"},
		{"José Müller", "jose-muller"},
		{"Straße Øst", "strasse-ost"},
		{"Łukasz", "lukasz"},
		{long, strings.TrimRight(strings.Repeat("bartholomew-", 8)[:maxSlug], "-")},
	} {
		got := slug(tc.name)
		if got != tc.want || !queue.ValidName(got) {
			t.Errorf("slug(%q) = %q, want %q (a valid login)", tc.name, got, tc.want)
		}
	}
}

// Old files: Latin-1 text, Asterisk 1.4's '|' separator, a defaultrule
// with no queuerules.conf given, an empty context.
func TestOldFiles(t *testing.T) {
	t.Run("latin-1", func(t *testing.T) {
		res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": "[q]\nmember => PJSIP/1,0,J\xe9r\xf4me\n"}))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Agents) != 1 || res.Agents[0].Name != "Jérôme" || res.Agents[0].ID != "jerome" {
			t.Errorf("agents %+v, want Jérôme (jerome)", res.Agents)
		}
		if !strings.Contains(dump(res.Warnings), "read as Latin-1") {
			t.Errorf("warnings:\n%s\nwant one saying the file was read as Latin-1", dump(res.Warnings))
		}
	})
	t.Run("pipe separator", func(t *testing.T) {
		res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": "[q]\nmember => SIP/200|5\n"}))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Agents) != 1 || res.Agents[0].Device != "SIP/200" || res.Agents[0].Queues[0].Penalty != 5 {
			t.Errorf("agents %+v, want SIP/200 at penalty 5", res.Agents)
		}
		if !strings.Contains(dump(res.Warnings), "old '|' separator") {
			t.Errorf("warnings:\n%s\nwant one about the old separator", dump(res.Warnings))
		}
	})
	t.Run("empty context", func(t *testing.T) {
		res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": "[q]\ncontext =\n"}))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Warnings) != 0 || res.Queues[0].ExitContext != "" {
			t.Errorf("warnings:\n%s exit context %q, want none and none", dump(res.Warnings), res.Queues[0].ExitContext)
		}
	})
	t.Run("defaultrule without queuerules.conf", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "queues.conf")
		if err := os.WriteFile(path, []byte("[q]\ndefaultrule = escalate\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		set, err := ReadImport(Files{Queues: path})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(dump(set.Warnings), "--queuerules") {
			t.Errorf("warnings:\n%s\nwant one saying to give --queuerules", dump(set.Warnings))
		}
	})
}

// A member first listed without a name takes the name a later line gives
// it, and its login from that name.
func TestLaterMemberNameWins(t *testing.T) {
	res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": "[a]\nmember => PJSIP/1\n[b]\nmember => PJSIP/1,0,Ann Lee\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Agents) != 1 || res.Agents[0].ID != "ann-lee" || res.Agents[0].Name != "Ann Lee" || len(res.Agents[0].Queues) != 2 {
		t.Errorf("agents %+v, want one, ann-lee (Ann Lee), in a and b", res.Agents)
	}
}

// A re-import finds each agent by its device: one renamed in the console,
// or given a member name in the file since, is the same agent.
func TestReimportMatchesAgentsByDevice(t *testing.T) {
	ex := &ExistingConfig{Agents: map[string]queue.AgentConfig{
		"alice": {ID: "alice", Name: "Alice", Device: "PJSIP/1001", Static: true, Queues: []queue.Membership{{Queue: "q"}}},
		"bob":   {ID: "bob", Name: "Bob", Device: "PJSIP/1002", Static: true, Queues: []queue.Membership{{Queue: "q"}}},
	}}
	set := Import{Agents: []queue.AgentConfig{
		{ID: "alice-smith", Name: "Alice Smith", Device: "pjsip/1001", Static: true, Queues: []queue.Membership{{Queue: "q"}}},
		{ID: "pjsip-1002", Name: "PJSIP/1002", Device: "PJSIP/1002", Static: true, Queues: []queue.Membership{{Queue: "q"}}},
	}}
	got := map[string]Change{}
	plan, err := Plan(set, ex)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range plan {
		got[ch.ID] = ch
	}
	if ch, ok := got["alice"]; !ok || ch.Agent.Name != "Alice Smith" || ch.Status != StatusChanged {
		t.Errorf("PJSIP/1001: %+v, want alice, renamed Alice Smith by the file", ch)
	}
	if ch, ok := got["bob"]; !ok || ch.Agent.Name != "Bob" || ch.Status != StatusUnchanged {
		t.Errorf("PJSIP/1002: %+v, want bob, unchanged (the file names no one)", ch)
	}
	if len(got) != 2 {
		t.Errorf("plan %v, want the two existing agents only", keys(got))
	}
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// The report says a reason shared by many lines once, with a count, and
// says so when the files hold no queue at all.
func TestReportIsShort(t *testing.T) {
	var conf strings.Builder
	conf.WriteString("[q]\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&conf, "member => SIP/%d\n", 1000+i)
	}
	conf.WriteString("eventwhencalled = yes\n")
	res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": conf.String()}))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	plan, err := Plan(Import{Queues: res.Queues, Agents: res.Agents}, &ExistingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	WriteReport(&out, plan, res.Warnings, "test")
	report := out.String()
	if n := strings.Count(report, "chan_sip"); n != 1 {
		t.Errorf("the chan_sip notice appears %d times, want once with a count:\n%s", n, report)
	}
	if !strings.Contains(report, "500 lines (q.conf:2, q.conf:3, q.conf:4 and 497 more): chan_sip") {
		t.Errorf("report has no counted chan_sip line:\n%s", report)
	}
	if !strings.Contains(report, "q.conf:502: [q] eventwhencalled=yes") {
		t.Errorf("a notice of its own is not listed with its line:\n%s", report)
	}

	out.Reset()
	WriteReport(&out, nil, nil, "test")
	if !strings.Contains(out.String(), "define no queue") {
		t.Errorf("no-queue report:\n%s\nwant it to say the files define no queue", out.String())
	}
}

func TestGeneralAsStasisqDoesIsQuiet(t *testing.T) {
	res := MustParseQueuesText(t, "[general]\nautofill = yes\nshared_lastcall = yes\nupdatecdr = no\npersistentmembers = yes\nautofill = no\n[q]\n")
	if len(res.Warnings) != 1 || res.Warnings[0].Line != 6 {
		t.Errorf("warnings:\n%s\nwant only line 6 (autofill = no, which stasisq cannot do)", dump(res.Warnings))
	}
}

// MustParseQueuesText parses conf as the file q.conf.
func MustParseQueuesText(t *testing.T, conf string) Result {
	t.Helper()
	res, err := ParseQueues("q.conf", memFS(map[string]string{"q.conf": conf}))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// An option of a template is reported once, at the template, however many
// queues inherit it.
func TestTemplateOptionReportedOnce(t *testing.T) {
	res := MustParseQueuesText(t, "[std](!)\nmonitor-type = Monitor\n[a](std)\n[b](std)\n")
	if len(res.Warnings) != 1 || res.Warnings[0].Section != "std" || res.Warnings[0].Line != 2 {
		t.Errorf("warnings:\n%s\nwant one, for [std] line 2", dump(res.Warnings))
	}
}
