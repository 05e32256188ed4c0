// Package queue is the call-centre domain: queues, waiting callers, agents,
// routing strategies and statistics. It is a pure state machine: Engine.Apply
// takes one input at an injected time and returns effects; it does no I/O and
// starts no goroutines, so every rule is testable and every scenario
// replayable.
package queue
