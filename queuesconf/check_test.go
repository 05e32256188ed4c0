package queuesconf

import (
	"strings"
	"testing"
)

func TestUnaccountedAcme(t *testing.T) {
	res := MustParseQueues(t, "testdata/acme/queues.conf")
	rules, rws, err := ParseRules("testdata/acme/queuerules.conf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	res = Apply(res, rules)
	_, aws, err := ParseAgents("testdata/acme/agents.conf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		kind Kind
		path string
		ws   []Warning
	}{
		{"queues", QueuesConf, "testdata/acme/queues.conf", res.Warnings},
		{"rules", QueueRulesConf, "testdata/acme/queuerules.conf", rws},
		{"agents", AgentsConf, "testdata/acme/agents.conf", aws},
		{"legacy agents", AgentsConf, "testdata/legacy-agents.conf", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := tt.ws
			if ws == nil {
				_, ws, err = ParseAgents(tt.path, Options{})
				if err != nil {
					t.Fatal(err)
				}
			}
			lost, err := Unaccounted(tt.kind, tt.path, Options{}, ws)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lost {
				t.Errorf("neither mapped nor reported: %s", l)
			}
		})
	}
}

// The checker must be able to fail: without the warnings, the options that
// are only reported show up.
func TestUnaccountedFindsSilentLoss(t *testing.T) {
	conf := "[general]\nautofill=no\n[q]\nweight=2\nmonitor-type=Monitor\ntimeout=0\n"
	lost, err := Unaccounted(QueuesConf, "q.conf", memFS(map[string]string{"q.conf": conf}), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lost {
		got = append(got, l.Option)
	}
	if want := "autofill monitor-type timeout"; strings.Join(got, " ") != want {
		t.Errorf("unaccounted got=%v, want %s", got, want)
	}
}

func TestUnusableQueueNameAndUnusedTemplate(t *testing.T) {
	conf := "[spare](!)\nweight=3\n[Sales Queue]\nweight=1\nmember => PJSIP/1001\n[ok]\nweight=2\n"
	opts := memFS(map[string]string{"q.conf": conf})
	res, err := ParseQueues("q.conf", opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queues) != 1 || res.Queues[0].Name != "ok" {
		t.Errorf("queues got=%+v, want just ok", res.Queues)
	}
	if len(res.Agents) != 0 {
		t.Errorf("agents got=%+v, want none: the member's queue was not imported", res.Agents)
	}
	wantWarning(t, res.Warnings, "q.conf", 1, "", "used by no section")
	wantWarning(t, res.Warnings, "q.conf", 3, "", "cannot be used")
	lost, err := Unaccounted(QueuesConf, "q.conf", opts, res.Warnings)
	if err != nil {
		t.Fatal(err)
	}
	if len(lost) != 0 {
		t.Errorf("unaccounted got=%v, want none", lost)
	}
}
