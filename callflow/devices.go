package callflow

import (
	"slices"
	"strings"

	"stasisq/queue"
)

// deviceIndex says which agents a device state concerns. It is built once
// from the engine when the loop is made and then kept up to date from the
// AgentConfigured and AgentRemoved events the loop applies: a device state
// arrives for every phone of the system, the hottest input there is, and
// must not cost a walk over the floor.
type deviceIndex struct {
	byDevice map[string][]queue.AgentID // lower-cased device
	ofAgent  map[queue.AgentID]string   // lower-cased device
}

func newDeviceIndex(agents []queue.AgentView) deviceIndex {
	x := deviceIndex{byDevice: map[string][]queue.AgentID{}, ofAgent: map[queue.AgentID]string{}}
	for _, ag := range agents {
		x.set(queue.AgentID(ag.Config.ID), ag.Config.Device)
	}
	return x
}

// set records agent's device; "" removes the agent.
func (x deviceIndex) set(agent queue.AgentID, device string) {
	key := strings.ToLower(device)
	old, had := x.ofAgent[agent]
	if had && old == key {
		return
	}
	if had {
		x.byDevice[old] = slices.DeleteFunc(x.byDevice[old], func(a queue.AgentID) bool { return a == agent })
		if len(x.byDevice[old]) == 0 {
			delete(x.byDevice, old)
		}
		delete(x.ofAgent, agent)
	}
	if key == "" {
		return
	}
	x.ofAgent[agent] = key
	x.byDevice[key] = append(x.byDevice[key], agent)
}

// agents on device, any case (Asterisk reports PJSIP/1001 as it likes).
func (x deviceIndex) agents(device string) []queue.AgentID {
	return x.byDevice[strings.ToLower(device)]
}
