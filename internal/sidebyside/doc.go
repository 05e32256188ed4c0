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
// stasisq's side also reads its /metrics around each run (RingParts): how
// late Asterisk's events reached it, its own time from the input behind a
// ring to the originate, and the originate request, so that a free->ring
// figure can be told apart into Asterisk's part and stasisq's; and the REST
// requests it made, per caller served and by route.
//
// Start sets a bench up on any Asterisk holding asterisk-conf/
// extensions-bench.conf and queues-bench.conf (Dialplan and QueuesConf, held
// to them by a test) and runs stasisq as its own process; "stasisq
// sidebyside" is that on a site's Asterisk. The benchmarks (a private
// Asterisk, the stasisq binary built from the tree) are
// BenchmarkSideBySide, run by make bench-asterisk; BenchmarkCapacity,
// run by make bench-capacity: bursts stepped up until a system no longer
// serves every caller, a step it cannot drain in three times the ideal
// measured as it stands and its callers hung up; and BenchmarkCostBreakdown,
// run by make bench-cost: Asterisk's CPU for callers holding (steady, no
// call starting or ending) apart from its CPU per call (nobody waiting).
//
// The agents answer with Answer(,i): a plain Answer() waits up to 500 ms
// for a voice frame these silent calls never send, which made every call
// half a second longer than the talk time the ideal figures assume.
package sidebyside
