package aritest

import (
	"fmt"
	"time"
)

type blindTransferEvent struct {
	eventBase
	Channel        channelJSON  `json:"channel"`
	ReplaceChannel *channelJSON `json:"replace_channel,omitempty"`
	Transferee     *channelJSON `json:"transferee,omitempty"`
	Exten          string       `json:"exten"`
	Context        string       `json:"context"`
	Result         string       `json:"result"`
	IsExternal     bool         `json:"is_external"`
	Bridge         *bridgeJSON  `json:"bridge,omitempty"`
}

type stasisStartReplaceEvent struct {
	eventBase
	Args           []string     `json:"args"`
	Channel        channelJSON  `json:"channel"`
	ReplaceChannel *channelJSON `json:"replace_channel,omitempty"`
}

// BlindTransfer is the phone on channel id blind-transferring its bridge
// peer to exten@context with a SIP REFER, as Asterisk 20/22 carries it out
// for a Stasis bridge. A Stasis bridge has AST_BRIDGE_FLAG_TRANSFER_BRIDGE_ONLY
// (stasis_app_bridge_create), so ast_bridge_transfer_blind moves the whole
// bridge (blind_transfer_bridge): a Local/exten@context channel is imparted
// in place of the transferer, its ;2 half runs the dialplan, and the
// transferee stays in the bridge, now talking to that Local ;1. In order:
//
//   - BridgeBlindTransfer: channel the transferer, transferee its peer,
//     replace_channel the Local ;1, result Success, is_external true (REFER);
//   - StasisStart of the Local ;1 with replace_channel the transferer
//     (bridge_stasis_push_peek copies the transferer's application, and the
//     channel runs Stasis() before it joins);
//   - ChannelEnteredBridge of the Local ;1, ChannelLeftBridge of the
//     transferer (the swap);
//   - the transferer's phone hanging up after the NOTIFY: hangup request,
//     StasisEnd, ChannelDestroyed.
//
// It returns the Local ;1's id. The transferer must be in a mixing bridge
// with exactly one other channel.
func (s *Server) BlindTransfer(id, exten, context string) (string, error) {
	s.mu.Lock()
	ch := s.channels[id]
	switch {
	case ch == nil || ch.gone:
		s.mu.Unlock()
		return "", fmt.Errorf("blind transfer from %s: no such channel", id)
	case ch.bridge == nil || len(ch.bridge.channels) != 2 || ch.stasisApp == "":
		s.mu.Unlock()
		return "", fmt.Errorf("blind transfer from %s: not in a two-party Stasis bridge", id)
	}
	b := ch.bridge
	peer := b.channels[0]
	if peer == ch {
		peer = b.channels[1]
	}
	seq := s.nextNameSeq()
	dp := dialplanJSON{Context: context, Exten: exten, Priority: 1}
	local := s.newChannel(newChannelSpec{tech: "Local", resource: exten + "@" + context, nameSuffix: ";1", state: "Up",
		caller: ch.caller, dialplan: dp, role: roleAgent}, seq)
	// Its ;2 half runs exten@context outside any application: nothing of
	// it reaches the application, so the fake does not model it.

	transferer, transferee, replacement, bj := ch.json(), peer.json(), local.json(), b.json()
	apps := s.channelApps(ch)
	for a := range s.channelApps(peer) {
		apps[a] = true
	}
	for name, app := range s.apps {
		if app.bridges[b.id] {
			apps[name] = true
		}
	}
	s.send(apps, &blindTransferEvent{eventBase: base("BridgeBlindTransfer", time.Now()), Channel: transferer,
		ReplaceChannel: &replacement, Transferee: &transferee, Exten: exten, Context: context,
		Result: "Success", IsExternal: true, Bridge: &bj})

	app := ch.stasisApp
	local.stasisApp = app
	local.args = nil
	local.watchers[app] = true
	s.emitChannel(local, &stasisStartReplaceEvent{eventBase: base("StasisStart", time.Now()), Args: []string{},
		Channel: local.json(), ReplaceChannel: &transferer})

	local.bridge = b
	b.channels = append(b.channels, local)
	s.emitBridgeChannel(b, local, "ChannelEnteredBridge")
	s.leaveBridge(ch, false)
	s.evVarset(peer, "BRIDGEPEER", local.name)
	s.evVarset(local, "BRIDGEPEER", peer.name)

	s.remoteHangup(ch, 16)
	waits := s.flushMarksLocked()
	s.mu.Unlock()
	waitFlushed(waits, 5*time.Second)
	return local.id, nil
}
