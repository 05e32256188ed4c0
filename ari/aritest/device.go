package aritest

import (
	"sort"
	"strings"
	"time"
)

// DeviceAction is what a simulated phone does when it is called.
type DeviceAction int

const (
	// Answer answers after After (at once when After is 0, after AnswerDelay).
	Answer DeviceAction = iota
	// Busy answers busy at once.
	Busy
	// NoAnswer rings until the caller's timeout or hangup.
	NoAnswer
	// Reject rings for After, then declines (busy, cause 17).
	Reject
	// Unavailable fails at once (cause 20, CHANUNAVAIL).
	Unavailable
	// Congestion fails at once (cause 34, CONGESTION).
	Congestion
	// Decline is a phone whose dialplan refuses the call at once, before
	// any ringing, with cause 21 (call rejected): Hangup(21) behind a Local
	// agent. Dial() reports NOANSWER (testdata/ari-events/reject.txt in
	// cmd/stasisq, recorded from Asterisk 22).
	Decline
)

func (a DeviceAction) String() string {
	switch a {
	case Answer:
		return "Answer"
	case Busy:
		return "Busy"
	case NoAnswer:
		return "NoAnswer"
	case Reject:
		return "Reject"
	case Unavailable:
		return "Unavailable"
	case Congestion:
		return "Congestion"
	case Decline:
		return "Decline"
	}
	return "DeviceAction(?)"
}

// DeviceBehavior scripts a simulated device (an agent's phone).
type DeviceBehavior struct {
	Action DeviceAction
	// After is the ring time before answering or rejecting.
	After time.Duration
	// TalkFor, when > 0, makes the device hang up that long after answering.
	TalkFor time.Duration
}

// defaultAnswerWait is how long Answer() in the dialplan waits for media
// before the next priority runs.
const defaultAnswerWait = 500 * time.Millisecond

// SetDevice scripts the device behind endpoint ("PJSIP/1001", "Local/1001@agents").
// It replaces a function set with SetDeviceFunc.
func (s *Server) SetDevice(endpoint string, b DeviceBehavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.deviceFuncs, endpoint)
	s.setDeviceLocked(endpoint, b)
}

// SetDeviceFunc scripts the device behind endpoint with a function called
// once each time the device is dialled, so that every call can get its own
// behaviour (a simulated person who sometimes does not pick up). Between
// calls the device is idle (NOT_INUSE, endpoint online). f runs with the
// server's lock held: it must be quick and must not call the Server. A nil f
// leaves the device scripted as answering at once.
func (s *Server) SetDeviceFunc(endpoint string, f func() DeviceBehavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == nil {
		delete(s.deviceFuncs, endpoint)
	} else {
		s.deviceFuncs[endpoint] = f
	}
	// The stored behaviour only says the device exists and is online; each
	// dial draws its own from f.
	s.setDeviceLocked(endpoint, DeviceBehavior{Action: Answer})
}

func (s *Server) setDeviceLocked(endpoint string, b DeviceBehavior) {
	s.devices[endpoint] = b
	old := s.deviceStateLocked(endpoint)
	s.deviceStates[endpoint] = s.computeDeviceState(endpoint)
	if s.deviceStates[endpoint] != old {
		s.emitDeviceState(endpoint, s.deviceStates[endpoint])
	}
}

// DeviceStateOf returns the Asterisk device state of endpoint (NOT_INUSE,
// RINGING, INUSE, UNAVAILABLE, UNKNOWN).
func (s *Server) DeviceStateOf(endpoint string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deviceStateLocked(endpoint)
}

func (s *Server) deviceStateLocked(name string) string {
	if strings.HasPrefix(name, "Local/") {
		// Asterisk does not cache Local device states: it asks every time.
		return s.computeDeviceState(name)
	}
	if st, ok := s.deviceStates[name]; ok {
		return st
	}
	return s.computeDeviceState(name)
}

func (s *Server) computeDeviceState(name string) string {
	b, configured := s.devices[name]
	tech, _, _ := strings.Cut(name, "/")
	ringing, up := false, false
	for _, ch := range s.channels {
		if ch.gone || ch.hangingUp || ch.endpointName() != name || ch.role == roleAgentOther {
			continue
		}
		switch ch.state {
		case "Up":
			up = true
		case "Ringing", "Ring", "Down":
			ringing = true
		}
	}
	switch {
	case configured && b.Action == Unavailable:
		return "UNAVAILABLE"
	case tech == "Local" && (up || ringing):
		// A Local device is INUSE while it still rings.
		return "INUSE"
	case up:
		return "INUSE"
	case ringing:
		return "RINGING"
	case configured || tech == "Local":
		return "NOT_INUSE"
	}
	return "UNKNOWN"
}

// updateDevice recomputes the device state of ch's endpoint and tells the
// subscribed applications; a Local device repeats its state, as seen.
func (s *Server) updateDevice(ch *channel) {
	switch ch.role {
	case roleAgentOther, rolePhone, roleCaller, rolePlain, roleSnoop:
		// Only the agents' devices are modelled.
		return
	}
	s.announceDevice(ch.endpointName())
}

// announceDevice recomputes a device's state and tells the subscribed
// applications when it changed; a Local device, which Asterisk does not
// cache, is announced every time.
func (s *Server) announceDevice(name string) {
	st := s.computeDeviceState(name)
	old, had := s.deviceStates[name]
	s.deviceStates[name] = st
	if !had || old != st || strings.HasPrefix(name, "Local/") {
		s.emitDeviceState(name, st)
	}
}

func (s *Server) deviceFor(ch *channel) DeviceBehavior {
	if f, ok := s.deviceFuncs[ch.endpointName()]; ok {
		return f()
	}
	if b, ok := s.devices[ch.endpointName()]; ok {
		return b
	}
	if ch.tech == "Local" {
		return DeviceBehavior{Action: Answer}
	}
	return DeviceBehavior{Action: Unavailable}
}

// startDevice runs the scripted device behind a dialled agent leg.
func (s *Server) startDevice(ch *channel) {
	b := s.deviceFor(ch)
	r := ch.ring
	switch b.Action {
	case Answer:
		if b.After <= 0 {
			s.later(ch, s.opts.AnswerDelay, func() { s.answerLeg(ch, b) })
			return
		}
		s.startRinging(ch)
		s.later(ch, b.After, func() { s.answerLeg(ch, b) })
	case NoAnswer:
		s.startRinging(ch)
	case Reject:
		s.startRinging(ch)
		s.later(ch, b.After, func() { s.failLeg(ch, "BUSY", 17) })
	case Busy:
		if b.After > 0 {
			s.later(ch, b.After, func() { s.busyLeg(ch) })
			return
		}
		s.busyLeg(ch)
		return
	case Unavailable:
		s.failLeg(ch, "CHANUNAVAIL", 20)
		return
	case Congestion:
		s.failLeg(ch, "CONGESTION", 34)
		return
	case Decline:
		s.declineLeg(ch)
		return
	}
	if r.timeout > 0 {
		s.later(ch, r.timeout, func() { s.ringTimeout(ch) })
	}
}

func (s *Server) startRinging(ch *channel) {
	r := ch.ring
	switch {
	case r.created || ch.other == nil:
		if ch.tech == "Local" || r.created {
			s.evState(ch, "Ringing")
			s.evDial(ch, "RINGING", dialstringAfterFirst(r))
		} else {
			s.evDial(ch, "RINGING", r.dialstring)
			s.evState(ch, "Ringing")
		}
	default:
		s.evDialplan(ch.other, "Ringing", "")
		s.evState(ch, "Ringing")
		s.evDialplan(ch.other, "Wait", "60")
		s.evDial(ch, "RINGING", r.dialstring)
	}
	s.updateDevice(ch)
}

// dialstringAfterFirst: a channel dialled with POST …/dial reports the
// dialstring only in its first Dial event.
func dialstringAfterFirst(r *ringing) string {
	if r.created {
		return ""
	}
	return r.dialstring
}

func (s *Server) answerLeg(ch *channel, b DeviceBehavior) {
	r := ch.ring
	if r == nil || r.answered {
		return
	}
	r.answered = true
	s.stopChannelTimers(ch)
	other := ch.other
	if other != nil && !other.silent {
		s.evDialplan(other, "Answer", "")
		other.state = "Up"
		s.evState(other, "Up")
	} else if other != nil {
		other.state = "Up"
	}
	s.evState(ch, "Up")
	s.evDial(ch, "ANSWER", dialstringAfterFirst(r))
	if !r.created && !s.answeredIntoStasis(ch, r) {
		return
	}
	s.updateDevice(ch)
	if other != nil && !other.silent {
		s.later(ch, s.answerWait, func() {
			other.dialplan.Priority++
			s.evDialplan(other, "Echo", "")
			if ch.bridge != nil && other.caller != ch.connected {
				other.caller = ch.connected
				s.evCallerID(other)
			}
		})
	}
	if b.TalkFor > 0 {
		s.later(ch, b.TalkFor, func() {
			if other != nil && !other.silent {
				// Behind a Local agent it is the dialplan that hangs up
				// (Answer, Wait, Hangup: TestAsteriskPairedScenarios).
				other.dialplan.Priority++
				s.evDialplan(other, "Hangup", "")
			}
			s.remoteHangup(ch, 16)
		})
	}
}

// busyLeg is Busy() in the agent's dialplan: cause 0 on the leg, 17 on ;2.
func (s *Server) busyLeg(ch *channel) {
	r := ch.ring
	if ch.other != nil && !ch.other.silent {
		o := ch.other
		s.evDialplan(o, "Busy", "5")
		s.evState(o, "Busy")
		s.evDial(ch, "BUSY", r.dialstring)
		s.evHangupRequest(o, intp(0), false)
		s.evDestroyed(ch, 0)
		s.evHangupRequest(o, intp(16), true)
		s.evDestroyed(o, 17)
		return
	}
	s.failLeg(ch, "BUSY", 17)
}

// declineLeg: the dialplan behind the leg hangs up with cause 21 before it
// rings. On a Local pair, as Asterisk 22 reports it: the ;2 half runs
// Hangup(21) and is soft-hung-up, the ;1 half gets the hangup request with
// cause 21, and Dial() ends NOANSWER.
func (s *Server) declineLeg(ch *channel) {
	r := ch.ring
	if r == nil || r.answered {
		return
	}
	s.stopChannelTimers(ch)
	if o := ch.other; o != nil && !o.silent && !r.created {
		s.evDialplan(o, "Hangup", "21")
		s.evHangupRequest(o, intp(16), true)
		s.evHangupRequest(ch, intp(21), false)
		s.evDestroyed(o, 21)
		s.evDial(ch, "NOANSWER", r.dialstring)
		s.evDestroyed(ch, 21)
		return
	}
	s.endRingingLeg(ch, r, "NOANSWER", 21, false)
}

// failLeg ends a ringing leg from the far end with dialstatus and cause.
func (s *Server) failLeg(ch *channel, status string, cause int) {
	r := ch.ring
	if r == nil || r.answered {
		return
	}
	s.stopChannelTimers(ch)
	s.endRingingLeg(ch, r, status, cause, false)
}

// endRingingLeg sends what Asterisk sends when a ringing leg ends
// unanswered with dialstatus and cause. appHungUp: the app's DELETE already
// reported the leg's hangup request, so a created leg gets no far-end one.
func (s *Server) endRingingLeg(ch *channel, r *ringing, status string, cause int, appHungUp bool) {
	switch {
	case r.created:
		s.evDial(ch, status, "")
		if !appHungUp {
			s.evHangupRequest(ch, intp(cause), false)
		}
		s.leaveStasis(ch)
		s.evVarset(ch, "STASISSTATUS", "SUCCESS")
		s.destroyPair(ch, cause)
	case ch.other != nil && !ch.other.silent:
		o := ch.other
		s.evDial(ch, status, r.dialstring)
		s.evHangupRequest(o, intp(cause), false)
		s.evDestroyed(ch, cause)
		s.evHangupRequest(o, intp(16), true)
		s.evDestroyed(o, cause)
	default:
		s.evDial(ch, status, r.dialstring)
		s.evDestroyed(ch, cause)
	}
}

// ringTimeout: the originate timeout expired. No Dial NOANSWER, only cause 19.
func (s *Server) ringTimeout(ch *channel) {
	r := ch.ring
	if r == nil || r.answered {
		return
	}
	s.stopChannelTimers(ch)
	switch {
	case r.created:
		s.failLeg(ch, "NOANSWER", 19)
	case ch.other != nil && !ch.other.silent:
		o := ch.other
		s.evHangupRequest(o, intp(19), false)
		s.evHangupRequest(o, intp(16), true)
		s.evDestroyed(o, 19)
		s.evDestroyed(ch, 19)
	default:
		s.evDestroyed(ch, 19)
	}
}

// destroyPair destroys ch and, silently or not, its other half.
func (s *Server) destroyPair(ch *channel, cause int) {
	o := ch.other
	s.evDestroyed(ch, cause)
	if o != nil && !o.gone {
		if o.silent {
			s.removeChannel(o)
		} else {
			s.evDestroyed(o, cause)
		}
	}
}

// remoteHangup: the device (or far end) hangs up an answered leg.
func (s *Server) remoteHangup(ch *channel, cause int) {
	o := ch.other
	if o != nil && !o.silent {
		s.evHangupRequest(o, intp(cause), false)
	}
	if ch.sip {
		s.sipBye(ch)
		return
	}
	s.evHangupRequest(ch, intp(cause), false)
	s.leaveStasis(ch)
	if ch.role == roleCaller {
		s.finishCall(ch, true)
		s.removePair(ch)
		return
	}
	s.evVarset(ch, "STASISSTATUS", "SUCCESS")
	s.destroyPair(ch, cause)
}

func (s *Server) removePair(ch *channel) {
	if o := ch.other; o != nil {
		s.removeChannel(o)
	}
	s.removeChannel(ch)
}

// sipBye: a SIP phone's BYE. RTP statistics, a hangup request without cause.
func (s *Server) sipBye(ch *channel) {
	if ch.state == "Up" {
		s.rtpStatistics(ch)
	}
	s.evHangupRequest(ch, nil, false)
	s.leaveStasis(ch)
	if ch.role == roleCaller {
		s.finishCall(ch, true)
		s.removeChannel(ch)
		return
	}
	s.evVarset(ch, "STASISSTATUS", "SUCCESS")
	s.evDestroyed(ch, 16)
}

func (s *Server) rtpStatistics(ch *channel) {
	for _, v := range []string{"RTPAUDIOQOS", "RTPAUDIOQOSJITTER", "RTPAUDIOQOSLOSS", "RTPAUDIOQOSRTT", "RTPAUDIOQOSMES"} {
		s.evVarset(ch, v, rtpStats[v])
	}
}

var rtpStats = map[string]string{
	"RTPAUDIOQOS":       "ssrc=1303915132;themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000",
	"RTPAUDIOQOSJITTER": "minrxjitter=000.000000;maxrxjitter=000.000000;avgrxjitter=000.000000;stdevrxjitter=000.000000;mintxjitter=000.000000;maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;",
	"RTPAUDIOQOSLOSS":   "minrxlost=000.000000;maxrxlost=000.000000;avgrxlost=000.000000;stdevrxlost=000.000000;mintxlost=000.000000;maxtxlost=000.000000;avgtxlost=000.000000;stdevtxlost=000.000000;",
	"RTPAUDIOQOSRTT":    "minrtt=000.000000;maxrtt=000.000000;avgrtt=000.000000;stdevrtt=000.000000;",
	"RTPAUDIOQOSMES":    "minrxmes=000.000000;maxrxmes=000.000000;avgrxmes=000.000000;stdevrxmes=000.000000;mintxmes=000.000000;maxtxmes=000.000000;avgtxmes=000.000000;stdevtxmes=000.000000;",
}

func (s *Server) listDeviceStates() []deviceStateJSON {
	names := map[string]bool{}
	for n := range s.devices {
		names[n] = true
	}
	for n := range s.deviceStates {
		names[n] = true
	}
	out := make([]deviceStateJSON, 0, len(names))
	for n := range names {
		out = append(out, deviceStateJSON{Name: n, State: s.deviceStateLocked(n)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Server) endpointJSON(tech, resource string) endpointJSON {
	name := tech + "/" + resource
	st := "online"
	if b, ok := s.devices[name]; ok && b.Action == Unavailable {
		st = "offline"
	}
	ids := []string{}
	for _, ch := range s.channels {
		if ch.tech == tech && ch.resource == resource {
			ids = append(ids, ch.id)
		}
	}
	sort.Strings(ids)
	return endpointJSON{Technology: tech, Resource: resource, State: st, ChannelIDs: ids}
}

func (s *Server) listEndpoints(tech string) []endpointJSON {
	var names []string
	for n := range s.devices {
		t, _, _ := strings.Cut(n, "/")
		if t == "Local" || (tech != "" && t != tech) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]endpointJSON, 0, len(names))
	for _, n := range names {
		t, r, _ := strings.Cut(n, "/")
		out = append(out, s.endpointJSON(t, r))
	}
	return out
}

func (s *Server) getEndpoint(tech, resource string) reply {
	if _, ok := s.devices[tech+"/"+resource]; !ok || tech == "Local" {
		return errReply(404, "Endpoint not found")
	}
	return okReply(s.endpointJSON(tech, resource))
}

// answeredIntoStasis runs Stasis(app, args) on an originated leg that just
// answered. With no websocket for the app, Stasis() fails: the leg's
// dialplan ends and it hangs up, unheard; it reports false then.
func (s *Server) answeredIntoStasis(ch *channel, r *ringing) bool {
	ch.dialplan.AppName, ch.dialplan.AppData = "Stasis", stasisData(r.app, r.args)
	if !s.appConnected(r.app) {
		ch.vars["STASISSTATUS"] = "FAILED"
		s.removePair(ch)
		return false
	}
	s.evVarset(ch, "STASISSTATUS", "")
	s.enterStasis(ch, r.app, r.args)
	return true
}
