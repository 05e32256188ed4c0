// Package queue is the call-centre domain: queues, waiting callers, agents,
// routing strategies and statistics. It is a pure state machine: Engine.Apply
// takes one input at an injected time and returns effects; it does no I/O and
// starts no goroutines, so every rule is testable and every scenario
// replayable.
//
// # Routing
//
// The engine keeps one invariant, restored at the end of every Apply: no
// agent that could be rung stays idle while a caller that could take it waits
// idle (not being rung, not between tries of that agent). Whatever frees an
// agent (call ended without wrap-up, wrap-up over, unpause, login, device
// free, an offer failed or cancelled) routes it in the same Apply; nothing
// polls.
//
// A freed agent goes to the best caller among its queues that could take it:
// higher queue weight, then higher caller priority, then longest wait. Within
// a queue callers are served strictly in order (priority, then join time, then
// any supervisor reorder): a caller is never rung while an idle caller ahead
// of it could take the same agent. Which agent a caller gets is the queue's
// strategy, among the members it may ring in the lowest penalty tier:
//
//   - ringall: every one of them; the first answer wins, the others are
//     cancelled with CancelRing{Elsewhere: true}.
//   - linear: configuration order, each caller starting from the first member
//     and moving down after each failure.
//   - rrordered: one rotation per queue in configuration order, resuming after
//     the member last rung.
//   - rrmemory: the same rotation in login order (a member who logs in again
//     goes last, as an AddQueueMember'd member does in app_queue).
//   - leastrecent: earliest end of last call (never called first);
//     fewestcalls: fewest answered calls; random: uniform.
//   - wrandom: app_queue's weighted random across tiers, random(0,(1+penalty)×1000).
//   - longest-idle: earliest end of wrap-up (mod_callcenter), never called first.
//   - skills: a member must have every skill the caller requires at the
//     required level; the highest sum of its levels in those skills wins, ties
//     to the longest idle.
//
// Ties go to the member earliest in configuration order.
//
// After an unanswered ring the caller waits the queue's retry (app_queue's
// 5 s when not positive) before ringing that same agent again, but may ring
// another at once. No answer and a decline count towards autopause, busy only
// with autopausebusy, unavailable only with autopauseunavail, an originate
// error never; AutoPauseNoAnswer consecutive ones pause the agent with reason
// "autopause" unless its last call ended within autopausedelay.
//
// A device's in-use states keep an agent from being rung unless ringinuse
// (the agent's override first, then the queue's). In-use reported while our
// own offer or call used the device is ignored once we are done with it, so
// the next ring does not wait for the device's NOT_INUSE.
//
// # Waiting
//
// Queue rules (queuerules.conf) move a caller's allowed penalty range after
// each rule's time: relative values add to the current range, absolute ones
// replace it, neither goes below zero. joinempty and leavewhenempty follow
// app_queue's get_member_status; a logged-out agent is no member.
//
// Expected wait for the caller at position p: zero when p agents are free;
// otherwise p × the average handle time (talk + wrap-up) ÷ the members logged
// in and not paused, the average smoothed as app_queue smooths its holdtime
// ((3×old + new)/4); with no such member or no call yet, app_queue's average
// hold time. Hold-time announcements say this figure with app_queue's
// rounding.
package queue
