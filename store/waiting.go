package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// waitingRecord is a waiting caller as state/callers holds it (schema 3).
// Its place in the queue is its index in the queue's state/order key, so that
// an order change writes one key instead of every caller behind the change.
type waitingRecord struct {
	ID       queue.CallerID `json:"id"`
	Queue    string         `json:"queue"`
	Priority int            `json:"priority"`
	Number   string         `json:"number"`
	Name     string         `json:"name"`
	JoinedAt time.Time      `json:"joined_at"`
	// Position pins the caller's place while no order change of its queue
	// has listed it since it joined or moved there (or since an order change
	// of its queue left it out): the position that event gave it. Zero means
	// its place is in the order key. The engine emits the order right after
	// a join or move, in the same Apply, so committed state rarely pins.
	Position int `json:"position,omitempty"`
	// Callback: a callback holding its place (CallbackRequested), with its
	// tries so far.
	Callback *queue.CallbackResume `json:"callback,omitempty"`
}

// waitingSet is the committed waiting callers and queue orders. The writer
// keeps one in memory, loaded at Open, so that a batch reads no caller back
// from the database; LoadState builds one from the database.
type waitingSet struct {
	callers map[queue.CallerID]waitingRecord
	orders  map[string][]queue.CallerID // never changed in place: replaced whole
	// unsettled holds, in the writer's copy, every waiting caller that may
	// not take its place from its own queue's order alone: pinned, or listed
	// by another queue's order. Usually the callers that joined since the
	// last order; a superset is harmless.
	unsettled map[queue.CallerID]struct{}
}

// findUnsettled fills unsettled from callers and orders, as read at Open.
func (s *waitingSet) findUnsettled() {
	s.unsettled = make(map[queue.CallerID]struct{})
	for id, r := range s.callers {
		if r.Position > 0 {
			s.unsettled[id] = struct{}{}
		}
	}
	for q, ids := range s.orders {
		for _, id := range ids {
			if r, ok := s.callers[id]; ok && r.Queue != q {
				s.unsettled[id] = struct{}{}
			}
		}
	}
}

func readWaitingSet(tx *bolt.Tx) (waitingSet, error) {
	s := waitingSet{callers: make(map[queue.CallerID]waitingRecord), orders: make(map[string][]queue.CallerID)}
	st := tx.Bucket(bucketState)
	err := st.Bucket(bucketStateCallers).ForEach(func(k, v []byte) error {
		var r waitingRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode waiting caller %s: %w", k, err)
		}
		s.callers[queue.CallerID(k)] = r
		return nil
	})
	if err != nil {
		return waitingSet{}, err
	}
	err = st.Bucket(bucketStateOrder).ForEach(func(k, v []byte) error {
		ids, err := decodeOrder(v)
		if err != nil {
			return fmt.Errorf("decode order of queue %s: %w", k, err)
		}
		s.orders[string(k)] = ids
		return nil
	})
	if err != nil {
		return waitingSet{}, err
	}
	return s, nil
}

// waitingCallers resolves every caller's position: its pin, else its last
// index in its queue's order. A caller with neither (only a hand-edited file
// has one) goes after the ordered callers of its queue, by join time.
func (s waitingSet) waitingCallers() []WaitingCaller {
	index := make(map[string]map[queue.CallerID]int, len(s.orders))
	for q, ids := range s.orders {
		m := make(map[queue.CallerID]int, len(ids))
		for i, id := range ids {
			m[id] = i + 1
		}
		index[q] = m
	}
	var out []WaitingCaller // nil when none wait, as LoadState always returned
	var unplaced []int
	for id, r := range s.callers {
		wc := WaitingCaller{ID: id, Queue: r.Queue, Priority: r.Priority, Number: r.Number, Name: r.Name,
			JoinedAt: r.JoinedAt, Position: r.Position, Callback: r.Callback}
		if wc.Position == 0 {
			wc.Position = index[r.Queue][id]
		}
		if wc.Position == 0 {
			unplaced = append(unplaced, len(out))
		}
		out = append(out, wc)
	}
	sort.Slice(unplaced, func(i, j int) bool { return out[unplaced[i]].JoinedAt.Before(out[unplaced[j]].JoinedAt) })
	next := make(map[string]int)
	for _, i := range unplaced {
		q := out[i].Queue
		if _, ok := next[q]; !ok {
			next[q] = len(s.orders[q])
		}
		next[q]++
		out[i].Position = next[q]
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Queue != b.Queue {
			return a.Queue < b.Queue
		}
		if a.Position != b.Position {
			return a.Position < b.Position
		}
		return a.JoinedAt.Before(b.JoinedAt)
	})
	return out
}

// encodeOrder writes caller ids as uvarint length + bytes each: compact, and
// safe for any byte a channel id may hold.
func encodeOrder(ids []queue.CallerID) []byte {
	n := 0
	for _, id := range ids {
		n += binary.MaxVarintLen64 + len(id)
	}
	out := make([]byte, 0, n)
	for _, id := range ids {
		out = binary.AppendUvarint(out, uint64(len(id)))
		out = append(out, id...)
	}
	return out
}

func decodeOrder(raw []byte) ([]queue.CallerID, error) {
	var ids []queue.CallerID
	for len(raw) > 0 {
		n, w := binary.Uvarint(raw)
		if w <= 0 || n > uint64(len(raw)-w) {
			return nil, fmt.Errorf("caller id %d: bad length", len(ids)+1)
		}
		ids = append(ids, queue.CallerID(raw[w:w+int(n)]))
		raw = raw[w+int(n):]
	}
	return ids, nil
}

// lastIndex is a caller's 1-based place in an order: its last occurrence,
// as the engine's order is applied in sequence; 0 if absent.
func lastIndex(ids []queue.CallerID, id queue.CallerID) int {
	for i := len(ids) - 1; i >= 0; i-- {
		if ids[i] == id {
			return i + 1
		}
	}
	return 0
}

// migrateQueueOrderKeys (2 -> 3): schema 2 kept a position in every waiting
// caller's record; schema 3 keeps one order key per queue. A queue whose
// positions are exactly 1..n gets its order key and its callers lose their
// position; any other queue's callers keep theirs as pins, which reads back
// the same.
func migrateQueueOrderKeys(tx *bolt.Tx) error {
	st := tx.Bucket(bucketState)
	if st == nil {
		return fmt.Errorf("bucket %s missing", bucketState)
	}
	callers := st.Bucket(bucketStateCallers)
	if callers == nil {
		return fmt.Errorf("bucket %s/%s missing", bucketState, bucketStateCallers)
	}
	orders, err := st.CreateBucketIfNotExists(bucketStateOrder)
	if err != nil {
		return fmt.Errorf("create bucket %s/%s: %w", bucketState, bucketStateOrder, err)
	}
	byQueue := make(map[string][]waitingRecord)
	err = callers.ForEach(func(k, v []byte) error {
		var r waitingRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode waiting caller %s: %w", k, err)
		}
		r.ID = queue.CallerID(k)
		byQueue[r.Queue] = append(byQueue[r.Queue], r)
		return nil
	})
	if err != nil {
		return err
	}
	for _, q := range slices.Sorted(maps.Keys(byQueue)) {
		rs := byQueue[q]
		sort.Slice(rs, func(i, j int) bool {
			if rs[i].Position != rs[j].Position {
				return rs[i].Position < rs[j].Position
			}
			return rs[i].JoinedAt.Before(rs[j].JoinedAt)
		})
		ids := make([]queue.CallerID, len(rs))
		contiguous := true
		for i, r := range rs {
			ids[i] = r.ID
			contiguous = contiguous && r.Position == i+1
		}
		if !contiguous {
			continue
		}
		if err := orders.Put([]byte(q), encodeOrder(ids)); err != nil {
			return fmt.Errorf("put order of queue %s: %w", q, err)
		}
		for _, r := range rs {
			r.Position = 0
			raw, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("encode waiting caller %s: %w", r.ID, err)
			}
			if err := callers.Put([]byte(r.ID), raw); err != nil {
				return fmt.Errorf("put waiting caller %s: %w", r.ID, err)
			}
		}
	}
	return nil
}
