package sim

import (
	"math/rand/v2"
	"sync"
	"time"
)

// dice is a *rand.Rand shared by the arrival loop and the phones; rand.Rand
// is not safe for concurrent use.
type dice struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (d *dice) with(f func(r *rand.Rand)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d.r)
}

// InterArrival draws the gap to the next arrival of a Poisson process of rate
// arrivals per second: exponential with mean 1/rate.
func InterArrival(r *rand.Rand, rate float64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return seconds(r.ExpFloat64() / rate)
}

// Exponential draws an exponential duration of mean m; 0 stays 0.
func Exponential(r *rand.Rand, m time.Duration) time.Duration {
	if m <= 0 {
		return 0
	}
	return time.Duration(r.ExpFloat64() * float64(m))
}

// jitter draws uniformly from [m/2, 3m/2): phones and people are never
// exactly on time, but neither do they answer instantly.
func jitter(r *rand.Rand, m time.Duration) time.Duration {
	if m <= 0 {
		return 0
	}
	return m/2 + time.Duration(r.Int64N(int64(m)))
}

// talkTime has mean m but never less than m/2: an exponential alone gives
// too many calls of a second or two, which no real conversation is.
func talkTime(r *rand.Rand, m time.Duration) time.Duration {
	if m <= 0 {
		return 0
	}
	return m/2 + Exponential(r, m/2)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
