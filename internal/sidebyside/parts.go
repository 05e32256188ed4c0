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
	// Requests is how many ARI REST requests stasisq made during the run,
	// by route template ("POST /channels/{channelId}/answer"): with the
	// callers served, what a call costs Asterisk in requests.
	Requests map[string]int
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

// partsScrape is what one read of stasisq's /metrics holds for RingParts.
type partsScrape struct {
	hist     map[string]buckets // by partSeries key
	requests map[string]float64 // REST requests so far, by route template
}

// requestCount is the prefix of the lines counting REST requests by route.
const requestCount = "stasisq_ari_request_duration_seconds_count{"

// scrapeParts reads the histograms and request counts RingParts needs from
// stasisq's /metrics.
func scrapeParts(url string) (partsScrape, error) {
	out := partsScrape{hist: map[string]buckets{}, requests: map[string]float64{}}
	err := scanMetrics(url, func(line string) error {
		if strings.HasPrefix(line, requestCount) {
			route, n, err := labelAndValue(line, "route")
			if err != nil {
				return err
			}
			out.requests[route] += n
			return nil
		}
		for key, s := range partSeries {
			if !strings.HasPrefix(line, s[0]+"_bucket{") || !strings.Contains(line, s[1]) {
				continue
			}
			le, v, err := bucketLine(line)
			if err != nil {
				return err
			}
			if out.hist[key] == nil {
				out.hist[key] = buckets{}
			}
			out.hist[key][le] += v
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
	bound, count, err := labelAndValue(line, "le")
	if err != nil {
		return 0, 0, err
	}
	le, err = strconv.ParseFloat(bound, 64) // ParseFloat reads "+Inf"
	return le, count, err
}

// labelAndValue is the value of label name and the sample value of one
// line of /metrics.
func labelAndValue(line, name string) (label string, value float64, err error) {
	i := strings.Index(line, name+`="`)
	if i < 0 {
		return "", 0, fmt.Errorf("no %s label", name)
	}
	rest := line[i+len(name)+2:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return "", 0, fmt.Errorf("%s label not closed", name)
	}
	value, err = sampleValue(line)
	return rest[:j], value, err
}

// sampleValue is the value of one sample line of /metrics (its last field).
func sampleValue(line string) (float64, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return 0, fmt.Errorf("no value")
	}
	return strconv.ParseFloat(f[len(f)-1], 64)
}

// ringParts is what the histograms and counters counted between before and
// after.
func ringParts(before, after partsScrape) RingParts {
	p := RingParts{
		Delivery:  quantiles(before.hist["delivery"], after.hist["delivery"]),
		Dispatch:  quantiles(before.hist["dispatch"], after.hist["dispatch"]),
		Originate: quantiles(before.hist["originate"], after.hist["originate"]),
		Requests:  map[string]int{},
	}
	for route, n := range after.requests {
		if d := int(n - before.requests[route]); d > 0 {
			p.Requests[route] = d
		}
	}
	return p
}

// RequestsPerCall is "8.00: DELETE /bridges/{bridgeId} 1.00, ...": the
// REST requests of the run per caller served, in all and by route, most
// first.
func (p RingParts) RequestsPerCall(served int) string {
	if served == 0 {
		return "no caller served"
	}
	routes := make([]string, 0, len(p.Requests))
	total := 0
	for r, n := range p.Requests {
		routes = append(routes, r)
		total += n
	}
	sort.Slice(routes, func(i, j int) bool {
		if a, b := p.Requests[routes[i]], p.Requests[routes[j]]; a != b {
			return a > b
		}
		return routes[i] < routes[j]
	})
	per := func(n int) string { return strconv.FormatFloat(float64(n)/float64(served), 'f', 2, 64) }
	parts := make([]string, len(routes))
	for i, r := range routes {
		parts[i] = r + " " + per(p.Requests[r])
	}
	return per(total) + ": " + strings.Join(parts, ", ")
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
