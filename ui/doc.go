// Package ui serves stasisq's web interface: the JSON API, the websocket hub
// that streams live state to agents and supervisors, authentication, and the
// embedded static console.
package ui
