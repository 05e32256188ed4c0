package queue

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ValidateQueue checks every field of a queue configuration and returns a
// *ValidationError listing each bad one, or nil.
func ValidateQueue(c QueueConfig) error {
	var fs []FieldError
	bad := func(field, format string, args ...any) {
		fs = append(fs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.Name) == "" {
		bad("name", "must not be empty")
	} else if strings.ContainsAny(c.Name, " \t\r\n/") {
		bad("name", "must not contain spaces or slashes")
	}
	if !slices.Contains(Strategies, c.Strategy) {
		bad("strategy", "%q: must be one of %s", c.Strategy, joinNames(Strategies))
	}
	if c.Timeout <= 0 {
		bad("timeout", "must be > 0")
	}
	nonNegative := []struct {
		field string
		d     time.Duration
	}{
		{"retry", c.Retry}, {"wrapuptime", c.WrapUpTime}, {"servicelevel", c.ServiceLevel},
		{"maxwait", c.MaxWait}, {"autopausedelay", c.AutoPauseDelay},
		{"announce_frequency", c.AnnounceFrequency}, {"min_announce_frequency", c.MinAnnounceFrequency},
		{"periodic_announce_frequency", c.PeriodicAnnounceFrequency},
	}
	for _, n := range nonNegative {
		if n.d < 0 {
			bad(n.field, "must be >= 0")
		}
	}
	for _, n := range []struct {
		field string
		v     int
	}{{"maxlen", c.MaxLen}, {"weight", c.Weight}, {"autopause_noanswers", c.AutoPauseNoAnswer}, {"announce_position_limit", c.AnnouncePositionLimit}} {
		if n.v < 0 {
			bad(n.field, "must be >= 0")
		}
	}
	switch c.TimeoutPriority {
	case "", "app", "conf":
	default:
		bad("timeoutpriority", `must be "app" or "conf", not %q`, c.TimeoutPriority)
	}
	switch c.Record {
	case "", RecordNever, RecordAlways, RecordOnDemand:
	default:
		bad("record", "%q: must be one of %s", truncate(c.Record), joinNames([]string{RecordNever, RecordAlways, RecordOnDemand}))
	}
	if c.RecordFormat != "" && !slices.Contains(RecordFormats, c.RecordFormat) {
		bad("record_format", "%q: must be one of %s", truncate(c.RecordFormat), joinNames(RecordFormats))
	}
	switch c.RecordFrom {
	case "", RecordFromConnect, RecordFromJoin:
	default:
		bad("record_from", "%q: must be connect or join", truncate(c.RecordFrom))
	}
	if c.RecordRetention < 0 {
		bad("record_retention", "must be >= 0")
	} else if c.RecordRetention > 0 && c.RecordRetention < 24*time.Hour {
		bad("record_retention", "at least a day (%s), or 0 to keep recordings", c.RecordRetention)
	}
	if c.AutoAnswer < 0 || c.AutoAnswer > time.Minute {
		bad("auto_answer", "from 0 (the agents' own setting) to 60 seconds, not %s", c.AutoAnswer)
	}
	if c.AbandonResume < 0 || c.AbandonResume > MaxAbandonResume {
		bad("abandon_resume", "from 0 (off) to %s, not %s", MaxAbandonResume, c.AbandonResume)
	}
	if len(c.WelcomeBack) > 200 || strings.ContainsAny(c.WelcomeBack, "\r\n") {
		bad("welcome_back", "one sound name, at most 200 characters")
	}
	validateCallback(c, bad)
	for _, name := range slices.Sorted(maps.Keys(c.Sounds)) {
		sound := c.Sounds[name]
		switch {
		case !slices.Contains(SoundOptions, name) && !slices.Contains(CallbackSounds, name):
			bad("sounds", "%q is not one of app_queue's prompts (%s) nor the callback's (%s)", name, strings.Join(SoundOptions, ", "), strings.Join(CallbackSounds, ", "))
		case strings.ContainsAny(sound, ",|") || strings.HasPrefix(sound, "sound:"):
			bad("sounds", "%s: %q is not a sound name (like custom/next, without sound: or commas)", name, truncate(sound))
		default:
			if msg := checkAsteriskWord(sound, MaxSoundName); msg != "" {
				bad("sounds", "%s: %s", name, msg)
			}
		}
	}
	if c.MemberDelay < 0 || c.MemberDelay > time.Minute {
		bad("memberdelay", "from 0 to 60 seconds (%s)", c.MemberDelay)
	}
	if c.PenaltyMembersLimit < 0 {
		bad("penaltymemberslimit", "0 or more (%d)", c.PenaltyMembersLimit)
	}
	for _, k := range c.ExitKeys {
		if !strings.ContainsRune("0123456789*#", k) {
			bad("exitkeys", "only digits, * and # (%q is not a DTMF digit)", k)
			break
		}
	}
	for _, list := range []struct {
		field string
		conds []EmptyCondition
	}{{"joinempty", c.JoinEmpty}, {"leavewhenempty", c.LeaveWhenEmpty}} {
		for _, cond := range list.conds {
			if !slices.Contains(EmptyConditions, cond) {
				bad(list.field, "%q is not one of %s", cond, joinNames(EmptyConditions))
			}
		}
	}
	switch c.AutoPause {
	case "", AutoPauseNo, AutoPauseYes, AutoPauseAll:
	default:
		bad("autopause", `must be "no", "yes" or "all", not %q`, c.AutoPause)
	}
	switch c.AnnouncePosition {
	case "", "yes", "no", "more", "limit":
	default:
		bad("announce_position", `must be "yes", "no", "more" or "limit", not %q`, c.AnnouncePosition)
	}
	switch c.AnnounceHoldTime {
	case "", "yes", "no", "once":
	default:
		bad("announce_holdtime", `must be "yes", "no" or "once", not %q`, c.AnnounceHoldTime)
	}
	if c.AnnounceRoundSeconds < 0 || c.AnnounceRoundSeconds >= 60 {
		bad("announce_round_seconds", "must be between 0 and 59")
	}
	for i, p := range c.PeriodicAnnounce {
		if strings.TrimSpace(p) == "" {
			bad(fmt.Sprintf("periodic_announce[%d]", i), "must not be empty")
		}
	}
	// Every string is bounded: each goes into every snapshot the console
	// gets, and most into Asterisk's dialplan arguments.
	if len(c.Name) > 0 && !ValidName(c.Name) {
		bad("name", "%s", NameRule)
	}
	for _, w := range []struct{ field, v string }{{"musicclass", c.MusicClass}, {"exitcontext", c.ExitContext}} {
		if msg := checkAsteriskWord(w.v, MaxAsteriskName); msg != "" {
			bad(w.field, "%s", msg)
		}
	}
	if c.Announce != "" {
		parts := strings.Split(c.Announce, "&")
		if len(parts) > MaxListLength {
			bad("announce", "at most %d sounds", MaxListLength)
		}
		for _, p := range parts {
			if msg := checkAsteriskWord(strings.TrimSpace(p), MaxSoundName); msg != "" {
				bad("announce", "%s", msg)
				break
			}
		}
	}
	if len(c.ExitKeys) > 12 {
		bad("exitkeys", "at most 12 keys")
	}
	if len(c.PeriodicAnnounce) > MaxListLength {
		bad("periodic_announce", "at most %d sounds", MaxListLength)
	}
	for i, p := range c.PeriodicAnnounce {
		if msg := checkAsteriskWord(p, MaxSoundName); msg != "" {
			bad(fmt.Sprintf("periodic_announce[%d]", i), "%s", msg)
		}
	}
	if len(c.Rules) > MaxListLength {
		bad("rules", "at most %d penalty rules", MaxListLength)
	}
	for i, r := range c.Rules {
		if r.After < 0 {
			bad(fmt.Sprintf("rules[%d].after", i), "must be >= 0")
		}
		if !r.MaxRelative && r.MaxPenalty < 0 {
			bad(fmt.Sprintf("rules[%d].max_penalty", i), "must be >= 0 unless relative")
		}
		if !r.MinRelative && r.MinPenalty < 0 {
			bad(fmt.Sprintf("rules[%d].min_penalty", i), "must be >= 0 unless relative")
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return &ValidationError{Fields: fs}
}

// ValidateAgent checks every field of an agent configuration and returns a
// *ValidationError listing each bad one, or nil.
func ValidateAgent(c AgentConfig) error {
	var fs []FieldError
	bad := func(field, format string, args ...any) {
		fs = append(fs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.ID) == "" {
		bad("id", "must not be empty")
	}
	if strings.TrimSpace(c.Device) == "" {
		bad("device", "must not be empty")
	} else if msg := CheckText(c.Device, MaxAsteriskName); msg != "" || strings.ContainsAny(c.Device, " ,|") {
		bad("device", "an Asterisk device such as PJSIP/1001 (%q)", truncate(c.Device))
	}
	if msg := CheckText(c.Name, MaxTextLength); msg != "" {
		bad("name", "%s", msg)
	}
	switch c.Phone {
	case "":
	case PhoneBrowser:
		if want := BrowserDevice(c.ID); c.Device != want {
			bad("device", "a browser phone's device is %s, not %q", want, truncate(c.Device))
		}
	default:
		bad("phone", "%q is not \"\" (a phone at device) or %q", truncate(c.Phone), PhoneBrowser)
	}
	switch {
	case c.AutoAnswer < 0 || c.AutoAnswer > time.Minute:
		bad("auto_answer", "must be between 0 and 60 seconds")
	case c.AutoAnswer > 0 && c.Phone != PhoneBrowser:
		bad("auto_answer", "only a browser phone answers by itself")
	}
	if len(c.Queues) > MaxMemberships {
		bad("queues", "at most %d queues", MaxMemberships)
	}
	if len(c.Skills) > MaxListLength {
		bad("skills", "at most %d skills", MaxListLength)
	}
	seen := make(map[string]bool, len(c.Queues))
	for i, m := range c.Queues {
		switch {
		case strings.TrimSpace(m.Queue) == "":
			bad(fmt.Sprintf("queues[%d].queue", i), "must not be empty")
		case seen[m.Queue]:
			bad(fmt.Sprintf("queues[%d].queue", i), "queue %q listed twice", m.Queue)
		}
		seen[m.Queue] = true
		if m.Penalty < 0 {
			bad(fmt.Sprintf("queues[%d].penalty", i), "must not be negative")
		}
		if m.Paused && !c.Static {
			// A dynamic agent chooses how it logs in; a pause from the
			// configuration would come back at every restart.
			bad(fmt.Sprintf("queues[%d].paused", i), "only a static agent starts paused in a queue")
		}
	}
	for skill, level := range c.Skills {
		if strings.TrimSpace(skill) == "" {
			bad("skills", "a skill name must not be empty")
		} else if msg := CheckText(skill, 64); msg != "" {
			bad("skills", "%q: %s", truncate(skill), msg)
			continue
		}
		if level < 1 || level > 100 {
			bad("skills."+skill, "level must be between 1 and 100, not %d", level)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	slices.SortFunc(fs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	return &ValidationError{Fields: fs}
}

// Bounds on configuration text and lists: each is in every snapshot the
// console gets, and most in Asterisk's dialplan arguments.
const (
	MaxTextLength   = 128 // a name people read: an agent's, a user's
	MaxAsteriskName = 80  // a context, music class or device: Asterisk's AST_MAX_CONTEXT
	MaxSoundName    = 255 // a sound file path
	MaxListLength   = 50  // periodic announcements, penalty rules, skills
	MaxMemberships  = 500 // queues one agent is in
)

// asteriskWord is what Asterisk takes as a context, music class or sound
// name without quoting: no separators, spaces or control characters.
var asteriskWord = regexp.MustCompile(`^[A-Za-z0-9_.+@/:-]*$`)

func checkAsteriskWord(s string, max int) string {
	switch {
	case len(s) > max:
		return fmt.Sprintf("at most %d characters", max)
	case !asteriskWord.MatchString(s):
		return fmt.Sprintf("letters, digits and _ . + @ / : - only (%q)", truncate(s))
	}
	return ""
}

// CheckText says what is wrong with a name people read: too long, not
// UTF-8, or holding control characters (NUL, newlines: they break logs
// and queue_log).
func CheckText(s string, max int) string {
	switch {
	case len(s) > max:
		return fmt.Sprintf("at most %d bytes", max)
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case strings.ContainsFunc(s, unicode.IsControl):
		return "must not hold control characters"
	}
	return ""
}

func truncate(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:40] + "…"
}

// Unwrap lets errors.Is(err, ErrInvalid) recognise every validation failure.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func joinNames[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// ValidateConfig checks a configuration change (ConfigureQueue, RemoveQueue,
// ConfigureAgent, RemoveAgent) exactly as Apply will, without applying it:
// the call flow checks first, stores the change, and only then applies it.
func ValidateConfig(in Input) error {
	switch in := in.(type) {
	case ConfigureQueue:
		return ValidateQueue(in.Config)
	case ConfigureAgent:
		return ValidateAgent(in.Config)
	case RemoveQueue:
		if in.Queue == "" {
			return fmt.Errorf("remove queue: no name: %w", ErrInvalid)
		}
		return nil
	case RemoveAgent:
		if in.Agent == "" {
			return fmt.Errorf("remove agent: no id: %w", ErrInvalid)
		}
		return nil
	}
	return fmt.Errorf("%T is not a configuration change: %w", in, ErrInvalid)
}
