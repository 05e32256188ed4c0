package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"stasisq/queue"
)

// agentStates are every state an agent can be in, so that a state nobody is
// in reads 0 rather than vanishing from a dashboard.
var agentStates = []queue.AgentState{
	queue.AgentLoggedOut, queue.AgentAvailable, queue.AgentPaused,
	queue.AgentRinging, queue.AgentOnCall, queue.AgentWrapUp,
}

// Metrics holds stasisq's collectors on a private registry. Every method is
// safe for concurrent use: the app loop, the ARI executor and the store
// writer each report from their own goroutine.
type Metrics struct {
	reg *prometheus.Registry

	waiting     *prometheus.GaugeVec
	longestWait *prometheus.GaugeVec
	inProgress  *prometheus.GaugeVec
	members     *prometheus.GaugeVec
	agents      *prometheus.GaugeVec

	joined  *prometheus.CounterVec
	refused *prometheus.CounterVec
	left    *prometheus.CounterVec
	wait    *prometheus.HistogramVec
	offers  *prometheus.CounterVec

	ariDuration *prometheus.HistogramVec
	ariErrors   *prometheus.CounterVec
	eventDelay  *prometheus.HistogramVec
	dispatch    prometheus.Histogram
	ariUp       prometheus.Gauge
	serverUp    *prometheus.GaugeVec
	wsClients   prometheus.Gauge

	batchEvents    prometheus.Histogram
	commitDuration prometheus.Histogram

	mu     sync.Mutex
	queues map[string]bool // queues in the last snapshot, to drop removed ones
}

// New returns Metrics registered on a fresh registry, with the Go runtime
// and process collectors alongside.
func New() *Metrics {
	m := &Metrics{
		reg:    prometheus.NewRegistry(),
		queues: map[string]bool{},
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stasisq_queue_callers_waiting", Help: "Callers waiting in the queue.",
		}, []string{"queue"}),
		longestWait: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stasisq_queue_longest_wait_seconds", Help: "Wait of the longest-waiting caller in the queue.",
		}, []string{"queue"}),
		inProgress: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stasisq_queue_calls_in_progress", Help: "Callers of the queue connected to an agent.",
		}, []string{"queue"}),
		members: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stasisq_queue_members", Help: "Members of the queue by agent state.",
		}, []string{"queue", "state"}),
		agents: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stasisq_agents", Help: "Agents by state.",
		}, []string{"state"}),
		joined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stasisq_callers_joined_total", Help: "Callers that joined the queue.",
		}, []string{"queue"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stasisq_callers_refused_total", Help: "Callers refused at join, by QUEUESTATUS.",
		}, []string{"queue", "status"}),
		left: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stasisq_callers_left_total", Help: "Callers that left the queue, by reason.",
		}, []string{"queue", "reason"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "stasisq_caller_wait_seconds", Help: "Time from joining to leaving the queue, by reason.",
			Buckets: []float64{1, 5, 10, 20, 30, 60, 120, 300, 600, 1800},
		}, []string{"queue", "reason"}),
		offers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stasisq_offers_total", Help: "Calls offered to agents, by result.",
		}, []string{"queue", "result"}),
		ariDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "stasisq_ari_request_duration_seconds", Help: "ARI REST request latency by route template.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"method", "route"}),
		eventDelay: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "stasisq_ari_event_delay_seconds",
			Help:    "Time from an ARI event's own timestamp (Asterisk's clock, to the millisecond) to its arrival at stasisq, by Asterisk server: Asterisk's delivery, meaningful when both clocks agree.",
			Buckets: latencyBuckets,
		}, []string{"server"}),
		dispatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "stasisq_ring_dispatch_seconds",
			Help:    "Time from the input that led to ringing an agent (an event, a command, a timer) being taken up to the originate request going out: stasisq's own part of a ring.",
			Buckets: latencyBuckets,
		}),
		ariErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stasisq_ari_request_errors_total", Help: "ARI REST requests that failed, by route template and HTTP status (0: no response).",
		}, []string{"method", "route", "status"}),
		ariUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stasisq_ari_connected", Help: "1 while the ARI events websocket is connected (with several Asterisk servers: any of them).",
		}),
		serverUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stasisq_ari_server_connected", Help: "1 while the ARI events websocket of this Asterisk server is connected (serve --asterisk).",
		}, []string{"server"}),
		wsClients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stasisq_websocket_clients", Help: "Browsers connected to the live websocket.",
		}),
		batchEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "stasisq_store_batch_events", Help: "Domain events written per store transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "stasisq_store_commit_duration_seconds", Help: "Time to commit one store transaction.",
			Buckets: prometheus.ExponentialBuckets(.0001, 2, 16),
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.waiting, m.longestWait, m.inProgress, m.members, m.agents,
		m.joined, m.refused, m.left, m.wait, m.offers,
		m.ariDuration, m.ariErrors, m.eventDelay, m.dispatch, m.ariUp, m.serverUp, m.wsClients,
		m.batchEvents, m.commitDuration,
	)
	for _, s := range agentStates {
		m.agents.WithLabelValues(string(s)).Set(0)
	}
	return m
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveSnapshot sets the live gauges from s; queues no longer in s lose
// their series, so a removed queue does not linger with its last figures.
func (m *Metrics) ObserveSnapshot(s queue.Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	present := make(map[string]bool, len(s.Queues))
	for _, q := range s.Queues {
		name := q.Config.Name
		present[name] = true
		m.waiting.WithLabelValues(name).Set(float64(q.RealTime.Waiting))
		m.longestWait.WithLabelValues(name).Set(q.RealTime.LongestWait.Seconds())
		m.inProgress.WithLabelValues(name).Set(float64(q.RealTime.InProgress))
		for _, st := range agentStates {
			m.members.WithLabelValues(name, string(st)).Set(float64(q.RealTime.Agents[st]))
		}
	}
	for name := range m.queues {
		if !present[name] {
			m.waiting.DeleteLabelValues(name)
			m.longestWait.DeleteLabelValues(name)
			m.inProgress.DeleteLabelValues(name)
			m.members.DeletePartialMatch(prometheus.Labels{"queue": name})
		}
	}
	m.queues = present

	counts := make(map[queue.AgentState]int, len(agentStates))
	for _, a := range s.Agents {
		counts[a.State]++
	}
	for _, st := range agentStates {
		m.agents.WithLabelValues(string(st)).Set(float64(counts[st]))
	}
}

// ObserveEvents counts joins, refusals, departures by reason and offers by
// result. Other events carry nothing these counters need.
func (m *Metrics) ObserveEvents(evs []queue.Event) {
	for _, ev := range evs {
		switch e := ev.(type) {
		case queue.CallerJoined:
			if !e.Resumed { // a caller resumed after a restart was counted when it first joined
				m.joined.WithLabelValues(e.Queue).Inc()
			}
		case queue.CallerRefused:
			m.refused.WithLabelValues(e.Queue, string(e.Status)).Inc()
		case queue.CallerLeft:
			m.left.WithLabelValues(e.Queue, string(e.Reason)).Inc()
			m.wait.WithLabelValues(e.Queue, string(e.Reason)).Observe(e.Wait.Seconds())
		case queue.OfferEnded:
			m.offers.WithLabelValues(e.Queue, e.Result).Inc()
		}
	}
}

// ObserveARIRequest records one ARI REST call. route must be the route
// template ("/channels/{channelId}/play"), not the path, or every channel ID
// becomes a series. A failure is an error or a status of 400 and above;
// status 0 means no response came back.
func (m *Metrics) ObserveARIRequest(method, route string, status int, d time.Duration, err error) {
	m.ariDuration.WithLabelValues(method, route).Observe(d.Seconds())
	if err != nil || status >= 400 {
		m.ariErrors.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	}
}

// latencyBuckets resolve the milliseconds a ring is judged by (free→ring
// p99 within 5 ms) and still catch a stall of seconds.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .002, .005, .01, .02, .05, .1, .25, 1, 5}

// ObserveARIEventDelay records how late an event from Asterisk server
// arrived by its own timestamp. A negative delay (a clock behind ours)
// counts as none.
func (m *Metrics) ObserveARIEventDelay(server string, d time.Duration) {
	m.eventDelay.WithLabelValues(server).Observe(max(d, 0).Seconds())
}

// ObserveRingDispatch records stasisq's time from the input behind a ring
// to its originate going out.
func (m *Metrics) ObserveRingDispatch(d time.Duration) { m.dispatch.Observe(d.Seconds()) }

// SetWebsocketClients records how many browsers are connected.
func (m *Metrics) SetWebsocketClients(n int) { m.wsClients.Set(float64(n)) }

// SetARIConnected records whether the ARI events websocket is up.
func (m *Metrics) SetARIConnected(up bool) {
	if up {
		m.ariUp.Set(1)
		return
	}
	m.ariUp.Set(0)
}

// SetServersConnected records each Asterisk server's connection.
func (m *Metrics) SetServersConnected(servers []queue.ServerStatus) {
	for _, s := range servers {
		v := 0.0
		if s.Connected {
			v = 1
		}
		m.serverUp.WithLabelValues(s.Name).Set(v)
	}
}

// ObserveStoreBatch records one store transaction: how many events it
// carried and how long its commit took.
func (m *Metrics) ObserveStoreBatch(events int, d time.Duration) {
	m.batchEvents.Observe(float64(events))
	m.commitDuration.Observe(d.Seconds())
}
