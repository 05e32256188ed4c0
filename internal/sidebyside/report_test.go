package sidebyside

import (
	"strings"
	"testing"
	"time"
)

// The summary line: the mean ratio first (as the line has it), the
// CPU-seconds ratio last; the two differ when the runs last differently.
func TestSummaryRatios(t *testing.T) {
	aq := Result{System: "app_queue", CPU: map[string]CPU{"asterisk": {Mean: 0.40, Seconds: 40}}}
	sq := Result{System: "stasisq", CPU: map[string]CPU{"asterisk": {Mean: 0.30, Seconds: 24}},
		FreeRing: []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}, Overtaken: 1}
	got := Summary(sq, aq)
	want := "asterisk_cpu_ratio=0.75 free_ring_p99_ms=4.0 overtaken=1 asterisk_cpu_seconds_ratio=0.60"
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
