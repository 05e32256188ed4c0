package queue

import "time"

// Snapshot is the whole live state, for a UI client connecting or a
// supervisor asking for a fresh view. It shares nothing with the engine.
type Snapshot struct {
	At     time.Time   `json:"at"`
	Queues []QueueView `json:"queues"`
	Agents []AgentView `json:"agents"`
	// Servers, when stasisq drives several Asterisk servers, says which
	// are connected (the call flow adds it: the engine knows no servers).
	Servers []ServerStatus `json:"servers,omitempty"`
}

// ServerStatus is one Asterisk server's connection.
type ServerStatus struct {
	Name      string `json:"name"`
	Connected bool   `json:"connected"`
}

// QueueView is one queue with its callers in order and its real-time figures.
type QueueView struct {
	Config   QueueConfig  `json:"config"`
	Callers  []CallerView `json:"callers"` // in queue order, position 1 first
	RealTime RealTime     `json:"realtime"`
}

// RealTime is a queue's live figures.
type RealTime struct {
	Waiting      int                `json:"waiting"`
	LongestWait  time.Duration      `json:"longest_wait"`
	Agents       map[AgentState]int `json:"agents"`        // members by state
	InProgress   int                `json:"in_progress"`   // connected calls
	Today        QueueInterval      `json:"today"`         // sums since local midnight
	ServiceLevel float64            `json:"service_level"` // today, 0..100; answered within SL / (answered + abandoned after the short-abandon threshold)
	ExpectedWait time.Duration      `json:"expected_wait"` // for a caller joining now
}

// CallerView is one waiting (or ringing) caller.
type CallerView struct {
	ID       CallerID       `json:"id"`
	Queue    string         `json:"queue"`
	Position int            `json:"position"`
	Priority int            `json:"priority"`
	Number   string         `json:"number"`
	Name     string         `json:"name"`
	JoinedAt time.Time      `json:"joined_at"`
	Skills   map[string]int `json:"skills,omitempty"`
	Ringing  []AgentID      `json:"ringing,omitempty"` // agents being offered this caller now
	// Returned: the caller hung up and called back within the queue's
	// abandon-resume window, and holds its old place.
	Returned bool `json:"returned,omitempty"`
	// Callback, for a caller that asked to be called back and holds its
	// place without its line: "waiting", "retry" (a try failed), "dialing";
	// CallbackNumber is the number, CallbackAttempts the tries so far.
	Callback         string        `json:"callback,omitempty"`
	CallbackNumber   string        `json:"callback_number,omitempty"`
	CallbackAttempts int           `json:"callback_attempts,omitempty"`
	ExpectedWait     time.Duration `json:"expected_wait"`
}

// AgentView is one agent with its live state.
type AgentView struct {
	Config       AgentConfig   `json:"config"`
	State        AgentState    `json:"state"`
	Reason       string        `json:"reason,omitempty"`
	Since        time.Time     `json:"since"`
	Device       DeviceState   `json:"device_state"`
	Caller       CallerID      `json:"caller,omitempty"` // ringing, on-call or wrap-up for this caller
	CallerNumber string        `json:"caller_number,omitempty"`
	CallerName   string        `json:"caller_name,omitempty"`
	Queue        string        `json:"queue,omitempty"`
	Offer        OfferID       `json:"offer,omitempty"`
	LastCallEnd  time.Time     `json:"last_call_end"`
	Today        AgentInterval `json:"today"`
	// Recording is the state of the recording of the agent's call
	// (RecordingActive, RecordingPaused, RecordingFailure), "" for none.
	Recording string `json:"recording,omitempty"`
	// Monitors are the supervisors on the agent's call; an agent's own
	// view keeps only the Shown ones.
	Monitors []CallMonitor `json:"monitors,omitempty"`
	// PausedIn are the queues the agent is paused in alone (autopause=yes).
	PausedIn []string `json:"paused_in,omitempty"`
}

// IntervalLength is the statistics interval, as in call-centre reporting.
const IntervalLength = 15 * time.Minute

// ShortAbandon is the wait under which an abandon is counted apart (a caller
// who hung up at once is not a service failure).
const ShortAbandon = 5 * time.Second

// QueueInterval is one queue's figures over one interval (or a day).
type QueueInterval struct {
	Queue          string        `json:"queue"`
	Start          time.Time     `json:"start"`
	Offered        int           `json:"offered"`
	Answered       int           `json:"answered"`
	AnsweredInSL   int           `json:"answered_in_sl"`
	Abandoned      int           `json:"abandoned"`
	AbandonedShort int           `json:"abandoned_short"`
	TimedOut       int           `json:"timed_out"`
	Exited         int           `json:"exited"`   // exit key, leave-empty, continued, hung up by a supervisor
	WaitSum        time.Duration `json:"wait_sum"` // of answered calls
	WaitMax        time.Duration `json:"wait_max"`
	AbandonWaitSum time.Duration `json:"abandon_wait_sum"`
	TalkSum        time.Duration `json:"talk_sum"`
	TalkMax        time.Duration `json:"talk_max"`
	WrapSum        time.Duration `json:"wrap_sum"`
	WrapMax        time.Duration `json:"wrap_max"`
	// Callbacks are the callers who asked to be called back (keep-my-place
	// callback), counted when they asked; CallbacksFailed gave up.
	Callbacks       int `json:"callbacks"`
	CallbacksFailed int `json:"callbacks_failed"`
	// WaitHist counts answered calls by their wait, in the WaitBuckets:
	// [i] is a wait up to WaitBuckets[i], the last one longer than all.
	WaitHist [len(WaitBuckets) + 1]int `json:"wait_hist"`
}

// WaitBuckets are the upper bounds of QueueInterval.WaitHist's counts.
var WaitBuckets = [...]time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}

// waitBucket is the WaitHist index of a wait.
func waitBucket(w time.Duration) int {
	for i, b := range WaitBuckets {
		if w <= b {
			return i
		}
	}
	return len(WaitBuckets)
}

// AgentInterval is one agent's figures over one interval (or a day).
type AgentInterval struct {
	Agent     AgentID       `json:"agent"`
	Start     time.Time     `json:"start"`
	Calls     int           `json:"calls"`
	NoAnswers int           `json:"no_answers"`
	Talk      time.Duration `json:"talk"`
	WrapUp    time.Duration `json:"wrap_up"`
	Paused    time.Duration `json:"paused"`
	LoggedIn  time.Duration `json:"logged_in"`
	// PausedBy splits Paused by the pause's reason ("" for none given).
	PausedBy map[string]time.Duration `json:"paused_by,omitempty"`
}

// Add folds o into q: counts and sums add, maxima take the larger. Queue and
// Start stay q's, so a day's total is built by adding its intervals.
func (q *QueueInterval) Add(o QueueInterval) {
	q.Offered += o.Offered
	q.Answered += o.Answered
	q.AnsweredInSL += o.AnsweredInSL
	q.Abandoned += o.Abandoned
	q.AbandonedShort += o.AbandonedShort
	q.TimedOut += o.TimedOut
	q.Exited += o.Exited
	q.Callbacks += o.Callbacks
	q.CallbacksFailed += o.CallbacksFailed
	q.WaitSum += o.WaitSum
	q.WaitMax = max(q.WaitMax, o.WaitMax)
	q.AbandonWaitSum += o.AbandonWaitSum
	q.TalkSum += o.TalkSum
	q.TalkMax = max(q.TalkMax, o.TalkMax)
	q.WrapSum += o.WrapSum
	q.WrapMax = max(q.WrapMax, o.WrapMax)
	for i, n := range o.WaitHist {
		q.WaitHist[i] += n
	}
}

// Add folds o into a; Agent and Start stay a's.
func (a *AgentInterval) Add(o AgentInterval) {
	a.Calls += o.Calls
	a.NoAnswers += o.NoAnswers
	a.Talk += o.Talk
	a.WrapUp += o.WrapUp
	a.Paused += o.Paused
	a.LoggedIn += o.LoggedIn
	if len(o.PausedBy) > 0 && a.PausedBy == nil {
		a.PausedBy = make(map[string]time.Duration, len(o.PausedBy))
	}
	for k, v := range o.PausedBy {
		a.PausedBy[k] += v
	}
}
