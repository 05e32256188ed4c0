// Package sidebyside measures stasisq against app_queue on one real
// Asterisk: the same callers (Local channels, ulaw) through Queue() and
// through Stasis(stasisq,...), to the same number of Local agents that
// answer and talk for a set time. Every figure comes from Asterisk's own
// event timestamps, seen by an observer ARI application subscribed to
// everything (with an event filter, so that it costs Asterisk as little as
// it can), and CPU from /proc.
//
// Definitions, the same for both systems:
//   - a caller joins when its queue-side Local half starts Queue() or
//     Stasis() (ChannelDialplan), and is connected when that half first
//     enters a bridge;
//   - an agent frees when its answered Local leg is destroyed, and is rung
//     when its next Local leg is created; free->ring is counted only while
//     callers were waiting (joined, not connected, not gone);
//   - a caller is overtaken when one who joined the same queue 5 ms or more
//     later was connected first.
//
// The benchmark itself (Asterisk, dialplan, the stasisq binary) is
// BenchmarkSideBySide, run by make bench-asterisk.
package sidebyside
