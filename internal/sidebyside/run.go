package sidebyside

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Scenario is a pattern of callers.
type Scenario struct {
	Name       string
	Callers    int
	Interval   time.Duration // between arrivals; 0 with !OneAtATime: all at once
	OneAtATime bool          // each caller arrives once the one before has gone
	Talk       time.Duration // what each agent talks before hanging up
	// Drain bounds the wait for every caller to be gone after the last
	// arrival (default 5 minutes). Past it the run is measured as it
	// stands with Unfinished set if Partial, and is an error otherwise.
	Drain   time.Duration
	Partial bool
	// Round is which of several runs of the scenario this is (0: the only
	// one); it is part of the callers' channel ids, new for every run.
	Round int
}

// tag is the scenario's part of its callers' channel ids.
func (sc Scenario) tag() string {
	if sc.Round > 0 {
		return fmt.Sprintf("%s%d", sc.Name, sc.Round)
	}
	return sc.Name
}

// System is one side: where its callers go and which agents are its.
type System struct {
	Name         string
	Exten        string // the callers' extension in CallerContext
	AgentPrefix  string // its agents' devices start so, e.g. "Local/20"
	Agents       int
	Processes    map[string]int // name -> pid whose CPU (and RSS) is measured
	AgentContext string
}

// Result is one scenario through one system.
type Result struct {
	Scenario, System string
	Callers, Served  int
	FreeRing         []time.Duration // sorted
	JoinRing         []time.Duration // sorted; first ring after joining
	Overtaken        int
	PeakWaiting      int           // most callers waiting at one moment (joined, not connected, not gone)
	Hold             time.Duration // callers' waits summed, joining to connected (or gone): what their hold music cost Asterisk is in proportion
	Drain            time.Duration // first join to last connect; 0 one caller at a time
	Ideal            time.Duration // the drain a perfect system needs
	PerSecond        float64       // connects per second while callers waited
	IdealPerSecond   float64
	CPU              map[string]CPU
	RSSMiB           map[string]float64
	OriginateErrors  int
	Unfinished       bool       // callers were still in Asterisk after Scenario.Drain: hung up, not served
	Parts            *RingParts // stasisq's side: its rings in parts, from its /metrics
	Round            int        // which of several rounds (Bench.Rounds); 0 when one
}

// Label is the scenario's name, with its round when there are several:
// "saturation#2".
func (r Result) Label() string {
	if r.Round > 0 {
		return fmt.Sprintf("%s#%d", r.Scenario, r.Round)
	}
	return r.Scenario
}

// CPU is a process's use of one core: mean over the run, the busiest
// second, and the CPU seconds it spent in all.
type CPU struct{ Mean, Peak, Seconds float64 }

// CallerContext is the dialplan context callers are originated into.
const CallerContext = "sbs-callers"

// Run plays sc through sys and measures it; setTalk sets how long agents
// talk (a dialplan global) before the first caller.
func Run(ctx context.Context, o *Observer, sys System, sc Scenario, setTalk func(time.Duration) error) (res Result, err error) {
	if err := setTalk(sc.Talk); err != nil {
		return Result{}, err
	}
	res = Result{Scenario: sc.Name, System: sys.Name, Callers: sc.Callers, Round: sc.Round}
	sampler := startSampler(sys.Processes)
	start := time.Now()
	ids := make([]string, 0, sc.Callers)
	var mu sync.Mutex
	var wg sync.WaitGroup
	defer func() {
		if err == nil {
			return
		}
		// A run stopped (Ctrl-C) or failed leaves no caller in Asterisk,
		// a site's own above all: the originates under way end first.
		wg.Wait()
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if herr := o.hangUp(cctx, ids); herr != nil {
			err = errors.Join(err, fmt.Errorf("callers left in Asterisk: %w", herr))
		}
	}()
	// At most 16 originates in flight: Asterisk's HTTP server takes 100
	// sessions in all, and the observer must not take stasisq's.
	slots := make(chan struct{}, 16)
	originate := func(n int) string {
		id, err := o.originate(ctx, sys, fmt.Sprintf("%s-%s-%03d", sys.Exten, sc.tag(), n), 5550000+n, 900)
		if err != nil {
			mu.Lock()
			res.OriginateErrors++
			mu.Unlock()
		}
		return id
	}
	for n := range sc.Callers {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if sc.OneAtATime {
			id := originate(n)
			ids = append(ids, id)
			if err := waitFor(ctx, 2*time.Minute, func() bool { return o.gone([]string{id}) }); err != nil {
				return res, fmt.Errorf("%s %s: caller %d: %w", sys.Name, sc.Name, n, err)
			}
			continue
		}
		// Arrivals on a clock, each originate in its own goroutine, so that a
		// slow REST answer does not delay the callers after it.
		if sc.Interval > 0 {
			if d := time.Until(start.Add(time.Duration(n) * sc.Interval)); d > 0 {
				time.Sleep(d)
			}
		}
		tag := fmt.Sprintf("c-%s-%s-%03d", sys.Exten, sc.tag(), n)
		ids = append(ids, tag)
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			originate(n)
		}()
	}
	wg.Wait()
	arrivalsEnd := time.Now()
	drain := sc.Drain
	if drain == 0 {
		drain = 5 * time.Minute
	}
	if err := waitFor(ctx, drain, func() bool { return o.gone(ids) }); err != nil {
		if !sc.Partial {
			return res, fmt.Errorf("%s %s: callers still in Asterisk (%d of %d connected): %w", sys.Name, sc.Name, o.connected(ids), len(ids), err)
		}
		// Measured as it stands, then cleared away so that the next run
		// starts on a quiet Asterisk.
		res.Unfinished = true
		if err := o.hangUp(ctx, ids); err != nil {
			return res, fmt.Errorf("%s %s: clear the callers left: %w", sys.Name, sc.Name, err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the last events
	res.CPU, res.RSSMiB = sampler.stop()

	callers := o.callers(ids)
	for i := range callers {
		if callers[i].joined.IsZero() {
			callers[i].joined = callers[i].created
		}
	}
	legs := o.agentLegs(sys.AgentContext, start.Add(-time.Second))
	for dev := range legs {
		if !strings.HasPrefix(dev, sys.AgentPrefix) {
			delete(legs, dev)
		}
	}
	waiting := func(t time.Time) int {
		n := 0
		for _, c := range callers {
			if !c.joined.After(t) && (c.bridged.IsZero() || c.bridged.After(t)) && (!c.bye || c.gone.After(t)) {
				n++
			}
		}
		return n
	}
	// The most waiting at once is reached at a join.
	for _, c := range callers {
		res.PeakWaiting = max(res.PeakWaiting, waiting(c.joined))
	}
	res.Hold = holdOf(callers)
	var firstJoin, lastConnect time.Time
	for _, c := range callers {
		if firstJoin.IsZero() || c.joined.Before(firstJoin) {
			firstJoin = c.joined
		}
		if !c.bridged.IsZero() {
			res.Served++
			if c.bridged.After(lastConnect) {
				lastConnect = c.bridged
			}
		}
	}
	// One caller at a time is paced by the callers, not drained: no drain.
	if !sc.OneAtATime {
		res.Drain = lastConnect.Sub(firstJoin)
		rounds := math.Ceil(float64(sc.Callers) / float64(sys.Agents))
		res.Ideal = time.Duration((rounds - 1) * float64(sc.Talk))
	}
	var all []chanLife
	for _, ls := range legs {
		all = append(all, ls...)
		for i := 0; i+1 < len(ls); i++ {
			if ls[i].bridged.IsZero() || !ls[i].bye || ls[i+1].created.Before(ls[i].gone) {
				continue
			}
			// One caller at a time never waits for an agent: nothing to count.
			if !sc.OneAtATime && waiting(ls[i].gone) > 0 {
				res.FreeRing = append(res.FreeRing, ls[i+1].created.Sub(ls[i].gone))
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].created.Before(all[j].created) })
	for _, c := range callers {
		i := sort.Search(len(all), func(i int) bool { return !all[i].created.Before(c.joined) })
		if i < len(all) && (c.bridged.IsZero() || !all[i].created.After(c.bridged)) {
			res.JoinRing = append(res.JoinRing, all[i].created.Sub(c.joined))
		}
	}
	for _, a := range callers {
		if a.bridged.IsZero() {
			continue
		}
		for _, b := range callers {
			if !b.bridged.IsZero() && b.joined.Sub(a.joined) >= 5*time.Millisecond && b.bridged.Before(a.bridged) {
				res.Overtaken++
				break
			}
		}
	}
	// Connects per second while callers waited: from the first moment one
	// waited with every agent busy to the last arrival.
	if sc.Interval > 0 && !sc.OneAtATime {
		from, to := firstJoin.Add(10*time.Second), arrivalsEnd
		if to.Sub(from) > 5*time.Second {
			n := 0
			for _, c := range callers {
				if !c.bridged.Before(from) && c.bridged.Before(to) {
					n++
				}
			}
			res.PerSecond = float64(n) / to.Sub(from).Seconds()
			res.IdealPerSecond = float64(sys.Agents) / sc.Talk.Seconds()
		}
	}
	sort.Slice(res.FreeRing, func(i, j int) bool { return res.FreeRing[i] < res.FreeRing[j] })
	sort.Slice(res.JoinRing, func(i, j int) bool { return res.JoinRing[i] < res.JoinRing[j] })
	return res, nil
}

func waitFor(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not done after %v", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// Percentile is the p-th percentile (0..100) of sorted ds, 0 if none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(ds)))) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// sampler reads the processes' CPU ticks and RSS every second (the peak is
// the busiest second's).
type sampler struct {
	pids   map[string]int
	stopCh chan struct{}
	done   chan struct{}

	start    map[string]uint64
	startAt  time.Time
	peak     map[string]float64
	rss      map[string]float64
	lastTick map[string]uint64
	lastAt   time.Time
}

// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat's times.
const clockTicks = 100

func startSampler(pids map[string]int) *sampler {
	s := &sampler{pids: pids, stopCh: make(chan struct{}), done: make(chan struct{}),
		start: map[string]uint64{}, peak: map[string]float64{}, rss: map[string]float64{}, lastTick: map[string]uint64{}}
	s.startAt, s.lastAt = time.Now(), time.Now()
	for name, pid := range pids {
		t, _ := cpuTicks(pid)
		s.start[name], s.lastTick[name] = t, t
	}
	go s.loop()
	return s
}

func (s *sampler) loop() {
	defer close(s.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stopCh:
			return
		case now := <-t.C:
			for name, pid := range s.pids {
				ticks, err := cpuTicks(pid)
				if err != nil {
					continue
				}
				use := float64(ticks-s.lastTick[name]) / clockTicks / now.Sub(s.lastAt).Seconds()
				s.peak[name] = max(s.peak[name], use)
				s.lastTick[name] = ticks
				if r, err := rssMiB(pid); err == nil {
					s.rss[name] = max(s.rss[name], r)
				}
			}
			s.lastAt = now
		}
	}
}

func (s *sampler) stop() (map[string]CPU, map[string]float64) {
	close(s.stopCh)
	<-s.done
	out := map[string]CPU{}
	wall := time.Since(s.startAt).Seconds()
	for name, pid := range s.pids {
		ticks, err := cpuTicks(pid)
		if err != nil {
			out[name] = CPU{Mean: math.NaN(), Peak: math.NaN(), Seconds: math.NaN()} // shown as NaN, never as a 0 that looks measured
			continue
		}
		spent := float64(ticks-s.start[name]) / clockTicks
		out[name] = CPU{Mean: spent / wall, Peak: s.peak[name], Seconds: spent}
	}
	return out, s.rss
}

// cpuTicks is utime+stime of pid (fields 14 and 15 of /proc/<pid>/stat).
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	k, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return u + k, nil
}

func rssMiB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// holdOf is the callers' waits summed: from joining to being connected or,
// for one never connected, to its end; one still there is not counted.
func holdOf(callers []chanLife) time.Duration {
	var hold time.Duration
	for _, c := range callers {
		end := c.bridged
		if end.IsZero() && c.bye {
			end = c.gone
		}
		if end.After(c.joined) {
			hold += end.Sub(c.joined)
		}
	}
	return hold
}
