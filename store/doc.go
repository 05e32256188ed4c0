// Package store persists stasisq's configuration, logins, call records,
// interval statistics and the state needed to resume after a crash, in
// bbolt, through one group-committing writer. It only persists: what a call
// record says after each event (queue.CallRecord.Apply) and what a queue_log
// line reads (queue.QueueLogLines) are the domain's. It is the web
// console's Directory and the call flow's ConfigSource, through the
// interfaces those packages declare; it imports neither.
//
// # Layout
//
// Schema version 3 (meta/schema holds the version; Open runs migrations from
// older versions, each in the transaction that bumps the version):
//
//	meta                         schema -> uint32 version; redirect_targets -> JSON queue.RedirectTargets
//	queues                       name -> JSON queue.QueueConfig
//	agents                       login -> JSON Agent (config, role, bcrypt hash)
//	calls                        join time (big-endian unix ns) + caller id -> JSON CallRecord
//	calls_by_caller              caller id -> calls key of its latest record (added in schema 2)
//	stats/queues/<queue>         interval start (big-endian unix ns) -> JSON queue.QueueInterval
//	stats/agents/<agent>         interval start -> JSON queue.AgentInterval
//	state/callers                caller id -> JSON waiting caller, without its position (schema 3)
//	state/order                  queue -> its callers' ids in order, uvarint length + bytes each (added in schema 3)
//	state/agents                 agent id -> JSON AgentSession
//	sessions                     SHA-256 of a console cookie's token -> JSON queue.Session
//	audit                        time (big-endian unix ns) + sequence -> JSON queue.AuditEntry
//
// sessions and audit are buckets a version-3 database gains when opened
// (nothing to migrate). A login's new password or role, or its removal,
// deletes its sessions in the same transaction.
//
// An import (cmd/stasisq import) gathers its agents in an AgentScratch (a
// bbolt file of its own, removed after), reads the database through a
// ConfigView, and writes one transaction when it is small; a big one is
// written in batches into a copy that Rewrite renames over the file once
// every batch is in, since one bbolt transaction keeps every page it
// dirties in memory: all or nothing, in bounded memory, at the cost of disk
// room for a copy.
//
// Configuration (queues, logins, passwords) is written synchronously, each
// change in one transaction, from the call flow's loop (callflow.Configure:
// checked by the engine, stored, then applied). Everything else is written
// by the writer from domain events.
//
// # The writer and group commit
//
// Record appends events to a queue in memory and returns: the engine's loop
// never waits for the disk. One goroutine takes a batch when BatchSize events
// are pending or BatchDelay after the oldest pending one was recorded
// (whichever comes first; at once when a Flush or Close waits) and commits it
// in one bbolt transaction, with one fsync. The events of one Record call are
// never split across transactions, so the events of one engine Apply are
// durable together or not at all. In the same transaction the writer folds
// the events into the call records, rewrites the resume state the events
// changed, and writes the statistics intervals a queue.Recorder fed with the
// same events has changed. queue_log lines are written after the commit.
// At start the stored intervals of the last two days seed that recorder and
// the engine's (RecentStatistics), so today's figures go on across a restart.
//
// A queue's order is one key, so an order change (the engine emits the whole
// order after every join, leave or move) writes that key and nothing else,
// and a caller's record is written only when the caller itself changes. A
// caller's position is its place in its queue's order; from its join or move
// until an order of its queue lists it (or after an order of its queue left
// it out) its record pins the position the event gave it, exactly as schema 2
// kept it. The writer keeps the committed waiting callers and orders in
// memory, loaded at Open, so a batch decodes none of them; a failed
// transaction puts that copy back as it was.
//
// # Durability: what a kill -9 can lose
//
// A commit is durable when bbolt's Update returns (fsync, unless NoSync). A
// kill -9 or power cut therefore loses at most the events recorded in the last
// BatchDelay (default 10ms) before it, or the batch being committed: the
// statistics and call-record updates of that window, and the queue_log lines
// of a batch committed but not yet written. It never leaves a half-written
// batch (bbolt transactions are atomic: the meta page is switched only after
// the data pages are on disk), so the state bucket always agrees with the
// call records and with itself.
//
// A caller's place in its queue is never lost:
//
//  1. The state bucket is rewritten in the same transaction as the events
//     that changed it. Whatever the last committed batch was, state/callers
//     holds every caller that had joined by then, with its queue, priority,
//     join time and position, exactly as the engine had them.
//  2. A caller that joined within the lost window is not in state, but it is
//     still in Asterisk: at start the call flow asks Asterisk for every
//     channel in the Stasis application. A channel not in state is re-queued
//     with its channel's creationtime as its arrival and its dialplan
//     app_data (the Stasis arguments) for queue, priority and skills, and
//     with the join time it orders among the others as it did before. A
//     caller in state whose channel is gone is closed as lost.
//
// TestCrashKeepsCommittedState kills a process writing events with SIGKILL
// and checks that what it reopens is consistent and holds every batch that
// Flush had confirmed.
//
// # Statistics
//
// The writer loads intervals from 48 hours before the newest stored one into
// its queue.Recorder at Open, so that events after a restart extend today's
// intervals instead of overwriting them.
//
// # Retention
//
// With Options.Retention set, call records that joined and intervals that
// started longer ago than that are deleted every PruneEvery, in small
// transactions so the writer is not held up. Resume state is never pruned.
//
// # Damaged files
//
// Open refuses a file it cannot read (not bbolt, bad checksum, truncated,
// empty, another program's bbolt file, a newer schema) with an error that
// names the file and says to restore a backup or move the file aside. It
// never replaces such a file with a new empty database.
package store
