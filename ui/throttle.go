package ui

import (
	"strings"
	"sync"
	"time"
)

// loginThrottle slows password guessing without letting anyone lock
// others out. Two counts, both charged before the password is checked (so a
// hundred parallel guesses cannot all reach bcrypt) and given back when it
// is right:
//
//   - per (login, address): a few attempts free, then each one more waits
//     twice as long as the last (1 s, 2 s, 4 s ... 15 min). A guesser
//     elsewhere never delays the real user, who logs in from an address
//     that has not failed for that login.
//   - per address: a bucket of 30 failures refilled one every 2 s, so one
//     address cannot try many logins either. A call centre's NAT address
//     with a hundred agents logging in at nine only spends on typos.
//
// Nothing is kept per login alone: that would let anyone lock an admin out
// by failing five times. The address is the peer's, or X-Forwarded-For's
// when the peer is a trusted proxy (Options.TrustedProxies).
type loginThrottle struct {
	mu      sync.Mutex
	pairs   map[string]*pairState
	addrs   map[string]*addrState
	maxKeys int
}

const (
	freeAttempts   = 3
	maxPairDelay   = 15 * time.Minute
	addrBurst      = 30.0
	addrRefillEach = 2 * time.Second
)

type pairState struct {
	charged int       // attempts charged since the last success (in flight included)
	until   time.Time // no attempt before this
	seen    time.Time
}

type addrState struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// attempt is what begin charged, for succeeded to give back.
type attempt struct {
	pair, addr string
}

func newLoginThrottle() *loginThrottle {
	return &loginThrottle{pairs: map[string]*pairState{}, addrs: map[string]*addrState{}, maxKeys: 50000}
}

func pairDelay(charged int) time.Duration {
	if charged <= freeAttempts {
		return 0
	}
	n := charged - freeAttempts - 1
	if n >= 10 {
		return maxPairDelay
	}
	return min(time.Second<<n, maxPairDelay)
}

func (a *addrState) refill(now time.Time) {
	if now.After(a.at) {
		a.tokens = min(addrBurst, a.tokens+float64(now.Sub(a.at))/float64(addrRefillEach))
		a.at = now
	}
}

// begin charges one attempt for login from addr, or says how long to wait
// when either count is spent (then nothing is charged).
func (l *loginThrottle) begin(now time.Time, addr, login string) (attempt, time.Duration) {
	pk := strings.ToLower(login) + "\x00" + addr
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evict(now)
	p := l.pairs[pk]
	if p == nil || now.Sub(p.seen) > 24*time.Hour {
		p = &pairState{} // a day without trying forgives
	}
	if wait := p.until.Sub(now); wait > 0 {
		return attempt{}, wait
	}
	a := l.addrs[addr]
	if a == nil {
		a = &addrState{tokens: addrBurst, at: now}
	}
	a.refill(now)
	if a.tokens < 1 {
		return attempt{}, time.Duration((1 - a.tokens) * float64(addrRefillEach))
	}
	a.tokens--
	l.addrs[addr] = a
	p.charged++
	p.seen = now
	p.until = now.Add(pairDelay(p.charged))
	l.pairs[pk] = p
	return attempt{pair: pk, addr: addr}, 0
}

// succeeded gives back what begin charged: the password was right (or the
// check failed for a reason that is no guess).
func (l *loginThrottle) succeeded(at attempt) {
	if at.pair == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pairs, at.pair)
	if a := l.addrs[at.addr]; a != nil {
		a.tokens = min(addrBurst, a.tokens+1)
	}
}

// evict bounds the memory an attacker with many addresses can make us
// keep: entries that have forgotten everything go first, and past the cap
// the throttle starts over rather than grow.
func (l *loginThrottle) evict(now time.Time) {
	if len(l.pairs)+len(l.addrs) < l.maxKeys {
		return
	}
	for k, p := range l.pairs {
		if now.After(p.until) && now.Sub(p.seen) > maxPairDelay {
			delete(l.pairs, k)
		}
	}
	for k, a := range l.addrs {
		a.refill(now)
		if a.tokens >= addrBurst {
			delete(l.addrs, k)
		}
	}
	if len(l.pairs)+len(l.addrs) >= l.maxKeys {
		clear(l.pairs)
		clear(l.addrs)
	}
}
