package callflow

import (
	"context"
	"errors"
	"slices"
	"strings"

	"stasisq/ari"
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
	name     map[string]string          // lower-cased device -> as configured
}

func newDeviceIndex(agents []queue.AgentView, key func(queue.AgentConfig) string) deviceIndex {
	x := deviceIndex{byDevice: map[string][]queue.AgentID{}, ofAgent: map[queue.AgentID]string{}, name: map[string]string{}}
	for _, ag := range agents {
		x.set(queue.AgentID(ag.Config.ID), key(ag.Config))
	}
	return x
}

// set records agent's device; "" removes the agent. It reports whether the
// agent is now on a device it was not on before.
func (x deviceIndex) set(agent queue.AgentID, device string) bool {
	key := strings.ToLower(device)
	old, had := x.ofAgent[agent]
	if had && old == key {
		return false
	}
	if had {
		x.byDevice[old] = slices.DeleteFunc(x.byDevice[old], func(a queue.AgentID) bool { return a == agent })
		if len(x.byDevice[old]) == 0 {
			delete(x.byDevice, old)
			delete(x.name, old)
		}
		delete(x.ofAgent, agent)
	}
	if key == "" {
		return false
	}
	x.ofAgent[agent] = key
	x.byDevice[key] = append(x.byDevice[key], agent)
	if _, ok := x.name[key]; !ok {
		x.name[key] = device
	}
	return true
}

// devices lists the agents' devices, as configured.
func (x deviceIndex) devices() []string {
	out := make([]string, 0, len(x.name))
	for _, n := range x.name {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// deviceSources are the event sources of devices' states. stasisq hears
// only its agents' devices: subscribed to every device state ("deviceState:"),
// Asterisk sends it one for each Local channel and phone of the system.
func deviceSources(devices []string) []string {
	out := make([]string, len(devices))
	for i, d := range devices {
		out[i] = "deviceState:" + d
	}
	return out
}

// subscribeDevices subscribes to devices' states, in batches (the list is
// one query parameter); a device Asterisk will not subscribe to is logged.
func (a *App) subscribeDevices(ctx context.Context, devices []string) {
	for len(devices) > 0 {
		n := min(len(devices), 50)
		if err := a.ari.Subscribe(ctx, a.cfg.App, deviceSources(devices[:n])...); err != nil {
			a.log.Warn("subscribe to device states", "devices", devices[:n], "err", err)
		}
		devices = devices[n:]
	}
}

// subscribedToAllDevices reports whether app is subscribed to every device
// state (its device_names, qualified by the server with several).
func subscribedToAllDevices(app *ari.Application) bool {
	return slices.ContainsFunc(app.DeviceNames, func(n string) bool { return strings.HasSuffix(n, ari.AllDeviceStates) })
}

// unsubscribeDevices undoes subscribeDevices, and the subscription to all
// device states an older stasisq made (Asterisk keeps an application's
// subscriptions across websockets).
func (a *App) unsubscribeDevices(ctx context.Context, devices []string) {
	srcs := append(deviceSources(devices), "deviceState:")
	for _, src := range srcs {
		if err := a.ari.Unsubscribe(ctx, a.cfg.App, src); err != nil && !errors.Is(err, ari.ErrNotFound) {
			a.log.Debug("unsubscribe device state", "source", src, "err", err)
		}
	}
}

// agents on device, any case (Asterisk reports PJSIP/1001 as it likes).
func (x deviceIndex) agents(device string) []queue.AgentID {
	return x.byDevice[strings.ToLower(device)]
}

// fetchDeviceState asks Asterisk whether device's endpoint is online: an
// agent put on a phone after the last reconcile would otherwise be rung on
// a phone Asterisk already knows to be unregistered (app_queue skips those)
// until the phone's next state change. ARI lists only the device states it
// controls itself, so the endpoint is what tells; a Local channel or a
// technology without endpoints has nothing to say.
func (a *App) fetchDeviceState(device string) {
	tech, resource, ok := strings.Cut(localOf(device), "/")
	if !ok || strings.EqualFold(tech, "Local") {
		return
	}
	server := a.ari.of(device)
	a.exec.Submit("device:"+device, func(ctx context.Context) {
		ep, err := server.GetEndpoint(ctx, tech, resource)
		if err != nil {
			if !errors.Is(err, ari.ErrNotFound) {
				a.log.Warn("endpoint state", "device", device, "err", err)
			}
			return
		}
		a.post(func() { a.endpointState(server.name, *ep) })
	})
}

// endpointState tells the agents on ep's device whether it is reachable:
// offline (not registered) is unavailable; online again after that is free
// until the next device state says more.
func (a *App) endpointState(server string, ep ari.Endpoint) {
	device := qualify(server, ep.Technology+"/"+ep.Resource)
	switch ep.State {
	case "offline":
		a.deviceState(device, string(queue.DeviceUnavailable))
	case "online":
		for _, id := range a.devices.agents(device) {
			if view, ok := a.engine.Agent(id); ok && view.Device == queue.DeviceUnavailable {
				a.applyQuiet(queue.AgentDeviceState{Agent: id, State: queue.DeviceNotInUse})
			}
		}
	}
}

// deviceKey is the agent's device qualified by its server (servers.go): its
// own, or the first; a browser phone's is on the first, whose websocket
// the console's phone registers with.
func (a *App) deviceKey(cfg queue.AgentConfig) string {
	if cfg.Device == "" {
		return ""
	}
	server := cfg.Server
	if server == "" || cfg.Phone == queue.PhoneBrowser || !a.ari.multi() {
		server = a.ari.first()
	}
	return qualify(server, cfg.Device)
}
