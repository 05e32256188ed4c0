package aritest

import (
	"strconv"
	"strings"
	"time"
)

// localDial is a Local endpoint whose dialplan runs Dial(device,timeout),
// as agents-sip does in the device-state transcript: the agent's ;2 half
// rings a real device, a third channel with events of its own.
type localDial struct {
	device  string
	timeout time.Duration
}

// SetLocalDial says that the dialplan behind the Local endpoint local
// ("Local/1108@agents-sip") runs Dial(device,timeout) ("PJSIP/agent-sip", 15 s).
// Originating local with app= then rings device as its own channel, scripted
// with SetDevice: its events reach the applications subscribed to device's
// endpoint, the ;2 half sets Dial()'s variables (DIALSTATUS, RINGTIME, ...),
// and both the Local and the dialled device report their states. An empty
// device removes the rule.
func (s *Server) SetLocalDial(local, device string, timeout time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if device == "" {
		delete(s.localDials, local)
		return
	}
	s.localDials[local] = localDial{device: device, timeout: timeout}
}

// dialStartVars are the variables Dial() clears on its channel before dialling.
var dialStartVars = []string{"DIALSTATUS", "DIALEDPEERNUMBER", "DIALEDPEERNAME", "ANSWEREDTIME", "ANSWEREDTIME_MS",
	"DIALEDTIME", "DIALEDTIME_MS", "RINGTIME", "RINGTIME_MS", "PROGRESSTIME", "PROGRESSTIME_MS"}

func dialAppData(ld localDial) string {
	if ld.timeout <= 0 {
		return ld.device
	}
	return ld.device + "," + strconv.Itoa(int(ld.timeout/time.Second))
}

func wholeSeconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
func millis(d time.Duration) string       { return strconv.FormatInt(d.Milliseconds(), 10) }

// startLocalDial runs Dial(device) on the ;2 half of an originated agent leg.
func (s *Server) startLocalDial(leg *channel, ld localDial) {
	o := leg.other
	o.dialStart = time.Now()
	s.evDialplan(o, "Dial", dialAppData(ld))
	for _, v := range dialStartVars {
		s.evVarset(o, v, "")
	}
	tech, res, _ := strings.Cut(ld.device, "/")
	b := s.deviceFor(&channel{tech: tech, resource: res})
	switch b.Action {
	case Unavailable, Congestion:
		// The channel driver refuses the request: no channel is made.
		status, cause := "CHANUNAVAIL", 20
		if b.Action == Congestion {
			status, cause = "CONGESTION", 34
		}
		s.evVarset(o, "DIALSTATUS", status)
		s.failLeg(leg, status, cause)
		return
	}
	exten, _ := localParts(leg.resource)
	ph := s.newChannel(newChannelSpec{tech: tech, resource: res, state: "Down",
		dialplan: dialplanJSON{Context: "default", Exten: "s", Priority: 1}, role: roleDialled}, s.nextNameSeq())
	ph.sip = tech == "PJSIP" || tech == "SIP"
	if ph.sip {
		ph.protocolID = s.newUUID() // the INVITE's Call-ID
	}
	ph.dialer, o.dialled = o, ph
	ph.ring = &ringing{dialstring: res, timeout: ld.timeout}
	s.evVarset(ph, "DIALEDPEERNUMBER", res)
	// The device is called with the caller's name and the dialled extension.
	ph.caller = callerIDJSON{Name: o.caller.Name, Number: exten}
	ph.connected = o.caller
	ph.dialplan = dialplanJSON{Context: "default", Exten: exten, Priority: 1}
	s.evDialplan(ph, "AppDial", "(Outgoing Line)")
	s.evCallerID(ph)
	s.evConnectedLine(ph)
	s.evDialFrom(o, ph, "", res)
	o.connected = ph.caller
	s.evConnectedLine(o)

	switch b.Action {
	case Answer:
		if b.After <= 0 {
			s.later(ph, s.opts.AnswerDelay, func() { s.dialledAnswers(ph, b) })
		} else {
			s.dialledRings(ph)
			s.later(ph, b.After, func() { s.dialledAnswers(ph, b) })
		}
	case NoAnswer:
		s.dialledRings(ph)
	case Reject:
		s.dialledRings(ph)
		s.later(ph, b.After, func() { s.dialledFails(ph, "BUSY", 17) })
	case Busy:
		s.later(ph, b.After, func() { s.dialledFails(ph, "BUSY", 17) })
	}
	if ld.timeout > 0 {
		s.later(ph, ld.timeout, func() { s.dialledFails(ph, "NOANSWER", 19) })
	}
	if r := leg.ring; r != nil && r.timeout > 0 {
		s.later(leg, r.timeout, func() { s.ringTimeout(leg) })
	}
}

// dialledRings: the device rings (180). The indication reaches the
// originated ;1 half through the Local pair, which takes the device's caller id.
func (s *Server) dialledRings(ph *channel) {
	o := ph.dialer
	leg := o.other
	s.evState(ph, "Ringing")
	if leg != nil && !leg.gone {
		s.evState(leg, "Ringing")
		leg.caller = ph.caller
		s.evCallerID(leg)
	}
	rang := time.Since(o.dialStart)
	s.evVarset(o, "RINGTIME", wholeSeconds(rang))
	s.evVarset(o, "RINGTIME_MS", millis(rang))
	s.evDialFrom(o, ph, "RINGING", "")
	if leg != nil && !leg.gone && leg.ring != nil {
		s.evDial(leg, "RINGING", leg.ring.dialstring)
	}
	s.updateDevice(ph)
	if leg != nil && !leg.gone {
		s.updateDevice(leg)
	}
}

// dialledAnswers: the device answers, Dial() answers the ;2 half and bridges
// it with the device, and the originated ;1 half enters the application.
func (s *Server) dialledAnswers(ph *channel, b DeviceBehavior) {
	o := ph.dialer
	leg := o.other
	if ph.ring == nil || ph.ring.answered || leg == nil || leg.gone {
		return
	}
	ph.ring.answered = true
	s.stopChannelTimers(ph)
	// Asterisk works device states out on a task processor of its own, so
	// their events overtake channel events: in device-state.jsonl the
	// device's INUSE and the Local device's INUSE for the answering ;2 half
	// (lines 33-34) come before the device's ChannelStateChange Up (35).
	ph.state = "Up"
	s.updateDevice(ph)
	s.announceDevice(leg.endpointName())
	s.evState(ph, "Up")
	o.answeredAt = time.Now()
	s.evVarset(o, "DIALSTATUS", "ANSWER")
	s.evVarset(o, "DIALEDPEERNAME", ph.name)
	s.evVarset(o, "DIALEDPEERNUMBER", ph.resource)
	ph.dialplan.Exten = ""
	s.evDialFrom(o, ph, "ANSWER", "")
	s.evState(o, "Up")
	s.evDialplan(ph, "AppDial", "(Outgoing Line)")
	r := leg.ring
	r.answered = true
	s.stopChannelTimers(leg)
	s.evState(leg, "Up")
	s.evDial(leg, "ANSWER", r.dialstring)
	if !s.answeredIntoStasis(leg, r) {
		return
	}
	s.updateDevice(leg)
	s.evVarset(ph, "BRIDGEPEER", o.name)
	s.evVarset(o, "BRIDGEPEER", ph.name)
	if ph.sip {
		s.evVarset(o, "BRIDGEPVTCALLID", ph.protocolID)
	}
	if b.TalkFor > 0 {
		s.later(ph, b.TalkFor, func() { s.dialledHangsUp(ph, nil, false) })
	}
}

// dialledFails: the device declines or Dial() times out. Dial() returns with
// status, the ;2 half's dialplan ends and the originate fails with cause.
func (s *Server) dialledFails(ph *channel, status string, cause int) {
	o := ph.dialer
	if ph.ring == nil || ph.ring.answered {
		return
	}
	ph.ring.answered = true
	s.stopChannelTimers(ph)
	s.evDialFrom(o, ph, status, "")
	o.dialled = nil
	s.evDestroyed(ph, cause)
	s.evVarset(o, "DIALSTATUS", status)
	if leg := o.other; leg != nil && !leg.gone {
		s.failLeg(leg, status, cause)
	}
}

// dialledHangsUp: a call the device answered ends on its side: a BYE (no
// cause) or an ARI hangup of the device's channel (cause 32, soft).
func (s *Server) dialledHangsUp(ph *channel, cause *int, soft bool) {
	o := ph.dialer
	if ph.sip {
		s.rtpStatistics(ph)
	}
	s.evHangupRequest(ph, cause, soft)
	s.dialReturns(o)
	o.dialled = nil
	s.evDestroyed(ph, 16)
	if leg := o.other; leg != nil && !leg.gone {
		s.remoteHangup(leg, 16)
	}
}

// dialReturns: the bridge Dial() made is torn down and Dial() sets its
// timings on the ;2 half (device-state.jsonl lines 57-64).
func (s *Server) dialReturns(o *channel) {
	ph := o.dialled
	if ph == nil || ph.ring == nil || !ph.ring.answered || o.answeredAt.IsZero() {
		return
	}
	s.evVarset(o, "BRIDGEPEER", "")
	if ph.sip {
		s.evVarset(o, "BRIDGEPVTCALLID", "")
	}
	s.evVarset(ph, "BRIDGEPEER", "")
	talked, dialled := time.Since(o.answeredAt), time.Since(o.dialStart)
	s.evVarset(o, "ANSWEREDTIME", wholeSeconds(talked))
	s.evVarset(o, "ANSWEREDTIME_MS", millis(talked))
	s.evVarset(o, "DIALEDTIME", wholeSeconds(dialled))
	s.evVarset(o, "DIALEDTIME_MS", millis(dialled))
	s.evVarset(o, "DIALSTATUS", "ANSWER")
	o.answeredAt = time.Time{}
}

// endDialled hangs up the device a gone ;2 half had dialled: an answered
// device after its RTP statistics, a ringing one cancelled.
func (s *Server) endDialled(ph *channel) {
	if ph.gone {
		return
	}
	if ph.ring != nil && ph.ring.answered {
		if ph.sip {
			s.rtpStatistics(ph)
		}
		s.evDestroyed(ph, 16)
		return
	}
	ph.ring = nil
	if o := ph.dialer; o != nil {
		s.evDialFrom(o, ph, "CANCEL", "")
	}
	s.evDestroyed(ph, 16)
}

// evDialFrom is a Dial event with a caller: it reaches the applications
// hearing either channel, as Asterisk publishes it to both channels' topics.
func (s *Server) evDialFrom(caller, peer *channel, status, dialstring string) {
	apps := s.channelApps(peer)
	for a := range s.channelApps(caller) {
		apps[a] = true
	}
	if len(apps) == 0 && !s.anySubscribeAll() {
		return
	}
	cj := caller.json()
	s.send(apps, &dialEvent{eventBase: base("Dial", time.Now()), Caller: &cj, Peer: peer.json(), Dialstring: dialstring, Dialstatus: status})
}
