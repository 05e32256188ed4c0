package metrics

import (
	"bufio"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

// MustScrape fetches the handler's text exposition and returns every sample
// by its series as printed, e.g. `stasisq_agents{state="paused"}`.
func MustScrape(tb testing.TB, m *Metrics) map[string]float64 {
	tb.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		tb.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("scrape status got=%d, want 200", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			tb.Fatalf("scrape line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("scrape read: %v", err)
	}
	return out
}

func wantSample(t *testing.T, got map[string]float64, series string, want float64) {
	t.Helper()
	v, ok := got[series]
	if !ok {
		t.Errorf("%s missing from scrape", series)
		return
	}
	if v != want {
		t.Errorf("%s got=%v, want %v", series, v, want)
	}
}

func wantAbsent(t *testing.T, got map[string]float64, series string) {
	t.Helper()
	if v, ok := got[series]; ok {
		t.Errorf("%s got=%v, want absent", series, v)
	}
}

func snapshot(queues map[string]queue.RealTime, agents ...queue.AgentState) queue.Snapshot {
	var s queue.Snapshot
	for name, rt := range queues {
		s.Queues = append(s.Queues, queue.QueueView{Config: queue.DefaultQueueConfig(name), RealTime: rt})
	}
	for i, st := range agents {
		s.Agents = append(s.Agents, queue.AgentView{Config: queue.AgentConfig{ID: "a" + strconv.Itoa(i)}, State: st})
	}
	return s
}

func TestSnapshotGauges(t *testing.T) {
	m := New()
	m.ObserveSnapshot(snapshot(map[string]queue.RealTime{
		"support": {Waiting: 3, LongestWait: 42500 * time.Millisecond, InProgress: 2,
			Agents: map[queue.AgentState]int{queue.AgentAvailable: 1, queue.AgentOnCall: 2}},
		"sales": {Waiting: 0},
	}, queue.AgentAvailable, queue.AgentOnCall, queue.AgentOnCall, queue.AgentPaused))

	got := MustScrape(t, m)
	wantSample(t, got, `stasisq_queue_callers_waiting{queue="support"}`, 3)
	wantSample(t, got, `stasisq_queue_callers_waiting{queue="sales"}`, 0)
	wantSample(t, got, `stasisq_queue_longest_wait_seconds{queue="support"}`, 42.5)
	wantSample(t, got, `stasisq_queue_calls_in_progress{queue="support"}`, 2)
	wantSample(t, got, `stasisq_queue_members{queue="support",state="on-call"}`, 2)
	wantSample(t, got, `stasisq_queue_members{queue="support",state="available"}`, 1)
	wantSample(t, got, `stasisq_queue_members{queue="support",state="paused"}`, 0)
	wantSample(t, got, `stasisq_agents{state="on-call"}`, 2)
	wantSample(t, got, `stasisq_agents{state="available"}`, 1)
	wantSample(t, got, `stasisq_agents{state="paused"}`, 1)
	wantSample(t, got, `stasisq_agents{state="wrap-up"}`, 0)

	// The next snapshot moves the figures, and a removed queue disappears.
	m.ObserveSnapshot(snapshot(map[string]queue.RealTime{
		"support": {Waiting: 1, LongestWait: 5 * time.Second},
	}, queue.AgentWrapUp))
	got = MustScrape(t, m)
	wantSample(t, got, `stasisq_queue_callers_waiting{queue="support"}`, 1)
	wantSample(t, got, `stasisq_queue_longest_wait_seconds{queue="support"}`, 5)
	wantSample(t, got, `stasisq_queue_members{queue="support",state="on-call"}`, 0)
	wantAbsent(t, got, `stasisq_queue_callers_waiting{queue="sales"}`)
	wantAbsent(t, got, `stasisq_queue_members{queue="sales",state="available"}`)
	wantSample(t, got, `stasisq_agents{state="on-call"}`, 0)
	wantSample(t, got, `stasisq_agents{state="wrap-up"}`, 1)
}

func TestEventCounters(t *testing.T) {
	m := New()
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	m.ObserveEvents([]queue.Event{
		queue.CallerJoined{At: at, Caller: "c1", Queue: "support"},
		queue.CallerJoined{At: at, Caller: "c2", Queue: "support"},
		queue.CallerJoined{At: at, Caller: "c0", Queue: "support", Resumed: true},
		queue.CallerRefused{At: at, Caller: "c3", Queue: "support", Status: queue.QueueStatus("FULL")},
		queue.OfferStarted{At: at, Offer: "o1", Caller: "c1", Agent: "alice", Queue: "support"},
		queue.OfferEnded{At: at, Offer: "o1", Caller: "c1", Agent: "alice", Queue: "support", Result: "noanswer"},
		queue.OfferEnded{At: at, Offer: "o2", Caller: "c1", Agent: "bob", Queue: "support", Result: "answered"},
		queue.CallerLeft{At: at, Caller: "c1", Queue: "support", Reason: queue.LeftAnswered, Wait: 12 * time.Second},
		queue.CallerLeft{At: at, Caller: "c2", Queue: "support", Reason: queue.LeftAbandoned, Wait: 3 * time.Second},
	})
	got := MustScrape(t, m)
	wantSample(t, got, `stasisq_callers_joined_total{queue="support"}`, 2)
	wantSample(t, got, `stasisq_callers_refused_total{queue="support",status="FULL"}`, 1)
	wantSample(t, got, `stasisq_offers_total{queue="support",result="noanswer"}`, 1)
	wantSample(t, got, `stasisq_offers_total{queue="support",result="answered"}`, 1)
	wantSample(t, got, `stasisq_callers_left_total{queue="support",reason="answered"}`, 1)
	wantSample(t, got, `stasisq_callers_left_total{queue="support",reason="abandoned"}`, 1)
	wantSample(t, got, `stasisq_caller_wait_seconds_sum{queue="support",reason="answered"}`, 12)
	wantSample(t, got, `stasisq_caller_wait_seconds_bucket{queue="support",reason="abandoned",le="5"}`, 1)
	wantSample(t, got, `stasisq_caller_wait_seconds_bucket{queue="support",reason="abandoned",le="1"}`, 0)

	m.ObserveEvents([]queue.Event{
		queue.CallerLeft{At: at, Caller: "c4", Queue: "support", Reason: queue.LeftAbandoned, Wait: time.Second},
	})
	got = MustScrape(t, m)
	wantSample(t, got, `stasisq_callers_left_total{queue="support",reason="abandoned"}`, 2)
}

func TestARIAndStoreAndConnections(t *testing.T) {
	m := New()
	const route = "/channels/{channelId}/play"
	m.ObserveARIRequest("POST", route, 201, 300*time.Microsecond, nil)
	m.ObserveARIRequest("POST", route, 404, 200*time.Microsecond, errors.New("channel not found"))
	m.ObserveARIRequest("POST", route, 0, 2*time.Second, errors.New("connection refused"))
	m.ObserveARIRequest("DELETE", "/channels/{channelId}", 500, time.Millisecond, nil)
	m.SetWebsocketClients(7)
	m.SetARIConnected(true)
	m.ObserveStoreBatch(5, 2*time.Millisecond)
	m.ObserveStoreBatch(1, time.Millisecond)
	m.ObserveARIEventDelay("b", 3*time.Millisecond)
	m.ObserveARIEventDelay("b", -time.Millisecond) // b's clock behind ours
	m.ObserveARIEventDelay("", 20*time.Millisecond)
	m.ObserveRingDispatch(300 * time.Microsecond)
	m.ObserveRingDispatch(7 * time.Millisecond)

	got := MustScrape(t, m)
	wantSample(t, got, `stasisq_ari_request_duration_seconds_count{method="POST",route="/channels/{channelId}/play"}`, 3)
	wantSample(t, got, `stasisq_ari_request_duration_seconds_bucket{method="POST",route="/channels/{channelId}/play",le="0.00025"}`, 1)
	wantSample(t, got, `stasisq_ari_request_errors_total{method="POST",route="/channels/{channelId}/play",status="404"}`, 1)
	wantSample(t, got, `stasisq_ari_request_errors_total{method="POST",route="/channels/{channelId}/play",status="0"}`, 1)
	wantSample(t, got, `stasisq_ari_request_errors_total{method="DELETE",route="/channels/{channelId}",status="500"}`, 1)
	wantAbsent(t, got, `stasisq_ari_request_errors_total{method="POST",route="/channels/{channelId}/play",status="201"}`)
	wantSample(t, got, `stasisq_websocket_clients`, 7)
	wantSample(t, got, `stasisq_ari_connected`, 1)
	wantSample(t, got, `stasisq_store_batch_events_count`, 2)
	wantSample(t, got, `stasisq_store_batch_events_sum`, 6)
	wantSample(t, got, `stasisq_store_commit_duration_seconds_sum`, 0.003)
	wantSample(t, got, `stasisq_ari_event_delay_seconds_count{server="b"}`, 2)
	wantSample(t, got, `stasisq_ari_event_delay_seconds_bucket{server="b",le="0.0001"}`, 1)
	wantSample(t, got, `stasisq_ari_event_delay_seconds_bucket{server="b",le="0.005"}`, 2)
	wantSample(t, got, `stasisq_ari_event_delay_seconds_sum{server=""}`, 0.02)
	wantSample(t, got, `stasisq_ring_dispatch_seconds_bucket{le="0.0005"}`, 1)
	wantSample(t, got, `stasisq_ring_dispatch_seconds_bucket{le="0.005"}`, 1)
	wantSample(t, got, `stasisq_ring_dispatch_seconds_count`, 2)

	m.SetARIConnected(false)
	m.SetWebsocketClients(0)
	got = MustScrape(t, m)
	wantSample(t, got, `stasisq_ari_connected`, 0)
	wantSample(t, got, `stasisq_websocket_clients`, 0)
}

// Two instances must not share series: each has its own registry.
func TestPrivateRegistries(t *testing.T) {
	a, b := New(), New()
	a.SetWebsocketClients(3)
	wantSample(t, MustScrape(t, b), `stasisq_websocket_clients`, 0)
	wantSample(t, MustScrape(t, a), `stasisq_websocket_clients`, 3)
}

func TestConcurrentObservers(t *testing.T) {
	m := New()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			m.ObserveSnapshot(snapshot(map[string]queue.RealTime{"q": {Waiting: i}}))
		}
	}()
	for i := 0; i < 200; i++ {
		m.ObserveARIRequest("GET", "/asterisk/info", 200, time.Millisecond, nil)
		m.ObserveStoreBatch(1, time.Millisecond)
	}
	<-done
	got := MustScrape(t, m)
	wantSample(t, got, `stasisq_queue_callers_waiting{queue="q"}`, 199)
	wantSample(t, got, `stasisq_ari_request_duration_seconds_count{method="GET",route="/asterisk/info"}`, 200)
}
