package aritest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// CallSpec describes a caller reaching Stasis(App, Args...) from the dialplan.
type CallSpec struct {
	App          string
	Args         []string
	Number, Name string
	// SIP makes the caller a PJSIP channel instead of a Local channel pair
	// (whose ;1 half is the phone and ;2 half enters Stasis).
	SIP bool
	// Extension is the dialled extension; default the first arg, or "s".
	Extension string
}

// CallResult is what became of a call once it left Stasis.
type CallResult struct {
	HungUp    bool
	Continued bool
	// Vars are the channel variables at that moment (QUEUESTATUS, STASISSTATUS, ...).
	Vars               map[string]string
	Context, Extension string
	Priority           int
	// BridgedWith lists the channels it shared a mixing bridge with, in order.
	BridgedWith []string
}

// Call is a simulated caller.
type Call struct {
	s    *Server
	id   string
	ch   *channel
	done chan struct{}
	// bridged is closed on the first mixing bridge shared with another channel.
	bridged chan struct{}

	mu     sync.Mutex
	ended  bool
	result CallResult
	peers  []string
}

// ID is the id of the channel in Stasis.
func (c *Call) ID() string { return c.id }

// Done is closed when the channel leaves Stasis (continue or hangup), or at
// once when Stasis() failed because the application had no websocket.
func (c *Call) Done() <-chan struct{} { return c.done }

// Bridged is closed the first time the caller's channel is in a mixing
// bridge together with another channel: someone was put through to it (an
// agent answered, as a caller would hear). It stays open when the call ends
// unanswered, so wait on it together with Done. A holding bridge, or a
// mixing bridge the caller is alone in, does not close it.
func (c *Call) Bridged() <-chan struct{} { return c.bridged }

// Result is meaningful once Done is closed.
func (c *Call) Result() CallResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.result
	r.Vars = make(map[string]string, len(c.result.Vars))
	for k, v := range c.result.Vars {
		r.Vars[k] = v
	}
	r.BridgedWith = append([]string(nil), c.peers...)
	return r
}

func (c *Call) addBridged(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.peers) == 0 {
		close(c.bridged)
	}
	c.peers = append(c.peers, id)
}

// Hangup hangs the caller up from its end (cause 16; a SIP BYE has no cause).
func (c *Call) Hangup() {
	s := c.s
	s.mu.Lock()
	ch := c.ch
	if ch.gone || s.closed {
		s.mu.Unlock()
		return
	}
	if ch.stasisApp != "" {
		s.callerHangup(ch)
	}
	s.removePair(ch)
	waits := s.flushMarksLocked()
	s.mu.Unlock()
	waitFlushed(waits, 5*time.Second)
}

// SendDTMF sends one digit from the caller's phone.
func (c *Call) SendDTMF(digit string) {
	c.s.SendDTMF(c.id, digit)
}

// SendDTMF makes channel id receive digit (a ChannelDtmfReceived of 100 ms).
func (s *Server) SendDTMF(id, digit string) {
	s.mu.Lock()
	ch := s.channels[id]
	if ch == nil || s.closed {
		s.mu.Unlock()
		return
	}
	for _, d := range digit {
		s.emitChannel(ch, &dtmfEvent{eventBase: base("ChannelDtmfReceived", time.Now()), Digit: string(d), DurationMs: 100, Channel: ch.json()})
	}
	waits := s.flushMarksLocked()
	s.mu.Unlock()
	waitFlushed(waits, 5*time.Second)
}

// HangupChannel hangs channel id up from the far end, as a phone putting down
// the receiver would (cause 16; no cause for a SIP channel).
func (s *Server) HangupChannel(id string) {
	s.mu.Lock()
	ch := s.channels[id]
	if ch != nil && !s.closed {
		switch {
		case ch.role == roleCaller && ch.stasisApp != "":
			s.callerHangup(ch)
			s.removePair(ch)
		case ch.role == rolePhone:
			s.hangupByARI(ch, 16)
		case ch.ring != nil && !ch.ring.answered:
			s.failLeg(ch, "NOANSWER", 16)
		default:
			s.remoteHangup(ch, 16)
		}
	}
	waits := s.flushMarksLocked()
	s.mu.Unlock()
	waitFlushed(waits, 5*time.Second)
}

// finishCall records what became of a dialplan caller.
func (s *Server) finishCall(ch *channel, hungUp bool) {
	c := ch.call
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.ended = true
	c.result.HungUp = hungUp
	c.result.Continued = !hungUp
	c.result.Vars = make(map[string]string, len(ch.vars))
	for k, v := range ch.vars {
		c.result.Vars[k] = v
	}
	c.result.Context, c.result.Extension, c.result.Priority = ch.dialplan.Context, ch.dialplan.Exten, ch.dialplan.Priority
	close(c.done)
}

// Call makes a caller dial into Stasis. When no websocket serves spec.App,
// Stasis() fails: the call ends at once with STASISSTATUS=FAILED, Continued,
// and no events.
func (s *Server) Call(ctx context.Context, spec CallSpec) (*Call, error) {
	if spec.App == "" {
		return nil, errors.New("call: no application")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("call %s: %w", spec.App, err)
	}
	exten := spec.Extension
	if exten == "" {
		exten = "s"
		if len(spec.Args) > 0 && spec.Args[0] != "" {
			exten = spec.Args[0]
		}
	}
	args := spec.Args
	if args == nil {
		args = []string{}
	}
	caller := callerIDJSON{Name: spec.Name, Number: spec.Number}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("call: server closed")
	}
	seq := s.nextNameSeq()
	c := &Call{s: s, done: make(chan struct{}), bridged: make(chan struct{})}
	var ch *channel
	if spec.SIP {
		user := spec.Number
		if user == "" {
			user = "sipp"
		}
		ch = s.newChannel(newChannelSpec{tech: "PJSIP", resource: sanitizeResource(user), state: "Ring", caller: caller,
			dialplan: dialplanJSON{Context: "from-callers", Exten: exten, Priority: 1}, role: rolePlain}, seq)
		ch.sip = true
		ch.connected = callerIDJSON{} // nothing connected yet on an incoming SIP call
		ch.protocolID = fmt.Sprintf("%d-%d@127.0.0.1", seq, s.epoch)
	} else {
		resource := exten + "@from-callers"
		phone := s.newChannel(newChannelSpec{tech: "Local", resource: resource, nameSuffix: ";1", state: "Down", caller: caller,
			dialplan: dialplanJSON{Context: "from-callers", Exten: exten, Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}, role: rolePhone}, seq)
		ch = s.newChannel(newChannelSpec{tech: "Local", resource: resource, nameSuffix: ";2", state: "Ring", caller: caller,
			dialplan: dialplanJSON{Context: "from-callers", Exten: exten, Priority: 1}, role: rolePlain}, seq)
		phone.other, ch.other = ch, phone
	}
	c.id, c.ch = ch.id, ch
	s.callerEntersStasis(ch, spec.App, args, c)
	waits := s.flushMarksLocked()
	s.mu.Unlock()
	waitFlushed(waits, 5*time.Second)
	return c, nil
}

func sanitizeResource(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' {
			return '_'
		}
		return r
	}, s)
}
