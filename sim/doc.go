// Package sim drives the fake Asterisk (ari/aritest) with simulated traffic
// for `stasisq demo` and load tests: callers arriving as a Poisson process
// into queues, with exponential patience, and agent phones that answer after
// a few seconds, talk for a random time and sometimes ring out or are busy.
//
// It also provides the demo's configuration: three realistic queues, a crowd
// of static simulated agents and a few human agents for a person to log in as
// in the browser, whose phones auto-answer so the whole call cycle shows.
//
// sim knows nothing of the engine: it behaves as the telephone network does,
// and only sees what a caller would (is anyone talking to me yet?).
package sim
