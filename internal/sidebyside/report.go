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
	fmt.Fprintln(tw, "scenario\tsystem\tserved\tfree->ring p50/p99 ms\tjoin->ring p50/p99 ms\tovertaken\tcalls/s (ideal)\tdrain s (ideal)\tasterisk CPU mean/peak\tasterisk CPU-s\tstasisq CPU mean/peak\tstasisq RSS MiB\toriginate errors")
	for _, r := range results {
		perSec := "-"
		if r.IdealPerSecond > 0 {
			perSec = fmt.Sprintf("%.2f (%.2f)", r.PerSecond, r.IdealPerSecond)
		}
		drain := "-"
		if r.Ideal > 0 {
			drain = fmt.Sprintf("%.1f (%.1f)", r.Drain.Seconds(), r.Ideal.Seconds())
		}
		ast, sq := r.CPU["asterisk"], r.CPU["stasisq"]
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s / %s\t%s / %s\t%d\t%s\t%s\t%.0f%% / %.0f%%\t%.1f\t%.1f%% / %.0f%%\t%.0f\t%d\n",
			r.Scenario, r.System, r.Served, r.Callers,
			ms(Percentile(r.FreeRing, 50)), ms(Percentile(r.FreeRing, 99)),
			ms(Percentile(r.JoinRing, 50)), ms(Percentile(r.JoinRing, 99)),
			r.Overtaken, perSec, drain,
			100*ast.Mean, 100*ast.Peak, ast.Seconds, 100*sq.Mean, 100*sq.Peak, r.RSSMiB["stasisq"], r.OriginateErrors)
	}
	return tw.Flush()
}

// WriteParts prints, for each of stasisq's runs, its rings in parts (see
// RingParts): where a free→ring's milliseconds went.
func WriteParts(w io.Writer, results []Result) {
	for _, r := range results {
		if p := r.Parts; p != nil {
			fmt.Fprintf(w, "%s through stasisq, from its /metrics: Asterisk's event delivery %s; stasisq, input to originate %s; originate request %s\n",
				r.Scenario, p.Delivery, p.Dispatch, p.Originate)
		}
	}
}

// Summary is the last line for the saturation scenario: Asterisk's mean
// CPU for stasisq over its mean CPU for app_queue, stasisq's free->ring
// p99, how many of stasisq's callers were overtaken and, last, the ratio of
// the CPU seconds Asterisk spent on the same callers. The two ratios differ
// because the runs last differently long: a system that serves the callers
// sooner ends its run sooner, so its mean is taken over fewer seconds.
func Summary(stasisq, appQueue Result) string {
	ratio := func(f func(CPU) float64) float64 {
		if a := f(appQueue.CPU["asterisk"]); a > 0 {
			return f(stasisq.CPU["asterisk"]) / a
		}
		return 0
	}
	return fmt.Sprintf("asterisk_cpu_ratio=%.2f free_ring_p99_ms=%s overtaken=%d asterisk_cpu_seconds_ratio=%.2f",
		ratio(func(c CPU) float64 { return c.Mean }), ms(Percentile(stasisq.FreeRing, 99)), stasisq.Overtaken,
		ratio(func(c CPU) float64 { return c.Seconds }))
}
