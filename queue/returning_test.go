package queue

import (
	"testing"
	"time"
)

// A returning caller keeps the priority it had (or the higher one it
// brings), a full queue takes it back, and a queue without abandon-resume
// or a window shortened since keeps no place.
func TestAbandonResumePriorityMaxLenAndWindow(t *testing.T) {
	q := DefaultQueueConfig("sales")
	q.AbandonResume = 5 * time.Minute
	q.MaxLen = 2
	plain := DefaultQueueConfig("plain")
	h := MustHarness(t, []QueueConfig{q, plain}, nil)
	h.do(CallerJoin{Caller: "vip", Queue: "sales", Priority: 5, Number: "200", JoinedAt: h.now})
	h.advance(time.Second)
	h.do(CallerJoin{Caller: "b", Queue: "sales", Number: "201", JoinedAt: h.now})
	h.do(CallerHangup{Caller: "vip"})
	h.do(CallerJoin{Caller: "c", Queue: "sales", Number: "202", JoinedAt: h.now})
	h.wantOrder("sales", "b", "c") // full: two of two

	// vip calls back without its priority: it has it again, and the full
	// queue takes it, at the head.
	h.advance(time.Minute)
	h.do(CallerJoin{Caller: "vip2", Queue: "sales", Number: "200", JoinedAt: h.now})
	h.wantOrder("sales", "vip2", "b", "c")
	if c := h.e.callers["vip2"]; c.priority != 5 || !c.orderAt.Equal(t0) {
		t.Errorf("vip2: priority %d, place from %s; want 5 and its first join", c.priority, c.orderAt)
	}
	// A newcomer to the full queue is still refused.
	effs := h.do(CallerJoin{Caller: "d", Queue: "sales", Number: "203", JoinedAt: h.now})
	refused := false
	for _, e := range effs {
		_, ok := e.(Refuse)
		refused = refused || ok
	}
	if !refused {
		t.Errorf("d joining a full queue: %v, want refused", effs)
	}

	// No abandon-resume in plain: a caller back from the same number is new.
	h.do(CallerJoin{Caller: "p1", Queue: "plain", Number: "300", JoinedAt: h.now})
	h.advance(time.Second)
	h.do(CallerJoin{Caller: "p2", Queue: "plain", Number: "301", JoinedAt: h.now})
	h.do(CallerHangup{Caller: "p1"})
	h.do(CallerJoin{Caller: "p3", Queue: "plain", Number: "300", JoinedAt: h.now})
	h.wantOrder("plain", "p2", "p3")

	// The window shortened after the abandon: the shorter one holds.
	h.do(CallerHangup{Caller: "b"})
	h.advance(2 * time.Minute)
	q.AbandonResume, q.MaxLen = time.Minute, 0
	h.do(ConfigureQueue{Config: q})
	h.do(CallerJoin{Caller: "b2", Queue: "sales", Number: "201", JoinedAt: h.now})
	if c := h.e.callers["b2"]; !c.orderAt.Equal(h.now) {
		t.Errorf("b2 back after 2 min of a 1 min window: placed from %s, want now", c.orderAt)
	}
	// The kept visits are gone once their windows end.
	h.advance(10 * time.Minute)
	if n := len(h.e.abandoned); n != 0 {
		t.Errorf("%d queues still keep abandoned visits after their windows", n)
	}
}
