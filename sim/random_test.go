package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"stasisq/ari/aritest"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// A Poisson process has exponential gaps: mean 1/rate, standard deviation
// equal to the mean, and a gap longer than the mean e^-1 of the time.
func TestInterArrivalIsExponential(t *testing.T) {
	const n = 200_000
	for _, tc := range []struct {
		name string
		rate float64
	}{
		{"half per second", 0.5},
		{"two per second", 2},
		{"fifty per second", 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRand(7)
			want := 1 / tc.rate
			var sum, sumSq float64
			longer := 0
			for range n {
				g := InterArrival(r, tc.rate).Seconds()
				if g < 0 {
					t.Fatalf("got gap %v, want >= 0", g)
				}
				sum += g
				sumSq += g * g
				if g > want {
					longer++
				}
			}
			mean := sum / n
			sd := math.Sqrt(sumSq/n - mean*mean)
			if math.Abs(mean-want)/want > 0.02 {
				t.Errorf("mean gap: got=%v, want %v ±2%%", mean, want)
			}
			if math.Abs(sd-want)/want > 0.03 {
				t.Errorf("standard deviation: got=%v, want %v ±3%%", sd, want)
			}
			if frac := float64(longer) / n; math.Abs(frac-math.Exp(-1)) > 0.01 {
				t.Errorf("share of gaps above the mean: got=%v, want %v ±0.01", frac, math.Exp(-1))
			}
		})
	}
}

func TestInterArrivalZeroRate(t *testing.T) {
	if got := InterArrival(newRand(1), 0); got != 0 {
		t.Errorf("got=%v, want 0", got)
	}
}

func TestDrawnDurations(t *testing.T) {
	const n = 100_000
	m := 10 * time.Second
	for _, tc := range []struct {
		name     string
		draw     func(*rand.Rand, time.Duration) time.Duration
		min, max time.Duration
	}{
		{"exponential", Exponential, 0, time.Duration(math.MaxInt64)},
		{"jitter", jitter, m / 2, 3 * m / 2},
		{"talk time", talkTime, m / 2, time.Duration(math.MaxInt64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRand(3)
			if got := tc.draw(r, 0); got != 0 {
				t.Errorf("mean 0: got=%v, want 0", got)
			}
			var sum float64
			for range n {
				d := tc.draw(r, m)
				if d < tc.min || d >= tc.max {
					t.Fatalf("got=%v, want within [%v, %v)", d, tc.min, tc.max)
				}
				sum += d.Seconds()
			}
			if mean := sum / n; math.Abs(mean-m.Seconds())/m.Seconds() > 0.02 {
				t.Errorf("mean: got=%vs, want %v ±2%%", mean, m)
			}
		})
	}
}

func TestPhoneBehaviorShares(t *testing.T) {
	const n = 100_000
	spec := AgentSpec{Device: "PJSIP/x", AnswerAfter: 2 * time.Second, TalkMean: 30 * time.Second, NoAnswerProb: 0.1, BusyProb: 0.05}
	r := newRand(11)
	counts := map[aritest.DeviceAction]int{}
	var talk float64
	for range n {
		b := phoneBehavior(r, spec)
		counts[b.Action]++
		if b.Action != aritest.Answer {
			continue
		}
		if b.After < time.Second || b.After >= 3*time.Second {
			t.Fatalf("answer after: got=%v, want within [1s, 3s)", b.After)
		}
		talk += b.TalkFor.Seconds()
	}
	for _, tc := range []struct {
		action aritest.DeviceAction
		want   float64
	}{{aritest.Busy, 0.05}, {aritest.NoAnswer, 0.1}, {aritest.Answer, 0.85}} {
		if got := float64(counts[tc.action]) / n; math.Abs(got-tc.want) > 0.01 {
			t.Errorf("share of %v: got=%v, want %v ±0.01", tc.action, got, tc.want)
		}
	}
	if mean := talk / float64(counts[aritest.Answer]); math.Abs(mean-30)/30 > 0.02 {
		t.Errorf("mean talk: got=%vs, want 30s ±2%%", mean)
	}
}

func TestCallerIdentity(t *testing.T) {
	r := newRand(5)
	seen := map[string]bool{}
	for range 1000 {
		num := CallerNumber(r)
		if len(num) < 12 || num[0] != '+' {
			t.Fatalf("number %q: want E.164, + and at least 11 digits", num)
		}
		for _, c := range num[1:] {
			if c < '0' || c > '9' {
				t.Fatalf("number %q: got non-digit %q", num, c)
			}
		}
		seen[CallerName(CallerNumber(r))] = true
	}
	if len(seen) < 200 {
		t.Errorf("distinct names in 1000 callers: got=%d, want >= 200", len(seen))
	}
}

// The demo CRM looks callers up by number and must find the name the caller
// presented, so the name depends on the number alone.
func TestCallerNameFollowsNumber(t *testing.T) {
	for _, number := range []string{"+442079460123", "+120255501 42", "+61491570999"} {
		if a, b := CallerName(number), CallerName(number); a != b || a == "" {
			t.Errorf("CallerName(%q): got %q then %q, want one stable non-empty name", number, a, b)
		}
	}
	if CallerName("+442079460123") == CallerName("+442079460124") && CallerName("+442079460124") == CallerName("+442079460125") {
		t.Errorf("three neighbouring numbers got one name: names do not vary with the number")
	}
}
