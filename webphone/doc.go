// Package webphone is the Asterisk side of the console's browser phone: the
// PJSIP endpoint, aor and auth of each agent whose AgentConfig.Phone is
// queue.PhoneBrowser, and the SIP password the agent's console registers
// with.
//
// Invariants: no SIP password is stored anywhere; each is derived from one
// secret (store.DB.PhoneSecret) and the agent's id, so stasisq can push it
// to Asterisk after any restart and hand it to that agent's logged-in
// console alone. The objects are pushed over ARI's dynamic configuration
// (callflow does it on every connection and configuration change) into a
// memory sorcery wizard (asterisk-conf/sorcery.conf): Asterisk loses them
// when it restarts and stasisq puts them back when it reconnects.
package webphone
