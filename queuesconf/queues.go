package queuesconf

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"stasisq/queue"
)

// queueNamePattern is the queue and login name the stasisq API accepts.
var queueNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Result is what queues.conf becomes.
type Result struct {
	Queues   []queue.QueueConfig `json:"queues"`
	Agents   []queue.AgentConfig `json:"agents"` // one per member interface, static
	Warnings []Warning           `json:"warnings"`
	// DefaultRules maps a queue to the queuerules.conf rule its defaultrule
	// names; Apply attaches the rules themselves.
	DefaultRules map[string]string `json:"default_rules,omitempty"`

	ruleLines map[string]variable // queue -> its defaultrule line, for Apply's warnings
}

// ParseQueues reads a queues.conf and everything it includes. An error means
// the file could not be read or parsed at all (missing include, include loop,
// broken section header), or holds a value stasisq cannot take (a number out
// of range, a queue the engine would refuse), each named by file:line; the
// import is then refused whole. Anything less is a Warning in the Result.
func ParseQueues(path string, opts Options) (Result, error) {
	book := NewAgentList()
	var ws []Warning
	res, err := readQueues(path, opts, book, func(w Warning) { ws = append(ws, w) })
	if err != nil {
		return Result{}, err
	}
	res.Warnings = ws
	res.Agents = book.agents
	return res, nil
}

// readQueues is ParseQueues one section at a time: the agents member =>
// lines make go into book, the notices to note as they are found, so
// that a file of any size needs the memory of its largest section (and
// the queues themselves).
func readQueues(path string, opts Options, book AgentBook, note func(Warning)) (Result, error) {
	cfg, err := indexConfig(path, opts)
	if err != nil {
		return Result{}, fmt.Errorf("queues.conf: %w", err)
	}
	defer cfg.close()
	for _, w := range cfg.warnings {
		note(w)
	}
	res := Result{DefaultRules: map[string]string{}, ruleLines: map[string]variable{}}
	members := newMemberSet(book)
	once := newTemplateNotices()
	seen := map[string]bool{}
	var errs []error
	for _, sec := range cfg.Sections() {
		if err := cfg.read(sec); err != nil {
			return Result{}, fmt.Errorf("queues.conf: %w", err)
		}
		ws, err := readQueueSection(sec, members, seen, &res, &errs)
		if err != nil {
			return Result{}, fmt.Errorf("queues.conf: %w", err)
		}
		for _, w := range once.filter(sec, ws) {
			note(w)
		}
		sec.release()
	}
	for _, w := range unusedTemplates(cfg) {
		note(w)
	}
	if len(res.DefaultRules) == 0 {
		res.DefaultRules = nil
	}
	if len(errs) > 0 {
		return Result{}, fmt.Errorf("queues.conf: %w", errors.Join(errs...))
	}
	return res, nil
}

// readQueueSection turns one section into a queue in res (or [general]'s
// settings), its member lines into agents; errs gathers the values it
// cannot take, the error returned is the book's.
func readQueueSection(sec *section, members *memberSet, seen map[string]bool, res *Result, errs *[]error) ([]Warning, error) {
	if strings.EqualFold(sec.Name, "general") {
		return general(sec, members), nil
	}
	if !queueNamePattern.MatchString(sec.Name) {
		reason := fmt.Sprintf("queue name %q cannot be used in stasisq (1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit); the queue is not imported: rename the section and the Queue() calls that name it", sec.Name)
		return []Warning{{File: sec.File, Line: sec.Line, Section: sec.Name, Reason: reason}}, nil
	}
	// app_queue finds queues by name without case: [Sales] after
	// [sales] is a second section of the same queue.
	if seen[strings.ToLower(sec.Name)] {
		return []Warning{{File: sec.File, Line: sec.Line, Section: sec.Name,
			Reason: "a second [" + sec.Name + "] section: app_queue only reads the first section of a name, so this one is ignored"}}, nil
	}
	seen[strings.ToLower(sec.Name)] = true
	var ws []Warning
	q := queue.DefaultQueueConfig(sec.Name)
	for _, v := range sec.Vars {
		name := strings.ToLower(v.Name)
		if err := outOfRange(sec, v); err != nil {
			*errs = append(*errs, err)
			continue
		}
		if name == "member" {
			more, err := members.add(sec, v)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", v.File, v.Line, err)
			}
			ws = append(ws, more...)
			continue
		}
		if name == "defaultrule" {
			res.DefaultRules[q.Name] = v.Value
			res.ruleLines[q.Name] = v
			continue
		}
		if reason := setQueueOption(&q, name, v.Value); reason != "" {
			ws = append(ws, sec.warn(v, reason))
		}
	}
	if err := queue.ValidateQueue(q); err != nil {
		*errs = append(*errs, locate(sec, err))
		return ws, nil
	}
	res.Queues = append(res.Queues, q)
	return ws, nil
}

// wholeNumber is a value app_queue would read with atoi.
var wholeNumber = regexp.MustCompile(`^[+-]?[0-9]+$`)

// outOfRange refuses a whole number too large for app_queue's int options:
// its atoi wraps it to some other number, and stasisq will not guess which
// (timeout=9999999999 is a typo, not a ring time).
func outOfRange(sec *section, v variable) error {
	val := strings.TrimSpace(v.Value)
	if !wholeNumber.MatchString(val) {
		return nil
	}
	if _, err := strconv.ParseInt(val, 10, 32); err != nil {
		return fmt.Errorf("%s:%d: [%s] %s = %s: out of range: app_queue reads whole numbers from %d to %d",
			v.File, v.Line, sec.Name, v.Name, v.Value, math.MinInt32, math.MaxInt32)
	}
	return nil
}

// locate turns the engine's refusal of a queue into errors naming the lines
// that set the refused fields, or the section's line when no option did.
func locate(sec *section, err error) error {
	var ve *queue.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s:%d: [%s]: %w", sec.File, sec.Line, sec.Name, err)
	}
	var out []error
	for _, f := range ve.Fields {
		if v, ok := optionLine(sec, f.Field); ok {
			out = append(out, fmt.Errorf("%s:%d: [%s] %s = %s: %s", v.File, v.Line, sec.Name, v.Name, v.Value, f.Message))
			continue
		}
		out = append(out, fmt.Errorf("%s:%d: [%s]: %s", sec.File, sec.Line, sec.Name, f.Error()))
	}
	return errors.Join(out...)
}

// optionLine is the last line of sec setting the option behind a
// QueueConfig field (its JSON name).
func optionLine(sec *section, field string) (variable, bool) {
	names := []string{field, strings.ReplaceAll(field, "_", "-")}
	switch field {
	case "exitcontext":
		names = append(names, "context")
	case "musicclass":
		names = append(names, "music", "musiconhold")
	}
	for i := len(sec.Vars) - 1; i >= 0; i-- {
		for _, n := range names {
			if strings.EqualFold(sec.Vars[i].Name, n) {
				return sec.Vars[i], true
			}
		}
	}
	return variable{}, false
}

// generalReasons explains each [general] setting: none changes how stasisq
// routes, because stasisq's behaviour is fixed where app_queue's was optional.
var generalReasons = map[string]string{
	"persistentmembers":            "stasisq keeps every agent and login in its own database; there are no astdb dynamic members to restore",
	"autofill":                     "stasisq always routes waiting callers to free agents in parallel, as autofill=yes does",
	"monitor-type":                 "stasisq records a queue's calls as MixMonitor does, caller and agent mixed in one file; set recording per queue (monitor-format, or Admin > Queues > Recording)",
	"shared_lastcall":              "an agent has one state across all queues in stasisq, so wrap-up is always shared, as shared_lastcall=yes",
	"updatecdr":                    "stasisq does not write to the CDR; agent and queue per call are in its own call records and queue_log",
	"enable_cidname_logging":       "stasisq's call records always keep the caller ID name",
	"log_membername_as_agent":      "stasisq's queue_log names agents by their login",
	"log-restricted-caller-id":     "stasisq's call records always keep the caller ID",
	"force_longest_waiting_caller": "stasisq always offers a shared agent the longest-waiting caller across queues, weighed by queue weight",
	"keepstats":                    "stasisq keeps statistics in its database across restarts",
	"negative_penalty_invalid":     "applied while importing: members with a negative penalty are left out, as app_queue treats them as logged off",
	"shared_lastcall_wrapup":       "an agent has one state across all queues in stasisq",
	"log_unpause_on_reason_change": "stasisq logs every pause reason change",
}

// asStasisqDoes are the [general] settings whose "yes" is what stasisq
// always does: importing them changes nothing, so they are not reported.
var asStasisqDoes = map[string]bool{"persistentmembers": true, "autofill": true, "shared_lastcall": true,
	"keepstats": true, "enable_cidname_logging": true, "force_longest_waiting_caller": true}

// generalAsStasisqDoes reports whether a [general] line sets what stasisq
// does anyway.
func generalAsStasisqDoes(name, value string) bool {
	name = strings.ToLower(name)
	return asStasisqDoes[name] && isTrue(value) || name == "updatecdr" && isFalse(value)
}

func general(sec *section, members *memberSet) []Warning {
	var ws []Warning
	for _, v := range sec.Vars {
		name := strings.ToLower(v.Name)
		if generalAsStasisqDoes(name, v.Value) {
			continue
		}
		reason, known := generalReasons[name]
		if !known {
			reason = "unknown [general] option; app_queue ignores it too"
		}
		if name == "negative_penalty_invalid" {
			members.negativeInvalid = isTrue(v.Value)
			if !isTrue(v.Value) {
				reason = "applied while importing: negative penalties become 0, as app_queue does"
			}
		}
		ws = append(ws, sec.warn(v, reason))
	}
	return ws
}

// unsupportedReasons are queue options stasisq has no equivalent for.
var unsupportedReasons = map[string]string{
	"queue-callerannounce":         "the announcement to the caller just before bridging is not supported",
	"membermacro":                  "running a macro on the agent's channel before bridging is not supported",
	"membergosub":                  "running a gosub on the agent's channel before bridging is not supported",
	"announce-position-only-up":    "announcing the position only when it improved is not supported",
	"periodic-announce-startdelay": "a separate delay before the first periodic announcement is not supported; it plays periodic-announce-frequency after joining",
	"relative-periodic-announce":   "periodic announcements are timed from the start of each one; timing from the end is not supported",
	"autofill":                     "stasisq always routes waiting callers to free agents in parallel, as autofill=yes does",
	"eventmemberstatus":            "AMI events are not sent; stasisq publishes state on its websocket and metrics",
	"eventwhencalled":              "AMI events are not sent; stasisq publishes state on its websocket and metrics",
	"autopausenoanswer":            "not an app_queue option",
}

// setQueueOption applies one queue option; a non-empty result is the reason
// it was not (or not wholly) carried over. On a bad value q keeps what it had.
func setQueueOption(q *queue.QueueConfig, name, val string) string {
	badInt := func() string { return fmt.Sprintf("%q is not a whole number; kept %s", val, name) }
	setInt := func(dst *int, min int) string {
		n, ok := parseInt(val)
		if !ok {
			return badInt()
		}
		if n < min {
			return fmt.Sprintf("%d is below %d; kept the previous value", n, min)
		}
		*dst = n
		return ""
	}
	setSeconds := func(dst *time.Duration, min int) string {
		var n int
		if reason := setInt(&n, min); reason != "" {
			return reason
		}
		*dst = time.Duration(n) * time.Second
		return ""
	}
	setBool := func(dst *bool) string {
		b, ok := parseBool(val)
		if !ok {
			return fmt.Sprintf("%q is not yes or no; kept %s", val, name)
		}
		*dst = b
		return ""
	}
	// setWord sets *dst to val in lower case when it is one of words, else
	// to "yes" or "no" for Asterisk's true and false words; allowed lists
	// every accepted word for the message.
	setWord := func(dst *string, allowed string, words ...string) string {
		switch v := strings.ToLower(val); {
		case slices.Contains(words, v):
			*dst = v
		case isTrue(val):
			*dst = "yes"
		case isFalse(val):
			*dst = "no"
		default:
			return fmt.Sprintf("%q is not %s; kept %s", val, allowed, *dst)
		}
		return ""
	}
	setEmpty := func(dst *[]queue.EmptyCondition, join bool) string {
		conds, reason := parseEmpty(val, join)
		if reason != "" && conds == nil {
			return reason
		}
		*dst = conds
		return reason
	}

	switch name {
	case "musicclass", "music", "musiconhold":
		if val == "" {
			return "empty music class; kept " + q.MusicClass
		}
		q.MusicClass = val
	case "strategy":
		return setStrategy(q, val)
	case "timeout":
		n, ok := parseInt(val)
		if !ok {
			return badInt()
		}
		if n < 0 {
			return fmt.Sprintf("negative timeout; kept %s, as app_queue uses its default", q.Timeout)
		}
		if n == 0 {
			// app_queue rings without a limit (or until Queue()'s own
			// timeout); stasisq needs a bound on every ring attempt.
			return fmt.Sprintf("timeout 0 (ring until answered) is not supported: every ring attempt needs a limit; kept %s", q.Timeout)
		}
		return setSeconds(&q.Timeout, 1)
	case "retry":
		n, ok := parseInt(val)
		if !ok {
			return badInt()
		}
		if n <= 0 {
			return fmt.Sprintf("retry must be positive; kept %s, as app_queue uses its default", q.Retry)
		}
		return setSeconds(&q.Retry, 1)
	case "wrapuptime":
		return setSeconds(&q.WrapUpTime, 0)
	case "servicelevel":
		return setSeconds(&q.ServiceLevel, 0)
	case "announce-frequency":
		return setSeconds(&q.AnnounceFrequency, 0)
	case "min-announce-frequency":
		return setSeconds(&q.MinAnnounceFrequency, 0)
	case "periodic-announce-frequency":
		return setSeconds(&q.PeriodicAnnounceFrequency, 0)
	case "autopausedelay":
		return setSeconds(&q.AutoPauseDelay, 0)
	case "maxlen":
		n, ok := parseInt(val)
		if !ok {
			return badInt()
		}
		if n < 0 {
			q.MaxLen = 0
			return "negative maxlen read as 0 (unlimited), as app_queue does"
		}
		q.MaxLen = n
	case "weight":
		return setInt(&q.Weight, 0)
	case "penaltymemberslimit":
		return setInt(&q.PenaltyMembersLimit, 0)
	case "memberdelay":
		return setSeconds(&q.MemberDelay, 0)
	case "announce-position-limit":
		return setInt(&q.AnnouncePositionLimit, 0)
	case "announce-round-seconds":
		n, ok := parseInt(val)
		if !ok {
			return badInt()
		}
		switch n {
		case 0, 5, 10, 15, 20, 30:
			q.AnnounceRoundSeconds = n
		default:
			return fmt.Sprintf("%d is not one of 0, 5, 10, 15, 20, 30; kept %d", n, q.AnnounceRoundSeconds)
		}
	case "ringinuse":
		return setBool(&q.RingInUse)
	case "setinterfacevar":
		return setBool(&q.SetInterfaceVar)
	case "setqueueentryvar":
		return setBool(&q.SetQueueEntryVar)
	case "setqueuevar":
		return setBool(&q.SetQueueVar)
	case "autopausebusy":
		return setBool(&q.AutoPauseBusy)
	case "autopauseunavail":
		return setBool(&q.AutoPauseUnavail)
	case "random-periodic-announce":
		return setBool(&q.RandomPeriodicAnnounce)
	case "announce-to-first-user":
		return setBool(&q.AnnounceToFirstUser)
	case "reportholdtime":
		return setBool(&q.ReportHoldTime)
	case "timeoutrestart":
		return setBool(&q.TimeoutRestart)
	case "announce":
		q.Announce = val
	case "timeoutpriority":
		switch strings.ToLower(val) {
		case "app", "conf":
			q.TimeoutPriority = strings.ToLower(val)
		default:
			return fmt.Sprintf("%q is not app or conf; kept %s", val, q.TimeoutPriority)
		}
	case "autopause":
		switch {
		case strings.EqualFold(val, "all"):
			q.AutoPause = queue.AutoPauseAll
		case isTrue(val):
			q.AutoPause = queue.AutoPauseYes
		case isFalse(val):
			q.AutoPause = queue.AutoPauseNo
		default:
			return fmt.Sprintf("%q is not yes, no or all; kept %s", val, q.AutoPause)
		}
	case "announce-holdtime":
		return setWord(&q.AnnounceHoldTime, "yes, no or once", "once")
	case "announce-position":
		return setWord(&q.AnnouncePosition, "yes, no, more or limit", "limit", "more")
	case "periodic-announce":
		var files []string
		for _, f := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == '|' }) {
			if f = strings.TrimSpace(f); f != "" {
				files = append(files, f)
			}
		}
		q.PeriodicAnnounce = files
	case "joinempty":
		return setEmpty(&q.JoinEmpty, true)
	case "leavewhenempty":
		return setEmpty(&q.LeaveWhenEmpty, false)
	case "monitor-format":
		// app_queue records every answered call of a queue with a
		// monitor-format (MixMonitor since Asterisk 21), none without.
		return setRecordFormat(q, val)
	case "monitor-join":
		// app_queue's own recording from the join (Monitor only there);
		// stasisq records the caller from the join with any format.
		b, ok := parseBool(val)
		if !ok {
			return fmt.Sprintf("%q is not yes or no; kept %s", val, cmp.Or(q.RecordFrom, queue.RecordFromConnect))
		}
		q.RecordFrom = queue.RecordFromConnect
		if b {
			q.RecordFrom = queue.RecordFromJoin
		}
	case "monitor-type":
		if strings.EqualFold(val, "mixmonitor") || val == "" {
			return "" // what stasisq's recording is
		}
		return fmt.Sprintf("monitor-type %s (two files, one per side) is not supported: stasisq records caller and agent mixed in one file, as MixMonitor does", val)
	case "recording":
		// FreePBX's queue recording setting.
		switch strings.ToLower(val) {
		case "always", "force", "yes":
			q.Record = queue.RecordAlways
		case "dontcare", "on-demand":
			q.Record = queue.RecordOnDemand
		case "never", "no", "":
			q.Record = queue.RecordNever
		default:
			return fmt.Sprintf("%q is not always, dontcare or never; kept %s", val, cmp.Or(q.Record, queue.RecordNever))
		}
	case "context":
		q.ExitContext = val
		if val == "" {
			return "" // no exit context, as when the line is left out
		}
		// Asterisk's ARI cannot tell which extensions the context has, and a
		// caller sent to one it lacks is hung up: the digits are not guessed.
		return fmt.Sprintf("exit context %q imported, but stasisq cannot see which one-digit extensions it has: list them as the queue's exit keys (Admin > Queues > Exit keys); a caller pressing one goes on at %s,<key>,1 as in app_queue", val, val)
	default:
		if reason, ok := unsupportedReasons[name]; ok {
			return reason
		}
		if slices.Contains(queue.SoundOptions, name) {
			if val == name {
				delete(q.Sounds, name) // app_queue's own prompt
				return ""
			}
			if q.Sounds == nil {
				q.Sounds = map[string]string{}
			}
			q.Sounds[name] = val
			return ""
		}
		if strings.HasPrefix(name, "queue-") {
			return "sound override not carried over: stasisq plays Asterisk's standard prompt for it"
		}
		return "unknown option; app_queue ignores it too"
	}
	return ""
}

func setStrategy(q *queue.QueueConfig, val string) string {
	v := strings.ToLower(val)
	if v == "roundrobin" {
		q.Strategy = queue.RRMemory
		return "roundrobin is app_queue's old name for rrmemory; imported as rrmemory"
	}
	for _, s := range queue.Strategies {
		if string(s) == v {
			q.Strategy = s
			return ""
		}
	}
	return fmt.Sprintf("unknown strategy %q; kept %s", val, q.Strategy)
}

// parseEmpty reads joinempty/leavewhenempty as parse_empty_options does,
// legacy words included: for joinempty "no" means penalty,paused,invalid and
// "yes" means nothing; leavewhenempty has them the other way round. A nil
// result with a reason means the value was rejected.
func parseEmpty(val string, join bool) ([]queue.EmptyCondition, string) {
	set := map[queue.EmptyCondition]bool{}
	var unknown []string
	for _, word := range strings.Split(val, ",") {
		w := strings.ToLower(strings.TrimSpace(word))
		switch {
		case w == "":
		case w == "loose":
			set = map[queue.EmptyCondition]bool{queue.EmptyPenalty: true, queue.EmptyInvalid: true}
		case w == "strict":
			set = map[queue.EmptyCondition]bool{queue.EmptyPenalty: true, queue.EmptyInvalid: true, queue.EmptyPaused: true, queue.EmptyUnavailable: true}
		case isFalse(w) && join, isTrue(w) && !join:
			set = map[queue.EmptyCondition]bool{queue.EmptyPenalty: true, queue.EmptyInvalid: true, queue.EmptyPaused: true}
		case isFalse(w) || isTrue(w):
			set = map[queue.EmptyCondition]bool{}
		default:
			known := false
			for _, c := range queue.EmptyConditions {
				if string(c) == w {
					set[c] = true
					known = true
				}
			}
			if !known {
				unknown = append(unknown, word)
			}
		}
	}
	conds := []queue.EmptyCondition{}
	for _, c := range queue.EmptyConditions {
		if set[c] {
			conds = append(conds, c)
		}
	}
	if len(unknown) > 0 {
		reason := "unknown condition " + strconv.Quote(strings.Join(unknown, ",")) + " left out"
		return conds, reason
	}
	return conds, ""
}

// templateNotices reports a template's line once, naming the template,
// rather than once for every queue that inherits it.
type templateNotices struct {
	seen map[templateNotice]bool // lines of inherited sections only
}

type templateNotice struct {
	file         string
	line         int
	option, text string
}

func newTemplateNotices() *templateNotices {
	return &templateNotices{seen: map[templateNotice]bool{}}
}

// filter passes sec's notices on, those at lines another section shares
// once each.
func (t *templateNotices) filter(sec *section, ws []Warning) []Warning {
	var shared map[fileLine]*section
	for _, v := range sec.Vars {
		if v.owner != nil && v.owner.inherited {
			if shared == nil {
				shared = map[fileLine]*section{}
			}
			shared[fileLine{v.File, v.Line}] = v.owner
		}
	}
	if shared == nil {
		return ws
	}
	out := ws[:0]
	for _, w := range ws {
		owner := shared[fileLine{w.File, w.Line}]
		if owner != nil {
			k := templateNotice{w.File, w.Line, w.Option, w.Reason}
			if t.seen[k] {
				continue
			}
			t.seen[k] = true
			if w.Option != "" && owner.Template {
				w.Section = owner.Name
			}
		}
		out = append(out, w)
	}
	return out
}

// setRecordFormat turns recording on in Asterisk's format name val
// (monitor-format), or off for an empty one.
func setRecordFormat(q *queue.QueueConfig, val string) string {
	if val == "" {
		q.Record, q.RecordFormat = queue.RecordNever, ""
		return ""
	}
	q.Record = queue.RecordAlways
	switch {
	case val == "WAV" || strings.EqualFold(val, "wav49"):
		q.RecordFormat = "wav49" // GSM in a WAV file; Asterisk calls it WAV too
	case strings.EqualFold(val, "wav"):
		q.RecordFormat = "wav"
	case strings.EqualFold(val, "gsm"):
		q.RecordFormat = "gsm"
	default:
		q.RecordFormat = "wav"
		return fmt.Sprintf("format %q is not one stasisq records in (%s): calls are recorded in wav", val, strings.Join(queue.RecordFormats, ", "))
	}
	return ""
}
