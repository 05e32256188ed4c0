package queue

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// ChannelVar is one channel variable for the call flow to set.
type ChannelVar struct{ Name, Value string }

// bridgeVars are the variables app_queue sets as the caller and the member
// are bridged: with setinterfacevar the member's MEMBER* and with
// setqueueentryvar the caller's QE* on both channels, with setqueuevar the
// queue's QUEUE* on the caller's (try_calling, set_queue_variables).
func (e *Engine) bridgeVars(q *queueState, c *callerState, a *agentState, wait time.Duration) (caller, agent []ChannelVar) {
	var both []ChannelVar
	if q.cfg.SetInterfaceVar {
		penalty := 0
		if i := slices.IndexFunc(a.members, func(m *member) bool { return m.q == q }); i >= 0 {
			penalty = a.members[i].penalty
		}
		last := int64(0)
		if !a.lastCallEnd.IsZero() {
			last = a.lastCallEnd.Unix()
		}
		dynamic := "1" // logged in from the console, as AddQueueMember does
		if a.cfg.Static {
			dynamic = "0"
		}
		both = append(both,
			ChannelVar{"MEMBERINTERFACE", a.cfg.Device},
			ChannelVar{"MEMBERNAME", a.cfg.MemberName()},
			// a.calls already counts this call: app_queue's member calls
			// count the ones before it.
			ChannelVar{"MEMBERCALLS", strconv.Itoa(max(a.calls-1, 0))},
			ChannelVar{"MEMBERLASTCALL", strconv.FormatInt(last, 10)},
			ChannelVar{"MEMBERPENALTY", strconv.Itoa(penalty)},
			ChannelVar{"MEMBERDYNAMIC", dynamic},
			ChannelVar{"MEMBERREALTIME", "0"})
	}
	if q.cfg.SetQueueEntryVar {
		both = append(both,
			ChannelVar{"QEHOLDTIME", strconv.FormatInt(int64(wait/time.Second), 10)},
			ChannelVar{"QEORIGINALPOS", strconv.Itoa(c.joinPos)})
	}
	caller = append(slices.Clone(both), e.queueVars(q, 1)...)
	return caller, both
}

// queueVars are setqueuevar's QUEUE* variables, counted from today's
// figures (app_queue counts since its last reload): connecting is how many
// of today's answered calls are the one being bridged now (1) or none (0),
// as app_queue counts a call completed when it ends.
func (e *Engine) queueVars(q *queueState, connecting int) []ChannelVar {
	if !q.cfg.SetQueueVar {
		return nil
	}
	day := e.stats.QueueDay(q.cfg.Name, e.now)
	completed := max(day.Answered-q.inProgress-connecting, 0)
	perf := 0.0
	if day.Answered > 0 {
		perf = 100 * float64(day.AnsweredInSL) / float64(day.Answered)
	}
	return []ChannelVar{
		{"QUEUENAME", q.cfg.Name},
		{"QUEUEMAX", strconv.Itoa(q.cfg.MaxLen)},
		{"QUEUESTRATEGY", string(q.cfg.Strategy)},
		{"QUEUECALLS", strconv.Itoa(len(q.order))},
		{"QUEUEHOLDTIME", strconv.Itoa(int(q.holdTimeEMA))},
		{"QUEUETALKTIME", strconv.Itoa(int(q.talkEMA))},
		{"QUEUECOMPLETED", strconv.Itoa(completed)},
		{"QUEUEABANDONED", strconv.Itoa(day.Abandoned)},
		{"QUEUESRVLEVEL", strconv.FormatInt(int64(q.cfg.ServiceLevel/time.Second), 10)},
		{"QUEUESRVLEVELPERF", fmt.Sprintf("%2.1f", perf)},
	}
}
