// Package httpserver is the HTTP server stasisq listens with: net/http
// with every timeout and size bounded, optional HTTPS from certificate files
// (re-read when they change, so a renewed certificate needs no restart), a
// cap on connections per client address, and a Host header check against
// DNS rebinding.
//
// Invariants: a client that sends half a request is cut off within
// ReadTimeout (30 s); no address but a trusted proxy holds more than
// MaxConnsPerAddr connections; with no allowed hosts configured on a
// loopback address, only IP literals and localhost are served (a page on
// another site cannot rebind its name to 127.0.0.1 and read the console).
package httpserver
