package queue

import (
	"strconv"
	"strings"
	"time"
)

// The prompts app_queue plays, by the queues.conf option that overrides
// each (its default is the sound of the same name).
const (
	soundYouAreNext   = "queue-youarenext"
	soundThereAre     = "queue-thereare"
	soundCallsWaiting = "queue-callswaiting"
	soundHoldTime     = "queue-holdtime"
	soundMinutes      = "queue-minutes"
	soundSeconds      = "queue-seconds"
	soundLessThan     = "queue-less-than"
	soundThankYou     = "queue-thankyou"
	soundQuantity1    = "queue-quantity1"
	soundQuantity2    = "queue-quantity2"
	soundReportHold   = "queue-reporthold"
)

// SoundOptions are the prompts a queue may point at sounds of its own
// (QueueConfig.Sounds), as app_queue's queue-* options do.
var SoundOptions = []string{soundYouAreNext, soundThereAre, soundCallsWaiting, soundHoldTime, soundMinutes,
	soundSeconds, soundThankYou, soundQuantity1, soundQuantity2, soundReportHold}

// prompts turns prompt names and media ("number:N") into what to play: a
// prompt is the queue's own sound for it, or Asterisk's of the same name;
// one set to "" is left out, as app_queue skips an empty sound.
func prompts(cfg *QueueConfig, media ...string) []string {
	out := make([]string, 0, len(media))
	for _, m := range media {
		if strings.Contains(m, ":") {
			out = append(out, m)
			continue
		}
		s, ok := cfg.Sounds[m]
		if !ok {
			s = m
		}
		if s != "" {
			out = append(out, "sound:"+s)
		}
	}
	return out
}

// announceStep is how often a caller's announcement is reconsidered: as
// soon as min-announce-frequency allows (a changed position is announced
// then), and at the latest announce-frequency after the last one.
func announceStep(cfg *QueueConfig) time.Duration {
	if cfg.MinAnnounceFrequency > 0 && cfg.MinAnnounceFrequency < cfg.AnnounceFrequency {
		return cfg.MinAnnounceFrequency
	}
	return cfg.AnnounceFrequency
}

func (e *Engine) armAnnounce(c *callerState, at time.Time) {
	c.annGen++
	e.arm(at, timer{kind: timerAnnounce, caller: c, gen: c.annGen})
}

// flushAnnouncements considers the callers whose announcement may be due
// now (joined, or a ring just failed), after routing, so that a caller being
// rung hears nothing.
func (e *Engine) flushAnnouncements() {
	for i, c := range e.announceDue {
		e.announceCheck(c)
		e.announceDue[i] = nil
	}
	e.announceDue = e.announceDue[:0]
}

// announceCheck is app_queue's say_position timing: not within
// min-announce-frequency of the last one; then when the position changed or
// announce-frequency has passed. The first one comes as soon as the caller
// waits. Nothing is said over a ring or to a connected caller, nor, unless
// announce-to-first-user, between the rings of a caller whose turn it is.
func (e *Engine) announceCheck(c *callerState) {
	cfg := &c.q.cfg
	if c.gone || c.connected || cfg.AnnounceFrequency <= 0 || c.annPlaying || c.inCallback() {
		return
	}
	step := announceStep(cfg)
	if len(c.offers) > 0 {
		e.armAnnounce(c, e.now.Add(step))
		return
	}
	if e.turnSilences(c) {
		// Reconsidered when retry ends, as app_queue checks is_our_turn
		// after wait_a_bit: by then the agent may be gone and the caller
		// waiting like any other.
		e.armAnnounce(c, minTime(e.now.Add(step), c.retryEnds(e.now)))
		return
	}
	pos := c.q.position(c)
	if !c.lastPos.IsZero() {
		since := e.now.Sub(c.lastPos)
		if since < cfg.MinAnnounceFrequency {
			e.armAnnounce(c, c.lastPos.Add(cfg.MinAnnounceFrequency))
			return
		}
		if pos == c.lastPosSaid && since < cfg.AnnounceFrequency {
			e.armAnnounce(c, minTime(e.now.Add(step), c.lastPos.Add(cfg.AnnounceFrequency)))
			return
		}
	}
	media := e.positionMedia(c, pos)
	if len(media) > 0 {
		media = append(media, e.callbackOfferMedia(c)...)
	}
	c.lastPos = e.now
	c.lastPosSaid = pos
	if len(media) == 0 {
		e.armAnnounce(c, e.now.Add(step))
		return
	}
	e.startAnnouncement(c, AnnouncePosition, media)
}

// turnSilences: app_queue announces to the caller at its turn (wait loop
// of the head caller, between ring rounds) only with announce-to-first-user.
func (e *Engine) turnSilences(c *callerState) bool {
	return !c.q.cfg.AnnounceToFirstUser && e.waitsOutRetry(c)
}

// announceDoneFallback bounds how long the engine waits for
// AnnouncementDone: a lost report must not silence a caller for the rest of
// its wait. It is longer than any queue prompt is expected to play, so a
// prompt still playing is not talked over.
const announceDoneFallback = 5 * time.Minute

// The kinds of CallerAnnounced.
const (
	AnnouncePosition = "position" // say_position: position and/or hold time
	AnnouncePeriodic = "periodic" // periodic-announce
	AnnounceWelcome  = "welcome"  // welcome_back, to a returning caller
)

// startAnnouncement emits one Announce and holds every other announcement
// for the caller until AnnouncementDone (or the fallback): app_queue plays
// them in the caller's own thread, so one never starts over another and a
// due one waits for the end of the one playing. Nothing else is armed
// meanwhile; announcementOver re-checks both kinds.
func (e *Engine) startAnnouncement(c *callerState, kind string, media []string) {
	e.emit(CallerAnnounced{At: e.now, Caller: c.id, Queue: c.q.cfg.Name, Announcement: kind, Position: c.q.position(c)})
	e.emit(Announce{Caller: c.id, Media: media, Interrupt: kind == AnnounceCallback})
	c.annPlaying = true
	c.annPlayGen++
	c.annGen++
	c.perGen++
	e.arm(e.now.Add(announceDoneFallback), timer{kind: timerAnnounceDone, caller: c, gen: c.annPlayGen})
}

// announcementDone is the flow's report that the caller's last Announce is
// over. A report for a caller gone, connected or not waiting for one is
// stale (the flow reports drops too) and changes nothing.
func (e *Engine) announcementDone(id CallerID) {
	c, ok := e.callers[id]
	if !ok || c.gone || c.connected || !c.annPlaying {
		return
	}
	if e.callbackAnnounced(c) {
		c.annPlaying = false
		return
	}
	e.announcementOver(c)
}

// announcementOver lets the next announcement start: whichever is due now
// plays at once, position first as in app_queue's wait loop; otherwise each
// is armed for when it falls due, counted from the start of the previous one
// of its kind, as app_queue sets last_pos and last_periodic_announce_time.
func (e *Engine) announcementOver(c *callerState) {
	c.annPlaying = false
	c.annPlayGen++
	e.announceCheck(c)
	e.periodicAnnounce(c)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// positionMedia is what say_position plays for a caller at pos.
func (e *Engine) positionMedia(c *callerState, pos int) []string {
	cfg := &c.q.cfg
	var media []string
	thanks := false
	ap := cfg.AnnouncePosition
	if ap == "" {
		ap = "yes"
	}
	if ap == "yes" || ap == "more" || (ap == "limit" && pos <= cfg.AnnouncePositionLimit) {
		thanks = true
		switch {
		case pos == 1:
			return prompts(cfg, soundYouAreNext, soundThankYou)
		case ap == "more" && pos > cfg.AnnouncePositionLimit:
			media = append(media, soundQuantity1, number(cfg.AnnouncePositionLimit), soundQuantity2)
		default:
			media = append(media, soundThereAre, number(pos), soundCallsWaiting)
		}
	}
	ht := cfg.AnnounceHoldTime
	if ht == "yes" || (ht == "once" && c.lastPos.IsZero()) {
		ew := int(e.expectedWait(c.q, pos) / time.Second)
		mins := (ew + 30) / 60
		secs := 0
		if r := cfg.AnnounceRoundSeconds; r > 0 {
			secs = ((ew + 30) - 60*mins) / r * r
		}
		if mins+secs > 0 {
			media = append(media, soundHoldTime)
			if mins > 0 {
				if mins < 2 {
					media = append(media, soundLessThan, number(2))
				} else {
					media = append(media, number(mins))
				}
				media = append(media, soundMinutes)
			}
			if secs > 0 {
				media = append(media, number(secs), soundSeconds)
			}
		}
	}
	if thanks {
		media = append(media, soundThankYou)
	}
	return prompts(cfg, media...)
}

func number(n int) string { return "number:" + strconv.Itoa(n) }

// agentMedia is what app_queue plays to the agent who answered before the
// bridge (try_calling): the queue's announce, then with reportholdtime the
// caller's wait: queue-reporthold, minutes if any, seconds if more than one.
func agentMedia(cfg *QueueConfig, wait time.Duration) []string {
	var out []string
	for _, f := range strings.Split(cfg.Announce, "&") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, mediaURI(f))
		}
	}
	if cfg.ReportHoldTime {
		secs := int(wait / time.Second)
		media := []string{soundReportHold}
		if m := secs / 60; m > 0 {
			media = append(media, number(m), soundMinutes)
		}
		if s := secs % 60; s > 1 {
			media = append(media, number(s), soundSeconds)
		}
		out = append(out, prompts(cfg, media...)...)
	}
	return out
}

// periodicAnnounce plays the next periodic announcement (in turn, or at
// random with random-periodic-announce) once periodic-announce-frequency
// has passed since the start of the last one (or the caller's join). During
// a ring it waits until the ring is over; while another announcement plays
// it waits for announcementOver.
func (e *Engine) periodicAnnounce(c *callerState) {
	cfg := &c.q.cfg
	if c.gone || c.connected || cfg.PeriodicAnnounceFrequency <= 0 || len(cfg.PeriodicAnnounce) == 0 || c.inCallback() {
		return
	}
	c.perGen++
	if c.annPlaying {
		return
	}
	if due := c.lastPeriodic.Add(cfg.PeriodicAnnounceFrequency); e.now.Before(due) {
		e.arm(due, timer{kind: timerPeriodic, caller: c, gen: c.perGen})
		return
	}
	if len(c.offers) > 0 {
		e.arm(e.now.Add(time.Second), timer{kind: timerPeriodic, caller: c, gen: c.perGen})
		return
	}
	if e.turnSilences(c) {
		e.arm(minTime(e.now.Add(time.Second), c.retryEnds(e.now)), timer{kind: timerPeriodic, caller: c, gen: c.perGen})
		return
	}
	n := len(cfg.PeriodicAnnounce)
	idx := c.periodicIdx % n
	if cfg.RandomPeriodicAnnounce {
		idx = e.rng.IntN(n)
	} else {
		c.periodicIdx = (idx + 1) % n
	}
	c.lastPeriodic = e.now
	e.startAnnouncement(c, AnnouncePeriodic, append([]string{mediaURI(cfg.PeriodicAnnounce[idx])}, e.callbackOfferMedia(c)...))
}

// mediaURI makes a queues.conf sound name a media URI; a URI stays as is.
func mediaURI(name string) string {
	if strings.Contains(name, ":") {
		return name
	}
	return "sound:" + name
}
