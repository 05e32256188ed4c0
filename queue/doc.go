// Package queue is the call-centre domain: queues, waiting callers, agents,
// routing strategies and statistics. It is a pure state machine: Engine.Apply
// takes one input at an injected time and returns a Ready: the domain events
// to persist and publish, then the telephony actions to carry out, each in
// order; it does no I/O and starts no goroutines, so every rule is testable
// and every scenario replayable. The rules follow app_queue unless the last
// section says otherwise.
//
// It also holds what every layer shares: the User and Role of a login, the
// CallRecord a caller's visit folds into and the queue_log lines it writes,
// whom each event concerns (Scope), and the error kinds (ErrNotFound,
// ErrBadCredentials, ErrInvalid, ErrConflict) every layer passes on.
//
// # Routing
//
// The engine keeps one invariant, restored at the end of every Apply: no
// agent that could be rung stays idle while a caller that could take it waits
// idle (not being rung, not between tries of that agent). Whatever frees an
// agent (call ended without wrap-up, wrap-up over, unpause, login, device
// free, an offer failed or cancelled) routes it in the same Apply.
//
// A freed agent goes to the best caller among its queues that could take it:
// higher queue weight, then higher caller priority, then longest wait. Within
// a queue callers are ordered by priority, then join time, then any
// supervisor reorder, and a caller is never rung while an idle caller ahead
// of it could take the same agent. Which agent a caller gets is the queue's
// strategy, among the members it may ring in the lowest penalty tier of its
// allowed range:
//
//   - ringall: every one of them; the first answer wins, the others are
//     cancelled with CancelRing{Elsewhere: true}.
//   - linear: member order, each caller starting from the first member and
//     moving down after each ring.
//   - rrordered: one rotation per queue in member order, resuming after the
//     member last rung.
//   - rrmemory: the same rotation in login order (a member who logs in again
//     goes last, as an AddQueueMember'd member does in app_queue).
//   - leastrecent: earliest end of last call (never called first);
//     fewestcalls: fewest answered calls; random: uniform.
//   - wrandom: app_queue's weighted random across all tiers: the lowest
//     random(0, (1+penalty)×1000) wins.
//   - longest-idle (mod_callcenter's): earliest return to idle after a call
//     (end of wrap-up, or of the call without one); never called first.
//   - skills: see below.
//
// Ties go to the member earliest in member order (Membership.Order, the
// member => line order of queues.conf, then the order members were added
// to the queue), as app_queue's find_best takes the first best metric. A
// queue with penaltymemberslimit members or fewer has one tier for all, as
// app_queue's calc_metric leaves the penalty out there.
// Each ring lasts the queue's timeout, cut short by the caller's maxwait
// under timeoutpriority=app; under conf a ring in progress runs its full
// timeout and the caller leaves with TIMEOUT when it ends unanswered.
//
// An offer ends answered (Connect; a ringall's other legs are cancelled),
// unanswered as the call flow reports it (OfferFailed: no answer, busy,
// unavailable, error), timed out by the engine's own timer, or declined
// (RingRejected, from the console or a phone's cause 21). The engine emits
// CancelRing for a leg that may still ring: its own timeout, a decline (the
// phone rings until it is hung up; the flow ignores a leg already gone), a
// caller who left, another agent who answered, an agent who logged out, a
// pick. A leg answering after its offer was cancelled is hung up
// (HangupAgent).
//
// A device's in-use states keep an agent from being rung unless ringinuse
// (the agent's override first, then the queue's). In-use reported while our
// own offer or call used the device is ignored once we are done with it, so
// the next ring does not wait for the device's NOT_INUSE.
//
// A call connected before a restart is put back with CallResumed (the
// agent on-call from the original connect time) and ends as any call does.
//
// After a call the agent wraps up for the queue's wrapuptime (AgentWrapUpDone
// ends it early), then is routed again. When the agent hangs up first the
// caller is hung up, or continues in the dialplan (QUEUESTATUS=CONTINUE) with
// ContinueOnAgentHangup. An agent may Pick a waiting caller where the queue
// allows it: order, penalty and pause do not apply to a manual choice.
//
// A queue with record=always records each answered call from its bridge
// (Connect.Record, named by RecordingName); RecordingControl starts (on
// demand), pauses and resumes it, for supervisors and, where the queue lets
// them, the agent on the call; RecordingReport says what Asterisk made of
// it, also after the call. MonitorChange says a supervisor listens to,
// whispers into or joins a connected call, told to the agent only where
// the queue's MonitorIndicator says. Both fold into the call record.
//
// A call transferred from a phone (CallTransferred, from ARI's
// BridgeBlindTransfer or BridgeAttendedTransfer) ends with CallerTransferred
// then CallCompleted by "transfer", the talk counted until the transfer and
// the call counted as answered; the agent's leg is hung up and the agent
// wraps up, but the caller is not: Asterisk carries it on.
//
// # Waiting
//
// maxlen refuses with FULL; joinempty refuses with JOINEMPTY and
// leavewhenempty makes waiting callers not being rung leave with LEAVEEMPTY,
// both
// following app_queue's get_member_status (a logged-out agent is no member);
// a caller resumed after a restart is never refused. maxwait (the dialplan's
// timeout first, then the queue's) ends the wait with TIMEOUT; an exit key
// ends it with EXITWITHKEY and the digit; other digits are ignored. A
// caller leaving alive takes QUEUEPOSITION (where it was when it left, or
// when it was connected) and, after a timeout or leave-empty,
// ABANDONED=TRUE, as app_queue sets them (Exit).
//
// Queue rules (queuerules.conf) move a caller's allowed penalty range after
// each rule's time: relative values add to the current range (an unbounded
// maximum stays unbounded), absolute ones replace it, neither goes below
// zero, and the minimum never passes the maximum.
//
// Expected wait for the caller at position p: zero when p agents are free;
// otherwise p × the average handle time (talk + wrap-up) ÷ the members logged
// in and not paused, the average smoothed as app_queue smooths its holdtime
// ((3×old + new)/4); with no such member or no call yet, app_queue's average
// hold time. Position and hold-time announcements follow app_queue's
// say_position timing and rounding, never over a ring; periodic
// announcements play in order or at random.
//
// A queue's Sounds replace app_queue's prompts by their option names
// (queue-youarenext=custom/next; "" plays nothing).
//
// Connect carries what app_queue does as it bridges: the queue's memberdelay
// (the agent has answered and waits that long) and, for setinterfacevar,
// setqueueentryvar and setqueuevar, the MEMBER*, QE* and QUEUE* channel
// variables (QUEUE* also on an Exit), the totals from today's figures.
//
// Announcements play one at a time per caller, as in app_queue's caller
// thread: after an Announce the engine starts no other for that caller, and
// arms no announcement deadline, until the flow sends AnnouncementDone (the
// media finished, failed to play, or was dropped). Intervals count from the
// start of the previous announcement of the same kind (app_queue sets
// last_pos and last_periodic_announce_time to the time it began), so with
// short prompts the timing is app_queue's, and one that fell due while
// another played starts as soon as that one is over (position first). If
// the report never comes, the engine stops waiting for it after 5 minutes.
//
// # Where stasisq differs from app_queue, on purpose
//
// Strict order. app_queue lets a caller ring only while it is among the
// first callers (autofill), and a caller ahead that cannot take any free
// member can hold back those behind it. Here every caller may ring, but
// never an agent that an idle caller ahead of it could take: no overtaking,
// no caller stuck behind one that nobody can serve.
//
// No polling. app_queue's callers wake every second (wait_our_turn) and its
// ring loop polls; here every change routes at once and every timed rule
// (ring timeout, retry, wrap-up, maxwait, announcements, penalty rules) is a
// deadline: NextDeadline says when to send Tick.
//
// Retry. app_queue sleeps the whole caller for retry after a round that
// nobody answered. Here only the agent that did not answer is held back from
// that caller for the queue's retry (5 s when not positive); the caller may
// ring another agent at once, and another caller may ring that agent.
//
// Autopause. No answer and a decline count, busy only with autopausebusy,
// unavailable only with autopauseunavail, an originate error never;
// autopause_noanswers consecutive ones (app_queue: the first) pause the agent
// with reason "autopause", unless its last call ended within
// autopausedelay. stasisq has one pause state per agent, so autopause=yes
// pauses the agent in all its queues, as autopause=all does.
//
// Exit keys. app_queue takes a digit only when the queue's context has an
// extension for it, goes there and leaves QUEUESTATUS unset. ARI cannot
// see the dialplan, so the exit keys are listed per queue; with an exit
// context the caller goes on at context,key,1 as in app_queue, without one
// after Stasis(); either way QUEUESTATUS=EXITWITHKEY and QUEUEEXITKEY=key
// are set, so the dialplan can tell why the caller came back.
//
// Skills. app_queue has none. With strategy skills, a member must have every
// skill the caller requires (CallerJoin.Skills) at at least the required
// level; the highest sum of its levels in those skills wins, ties to the
// longest idle. Under any other strategy a caller's skills are ignored.
//
// Callers who need not hold (app_queue has neither). Keep-my-place
// callback (callback.go): a caller who asks is let go and holds its place
// as a virtual caller with no channel, in the store across restarts, until
// it is called back, agent first or customer first; invariants: it is in
// its queue's order like any caller, never announced to, never timed out by
// maxwait nor removed by leavewhenempty, rung or dialled only when idle,
// and it leaves exactly once (answered, or LeftCallbackFailed after its
// tries). Abandon-resume (returning.go): a caller who hangs up and calls
// the same queue from the same number within its window sorts by its first
// join and priority; the abandon is taken back and the return not offered
// again, so the two visits count as one call.
package queue
