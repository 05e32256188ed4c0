package ui

import (
	"bytes"
	"context"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"stasisq/queue"
)

// BenchmarkHubFanout1000 publishes one event at a time to 1,000 websocket
// clients on loopback and reports the delivery latency (publish to the
// client's read returning) over every client and event, and the memory
// each connected client costs (both ends of the connection: this process
// is server and clients).
//
//	go test -run '^$' -bench HubFanout -benchtime 200x ./ui/
func BenchmarkHubFanout1000(b *testing.B) {
	const clients = 1000
	env := MustTestEnv(b)
	sue := env.MustLogin(b, "sue")
	req, _ := http.NewRequest("GET", env.ts.URL, nil)
	header := http.Header{}
	for _, ck := range sue.http.Jar.Cookies(req.URL) {
		header.Add("Cookie", ck.String())
	}
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		published time.Time
		received  sync.WaitGroup
		ready     sync.WaitGroup
	)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conns := make([]*websocket.Conn, 0, clients)
	ready.Add(clients)
	for range clients {
		dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
		conn, _, err := websocket.Dial(dctx, env.ts.URL+"/api/ws", &websocket.DialOptions{HTTPHeader: header, HTTPClient: httpClient})
		dcancel()
		if err != nil {
			b.Fatalf("dial: %v", err)
		}
		conns = append(conns, conn)
		go func() {
			first := true
			for {
				_, data, err := conn.Read(ctx)
				if err != nil {
					return
				}
				if first {
					first = false
					ready.Done()
					continue
				}
				if bytes.Contains(data[:min(len(data), 40)], []byte(`"type":"event"`)) {
					d := time.Since(published)
					mu.Lock()
					latencies = append(latencies, d)
					mu.Unlock()
					received.Done()
				}
			}
		}()
	}
	ready.Wait()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	perClient := float64((after.HeapInuse+after.StackInuse)-(before.HeapInuse+before.StackInuse)) / clients

	b.ResetTimer()
	for i := range b.N {
		received.Add(clients)
		mu.Lock()
		published = time.Now()
		mu.Unlock()
		env.srv.Publish([]queue.Event{queue.AgentStateChanged{At: time.Now(), Agent: "bob", State: queue.AgentPaused, Reason: "Break", Caller: queue.CallerID(itoa(i))}})
		received.Wait()
	}
	b.StopTimer()

	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(float64(len(latencies)-1)*p)]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(perClient, "B/client")
	b.ReportMetric(0, "ns/op") // the loop waits on delivery; its time is the latency above
	cancel()
	for _, c := range conns {
		c.CloseNow()
	}
}
