// Package aritest is an in-process fake Asterisk speaking ARI over real HTTP
// and websockets, with scripted simulated devices, for tests, benchmarks and
// the demo. It reproduces what a real Asterisk 22 does, awkward parts included
// (events before the REST reply, Local channel halves, hangup causes).
package aritest
