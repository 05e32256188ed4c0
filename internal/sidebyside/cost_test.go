package sidebyside

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
)

// BenchmarkCostBreakdown (make bench-cost) splits what Asterisk spends
// into its two parts, through app_queue and through stasisq on one
// Asterisk:
//   - holding: 200 callers at once to agents who talk for two minutes, so
//     that 20 talk and 180 wait; Asterisk's CPU over 30 s of that steady
//     state (no call starts or ends in it);
//   - calls: 400 callers at 10/s to agents who talk 1 s (room for 20/s,
//     so nobody waits for an agent): Asterisk's CPU seconds per call, and
//     stasisq's REST requests per call;
//   - a REST request: Asterisk's CPU per request over 2,000 bridges
//     created and destroyed, 8 at a time (what fewer requests per call
//     could save).
//
// It runs once whatever b.N is.
func BenchmarkCostBreakdown(b *testing.B) {
	be := setUp(b)
	ctx := context.Background()
	type row struct {
		system              string
		holdCPU             float64 // share of one core
		callCPU, callCPUSec float64
		calls               int
		rest                float64 // stasisq's REST requests per call
	}
	var rows []row
	for _, sys := range be.Systems {
		r := row{system: sys.Name}
		hold, err := holdingCost(ctx, be, sys, 200, 30*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		r.holdCPU = hold
		time.Sleep(3 * time.Second)
		before, err := restRequests(be.MetricsURL)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Run(ctx, be.Obs, sys, Scenario{Name: "paced", Callers: 400, Interval: 100 * time.Millisecond, Talk: time.Second}, be.SetTalk)
		if err != nil {
			b.Fatal(err)
		}
		after, err := restRequests(be.MetricsURL)
		if err != nil {
			b.Fatal(err)
		}
		if res.Served != res.Callers {
			b.Fatalf("%s paced: %d of %d served", sys.Name, res.Served, res.Callers)
		}
		r.calls = res.Served
		r.callCPU, r.callCPUSec = res.CPU["asterisk"].Mean, res.CPU["asterisk"].Seconds
		if sys.Name == "stasisq" {
			r.rest = float64(after-before) / float64(res.Served)
		}
		rows = append(rows, r)
		time.Sleep(3 * time.Second)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "system\tAsterisk CPU, 180 waiting + 20 talking\tAsterisk CPU, 10 calls/s none waiting\tAsterisk CPU ms per call\tstasisq REST requests per call")
	for _, r := range rows {
		rest := "-"
		if r.system == "stasisq" {
			rest = fmt.Sprintf("%.1f", r.rest)
		}
		fmt.Fprintf(tw, "%s\t%.1f%%\t%.1f%%\t%.1f\t%s\n", r.system, 100*r.holdCPU, 100*r.callCPU, 1000*r.callCPUSec/float64(r.calls), rest)
	}
	if err := tw.Flush(); err != nil {
		b.Fatal(err)
	}
	per, err := restCost(ctx, be, 2000)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("Asterisk CPU per REST request (2,000 bridges created and destroyed): %.3f ms\n", 1000*per)
}

// restCost is the CPU seconds Asterisk spends per REST request, from n
// bridges created and destroyed 8 at a time by the observer's client.
func restCost(ctx context.Context, be *Bench, n int) (float64, error) {
	pid := be.Systems[0].Processes["asterisk"]
	t0, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	c := be.Obs.Client()
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			id := fmt.Sprintf("sbs-cost-%d", i)
			if _, err := c.CreateBridge(ctx, id, "mixing", "sbs-cost"); err != nil {
				errs <- err
				return
			}
			if err := c.DestroyBridge(ctx, id); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, fmt.Errorf("REST cost: %w", err)
	}
	time.Sleep(500 * time.Millisecond) // the last events
	t1, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	return float64(t1-t0) / clockTicks / float64(2*n), nil
}

// holdingCost sends n callers to sys at once with agents talking longer
// than the measure lasts, waits 10 s for the calls to settle, and returns
// Asterisk's CPU (share of one core) over the next window; the callers are
// hung up after.
func holdingCost(ctx context.Context, be *Bench, sys System, n int, window time.Duration) (cpu float64, err error) {
	pid := sys.Processes["asterisk"]
	if pid == 0 {
		return 0, fmt.Errorf("Asterisk's process is not known: its CPU cannot be measured")
	}
	if err := be.SetTalk(window + time.Minute + 30*time.Second); err != nil {
		return 0, err
	}
	var ids []string
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if herr := be.Obs.hangUp(cctx, ids); herr != nil && err == nil {
			err = herr
		}
	}()
	for i := range n {
		id, err := be.Obs.originate(ctx, sys, fmt.Sprintf("%s-hold-%03d", sys.Exten, i), 5550000+i, 900)
		if err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	time.Sleep(10 * time.Second)
	if c := be.Obs.connected(ids); c != Agents {
		return 0, fmt.Errorf("%s holding: %d callers talking after 10 s, want %d", sys.Name, c, Agents)
	}
	t0, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	at := time.Now()
	time.Sleep(window)
	t1, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	return float64(t1-t0) / clockTicks / time.Since(at).Seconds(), nil
}

// restRequests is how many REST requests stasisq has made (the sum of
// stasisq_ari_request_duration_seconds_count).
func restRequests(url string) (int, error) {
	n, _, err := sumCounters(url, requestCount, nil)
	return n, err
}
