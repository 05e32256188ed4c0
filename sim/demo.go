package sim

import (
	"fmt"
	"time"

	"stasisq/queue"
)

// Demo queue names, in the order DemoQueues returns them.
const (
	QueueSales   = "sales"
	QueueSupport = "support"
	QueueBilling = "billing"
)

// DemoQueues returns three queues that show off different strategies and
// announcements: sales (rrmemory, short waits, weighted above the others),
// support (longest-idle, position and hold-time announcements, widening
// penalties the longer a caller waits) and billing (ringall).
func DemoQueues() []queue.QueueConfig {
	sales := queue.DefaultQueueConfig(QueueSales)
	sales.Strategy = queue.RRMemory
	sales.Timeout = 15 * time.Second
	sales.Retry = 2 * time.Second
	sales.WrapUpTime = 5 * time.Second
	sales.Weight = 2
	sales.ServiceLevel = 20 * time.Second
	sales.MaxWait = 5 * time.Minute
	sales.AnnounceFrequency = 45 * time.Second
	sales.AnnounceHoldTime = "once"
	sales.PeriodicAnnounce = []string{"queue-periodic-announce"}
	sales.PeriodicAnnounceFrequency = 60 * time.Second
	// Every sales call recorded; the agent may pause it for a card number.
	sales.Record, sales.RecordFormat = queue.RecordAlways, "wav"
	sales.RecordAgentControl = true
	sales.RecordRetention = 30 * 24 * time.Hour

	support := queue.DefaultQueueConfig(QueueSupport)
	support.Strategy = queue.LongestIdle
	support.Timeout = 20 * time.Second
	support.Retry = 3 * time.Second
	support.WrapUpTime = 10 * time.Second
	support.ServiceLevel = 60 * time.Second
	support.MaxWait = 10 * time.Minute
	support.AnnounceFrequency = 30 * time.Second
	support.AnnouncePosition = "yes"
	support.AnnounceHoldTime = "yes"
	support.AnnounceRoundSeconds = 10
	support.PeriodicAnnounce = []string{"queue-periodic-announce", "queue-thankyou"}
	support.PeriodicAnnounceFrequency = 40 * time.Second
	// First ring only the specialists (penalty 0), then bring in the others.
	support.Rules = []queue.PenaltyRule{
		{After: 0, MaxPenalty: 0},
		{After: 45 * time.Second, MaxPenalty: 1},
		{After: 90 * time.Second, MaxPenalty: 2},
	}

	billing := queue.DefaultQueueConfig(QueueBilling)
	billing.Strategy = queue.RingAll
	billing.Timeout = 20 * time.Second
	billing.Retry = 5 * time.Second
	billing.WrapUpTime = 3 * time.Second
	billing.ServiceLevel = 30 * time.Second
	billing.MaxWait = 3 * time.Minute
	billing.AnnouncePosition = "more"
	billing.AnnouncePositionLimit = 3
	billing.AnnounceFrequency = 60 * time.Second
	billing.PeriodicAnnounce = []string{"queue-periodic-announce"}
	billing.PeriodicAnnounceFrequency = 90 * time.Second

	// Every queue offers keep-my-place callback; the fake answers the
	// customers' Local channels. Sales rings the agent first, support and
	// billing call the customer first.
	for i, q := range []*queue.QueueConfig{&sales, &support, &billing} {
		q.CallbackMode = queue.CallbackCustomerFirst
		if i == 0 {
			q.CallbackMode = queue.CallbackAgentFirst
		}
		q.CallbackDial = "Local/{number}@demo-customers"
		q.CallbackCallerID = "Demo " + q.Name + " <+442079460999>"
		q.CallbackRetry = 30 * time.Second
	}
	return []queue.QueueConfig{sales, support, billing}
}

// DemoQueueNames are the names of DemoQueues, for Config.Queues.
func DemoQueueNames() []string { return []string{QueueSales, QueueSupport, QueueBilling} }

var agentNames = []string{
	"Ava Lindqvist", "Ben Adeyemi", "Carmen Ortiz", "Dev Sharma", "Erin Walsh", "Farid Nasser",
	"Gwen Clarke", "Hiro Sato", "Isla Brennan", "Jakub Wójcik", "Kofi Mensah", "Lucía Romero",
	"Marek Horák", "Nadia Petrova", "Owen Price", "Paula Ferreira", "Quentin Roux", "Rosa Vidal",
	"Sam Whitaker", "Tariq Aziz", "Uma Reddy", "Viktor Berg", "Wen Li", "Ximena Cruz",
}

var demoSkills = []string{"english", "spanish", "german", "hardware", "software", "invoices"}

// DemoAgents returns n static simulated agents (no one logs them in) with
// devices PJSIP/sim-001 and up. Each has a home queue at penalty 0, every
// other one a second queue at penalty 1, and every third one the remaining
// queue at penalty 2, so support's widening penalty rules have someone to
// reach; skills vary so a skills-based queue would have choices.
func DemoAgents(n int) []queue.AgentConfig {
	qs := DemoQueueNames()
	out := make([]queue.AgentConfig, 0, max(n, 0))
	for i := range max(n, 0) {
		id := fmt.Sprintf("sim-%03d", i+1)
		name := agentNames[i%len(agentNames)]
		if i >= len(agentNames) {
			name = fmt.Sprintf("%s %d", name, i/len(agentNames)+1)
		}
		m := []queue.Membership{{Queue: qs[i%3], Penalty: 0}}
		if i%2 == 0 {
			m = append(m, queue.Membership{Queue: qs[(i+1)%3], Penalty: 1})
			if i%3 == 0 {
				m = append(m, queue.Membership{Queue: qs[(i+2)%3], Penalty: 2})
			}
		}
		out = append(out, queue.AgentConfig{
			ID:     id,
			Name:   name,
			Device: "PJSIP/" + id,
			Queues: m,
			Skills: map[string]int{
				demoSkills[i%3]:       40 + (i*17)%61,
				demoSkills[3+(i/3)%3]: 20 + (i*29)%81,
			},
			Static: true,
		})
	}
	return out
}

// HumanAgents returns agents for a person to log in as in the browser, in
// every demo queue; their phones (HumanPhone) answer by themselves. Their
// passwords are for whoever sets the demo up.
func HumanAgents() []queue.AgentConfig {
	people := []struct{ id, name string }{{"alice", "Alice Martin"}, {"bob", "Bob Jones"}, {"carol", "Carol Nakamura"}}
	out := make([]queue.AgentConfig, 0, len(people))
	for _, p := range people {
		var m []queue.Membership
		for _, q := range DemoQueueNames() {
			m = append(m, queue.Membership{Queue: q, Penalty: 0})
		}
		out = append(out, queue.AgentConfig{
			ID: p.id, Name: p.name, Device: "PJSIP/" + p.id, Queues: m,
			Skills: map[string]int{"english": 90, "software": 60},
		})
	}
	return out
}

// SimulatedPhone is a simulated agent's phone: answers in about 3 s, talks
// about 25 s, and now and then rings out or is busy.
func SimulatedPhone(device string) AgentSpec {
	return AgentSpec{Device: device, AnswerAfter: 3 * time.Second, TalkMean: 25 * time.Second, NoAnswerProb: 0.05, BusyProb: 0.02}
}

// HumanPhone is the phone of a person at the browser: it always answers
// after about 2 s, so they see it ring, connect, end and wrap up.
func HumanPhone(device string) AgentSpec {
	return AgentSpec{Device: device, AnswerAfter: 2 * time.Second, TalkMean: 20 * time.Second}
}

// DemoPhones gives each agent's device a phone: SimulatedPhone for static
// agents, HumanPhone for the ones a person logs in.
func DemoPhones(agents []queue.AgentConfig) []AgentSpec {
	out := make([]AgentSpec, 0, len(agents))
	for _, a := range agents {
		if a.Static {
			out = append(out, SimulatedPhone(a.Device))
		} else {
			out = append(out, HumanPhone(a.Device))
		}
	}
	return out
}

// SustainableRate is the caller arrival rate (per second) that keeps the
// phones busy for the given fraction of the time (load, e.g. 0.8), counting
// ring, talk and wrap-up. A rate above it makes queues grow without end.
func SustainableRate(phones []AgentSpec, wrapUp time.Duration, load float64) float64 {
	var perSecond float64
	for _, p := range phones {
		busy := p.AnswerAfter + p.TalkMean + wrapUp
		if busy <= 0 {
			continue
		}
		perSecond += (1 - p.NoAnswerProb - p.BusyProb) / busy.Seconds()
	}
	return perSecond * load
}
