package aritest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// SetDeviceFunc draws a behaviour for every dial: answering, then busy, then
// answering again, each call doing what its own draw said.
func TestSetDeviceFuncCalledOncePerDial(t *testing.T) {
	s := MustServer(t, Options{AnswerDelay: 5 * time.Millisecond})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	const endpoint = "PJSIP/2001"
	script := []DeviceBehavior{{Action: Answer}, {Action: Busy}, {Action: Answer}}
	var mu sync.Mutex
	calls := 0
	s.SetDeviceFunc(endpoint, func() DeviceBehavior {
		mu.Lock()
		defer mu.Unlock()
		b := script[calls%len(script)]
		calls++
		return b
	})
	if got := s.DeviceStateOf(endpoint); got != "NOT_INUSE" {
		t.Errorf("state before any dial: got=%s, want NOT_INUSE", got)
	}
	if status, _ := rc.do("GET", "/ari/endpoints/PJSIP/2001", nil); status != 200 {
		t.Errorf("endpoint of a device with a function: got=%d, want 200", status)
	}
	want := []string{"StasisStart", "ChannelDestroyed cause=17", "StasisStart"}
	for i, w := range want {
		id := fmt.Sprintf("fn-agent-%d", i)
		originateAgent(t, rc, endpoint, id, 15)
		match := func(ev map[string]any) bool {
			ch, _ := ev["channel"].(map[string]any)
			return ch != nil && ch["id"] == id && (ev["type"] == "StasisStart" || ev["type"] == "ChannelDestroyed")
		}
		es.waitFor(0, 10*time.Second, match)
		got := strings.Join(factsOf(t, es.snapshot(), id), "\n")
		if !strings.Contains(got, w) {
			t.Errorf("dial %d: got events %q, want %q", i, got, w)
		}
		if w == "StasisStart" {
			rc.do("DELETE", "/ari/channels/"+id, nil)
			waitUntil(t, 5*time.Second, "the device to be idle", func() bool { return s.DeviceStateOf(endpoint) == "NOT_INUSE" })
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != len(want) {
		t.Errorf("function calls: got=%d, want %d (one per dial)", calls, len(want))
	}
}

// SetDevice after SetDeviceFunc puts the fixed script back.
func TestSetDeviceReplacesFunc(t *testing.T) {
	s := MustServer(t, Options{})
	MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	called := make(chan struct{}, 1)
	s.SetDeviceFunc("PJSIP/2002", func() DeviceBehavior {
		called <- struct{}{}
		return DeviceBehavior{Action: Answer}
	})
	s.SetDevice("PJSIP/2002", DeviceBehavior{Action: Unavailable})
	originateAgent(t, rc, "PJSIP/2002", "fixed-agent", 15)
	waitUntil(t, 5*time.Second, "the unavailable leg to go", func() bool { return len(s.ChannelIDs()) == 0 })
	select {
	case <-called:
		t.Error("got the replaced function called, want the fixed script")
	default:
	}
	if got := s.DeviceStateOf("PJSIP/2002"); got != "UNAVAILABLE" {
		t.Errorf("state: got=%s, want UNAVAILABLE", got)
	}
}

func TestCallBridged(t *testing.T) {
	tests := []struct {
		name    string
		bridges func(rc *restClient, caller, agent string)
		want    bool
	}{
		{name: "holding bridge", want: false, bridges: func(rc *restClient, caller, _ string) {
			rc.do("POST", "/ari/bridges/b-hold?type=holding", nil)
			rc.do("POST", "/ari/bridges/b-hold/addChannel?channel="+caller, nil)
		}},
		{name: "alone in a mixing bridge", want: false, bridges: func(rc *restClient, caller, _ string) {
			rc.do("POST", "/ari/bridges/b-mix?type=mixing", nil)
			rc.do("POST", "/ari/bridges/b-mix/addChannel?channel="+caller, nil)
		}},
		{name: "mixing bridge with the agent", want: true, bridges: func(rc *restClient, caller, agent string) {
			rc.do("POST", "/ari/bridges/b-mix?type=mixing", nil)
			rc.do("POST", "/ari/bridges/b-mix/addChannel?channel="+caller, nil)
			rc.do("POST", "/ari/bridges/b-mix/addChannel?channel="+agent, nil)
		}},
		{name: "moved from holding to mixing", want: true, bridges: func(rc *restClient, caller, agent string) {
			rc.do("POST", "/ari/bridges/b-hold?type=holding", nil)
			rc.do("POST", "/ari/bridges/b-mix?type=mixing", nil)
			rc.do("POST", "/ari/bridges/b-hold/addChannel?channel="+caller, nil)
			rc.do("POST", "/ari/bridges/b-mix/addChannel?channel="+caller+","+agent, nil)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := MustServer(t, Options{})
			MustConnect(t, s, "queueapp", "")
			rc := newRESTClient(t, s)
			caller, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}, Number: "100"})
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			agent, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"agent"}, Number: "200"})
			if err != nil {
				t.Fatalf("agent call: %v", err)
			}
			tc.bridges(rc, caller.ID(), agent.ID())
			// The REST replies came back, so bridging is done; Bridged is
			// closed synchronously with it.
			select {
			case <-caller.Bridged():
				if !tc.want {
					t.Error("Bridged: got closed, want open")
				}
			default:
				if tc.want {
					t.Error("Bridged: got open, want closed")
				}
			}
			caller.Hangup()
			<-caller.Done()
			// A second bridge must not close it twice (no panic), and it stays
			// as it was after the call ends.
			select {
			case <-caller.Bridged():
				if !tc.want {
					t.Error("Bridged after hangup: got closed, want open")
				}
			default:
				if tc.want {
					t.Error("Bridged after hangup: got open, want closed")
				}
			}
		})
	}
}

// Bridged closes once however many times the caller is bridged.
func TestCallBridgedTwice(t *testing.T) {
	s := MustServer(t, Options{})
	MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	caller, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}})
	a1, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"agent"}})
	a2, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"agent"}})
	rc.do("POST", "/ari/bridges/m1?type=mixing", nil)
	rc.do("POST", "/ari/bridges/m2?type=mixing", nil)
	rc.do("POST", "/ari/bridges/m1/addChannel?channel="+caller.ID()+","+a1.ID(), nil)
	rc.do("POST", "/ari/bridges/m2/addChannel?channel="+caller.ID()+","+a2.ID(), nil)
	select {
	case <-caller.Bridged():
	case <-time.After(5 * time.Second):
		t.Fatal("Bridged: still open after two mixing bridges")
	}
	caller.Hangup()
	if got := caller.Result().BridgedWith; len(got) != 2 {
		t.Errorf("BridgedWith: got=%v, want two peers", got)
	}
}
