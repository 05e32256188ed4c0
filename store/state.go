package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// State is what a restart needs to resume: who was waiting where, and who was
// logged in. The writer keeps it in the same transaction as the events that
// change it.
type State struct {
	Callers []WaitingCaller `json:"callers"` // by queue, then position
	Agents  []AgentSession  `json:"agents"`  // by id
	// Calls are the calls agents were on (sessions on-call), by caller id:
	// a restart finds them still bridged in Asterisk and must end them.
	Calls []ConnectedCall `json:"calls"`
	// Abandoned are the visits that ended abandoned (or lost) in the last
	// queue.MaxAbandonResume, oldest first: the engine keeps the places of
	// those inside their queue's abandon-resume window (AbandonedVisit).
	Abandoned []queue.AbandonedVisit `json:"abandoned"`
}

// ConnectedCall is a call in progress, from an on-call agent session and the
// caller's open call record. ConnectedAt is the record's answer time (the
// session's Since only when the record was lost), so that a call carried
// across several restarts keeps its first connect time.
type ConnectedCall struct {
	Caller      queue.CallerID `json:"caller"`
	Agent       queue.AgentID  `json:"agent"`
	Queue       string         `json:"queue"`
	ConnectedAt time.Time      `json:"connected_at"`
	Wait        time.Duration  `json:"wait"`
	Number      string         `json:"number"`
	Name        string         `json:"name"`
	// Recording is the call's recording while it goes on (recording or
	// paused), so that it can still be paused and resumed after a restart.
	Recording *queue.CallRecording `json:"recording,omitempty"`
}

// WaitingCaller is one caller in a queue, as the last committed event left it.
// Skills and MaxWait are not kept: they come from the dialplan arguments,
// which the call flow reads again from the channel when it resumes.
type WaitingCaller struct {
	ID       queue.CallerID `json:"id"`
	Queue    string         `json:"queue"`
	Priority int            `json:"priority"`
	Number   string         `json:"number"`
	Name     string         `json:"name"`
	JoinedAt time.Time      `json:"joined_at"`
	Position int            `json:"position"` // 1-based
	// Callback: it holds its place as a callback, without a channel; the
	// call flow resumes it without looking for one.
	Callback *queue.CallbackResume `json:"callback,omitempty"`
}

// AgentSession is one logged-in agent.
type AgentSession struct {
	ID         queue.AgentID    `json:"id"`
	State      queue.AgentState `json:"state"` // never logged-out
	Paused     bool             `json:"paused"`
	Reason     string           `json:"reason,omitempty"`
	Since      time.Time        `json:"since"`
	LoggedInAt time.Time        `json:"logged_in_at"`
	Caller     queue.CallerID   `json:"caller,omitempty"` // ringing, on-call or wrap-up for this caller
	Queue      string           `json:"queue,omitempty"`
	// PausedIn are the queues the agent is paused in alone (autopause=yes).
	PausedIn []string `json:"paused_in,omitempty"`
}

// LoadState returns the committed resume state. Call Flush first if events
// were recorded by this process.
func (db *DB) LoadState(ctx context.Context) (State, error) {
	var s State
	err := db.view(ctx, func(tx *bolt.Tx) error {
		st := tx.Bucket(bucketState)
		waiting, err := readWaitingSet(tx)
		if err != nil {
			return err
		}
		s.Callers = waiting.waitingCallers()
		err = st.Bucket(bucketStateAgents).ForEach(func(k, v []byte) error {
			var a AgentSession
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode agent session %s: %w", k, err)
			}
			s.Agents = append(s.Agents, a)
			return nil
		})
		if err != nil {
			return err
		}
		s.Calls, err = connectedCalls(tx, s.Agents)
		return err
	})
	if err != nil {
		return State{}, fmt.Errorf("load state: %w", err)
	}
	loc := db.opts.Location
	for i := range s.Callers {
		s.Callers[i].JoinedAt = s.Callers[i].JoinedAt.In(loc)
	}
	for i := range s.Agents {
		s.Agents[i].Since = s.Agents[i].Since.In(loc)
		s.Agents[i].LoggedInAt = s.Agents[i].LoggedInAt.In(loc)
	}
	for i := range s.Calls {
		s.Calls[i].ConnectedAt = s.Calls[i].ConnectedAt.In(loc)
	}
	sort.Slice(s.Calls, func(i, j int) bool { return s.Calls[i].Caller < s.Calls[j].Caller })
	if s.Abandoned, err = db.recentAbandons(ctx, time.Now()); err != nil {
		return State{}, fmt.Errorf("load state: %w", err)
	}
	return s, nil
}

// recentAbandons are the visits abandoned or lost since now less
// queue.MaxAbandonResume, by when they left. A visit may have waited long
// before it left: records are read from a day before that. A visit that
// was itself a return holds the place of the first visit of its chain.
func (db *DB) recentAbandons(ctx context.Context, now time.Time) ([]queue.AbandonedVisit, error) {
	since := now.Add(-queue.MaxAbandonResume)
	from := since.Add(-24 * time.Hour)
	place := map[queue.CallerID]time.Time{} // a returning visit's place: its chain's first join
	err := db.eachCall(ctx, queue.CallQuery{From: from, Outcome: queue.OutcomeReturned}, func(r queue.CallRecord) error {
		p, ok := place[r.Caller]
		if !ok {
			p = r.JoinedAt
		}
		place[r.ReturnedAs] = p // in join order: a chain's earlier visits come first
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []queue.AbandonedVisit
	for _, outcome := range []queue.LeaveReason{queue.LeftAbandoned, queue.LeftLost} {
		err := db.eachCall(ctx, queue.CallQuery{From: from, Outcome: string(outcome)}, func(r queue.CallRecord) error {
			if r.LeftAt.Before(since) || r.Number == "" {
				return nil
			}
			joined, ok := place[r.Caller]
			if !ok {
				joined = r.JoinedAt
			}
			out = append(out, queue.AbandonedVisit{Caller: r.Caller, Queue: r.Queue, Number: r.Number, Priority: r.Priority,
				JoinedAt: joined, Wait: r.Wait, LeftAt: r.LeftAt})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LeftAt.Before(out[j].LeftAt) })
	return out, nil
}

// connectedCalls joins the on-call sessions with their callers' records; a
// record that is already closed (the call ended) leaves the call out.
func connectedCalls(tx *bolt.Tx, sessions []AgentSession) ([]ConnectedCall, error) {
	var out []ConnectedCall
	for _, a := range sessions {
		if a.State != queue.AgentOnCall || a.Caller == "" {
			continue
		}
		call := ConnectedCall{Caller: a.Caller, Agent: a.ID, Queue: a.Queue, ConnectedAt: a.Since}
		key := tx.Bucket(bucketCallsByCaller).Get([]byte(a.Caller))
		if raw := tx.Bucket(bucketCalls).Get(key); key != nil && raw != nil {
			var rec queue.CallRecord
			if err := json.Unmarshal(raw, &rec); err != nil {
				return nil, fmt.Errorf("decode call %s: %w", callID(key), err)
			}
			if !rec.Open() {
				continue
			}
			if !rec.AnsweredAt.IsZero() {
				call.ConnectedAt = rec.AnsweredAt
			}
			call.Wait, call.Number, call.Name = rec.Wait, rec.Number, rec.Name
			if r := rec.Recording; r != nil && (r.State == queue.RecordingActive || r.State == queue.RecordingPaused) {
				call.Recording = r
			}
		}
		out = append(out, call)
	}
	return out, nil
}
