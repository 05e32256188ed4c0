package queue

import (
	"reflect"
	"testing"
	"time"
)

// MustLoadRecorderLocation loads a time zone or fails the test.
func MustLoadRecorderLocation(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load location %s: %v", name, err)
	}
	return loc
}

// base is 10:00:00 UTC on a day without DST changes.
var recBase = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func recAt(d time.Duration) time.Time { return recBase.Add(d) }

func TestIntervalStart(t *testing.T) {
	kolkata := MustLoadRecorderLocation(t, "Asia/Kolkata")     // +05:30
	kathmandu := MustLoadRecorderLocation(t, "Asia/Kathmandu") // +05:45
	berlin := MustLoadRecorderLocation(t, "Europe/Berlin")
	tests := []struct {
		name string
		in   time.Time
		loc  *time.Location
		want time.Time
	}{
		{"on the boundary", time.Date(2025, 3, 4, 10, 15, 0, 0, time.UTC), time.UTC, time.Date(2025, 3, 4, 10, 15, 0, 0, time.UTC)},
		{"just before the boundary", time.Date(2025, 3, 4, 10, 14, 59, 999999999, time.UTC), time.UTC, time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)},
		{"half-hour zone", time.Date(2025, 3, 4, 10, 14, 0, 0, kolkata), kolkata, time.Date(2025, 3, 4, 10, 0, 0, 0, kolkata)},
		{"quarter-hour zone", time.Date(2025, 3, 4, 10, 44, 0, 0, kathmandu), kathmandu, time.Date(2025, 3, 4, 10, 30, 0, 0, kathmandu)},
		// 2025-10-26 02:00-03:00 happens twice in Berlin; 00:40 UTC is the first
		// 02:40 (CEST) and 01:40 UTC the second (CET).
		{"repeated hour, first", time.Date(2025, 10, 26, 0, 40, 0, 0, time.UTC), berlin, time.Date(2025, 10, 26, 0, 30, 0, 0, time.UTC)},
		{"repeated hour, second", time.Date(2025, 10, 26, 1, 40, 0, 0, time.UTC), berlin, time.Date(2025, 10, 26, 1, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := IntervalStart(tt.in, tt.loc)
			if !got.Equal(tt.want) {
				t.Errorf("got=%v, want %v", got, tt.want)
			}
			if got.Location() != tt.loc {
				t.Errorf("location got=%v, want %v", got.Location(), tt.loc)
			}
		})
	}
}

func recSLConfigured(queue string, sl time.Duration) QueueConfigured {
	c := DefaultQueueConfig(queue)
	c.ServiceLevel = sl
	return QueueConfigured{At: recAt(-time.Hour), Config: c}
}

// recQueueFigures feeds events to a fresh UTC Recorder and returns queue q's
// figures for the interval holding when.
func recQueueFigures(t *testing.T, events []Event, q string, when time.Time) QueueInterval {
	t.Helper()
	r := NewRecorder(time.UTC)
	// The figures here are counted against a one-minute service level
	// (app_queue's default is 0: only calls answered at once).
	r.Observe(recSLConfigured(q, time.Minute))
	for _, ev := range events {
		r.Observe(ev)
	}
	qs, _ := r.Drain()
	for _, got := range qs {
		if got.Queue == q && got.Start.Equal(IntervalStart(when, time.UTC)) {
			return got
		}
	}
	return QueueInterval{Queue: q, Start: IntervalStart(when, time.UTC)}
}

func TestRecorderQueueFigures(t *testing.T) {
	start := IntervalStart(recAt(0), time.UTC)
	tests := []struct {
		name   string
		events []Event
		want   QueueInterval
	}{
		{
			name: "offered counts joins, not resumed ones",
			events: []Event{
				CallerJoined{At: recAt(time.Minute), Caller: "c1", Queue: "q"},
				CallerJoined{At: recAt(2 * time.Minute), Caller: "c2", Queue: "q", Resumed: true},
				CallerJoined{At: recAt(3 * time.Minute), Caller: "c3", Queue: "other"},
			},
			want: QueueInterval{Queue: "q", Start: start, Offered: 1},
		},
		{
			name: "refused callers are not offered",
			events: []Event{
				CallerRefused{At: recAt(time.Minute), Caller: "c1", Queue: "q", Status: StatusFull},
			},
			want: QueueInterval{Queue: "q", Start: start},
		},
		{
			name: "answered within and beyond the service level, counted once",
			events: []Event{
				recSLConfigured("q", 20*time.Second),
				CallerLeft{At: recAt(time.Minute), Caller: "c1", Queue: "q", Reason: LeftAnswered, Wait: 20 * time.Second, Agent: "a"},
				CallConnected{At: recAt(time.Minute), Caller: "c1", Queue: "q", Agent: "a", Wait: 20 * time.Second},
				CallerLeft{At: recAt(2 * time.Minute), Caller: "c2", Queue: "q", Reason: LeftAnswered, Wait: 21 * time.Second, Agent: "a"},
				CallConnected{At: recAt(2 * time.Minute), Caller: "c2", Queue: "q", Agent: "a", Wait: 21 * time.Second},
			},
			want: QueueInterval{Queue: "q", Start: start, Answered: 2, AnsweredInSL: 1, WaitSum: 41 * time.Second, WaitMax: 21 * time.Second, WaitHist: [7]int{0, 1, 1}},
		},
		{
			name: "service level taken from the latest configuration",
			events: []Event{
				recSLConfigured("q", 20*time.Second),
				recSLConfigured("q", 30*time.Second),
				CallerLeft{At: recAt(time.Minute), Caller: "c1", Queue: "q", Reason: LeftAnswered, Wait: 25 * time.Second},
			},
			want: QueueInterval{Queue: "q", Start: start, Answered: 1, AnsweredInSL: 1, WaitSum: 25 * time.Second, WaitMax: 25 * time.Second, WaitHist: [7]int{0, 0, 1}},
		},
		{
			name: "unconfigured queue uses app_queue's default service level",
			events: []Event{
				CallerLeft{At: recAt(time.Minute), Caller: "c1", Queue: "q", Reason: LeftAnswered, Wait: 60 * time.Second},
				CallerLeft{At: recAt(time.Minute), Caller: "c2", Queue: "q", Reason: LeftAnswered, Wait: 61 * time.Second},
			},
			want: QueueInterval{Queue: "q", Start: start, Answered: 2, AnsweredInSL: 1, WaitSum: 121 * time.Second, WaitMax: 61 * time.Second, WaitHist: [7]int{0, 0, 0, 1, 1}},
		},
		{
			name: "abandons, short ones a subset; lost callers abandoned",
			events: []Event{
				CallerLeft{At: recAt(time.Minute), Caller: "c1", Queue: "q", Reason: LeftAbandoned, Wait: 4 * time.Second},
				CallerLeft{At: recAt(time.Minute), Caller: "c2", Queue: "q", Reason: LeftAbandoned, Wait: 5 * time.Second},
				CallerLeft{At: recAt(time.Minute), Caller: "c3", Queue: "q", Reason: LeftLost, Wait: 90 * time.Second},
			},
			want: QueueInterval{Queue: "q", Start: start, Abandoned: 3, AbandonedShort: 1, AbandonWaitSum: 99 * time.Second},
		},
		{
			name: "timeouts and exits",
			events: []Event{
				CallerLeft{At: recAt(time.Minute), Caller: "c1", Queue: "q", Reason: LeftTimeout, Wait: time.Minute},
				CallerLeft{At: recAt(time.Minute), Caller: "c2", Queue: "q", Reason: LeftExitKey, Key: "1"},
				CallerLeft{At: recAt(time.Minute), Caller: "c3", Queue: "q", Reason: LeftLeaveEmpty},
				CallerLeft{At: recAt(time.Minute), Caller: "c4", Queue: "q", Reason: LeftContinued},
				CallerLeft{At: recAt(time.Minute), Caller: "c5", Queue: "q", Reason: LeftHungUp},
			},
			want: QueueInterval{Queue: "q", Start: start, TimedOut: 1, Exited: 4},
		},
		{
			name: "a move exits the old queue",
			events: []Event{
				CallerMoved{At: recAt(time.Minute), Caller: "c1", From: "q", To: "other"},
			},
			want: QueueInterval{Queue: "q", Start: start, Exited: 1},
		},
		{
			name: "a move is offered to the new queue",
			events: []Event{
				CallerMoved{At: recAt(time.Minute), Caller: "c1", From: "other", To: "q"},
			},
			want: QueueInterval{Queue: "q", Start: start, Offered: 1},
		},
		{
			name: "talk and wrap-up sums and maxima",
			events: []Event{
				CallCompleted{At: recAt(time.Minute), Caller: "c1", Agent: "a", Queue: "q", Talk: 30 * time.Second},
				CallCompleted{At: recAt(2 * time.Minute), Caller: "c2", Agent: "b", Queue: "q", Talk: 90 * time.Second},
				WrapUpEnded{At: recAt(3 * time.Minute), Agent: "a", Queue: "q", WrapUp: 10 * time.Second},
				WrapUpEnded{At: recAt(4 * time.Minute), Agent: "b", Queue: "q", WrapUp: 5 * time.Second},
			},
			want: QueueInterval{Queue: "q", Start: start, TalkSum: 120 * time.Second, TalkMax: 90 * time.Second, WrapSum: 15 * time.Second, WrapMax: 10 * time.Second},
		},
		{
			name: "events count in the interval in which they happened",
			events: []Event{
				CallerJoined{At: recAt(14*time.Minute + 59*time.Second), Caller: "c1", Queue: "q"},
				CallerLeft{At: recAt(15 * time.Minute), Caller: "c1", Queue: "q", Reason: LeftAnswered, Wait: time.Second},
				CallCompleted{At: recAt(31 * time.Minute), Caller: "c1", Agent: "a", Queue: "q", Talk: 16 * time.Minute},
			},
			want: QueueInterval{Queue: "q", Start: start, Offered: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := recQueueFigures(t, tt.events, "q", recAt(0))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got=%+v,\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestRecorderEventsInLaterIntervals(t *testing.T) {
	events := []Event{
		CallerJoined{At: recAt(14*time.Minute + 59*time.Second), Caller: "c1", Queue: "q"},
		CallerLeft{At: recAt(15 * time.Minute), Caller: "c1", Queue: "q", Reason: LeftAnswered, Wait: time.Second},
		CallCompleted{At: recAt(31 * time.Minute), Caller: "c1", Agent: "a", Queue: "q", Talk: 16 * time.Minute},
	}
	second := recQueueFigures(t, events, "q", recAt(15*time.Minute))
	want := QueueInterval{Queue: "q", Start: recAt(15 * time.Minute), Answered: 1, AnsweredInSL: 1, WaitSum: time.Second, WaitMax: time.Second, WaitHist: [7]int{1}}
	if !reflect.DeepEqual(second, want) {
		t.Errorf("second interval got=%+v,\nwant %+v", second, want)
	}
	third := recQueueFigures(t, events, "q", recAt(30*time.Minute))
	want = QueueInterval{Queue: "q", Start: recAt(30 * time.Minute), TalkSum: 16 * time.Minute, TalkMax: 16 * time.Minute}
	if !reflect.DeepEqual(third, want) {
		t.Errorf("third interval got=%+v,\nwant %+v", third, want)
	}
}

func TestServiceLevelPercent(t *testing.T) {
	tests := []struct {
		name string
		in   QueueInterval
		want float64
	}{
		{"nothing to measure", QueueInterval{}, 0},
		{"only short abandons", QueueInterval{Abandoned: 2, AbandonedShort: 2}, 0},
		{"all within", QueueInterval{Answered: 4, AnsweredInSL: 4}, 100},
		{"short abandons do not count against", QueueInterval{Answered: 3, AnsweredInSL: 3, Abandoned: 2, AbandonedShort: 1}, 75},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.ServiceLevelPercent(); got != tt.want {
				t.Errorf("got=%v, want %v", got, tt.want)
			}
		})
	}
}

func recStateChange(agent AgentID, prev AgentState, since time.Duration, state AgentState, now time.Duration) AgentStateChanged {
	return AgentStateChanged{At: recAt(now), Agent: agent, Prev: prev, PrevSince: recAt(since), State: state}
}

func TestRecorderAgentFigures(t *testing.T) {
	start := IntervalStart(recAt(0), time.UTC)
	tests := []struct {
		name   string
		events []Event
		want   []AgentInterval // every interval of agent "a" changed, in order
	}{
		{
			name: "calls and talk from completed calls",
			events: []Event{
				CallConnected{At: recAt(time.Minute), Caller: "c1", Agent: "a", Queue: "q"},
				CallCompleted{At: recAt(2 * time.Minute), Caller: "c1", Agent: "a", Queue: "q", Talk: time.Minute},
				CallCompleted{At: recAt(5 * time.Minute), Caller: "c2", Agent: "a", Queue: "q", Talk: 2 * time.Minute},
				CallCompleted{At: recAt(5 * time.Minute), Caller: "c3", Agent: "b", Queue: "q", Talk: 7 * time.Minute},
			},
			want: []AgentInterval{{Agent: "a", Start: start, Calls: 2, Talk: 3 * time.Minute}},
		},
		{
			name: "wrap-up",
			events: []Event{
				WrapUpEnded{At: recAt(time.Minute), Agent: "a", Queue: "q", WrapUp: 10 * time.Second},
				WrapUpEnded{At: recAt(2 * time.Minute), Agent: "a", Queue: "q", WrapUp: 5 * time.Second},
			},
			want: []AgentInterval{{Agent: "a", Start: start, WrapUp: 15 * time.Second}},
		},
		{
			name: "no answers and rejects, not cancels, busy or errors",
			events: []Event{
				OfferEnded{At: recAt(time.Minute), Agent: "a", Result: string(RingNoAnswer)},
				OfferEnded{At: recAt(time.Minute), Agent: "a", Result: string(RingRejected)},
				OfferEnded{At: recAt(time.Minute), Agent: "a", Result: "canceled"},
				OfferEnded{At: recAt(time.Minute), Agent: "a", Result: "answered"},
				OfferEnded{At: recAt(time.Minute), Agent: "a", Result: string(RingBusy)},
				OfferEnded{At: recAt(time.Minute), Agent: "a", Result: string(RingError)},
			},
			want: []AgentInterval{{Agent: "a", Start: start, NoAnswers: 2}},
		},
		{
			name: "logged-in time within one interval",
			events: []Event{
				recStateChange("a", AgentLoggedOut, -time.Hour, AgentAvailable, time.Minute),
				recStateChange("a", AgentAvailable, time.Minute, AgentRinging, 4*time.Minute),
				recStateChange("a", AgentRinging, 4*time.Minute, AgentOnCall, 5*time.Minute),
			},
			want: []AgentInterval{{Agent: "a", Start: start, LoggedIn: 4 * time.Minute}},
		},
		{
			name: "paused time split across interval boundaries",
			events: []Event{
				recStateChange("a", AgentPaused, 10*time.Minute, AgentAvailable, 50*time.Minute),
			},
			want: []AgentInterval{
				{Agent: "a", Start: start, Paused: 5 * time.Minute, PausedBy: map[string]time.Duration{"": 5 * time.Minute}, LoggedIn: 5 * time.Minute},
				{Agent: "a", Start: recAt(15 * time.Minute), Paused: 15 * time.Minute, PausedBy: map[string]time.Duration{"": 15 * time.Minute}, LoggedIn: 15 * time.Minute},
				{Agent: "a", Start: recAt(30 * time.Minute), Paused: 15 * time.Minute, PausedBy: map[string]time.Duration{"": 15 * time.Minute}, LoggedIn: 15 * time.Minute},
				{Agent: "a", Start: recAt(45 * time.Minute), Paused: 5 * time.Minute, PausedBy: map[string]time.Duration{"": 5 * time.Minute}, LoggedIn: 5 * time.Minute},
			},
		},
		{
			name: "logging out ends logged-in time; logged-out time is not counted",
			events: []Event{
				recStateChange("a", AgentAvailable, 14*time.Minute, AgentLoggedOut, 16*time.Minute),
				recStateChange("a", AgentLoggedOut, 16*time.Minute, AgentAvailable, 40*time.Minute),
			},
			want: []AgentInterval{
				{Agent: "a", Start: start, LoggedIn: time.Minute},
				{Agent: "a", Start: recAt(15 * time.Minute), LoggedIn: time.Minute},
			},
		},
		{
			name: "ending exactly on a boundary does not touch the next interval",
			events: []Event{
				recStateChange("a", AgentPaused, 5*time.Minute, AgentAvailable, 15*time.Minute),
			},
			want: []AgentInterval{{Agent: "a", Start: start, Paused: 10 * time.Minute, PausedBy: map[string]time.Duration{"": 10 * time.Minute}, LoggedIn: 10 * time.Minute}},
		},
		{
			name: "removing an agent closes its time",
			events: []Event{
				recStateChange("a", AgentLoggedOut, 0, AgentPaused, time.Minute),
				AgentRemoved{At: recAt(3 * time.Minute), Agent: "a"},
			},
			want: []AgentInterval{{Agent: "a", Start: start, Paused: 2 * time.Minute, PausedBy: map[string]time.Duration{"": 2 * time.Minute}, LoggedIn: 2 * time.Minute}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder(time.UTC)
			for _, ev := range tt.events {
				r.Observe(ev)
			}
			_, agents := r.Drain()
			var got []AgentInterval
			for _, a := range agents {
				if a.Agent == "a" {
					got = append(got, a)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got=%+v,\nwant %+v", got, tt.want)
			}
			for i := range got {
				if !got[i].Start.Equal(tt.want[i].Start) {
					t.Errorf("[%d] start got=%v, want %v", i, got[i].Start, tt.want[i].Start)
				}
				got[i].Start = tt.want[i].Start
				if !reflect.DeepEqual(got[i], tt.want[i]) {
					t.Errorf("[%d] got=%+v,\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestRecorderAdvance(t *testing.T) {
	r := NewRecorder(time.UTC)
	r.Observe(recStateChange("a", AgentLoggedOut, -time.Hour, AgentPaused, 5*time.Minute))
	r.Drain()

	r.Advance(recAt(20 * time.Minute))
	_, agents := r.Drain()
	want := []AgentInterval{
		{Agent: "a", Start: recAt(0), Paused: 10 * time.Minute, PausedBy: map[string]time.Duration{"": 10 * time.Minute}, LoggedIn: 10 * time.Minute},
		{Agent: "a", Start: recAt(15 * time.Minute), Paused: 5 * time.Minute, PausedBy: map[string]time.Duration{"": 5 * time.Minute}, LoggedIn: 5 * time.Minute},
	}
	if !reflect.DeepEqual(agents, want) {
		t.Fatalf("after Advance got=%+v,\nwant %+v", agents, want)
	}

	// The state change reports PrevSince 5m; only the time after the
	// Advance may be added.
	r.Observe(recStateChange("a", AgentPaused, 5*time.Minute, AgentAvailable, 25*time.Minute))
	if got, want := r.AgentDay("a", recAt(0)).Paused, 20*time.Minute; got != want {
		t.Errorf("paused today got=%v, want %v", got, want)
	}
	r.Advance(recAt(26 * time.Minute))
	day := r.AgentDay("a", recAt(0))
	if day.Paused != 20*time.Minute || day.LoggedIn != 21*time.Minute {
		t.Errorf("day got=%+v, want paused 20m, logged in 21m", day)
	}
}

func TestRecorderDrainOnlyChanged(t *testing.T) {
	r := NewRecorder(time.UTC)
	r.Observe(CallerJoined{At: recAt(time.Minute), Caller: "c1", Queue: "q"})
	r.Observe(CallerJoined{At: recAt(20 * time.Minute), Caller: "c2", Queue: "q"})
	qs, _ := r.Drain()
	if len(qs) != 2 {
		t.Fatalf("first drain got=%d intervals, want 2", len(qs))
	}
	if qs, as := r.Drain(); len(qs) != 0 || len(as) != 0 {
		t.Fatalf("second drain got=%v %v, want nothing", qs, as)
	}
	r.Observe(CallerLeft{At: recAt(2 * time.Minute), Caller: "c1", Queue: "q", Reason: LeftTimeout})
	qs, _ = r.Drain()
	want := []QueueInterval{{Queue: "q", Start: recAt(0), Offered: 1, TimedOut: 1}}
	if !reflect.DeepEqual(qs, want) {
		t.Errorf("third drain got=%+v, want full current values %+v", qs, want)
	}
}

func TestRecorderLoadThenObserve(t *testing.T) {
	r := NewRecorder(time.UTC)
	r.Load(
		[]QueueInterval{{Queue: "q", Start: recAt(0), Offered: 5, Answered: 3, WaitMax: time.Minute}},
		[]AgentInterval{{Agent: "a", Start: recAt(0), Calls: 2}},
	)
	if qs, as := r.Drain(); len(qs) != 0 || len(as) != 0 {
		t.Fatalf("drain after load got=%v %v, want nothing", qs, as)
	}
	r.Observe(CallerJoined{At: recAt(time.Minute), Caller: "c1", Queue: "q"})
	r.Observe(CallCompleted{At: recAt(time.Minute), Caller: "c0", Agent: "a", Queue: "q", Talk: time.Second})
	qs, as := r.Drain()
	if len(qs) != 1 || qs[0].Offered != 6 || qs[0].Answered != 3 || qs[0].WaitMax != time.Minute {
		t.Errorf("queue got=%+v, want loaded figures plus one offered", qs)
	}
	if len(as) != 1 || as[0].Calls != 3 {
		t.Errorf("agent got=%+v, want 3 calls", as)
	}
}

func TestRecorderDays(t *testing.T) {
	berlin := MustLoadRecorderLocation(t, "Europe/Berlin")
	r := NewRecorder(berlin)
	r.Observe(recSLConfigured("q", time.Minute))
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, berlin)
	join := func(h, m int, id CallerID) {
		r.Observe(CallerJoined{At: time.Date(2025, 3, 4, h, m, 0, 0, berlin), Caller: id, Queue: "q"})
	}
	// 23:50 the day before, Berlin time, is 22:50 UTC on 3 March.
	r.Observe(CallerJoined{At: day.Add(-10 * time.Minute), Caller: "yesterday", Queue: "q"})
	join(0, 0, "c1")
	join(12, 7, "c2")
	join(23, 59, "c3")
	r.Observe(CallerJoined{At: day.AddDate(0, 0, 1), Caller: "tomorrow", Queue: "q"})
	r.Observe(CallerLeft{At: time.Date(2025, 3, 4, 9, 0, 0, 0, berlin), Caller: "c1", Queue: "q", Reason: LeftAnswered, Wait: 30 * time.Second})
	r.Observe(CallerLeft{At: time.Date(2025, 3, 4, 13, 0, 0, 0, berlin), Caller: "c2", Queue: "q", Reason: LeftAnswered, Wait: 90 * time.Second})

	got := r.QueueDay("q", time.Date(2025, 3, 4, 15, 0, 0, 0, time.UTC))
	want := QueueInterval{Queue: "q", Start: day, Offered: 3, Answered: 2, AnsweredInSL: 1, WaitSum: 2 * time.Minute, WaitMax: 90 * time.Second, WaitHist: [7]int{0, 0, 1, 0, 1}}
	if !got.Start.Equal(want.Start) {
		t.Errorf("start got=%v, want %v", got.Start, want.Start)
	}
	got.Start = want.Start
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got=%+v,\nwant %+v", got, want)
	}
	if got := r.QueueDay("other", day); got.Offered != 0 {
		t.Errorf("unknown queue got=%+v, want zero figures", got)
	}

	// A day of 23 hours: the spring DST change, 2025-03-30 in Berlin.
	dst := time.Date(2025, 3, 30, 0, 0, 0, 0, berlin)
	r.Observe(recStateChange("a", AgentLoggedOut, 0, AgentAvailable, 0))
	r.Observe(AgentStateChanged{At: dst.AddDate(0, 0, 1).Add(time.Hour), Agent: "a", Prev: AgentAvailable, PrevSince: dst.Add(-time.Hour), State: AgentLoggedOut})
	if got, want := r.AgentDay("a", dst.Add(12*time.Hour)).LoggedIn, 23*time.Hour; got != want {
		t.Errorf("logged in on a 23-hour day got=%v, want %v", got, want)
	}
	if got, want := r.AgentDay("a", dst.AddDate(0, 0, 1)).LoggedIn, time.Hour; got != want {
		t.Errorf("logged in the next day got=%v, want %v", got, want)
	}
}

func TestRecorderForgetsOldIntervals(t *testing.T) {
	r := NewRecorder(time.UTC)
	r.Observe(CallerJoined{At: recAt(0), Caller: "c1", Queue: "q"})
	r.Drain()
	r.Observe(CallerJoined{At: recAt(3 * 24 * time.Hour), Caller: "c2", Queue: "q"})
	r.Drain()
	if got := r.QueueDay("q", recAt(0)).Offered; got != 0 {
		t.Errorf("offered three days ago got=%d, want 0 (forgotten)", got)
	}
	if got := r.QueueDay("q", recAt(3*24*time.Hour)).Offered; got != 1 {
		t.Errorf("offered today got=%d, want 1", got)
	}
}

func TestRecorderForgetsUndrainedIntervals(t *testing.T) {
	r := NewRecorder(time.UTC)
	r.Observe(CallerJoined{At: recAt(0), Caller: "c1", Queue: "q"})
	r.Observe(recStateChange("a", AgentLoggedOut, 0, AgentAvailable, 0))
	r.Observe(recStateChange("a", AgentAvailable, 0, AgentPaused, time.Minute))
	r.Observe(CallerJoined{At: recAt(49 * time.Hour), Caller: "c2", Queue: "q"})
	r.Observe(recStateChange("a", AgentPaused, 49*time.Hour, AgentAvailable, 49*time.Hour+time.Minute))
	qs, as := r.Drain()
	want := []QueueInterval{{Queue: "q", Start: recAt(49 * time.Hour), Offered: 1}}
	if !reflect.DeepEqual(qs, want) {
		t.Errorf("queues got=%+v, want only the newest %+v", qs, want)
	}
	if len(as) != 1 || !as[0].Start.Equal(recAt(49*time.Hour)) || as[0].Paused != time.Minute {
		t.Errorf("agents got=%+v, want only the newest interval with 1m paused", as)
	}
}

func TestRecorderEventsOutOfIntervalOrder(t *testing.T) {
	r := NewRecorder(time.UTC)
	r.Observe(CallerJoined{At: recAt(20 * time.Minute), Caller: "c1", Queue: "q"})
	r.Observe(CallerJoined{At: recAt(5 * time.Minute), Caller: "c2", Queue: "q"})
	r.Observe(CallerJoined{At: recAt(29 * time.Minute), Caller: "c3", Queue: "q"})
	r.Observe(CallerJoined{At: recAt(30 * time.Minute), Caller: "c4", Queue: "q"})
	qs, _ := r.Drain()
	want := []QueueInterval{
		{Queue: "q", Start: recAt(0), Offered: 1},
		{Queue: "q", Start: recAt(15 * time.Minute), Offered: 2},
		{Queue: "q", Start: recAt(30 * time.Minute), Offered: 1},
	}
	if !reflect.DeepEqual(qs, want) {
		t.Errorf("got=%+v,\nwant %+v", qs, want)
	}
}

func TestRecorderLoadReplaces(t *testing.T) {
	r := NewRecorder(time.UTC)
	r.Observe(CallerJoined{At: recAt(time.Minute), Caller: "c1", Queue: "q"})
	r.Load([]QueueInterval{{Queue: "q", Start: recAt(2 * time.Minute), Offered: 7}}, nil)
	r.Observe(CallerJoined{At: recAt(3 * time.Minute), Caller: "c2", Queue: "q"})
	if got := r.QueueDay("q", recAt(0)).Offered; got != 8 {
		t.Errorf("offered got=%d, want 8 (the loaded 7, realigned to the interval, plus one)", got)
	}
}

// Paused time is also counted by the pause's reason, the reason changing
// while paused included; a drained interval's map is the caller's own.
func TestRecorderPausedByReason(t *testing.T) {
	r := NewRecorder(time.UTC)
	r.Observe(recStateChange("a", AgentLoggedOut, -time.Hour, AgentAvailable, 0))
	pause := func(at time.Duration, prev AgentState, since time.Duration, reason string) {
		r.Observe(AgentStateChanged{At: recAt(at), Agent: "a", State: AgentPaused, Reason: reason, Prev: prev, PrevSince: recAt(since)})
	}
	pause(time.Minute, AgentAvailable, 0, "Break")
	pause(6*time.Minute, AgentPaused, time.Minute, "Lunch")
	r.Observe(AgentStateChanged{At: recAt(16 * time.Minute), Agent: "a", State: AgentAvailable, Prev: AgentPaused, PrevSince: recAt(6 * time.Minute)})
	_, agents := r.Drain()
	var got AgentInterval
	for _, a := range agents {
		got.Add(a)
	}
	want := map[string]time.Duration{"Break": 5 * time.Minute, "Lunch": 10 * time.Minute}
	if got.Paused != 15*time.Minute || !reflect.DeepEqual(got.PausedBy, want) {
		t.Fatalf("paused %s by %v, want 15m by %v", got.Paused, got.PausedBy, want)
	}
	agents[len(agents)-1].PausedBy["Break"] = time.Hour // the caller's copy of 10:15's interval
	r.Observe(AgentStateChanged{At: recAt(17 * time.Minute), Agent: "a", State: AgentPaused, Reason: "Break", Prev: AgentAvailable, PrevSince: recAt(16 * time.Minute)})
	r.Advance(recAt(18 * time.Minute))
	_, again := r.Drain()
	if d := again[len(again)-1].PausedBy["Break"]; d != time.Minute {
		t.Fatalf("Break in 10:15's interval after a minute more of it: %s, want 1m (a change to the drained copy is not the recorder's)", d)
	}
}
