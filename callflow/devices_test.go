package callflow

import (
	"slices"
	"testing"

	"stasisq/ari"
	"stasisq/queue"
)

func TestDeviceIndexFollowsAgentChanges(t *testing.T) {
	x := newDeviceIndex([]queue.AgentView{
		{Config: queue.AgentConfig{ID: "alice", Device: "PJSIP/1001"}},
		{Config: queue.AgentConfig{ID: "bob", Device: "PJSIP/1001"}}, // a shared desk phone
		{Config: queue.AgentConfig{ID: "sam"}},                       // no phone
	}, func(c queue.AgentConfig) string { return c.Device })
	steps := []struct {
		name   string
		change func()
		device string
		want   []queue.AgentID
	}{
		{"built from the engine, any case", func() {}, "pjsip/1001", []queue.AgentID{"alice", "bob"}},
		{"an agent moves to another phone", func() { x.set("bob", "PJSIP/1002") }, "PJSIP/1001", []queue.AgentID{"alice"}},
		{"and is found there", func() {}, "PJSIP/1002", []queue.AgentID{"bob"}},
		{"configured again on the same phone", func() { x.set("bob", "pjsip/1002") }, "PJSIP/1002", []queue.AgentID{"bob"}},
		{"a removed agent is gone", func() { x.set("alice", "") }, "PJSIP/1001", nil},
		{"a phone nobody has", func() {}, "PJSIP/9999", nil},
	}
	for _, s := range steps {
		s.change()
		if got := x.agents(s.device); !slices.Equal(got, s.want) {
			t.Errorf("%s: agents(%s) got=%v, want %v", s.name, s.device, got, s.want)
		}
	}
	if len(x.byDevice) != 1 || len(x.ofAgent) != 1 {
		t.Errorf("index after the changes: %v / %v, want only bob's phone", x.byDevice, x.ofAgent)
	}
}

// The subscription to every device state is seen in device_names, as
// Asterisk names it, qualified by the server with several, and not in a
// device's name.
func TestSubscribedToAllDevices(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  bool
	}{
		{nil, false},
		{[]string{"PJSIP/1001"}, false},
		{[]string{ari.AllDeviceStates}, true},
		{[]string{"PJSIP/1001", "b~" + ari.AllDeviceStates}, true},
		{[]string{ari.AllDeviceStates + "x"}, false},
	} {
		if got := subscribedToAllDevices(&ari.Application{DeviceNames: tc.names}); got != tc.want {
			t.Errorf("device_names %q: %v, want %v", tc.names, got, tc.want)
		}
	}
}
