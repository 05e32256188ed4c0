package aritest

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *Server) routeChannels(m string, seg []string, p params) reply {
	if len(seg) == 0 {
		switch m {
		case http.MethodGet:
			return okReply(s.listChannels())
		case http.MethodPost:
			return s.originate("", p)
		}
		return errReply(http.StatusMethodNotAllowed, "Method not allowed")
	}
	if seg[0] == "create" && len(seg) == 1 && m == http.MethodPost {
		return s.createChannel(p)
	}
	id := seg[0]
	if len(seg) == 1 {
		switch m {
		case http.MethodGet:
			ch := s.channels[id]
			if ch == nil {
				return errReply(404, "Channel not found")
			}
			return okReply(ch.json())
		case http.MethodPost:
			return s.originate(id, p)
		case http.MethodDelete:
			return s.hangupRoute(id, p)
		}
		return errReply(http.StatusMethodNotAllowed, "Method not allowed")
	}
	op := seg[1]
	switch {
	case op == "variable" && m == http.MethodGet:
		return s.getVariable(id, p)
	case op == "variable" && m == http.MethodPost:
		return s.setVariable(id, p)
	case op == "dial" && m == http.MethodPost:
		return s.dialRoute(id, p)
	case op == "snoop" && m == http.MethodPost:
		snoopID := p.get("snoopId")
		if len(seg) == 3 {
			snoopID = seg[2]
		}
		return s.snoop(id, snoopID, p)
	case op == "play" && m == http.MethodPost:
		pbID := p.get("playbackId")
		if len(seg) == 3 {
			pbID = seg[2]
		}
		ch, rep, ok := s.control(id, true)
		if !ok {
			return rep
		}
		return s.play("channel:"+ch.id, pbID, p)
	}
	ch, rep, ok := s.control(id, op != "ring" || m != http.MethodDelete)
	if !ok {
		return rep
	}
	switch {
	case op == "answer" && m == http.MethodPost:
		if ch.state != "Up" {
			s.evState(ch, "Up")
			if ph := ch.other; ph != nil && ph.role == rolePhone {
				ph.state = "Up"
				// The ;1 half now runs its own dialplan: when that is a
				// Stasis context too, the call enters the app twice.
				if app, ok := s.stasisContexts[ph.phoneCtx]; ok {
					ph.dialplan = dialplanJSON{Context: ph.phoneCtx, Exten: ph.phoneExten, Priority: 1}
					s.callerEntersStasis(ph, app, []string{ph.phoneExten}, nil)
				}
			}
			s.updateDevice(ch)
		}
		return noContent
	case op == "ring" && (m == http.MethodPost || m == http.MethodDelete):
		return noContent
	case op == "moh" && m == http.MethodPost:
		ch.moh = p.get("mohClass")
		if ch.moh == "" {
			ch.moh = "default"
		}
		return noContent
	case op == "moh" && m == http.MethodDelete:
		ch.moh = ""
		return noContent
	case op == "continue" && m == http.MethodPost:
		return s.continueRoute(ch, p)
	case op == "redirect" && m == http.MethodPost:
		ep := p.get("endpoint")
		if ep == "" {
			return errReply(400, "Required parameter 'endpoint' not provided.")
		}
		tech, res, found := strings.Cut(ep, "/")
		if !found || tech == "" || res == "" {
			return errReply(422, "Endpoint parameter '"+ep+"' does not contain tech/resource")
		}
		if !strings.EqualFold(tech, ch.tech) {
			return errReply(422, "Endpoint technology '"+tech+"' does not match channel technology '"+ch.tech+"'")
		}
		s.leaveStasis(ch)
		s.finishCall(ch, false)
		s.removePair(ch)
		return noContent
	}
	return errReply(http.StatusNotFound, "Resource not found")
}

// control finds a channel that is in Stasis, with Asterisk's 404/409/412.
func (s *Server) control(id string, checkState bool) (*channel, reply, bool) {
	ch := s.channels[id]
	if ch == nil {
		return nil, errReply(404, "Channel not found"), false
	}
	if ch.stasisApp == "" {
		return nil, errReply(409, "Channel not in Stasis application"), false
	}
	if checkState && (ch.state == "Down" || ch.state == "Ringing") {
		return nil, errReply(412, "Channel in invalid state"), false
	}
	return ch, reply{}, true
}

func (s *Server) listChannels() []channelJSON {
	chans := make([]*channel, 0, len(s.channels))
	for _, ch := range s.channels {
		chans = append(chans, ch)
	}
	sort.Slice(chans, func(i, j int) bool { return chans[i].id < chans[j].id })
	out := make([]channelJSON, len(chans))
	for i, ch := range chans {
		out[i] = ch.json()
	}
	return out
}

type originateArgs struct {
	endpoint, tech, resource string
	app                      string
	args                     []string
	caller                   callerIDJSON
	callerSet                bool
	timeout                  time.Duration
	id, otherID              string
	context, exten           string
	priority                 int
	vars                     map[string]string
}

func splitArgs(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func (s *Server) parseOriginate(id string, p params, create bool) (originateArgs, reply, bool) {
	a := originateArgs{endpoint: p.get("endpoint"), app: p.get("app"), args: splitArgs(p.get("appArgs")),
		id: id, otherID: p.get("otherChannelId"), context: p.get("context"), exten: p.get("extension"), vars: p.vars}
	if a.id == "" {
		a.id = p.get("channelId")
	}
	if a.endpoint == "" {
		return a, errReply(400, "Endpoint must be specified"), false
	}
	tech, res, ok := strings.Cut(a.endpoint, "/")
	if !ok || tech == "" || res == "" {
		return a, errReply(400, "Endpoint must be specified as tech/resource"), false
	}
	a.tech, a.resource = tech, res
	if create && a.app == "" {
		return a, errReply(400, "Missing parameter app"), false
	}
	if !create && a.app == "" && a.exten == "" {
		return a, errReply(400, "Application or extension must be specified"), false
	}
	pri, err := p.int("priority", 1)
	if err != nil {
		return a, errReply(400, "Invalid priority"), false
	}
	a.priority = pri
	to, err := p.int("timeout", 30)
	if err != nil {
		return a, errReply(400, "Invalid timeout"), false
	}
	if to > 0 {
		a.timeout = time.Duration(to) * time.Second
	}
	if p.has("callerId") {
		a.caller = parseCallerID(p.get("callerId"))
		a.callerSet = a.caller != (callerIDJSON{})
	}
	if a.id != "" && a.otherID == "" && tech == "Local" {
		a.otherID = a.id + ";2"
	}
	if a.id != "" && s.idClash(a.id) {
		return a, errReply(409, "Channel with given unique ID already exists"), false
	}
	if a.otherID != "" && s.idClash(a.otherID, a.id) {
		return a, errReply(409, "Channel with given unique ID already exists"), false
	}
	return a, reply{}, true
}

func localParts(resource string) (exten, ctx string) {
	exten, ctx, ok := strings.Cut(resource, "@")
	if !ok {
		ctx = "default"
	}
	if i := strings.Index(ctx, "/"); i >= 0 { // Local/x@ctx/n options
		ctx = ctx[:i]
	}
	return exten, ctx
}

// originate is POST /channels and POST /channels/{channelId}.
func (s *Server) originate(id string, p params) reply {
	a, rep, ok := s.parseOriginate(id, p, false)
	if !ok {
		return rep
	}
	if a.app == "" {
		ch := s.originateToDialplan(a)
		return okReply(ch)
	}
	seq := s.nextNameSeq()
	var leg *channel
	if a.tech == "Local" {
		exten, ctx := localParts(a.resource)
		leg = s.newChannel(newChannelSpec{id: a.id, tech: "Local", resource: a.resource, nameSuffix: ";1", state: "Down", caller: a.caller,
			dialplan: dialplanJSON{Context: ctx, Exten: exten, Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}, role: roleAgent}, seq)
		other := s.newChannel(newChannelSpec{id: a.otherID, tech: "Local", resource: a.resource, nameSuffix: ";2", state: "Ring", caller: a.caller,
			dialplan: dialplanJSON{Context: ctx, Exten: exten, Priority: 1}, role: roleAgentOther}, seq)
		leg.other, other.other = other, leg
		other.watchers[a.app] = true
	} else {
		leg = s.newChannel(newChannelSpec{id: a.id, tech: a.tech, resource: a.resource, state: "Down", caller: a.caller,
			dialplan: dialplanJSON{Context: "default", Exten: "s", Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}, role: roleAgent}, seq)
		leg.sip = a.tech == "PJSIP" || a.tech == "SIP"
	}
	leg.watchers[a.app] = true
	for k, v := range a.vars {
		leg.vars[k] = v
	}
	snapshot := leg.json()
	dialstring := a.resource
	leg.ring = &ringing{app: a.app, args: a.args, dialstring: dialstring, timeout: a.timeout}
	if leg.other != nil && a.callerSet {
		s.evCallerID(leg.other)
		s.evConnectedLine(leg.other)
	}
	s.evDial(leg, "", dialstring)
	if ld, ok := s.localDials[leg.endpointName()]; ok && leg.other != nil {
		s.startLocalDial(leg, ld)
		return okReply(snapshot)
	}
	if leg.tech != "Local" {
		// A Local device is first heard of when its ;1 half rings or
		// answers (device-state.jsonl), not when it is created.
		s.updateDevice(leg)
	}
	s.startDevice(leg)
	return okReply(snapshot)
}

// originateToDialplan originates a channel whose far half runs the dialplan:
// with a Local endpoint the ;2 half runs exten@context, which enters Stasis
// when the context was set with SetStasisContext.
func (s *Server) originateToDialplan(a originateArgs) channelJSON {
	seq := s.nextNameSeq()
	if a.tech != "Local" {
		leg := s.newChannel(newChannelSpec{id: a.id, tech: a.tech, resource: a.resource, state: "Down", caller: a.caller,
			dialplan: dialplanJSON{Context: a.context, Exten: a.exten, Priority: a.priority}, role: rolePlain}, seq)
		snapshot := leg.json()
		s.later(leg, s.opts.AnswerDelay, func() { leg.state = "Up" })
		return snapshot
	}
	exten, ctx := localParts(a.resource)
	phone := s.newChannel(newChannelSpec{id: a.id, tech: "Local", resource: a.resource, nameSuffix: ";1", state: "Down", caller: a.caller,
		dialplan: dialplanJSON{Context: ctx, Exten: exten, Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}, role: rolePhone}, seq)
	half := s.newChannel(newChannelSpec{id: a.otherID, tech: "Local", resource: a.resource, nameSuffix: ";2", state: "Ring", caller: a.caller,
		dialplan: dialplanJSON{Context: ctx, Exten: exten, Priority: 1}, role: rolePlain}, seq)
	phone.other, half.other = half, phone
	snapshot := phone.json()
	phoneCtx, phoneExten := a.context, a.exten
	phone.phoneCtx, phone.phoneExten = phoneCtx, phoneExten
	if app, ok := s.stasisContexts[ctx]; ok {
		s.callerEntersStasis(half, app, []string{exten}, nil)
		phone.dialplan = dialplanJSON{Context: phoneCtx, Exten: phoneExten, Priority: 2, AppName: "Wait", AppData: "600"}
	} else {
		s.later(half, s.opts.AnswerDelay, func() {
			half.state, phone.state = "Up", "Up"
			phone.dialplan = dialplanJSON{Context: phoneCtx, Exten: phoneExten, Priority: 2, AppName: "Wait", AppData: "600"}
		})
	}
	return snapshot
}

// callerEntersStasis runs Stasis(app,args) on a dialplan channel. With no
// websocket for app, Stasis() fails and the dialplan goes on: no events.
func (s *Server) callerEntersStasis(ch *channel, app string, args []string, call *Call) {
	ch.call = call
	ch.dialplan.Priority = 2
	ch.dialplan.AppName, ch.dialplan.AppData = "Stasis", stasisData(app, args)
	if !s.appConnected(app) {
		ch.vars["STASISSTATUS"] = "FAILED"
		ch.dialplan.Priority = 3
		ch.dialplan.AppName, ch.dialplan.AppData = "", ""
		s.finishCall(ch, false)
		// The fallback dialplan ends the call a little later.
		s.later(ch, s.opts.AnswerDelay, func() { s.removePair(ch) })
		return
	}
	ch.role = roleCaller
	s.enterStasis(ch, app, args)
}

// createChannel is POST /channels/create: in Stasis at once, state Down, and
// nothing ever heard from a Local channel's ;2 half.
func (s *Server) createChannel(p params) reply {
	a, rep, ok := s.parseOriginate("", p, true)
	if !ok {
		return rep
	}
	seq := s.nextNameSeq()
	var leg *channel
	if a.tech == "Local" {
		exten, ctx := localParts(a.resource)
		leg = s.newChannel(newChannelSpec{id: a.id, tech: "Local", resource: a.resource, nameSuffix: ";1", state: "Down",
			dialplan: dialplanJSON{Context: ctx, Exten: exten, Priority: 1}, role: roleCreated}, seq)
		other := s.newChannel(newChannelSpec{id: a.otherID, tech: "Local", resource: a.resource, nameSuffix: ";2", state: "Down",
			dialplan: dialplanJSON{Context: ctx, Exten: exten, Priority: 1}, role: roleAgentOther}, seq)
		other.silent = true
		leg.other, other.other = other, leg
	} else {
		leg = s.newChannel(newChannelSpec{id: a.id, tech: a.tech, resource: a.resource, state: "Down",
			dialplan: dialplanJSON{Context: "default", Exten: "s", Priority: 1}, role: roleCreated}, seq)
		leg.sip = a.tech == "PJSIP" || a.tech == "SIP"
	}
	for k, v := range a.vars {
		leg.vars[k] = v
	}
	leg.watchers[a.app] = true
	s.evDialplan(leg, "Stasis", stasisData(a.app, a.args))
	s.evVarset(leg, "STASISSTATUS", "")
	s.enterStasis(leg, a.app, a.args)
	return okReply(leg.json())
}

// dialRoute is POST /channels/{id}/dial on a created channel.
func (s *Server) dialRoute(id string, p params) reply {
	ch := s.channels[id]
	if ch == nil {
		return errReply(404, "Channel not found")
	}
	if ch.stasisApp == "" {
		return errReply(409, "Channel not in Stasis application")
	}
	if ch.role != roleCreated || ch.ring != nil {
		return errReply(409, "Channel is not in the 'Down' state")
	}
	if c := p.get("caller"); c != "" && s.channels[c] == nil {
		return errReply(404, "Caller channel not found")
	}
	to, err := p.int("timeout", 0)
	if err != nil {
		return errReply(400, "Invalid timeout")
	}
	r := &ringing{app: ch.stasisApp, args: ch.args, dialstring: ch.resource, created: true}
	if to > 0 {
		r.timeout = time.Duration(to) * time.Second
	}
	ch.ring = r
	s.evDial(ch, "", ch.resource)
	s.updateDevice(ch)
	s.startDevice(ch)
	return noContent
}

// hangupRoute is DELETE /channels/{id}.
func (s *Server) hangupRoute(id string, p params) reply {
	ch := s.channels[id]
	if ch == nil {
		return errReply(404, "Channel not found")
	}
	cause := 16
	if rc := p.get("reason_code"); rc != "" {
		n, err := strconv.Atoi(rc)
		if err != nil {
			return errReply(400, "Invalid reason_code for hangup provided")
		}
		cause = n
	} else if r := p.get("reason"); r != "" {
		c, ok := hangupCause(r)
		if !ok {
			return errReply(400, "Invalid reason for hangup provided")
		}
		cause = c
	}
	s.hangupByARI(ch, cause)
	return noContent
}

func (s *Server) hangupByARI(ch *channel, cause int) {
	switch {
	case ch.role == roleDialled && ch.dialer != nil:
		// The app hangs up the device a Local agent's Dial() rang: for
		// Dial() that is the device hanging up or declining.
		if ch.ring != nil && ch.ring.answered {
			s.dialledHangsUp(ch, intp(32), true)
		} else {
			s.evHangupRequest(ch, intp(32), true)
			s.dialledFails(ch, dialStatusFor(cause), cause)
		}
	case ch.ring != nil && !ch.ring.answered:
		r := ch.ring
		s.stopChannelTimers(ch)
		r.answered = true // no further device action
		s.evHangupRequest(ch, intp(32), true)
		s.endRingingLeg(ch, r, dialStatusFor(cause), cause, true)
	case ch.role == rolePhone:
		// The caller's phone hangs up: its ;2 half sees cause 16.
		if half := ch.other; half != nil && half.stasisApp != "" {
			s.callerHangup(half)
		}
		s.removePair(ch)
	case ch.stasisApp != "":
		if ch.sip && ch.state == "Up" {
			// A SIP channel's RTP statistics are set as it hangs up.
			s.rtpStatistics(ch)
		}
		localAgent := ch.role == roleAgent && ch.tech == "Local"
		if localAgent {
			// The hangup detaches the ;1 half from its Local device at
			// once, and its device state is announced ahead of the channel
			// events: device-state.jsonl lines 50-52 (NOT_INUSE, hangup
			// request, NOT_INUSE again for the ;2 half going).
			ch.hangingUp = true
			s.announceDevice(ch.endpointName())
		}
		s.evHangupRequest(ch, intp(32), true)
		if localAgent {
			s.announceDevice(ch.endpointName())
		}
		s.leaveStasis(ch)
		switch ch.role {
		case roleCaller:
			s.finishCall(ch, true)
			if o := ch.other; o != nil && o.stasisApp != "" {
				// Both halves of one call were in the app; the far one hears the hangup.
				s.callerHangup(o)
			}
			s.removePair(ch)
		case roleAgent:
			s.evVarset(ch, "STASISSTATUS", "SUCCESS")
			if o := ch.other; o != nil && !o.silent {
				s.evHangupRequest(o, intp(16), false)
				s.evDestroyed(ch, cause)
				s.dialReturns(o)
				s.evHangupRequest(o, intp(16), true)
				s.evDestroyed(o, cause)
				return
			}
			s.evDestroyed(ch, cause)
		default:
			s.evVarset(ch, "STASISSTATUS", "SUCCESS")
			s.destroyPair(ch, cause)
		}
	case ch.role == roleAgentOther && ch.other != nil && ch.other.stasisApp != "":
		s.evHangupRequest(ch, intp(32), true)
		s.remoteHangup(ch.other, 16)
	default:
		s.evHangupRequest(ch, intp(32), true)
		if len(s.channelApps(ch)) > 0 {
			s.destroyPair(ch, cause)
		} else {
			s.removePair(ch)
		}
	}
}

// callerHangup: a dialplan caller's far end hangs up (cause 16, no soft).
func (s *Server) callerHangup(ch *channel) {
	if ch.sip {
		s.sipBye(ch)
		return
	}
	s.evHangupRequest(ch, intp(16), false)
	s.leaveStasis(ch)
	s.finishCall(ch, true)
}

func (s *Server) continueRoute(ch *channel, p params) reply {
	ctx, exten, label := p.get("context"), p.get("extension"), p.get("label")
	pri, err := p.int("priority", 0)
	if err != nil {
		return errReply(400, "Invalid priority")
	}
	if ctx == "" {
		ctx = ch.dialplan.Context
		if exten == "" {
			exten = ch.dialplan.Exten
		}
	} else if exten == "" {
		exten = "s"
	}
	switch {
	case label != "":
		n, err := strconv.Atoi(label)
		if err != nil {
			return errReply(404, "Requested label can not be found")
		}
		pri = n
	case pri != 0:
	case p.get("context") == "" && p.get("extension") == "":
		pri = ch.dialplan.Priority + 1
	default:
		pri = 1
	}
	s.leaveStasis(ch)
	ch.vars["STASISSTATUS"] = "SUCCESS"
	ch.dialplan = dialplanJSON{Context: ctx, Exten: exten, Priority: pri}
	switch ch.role {
	case roleCaller:
		s.finishCall(ch, false)
		// The caller runs on in the dialplan, unheard, and is gone soon after.
		s.removePair(ch)
	default:
		s.evVarset(ch, "STASISSTATUS", "SUCCESS")
	}
	return noContent
}

func (s *Server) getVariable(id string, p params) reply {
	ch := s.channels[id]
	if ch == nil {
		return errReply(404, "Channel not found")
	}
	name := p.get("variable")
	if name == "" {
		return errReply(400, "Variable name is required")
	}
	switch name {
	case "CHANNEL(name)":
		return okReply(variableJSON{Value: ch.name})
	case "CHANNEL(state)":
		return okReply(variableJSON{Value: ch.state})
	}
	v, ok := ch.vars[name]
	if !ok {
		return errReply(404, "Provided variable was not found")
	}
	return okReply(variableJSON{Value: v})
}

func (s *Server) setVariable(id string, p params) reply {
	ch, rep, ok := s.control(id, false)
	if !ok {
		return rep
	}
	name := p.get("variable")
	if name == "" {
		return errReply(400, "Variable name is required")
	}
	s.evVarset(ch, name, p.get("value"))
	return noContent
}

func (s *Server) snoop(id, snoopID string, p params) reply {
	ch, rep, ok := s.control(id, false)
	if !ok {
		return rep
	}
	app := p.get("app")
	if app == "" {
		return errReply(400, "Missing parameter app")
	}
	for _, k := range []string{"spy", "whisper"} {
		switch p.get(k) {
		case "", "none", "both", "out", "in":
		default:
			return errReply(400, "Invalid direction specified for "+k)
		}
	}
	if snoopID != "" && s.idClash(snoopID) {
		return errReply(409, "Channel with given unique ID already exists")
	}
	sn := s.newChannel(newChannelSpec{id: snoopID, tech: "Snoop", resource: ch.id, state: "Up",
		dialplan: dialplanJSON{Context: "default", Exten: "s", Priority: 1}, role: roleSnoop}, s.nextNameSeq())
	args := splitArgs(p.get("appArgs"))
	sn.dialplan.AppName, sn.dialplan.AppData = "Stasis", stasisData(app, args)
	s.enterStasis(sn, app, args)
	return okReply(sn.json())
}
