package aritest

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

type bridge struct {
	id, name, typ, tech string
	created             time.Time
	channels            []*channel
	moh                 string
	// notify holds the applications that get BridgeDestroyed although not
	// subscribed: those whose channel hung up while in this bridge.
	notify    map[string]bool
	playbacks map[string]*playback
}

func (b *bridge) json() bridgeJSON {
	ids := make([]string, 0, len(b.channels))
	for _, ch := range b.channels {
		ids = append(ids, ch.id)
	}
	return bridgeJSON{ID: b.id, Technology: b.tech, BridgeType: b.typ, BridgeClass: "stasis", Creator: "Stasis",
		Name: b.name, Channels: ids, Creationtime: stamp(b.created), VideoMode: "talker"}
}

func (b *bridge) remove(ch *channel) {
	for i, c := range b.channels {
		if c == ch {
			b.channels = append(b.channels[:i], b.channels[i+1:]...)
			return
		}
	}
}

func (s *Server) routeBridges(m string, seg []string, p params) reply {
	if len(seg) == 0 {
		switch m {
		case http.MethodGet:
			return okReply(s.listBridges())
		case http.MethodPost:
			return s.createBridge(p.get("bridgeId"), p)
		}
		return errReply(http.StatusMethodNotAllowed, "Method not allowed")
	}
	id := seg[0]
	if len(seg) == 1 {
		switch m {
		case http.MethodPost:
			return s.createBridge(id, p)
		case http.MethodGet:
			b := s.bridges[id]
			if b == nil {
				return errReply(404, "Bridge not found")
			}
			return okReply(b.json())
		case http.MethodDelete:
			b := s.bridges[id]
			if b == nil {
				return errReply(404, "Bridge not found")
			}
			s.destroyBridge(b)
			return noContent
		}
		return errReply(http.StatusMethodNotAllowed, "Method not allowed")
	}
	b := s.bridges[id]
	if b == nil {
		return errReply(404, "Bridge not found")
	}
	switch op := seg[1]; {
	case op == "addChannel" && m == http.MethodPost:
		return s.addChannels(b, p)
	case op == "removeChannel" && m == http.MethodPost:
		return s.removeChannels(b, p)
	case op == "moh" && m == http.MethodPost:
		b.moh = p.get("mohClass")
		if b.moh == "" {
			b.moh = "default"
		}
		return noContent
	case op == "moh" && m == http.MethodDelete:
		b.moh = ""
		return noContent
	case op == "record" && m == http.MethodPost:
		return s.recordBridge(b, p)
	case op == "play" && m == http.MethodPost:
		pbID := p.get("playbackId")
		if len(seg) == 3 {
			pbID = seg[2]
		}
		return s.play("bridge:"+b.id, pbID, p)
	}
	return errReply(http.StatusNotFound, "Resource not found")
}

func (s *Server) listBridges() []bridgeJSON {
	bs := make([]*bridge, 0, len(s.bridges))
	for _, b := range s.bridges {
		bs = append(bs, b)
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].id < bs[j].id })
	out := make([]bridgeJSON, len(bs))
	for i, b := range bs {
		out[i] = b.json()
	}
	return out
}

func (s *Server) createBridge(id string, p params) reply {
	if id != "" {
		if b := s.bridges[id]; b != nil {
			return errReply(409, "Bridge with id '"+id+"' already exists")
		}
	} else {
		id = s.newUUID()
	}
	typ, tech := "mixing", "simple_bridge"
	for _, t := range strings.Split(p.get("type"), ",") {
		switch strings.TrimSpace(t) {
		case "", "mixing", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label":
		case "holding":
			typ, tech = "holding", "holding_bridge"
		default:
			return errReply(400, "Invalid bridge type")
		}
	}
	b := &bridge{id: id, name: p.get("name"), typ: typ, tech: tech, created: time.Now(), notify: map[string]bool{}, playbacks: map[string]*playback{}}
	s.bridges[id] = b
	return okReply(b.json())
}

// stasisChannels resolves the channel parameter of addChannel and
// removeChannel, refusing as Asterisk does: 400 for a missing parameter or
// an unknown channel, 422 for one that is not in Stasis.
func (s *Server) stasisChannels(p params) ([]*channel, *reply) {
	list := p.list("channel")
	if len(list) == 0 {
		r := errReply(400, "Missing parameter channel")
		return nil, &r
	}
	var chans []*channel
	for _, id := range list {
		ch := s.channels[id]
		if ch == nil {
			r := errReply(400, "Channel not found")
			return nil, &r
		}
		if ch.stasisApp == "" {
			r := errReply(422, "Channel not in Stasis application")
			return nil, &r
		}
		chans = append(chans, ch)
	}
	return chans, nil
}

func (s *Server) addChannels(b *bridge, p params) reply {
	chans, refused := s.stasisChannels(p)
	if refused != nil {
		return *refused
	}
	var entered []*channel
	for _, ch := range chans {
		if ch.bridge == b {
			continue
		}
		if ch.bridge != nil {
			// addChannel moves a channel out of its current bridge.
			s.leaveBridge(ch, false)
		}
		ch.bridge = b
		b.channels = append(b.channels, ch)
		s.emitBridgeChannel(b, ch, "ChannelEnteredBridge")
		entered = append(entered, ch)
	}
	if len(entered) > 0 && b.typ == "mixing" && len(b.channels) == 2 {
		x, y := b.channels[0], b.channels[1]
		s.evVarset(x, "BRIDGEPEER", y.name)
		s.evVarset(y, "BRIDGEPEER", x.name)
		// Asterisk reports a connected line only when it changes: an agent
		// leg originated presenting the caller's own id changes neither
		// (seen in TestAsteriskPairedScenarios); one made with another id
		// changes both (the basic-queue-flow transcript).
		changed := []*channel{}
		for _, p := range [][2]*channel{{x, y}, {y, x}} {
			if p[0].connected != p[1].caller {
				p[0].connected = p[1].caller
				changed = append(changed, p[0])
			}
		}
		// Recorded order: a channel made with POST /channels/create reports
		// its new connected line first; otherwise bridge order.
		if len(changed) == 2 && y.role == roleCreated && x.role != roleCreated {
			changed[0], changed[1] = changed[1], changed[0]
		}
		for _, c := range changed {
			s.evConnectedLine(c)
		}
		for _, c := range []*channel{x, y} {
			if c.call != nil {
				other := y
				if c == y {
					other = x
				}
				c.call.addBridged(other.id)
			}
		}
	}
	return noContent
}

func (s *Server) removeChannels(b *bridge, p params) reply {
	chans, refused := s.stasisChannels(p)
	if refused != nil {
		return *refused
	}
	for _, ch := range chans {
		if ch.bridge != b {
			return errReply(422, "Channel not in this bridge")
		}
	}
	for _, ch := range chans {
		s.leaveBridge(ch, false)
	}
	return noContent
}

// leaveBridge takes ch out of its bridge. hangup says the channel is going
// away, which keeps the bridge's BridgeDestroyed coming to its applications.
func (s *Server) leaveBridge(ch *channel, hangup bool) {
	b := ch.bridge
	if b == nil {
		return
	}
	if _, ok := ch.vars["BRIDGEPEER"]; ok && ch.vars["BRIDGEPEER"] != "" {
		s.evVarset(ch, "BRIDGEPEER", "")
	}
	b.remove(ch)
	ch.bridge = nil
	s.emitBridgeChannel(b, ch, "ChannelLeftBridge")
	if hangup {
		for a := range s.channelApps(ch) {
			b.notify[a] = true
		}
	}
	if len(b.channels) == 0 {
		// Asterisk drops a holding bridge's MOH player when it empties.
		b.moh = ""
	}
}

func (s *Server) destroyBridge(b *bridge) {
	apps := map[string]bool{}
	for _, ch := range append([]*channel(nil), b.channels...) {
		// Applications hear of a bridge through their channels in it.
		for a := range s.channelApps(ch) {
			apps[a] = true
		}
		s.leaveBridge(ch, false)
	}
	for _, pb := range b.playbacks {
		s.finishPlayback(pb, true)
	}
	for a := range b.notify {
		apps[a] = true
	}
	for name, app := range s.apps {
		if app.bridges[b.id] {
			apps[name] = true
			delete(app.bridges, b.id)
		}
	}
	s.finishRecordings(b, apps)
	delete(s.bridges, b.id)
	s.send(apps, &bridgeEvent{eventBase: base("BridgeDestroyed", time.Now()), Bridge: b.json()})
}

// MOHClass says what music on hold channel id hears: its own (POST
// /channels/{id}/moh) or its holding bridge's; "" when none.
func (s *Server) MOHClass(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[id]
	if ch == nil {
		return ""
	}
	if ch.moh != "" {
		return ch.moh
	}
	if ch.bridge != nil {
		return ch.bridge.moh
	}
	return ""
}
