// Package ui serves stasisq's web interface: the JSON API, the websocket hub
// that streams live state to agents and supervisors, authentication, and the
// embedded static console.
//
// Invariants it keeps:
//   - It reaches the rest of stasisq only through the interfaces it declares:
//     Floor (the call flow's loop: snapshot, commands, configuration changes
//     made through Configure so the store and the engine change together)
//     and Directory (the store), with the domain's types. It imports neither.
//   - Every error leaves as JSON through one mapping (toAPIError), from the
//     domain's error kinds to HTTP statuses.
//   - Every state-changing request is authorised here, server-side, by role,
//     and needs the session cookie and its CSRF token; websocket origins are
//     checked. Sessions live in the Directory, so an ended one stays ended;
//     a supervisor's or admin's change is written to the audit log.
//   - A login attempt is charged before the password is checked; nothing is
//     counted per login alone, so nobody can lock another user out.
//   - The hub never asks the loop for anything: the loop pushes its events and
//     a snapshot every second, in order; a client that needs a snapshot gets
//     the latest and the events since. A slow client never slows the others.
package ui
