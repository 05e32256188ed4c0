package aritest

import (
	"fmt"
	"strings"
	"time"
)

// role says which events a channel produces over its life, following the
// transcripts: a dialplan caller goes quiet after StasisEnd, an originated
// agent is heard until ChannelDestroyed, a Local caller's ;1 is never heard.
type role int

const (
	roleAgent      role = iota // originated with app=, heard until destroyed
	roleAgentOther             // ;2 half of an agent Local pair
	roleCaller                 // reached Stasis() from the dialplan
	rolePhone                  // ;1 half of a caller's Local pair (the phone)
	roleCreated                // POST /channels/create
	roleSnoop
	rolePlain   // in the dialplan, no application involved
	roleDialled // a device rung by Dial() in a Local agent's dialplan
)

type channel struct {
	id, name, state, protocolID string
	tech, resource              string
	caller, connected           callerIDJSON
	dialplan                    dialplanJSON
	created                     time.Time
	vars                        map[string]string
	watchers                    map[string]bool
	stasisApp                   string
	args                        []string
	bridge                      *bridge
	other                       *channel
	role                        role
	silent                      bool
	sip                         bool
	moh                         string
	ring                        *ringing
	timers                      []*time.Timer
	call                        *Call
	gone                        bool
	playbacks                   map[string]*playback
	// phoneCtx and phoneExten are where a caller's ;1 half goes once its ;2
	// half answers (the originate's context and extension).
	phoneCtx, phoneExten string
	// dialled is the device a ;2 half's Dial() rings (SetLocalDial), and
	// dialer that ;2 half, seen from the device's channel.
	dialled, dialer       *channel
	dialStart, answeredAt time.Time
	// hangingUp marks a Local ;1 being hung up: its device no longer counts
	// it, though the channel still sends events.
	hangingUp bool
}

// ringing is an outgoing leg being dialled.
type ringing struct {
	app        string
	args       []string
	dialstring string
	created    bool // dialled with POST /channels/{id}/dial
	answered   bool
	timeout    time.Duration
}

func (ch *channel) endpointName() string { return ch.tech + "/" + ch.resourceBase() }

// resourceBase is the endpoint resource without the channel's sequence suffix.
func (ch *channel) resourceBase() string { return ch.resource }

func (ch *channel) json() channelJSON {
	return channelJSON{
		ID: ch.id, Name: ch.name, State: ch.state, ProtocolID: ch.protocolID,
		Caller: ch.caller, Connected: ch.connected, Dialplan: ch.dialplan,
		Creationtime: stamp(ch.created), Language: "en",
	}
}

func (s *Server) addTimer(ch *channel, t *time.Timer) {
	if t != nil {
		ch.timers = append(ch.timers, t)
	}
}

// later runs f after d unless ch is gone by then.
func (s *Server) later(ch *channel, d time.Duration, f func()) {
	s.addTimer(ch, s.after(d, func() {
		if !ch.gone {
			f()
		}
	}))
}

func (s *Server) stopChannelTimers(ch *channel) {
	for _, t := range ch.timers {
		s.stopTimer(t)
	}
	ch.timers = nil
}

// idClash reports whether id is a case-insensitive prefix of a live channel's
// id, which is what makes Asterisk refuse it.
func (s *Server) idClash(id string, extra ...string) bool {
	l := strings.ToLower(id)
	for other := range s.channels {
		if strings.HasPrefix(strings.ToLower(other), l) {
			return true
		}
	}
	for _, other := range extra {
		if other != "" && strings.HasPrefix(strings.ToLower(other), l) {
			return true
		}
	}
	return false
}

type newChannelSpec struct {
	id, tech, resource, nameSuffix string
	state                          string
	caller                         callerIDJSON
	dialplan                       dialplanJSON
	role                           role
}

func (s *Server) newChannel(sp newChannelSpec, seq int) *channel {
	id := sp.id
	if id == "" {
		id = s.newUniqueID()
	}
	var name string
	switch sp.tech {
	case "Local":
		name = fmt.Sprintf("Local/%s-%08x%s", sp.resource, seq, sp.nameSuffix)
	default:
		name = fmt.Sprintf("%s/%s-%08x", sp.tech, sp.resource, seq)
	}
	ch := &channel{
		id: id, name: name, state: sp.state, tech: sp.tech, resource: sp.resource,
		caller: sp.caller, connected: sp.caller, dialplan: sp.dialplan, created: time.Now(),
		vars: map[string]string{}, watchers: map[string]bool{}, role: sp.role, playbacks: map[string]*playback{},
	}
	s.channels[id] = ch
	if sp.tech != "Local" {
		s.endpointChanged(ch, "ChannelCreated")
	}
	return ch
}

// endpointChanged tells the applications subscribed to ch's endpoint about
// a channel appearing or going: ChannelCreated and EndpointStateChange.
func (s *Server) endpointChanged(ch *channel, created string) {
	apps := map[string]bool{}
	for name, app := range s.apps {
		if app.endpoints[ch.endpointName()] || app.endpoints[ch.tech] {
			apps[name] = true
		}
	}
	if len(apps) == 0 {
		return
	}
	// The endpoint's change comes before the channel's ChannelCreated
	// (device-state.jsonl lines 16-17).
	s.send(apps, &endpointEvent{eventBase: base("EndpointStateChange", time.Now()), Endpoint: s.endpointJSON(ch.tech, ch.resource)})
	if created != "" {
		s.send(apps, &channelEvent{eventBase: base(created, time.Now()), Channel: ch.json()})
	}
}

func (s *Server) nextNameSeq() int {
	s.nameSeq++
	return s.nameSeq
}

// removeChannel forgets ch without any event.
func (s *Server) removeChannel(ch *channel) {
	if ch.gone {
		return
	}
	ch.gone = true
	s.stopChannelTimers(ch)
	for _, pb := range ch.playbacks {
		s.finishPlayback(pb, false)
	}
	if ch.bridge != nil {
		ch.bridge.remove(ch)
		ch.bridge = nil
	}
	delete(s.channels, ch.id)
	if ch.tech != "Local" {
		s.endpointChanged(ch, "")
	}
	if !ch.hangingUp {
		// Announced when its hangup began.
		s.updateDevice(ch)
	}
	if ph := ch.dialled; ph != nil {
		ch.dialled = nil
		s.endDialled(ph)
	}
}

// --- event helpers ---

func (s *Server) evState(ch *channel, state string) {
	ch.state = state
	s.emitChannel(ch, &channelEvent{eventBase: base("ChannelStateChange", time.Now()), Channel: ch.json()})
}

func (s *Server) evDial(peer *channel, status, dialstring string) {
	s.emitChannel(peer, &dialEvent{eventBase: base("Dial", time.Now()), Peer: peer.json(), Dialstring: dialstring, Dialstatus: status})
}

func (s *Server) evVarset(ch *channel, name, value string) {
	ch.vars[name] = value
	j := ch.json()
	s.emitChannel(ch, &varsetEvent{eventBase: base("ChannelVarset", time.Now()), Variable: name, Value: value, Channel: &j})
}

func (s *Server) evDialplan(ch *channel, app, data string) {
	ch.dialplan.AppName, ch.dialplan.AppData = app, data
	s.emitChannel(ch, &dialplanEvent{eventBase: base("ChannelDialplan", time.Now()), DialplanApp: app, DialplanAppData: data, Channel: ch.json()})
}

func (s *Server) evHangupRequest(ch *channel, cause *int, soft bool) {
	s.emitChannel(ch, &hangupRequestEvent{eventBase: base("ChannelHangupRequest", time.Now()), Cause: cause, Soft: soft, Channel: ch.json()})
}

func (s *Server) evDestroyed(ch *channel, cause int) {
	s.emitChannel(ch, &channelDestroyedEvent{eventBase: base("ChannelDestroyed", time.Now()), Cause: cause, CauseTxt: causeText(cause), Channel: ch.json()})
	s.removeChannel(ch)
}

func (s *Server) evCallerID(ch *channel) {
	s.emitChannel(ch, &callerIDEvent{eventBase: base("ChannelCallerId", time.Now()), CallerPresentationTxt: "Presentation Allowed, Not Screened", Channel: ch.json()})
}

func (s *Server) evConnectedLine(ch *channel) {
	s.emitChannel(ch, &channelEvent{eventBase: base("ChannelConnectedLine", time.Now()), Channel: ch.json()})
}

func (s *Server) enterStasis(ch *channel, app string, args []string) {
	ch.stasisApp = app
	ch.args = args
	ch.watchers[app] = true
	if args == nil {
		args = []string{}
	}
	s.emitChannel(ch, &stasisStartEvent{eventBase: base("StasisStart", time.Now()), Args: args, Channel: ch.json()})
}

func (s *Server) leaveStasis(ch *channel) {
	if ch.stasisApp == "" {
		return
	}
	for _, pb := range ch.playbacks {
		s.finishPlayback(pb, true)
	}
	if ch.bridge != nil {
		s.leaveBridge(ch, true)
	}
	s.emitChannel(ch, &channelEvent{eventBase: base("StasisEnd", time.Now()), Channel: ch.json()})
	ch.stasisApp = ""
	if ch.role == roleCaller || ch.role == roleSnoop {
		// A dialplan caller sends nothing once it has left the application.
		ch.watchers = map[string]bool{}
	}
}

func stasisData(app string, args []string) string {
	if len(args) == 0 {
		return app
	}
	return app + "," + strings.Join(args, ",")
}

// parseCallerID reads `"Name" <number>` (or a bare number).
func parseCallerID(s string) callerIDJSON {
	s = strings.TrimSpace(s)
	if s == "" {
		return callerIDJSON{}
	}
	if i := strings.LastIndex(s, "<"); i >= 0 && strings.HasSuffix(s, ">") {
		name := strings.TrimSpace(s[:i])
		name = strings.Trim(name, `"`)
		return callerIDJSON{Name: name, Number: s[i+1 : len(s)-1]}
	}
	return callerIDJSON{Number: s}
}

// hangupCause converts ARI's hangup reason, as Asterisk does.
func hangupCause(reason string) (int, bool) {
	switch reason {
	case "", "normal":
		return 16, true
	case "busy":
		return 17, true
	case "congestion":
		return 34, true
	case "no_answer":
		return 19, true
	case "timeout":
		return 18, true
	case "rejected":
		return 21, true
	case "unallocated":
		return 1, true
	case "normal_unspecified":
		return 31, true
	case "number_incomplete":
		return 28, true
	case "codec_mismatch":
		return 58, true
	case "interworking":
		return 127, true
	case "failure":
		return 38, true
	case "answered_elsewhere":
		return 26, true
	}
	return 0, false
}

// dialStatusFor is what a Dial reports when its ringing peer is hung up with cause.
func dialStatusFor(cause int) string {
	switch cause {
	case 17:
		return "BUSY"
	case 34, 38, 42:
		return "CONGESTION"
	case 20:
		return "CHANUNAVAIL"
	}
	return "NOANSWER"
}
