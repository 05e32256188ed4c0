package queue

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Keep-my-place callback. A waiting caller offered it (CallbackDigit, in its
// announcements) presses the digit, hears its number read back (or enters
// another, ending with #), confirms with 1 and hangs up: it stays in the
// queue as a virtual caller, in the same place, with its priority, skills
// and wait, shown, reordered, moved and counted as any caller. When its
// turn comes:
//   - agent first: the agent is rung with a screen pop saying callback; on
//     its answer the customer is dialled (DialCallback with the offer), and
//     on the customer's answer the two are bridged (Connect);
//   - customer first: when an agent is free for it the customer is dialled
//     (DialCallback without an offer; the agent goes on to other callers);
//     on answer it hears "connecting you" and waits on the line again at
//     its place, rung to agents as any caller.
//
// A try that fails (no answer, busy, unreachable) puts it back in its place
// CallbackRetry later; after CallbackAttempts tries it leaves with
// LeftCallbackFailed. It has no channel while it waits: it lives in the
// store and is resumed from there after a restart (CallerJoin.Callback).

// Callback modes (QueueConfig.CallbackMode).
const (
	CallbackAgentFirst    = "agent-first"
	CallbackCustomerFirst = "customer-first"
)

// LeftCallbackFailed: a callback whose every try failed.
const LeftCallbackFailed LeaveReason = "callback-failed"

// AnnounceCallback is the CallerAnnounced kind of the callback's prompts.
const AnnounceCallback = "callback"

// The callback's prompts, by name: a queue's Sounds may replace each (a
// name set to "" plays nothing). The defaults are Asterisk's core sounds.
const (
	SoundCallbackOffer     = "callback-offer"     // "press <digit>": appended to announcements
	SoundCallbackConfirm   = "callback-confirm"   // "you entered <number>, if this is correct press 1" (2: another)
	SoundCallbackEnter     = "callback-enter"     // "enter the number to call, then press pound"
	SoundCallbackScheduled = "callback-scheduled" // "thank you, goodbye"
	SoundCallbackConnect   = "callback-connecting"
)

// CallbackSounds are the callback's prompt names, for a queue's Sounds.
var CallbackSounds = []string{SoundCallbackOffer, SoundCallbackConfirm, SoundCallbackEnter, SoundCallbackScheduled, SoundCallbackConnect}

var callbackDefaults = map[string][]string{
	SoundCallbackOffer:     {"sound:vm-press"}, // then the digit
	SoundCallbackConfirm:   {"sound:you-entered"},
	SoundCallbackEnter:     {"sound:vm-enter-num-to-call", "sound:vm-then-pound"},
	SoundCallbackScheduled: {"sound:auth-thankyou", "sound:goodbye"},
	SoundCallbackConnect:   {"sound:one-moment-please"},
}

// callbackPrompt is the queue's media for one of the callback's prompts.
func callbackPrompt(cfg *QueueConfig, name string) []string {
	if s, ok := cfg.Sounds[name]; ok {
		if s == "" {
			return nil
		}
		return []string{mediaURI(s)}
	}
	return callbackDefaults[name]
}

// Callback defaults for the zero values.
const (
	defaultCallbackAttempts = 3
	defaultCallbackRetry    = 5 * time.Minute
	defaultCallbackRing     = 30 * time.Second
	maxCallbackNumber       = 20 // digits a caller may enter
	minCallbackNumber       = 3
)

func callbackDigit(cfg *QueueConfig) string {
	if cfg.CallbackDigit == "" {
		return "1"
	}
	return cfg.CallbackDigit
}

// callbackEndpoint is the dial string dial for number.
func callbackEndpoint(dial, number string) string {
	return strings.ReplaceAll(dial, "{number}", number)
}

func validateCallback(c QueueConfig, bad func(field, format string, args ...any)) {
	switch c.CallbackMode {
	case "":
	case CallbackAgentFirst, CallbackCustomerFirst:
		if !strings.Contains(c.CallbackDial, "{number}") || !strings.Contains(c.CallbackDial, "/") {
			bad("callback_dial", "a dial string with {number}, as PJSIP/{number}@trunk or Local/{number}@outbound, not %q", truncate(c.CallbackDial))
		}
	default:
		bad("callback_mode", "%q: must be agent-first, customer-first or empty (off)", truncate(c.CallbackMode))
	}
	if d := c.CallbackDigit; d != "" && (len(d) != 1 || !strings.Contains("0123456789*#", d)) {
		bad("callback_digit", "%q: one key, 0-9, * or #", truncate(d))
	} else if c.CallbackMode != "" && strings.Contains(c.ExitKeys, callbackDigit(&c)) {
		bad("callback_digit", "%s is also an exit key", callbackDigit(&c))
	}
	if strings.ContainsAny(c.CallbackDial+c.CallbackCallerID, "\r\n") {
		bad("callback_dial", "must be one line")
	}
	if c.CallbackAttempts < 0 || c.CallbackAttempts > 10 {
		bad("callback_attempts", "from 0 (3) to 10, not %d", c.CallbackAttempts)
	}
	for _, d := range []struct {
		field    string
		v, limit time.Duration
	}{{"callback_min_wait", c.CallbackMinWait, 24 * time.Hour}, {"callback_retry", c.CallbackRetry, 24 * time.Hour},
		{"callback_ring_timeout", c.CallbackRingTimeout, 5 * time.Minute}} {
		if d.v < 0 || d.v > d.limit {
			bad(d.field, "from 0 to %s, not %s", d.limit, d.v)
		}
	}
	if _, err := ParseHours(c.CallbackHours); err != nil {
		bad("callback_hours", "%v", err)
	}
}

// Hours are weekly opening hours: for each weekday, the minutes since
// midnight that are open. The zero value is always open.
type Hours struct {
	spans [7][][2]int // by time.Weekday, [from, to) in minutes
	set   bool
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseHours reads "mon-fri 08:00-18:00; sat 09:00-13:00": rules split by
// ";", each days (a day, a range or a list, "mon,wed") and a time range;
// "" is always open.
func ParseHours(s string) (Hours, error) {
	var h Hours
	for _, rule := range strings.Split(s, ";") {
		rule = strings.TrimSpace(strings.ToLower(rule))
		if rule == "" {
			continue
		}
		days, span, ok := strings.Cut(rule, " ")
		if !ok {
			return h, fmt.Errorf("%q: want days and hours, as mon-fri 08:00-18:00", rule)
		}
		from, to, ok := strings.Cut(strings.TrimSpace(span), "-")
		fm, err1 := clockMinutes(from)
		tm, err2 := clockMinutes(to)
		if !ok || err1 != nil || err2 != nil || tm <= fm {
			return h, fmt.Errorf("%q: hours must be HH:MM-HH:MM, the end after the start", rule)
		}
		for _, part := range strings.Split(days, ",") {
			first, last, isRange := strings.Cut(part, "-")
			d0, ok0 := weekdays[first]
			d1 := d0
			ok1 := true
			if isRange {
				d1, ok1 = weekdays[last]
			}
			if !ok0 || !ok1 {
				return h, fmt.Errorf("%q: days are mon, tue, wed, thu, fri, sat, sun", part)
			}
			for d := d0; ; d = (d + 1) % 7 {
				h.spans[d] = append(h.spans[d], [2]int{fm, tm})
				if d == d1 {
					break
				}
			}
		}
		h.set = true
	}
	return h, nil
}

func clockMinutes(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return h*60 + m, nil
}

// Open reports whether t (in its own location) is within the hours.
func (h Hours) Open(t time.Time) bool {
	if !h.set {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	for _, s := range h.spans[t.Weekday()] {
		if m >= s[0] && m < s[1] {
			return true
		}
	}
	return false
}

// cbPhase is where a caller is in its callback.
type cbPhase uint8

const (
	cbConfirm    cbPhase = iota + 1 // its number read back: 1 confirms, 2 enters another
	cbEnter                         // entering a number, # ends it
	cbLeaving                       // confirmed: the goodbye plays, then its channel goes
	cbWaiting                       // virtual: holds its place, no channel
	cbPause                         // virtual: a try failed; routable again at its retry timer
	cbDialing                       // virtual: the customer is being dialled
	cbConnecting                    // customer first: answered, hearing the connecting prompt; rung once it ends
	cbBack                          // customer first: on the line again at its place, rung as any caller
)

func (p cbPhase) String() string {
	switch p {
	case cbLeaving, cbWaiting:
		return "waiting"
	case cbPause:
		return "retry"
	case cbDialing:
		return "dialing"
	}
	return ""
}

// callback is a caller's callback, from the key press on.
type callback struct {
	phase    cbPhase
	number   string // the digits to call
	entered  []byte
	attempts int
	gen      uint32 // of the retry timer
	offer    *offer // agent first: the agent's answered leg while the customer is dialled
	ringTime time.Duration
	// The terms it was accepted on, from its queue then: a supervisor may
	// move it to a queue that offers no callback, or another mode.
	mode, dial, callerID string
}

// terms fills in what c's callback lacks (one resumed from before the
// terms were stored) from its queue.
func (cb *callback) terms(cfg *QueueConfig) (mode, dial, callerID string) {
	mode, dial, callerID = cb.mode, cb.dial, cb.callerID
	if mode == "" {
		mode, dial, callerID = cfg.CallbackMode, cfg.CallbackDial, cfg.CallbackCallerID
	}
	return mode, dial, callerID
}

// virtual: a callback holding its place without a channel of its own (or
// with one on its way out, or the customer's still ringing).
func (c *callerState) virtual() bool {
	return c.cb != nil && c.cb.phase >= cbLeaving && c.cb.phase <= cbDialing
}

// inCallback: in the callback's dialogue or holding its place: no queue
// announcement plays over it (a customer called back and waiting again
// hears them as any caller).
func (c *callerState) inCallback() bool { return c.cb != nil && c.cb.phase != cbBack }

// callbackTerms are c's callback's terms ("" when it has none).
func (c *callerState) callbackTerms() (mode, dial, callerID string) {
	if c.cb == nil {
		return "", "", ""
	}
	return c.cb.terms(&c.q.cfg)
}

// callbackBusy: not to be routed now (leaving, waiting out a retry, or
// being dialled).
func (c *callerState) callbackBusy() bool {
	return c.cb != nil && (c.cb.phase == cbLeaving || c.cb.phase == cbPause || c.cb.phase == cbDialing || c.cb.phase == cbConnecting)
}

// callbackOffered reports whether c may ask for a callback now.
func (e *Engine) callbackOffered(c *callerState) bool {
	cfg := &c.q.cfg
	// Not while an agent's phone rings for it: the call is about to be
	// answered.
	if cfg.CallbackMode == "" || c.cb != nil || c.connected || c.gone || len(c.offers) > 0 {
		return false
	}
	if !c.q.callbackHours.Open(e.now.In(e.loc)) {
		return false
	}
	return e.expectedWait(c.q, c.q.position(c)) >= cfg.CallbackMinWait
}

// callbackOfferMedia is what an announcement adds when c may ask for it.
func (e *Engine) callbackOfferMedia(c *callerState) []string {
	if !e.callbackOffered(c) {
		return nil
	}
	m := callbackPrompt(&c.q.cfg, SoundCallbackOffer)
	if len(m) == 0 {
		return nil
	}
	if _, custom := c.q.cfg.Sounds[SoundCallbackOffer]; !custom {
		m = append(m[:len(m):len(m)], "digits:"+callbackDigit(&c.q.cfg))
	}
	return m
}

// callbackKey handles a digit of a caller in (or starting) its callback; it
// reports whether the digit was the callback's.
func (e *Engine) callbackKey(c *callerState, digit string) bool {
	cfg := &c.q.cfg
	if c.cb == nil {
		if digit != callbackDigit(cfg) || !e.callbackOffered(c) {
			return false
		}
		c.cb = &callback{number: Digits(c.number)}
		if len(c.cb.number) < minCallbackNumber {
			e.callbackEnter(c)
		} else {
			e.callbackConfirm(c)
		}
		return true
	}
	switch c.cb.phase {
	case cbConfirm:
		switch digit {
		case "1":
			e.callbackAccepted(c)
		case "2":
			e.callbackEnter(c)
		case "*":
			e.callbackCancelled(c)
		}
		return true
	case cbEnter:
		switch {
		case digit == "#":
			if len(c.cb.entered) >= minCallbackNumber {
				c.cb.number = string(c.cb.entered)
				e.callbackConfirm(c)
			} else {
				e.callbackEnter(c)
			}
		case digit == "*":
			e.callbackCancelled(c)
		case len(c.cb.entered) < maxCallbackNumber:
			c.cb.entered = append(c.cb.entered, digit[0])
		}
		return true
	}
	return false
}

// callbackCancelled: the caller changed its mind (*) and waits on as
// before; the announcements the dialogue held back come due again.
func (e *Engine) callbackCancelled(c *callerState) {
	c.cb = nil
	if !c.annPlaying { // else AnnouncementDone picks them up
		e.announceCheck(c)
		e.periodicAnnounce(c)
	}
}

func (e *Engine) callbackConfirm(c *callerState) {
	c.cb.phase = cbConfirm
	cfg := &c.q.cfg
	media := append(callbackPrompt(cfg, SoundCallbackConfirm), "digits:"+c.cb.number)
	if _, custom := cfg.Sounds[SoundCallbackConfirm]; !custom {
		media = append(media, "sound:if-correct-press", "digits:1")
	}
	e.startAnnouncement(c, AnnounceCallback, media)
}

func (e *Engine) callbackEnter(c *callerState) {
	c.cb.phase = cbEnter
	c.cb.entered = c.cb.entered[:0]
	e.startAnnouncement(c, AnnounceCallback, callbackPrompt(&c.q.cfg, SoundCallbackEnter))
}

// callbackAccepted: the caller confirmed. It keeps its place from now on
// without its channel: the goodbye plays, then the channel is hung up.
func (e *Engine) callbackAccepted(c *callerState) {
	c.cb.phase = cbLeaving
	cfg := &c.q.cfg
	c.cb.mode, c.cb.dial, c.cb.callerID = cfg.CallbackMode, cfg.CallbackDial, cfg.CallbackCallerID
	e.armMaxWait(c) // disarms it: a callback waits for its turn, however long
	for len(c.offers) > 0 {
		e.cancelOffer(c.offers[0], false)
	}
	e.emit(CallbackRequested{At: e.now, Caller: c.id, Queue: cfg.Name, Number: c.cb.number, Mode: c.cb.mode, Dial: c.cb.dial,
		CallerID: c.cb.callerID, Position: c.q.position(c)})
	if media := callbackPrompt(&c.q.cfg, SoundCallbackScheduled); len(media) > 0 {
		e.startAnnouncement(c, AnnounceCallback, media)
		return
	}
	e.releaseLine(c)
}

// releaseLine hangs up the callback's own channel: from now on it waits
// without one (the flow reports no hang-up of a channel it hung up).
func (e *Engine) releaseLine(c *callerState) {
	e.emit(HangupCaller{Caller: c.id})
	c.cb.phase = cbWaiting
	e.readyCallers = append(e.readyCallers, c)
}

// callbackChannelGone: the virtual caller's own channel has gone (hung up
// after the goodbye, or by the caller): it now waits without one.
func (e *Engine) callbackChannelGone(c *callerState) {
	if c.cb.phase == cbLeaving {
		c.cb.phase = cbWaiting
		e.readyCallers = append(e.readyCallers, c)
	}
}

// callbackAnnounced is AnnouncementDone for a caller whose goodbye played
// (its line goes) or whose customer heard the connecting prompt (now it is
// rung).
func (e *Engine) callbackAnnounced(c *callerState) bool {
	if c.cb == nil {
		return false
	}
	switch c.cb.phase {
	case cbLeaving:
		e.releaseLine(c)
		return true
	case cbConnecting:
		c.cb.phase = cbBack
		e.announcementOver(c)
		e.readyCallers = append(e.readyCallers, c)
		return true
	}
	return false
}

// connectPromptFallback bounds the wait for the end of the connecting
// prompt, shorter than announceDoneFallback: a customer who answered is
// waiting to be put through, and a lost report must not keep it off the
// agents for minutes.
const connectPromptFallback = 30 * time.Second

// dialCallback starts a try: the customer's phone rings.
func (e *Engine) dialCallback(c *callerState, o *offer) {
	cfg := &c.q.cfg
	c.cb.phase = cbDialing
	c.cb.offer = o
	c.cb.attempts++
	timeout := cfg.CallbackRingTimeout
	if timeout <= 0 {
		timeout = defaultCallbackRing
	}
	var agent AgentID
	var id OfferID
	if o != nil {
		agent, id = o.agent.id, o.id
	}
	e.emit(CallbackAttempt{At: e.now, Caller: c.id, Queue: cfg.Name, Number: c.cb.number, Attempt: c.cb.attempts, Agent: agent})
	_, dial, callerID := c.cb.terms(cfg)
	e.emit(DialCallback{Caller: c.id, Queue: cfg.Name, Endpoint: callbackEndpoint(dial, c.cb.number), CallerID: callerID,
		Timeout: timeout, Offer: id, Agent: agent, Number: c.cb.number})
}

// callbackAnswered: the customer picked up.
func (e *Engine) callbackAnswered(in CallbackAnswered) error {
	c, err := e.dialled(in.Caller, "callback answered")
	if err != nil {
		return err
	}
	cfg := &c.q.cfg
	e.emit(CallbackAttemptEnded{At: e.now, Caller: c.id, Queue: cfg.Name, Attempt: c.cb.attempts, Result: "answered"})
	if o := c.cb.offer; o != nil { // agent first: put them through
		c.cb.offer = nil
		e.connect(c, o, c.cb.ringTime)
		return nil
	}
	// Customer first: on the line again at its place, rung as any caller
	// once it has heard the connecting prompt through. Ringing during the
	// prompt would cut it short whenever an agent answers at once (an
	// auto-answer headset; CI's Local agents did): the customer would hear
	// a fragment, or nothing, before a voice.
	e.emit(Accept{Caller: c.id, Queue: cfg.Name, MusicClass: cfg.MusicClass})
	if media := callbackPrompt(cfg, SoundCallbackConnect); len(media) > 0 {
		c.cb.phase = cbConnecting
		e.startAnnouncement(c, AnnounceCallback, media)
		e.arm(e.now.Add(connectPromptFallback), timer{kind: timerAnnounceDone, caller: c, gen: c.annPlayGen})
		return nil
	}
	c.cb.phase = cbBack
	e.readyCallers = append(e.readyCallers, c)
	return nil
}

// dialled is the caller id whose customer is being dialled, for the
// report of how the try went.
func (e *Engine) dialled(id CallerID, what string) (*callerState, error) {
	c, err := e.caller(id, what)
	if err != nil {
		return nil, err
	}
	if c.cb == nil || c.cb.phase != cbDialing {
		return nil, fmt.Errorf("%s %q: not being dialled: %w", what, id, ErrInvalid)
	}
	return c, nil
}

// callbackFailed: the try ended unanswered (Reason: noanswer, busy,
// unavailable, error); the agent waiting on it (agent first) is freed.
func (e *Engine) callbackFailed(in CallbackFailed) error {
	c, err := e.dialled(in.Caller, "callback failed")
	if err != nil {
		return err
	}
	cfg := &c.q.cfg
	e.emit(CallbackAttemptEnded{At: e.now, Caller: c.id, Queue: cfg.Name, Attempt: c.cb.attempts, Result: string(in.Reason)})
	if o := c.cb.offer; o != nil {
		c.cb.offer = nil
		e.emit(HangupAgent{Offer: o.id, Agent: o.agent.id})
		e.releaseAgent(o.agent) // free again: agentChanged routes it
		e.agentChanged(o.agent)
	}
	attempts := cfg.CallbackAttempts
	if attempts <= 0 {
		attempts = defaultCallbackAttempts
	}
	if c.cb.attempts >= attempts {
		e.leave(c, LeftCallbackFailed, "", nil)
	} else {
		retry := cfg.CallbackRetry
		if retry <= 0 {
			retry = defaultCallbackRetry
		}
		c.cb.phase = cbPause
		c.cb.gen++
		e.arm(e.now.Add(retry), timer{kind: timerCallbackRetry, caller: c, gen: c.cb.gen})
	}
	return nil
}

// callbackAgentGone: agent first, the agent hung up while its customer was
// being dialled. The customer's leg is hung up and the callback is back in
// its place for the next agent at once (the try is in the record).
func (e *Engine) callbackAgentGone(c *callerState) bool {
	if c.cb == nil || c.cb.phase != cbDialing || c.cb.offer == nil {
		return false
	}
	o := c.cb.offer
	c.cb.offer = nil
	e.emit(CallbackAttemptEnded{At: e.now, Caller: c.id, Queue: c.q.cfg.Name, Attempt: c.cb.attempts, Result: "agent-hungup"})
	e.emit(HangupCaller{Caller: c.id}) // the customer's ringing leg
	e.releaseAgent(o.agent)
	e.agentChanged(o.agent)
	c.cb.phase = cbWaiting
	e.readyCallers = append(e.readyCallers, c)
	return true
}

// callbackRetryOver puts a paused callback back in line.
func (e *Engine) callbackRetryOver(c *callerState) {
	c.cb.phase = cbWaiting
	e.readyCallers = append(e.readyCallers, c)
}
