package sim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

func TestDemoQueuesAreValid(t *testing.T) {
	qs := DemoQueues()
	want := map[string]queue.Strategy{QueueSales: queue.RRMemory, QueueSupport: queue.LongestIdle, QueueBilling: queue.RingAll}
	if len(qs) != len(want) {
		t.Fatalf("queues: got=%d, want %d", len(qs), len(want))
	}
	for i, q := range qs {
		t.Run(q.Name, func(t *testing.T) {
			if err := queue.ValidateQueue(q); err != nil {
				t.Errorf("ValidateQueue: got=%v, want nil", err)
			}
			if q.Name != DemoQueueNames()[i] {
				t.Errorf("name: got=%q, want %q", q.Name, DemoQueueNames()[i])
			}
			if q.Strategy != want[q.Name] {
				t.Errorf("strategy: got=%q, want %q", q.Strategy, want[q.Name])
			}
			if q.MaxWait <= 0 || q.ServiceLevel <= 0 || q.WrapUpTime <= 0 {
				t.Errorf("maxwait, servicelevel, wrapuptime: got=%v %v %v, want all > 0", q.MaxWait, q.ServiceLevel, q.WrapUpTime)
			}
			if len(q.PeriodicAnnounce) == 0 || q.PeriodicAnnounceFrequency <= 0 {
				t.Errorf("periodic announce: got=%v every %v, want some", q.PeriodicAnnounce, q.PeriodicAnnounceFrequency)
			}
		})
	}
}

func TestDemoAgents(t *testing.T) {
	for _, n := range []int{0, 1, 12, 30} {
		agents := DemoAgents(n)
		if len(agents) != n {
			t.Fatalf("DemoAgents(%d): got=%d agents", n, len(agents))
		}
		ids, devices := map[string]bool{}, map[string]bool{}
		home := map[string]int{}
		for _, a := range agents {
			if err := queue.ValidateAgent(a); err != nil {
				t.Errorf("ValidateAgent(%s): got=%v, want nil", a.ID, err)
			}
			if !a.Static {
				t.Errorf("%s: got static=false, want true (no one logs a simulated agent in)", a.ID)
			}
			if !strings.HasPrefix(a.Device, "PJSIP/sim-") || a.Device != "PJSIP/"+a.ID {
				t.Errorf("%s: device got=%q, want PJSIP/%s", a.ID, a.Device, a.ID)
			}
			if ids[a.ID] || devices[a.Device] {
				t.Errorf("%s: id or device repeated", a.ID)
			}
			ids[a.ID], devices[a.Device] = true, true
			if len(a.Skills) == 0 {
				t.Errorf("%s: no skills", a.ID)
			}
			for _, m := range a.Queues {
				if !slices.Contains(DemoQueueNames(), m.Queue) {
					t.Errorf("%s: unknown queue %q", a.ID, m.Queue)
				}
				if m.Penalty == 0 {
					home[m.Queue]++
				}
			}
		}
		if n >= 3 {
			for _, q := range DemoQueueNames() {
				if home[q] < n/3 {
					t.Errorf("DemoAgents(%d): penalty-0 agents in %s: got=%d, want >= %d", n, q, home[q], n/3)
				}
			}
		}
	}
	if got := DemoAgents(-1); len(got) != 0 {
		t.Errorf("DemoAgents(-1): got=%d agents, want 0", len(got))
	}
}

func TestHumanAgents(t *testing.T) {
	humans := HumanAgents()
	if len(humans) < 2 {
		t.Fatalf("got=%d human agents, want at least 2", len(humans))
	}
	sims := map[string]bool{}
	for _, a := range DemoAgents(30) {
		sims[a.ID] = true
	}
	for _, a := range humans {
		if err := queue.ValidateAgent(a); err != nil {
			t.Errorf("ValidateAgent(%s): got=%v, want nil", a.ID, err)
		}
		if a.Static {
			t.Errorf("%s: got static, want a person to log in", a.ID)
		}
		if sims[a.ID] {
			t.Errorf("%s: id clashes with a simulated agent", a.ID)
		}
		var qs []string
		for _, m := range a.Queues {
			qs = append(qs, m.Queue)
		}
		slices.Sort(qs)
		want := slices.Sorted(slices.Values(DemoQueueNames()))
		if !slices.Equal(qs, want) {
			t.Errorf("%s: queues got=%v, want %v", a.ID, qs, want)
		}
	}
}

func TestDemoPhones(t *testing.T) {
	agents := append(DemoAgents(2), HumanAgents()...)
	phones := DemoPhones(agents)
	for i, p := range phones {
		a := agents[i]
		if p.Device != a.Device {
			t.Errorf("phone %d: device got=%q, want %q", i, p.Device, a.Device)
		}
		human := !a.Static
		if human && (p.NoAnswerProb != 0 || p.BusyProb != 0 || p.AnswerAfter > 3*time.Second) {
			t.Errorf("%s: got %+v, want a phone that always answers within seconds", a.ID, p)
		}
		if !human && p.NoAnswerProb == 0 {
			t.Errorf("%s: got %+v, want a phone that sometimes rings out", a.ID, p)
		}
	}
}

func TestSustainableRate(t *testing.T) {
	phones := []AgentSpec{
		{Device: "a", AnswerAfter: 2 * time.Second, TalkMean: 18 * time.Second},
		{Device: "b", AnswerAfter: 2 * time.Second, TalkMean: 18 * time.Second, NoAnswerProb: 0.5},
	}
	// Each phone is busy 20 s + 5 s wrap-up per call: 1/25 calls a second,
	// and b takes only half the calls it is offered.
	got := SustainableRate(phones, 5*time.Second, 0.8)
	want := 0.8 * (1.0/25 + 0.5/25)
	if diff := got - want; diff > 1e-9 || diff < -1e-9 {
		t.Errorf("got=%v, want %v", got, want)
	}
}
