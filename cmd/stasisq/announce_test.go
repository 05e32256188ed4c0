package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/ari/aritest"
	"stasisq/queue"
)

// announceTolerance is how far a play request may stray from when the
// engine's rule says it is due, on a loaded machine: the loop's wake-up, the
// executor's lane.
const announceTolerance = 400 * time.Millisecond

// earlyTolerance is how much sooner than its interval one announcement may
// follow the previous of its kind: only the executor's latency varying
// between the two requests. Far below what a pile-up produces (the engine
// deciding on schedule while the flow still plays an earlier one).
const earlyTolerance = 250 * time.Millisecond

// The issue 4 scenario with prompts as long as real ones: callers wait with
// nobody to answer and hear their position every announce-frequency and a
// long periodic announcement every periodic-announce-frequency. As in
// app_queue's caller thread, each interval counts from the start of the
// previous announcement of its kind, and one that falls due while another
// plays starts when that one ends (PlaybackFinished, AnnouncementDone).
func TestAnnouncementsAtConfiguredFrequencies(t *testing.T) {
	const (
		announceEvery = time.Second
		periodicEvery = 1500 * time.Millisecond
		watch         = 5500 * time.Millisecond
		periodicSound = "sound:queue-periodic-announce"
		periodicLong  = 900 * time.Millisecond
		mediaLong     = 100 * time.Millisecond // per media of a position announcement
	)
	e := MustStartEnv(t, func(o *aritest.Options) {
		o.PlaybackDuration = func(m string) time.Duration {
			if m == periodicSound {
				return periodicLong
			}
			return mediaLong
		}
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
			prefix := "/ari/channels/" + c.ID() + "/play/"
			if r.Method == "POST" && strings.HasPrefix(r.Path, prefix) {
				plays[c.ID()] = append(plays[c.ID()], played{
					id:    strings.TrimPrefix(r.Path, prefix),
					at:    r.At.Sub(joined[c.ID()]),
					media: strings.Split(r.Query.Get("media"), ","),
				})
			}
		}
	}
	finished := mustPlaybacksFinished(t, e.fake.Events())
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
			var got []played
			for _, p := range plays[tt.call.ID()] {
				if p.at >= watch {
					continue
				}
				switch {
				case slices.Equal(p.media, []string{periodicSound}):
					p.every = periodicEvery
				case slices.Equal(p.media, tt.position):
					p.every, p.position = announceEvery, true
				default:
					t.Fatalf("played %v at %v, want %v or %v", p.media, p.at, tt.position, periodicSound)
				}
				end, ok := finished[p.id]
				if !ok {
					t.Fatalf("playback %s (%v at %v) never finished", p.id, p.media, p.at)
				}
				p.end = end.Sub(joined[tt.call.ID()])
				got = append(got, p)
			}
			checkAnnouncements(t, got)
		})
	}
	e.waitClean()
}

type played struct {
	id       string
	at, end  time.Duration // request and PlaybackFinished, after the caller joined
	media    []string
	every    time.Duration // its kind's frequency
	position bool          // a position announcement, due at once on joining
}

// checkAnnouncements checks app_queue's timing: the position at once, the
// periodic one its frequency after the join, then each kind its frequency
// after the start of the previous of its kind, never before the previous
// announcement ended, and without delay beyond that.
func checkAnnouncements(t *testing.T, got []played) {
	t.Helper()
	var log []string
	for _, p := range got {
		log = append(log, fmt.Sprintf("%v-%v %s", p.at.Round(time.Millisecond), p.end.Round(time.Millisecond), p.media[0]))
	}
	prevOfKind := map[bool]time.Duration{} // position or not -> start of the last of that kind
	count := map[bool]int{}
	for i, p := range got {
		due, seen := prevOfKind[p.position]
		switch {
		case seen:
			due += p.every
		case p.position: // at once
		default:
			due = p.every
		}
		earliest, latest := due, due
		if i > 0 {
			prev := got[i-1]
			if p.at < prev.end {
				t.Errorf("%s started at %v, over the previous one playing until %v; all: %v", p.media[0], p.at, prev.end, log)
			}
			latest = max(latest, prev.end)
		}
		if p.at < earliest-earlyTolerance || p.at > latest+announceTolerance {
			t.Errorf("%s at %v, want between %v and %v (±tolerance); all: %v", p.media[0], p.at, earliest, latest, log)
		}
		prevOfKind[p.position] = p.at
		count[p.position]++
	}
	if count[true] < 4 || count[false] < 2 {
		t.Errorf("got %d position and %d periodic announcements, want at least 4 and 2; all: %v", count[true], count[false], log)
	}
}

// mustPlaybacksFinished maps each playback id to its PlaybackFinished time.
func mustPlaybacksFinished(tb testing.TB, events []json.RawMessage) map[string]time.Time {
	tb.Helper()
	out := map[string]time.Time{}
	for _, raw := range events {
		ev, err := ari.DecodeEvent(raw)
		if err != nil {
			tb.Fatalf("decode fake event %s: %v", raw, err)
		}
		if f, ok := ev.(*ari.PlaybackFinished); ok {
			out[f.Playback.ID] = f.Timestamp()
		}
	}
	return out
}

// app_queue's announce and reportholdtime: the agent who answers hears the
// queue's announcement and how long the caller waited, to the end, and only
// then is the caller put through (try_calling plays them to the peer before
// the bridge); the caller hears nothing of it.
func TestAnnounceToAgent(t *testing.T) {
	const perMedia = 150 * time.Millisecond
	e := MustStartEnv(t, func(o *aritest.Options) {
		o.PlaybackDuration = func(string) time.Duration { return perMedia }
	})
	e.fake.SetDevice("PJSIP/1001", aritest.DeviceBehavior{Action: aritest.Answer, After: 20 * time.Millisecond})
	e.MustQueue("support", func(c *queue.QueueConfig) {
		c.Announce = "custom/brief"
		c.ReportHoldTime = true
	})
	e.MustAgent("alice", "PJSIP/1001", "support")
	call := e.MustCall("support")
	select {
	case <-call.Bridged():
	case <-time.After(waitFor):
		t.Fatalf("caller never bridged; requests:\n%s", e.requestLog())
	}
	e.waitUntil("the bridge request logged", func() bool { return e.countRequests("POST", "/ari/bridges/") >= 2 })
	var play, add *aritest.Request
	for _, r := range e.fake.Requests() {
		r := r
		switch {
		case play == nil && r.Method == "POST" && strings.Contains(r.Path, "/play") && !strings.Contains(r.Path, call.ID()):
			play = &r
		case add == nil && r.Method == "POST" && strings.HasSuffix(r.Path, "/addChannel") && strings.Contains(r.Query.Get("channel"), call.ID()+","):
			add = &r
		}
	}
	if play == nil || add == nil {
		t.Fatalf("want a play to the agent and the bridge; requests:\n%s", e.requestLog())
	}
	// Waited well under two seconds: the hold time says no seconds.
	if got, want := play.Query.Get("media"), "sound:custom/brief,sound:queue-reporthold"; got != want {
		t.Errorf("agent heard media=%q, want %q", got, want)
	}
	if !strings.Contains(add.Query.Get("channel"), strings.Split(strings.TrimPrefix(play.Path, "/ari/channels/"), "/")[0]) {
		t.Errorf("played to %s, but bridged %s", play.Path, add.Query.Get("channel"))
	}
	if gap := add.At.Sub(play.At); gap < 2*perMedia-50*time.Millisecond {
		t.Errorf("bridged %v after the announcement began, want after it ended (%v)", gap, 2*perMedia)
	}
	if n := e.countRequests("POST", "/ari/channels/"+call.ID()+"/play"); n != 0 {
		t.Errorf("the caller got %d playbacks, want none", n)
	}
	call.Hangup()
	e.waitDone(call)
	e.waitClean()
}
