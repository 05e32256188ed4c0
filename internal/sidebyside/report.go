package sidebyside

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// WriteTable prints one row per result.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tsystem\tserved\tfree->ring p50/p99 ms\tjoin->ring p50/p99 ms\tovertaken\tcalls/s (ideal)\tdrain s (ideal)\tasterisk CPU mean/peak\tstasisq CPU mean/peak\tstasisq RSS MiB\toriginate errors")
	for _, r := range results {
		perSec := "-"
		if r.IdealPerSecond > 0 {
			perSec = fmt.Sprintf("%.2f (%.2f)", r.PerSecond, r.IdealPerSecond)
		}
		ast, sq := r.CPU["asterisk"], r.CPU["stasisq"]
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s / %s\t%s / %s\t%d\t%s\t%.1f (%.1f)\t%.0f%% / %.0f%%\t%.1f%% / %.0f%%\t%.0f\t%d\n",
			r.Scenario, r.System, r.Served, r.Callers,
			ms(Percentile(r.FreeRing, 50)), ms(Percentile(r.FreeRing, 99)),
			ms(Percentile(r.JoinRing, 50)), ms(Percentile(r.JoinRing, 99)),
			r.Overtaken, perSec, r.Drain.Seconds(), r.Ideal.Seconds(),
			100*ast.Mean, 100*ast.Peak, 100*sq.Mean, 100*sq.Peak, r.RSSMiB["stasisq"], r.OriginateErrors)
	}
	return tw.Flush()
}

// Summary is the last line for the saturation scenario: Asterisk's CPU
// for stasisq over its CPU for app_queue, stasisq's free->ring p99, and
// how many of stasisq's callers were overtaken.
func Summary(stasisq, appQueue Result) string {
	ratio := 0.0
	if a := appQueue.CPU["asterisk"].Mean; a > 0 {
		ratio = stasisq.CPU["asterisk"].Mean / a
	}
	return fmt.Sprintf("asterisk_cpu_ratio=%.2f free_ring_p99_ms=%s overtaken=%d", ratio, ms(Percentile(stasisq.FreeRing, 99)), stasisq.Overtaken)
}
