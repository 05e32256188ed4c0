package queuesconf

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

func TestParseRules(t *testing.T) {
	rules, ws, err := ParseRules("testdata/acme/queuerules.conf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]queue.PenaltyRule{
		"escalate": {
			{After: 30 * time.Second, MaxPenalty: 5, MinPenalty: 1},                                         // 30,5,1
			{After: 60 * time.Second, MaxPenalty: 2, MaxRelative: true, MinRelative: true},                  // 60,+2
			{After: 120 * time.Second, MaxPenalty: 0, MaxRelative: true, MinPenalty: 0, MinRelative: false}, // 120, ,0
			{After: 240 * time.Second, MaxPenalty: 10, MinPenalty: 2},                                       // 240,10,2,3
		},
		"unused": {{After: 10 * time.Second, MaxPenalty: -1, MaxRelative: true, MinPenalty: 1, MinRelative: true}},
	}
	if !reflect.DeepEqual(rules, want) {
		t.Errorf("rules:\n got=%+v\nwant %+v", rules, want)
	}
	wantWarning(t, ws, "queuerules.conf", 2, "realtime_rules", "realtime")
	wantWarning(t, ws, "queuerules.conf", 8, "penaltychange", "raise penalty")
	wantWarning(t, ws, "queuerules.conf", 9, "penaltychange", `"soon"`)
	if len(ws) != 3 {
		t.Errorf("warnings got:\n%s\nwant 3", dump(ws))
	}
}

func TestApplyAttachesDefaultRule(t *testing.T) {
	res := MustParseQueues(t, "testdata/acme/queues.conf")
	rules, _, err := ParseRules("testdata/acme/queuerules.conf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	applied := Apply(res, rules)
	if got := findQueue(t, applied, "support").Rules; !reflect.DeepEqual(got, rules["escalate"]) {
		t.Errorf("support rules got=%+v, want %+v", got, rules["escalate"])
	}
	if got := findQueue(t, applied, "billing").Rules; got != nil {
		t.Errorf("billing rules got=%+v, want none", got)
	}
	if got := findQueue(t, res, "support").Rules; got != nil {
		t.Errorf("Apply changed its input: support rules got=%+v", got)
	}

	// A defaultrule naming no rule is reported at its line.
	missing := Apply(res, map[string][]queue.PenaltyRule{"other": nil})
	wantWarning(t, missing.Warnings, "queues.conf", 25, "defaultrule", "no rule of that name")
	if got := findQueue(t, missing, "support").Rules; got != nil {
		t.Errorf("support rules got=%+v, want none", got)
	}
	if len(missing.Warnings) != len(res.Warnings)+1 {
		t.Errorf("warnings got=%d, want %d", len(missing.Warnings), len(res.Warnings)+1)
	}
}

func TestParseAgentsPool(t *testing.T) {
	agents, ws, err := ParseAgents("testdata/acme/agents.conf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []queue.AgentConfig{{ID: "3001", Name: "Agent Three"}, {ID: "3002", Name: "Henry Irwin"}}
	if !reflect.DeepEqual(agents, want) {
		t.Errorf("agents got=%+v, want %+v", agents, want)
	}
	// Template options are reported at the template's lines, once per agent.
	wantWarning(t, ws, "agents.conf", 5, "ackcall", "browser")
	wantWarning(t, ws, "agents.conf", 6, "autologoff", "autopause")
	wantWarning(t, ws, "agents.conf", 7, "wrapuptime", "each queue's wrapuptime")
	wantWarning(t, ws, "agents.conf", 8, "musiconhold", "hold music")
	wantWarning(t, ws, "agents.conf", 15, "recordagentcalls", "recording")
	noDevice := 0
	for _, w := range ws {
		if strings.Contains(w.Reason, "has no device") {
			noDevice++
		}
	}
	if noDevice != 2 {
		t.Errorf("no-device warnings got=%d, want 2:\n%s", noDevice, dump(ws))
	}
}

func TestParseAgentsLegacy(t *testing.T) {
	agents, ws, err := ParseAgents("testdata/legacy-agents.conf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []queue.AgentConfig{{ID: "1001", Name: "Mark Spencer"}, {ID: "1002", Name: "Will Meadows"}, {ID: "1003", Name: "1003"}}
	if !reflect.DeepEqual(agents, want) {
		t.Errorf("agents got=%+v, want %+v", agents, want)
	}
	wantWarning(t, ws, "legacy-agents.conf", 3, "persistentagents", "database")
	wantWarning(t, ws, "legacy-agents.conf", 6, "autologoff", "autopause")
	wantWarning(t, ws, "legacy-agents.conf", 7, "maxlogintries", "password")
	wantWarning(t, ws, "legacy-agents.conf", 8, "group", "memberships")
	wantWarning(t, ws, "legacy-agents.conf", 9, "password", "set them in the UI")
	wantWarning(t, ws, "legacy-agents.conf", 10, "password", "set them in the UI")
	if _, ok := findWarning(ws, "legacy-agents.conf", 11, "password"); ok {
		t.Errorf("agent 1003 has no password, got a password warning")
	}
	for _, w := range ws {
		if strings.Contains(w.String(), "4321") {
			t.Errorf("a warning leaks the password: %s", w)
		}
	}
}

func TestParseAgentsDuplicate(t *testing.T) {
	agents, ws, err := ParseAgents("a.conf", memFS(map[string]string{"a.conf": "[agents]\nagent => 1,,A\nagent => 1,,B\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []queue.AgentConfig{{ID: "1", Name: "A"}}; !reflect.DeepEqual(agents, want) {
		t.Errorf("agents got=%+v, want %+v", agents, want)
	}
	wantWarning(t, ws, "a.conf", 3, "agent", "defined twice")
}
