package sidebyside

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// capacityP99 is the free->ring p99 a step must keep to count as held.
const capacityP99 = 20 * time.Millisecond

// BenchmarkCapacity (make bench-capacity) steps a burst of callers up
// (SBS_CAPACITY_STEPS, default 200,400,800,1200,1600) through app_queue and
// through stasisq on one Asterisk, 20 Agents talking 1 s, and prints per
// step the most callers waiting at once, who was served, free->ring p99,
// REST errors and CPU. A system holds a step when every caller is served,
// no originate or stasisq REST request failed (a 404 for a channel that
// has just hung up is not a failure) and free->ring p99 <= 20 ms; it stops
// stepping once it serves fewer callers than it was given. The last lines
// are each system's capacity: the most callers waiting at once in the
// largest step it held, and in the largest step it served in full.
// SBS_SYSTEMS=stasisq (or app_queue) runs one side only.
func BenchmarkCapacity(b *testing.B) {
	steps := []int{200, 400, 800, 1200, 1600}
	if s := os.Getenv("SBS_CAPACITY_STEPS"); s != "" {
		steps = steps[:0]
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("SBS_CAPACITY_STEPS=%q: %q is not a number of callers", s, f)
			}
			steps = append(steps, n)
		}
	}
	be := setUp(b)
	ctx := context.Background()
	type row struct {
		Result
		restErrors int
		held       bool
	}
	var rows []row
	held := map[string]int{}     // system -> peak waiting of the largest step held
	served := map[string]int{}   // system -> peak waiting of the largest step served in full
	stopped := map[string]bool{} // past the step it lost hold at
	be.Systems = onlySystems(be.Systems)
	for _, n := range steps {
		for _, sys := range be.Systems {
			if stopped[sys.Name] {
				continue
			}
			before, _, err := restErrors(be.MetricsURL)
			if err != nil {
				b.Fatal(err)
			}
			// Three times the ideal drain, and half a minute: a system that
			// needs more has lost hold of its callers at this size.
			ideal := time.Duration((n+Agents-1)/Agents) * time.Second
			sc := Scenario{Name: fmt.Sprintf("burst-%d", n), Callers: n, Talk: time.Second, Drain: 3*ideal + 30*time.Second, Partial: true}
			r, err := Run(ctx, be.Obs, sys, sc, be.SetTalk)
			if err != nil {
				b.Fatal(err)
			}
			after, _, err := restErrors(be.MetricsURL)
			if err != nil {
				b.Fatal(err)
			}
			// stasisq's REST errors are its own side's; app_queue makes none.
			rest := 0
			if sys.Name == "stasisq" {
				rest = after - before
			}
			all := !r.Unfinished && r.Served == r.Callers && r.OriginateErrors == 0 && rest == 0
			ok := all && Percentile(r.FreeRing, 99) <= capacityP99
			rows = append(rows, row{Result: r, restErrors: rest, held: ok})
			if ok {
				held[sys.Name] = max(held[sys.Name], r.PeakWaiting)
			}
			if all {
				served[sys.Name] = max(served[sys.Name], r.PeakWaiting)
			} else {
				stopped[sys.Name] = true
			}
			b.Logf("%s through %s: %d/%d served, %d waiting at once, free->ring p99 %s ms", sc.Name, sys.Name, r.Served, r.Callers, r.PeakWaiting, ms(Percentile(r.FreeRing, 99)))
			time.Sleep(3 * time.Second) // Asterisk settles between runs
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "callers\tsystem\tserved\twaiting at once\tfree->ring p50/p99 ms\tdrain s (ideal)\tasterisk CPU mean/peak\toriginate errors\tstasisq REST errors\theld")
	// An unfinished step's drain is the time to its last connect before the
	// rest were hung up.
	for _, r := range rows {
		ast := r.CPU["asterisk"]
		fmt.Fprintf(tw, "%d\t%s\t%d/%d\t%d\t%s / %s\t%.1f (%.1f)\t%.0f%% / %.0f%%\t%d\t%d\t%v\n",
			r.Callers, r.System, r.Served, r.Callers, r.PeakWaiting,
			ms(Percentile(r.FreeRing, 50)), ms(Percentile(r.FreeRing, 99)), r.Drain.Seconds(), r.Ideal.Seconds(),
			100*ast.Mean, 100*ast.Peak, r.OriginateErrors, r.restErrors, r.held)
	}
	if err := tw.Flush(); err != nil {
		b.Fatal(err)
	}
	if _, lines, err := restErrors(be.MetricsURL); err == nil && len(lines) > 0 {
		fmt.Println("stasisq's failed REST requests over the whole run (route, status: 0 is no reply):")
		for _, l := range lines {
			fmt.Println("  " + l)
		}
	}
	for _, sys := range be.Systems {
		fmt.Printf("capacity %s: held=%d waiting (free->ring p99 <= %v, all served, no error); served_in_full=%d waiting\n",
			sys.Name, held[sys.Name], capacityP99, served[sys.Name])
	}
}

// restErrors is the sum of stasisq_ari_request_errors_total over every
// status but 404 (a leg that hung up as it was asked for: normal, and
// handled), and those counters' lines, by route and status.
func restErrors(url string) (int, []string, error) {
	return sumCounters(url, "stasisq_ari_request_errors_total{", func(line string) bool { return strings.Contains(line, `status="404"`) })
}

// sumCounters is the sum of stasisq's /metrics samples whose line starts
// with prefix, skip aside, and those lines.
func sumCounters(url, prefix string, skip func(line string) bool) (int, []string, error) {
	total := 0
	var lines []string
	err := scanMetrics(url, func(line string) error {
		if !strings.HasPrefix(line, prefix) || (skip != nil && skip(line)) {
			return nil
		}
		v, err := sampleValue(line)
		if err != nil {
			return err
		}
		total += int(v)
		lines = append(lines, line)
		return nil
	})
	return total, lines, err
}
