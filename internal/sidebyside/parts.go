package sidebyside

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// RingParts splits stasisq's rings of one run into the three stretches a
// free→ring is made of, from the histograms of its /metrics (what they
// counted during the run): Asterisk delivering its events (each event's
// arrival after its own timestamp), stasisq from taking up the input behind
// a ring to sending its originate, and the originate request itself (up to
// Asterisk's reply; the channel exists before the reply). Quantiles are
// bucket bounds: "p99 ≤ 10 ms".
type RingParts struct {
	Delivery, Dispatch, Originate Quantiles
}

// Quantiles are the p50 and p99 bucket bounds (seconds; +Inf past the last
// bucket) of N observations.
type Quantiles struct {
	N        int
	P50, P99 float64
}

// The series RingParts reads: name and a label its lines must carry.
var partSeries = map[string][2]string{
	"delivery":  {"stasisq_ari_event_delay_seconds", ""},
	"dispatch":  {"stasisq_ring_dispatch_seconds", ""},
	"originate": {"stasisq_ari_request_duration_seconds", `route="POST /channels/{channelId}"`},
}

// buckets is one histogram's cumulative counts by upper bound, summed over
// the series that matched (every server's, for the delivery).
type buckets map[float64]float64

// scrapeParts reads the histograms RingParts needs from stasisq's /metrics.
func scrapeParts(url string) (map[string]buckets, error) {
	out := map[string]buckets{}
	err := scanMetrics(url, func(line string) error {
		for key, s := range partSeries {
			if !strings.HasPrefix(line, s[0]+"_bucket{") || !strings.Contains(line, s[1]) {
				continue
			}
			le, v, err := bucketLine(line)
			if err != nil {
				return err
			}
			if out[key] == nil {
				out[key] = buckets{}
			}
			out[key][le] += v
		}
		return nil
	})
	return out, err
}

// scanMetrics hands each line of stasisq's /metrics at url to each, and
// stops at the first error, naming the line.
func scanMetrics(url string, each func(line string) error) error {
	resp, err := http.Get(url)
	if err != nil {
		return fmt.Errorf("stasisq metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("stasisq metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if err := each(sc.Text()); err != nil {
			return fmt.Errorf("stasisq metrics: %q: %w", sc.Text(), err)
		}
	}
	return sc.Err()
}

// bucketLine is the le bound and the count of a _bucket sample line.
func bucketLine(line string) (le, count float64, err error) {
	i := strings.Index(line, `le="`)
	if i < 0 {
		return 0, 0, fmt.Errorf("no le label")
	}
	rest := line[i+len(`le="`):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return 0, 0, fmt.Errorf("le label not closed")
	}
	if le, err = strconv.ParseFloat(rest[:j], 64); err != nil { // ParseFloat reads "+Inf"
		return 0, 0, err
	}
	f := strings.Fields(line)
	count, err = strconv.ParseFloat(f[len(f)-1], 64)
	return le, count, err
}

// ringParts is what the histograms counted between before and after.
func ringParts(before, after map[string]buckets) RingParts {
	return RingParts{
		Delivery:  quantiles(before["delivery"], after["delivery"]),
		Dispatch:  quantiles(before["dispatch"], after["dispatch"]),
		Originate: quantiles(before["originate"], after["originate"]),
	}
}

func quantiles(before, after buckets) Quantiles {
	bounds := make([]float64, 0, len(after))
	for le := range after {
		bounds = append(bounds, le)
	}
	sort.Float64s(bounds)
	if len(bounds) == 0 {
		return Quantiles{}
	}
	total := after[math.Inf(1)] - before[math.Inf(1)]
	q := Quantiles{N: int(total)}
	at := func(p float64) float64 {
		for _, le := range bounds {
			if after[le]-before[le] >= p*total {
				return le
			}
		}
		return math.Inf(1)
	}
	if total > 0 {
		q.P50, q.P99 = at(0.5), at(0.99)
	}
	return q
}

// String is "p50/p99 ≤ 1/10 ms (n)".
func (q Quantiles) String() string {
	if q.N == 0 {
		return "none"
	}
	f := func(s float64) string {
		if math.IsInf(s, 1) {
			return ">5000"
		}
		return strconv.FormatFloat(s*1000, 'g', 3, 64)
	}
	return fmt.Sprintf("p50/p99 ≤ %s/%s ms (%d)", f(q.P50), f(q.P99), q.N)
}
