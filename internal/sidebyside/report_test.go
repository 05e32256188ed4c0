package sidebyside

import (
	"strings"
	"testing"
	"time"
)

// The summary line: the mean ratio first (as the line has it), the
// CPU-seconds ratio last; the two differ when the runs last differently.
func TestSummaryRatios(t *testing.T) {
	aq := Result{System: "app_queue", CPU: map[string]CPU{"asterisk": {Mean: 0.40, Seconds: 40}}, Hold: 1000 * time.Second}
	sq := Result{System: "stasisq", CPU: map[string]CPU{"asterisk": {Mean: 0.30, Seconds: 24}},
		FreeRing: []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}, Overtaken: 1, Hold: 550 * time.Second}
	got := Summary(sq, aq)
	want := "asterisk_cpu_ratio=0.75 free_ring_p99_ms=4.0 overtaken=1 asterisk_cpu_seconds_ratio=0.60 hold_ratio=0.55"
	if got != want {
		t.Errorf("Summary:\n got %s\nwant %s", got, want)
	}
	if got := Summary(sq, Result{}); !strings.HasPrefix(got, "asterisk_cpu_ratio=0.00 ") {
		t.Errorf("Summary without app_queue's CPU: %s, want ratio 0.00 (not measured)", got)
	}
}

// One caller at a time has no drain to compare with an ideal: "-".
func TestTableDrainOnlyWhereThereIsOne(t *testing.T) {
	var b strings.Builder
	rows := []Result{
		{Scenario: "light", System: "stasisq", Callers: 2, Served: 2},
		{Scenario: "burst", System: "stasisq", Callers: 40, Served: 40, Drain: 1100 * time.Millisecond, Ideal: time.Second},
	}
	if err := WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("table: %d lines, want a header and 2 rows:\n%s", len(lines), b.String())
	}
	if strings.Contains(lines[1], "(0.0)") {
		t.Errorf("light row has a drain: %s", lines[1])
	}
	if !strings.Contains(lines[2], "1.1 (1.0)") {
		t.Errorf("burst row lacks its drain 1.1 (1.0): %s", lines[2])
	}
}

// The callers' time on hold: joining to connected, or to the end of one
// who gave up; one still waiting is not counted; the table prints it.
func TestHoldOfCallers(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	callers := []chanLife{
		{joined: at(0), bridged: at(2.5), gone: at(6), bye: true}, // 2.5 s, then talked
		{joined: at(1), gone: at(4), bye: true},                   // gave up after 3 s
		{joined: at(2)},                                           // still waiting
	}
	if got := holdOf(callers); got != 5500*time.Millisecond {
		t.Errorf("hold %v, want 5.5s", got)
	}
	var b strings.Builder
	if err := WriteTable(&b, []Result{{Scenario: "burst", System: "stasisq", Hold: holdOf(callers)}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	col := strings.Index(lines[0], "on hold caller-s") // the columns are aligned
	if col < 0 || len(lines[1]) <= col || !strings.HasPrefix(lines[1][col:], "6 ") {
		t.Errorf("table lacks the hold under its heading (5.5 s printed 6):\n%s", b.String())
	}
}

// Several rounds: the summary takes the median of each ratio and of the
// p99, the worst round's overtaken count, and says how many rounds; one
// round is Summary's line; the table numbers the rounds.
func TestSummaryOfRounds(t *testing.T) {
	round := func(aqMean, sqMean, aqSecs, sqSecs float64, p99 time.Duration, overtaken, n int, sqHold time.Duration) [2]Result {
		return [2]Result{
			{Scenario: "saturation", System: "app_queue", Round: n, CPU: map[string]CPU{"asterisk": {Mean: aqMean, Seconds: aqSecs}}, Hold: 100 * time.Second},
			{Scenario: "saturation", System: "stasisq", Round: n, CPU: map[string]CPU{"asterisk": {Mean: sqMean, Seconds: sqSecs}},
				FreeRing: []time.Duration{p99}, Overtaken: overtaken, Hold: sqHold},
		}
	}
	rounds := [][2]Result{
		round(0.40, 0.36, 40, 30, 9*time.Millisecond, 0, 1, 50*time.Second), // 0.90, 0.75, 0.50
		round(0.40, 0.28, 40, 24, 4*time.Millisecond, 2, 2, 70*time.Second), // 0.70, 0.60, 0.70
		round(0.40, 0.32, 40, 28, 5*time.Millisecond, 0, 3, 60*time.Second), // 0.80, 0.70, 0.60
	}
	want := "asterisk_cpu_ratio=0.80 free_ring_p99_ms=5.0 overtaken=2 asterisk_cpu_seconds_ratio=0.70 hold_ratio=0.60 rounds=3"
	if got := SummaryOfRounds(rounds); got != want {
		t.Errorf("three rounds:\n got %s\nwant %s", got, want)
	}
	if got, want := SummaryOfRounds(rounds[1:2]), Summary(rounds[1][1], rounds[1][0]); got != want {
		t.Errorf("one round: %s, want Summary's %s", got, want)
	}
	var b strings.Builder
	if err := WriteTable(&b, []Result{rounds[2][0], rounds[2][1]}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\nsaturation#3  stasisq") {
		t.Errorf("table rows of round 3 not labelled saturation#3:\n%s", b.String())
	}
}

// Each round's callers have channel ids of their own: a round reusing the
// first one's found their records and "measured" nothing (seen: round 2
// of saturation "served" 600 in no time with free->ring 0 ms).
func TestRoundsHaveTheirOwnCallerIDs(t *testing.T) {
	seen := map[string]bool{}
	for round := range 4 {
		tag := Scenario{Name: "saturation", Round: round}.tag()
		if seen[tag] {
			t.Errorf("round %d: tag %q already used by an earlier round", round, tag)
		}
		seen[tag] = true
	}
	if tag := (Scenario{Name: "saturation"}).tag(); tag != "saturation" {
		t.Errorf("the only run's tag: %q, want the scenario's name (ids as before rounds)", tag)
	}
}
