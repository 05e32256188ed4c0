// Package aritest is an in-process fake Asterisk speaking ARI over real HTTP
// and websockets, with scripted simulated devices, for tests, benchmarks and
// the demo. It reproduces what a real Asterisk 22 does, awkward parts included
// (events before the REST reply, Local channel halves, hangup causes).
//
// The package does not share types with package ari on purpose: its JSON is
// written from Asterisk's api-docs and the transcripts in ari/testdata, and its
// tests replay those transcripts, so a disagreement between the client and
// Asterisk shows up as a failing test rather than a shared mistake. It is
// also held to a live Asterisk 22: cmd/stasisq's TestFakeMatchesAsterisk
// runs stasisq's paired scenarios on it and compares, channel by channel,
// the events stasisq receives with those recorded from the real one.
//
// What it models:
//   - Callers: Server.Call puts a caller into Stasis(app, args...) the way the
//     dialplan does (a Local pair whose ;2 half enters, or a PJSIP channel);
//     POST /channels with context/extension does the same for a Local endpoint
//     whose context was named with SetStasisContext. With no websocket for the
//     app, Stasis() fails (STASISSTATUS=FAILED) and the dialplan goes on.
//   - Agents: POST /channels with app= (and /channels/create + dial) ring the
//     device scripted with SetDevice (Answer, Busy, NoAnswer, Reject,
//     Unavailable, Congestion, Decline; TalkFor hangs up later). A Local endpoint with
//     no script answers after Options.AnswerDelay; an unknown PJSIP one is
//     unavailable. SetDeviceFunc draws a fresh behaviour for each dial
//     (simulated people), and Call.Bridged tells a caller it was put through.
//   - Bridges (holding and mixing, moves by addChannel, BRIDGEPEER, connected
//     line when it changes), MOH (no events), playbacks (PlaybackFinished "done" even when
//     stopped), variables, continue, redirect, snoop, application
//     subscriptions (channel:, bridge:, endpoint:, deviceState:), device and
//     endpoint states.
//   - A Local agent whose dialplan runs Dial(device) (SetLocalDial): the
//     dialled device is a channel of its own, heard by the applications
//     subscribed to its endpoint (ChannelCreated, Dial with a caller, RTP
//     statistics); the ;2 half sets Dial()'s variables (DIALSTATUS, RINGTIME,
//     BRIDGEPEER, ...) and both devices report their states.
//   - Failure injection (FailNext, DropWebsockets) and introspection
//     (Requests, Events, ChannelIDs, BridgeIDs, DeviceStateOf, MOHClass).
//
// Not modelled: recordings, mailboxes, sounds, external media.
package aritest
