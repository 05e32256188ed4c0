package sidebyside

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// WriteTable prints one row per result.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tsystem\tserved\tfree->ring p50/p99 ms\tjoin->ring p50/p99 ms\tovertaken\tcalls/s (ideal)\tdrain s (ideal)\ton hold caller-s\tasterisk CPU mean/peak\tasterisk CPU-s\tstasisq CPU mean/peak\tstasisq RSS MiB\toriginate errors")
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
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s / %s\t%s / %s\t%d\t%s\t%s\t%.0f\t%.0f%% / %.0f%%\t%.1f\t%.1f%% / %.0f%%\t%.0f\t%d\n",
			r.Label(), r.System, r.Served, r.Callers,
			ms(Percentile(r.FreeRing, 50)), ms(Percentile(r.FreeRing, 99)),
			ms(Percentile(r.JoinRing, 50)), ms(Percentile(r.JoinRing, 99)),
			r.Overtaken, perSec, drain, r.Hold.Seconds(),
			100*ast.Mean, 100*ast.Peak, ast.Seconds, 100*sq.Mean, 100*sq.Peak, r.RSSMiB["stasisq"], r.OriginateErrors)
	}
	return tw.Flush()
}

// WriteParts prints, for each of stasisq's runs, its rings in parts (see
// RingParts): where a free→ring's milliseconds went.
func WriteParts(w io.Writer, results []Result) {
	for _, r := range results {
		if p := r.Parts; p != nil {
			fmt.Fprintf(w, "%s through stasisq, from its /metrics: Asterisk's event delivery %s; stasisq, input to originate %s; originate request %s; REST requests per caller served %s\n",
				r.Label(), p.Delivery, p.Dispatch, p.Originate, p.RequestsPerCall(r.Served))
		}
	}
}

// Summary is the last line for the saturation scenario: Asterisk's mean
// CPU for stasisq over its mean CPU for app_queue, stasisq's free->ring
// p99, how many of stasisq's callers were overtaken, the ratio of the CPU
// seconds Asterisk spent on the same callers and, last, the ratio of the
// callers' time on hold (what most of those CPU seconds follow: each
// waiting caller's music). The two CPU ratios differ because the runs last
// differently long: a system that serves the callers sooner ends its run
// sooner, so its mean is taken over fewer seconds.
func Summary(stasisq, appQueue Result) string {
	return summaryFigures(stasisq, appQueue).line()
}

// line is the summary line of these figures.
func (f summary) line() string {
	return fmt.Sprintf("asterisk_cpu_ratio=%.2f free_ring_p99_ms=%s overtaken=%d asterisk_cpu_seconds_ratio=%.2f hold_ratio=%.2f",
		f.meanRatio, ms(f.p99), f.overtaken, f.secondsRatio, f.holdRatio)
}

// summary is what the summary line says of one pair of runs.
type summary struct {
	meanRatio, secondsRatio float64
	holdRatio               float64 // stasisq's callers' time on hold over app_queue's
	p99                     time.Duration
	overtaken               int
}

func summaryFigures(stasisq, appQueue Result) summary {
	ratio := func(f func(CPU) float64) float64 {
		if a := f(appQueue.CPU["asterisk"]); a > 0 {
			return f(stasisq.CPU["asterisk"]) / a
		}
		return 0
	}
	f := summary{
		meanRatio:    ratio(func(c CPU) float64 { return c.Mean }),
		secondsRatio: ratio(func(c CPU) float64 { return c.Seconds }),
		p99:          Percentile(stasisq.FreeRing, 99),
		overtaken:    stasisq.Overtaken,
	}
	if appQueue.Hold > 0 {
		f.holdRatio = float64(stasisq.Hold) / float64(appQueue.Hold)
	}
	return f
}

// SummaryOfRounds is the summary line of the saturation rounds, each an
// app_queue run and the stasisq run after it: one round's line as
// Summary's; of several, the median of each ratio and of the p99, the most
// callers overtaken in any round, and rounds=N last.
func SummaryOfRounds(rounds [][2]Result) string {
	if len(rounds) == 1 {
		return Summary(rounds[0][1], rounds[0][0])
	}
	var mean, secs, hold []float64
	var p99 []time.Duration
	overtaken := 0
	for _, r := range rounds {
		f := summaryFigures(r[1], r[0])
		mean, secs, p99 = append(mean, f.meanRatio), append(secs, f.secondsRatio), append(p99, f.p99)
		hold = append(hold, f.holdRatio)
		overtaken = max(overtaken, f.overtaken)
	}
	f := summary{meanRatio: median(mean), secondsRatio: median(secs), holdRatio: median(hold), p99: median(p99), overtaken: overtaken}
	return fmt.Sprintf("%s rounds=%d", f.line(), len(rounds))
}

// median of xs (the lower of the middle two when even).
func median[T float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
