package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// runSim runs a simulation until cond holds on its counts, then cancels it
// and checks that it stops promptly with every caller accounted for.
func runSim(t *testing.T, cfg Config, what string, cond func(Counts) bool) Counts {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !cond(s.Stats().Snapshot()) {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("gave up after 30s waiting for %s; counts %+v", what, s.Stats().Snapshot())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: got=%v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return within 15s of cancel")
	}
	c := s.Stats().Snapshot()
	if c.InProgress != 0 || c.finished() != c.Started {
		t.Errorf("after Run: got %d started, %d finished (%+v), want every caller accounted for once", c.Started, c.finished(), c)
	}
	return c
}

func simPhones(n int) ([]AgentSpec, []string) {
	var specs []AgentSpec
	var devices []string
	for i := range n {
		d := fmt.Sprintf("PJSIP/sim-%03d", i+1)
		specs = append(specs, AgentSpec{Device: d, AnswerAfter: 40 * time.Millisecond, TalkMean: 150 * time.Millisecond})
		devices = append(devices, d)
	}
	return specs, devices
}

func TestRunCallersAreAnsweredAndPhonesTakeCalls(t *testing.T) {
	srv := MustServer(t)
	specs, devices := simPhones(6)
	for i := range specs {
		// Long enough to outlast a slow test application's reaction.
		specs[i].TalkMean = time.Second
	}
	MustFakeApp(t, srv, connect, devices)
	c := runSim(t, Config{
		Server: srv, App: testApp, Queues: []string{"sales", "support"},
		Rate: 5, Agents: specs, Rand: newRand(1),
		CallerTalkMean: time.Minute, // agents hang up first
	}, "5 calls answered and ended by the agents", func(c Counts) bool {
		return c.Answered >= 5 && c.FarEnded >= 5 && c.PhoneCalls >= 5
	})
	if c.Failed != 0 || c.StasisFailed != 0 {
		t.Errorf("got %d failed and %d without application, want 0 (%+v)", c.Failed, c.StasisFailed, c)
	}
	if c.Abandoned != 0 {
		t.Errorf("abandoned: got=%d, want 0 with no patience limit", c.Abandoned)
	}
}

func TestRunCallerHangsUpAfterTalking(t *testing.T) {
	srv := MustServer(t)
	specs, devices := simPhones(3)
	for i := range specs {
		specs[i].TalkMean = 0 // the phones never hang up
	}
	MustFakeApp(t, srv, connect, devices)
	runSim(t, Config{
		Server: srv, App: testApp, Queues: []string{"sales"}, Rate: 5, Agents: specs,
		CallerTalkMean: 100 * time.Millisecond, Rand: newRand(2),
	}, "5 callers ending their own calls", func(c Counts) bool { return c.CallerEnded >= 5 })
}

func TestRunCallersAbandonWhenNobodyAnswers(t *testing.T) {
	srv := MustServer(t)
	MustFakeApp(t, srv, hold, nil)
	c := runSim(t, Config{
		Server: srv, App: testApp, Queues: []string{"billing"}, Rate: 20,
		Patience: 100 * time.Millisecond, Rand: newRand(3),
	}, "10 abandoned callers", func(c Counts) bool { return c.Abandoned >= 10 })
	if c.Answered != 0 {
		t.Errorf("answered: got=%d, want 0 when nobody is put through", c.Answered)
	}
}

func TestRunCountsContinuedCallers(t *testing.T) {
	srv := MustServer(t)
	MustFakeApp(t, srv, continueAll, nil)
	runSim(t, Config{
		Server: srv, App: testApp, Queues: []string{"sales"}, Rate: 10, Rand: newRand(4),
	}, "10 callers continued in the dialplan", func(c Counts) bool { return c.Continued >= 10 })
}

func TestRunWithoutApplication(t *testing.T) {
	srv := MustServer(t)
	runSim(t, Config{
		Server: srv, App: testApp, Queues: []string{"sales"}, InitialCallers: 3, Rand: newRand(5),
	}, "3 callers refused by Stasis()", func(c Counts) bool { return c.StasisFailed == 3 })
}

// Stopping with callers waiting hangs them up and counts them cancelled.
func TestRunStopsPromptlyWithCallersWaiting(t *testing.T) {
	srv := MustServer(t)
	MustFakeApp(t, srv, hold, nil)
	c := runSim(t, Config{
		Server: srv, App: testApp, Queues: []string{"support"}, InitialCallers: 20, Rand: newRand(6),
	}, "20 callers waiting", func(c Counts) bool { return c.Started == 20 })
	if c.Cancelled != 20 {
		t.Errorf("cancelled: got=%d, want 20", c.Cancelled)
	}
	waitFor(t, 10*time.Second, "the callers' channels to go", func() bool { return len(srv.ChannelIDs()) == 0 })
}

func TestNewRejectsBadConfig(t *testing.T) {
	srv := MustServer(t)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no server", Config{App: "a", Queues: []string{"q"}, Rate: 1}},
		{"no app", Config{Server: srv, Queues: []string{"q"}, Rate: 1}},
		{"negative rate", Config{Server: srv, App: "a", Queues: []string{"q"}, Rate: -1}},
		{"callers without queues", Config{Server: srv, App: "a", Rate: 1}},
		{"negative patience", Config{Server: srv, App: "a", Queues: []string{"q"}, Patience: -time.Second}},
		{"phone without device", Config{Server: srv, App: "a", Agents: []AgentSpec{{}}}},
		{"impossible odds", Config{Server: srv, App: "a", Agents: []AgentSpec{{Device: "PJSIP/x", NoAnswerProb: 0.7, BusyProb: 0.5}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil {
				t.Error("got nil error, want one")
			}
		})
	}
}

// New configures the phones at once, so agents can be rung before Run.
func TestNewConfiguresPhones(t *testing.T) {
	srv := MustServer(t)
	specs, _ := simPhones(2)
	if _, err := New(Config{Server: srv, App: testApp, Agents: specs}); err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, s := range specs {
		if got := srv.DeviceStateOf(s.Device); got != stateIdle {
			t.Errorf("%s: got=%s, want %s", s.Device, got, stateIdle)
		}
	}
}

// A phone draws a new behaviour for each call: one phone that is busy a
// third of the time must go from answering to busy and back more than once
// (a single draw kept for every call would never change).
func TestPhonesVaryFromCallToCall(t *testing.T) {
	srv := MustServer(t)
	specs, devices := simPhones(1)
	specs[0].BusyProb = 0.35
	MustFakeApp(t, srv, connect, devices)
	changes := func() int {
		n, last := 0, ""
		for _, raw := range srv.Events() {
			var ev struct {
				Type       string `json:"type"`
				DialStatus string `json:"dialstatus"`
				Peer       struct {
					Name string `json:"name"`
				} `json:"peer"`
			}
			if json.Unmarshal(raw, &ev) != nil || ev.Type != "Dial" || !strings.HasPrefix(ev.Peer.Name, devices[0]) {
				continue
			}
			if ev.DialStatus != "ANSWER" && ev.DialStatus != "BUSY" {
				continue
			}
			if last != "" && ev.DialStatus != last {
				n++
			}
			last = ev.DialStatus
		}
		return n
	}
	runSim(t, Config{
		Server: srv, App: testApp, Queues: []string{"sales"}, Rate: 5, Agents: specs,
		Rand: newRand(8),
	}, "the phone to change between answering and busy four times", func(Counts) bool { return changes() >= 4 })
}
