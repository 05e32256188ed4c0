package queue

import "time"

// Outcomes of a call record besides the LeaveReason values a caller
// can leave with unanswered (abandoned, timeout, exit, leaveempty, continued,
// hungup, lost).
const (
	OutcomeWaiting   = "waiting"   // in the queue
	OutcomeConnected = "connected" // talking to an agent
	OutcomeCompleted = "completed" // answered, then hung up
	OutcomeRefused   = "refused"   // never queued; Status says why
	// OutcomeTransferred: answered, then transferred from the agent's phone;
	// Transfer says where to. It counts as answered, its talk until the
	// transfer.
	OutcomeTransferred = "transferred"
)

// CallTransfer is a connected call transferred away from the agent's phone.
type CallTransfer struct {
	At       time.Time `json:"at"`
	By       Party     `json:"by"`
	Exten    string    `json:"exten,omitempty"`
	Context  string    `json:"context,omitempty"`
	Attended string    `json:"attended,omitempty"` // attended transfer: where to, as queue_log says it
}

// CallMove is a supervisor moving a waiting caller to another
type CallMove struct {
	At       time.Time `json:"at"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	KeepWait bool      `json:"keep_wait"`
}

// CallRecord is one caller's visit: from joining (or being refused) to
// leaving the queue unanswered or ending the call with an agent. A channel
// that enters the application again gets a new record.
type CallRecord struct {
	ID       string   `json:"id"` // time-ordered: join time then caller id
	Caller   CallerID `json:"caller"`
	Queue    string   `json:"queue"` // the queue it is (or was last) in
	Number   string   `json:"number"`
	Name     string   `json:"name"`
	Priority int      `json:"priority"`

	JoinedAt    time.Time `json:"joined_at"`
	FirstRingAt time.Time `json:"first_ring_at,omitzero"`
	AnsweredAt  time.Time `json:"answered_at,omitzero"`
	LeftAt      time.Time `json:"left_at,omitzero"`  // left the queue, answered or not
	EndedAt     time.Time `json:"ended_at,omitzero"` // visit over: left unanswered, or call ended

	Agent        AgentID       `json:"agent,omitempty"`
	Outcome      string        `json:"outcome"`
	Status       QueueStatus   `json:"status,omitempty"` // for OutcomeRefused
	ExitKey      string        `json:"exit_key,omitempty"`
	CompletedBy  Party         `json:"completed_by,omitempty"`
	JoinPosition int           `json:"join_position"`
	ExitPosition int           `json:"exit_position"`
	Wait         time.Duration `json:"wait"`      // join to leaving the queue
	RingTime     time.Duration `json:"ring_time"` // of the offer that was answered
	Talk         time.Duration `json:"talk"`
	Offers       int           `json:"offers"`     // agents rung
	Unanswered   int           `json:"unanswered"` // offers that failed (not canceled)
	Moves        []CallMove    `json:"moves,omitempty"`
	Resumed      bool          `json:"resumed,omitempty"` // carried across a restart of stasisq
	Transfer     *CallTransfer `json:"transfer,omitempty"`
}

// Open reports whether the visit is still going on.
func (r CallRecord) Open() bool { return r.EndedAt.IsZero() }
