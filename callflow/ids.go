package callflow

import (
	"strings"

	"stasisq/queue"
)

// The ids stasisq gives what it creates in Asterisk. Agent legs are named
// after their offer, so that the leg's first events (which can beat the
// originate's reply) and a later run's reconcile both know whose leg it is:
// "sqa-<offer>-1" is the half that enters Stasis when answered, "-2" the
// half that dials the device. Bridges are "sqb-<run tag>-<n>" (nextID), a
// callback's customer legs "sqk-<run tag>-<n>-1" and "-2" (callback.go),
// with the Stasis arguments "callback,<caller>" that say whose they are.
const (
	agentLegPrefix = "sqa-"
	bridgePrefix   = "sqb-"
)

// AutoAnswerHeader carries a queue's auto-answer seconds to a browser
// phone in the INVITE that rings it.
const AutoAnswerHeader = "X-Stasisq-Answer-After"

// AgentArg is the first Stasis argument of an agent leg we originated:
// appArgs "agent,<offer id>".
const AgentArg = "agent"

// AgentLegIDs are the two halves of the Local channel that rings offer.
func AgentLegIDs(offer queue.OfferID) (inApp, dialing string) {
	return agentLegPrefix + string(offer) + "-1", agentLegPrefix + string(offer) + "-2"
}

// OfferOfAgentLeg is the offer whose ring made channel id, if id is the
// in-application half of one of our agent legs.
func OfferOfAgentLeg(id string) (queue.OfferID, bool) {
	rest, ours := strings.CutPrefix(localOf(id), agentLegPrefix)
	if !ours || !strings.HasSuffix(rest, "-1") {
		return "", false
	}
	return queue.OfferID(strings.TrimSuffix(rest, "-1")), true
}

// IsAgentLeg reports whether id is either half of an agent leg stasisq
// originated, in this run or an earlier one.
func IsAgentLeg(id string) bool { return strings.HasPrefix(localOf(id), agentLegPrefix) }

func ownBridge(id string) bool { return strings.HasPrefix(localOf(id), bridgePrefix) }
