package queue

import (
	"strconv"
	"strings"
	"time"
)

// Sound names app_queue plays (its queues.conf defaults).
const (
	soundYouAreNext   = "sound:queue-youarenext"
	soundThereAre     = "sound:queue-thereare"
	soundCallsWaiting = "sound:queue-callswaiting"
	soundHoldTime     = "sound:queue-holdtime"
	soundMinutes      = "sound:queue-minutes"
	soundSeconds      = "sound:queue-seconds"
	soundLessThan     = "sound:queue-less-than"
	soundThankYou     = "sound:queue-thankyou"
	soundQuantity1    = "sound:queue-quantity1"
	soundQuantity2    = "sound:queue-quantity2"
)

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
// waits. Nothing is said over a ring or to a connected caller.
func (e *Engine) announceCheck(c *callerState) {
	cfg := &c.q.cfg
	if c.gone || c.connected || cfg.AnnounceFrequency <= 0 {
		return
	}
	step := announceStep(cfg)
	if len(c.offers) > 0 {
		e.armAnnounce(c, e.now.Add(step))
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
	c.lastPos = e.now
	c.lastPosSaid = pos
	if len(media) > 0 {
		e.emit(Announce{Caller: c.id, Media: media})
	}
	e.armAnnounce(c, e.now.Add(step))
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
			return []string{soundYouAreNext, soundThankYou}
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
	return media
}

func number(n int) string { return "number:" + strconv.Itoa(n) }

// periodicAnnounce plays the next periodic announcement (in turn, or at
// random with random-periodic-announce), every periodic-announce-frequency
// from the caller's join. During a ring it waits until the ring is over.
func (e *Engine) periodicAnnounce(c *callerState) {
	cfg := &c.q.cfg
	if cfg.PeriodicAnnounceFrequency <= 0 || len(cfg.PeriodicAnnounce) == 0 {
		return
	}
	c.perGen++
	if len(c.offers) > 0 {
		e.arm(e.now.Add(time.Second), timer{kind: timerPeriodic, caller: c, gen: c.perGen})
		return
	}
	n := len(cfg.PeriodicAnnounce)
	idx := c.periodicIdx % n
	if cfg.RandomPeriodicAnnounce {
		idx = e.rng.IntN(n)
	} else {
		c.periodicIdx = (idx + 1) % n
	}
	e.emit(Announce{Caller: c.id, Media: []string{mediaURI(cfg.PeriodicAnnounce[idx])}})
	c.lastPeriodic = e.now
	e.arm(e.now.Add(cfg.PeriodicAnnounceFrequency), timer{kind: timerPeriodic, caller: c, gen: c.perGen})
}

// mediaURI makes a queues.conf sound name a media URI; a URI stays as is.
func mediaURI(name string) string {
	if strings.Contains(name, ":") {
		return name
	}
	return "sound:" + name
}
