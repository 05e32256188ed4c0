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

	"stasisq/internal/csvcell"
	"stasisq/queue"
)

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

// parseCallID is callID's inverse: the key of a call record's ID.
func parseCallID(id string) ([]byte, bool) {
	stamp, caller, ok := strings.Cut(id, "-")
	if !ok || len(stamp) != 16 || caller == "" {
		return nil, false
	}
	n, err := strconv.ParseUint(stamp, 16, 64)
	if err != nil {
		return nil, false
	}
	key := binary.BigEndian.AppendUint64(nil, n)
	return append(key, caller...), true
}

// CallByID returns one call record by its ID (CallRecord.ID).
func (db *DB) CallByID(ctx context.Context, id string) (queue.CallRecord, error) {
	key, ok := parseCallID(id)
	if !ok {
		return queue.CallRecord{}, fmt.Errorf("call %q: malformed id: %w", id, queue.ErrNotFound)
	}
	var r queue.CallRecord
	err := db.view(ctx, func(tx *bolt.Tx) (err error) {
		r, err = getCall(tx, key)
		return err
	})
	if err != nil {
		return queue.CallRecord{}, fmt.Errorf("call %s: %w", id, err)
	}
	return db.localCall(r), nil
}

// getCall decodes the record at key in calls; queue.ErrNotFound if none.
func getCall(tx *bolt.Tx, key []byte) (queue.CallRecord, error) {
	var r queue.CallRecord
	v := tx.Bucket(bucketCalls).Get(key)
	if v == nil {
		return r, queue.ErrNotFound
	}
	err := json.Unmarshal(v, &r)
	return r, err
}

// Calls returns the records that joined in the query's range, oldest first.
func (db *DB) Calls(ctx context.Context, q queue.CallQuery) ([]queue.CallRecord, error) {
	var out []queue.CallRecord
	err := db.eachCall(ctx, q, func(r queue.CallRecord) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (db *DB) eachCall(ctx context.Context, q queue.CallQuery, fn func(queue.CallRecord) error) error {
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
		pre := newRawFilter(q)
		n, seen := 0, 0
		for ; k != nil; k, v = c.Next() {
			if end != nil && bytes.Compare(k[:8], end) >= 0 {
				break
			}
			if seen++; seen%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if !pre.mightMatch(v) {
				continue
			}
			var r queue.CallRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode call %s: %w", callID(k), err)
			}
			if !q.Matches(r) {
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

// rawFilter rejects a stored record that cannot match a query without
// decoding it: a search by number, agent or outcome over months of calls
// looks at every record, and decoding a million of them takes seconds
// (BenchmarkCallSearch90Days). It only ever says no to a record that
// CallQuery.Matches would refuse; what it lets through Matches decides.
type rawFilter struct {
	strs   [][]byte // JSON strings the record must contain somewhere
	number []byte   // digits the record's number must contain
	buf    []byte
}

func newRawFilter(q queue.CallQuery) *rawFilter {
	f := &rawFilter{}
	// encoding/json writes a string the same way every time, so a record
	// holding the value in any field holds these bytes.
	for _, s := range []string{q.Outcome, string(q.Agent), q.Queue} {
		if s != "" {
			if b, err := json.Marshal(s); err == nil {
				f.strs = append(f.strs, b)
			}
		}
	}
	if q.Number != "" {
		f.number = []byte(queue.Digits(q.Number))
	}
	return f
}

// numberKey starts the record's number: CallRecord's first "number" field,
// after id, caller and queue, whose values cannot hold it unescaped.
var numberKey = []byte(`"number":"`)

func (f *rawFilter) mightMatch(v []byte) bool {
	for _, s := range f.strs {
		if !bytes.Contains(v, s) {
			return false
		}
	}
	if len(f.number) == 0 {
		return true
	}
	i := bytes.Index(v, numberKey)
	if i < 0 {
		return true // not the shape expected: let the decoder judge
	}
	raw := v[i+len(numberKey):]
	j := bytes.IndexByte(raw, '"')
	if j < 0 || bytes.IndexByte(raw[:j], '\\') >= 0 {
		return true // an escape inside: decode it properly
	}
	f.buf = f.buf[:0]
	for _, c := range raw[:j] { // queue.Digits, without a string per record
		if c >= '0' && c <= '9' {
			f.buf = append(f.buf, c)
		}
	}
	return bytes.Contains(f.buf, f.number)
}

// Call returns the latest record of a caller (an ARI channel id).
func (db *DB) Call(ctx context.Context, caller queue.CallerID) (queue.CallRecord, error) {
	var r queue.CallRecord
	err := db.view(ctx, func(tx *bolt.Tx) (err error) {
		key := tx.Bucket(bucketCallsByCaller).Get([]byte(caller))
		if key == nil {
			return queue.ErrNotFound
		}
		r, err = getCall(tx, key)
		return err
	})
	if err != nil {
		return queue.CallRecord{}, fmt.Errorf("call %s: %w", caller, err)
	}
	return db.localCall(r), nil
}

func (db *DB) localCall(r queue.CallRecord) queue.CallRecord {
	loc := db.opts.Location
	for _, t := range []*time.Time{&r.JoinedAt, &r.FirstRingAt, &r.AnsweredAt, &r.LeftAt, &r.EndedAt} {
		if !t.IsZero() {
			*t = t.In(loc)
		}
	}
	for i := range r.Moves {
		r.Moves[i].At = r.Moves[i].At.In(loc)
	}
	for i := range r.Rings {
		r.Rings[i].At = r.Rings[i].At.In(loc)
		if !r.Rings[i].Ended.IsZero() {
			r.Rings[i].Ended = r.Rings[i].Ended.In(loc)
		}
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
func (db *DB) WriteCallsCSV(ctx context.Context, w io.Writer, q queue.CallQuery) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CallsCSVHeader); err != nil {
		return fmt.Errorf("write calls csv: %w", err)
	}
	err := db.eachCall(ctx, q, func(r queue.CallRecord) error {
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

func callCSVRow(r queue.CallRecord) []string {
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
		r.ID, string(r.Caller), csvcell.Safe(r.Queue), csvcell.Safe(r.Number), csvcell.Safe(r.Name), strconv.Itoa(r.Priority),
		ts(r.JoinedAt), ts(r.FirstRingAt), ts(r.AnsweredAt), ts(r.LeftAt), ts(r.EndedAt),
		string(r.Agent), r.Outcome, string(r.Status), r.ExitKey, string(r.CompletedBy),
		strconv.Itoa(r.JoinPosition), strconv.Itoa(r.ExitPosition), secs(r.Wait), secs(r.RingTime), secs(r.Talk),
		strconv.Itoa(r.Offers), strconv.Itoa(r.Unanswered), strings.Join(moves, ";"),
		transferCSV(r.Transfer),
	}
}

// transferCSV is the transfer column: exten@context for a blind transfer,
// the attended destination otherwise.
func transferCSV(t *queue.CallTransfer) string {
	switch {
	case t == nil:
		return ""
	case t.Exten != "" || t.Context != "":
		return csvcell.Safe(t.Exten + "@" + t.Context)
	default:
		return csvcell.Safe(t.Attended)
	}
}
