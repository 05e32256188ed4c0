package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"stasisq/ari/aritest"
	"stasisq/queue"
)

// announceTolerance is how far a play request may stray from when the
// engine's rule says it is due, on a loaded machine: the loop's wake-up, the
// executor's lane, an announcement queued behind one still playing.
const announceTolerance = 400 * time.Millisecond

// The issue 4 scenario: callers wait with nobody to answer and hear their
// position every announce-frequency and the periodic announcement every
// periodic-announce-frequency. The engine counts both from when it decided
// the previous one (queue/announce.go), not from the end of its playback as
// app_queue's say_position does: with short announcements the difference is
// within the tolerance, with long ones app_queue's intervals are longer.
func TestAnnouncementsAtConfiguredFrequencies(t *testing.T) {
	const (
		announceEvery = time.Second
		periodicEvery = 1500 * time.Millisecond
		watch         = 5500 * time.Millisecond
		periodicSound = "sound:queue-periodic-announce"
	)
	e := MustStartEnv(t, func(o *aritest.Options) {
		o.PlaybackDuration = func(string) time.Duration { return 30 * time.Millisecond }
	})
	e.MustQueue("support", func(q *queue.QueueConfig) {
		q.AnnouncePosition = "yes"
		q.AnnounceFrequency = announceEvery
		// Below announce-frequency: the position is reconsidered every
		// 500 ms but, unchanged, said again only every second.
		q.MinAnnounceFrequency = 500 * time.Millisecond
		q.PeriodicAnnounce = []string{"queue-periodic-announce"}
		q.PeriodicAnnounceFrequency = periodicEvery
	})
	first := e.MustCall("support")
	second := e.MustCall("support")
	joined := map[string]time.Time{}
	e.waitUntil("both callers joined", func() bool {
		for _, ev := range e.events.all() {
			if j, ok := ev.(queue.CallerJoined); ok {
				joined[string(j.Caller)] = j.At
			}
		}
		return len(joined) == 2
	})
	last := joined[first.ID()]
	if joined[second.ID()].After(last) {
		last = joined[second.ID()]
	}
	e.waitUntil("both callers waited the watched time", func() bool { return time.Since(last) > watch+announceTolerance })
	plays := map[string][]played{}
	for _, r := range e.fake.Requests() {
		for _, c := range []*aritest.Call{first, second} {
			if r.Method == "POST" && strings.HasPrefix(r.Path, "/ari/channels/"+c.ID()+"/play") {
				plays[c.ID()] = append(plays[c.ID()], played{at: r.At.Sub(joined[c.ID()]), media: strings.Split(r.Query.Get("media"), ",")})
			}
		}
	}
	first.Hangup()
	second.Hangup()
	e.waitDone(first)
	e.waitDone(second)

	tests := []struct {
		name     string
		call     *aritest.Call
		position []string
	}{
		{"first caller hears it is next", first, []string{"sound:queue-youarenext", "sound:queue-thankyou"}},
		{"second caller hears how many wait", second, []string{"sound:queue-thereare", "number:2", "sound:queue-callswaiting", "sound:queue-thankyou"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var positions, periodics []played
			for _, p := range plays[tt.call.ID()] {
				if p.at >= watch {
					continue
				}
				switch {
				case slices.Equal(p.media, []string{periodicSound}):
					periodics = append(periodics, p)
				case slices.Equal(p.media, tt.position):
					positions = append(positions, p)
				default:
					t.Errorf("played %v at %v, want %v or %v", p.media, p.at, tt.position, periodicSound)
				}
			}
			// Position: at once, then every announce-frequency; periodic:
			// every periodic-announce-frequency from the join.
			checkSchedule(t, "position", positions, 0, announceEvery, watch)
			checkSchedule(t, "periodic", periodics, periodicEvery, periodicEvery, watch)
		})
	}
	e.waitClean()
}

type played struct {
	at    time.Duration // after the caller joined
	media []string
}

// checkSchedule checks that got started at first, first+every, ... up to
// before end, each within announceTolerance.
func checkSchedule(t *testing.T, what string, got []played, first, every, end time.Duration) {
	t.Helper()
	var want []time.Duration
	for at := first; at < end; at += every {
		want = append(want, at)
	}
	times := make([]string, len(got))
	for i, p := range got {
		times[i] = p.at.Round(time.Millisecond).String()
	}
	if len(got) != len(want) {
		t.Fatalf("%s announcements at %v, want %d of them at %v (±%v)", what, times, len(want), want, announceTolerance)
	}
	for i, p := range got {
		if d := p.at - want[i]; d < -announceTolerance || d > announceTolerance {
			t.Errorf("%s announcement %d at %v, want %v ±%v (all: %v)", what, i+1, p.at, want[i], announceTolerance, times)
		}
	}
}
