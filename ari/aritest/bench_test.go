package aritest

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCallLifecycle measures one queue call through the fake over real
// HTTP and a websocket: a caller enters, is answered and held, an agent is
// originated and answers, both are bridged, then hung up.
func BenchmarkCallLifecycle(b *testing.B) {
	s := MustServer(b, Options{AnswerDelay: time.Millisecond, HistoryLimit: 1000})
	s.answerWait = time.Hour // keep the agents' dialplan from adding events mid-call
	es := MustConnect(b, s, "queueapp", "")
	rc := newRESTClient(b, s)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		call, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}, Number: "1", Name: "C"})
		if err != nil {
			b.Fatal(err)
		}
		id := call.ID()
		agent := "bench-agent-" + str(i) + "-x"
		mix := "bench-mix-" + str(i) + "-x"
		rc.do("POST", "/ari/channels/"+id+"/answer", nil)
		rc.do("POST", "/ari/channels/"+id+"/moh", nil)
		start := len(es.snapshot())
		rc.do("POST", "/ari/channels?endpoint=Local/1001@agents&app=queueapp&appArgs=agent&channelId="+agent, nil)
		es.waitFor(start, 10*time.Second, isTypeOn("StasisStart", agent))
		rc.do("DELETE", "/ari/channels/"+id+"/moh", nil)
		rc.do("POST", "/ari/bridges/"+mix+"?type=mixing", nil)
		rc.do("POST", "/ari/bridges/"+mix+"/addChannel?channel="+id+","+agent, nil)
		call.Hangup()
		rc.do("DELETE", "/ari/channels/"+agent, nil)
		rc.do("DELETE", "/ari/bridges/"+mix, nil)
	}
}
