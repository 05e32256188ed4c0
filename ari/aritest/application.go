package aritest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

func (s *Server) routeApplications(m string, seg []string, p params) reply {
	if len(seg) == 0 && m == http.MethodGet {
		names := make([]string, 0, len(s.apps))
		for n := range s.apps {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]applicationJSON, 0, len(names))
		for _, n := range names {
			out = append(out, s.applicationJSON(s.apps[n]))
		}
		return okReply(out)
	}
	if len(seg) == 0 {
		return errReply(http.StatusMethodNotAllowed, "Method not allowed")
	}
	app := s.apps[seg[0]]
	if app == nil {
		return errReply(404, "Application not found")
	}
	if len(seg) == 1 && m == http.MethodGet {
		return okReply(s.applicationJSON(app))
	}
	if len(seg) == 2 && seg[1] == "subscription" && (m == http.MethodPost || m == http.MethodDelete) {
		return s.subscription(app, m == http.MethodPost, p)
	}
	if len(seg) == 2 && seg[1] == "eventFilter" && m == http.MethodPut {
		return s.eventFilter(app, p)
	}
	return errReply(http.StatusNotFound, "Resource not found")
}

func (s *Server) applicationJSON(app *application) applicationJSON {
	chans, bridges := map[string]bool{}, map[string]bool{}
	for id := range app.channels {
		chans[id] = true
	}
	for id, ch := range s.channels {
		if ch.stasisApp == app.name {
			chans[id] = true
			if ch.bridge != nil {
				bridges[ch.bridge.id] = true
			}
		}
	}
	for id := range app.bridges {
		bridges[id] = true
	}
	j := applicationJSON{Name: app.name, ChannelIDs: sortedKeys(chans), BridgeIDs: sortedKeys(bridges),
		EndpointIDs: sortedKeys(app.endpoints), DeviceNames: []string{}, EventsAllowed: nil, EventsDisallowed: nil}
	for n := range app.deviceNames {
		if n == "" {
			n = "__AST_DEVICE_STATE_ALL_TOPIC"
		}
		j.DeviceNames = append(j.DeviceNames, n)
	}
	sort.Strings(j.DeviceNames)
	j.EventsAllowed = filterJSON(app.allowed)
	j.EventsDisallowed = filterJSON(app.disallowed)
	return j
}

func filterJSON(types map[string]bool) []json.RawMessage {
	out := emptyRaw()
	for _, t := range sortedKeys(types) {
		raw, _ := json.Marshal(map[string]string{"type": t})
		out = append(out, raw)
	}
	return out
}

// eventFilter is PUT /applications/{app}/eventFilter, by its api-docs
// notes: an empty body clears both lists, a list given replaces that list,
// one left out stays.
func (s *Server) eventFilter(app *application, p params) reply {
	if len(p.raw) == 0 {
		app.allowed, app.disallowed = nil, nil
		return okReply(s.applicationJSON(app))
	}
	for key, dst := range map[string]*map[string]bool{"allowed": &app.allowed, "disallowed": &app.disallowed} {
		raw, ok := p.raw[key]
		if !ok {
			continue
		}
		var list []struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return errReply(400, "Invalid format definition")
		}
		set := map[string]bool{}
		for _, t := range list {
			if t.Type == "" {
				return errReply(400, "Invalid format definition")
			}
			set[t.Type] = true
		}
		*dst = set
	}
	return okReply(s.applicationJSON(app))
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// subscription is POST/DELETE /applications/{app}/subscription?eventSource=.
func (s *Server) subscription(app *application, add bool, p params) reply {
	srcs := p.list("eventSource")
	if len(srcs) == 0 {
		return errReply(400, "Missing parameter eventSource")
	}
	type change struct {
		set    map[string]bool
		name   string
		device bool
	}
	var changes []change
	for _, one := range srcs {
		scheme, name, ok := strings.Cut(one, ":")
		if !ok {
			return errReply(400, "Invalid event source URI scheme")
		}
		switch scheme {
		case "channel":
			if s.channels[name] == nil {
				return errReply(422, "Unable to find event source")
			}
			changes = append(changes, change{set: app.channels, name: name})
		case "bridge":
			if s.bridges[name] == nil {
				return errReply(422, "Unable to find event source")
			}
			changes = append(changes, change{set: app.bridges, name: name})
		case "endpoint":
			tech, res, _ := strings.Cut(name, "/")
			if _, ok := s.devices[name]; !ok && res != "" {
				return errReply(422, "Unable to find event source")
			}
			if res == "" {
				name = tech
			}
			changes = append(changes, change{set: app.endpoints, name: name})
		case "deviceState":
			changes = append(changes, change{app.deviceNames, name, true})
		default:
			return errReply(400, "Invalid event source URI scheme")
		}
	}
	for _, c := range changes {
		if !add && !c.set[c.name] {
			if c.device {
				// Asterisk 22's answer for a device state (seen in the
				// real-Asterisk tests).
				return errReply(422, "Event source was not subscribed to")
			}
			return errReply(409, "Application not subscribed to event source")
		}
	}
	for _, c := range changes {
		if add {
			c.set[c.name] = true
		} else {
			delete(c.set, c.name)
		}
	}
	return okReply(s.applicationJSON(app))
}

func emptyRaw() []json.RawMessage { return []json.RawMessage{} }
