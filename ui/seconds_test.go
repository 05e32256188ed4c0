package ui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

func TestSecondsFormat(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{15 * time.Second, "15"},
		{500 * time.Millisecond, "0.5"},
		{time.Second + time.Nanosecond, "1.000000001"},
		{-1500 * time.Millisecond, "-1.5"},
		{90 * time.Minute, "5400"},
	}
	for _, tt := range tests {
		got := string(formatSeconds(nil, int64(tt.d)))
		if got != tt.want {
			t.Errorf("formatSeconds(%v) got=%s, want %s", tt.d, got, tt.want)
		}
		back, err := parseSeconds(json.Number(got))
		if err != nil || back != tt.d {
			t.Errorf("parseSeconds(%s) got=%v (%v), want %v", got, back, err, tt.d)
		}
	}
	for _, bad := range []string{"1e300", "-1e300", "x"} {
		if _, err := parseSeconds(json.Number(bad)); err == nil {
			t.Errorf("parseSeconds(%s) accepted", bad)
		}
	}
}

// The API speaks seconds for every duration at any depth (a queue's
// settings, its penalty rules, a caller's expected wait, the day's sums),
// and everything else exactly as encoding/json does.
func TestMarshalAPISeconds(t *testing.T) {
	cfg := queue.DefaultQueueConfig("sales")
	cfg.Rules = []queue.PenaltyRule{{After: 90 * time.Second, MaxPenalty: 2}}
	snap := queue.Snapshot{
		At: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC),
		Queues: []queue.QueueView{{Config: cfg,
			Callers:  []queue.CallerView{{ID: "c1", Queue: "sales", Position: 1, ExpectedWait: 2500 * time.Millisecond}},
			RealTime: queue.RealTime{LongestWait: 61 * time.Second, Agents: map[queue.AgentState]int{queue.AgentAvailable: 2}, Today: queue.QueueInterval{WaitMax: 9 * time.Second}}}},
	}
	b, err := MarshalAPI(snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"timeout":15,`, `"retry":5,`, `"min_announce_frequency":15,`, `"rules":[{"after":90,`,
		`"expected_wait":2.5}`, `"longest_wait":61,`, `"wait_max":9,`, `"at":"2026-12-05T09:00:00Z"`, `"agents":{"available":2}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("MarshalAPI got=%s\nwant it to contain %s", b, want)
		}
	}
	// Field for field the same as encoding/json apart from the durations.
	var viaAPI, viaJSON map[string]any
	if err := json.Unmarshal(b, &viaAPI); err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(snap)
	if err := json.Unmarshal(plain, &viaJSON); err != nil {
		t.Fatal(err)
	}
	if len(viaAPI) != len(viaJSON) {
		t.Errorf("top-level keys got=%d, want %d", len(viaAPI), len(viaJSON))
	}
	var back queue.Snapshot
	if err := UnmarshalAPI(b, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(back)
	if string(again) != string(plain) {
		t.Errorf("round trip got=%s\nwant %s", again, plain)
	}
}
