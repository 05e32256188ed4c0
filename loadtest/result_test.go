package loadtest

import (
	"testing"
	"time"
)

func TestIdealElapsed(t *testing.T) {
	const occ = 101 * time.Millisecond // 100 ms talk + 1 ms answer
	tests := []struct {
		name string
		opts Options
		want time.Duration
	}{
		{"burst: rounds of all agents", Options{Callers: 1000, Agents: 100, Talk: 100 * time.Millisecond}, 10 * occ},
		{"burst, last round partial", Options{Callers: 101, Agents: 100, Talk: 100 * time.Millisecond}, 2 * occ},
		{"arrivals slower than service: last arrival + one call", Options{Callers: 10, Agents: 2, Talk: 100 * time.Millisecond, Arrivals: time.Second}, 9*time.Second + occ},
		{"wrap-up counts", Options{Callers: 2, Agents: 1, Talk: 100 * time.Millisecond, WrapUp: time.Second}, 2 * (occ + time.Second)},
		// Agent j takes callers j, j+A, ...: it starts at j's arrival and
		// never waits again, so the last agent ends 10 calls after caller 99.
		{"arrivals a little faster than service", Options{Callers: 1000, Agents: 100, Talk: time.Second, Arrivals: 9500 * time.Microsecond}, 99*9500*time.Microsecond + 10*(time.Second+time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := idealElapsed(tt.opts); got != tt.want {
				t.Errorf("got=%v, want %v", got, tt.want)
			}
		})
	}
}
