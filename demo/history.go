package demo

import (
	"container/heap"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"stasisq/queue"
	"stasisq/sim"
)

// The demo's past: the weeks before today lived by the same engine,
// statistics recorder and store as live calls, in virtual time, so that on
// the first start Reports and Calls have yesterday, last week and last
// month to show. No figure is drawn by hand: each comes from a simulated
// call that joined, waited, rang agents, was answered or gave up.
//
// The site: the demo's queues and simulated agents working shifts (08:00 to
// 16:30 and 09:30 to 18:00 on weekdays, a short Saturday morning and a
// shorter Sunday late morning) with a break, lunch and now and then training; callers arrive
// by the hour in the shape a call centre's day has (a morning peak, a dip
// at lunch, a smaller afternoon peak) and give up after a few minutes'
// wait.

// callsPerHour is the weekday arrival rate, all queues together, from 08:00,
// for a crew of crewSize agents; another crew gets it in proportion.
var callsPerHour = [10]float64{50, 85, 115, 110, 90, 95, 110, 100, 70, 45}

const crewSize = 12

// queueShare splits arrivals between the demo's queues (sim.DemoQueueNames).
var queueShare = []float64{0.4, 0.4, 0.2}

// talkMean is each demo queue's mean talk time in the past: real calls are
// longer than the live demo's, which are cut short to keep the floor moving.
var talkMean = []time.Duration{3 * time.Minute, 270 * time.Second, 210 * time.Second}

// historyStats says what the past holds, for the log and tests.
type historyStats struct {
	Days, Calls, Answered, Events int
}

// timedInput is one thing that happens at a moment of the past.
type timedInput struct {
	at  time.Time
	seq int
	in  queue.Input
}

type agenda []timedInput

func (a agenda) Len() int { return len(a) }
func (a agenda) Less(i, j int) bool {
	if !a[i].at.Equal(a[j].at) {
		return a[i].at.Before(a[j].at)
	}
	return a[i].seq < a[j].seq
}
func (a agenda) Swap(i, j int) { a[i], a[j] = a[j], a[i] }
func (a *agenda) Push(x any)   { *a = append(*a, x.(timedInput)) }
func (a *agenda) Pop() any {
	old := *a
	x := old[len(old)-1]
	*a = old[:len(old)-1]
	return x
}

// past drives one engine through the days before today.
type past struct {
	e      *queue.Engine
	record func(...queue.Event)
	r      *mrand.Rand
	now    time.Time
	agenda agenda
	seq    int
	// What the telephone network knows: who still waits (a caller gives
	// up only then), who talks, which rings are live.
	waiting   map[queue.CallerID]bool
	connected map[queue.CallerID]bool
	ringing   map[queue.OfferID]bool
	queueOf   map[queue.CallerID]int
	stats     historyStats
}

// writeHistory lives the days days before today (in loc) and hands every
// event to record, as the application loop hands live events to the store.
func writeHistory(today time.Time, days int, loc *time.Location, queues []queue.QueueConfig, agents []queue.AgentConfig,
	r *mrand.Rand, record func(...queue.Event)) (historyStats, error) {
	y, m, d := today.In(loc).Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	first := midnight.AddDate(0, 0, -days)
	p := &past{
		e:      queue.NewEngine(queue.Options{Location: loc, Rand: r, OfferPrefix: "hist-"}),
		record: record, r: r, now: first,
		waiting: map[queue.CallerID]bool{}, connected: map[queue.CallerID]bool{},
		ringing: map[queue.OfferID]bool{}, queueOf: map[queue.CallerID]int{},
	}
	for _, q := range queues {
		// The past's calls were not recorded: there are no files to play.
		q.Record = queue.RecordNever
		if err := p.apply(first, queue.ConfigureQueue{Config: q}); err != nil {
			return p.stats, err
		}
	}
	for _, a := range agents {
		a.Static = false // the past's agents log in and out with their shifts
		if err := p.apply(first, queue.ConfigureAgent{Config: a}); err != nil {
			return p.stats, err
		}
	}
	for day := first; day.Before(midnight); day = day.AddDate(0, 0, 1) {
		p.planDay(day, queues, agents)
		p.stats.Days++
	}
	if err := p.run(midnight); err != nil {
		return p.stats, err
	}
	if len(p.waiting) > 0 || len(p.connected) > 0 {
		return p.stats, fmt.Errorf("demo history: %d callers still waiting and %d calls still on at midnight", len(p.waiting), len(p.connected))
	}
	return p.stats, nil
}

func (p *past) at(t time.Time, in queue.Input) {
	p.seq++
	heap.Push(&p.agenda, timedInput{at: t, seq: p.seq, in: in})
}

// planDay puts a day's shifts, pauses and callers in the agenda.
func (p *past) planDay(day time.Time, queues []queue.QueueConfig, agents []queue.AgentConfig) {
	hours := 10
	rate := 1.0
	staff := len(agents)
	open := day.Add(8 * time.Hour)
	switch day.Weekday() {
	case time.Sunday:
		hours, rate, staff, open = 4, 0.15, (len(agents)+3)/4, day.Add(10*time.Hour)
	case time.Saturday:
		hours, rate, staff, open = 4, 0.3, (len(agents)+1)/2, day.Add(9*time.Hour)
	case time.Monday:
		rate = 1.15
	case time.Friday:
		rate = 0.9
	}
	jitter := func(d time.Duration) time.Duration { return time.Duration((p.r.Float64()*2 - 1) * float64(d)) }
	for i, a := range agents[:staff] {
		start, length := open, time.Duration(hours)*time.Hour
		if hours == 10 { // two overlapping shifts of 8.5 hours
			length = 510 * time.Minute
			if i%2 == 1 {
				start = open.Add(90 * time.Minute)
			}
		}
		start = start.Add(jitter(10 * time.Minute))
		end := start.Add(length).Add(jitter(10 * time.Minute))
		p.at(start, queue.AgentLogin{Agent: queue.AgentID(a.ID)})
		pause := func(after, length time.Duration, reason string) {
			from := start.Add(after).Add(jitter(20 * time.Minute))
			p.at(from, queue.AgentPause{Agent: queue.AgentID(a.ID), Reason: reason})
			p.at(from.Add(length), queue.AgentUnpause{Agent: queue.AgentID(a.ID)})
		}
		pause(2*time.Hour, 15*time.Minute, "Break")
		if hours == 10 {
			pause(4*time.Hour, time.Duration(30+p.r.IntN(16))*time.Minute, "Lunch")
			pause(6*time.Hour+30*time.Minute, 15*time.Minute, "Break")
			if p.r.IntN(len(agents)) == 0 {
				pause(5*time.Hour+30*time.Minute, 30*time.Minute, "Training")
			}
		}
		p.at(end, queue.AgentLogout{Agent: queue.AgentID(a.ID)})
	}
	n := 0
	for h := range hours {
		from := open.Add(time.Duration(h) * time.Hour)
		perHour := callsPerHour[h+int(open.Sub(day)/time.Hour)-8] * rate * float64(len(agents)) / crewSize
		for qi, q := range queues {
			qrate := perHour * queueShare[qi%len(queueShare)] / 3600 // per second
			if qrate <= 0 {
				continue
			}
			for t := from.Add(sim.InterArrival(p.r, qrate)); t.Before(from.Add(time.Hour)); t = t.Add(sim.InterArrival(p.r, qrate)) {
				n++
				id := queue.CallerID(fmt.Sprintf("hist-%s-%05d", day.Format("20060102"), n))
				number := sim.CallerNumber(p.r)
				p.queueOf[id] = qi
				p.at(t, queue.CallerJoin{Caller: id, Queue: q.Name, Number: number, Name: sim.CallerName(number), JoinedAt: t})
				// Patience: a few hang up within seconds (the short abandons
				// reports leave out), the rest wait half a minute at least,
				// most a few minutes.
				patience := 30*time.Second + sim.Exponential(p.r, 3*time.Minute)
				if p.r.IntN(25) == 0 {
					patience = time.Duration(1+p.r.IntN(5)) * time.Second
				}
				p.at(t.Add(patience), queue.CallerHangup{Caller: id})
				p.stats.Calls++
			}
		}
	}
}

// run applies the agenda and the engine's own timers in time order until
// end.
func (p *past) run(end time.Time) error {
	for {
		deadline, timer := p.e.NextDeadline()
		if timer && deadline.Before(p.now) {
			deadline = p.now
		}
		if timer && deadline.Before(end) && (len(p.agenda) == 0 || deadline.Before(p.agenda[0].at)) {
			before := deadline
			if err := p.apply(deadline, queue.Tick{}); err != nil {
				return err
			}
			if next, ok := p.e.NextDeadline(); ok && !next.After(before) {
				return fmt.Errorf("demo history: the engine's timer at %s did not fire", before)
			}
			continue
		}
		if len(p.agenda) == 0 || !p.agenda[0].at.Before(end) {
			return nil
		}
		next := heap.Pop(&p.agenda).(timedInput)
		if !p.stillHappens(next.in) {
			continue
		}
		if err := p.apply(next.at, next.in); err != nil {
			return err
		}
	}
}

// stillHappens drops what the call's course made moot: a caller who was
// answered does not give up, a ring that was cancelled is not answered.
func (p *past) stillHappens(in queue.Input) bool {
	switch in := in.(type) {
	case queue.CallerHangup:
		return p.waiting[in.Caller]
	case queue.OfferAnswered:
		return p.ringing[in.Offer]
	case queue.OfferFailed:
		return p.ringing[in.Offer]
	case queue.CallEnded:
		return p.connected[in.Caller]
	}
	return true
}

func (p *past) apply(now time.Time, in queue.Input) error {
	p.now = now
	rd, err := p.e.Apply(now, in)
	if err != nil {
		return fmt.Errorf("demo history at %s: %T: %w", now.Format(time.DateTime), in, err)
	}
	p.stats.Events += len(rd.Events)
	p.record(rd.Events...)
	for _, ev := range rd.Events {
		switch ev := ev.(type) {
		case queue.CallerJoined:
			p.waiting[ev.Caller] = true
		case queue.CallerLeft:
			delete(p.waiting, ev.Caller)
		case queue.CallConnected:
			delete(p.waiting, ev.Caller)
			p.connected[ev.Caller] = true
			p.stats.Answered++
		case queue.CallCompleted:
			delete(p.connected, ev.Caller)
		}
	}
	for _, act := range append(rd.CallerActions, rd.AgentActions...) {
		switch act := act.(type) {
		case queue.RingAgent:
			p.ringing[act.Offer] = true
			switch x := p.r.Float64(); {
			case x < 0.02:
				p.at(now.Add(time.Second), queue.OfferFailed{Offer: act.Offer, Reason: queue.RingBusy})
			case x < 0.06: // rings out: the engine's ring timeout ends it
			default:
				if after := 2*time.Second + time.Duration(p.r.Int64N(int64(6*time.Second))); after < act.Timeout {
					p.at(now.Add(after), queue.OfferAnswered{Offer: act.Offer})
				}
			}
		case queue.CancelRing:
			delete(p.ringing, act.Offer)
		case queue.Connect:
			delete(p.ringing, act.Offer)
			by := queue.PartyCaller
			if p.r.IntN(10) < 3 {
				by = queue.PartyAgent
			}
			talk := sim.Exponential(p.r, talkMean[p.queueOf[act.Caller]%len(talkMean)]) + 20*time.Second
			p.at(now.Add(act.Delay+talk), queue.CallEnded{Caller: act.Caller, By: by})
		case queue.Announce:
			p.at(now.Add(time.Duration(len(act.Media))*3*time.Second), queue.AnnouncementDone{Caller: act.Caller})
		}
	}
	return nil
}
