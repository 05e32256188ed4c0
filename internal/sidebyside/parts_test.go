package sidebyside

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"stasisq/metrics"
)

// RingParts from a real /metrics (stasisq's metrics package behind HTTP):
// only what was counted between the two scrapes, by bucket bound, the
// originate alone among the REST requests, every server's delivery summed.
func TestRingPartsFromMetrics(t *testing.T) {
	m := metrics.New()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	// Before the run: slow figures that must not count.
	m.ObserveRingDispatch(time.Second)
	m.ObserveARIEventDelay("", time.Second)
	m.ObserveARIRequest("POST", "POST /channels/{channelId}/answer", 204, time.Millisecond, nil)
	m.ObserveARIRequest("DELETE", "DELETE /bridges/{bridgeId}", 204, time.Millisecond, nil)
	before, err := scrapeParts(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for range 98 {
		m.ObserveRingDispatch(80 * time.Microsecond)
		m.ObserveARIEventDelay("a", 800*time.Microsecond)
		m.ObserveARIRequest("POST", "POST /channels/{channelId}", 200, 3*time.Millisecond, nil)
	}
	m.ObserveRingDispatch(4 * time.Millisecond)
	m.ObserveRingDispatch(4 * time.Millisecond)
	m.ObserveARIEventDelay("b", 15*time.Millisecond)
	m.ObserveARIEventDelay("b", 15*time.Millisecond)
	m.ObserveARIRequest("POST", "POST /channels/{channelId}/answer", 204, 900*time.Millisecond, nil)
	after, err := scrapeParts(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	got := ringParts(before, after)
	want := RingParts{
		Delivery:  Quantiles{N: 100, P50: .001, P99: .02},
		Dispatch:  Quantiles{N: 100, P50: .0001, P99: .005},
		Originate: Quantiles{N: 98, P50: .005, P99: .005},
	}
	if got.Delivery != want.Delivery || got.Dispatch != want.Dispatch || got.Originate != want.Originate {
		t.Errorf("parts:\n got %+v\nwant %+v", got, want)
	}
	// The requests made between the scrapes, by route: the DELETE made
	// before is not one of them.
	if s := got.RequestsPerCall(49); s != "2.02: POST /channels/{channelId} 2.00, POST /channels/{channelId}/answer 0.02" {
		t.Errorf("requests per call printed %q", s)
	}
	if s := got.RequestsPerCall(0); s != "no caller served" {
		t.Errorf("requests per call of none served printed %q", s)
	}
	if s := fmt.Sprint(got.Delivery); s != "p50/p99 ≤ 1/20 ms (100)" {
		t.Errorf("delivery printed %q", s)
	}
	if s := fmt.Sprint(Quantiles{}); s != "none" {
		t.Errorf("nothing counted printed %q, want none", s)
	}
}

// A /metrics that fails is an error, not parts of nothing.
func TestRingPartsMetricsDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if _, err := scrapeParts(srv.URL); err == nil {
		t.Error("scrape of a 404: no error")
	}
}
