package queue

import (
	"fmt"
	"time"
)

// Strategy names follow app_queue's, plus longest-idle (mod_callcenter) and skills.
type Strategy string

const (
	RingAll     Strategy = "ringall"
	LeastRecent Strategy = "leastrecent"
	FewestCalls Strategy = "fewestcalls"
	Random      Strategy = "random"
	RRMemory    Strategy = "rrmemory"
	RROrdered   Strategy = "rrordered"
	Linear      Strategy = "linear"
	WRandom     Strategy = "wrandom"
	LongestIdle Strategy = "longest-idle"
	SkillsBased Strategy = "skills"
)

// Strategies lists every strategy the engine knows, for validation and UIs.
var Strategies = []Strategy{RingAll, LeastRecent, FewestCalls, Random, RRMemory, RROrdered, Linear, WRandom, LongestIdle, SkillsBased}

// EmptyCondition is one of app_queue's joinempty/leavewhenempty words: a member
// in that condition does not count as able to take a call.
type EmptyCondition string

const (
	EmptyPaused      EmptyCondition = "paused"
	EmptyPenalty     EmptyCondition = "penalty"
	EmptyInUse       EmptyCondition = "inuse"
	EmptyRinging     EmptyCondition = "ringing"
	EmptyUnavailable EmptyCondition = "unavailable"
	EmptyInvalid     EmptyCondition = "invalid"
	EmptyUnknown     EmptyCondition = "unknown"
	EmptyWrapup      EmptyCondition = "wrapup"
)

// EmptyConditions lists every joinempty/leavewhenempty word.
var EmptyConditions = []EmptyCondition{EmptyPaused, EmptyPenalty, EmptyInUse, EmptyRinging, EmptyUnavailable, EmptyInvalid, EmptyUnknown, EmptyWrapup}

// AutoPause is app_queue's autopause: no, yes (pause in this queue's view of
// the agent) or all (pause the agent everywhere). stasisq has one pause state
// per agent, so yes and all both pause the agent; the difference is kept for
// import fidelity and reported by the importer.
type AutoPause string

const (
	AutoPauseNo  AutoPause = "no"
	AutoPauseYes AutoPause = "yes"
	AutoPauseAll AutoPause = "all"
)

// PenaltyRule is one queuerules.conf line: after After of waiting, the caller's
// allowed member penalty range changes. Relative values add to the current
// range (app_queue's "+N"/"-N"); absolute ones replace it.
type PenaltyRule struct {
	After       time.Duration `json:"after"`
	MaxPenalty  int           `json:"max_penalty"`
	MaxRelative bool          `json:"max_relative,omitempty"`
	MinPenalty  int           `json:"min_penalty"`
	MinRelative bool          `json:"min_relative,omitempty"`
}

// QueueConfig holds every setting of one queue. Field names follow
// queues.conf where app_queue has the setting; durations are time.Duration.
type QueueConfig struct {
	Name     string   `json:"name"`
	Strategy Strategy `json:"strategy"`

	Timeout             time.Duration `json:"timeout"`             // ring time per attempt
	Retry               time.Duration `json:"retry"`               // pause after a failed round
	WrapUpTime          time.Duration `json:"wrapuptime"`          // after each call
	MaxLen              int           `json:"maxlen"`              // 0: unlimited
	Weight              int           `json:"weight"`              // higher wins a shared agent
	PenaltyMembersLimit int           `json:"penaltymemberslimit"` // with this many members or fewer, penalties are ignored (0: never)
	MemberDelay         time.Duration `json:"memberdelay"`         // after the agent answers, before the two are bridged
	// Announce is app_queue's announce: sounds ("&" between them) played to
	// the agent who answered, after memberdelay and before the bridge.
	Announce string `json:"announce"`
	// ReportHoldTime tells the agent, after Announce, how long the caller
	// waited (queue-reporthold, then minutes and seconds), as app_queue does.
	ReportHoldTime bool `json:"reportholdtime"`
	// Record says which calls of the queue are recorded: RecordAlways
	// (every answered call, caller and agent mixed in one file, from the
	// moment they are bridged), RecordOnDemand (when the agent or a
	// supervisor starts it in the console) or RecordNever ("").
	Record       string `json:"record,omitempty"`
	RecordFormat string `json:"record_format,omitempty"` // wav (default), gsm or wav49
	// RecordFrom is RecordFromJoin to record a record=always queue's
	// callers from the moment they join, hold music and all, through the
	// call (app_queue's monitor-join); RecordFromConnect ("") from the
	// answer.
	RecordFrom string `json:"record_from,omitempty"`
	// RecordAgentControl lets the agent on the call pause, resume (and, on
	// demand, start) its recording; supervisors always may.
	RecordAgentControl bool `json:"record_agent_control,omitempty"`
	// MonitorIndicator tells the agent when a supervisor listens to,
	// whispers into or joins its call.
	MonitorIndicator bool `json:"monitor_indicator,omitempty"`
	// RecordRetention: recordings older than this are deleted, from
	// Asterisk and from the call record (0: kept until deleted by hand).
	RecordRetention time.Duration `json:"record_retention,omitempty"`
	// AbandonResume: a caller who hangs up while waiting and calls the
	// queue again from the same number within this long gets its place
	// back (its first join time and priority) and its wait goes on from
	// where it stopped; the two visits count as one call. 0: off.
	AbandonResume time.Duration `json:"abandon_resume,omitempty"`
	// AutoAnswer: browser phones answer this queue's calls by themselves
	// after this long (0: as each agent's own setting says; with both, the
	// shorter wins). Desk phones ring as always.
	AutoAnswer time.Duration `json:"auto_answer,omitempty"`
	// WelcomeBack is the sound played to such a returning caller before
	// anything else ("" none).
	WelcomeBack string `json:"welcome_back,omitempty"`
	// Keep-my-place callback (callback.go): CallbackMode CallbackAgentFirst
	// or CallbackCustomerFirst offers it ("" off) with CallbackDigit ("" is
	// 1) in the caller's announcements, while its expected wait is at least
	// CallbackMinWait and within CallbackHours ("mon-fri 08:00-18:00;
	// sat 09:00-13:00", "" always). The customer is dialled with
	// CallbackDial ({number} replaced), presenting CallbackCallerID, ringing
	// CallbackRingTimeout (0: 30 s), up to CallbackAttempts times (0: 3)
	// CallbackRetry apart (0: 5 min).
	CallbackMode        string        `json:"callback_mode,omitempty"`
	CallbackDigit       string        `json:"callback_digit,omitempty"`
	CallbackMinWait     time.Duration `json:"callback_min_wait,omitempty"`
	CallbackHours       string        `json:"callback_hours,omitempty"`
	CallbackDial        string        `json:"callback_dial,omitempty"`
	CallbackCallerID    string        `json:"callback_callerid,omitempty"`
	CallbackAttempts    int           `json:"callback_attempts,omitempty"`
	CallbackRetry       time.Duration `json:"callback_retry,omitempty"`
	CallbackRingTimeout time.Duration `json:"callback_ring_timeout,omitempty"`
	ServiceLevel        time.Duration `json:"servicelevel"`    // answered within this counts toward SL
	MaxWait             time.Duration `json:"maxwait"`         // 0: wait forever (Queue()'s timeout)
	TimeoutPriority     string        `json:"timeoutpriority"` // "app" or "conf"
	// TimeoutRestart gives the agent rung straight after another's busy,
	// decline or failure the full Timeout; off, as in app_queue, it rings
	// for what is left of the attempt (ring_one after a busy member).
	// Strategy ringall rings everyone at once and is not affected.
	TimeoutRestart        bool   `json:"timeoutrestart"`
	ExitKeys              string `json:"exitkeys"`                 // DTMF digits that leave the queue
	ExitContext           string `json:"exitcontext"`              // app_queue's context=: an exit key continues at <context>,<key>,1
	RingInUse             bool   `json:"ringinuse"`                // ring agents whose device is busy
	AllowPick             bool   `json:"allowpick"`                // agents may pick a waiting caller
	ContinueOnAgentHangup bool   `json:"continue_on_agent_hangup"` // caller goes on in the dialplan when the agent hangs up first
	// The channel variables app_queue's options of these names set
	// (bridgeVars and queueVars in vars.go say which, where and when).
	SetInterfaceVar  bool `json:"setinterfacevar"`
	SetQueueEntryVar bool `json:"setqueueentryvar"`
	SetQueueVar      bool `json:"setqueuevar"`

	JoinEmpty      []EmptyCondition `json:"joinempty"`
	LeaveWhenEmpty []EmptyCondition `json:"leavewhenempty"`

	AutoPause         AutoPause     `json:"autopause"`
	AutoPauseDelay    time.Duration `json:"autopausedelay"`
	AutoPauseBusy     bool          `json:"autopausebusy"`
	AutoPauseUnavail  bool          `json:"autopauseunavail"`
	AutoPauseNoAnswer int           `json:"autopause_noanswers"` // consecutive failures before pausing; app_queue pauses at the first

	AnnounceFrequency         time.Duration `json:"announce_frequency"`
	MinAnnounceFrequency      time.Duration `json:"min_announce_frequency"`
	AnnouncePosition          string        `json:"announce_position"` // yes, no, more, limit
	AnnouncePositionLimit     int           `json:"announce_position_limit"`
	AnnounceHoldTime          string        `json:"announce_holdtime"` // yes, no, once
	AnnounceRoundSeconds      int           `json:"announce_round_seconds"`
	PeriodicAnnounce          []string      `json:"periodic_announce"`
	PeriodicAnnounceFrequency time.Duration `json:"periodic_announce_frequency"`
	RandomPeriodicAnnounce    bool          `json:"random_periodic_announce"`
	// AnnounceToFirstUser is app_queue's announce-to-first-user: a caller
	// whose turn it is (an agent it may ring is free, and it waits out
	// retry for it) hears announcements between rings too; off, as in
	// app_queue, it hears none until it must wait for an agent again.
	AnnounceToFirstUser bool   `json:"announce_to_first_user"`
	MusicClass          string `json:"musicclass"`
	// Sounds replaces app_queue's prompts (SoundOptions) with the queue's
	// own: queue-youarenext=custom/next; "" plays none.
	Sounds map[string]string `json:"sounds,omitempty"`

	Rules []PenaltyRule `json:"rules"`
}

// DefaultQueueConfig returns app_queue's defaults for a queue called name:
// what its init_queue sets before reading a queue's options, so that a
// queues.conf line left out means here what it means to Asterisk.
func DefaultQueueConfig(name string) QueueConfig {
	return QueueConfig{
		Name:                  name,
		Strategy:              RingAll,
		Timeout:               15 * time.Second,
		Retry:                 5 * time.Second,
		ServiceLevel:          0,
		TimeoutPriority:       "app",
		RingInUse:             true,
		AutoPause:             AutoPauseNo,
		AutoPauseNoAnswer:     1,
		AnnouncePosition:      "yes",
		AnnouncePositionLimit: 10,
		AnnounceHoldTime:      "yes",
		MinAnnounceFrequency:  15 * time.Second,
		MusicClass:            "default",
		JoinEmpty:             nil,
		LeaveWhenEmpty:        nil,
	}
}

// FieldError names the field of a configuration that is wrong and why, so an
// API can refuse input field by field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

// ValidationError is every FieldError of one configuration.
type ValidationError struct {
	Fields []FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	if len(e.Fields) == 1 {
		return "invalid configuration: " + e.Fields[0].Error()
	}
	return fmt.Sprintf("invalid configuration: %s (and %d more)", e.Fields[0].Error(), len(e.Fields)-1)
}

// Membership is an agent's place in one queue.
type Membership struct {
	Queue   string `json:"queue"`
	Penalty int    `json:"penalty"`
	// Order is the agent's place among the queue's members (the member =>
	// line order of queues.conf), which linear and rrordered follow; 0
	// places it after those with one, in the order members were added.
	Order int `json:"order,omitempty"`
	// Paused starts a static agent paused in this queue alone whenever
	// stasisq logs it in (at start, or when the membership is added), as
	// app_queue loads a member => line with paused=1; ready ends it.
	Paused bool `json:"paused,omitempty"`
}

// AgentConfig is what configures an agent; login state lives in the engine.
type AgentConfig struct {
	ID     string `json:"id"`     // login name
	Name   string `json:"name"`   // shown to supervisors and in queue_log
	Device string `json:"device"` // ARI endpoint to dial, e.g. PJSIP/1001
	// Server is the Asterisk the device is on, when stasisq drives several
	// (serve --asterisk NAME=URL); "" is the first. A browser phone is
	// always on the first.
	Server    string         `json:"server,omitempty"`
	Queues    []Membership   `json:"queues"`
	Skills    map[string]int `json:"skills,omitempty"`    // skill -> level 1..100
	Static    bool           `json:"static"`              // logged in and ready whenever stasisq runs (queues.conf member =>)
	RingInUse *bool          `json:"ringinuse,omitempty"` // overrides the queue's ringinuse when set
	// Phone is how the agent takes calls: "" a phone of its own at Device;
	// PhoneBrowser the console's softphone, whose Device is
	// BrowserDevice(ID), an endpoint stasisq provisions on Asterisk.
	Phone string `json:"phone,omitempty"`
	// AutoAnswer, with a browser phone, answers a ring by itself after
	// this long (0: the agent answers).
	AutoAnswer time.Duration `json:"auto_answer,omitempty"`
}

// Recording settings of a queue (QueueConfig.Record).
const (
	RecordNever    = "never"
	RecordAlways   = "always"
	RecordOnDemand = "on-demand"

	RecordFromConnect = "connect"
	RecordFromJoin    = "join"
)

// RecordFormats are the formats a queue may record in (Asterisk's names);
// the first is the default.
var RecordFormats = []string{"wav", "gsm", "wav49"}

// PhoneBrowser: the agent's phone is the console's (AgentConfig.Phone).
const PhoneBrowser = "browser"

// BrowserEndpoint is the PJSIP endpoint (and aor, auth and SIP user) of an
// agent's browser phone; the prefix keeps it apart from the site's own.
func BrowserEndpoint(agent string) string { return "stasisq-" + agent }

// BrowserDevice is the device stasisq rings for an agent's browser phone.
func BrowserDevice(agent string) string { return "PJSIP/" + BrowserEndpoint(agent) }

// MemberName is app_queue's membername for the agent (queue_log's agent
// field, MEMBERNAME): its name, else its id.
func (c AgentConfig) MemberName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}
