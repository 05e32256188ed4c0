// Package loadtest measures the call flow under load: simulated callers
// through simulated agents on the in-process fake Asterisk, over real HTTP
// and websockets, timed from Asterisk's own event timestamps.
//
// It checks what a load must never break, besides printing figures: every
// caller ends with exactly one outcome, every agent ends available, nobody
// is overtaken by a caller of the same priority who joined later, and no
// channel is left up (Result.Err).
package loadtest
