package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// Outcomes of a call record besides the queue.LeaveReason values a caller
// can leave with unanswered (abandoned, timeout, exit, leaveempty, continued,
// hungup, lost).
const (
	OutcomeWaiting   = "waiting"   // in the queue
	OutcomeConnected = "connected" // talking to an agent
	OutcomeCompleted = "completed" // answered, then hung up
	OutcomeRefused   = "refused"   // never queued; Status says why
	// OutcomeTransferred: answered, then transferred from the agent's phone;
	// Transfer says where to. It counts as answered, its talk until the
	// transfer.
	OutcomeTransferred = "transferred"
)

// Transfer is a connected call transferred away from the agent's phone.
type Transfer struct {
	At       time.Time   `json:"at"`
	By       queue.Party `json:"by"`
	Exten    string      `json:"exten,omitempty"`
	Context  string      `json:"context,omitempty"`
	Attended string      `json:"attended,omitempty"` // attended transfer: where to, as queue_log says it
}

// Move is a supervisor moving a waiting caller to another queue.
type Move struct {
	At       time.Time `json:"at"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	KeepWait bool      `json:"keep_wait"`
}

// CallRecord is one caller's visit: from joining (or being refused) to
// leaving the queue unanswered or ending the call with an agent. A channel
// that enters the application again gets a new record.
type CallRecord struct {
	ID       string         `json:"id"` // time-ordered: join time then caller id
	Caller   queue.CallerID `json:"caller"`
	Queue    string         `json:"queue"` // the queue it is (or was last) in
	Number   string         `json:"number"`
	Name     string         `json:"name"`
	Priority int            `json:"priority"`

	JoinedAt    time.Time `json:"joined_at"`
	FirstRingAt time.Time `json:"first_ring_at,omitzero"`
	AnsweredAt  time.Time `json:"answered_at,omitzero"`
	LeftAt      time.Time `json:"left_at,omitzero"`  // left the queue, answered or not
	EndedAt     time.Time `json:"ended_at,omitzero"` // visit over: left unanswered, or call ended

	Agent        queue.AgentID     `json:"agent,omitempty"`
	Outcome      string            `json:"outcome"`
	Status       queue.QueueStatus `json:"status,omitempty"` // for OutcomeRefused
	ExitKey      string            `json:"exit_key,omitempty"`
	CompletedBy  queue.Party       `json:"completed_by,omitempty"`
	JoinPosition int               `json:"join_position"`
	ExitPosition int               `json:"exit_position"`
	Wait         time.Duration     `json:"wait"`      // join to leaving the queue
	RingTime     time.Duration     `json:"ring_time"` // of the offer that was answered
	Talk         time.Duration     `json:"talk"`
	Offers       int               `json:"offers"`     // agents rung
	Unanswered   int               `json:"unanswered"` // offers that failed (not canceled)
	Moves        []Move            `json:"moves,omitempty"`
	Resumed      bool              `json:"resumed,omitempty"` // carried across a restart of stasisq
	Transfer     *Transfer         `json:"transfer,omitempty"`
}

// Open reports whether the visit is still going on.
func (r CallRecord) Open() bool { return r.EndedAt.IsZero() }

// callKey is the calls bucket key: big-endian unix nanos of the join time,
// then the caller id, so that a cursor walks calls in join order.
func callKey(at time.Time, caller queue.CallerID) []byte {
	return append(timeKey(at), caller...)
}

// timeKey is the 8-byte prefix of at; times before 1970 (the zero time of an
// unbounded range among them) sort first.
func timeKey(at time.Time) []byte {
	var k [8]byte
	if at.After(time.Unix(0, 0)) {
		binary.BigEndian.PutUint64(k[:], uint64(at.UnixNano()))
	}
	return k[:]
}

func keyTime(k []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
}

func callID(key []byte) string {
	return fmt.Sprintf("%016x-%s", binary.BigEndian.Uint64(key[:8]), key[8:])
}

// CallQuery selects call records by join time, From inclusive and To
// exclusive (zero means unbounded), and queue (empty means all; a record
// matches a queue it is in or was moved from). Limit 0 means no limit.
type CallQuery struct {
	From, To time.Time
	Queue    string
	Limit    int
}

func (q CallQuery) matches(r CallRecord) bool {
	if q.Queue == "" || r.Queue == q.Queue {
		return true
	}
	for _, m := range r.Moves {
		if m.From == q.Queue {
			return true
		}
	}
	return false
}

// Calls returns the records that joined in the query's range, oldest first.
func (db *DB) Calls(ctx context.Context, q CallQuery) ([]CallRecord, error) {
	var out []CallRecord
	err := db.eachCall(ctx, q, func(r CallRecord) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (db *DB) eachCall(ctx context.Context, q CallQuery, fn func(CallRecord) error) error {
	err := db.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCalls).Cursor()
		var k, v []byte
		if q.From.IsZero() {
			k, v = c.First()
		} else {
			k, v = c.Seek(timeKey(q.From))
		}
		var end []byte
		if !q.To.IsZero() {
			end = timeKey(q.To)
		}
		n := 0
		for ; k != nil; k, v = c.Next() {
			if end != nil && bytes.Compare(k[:8], end) >= 0 {
				break
			}
			if n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var r CallRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode call %s: %w", callID(k), err)
			}
			if !q.matches(r) {
				continue
			}
			if err := fn(db.localCall(r)); err != nil {
				return err
			}
			n++
			if q.Limit > 0 && n >= q.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list calls: %w", err)
	}
	return nil
}

// Call returns the latest record of a caller (an ARI channel id).
func (db *DB) Call(ctx context.Context, caller queue.CallerID) (CallRecord, error) {
	var r CallRecord
	err := db.view(ctx, func(tx *bolt.Tx) error {
		key := tx.Bucket(bucketCallsByCaller).Get([]byte(caller))
		if key == nil {
			return ErrNotFound
		}
		v := tx.Bucket(bucketCalls).Get(key)
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &r)
	})
	if err != nil {
		return CallRecord{}, fmt.Errorf("call %s: %w", caller, err)
	}
	return db.localCall(r), nil
}

func (db *DB) localCall(r CallRecord) CallRecord {
	loc := db.opts.Location
	for _, t := range []*time.Time{&r.JoinedAt, &r.FirstRingAt, &r.AnsweredAt, &r.LeftAt, &r.EndedAt} {
		if !t.IsZero() {
			*t = t.In(loc)
		}
	}
	for i := range r.Moves {
		r.Moves[i].At = r.Moves[i].At.In(loc)
	}
	return r
}

// CallsCSVHeader is the first line WriteCallsCSV writes.
var CallsCSVHeader = []string{
	"id", "caller", "queue", "number", "name", "priority",
	"joined_at", "first_ring_at", "answered_at", "left_at", "ended_at",
	"agent", "outcome", "status", "exit_key", "completed_by",
	"join_position", "exit_position", "wait_s", "ring_s", "talk_s",
	"offers", "unanswered", "moves", "transfer",
}

// WriteCallsCSV writes the selected records as CSV, times in RFC 3339 in the
// DB's Location, durations in seconds with millisecond precision, moves as
// "from>to" joined by ";".
func (db *DB) WriteCallsCSV(ctx context.Context, w io.Writer, q CallQuery) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CallsCSVHeader); err != nil {
		return fmt.Errorf("write calls csv: %w", err)
	}
	err := db.eachCall(ctx, q, func(r CallRecord) error {
		return cw.Write(callCSVRow(r))
	})
	if err != nil {
		return fmt.Errorf("write calls csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write calls csv: %w", err)
	}
	return nil
}

func callCSVRow(r CallRecord) []string {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
	moves := make([]string, len(r.Moves))
	for i, m := range r.Moves {
		moves[i] = m.From + ">" + m.To
	}
	return []string{
		r.ID, string(r.Caller), csvSafe(r.Queue), csvSafe(r.Number), csvSafe(r.Name), strconv.Itoa(r.Priority),
		ts(r.JoinedAt), ts(r.FirstRingAt), ts(r.AnsweredAt), ts(r.LeftAt), ts(r.EndedAt),
		string(r.Agent), r.Outcome, string(r.Status), r.ExitKey, string(r.CompletedBy),
		strconv.Itoa(r.JoinPosition), strconv.Itoa(r.ExitPosition), secs(r.Wait), secs(r.RingTime), secs(r.Talk),
		strconv.Itoa(r.Offers), strconv.Itoa(r.Unanswered), strings.Join(moves, ";"),
		transferCSV(r.Transfer),
	}
}

// transferCSV is the transfer column: exten@context for a blind transfer,
// the attended destination otherwise.
func transferCSV(t *Transfer) string {
	switch {
	case t == nil:
		return ""
	case t.Exten != "" || t.Context != "":
		return csvSafe(t.Exten + "@" + t.Context)
	default:
		return csvSafe(t.Attended)
	}
}

// csvSafe defuses a cell a spreadsheet would run as a formula: the caller id
// name and number come from the outside world. A phone number such as
// +4930123 is left alone.
func csvSafe(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if strings.Trim(s, "+0123456789*#") == "" {
		return s
	}
	return "'" + s
}
