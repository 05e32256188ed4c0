package aritest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// localDialFacts renders events compactly, naming the channels by part:
// agent (the originated ;1), agent;2 (the half running Dial()), phone.
func localDialFacts(t *testing.T, evs []json.RawMessage, agentID string) []string {
	t.Helper()
	part := func(o any) string {
		m, _ := o.(map[string]any)
		switch m["id"] {
		case nil:
			return ""
		case agentID:
			return "agent"
		case agentID + ";2":
			return "agent;2"
		}
		return "phone"
	}
	var out []string
	for _, e := range evs {
		m := mustJSON(t, e)
		f := str(m["type"])
		if p := part(m["channel"]); p != "" {
			f += " " + p
		}
		if p := part(m["peer"]); p != "" {
			f += " " + p
		}
		if p := part(m["caller"]); p != "" {
			f += " from " + p
		}
		if v, ok := m["dialstatus"]; ok {
			f += " " + str(v)
		}
		if v, ok := m["cause"]; ok {
			f += fmt.Sprintf(" %v", v)
		}
		if ds, ok := m["device_state"].(map[string]any); ok {
			f += fmt.Sprintf(" %v %v", ds["name"], ds["state"])
		}
		out = append(out, f)
	}
	return out
}

// hasInOrder reports whether want is a subsequence of got.
func hasInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestLocalDialOutcomes(t *testing.T) {
	const local, phone = "Local/7001@agents-sip", "PJSIP/ld-phone"
	tests := []struct {
		name        string
		device      DeviceBehavior
		dialTimeout time.Duration
		hangupAfter string // event fact after which the app hangs the agent up
		hangupPhone bool   // …or the phone's channel instead
		want        []string
		notWant     string
		phoneAfter  string // the phone's device state at the end; NOT_INUSE if empty
	}{
		{
			name:   "phone answers and hangs up",
			device: DeviceBehavior{Action: Answer, After: 10 * time.Millisecond, TalkFor: 50 * time.Millisecond},
			want: []string{"ChannelCreated phone", "Dial phone from agent;2 RINGING", "Dial agent RINGING",
				"DeviceStateChanged PJSIP/ld-phone RINGING", "Dial phone from agent;2 ANSWER", "StasisStart agent",
				"ChannelHangupRequest phone", "ChannelDestroyed phone 16", "DeviceStateChanged PJSIP/ld-phone NOT_INUSE",
				"StasisEnd agent", "ChannelDestroyed agent 16"},
		},
		{
			name:   "phone busy",
			device: DeviceBehavior{Action: Busy},
			want: []string{"Dial phone from agent;2 BUSY", "ChannelDestroyed phone 17", "Dial agent BUSY",
				"ChannelDestroyed agent 17", "ChannelDestroyed agent;2 17"},
			notWant: "StasisStart",
		},
		{
			name:   "phone rejects after ringing",
			device: DeviceBehavior{Action: Reject, After: 20 * time.Millisecond},
			want: []string{"Dial phone from agent;2 RINGING", "Dial phone from agent;2 BUSY", "Dial agent BUSY",
				"ChannelDestroyed agent 17"},
			notWant: "StasisStart",
		},
		{
			name:        "Dial() times out",
			device:      DeviceBehavior{Action: NoAnswer},
			dialTimeout: time.Second,
			want: []string{"Dial phone from agent;2 RINGING", "Dial phone from agent;2 NOANSWER", "ChannelDestroyed phone 19",
				"DeviceStateChanged PJSIP/ld-phone NOT_INUSE", "Dial agent NOANSWER", "ChannelDestroyed agent 19"},
			notWant: "StasisStart",
		},
		{
			name:       "phone unavailable: no channel at all",
			device:     DeviceBehavior{Action: Unavailable},
			phoneAfter: "UNAVAILABLE",
			want:       []string{"Dial agent CHANUNAVAIL", "ChannelDestroyed agent 20"},
			notWant:    "ChannelCreated",
		},
		{
			name:        "app hangs up the answered phone",
			device:      DeviceBehavior{Action: Answer, After: 10 * time.Millisecond},
			hangupAfter: "StasisStart agent",
			hangupPhone: true,
			want: []string{"ChannelHangupRequest phone 32", "ChannelDestroyed phone 16", "ChannelHangupRequest agent 16",
				"StasisEnd agent", "ChannelDestroyed agent 16", "ChannelDestroyed agent;2 16"},
		},
		{
			name:        "app hangs up the ringing phone",
			device:      DeviceBehavior{Action: NoAnswer},
			hangupAfter: "Dial agent RINGING",
			hangupPhone: true,
			want: []string{"ChannelHangupRequest phone 32", "Dial phone from agent;2 NOANSWER", "ChannelDestroyed phone 16",
				"Dial agent NOANSWER", "ChannelDestroyed agent 16", "ChannelDestroyed agent;2 16"},
			notWant: "StasisStart",
		},
		{
			name:        "app hangs up the ringing agent",
			device:      DeviceBehavior{Action: NoAnswer},
			hangupAfter: "Dial agent RINGING",
			want: []string{"ChannelHangupRequest agent 32", "Dial agent NOANSWER", "ChannelDestroyed agent 16",
				"ChannelDestroyed agent;2 16", "Dial phone from agent;2 CANCEL", "ChannelDestroyed phone 16",
				"DeviceStateChanged PJSIP/ld-phone NOT_INUSE"},
			notWant: "StasisStart",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := MustServer(t, Options{})
			s.SetLocalDial(local, phone, tc.dialTimeout)
			s.SetDevice(phone, tc.device)
			es := MustConnect(t, s, "queueapp", "")
			rc := newRESTClient(t, s)
			for _, src := range []string{"deviceState:", "endpoint:" + phone} {
				if status, body := rc.do("POST", "/ari/applications/queueapp/subscription?eventSource="+src, nil); status != 200 {
					t.Fatalf("subscribe %s: got=%d %s, want 200", src, status, body)
				}
			}
			originateAgent(t, rc, local, "ld-agent", 15)
			if tc.hangupAfter != "" {
				waitUntil(t, 10*time.Second, tc.hangupAfter, func() bool {
					return hasInOrder(localDialFacts(t, es.snapshot(), "ld-agent"), []string{tc.hangupAfter})
				})
				target := "ld-agent"
				if tc.hangupPhone {
					_, created := es.waitFor(0, time.Second, isType("ChannelCreated"))
					target = str(created["channel"].(map[string]any)["id"])
				}
				if status, body := rc.do("DELETE", "/ari/channels/"+target, nil); status != 204 {
					t.Fatalf("hangup: got=%d %s, want 204", status, body)
				}
			}
			waitUntil(t, 10*time.Second, "every channel gone", func() bool { return len(s.ChannelIDs()) == 0 })
			got := localDialFacts(t, settle(es, nil), "ld-agent")
			if !hasInOrder(got, tc.want) {
				t.Errorf("events: got=\n  %s\nwant in this order\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			for _, g := range got {
				if tc.notWant != "" && strings.HasPrefix(g, tc.notWant) {
					t.Errorf("got %q, want no %s", g, tc.notWant)
				}
			}
			phoneAfter := tc.phoneAfter
			if phoneAfter == "" {
				phoneAfter = "NOT_INUSE"
			}
			for dev, want := range map[string]string{local: "NOT_INUSE", phone: phoneAfter} {
				if st := s.DeviceStateOf(dev); st != want {
					t.Errorf("device %s afterwards: got=%s, want %s", dev, st, want)
				}
			}
		})
	}
}

// Without an endpoint subscription the phone's own events stay unheard, but
// the ;2 half's Dial() is heard through the agent the app originated.
func TestLocalDialPhoneHeardOnlyWithEndpointSubscription(t *testing.T) {
	s := MustServer(t, Options{})
	s.SetLocalDial("Local/7002@agents-sip", "PJSIP/ld-quiet", 15*time.Second)
	s.SetDevice("PJSIP/ld-quiet", DeviceBehavior{Action: Answer, After: 5 * time.Millisecond})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	originateAgent(t, rc, "Local/7002@agents-sip", "ldq-agent", 15)
	es.waitFor(0, 10*time.Second, isTypeOn("StasisStart", "ldq-agent"))
	if st := s.DeviceStateOf("PJSIP/ld-quiet"); st != "INUSE" {
		t.Errorf("phone device while talking: got=%s, want INUSE", st)
	}
	if st := s.DeviceStateOf("Local/7002@agents-sip"); st != "INUSE" {
		t.Errorf("Local device while talking: got=%s, want INUSE", st)
	}
	if status, body := rc.do("DELETE", "/ari/channels/ldq-agent", nil); status != 204 {
		t.Fatalf("hangup: got=%d %s, want 204", status, body)
	}
	waitUntil(t, 10*time.Second, "every channel gone", func() bool { return len(s.ChannelIDs()) == 0 })
	got := localDialFacts(t, settle(es, nil), "ldq-agent")
	for _, g := range got {
		if strings.HasSuffix(g, " phone") || strings.Contains(g, "phone ") && !strings.HasPrefix(g, "Dial phone from") ||
			strings.HasPrefix(g, "DeviceStateChanged") || strings.HasPrefix(g, "EndpointStateChange") {
			t.Errorf("got %q without an endpoint or device subscription", g)
		}
	}
	if !hasInOrder(got, []string{"Dial phone from agent;2 ANSWER", "StasisStart agent", "ChannelDestroyed agent;2 16"}) {
		t.Errorf("events: got=%v, want the ;2 half's Dial ANSWER, the agent's StasisStart, the ;2 half destroyed", got)
	}
}

func TestInEitherOrder(t *testing.T) {
	ev := func(typ, status string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"type":%q,"dialstatus":%q}`, typ, status))
	}
	want := []recordedEvent{}
	for _, raw := range []json.RawMessage{ev("Dial", ""), ev("Dial", "RINGING"), ev("ChannelDialplan", ""), ev("Dial", "ANSWER")} {
		want = append(want, recordedEvent{raw: raw, m: mustJSON(t, raw)})
	}
	tests := []struct {
		name    string
		got     []json.RawMessage
		lo, hi  int
		reorder bool
	}{
		{"swapped inside the window", []json.RawMessage{ev("Dial", ""), ev("ChannelDialplan", ""), ev("Dial", "RINGING"), ev("Dial", "ANSWER")}, 1, 3, true},
		{"swapped across the window edge", []json.RawMessage{ev("Dial", ""), ev("Dial", "RINGING"), ev("Dial", "ANSWER"), ev("ChannelDialplan", "")}, 1, 3, false},
		{"different event inside the window", []json.RawMessage{ev("Dial", ""), ev("ChannelDialplan", ""), ev("Dial", "BUSY"), ev("Dial", "ANSWER")}, 1, 3, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := inEitherOrder(t, want, tc.got, tc.lo, tc.hi)
			same := true
			for i := range want {
				if keyFacts(mustJSON(t, out[i])) != keyFacts(want[i].m) {
					same = false
				}
			}
			if same != tc.reorder {
				t.Errorf("matches the recording after reordering: got=%v, want %v", same, tc.reorder)
			}
		})
	}
}
