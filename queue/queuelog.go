package queue

import (
	"strconv"
	"strings"
	"time"
)

// QueueLogContext is what a queue_log line needs beyond the event itself.
// The writer fills it from the database in the event's transaction.
type QueueLogContext struct {
	Call         CallRecord // the caller's record after the event
	MemberName   string     // app_queue's membername: AgentConfig.MemberName
	Device       string     // the agent's device, for AGENTLOGIN and AGENTLOGOFF
	MemberQueues []string   // the agent's queues, for PAUSE and UNPAUSE
	LoggedInAt   time.Time  // when the agent's session began, for AGENTLOGOFF
	FromPosition int        // for CallerMoved: the caller's position in the queue it left
	ToPosition   int        // for CallerMoved: its position in the queue it joined
}

// QueueLogLine formats one line as Asterisk's ast_queue_log writes it to
// the queue_log file: "%ld|%s|%s|%s|%s|" of time, callid, queuename, agent and
// event, then the event's own format, whose fields app_queue separates with
// "|" too. There is no trailing newline.
func QueueLogLine(at time.Time, callid, queueName, agent, event string, data ...string) string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(at.Unix(), 10))
	for _, f := range []string{callid, queueName, agent, event} {
		b.WriteByte('|')
		b.WriteString(f)
	}
	b.WriteByte('|')
	b.WriteString(strings.Join(data, "|"))
	return b.String()
}

func secs(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// QueueLogLines returns the app_queue queue_log lines for one domain event,
// none for events app_queue does not log. Field by field, as app_queue:
//
//	ENTERQUEUE       url|callerid|position
//	CONNECT          holdtime|bridgedchanneluniqueid|ringtime (seconds)
//	COMPLETECALLER   holdtime|calltime|origposition
//	COMPLETEAGENT    holdtime|calltime|origposition
//	ABANDON          position|origposition|waittime
//	EXITWITHTIMEOUT  position|origposition|waittime
//	EXITEMPTY        position|origposition|waittime
//	EXITWITHKEY      key|position|origposition|waittime
//	RINGNOANSWER     ringtime (milliseconds)
//	RINGCANCELED     ringtime (milliseconds)
//	ADDMEMBER, REMOVEMEMBER (empty data), PAUSE, UNPAUSE (reason)
//	PAUSEALL, UNPAUSEALL (reason)
//	AGENTLOGIN       channel
//	AGENTLOGOFF      channel|logintime
//	BLINDTRANSFER    extension|context|holdtime|calltime|origposition
//	ATTENDEDTRANSFER destination|holdtime|calltime|origposition, the
//	                 destination BRIDGE|id, APP|name, LINK|chan|chan or
//	                 THREEWAY|chan (app_queue's log_attended_transfer)
//
// Keep-my-place callbacks have no app_queue verbs; stasisq writes its own,
// which reporting tools that do not know them skip:
//
//	CALLBACKREQUEST  number|position   (the caller let go, holding its place)
//	CALLBACKATTEMPT  number|attempt    (agent: the member waiting on it, or NONE)
//	CALLBACKFAILED   result|attempt    (busy, noanswer, unavailable, error)
//
// An answered callback goes on as any call (CONNECT, COMPLETE...); one
// that gave up ends with ABANDON, as a caller who was never served.
//
// A transferred call writes its transfer line instead of COMPLETEAGENT or
// COMPLETECALLER, as app_queue's handle_blind_transfer and
// handle_attended_transfer do. (Asterisk 1.8's single TRANSFER event with
// extension|context|holdtime|calltime|origposition became these two in
// Asterisk 12.)
//
// Mappings where stasisq and app_queue differ:
//   - a caller that leaves because a supervisor hung it up or redirected it,
//     or that vanished while stasisq was down, is ABANDON: that is what
//     app_queue logs when its caller's channel is hung up or redirected away.
//   - a move to another queue is what app_queue logs when a caller is
//     redirected out of one Queue() into another: ABANDON in the queue it
//     left, ENTERQUEUE in the one it joined. Every ENTERQUEUE of a queue
//     thus keeps exactly one end in that
//   - CONNECT's bridged channel uniqueid is the offer id, which the call flow
//     uses as the agent channel's id.
//   - a resumed caller writes no second ENTERQUEUE.
func QueueLogLines(ev Event, c QueueLogContext) []string {
	callid := string(c.Call.Caller)
	member := c.MemberName
	switch e := ev.(type) {
	case CallerJoined:
		if e.Resumed {
			return nil
		}
		return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, "NONE", "ENTERQUEUE",
			"", e.Number, strconv.Itoa(e.Position))}

	case CallerMoved:
		wait := e.At.Sub(c.Call.JoinedAt)
		return []string{
			QueueLogLine(e.At, string(e.Caller), e.From, "NONE", "ABANDON",
				strconv.Itoa(c.FromPosition), strconv.Itoa(c.Call.JoinPosition), secs(wait)),
			QueueLogLine(e.At, string(e.Caller), e.To, "NONE", "ENTERQUEUE",
				"", c.Call.Number, strconv.Itoa(c.ToPosition)),
		}

	case CallConnected:
		return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, member, "CONNECT",
			secs(e.Wait), string(e.Offer), secs(e.RingTime))}

	case CallerTransferred:
		hold, call, opos := secs(e.Wait), secs(e.Talk), strconv.Itoa(c.Call.JoinPosition)
		if e.Exten == "" && e.Attended != "" {
			return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, member, "ATTENDEDTRANSFER",
				e.Attended, hold, call, opos)}
		}
		return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, member, "BLINDTRANSFER",
			e.Exten, e.Context, hold, call, opos)}

	case CallCompleted:
		if e.By == PartyTransfer {
			return nil // the transfer line ended it
		}
		event := "COMPLETEAGENT"
		if e.By == PartyCaller {
			event = "COMPLETECALLER"
		}
		return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, member, event,
			secs(e.Wait), secs(e.Talk), strconv.Itoa(c.Call.JoinPosition))}

	case CallerLeft:
		pos, opos, wait := strconv.Itoa(e.Position), strconv.Itoa(e.JoinPos), secs(e.Wait)
		switch e.Reason {
		case LeftAnswered:
			return nil
		case LeftTimeout:
			return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, "NONE", "EXITWITHTIMEOUT", pos, opos, wait)}
		case LeftLeaveEmpty:
			return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, "NONE", "EXITEMPTY", pos, opos, wait)}
		case LeftExitKey:
			return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, "NONE", "EXITWITHKEY", e.Key, pos, opos, wait)}
		default:
			return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, "NONE", "ABANDON", pos, opos, wait)}
		}

	case CallbackRequested:
		return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, "NONE", "CALLBACKREQUEST", e.Number, strconv.Itoa(e.Position))}
	case CallbackAttempt:
		agent := "NONE"
		if e.Agent != "" {
			agent = c.MemberName
		}
		return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, agent, "CALLBACKATTEMPT", e.Number, strconv.Itoa(e.Attempt))}
	case CallbackAttemptEnded:
		if e.Result == "answered" {
			return nil
		}
		return []string{QueueLogLine(e.At, string(e.Caller), e.Queue, "NONE", "CALLBACKFAILED", e.Result, strconv.Itoa(e.Attempt))}

	case OfferEnded:
		ms := strconv.FormatInt(e.RingTime.Milliseconds(), 10)
		switch e.Result {
		case "answered":
			return nil
		case "canceled":
			// Another agent answered (ringall): app_queue logs nothing for
			// the losers. Otherwise the caller went while this one rang.
			if !c.Call.AnsweredAt.IsZero() || c.Call.Agent != "" {
				return nil
			}
			return []string{QueueLogLine(e.At, callidOr(callid, e.Caller), e.Queue, member, "RINGCANCELED", ms)}
		default:
			return []string{QueueLogLine(e.At, callidOr(callid, e.Caller), e.Queue, member, "RINGNOANSWER", ms)}
		}

	case AgentQueuesChanged:
		var out []string
		for _, q := range e.Added {
			out = append(out, QueueLogLine(e.At, "MANAGER", q, member, "ADDMEMBER", ""))
		}
		for _, q := range e.Removed {
			out = append(out, QueueLogLine(e.At, "MANAGER", q, member, "REMOVEMEMBER", ""))
		}
		return out

	case AgentStateChanged:
		return agentStateLines(e, c)
	case MemberPaused:
		// A pause in one queue (autopause=yes) is app_queue's
		// set_member_paused with that queue's name: one line, no PAUSEALL.
		event := "UNPAUSE"
		if e.Paused {
			event = "PAUSE"
		}
		return []string{QueueLogLine(e.At, "NONE", e.Queue, member, event, e.Reason)}
	}
	return nil
}

func callidOr(callid string, caller CallerID) string {
	if callid != "" {
		return callid
	}
	return string(caller)
}

func agentStateLines(e AgentStateChanged, c QueueLogContext) []string {
	member := c.MemberName
	var out []string
	switch {
	case e.State == AgentLoggedOut:
		if e.Prev == AgentPaused {
			out = append(out, pauseLines(e.At, member, c.MemberQueues, false, "")...)
		}
		loginTime := time.Duration(0)
		if !c.LoggedInAt.IsZero() {
			loginTime = e.At.Sub(c.LoggedInAt)
		}
		return append(out, QueueLogLine(e.At, "NONE", "NONE", member, "AGENTLOGOFF", c.Device, secs(loginTime)))
	case e.Prev == AgentLoggedOut:
		out = append(out, QueueLogLine(e.At, "NONE", "NONE", member, "AGENTLOGIN", c.Device))
		if e.State == AgentPaused {
			out = append(out, pauseLines(e.At, member, c.MemberQueues, true, e.Reason)...)
		}
		return out
	case e.State == AgentPaused && e.Prev != AgentPaused:
		return pauseLines(e.At, member, c.MemberQueues, true, e.Reason)
	case e.Prev == AgentPaused && e.State != AgentPaused:
		return pauseLines(e.At, member, c.MemberQueues, false, "")
	}
	return nil
}

// pauseLines: stasisq pauses an agent in every queue at once, which app_queue
// (PauseQueueMember without a queue) logs as PAUSEALL, with empty data, then
// a PAUSE with the reason in each of the member's queues.
func pauseLines(at time.Time, member string, queues []string, paused bool, reason string) []string {
	all, one := "UNPAUSEALL", "UNPAUSE"
	if paused {
		all, one = "PAUSEALL", "PAUSE"
	}
	out := []string{QueueLogLine(at, "NONE", "NONE", member, all, "")}
	for _, q := range queues {
		out = append(out, QueueLogLine(at, "NONE", q, member, one, reason))
	}
	return out
}
