// Package callflow is the application loop: it owns the queue engine and
// translates between Asterisk (ARI events and REST calls) and the engine's
// inputs and effects.
//
// Invariants it keeps:
//   - One goroutine (Run's loop) owns the engine and every translation
//     table; UI commands (Floor methods) and REST outcomes reach it as
//     functions run on the loop, never by locking.
//   - The loop never waits on Asterisk: REST calls go to the executor, one
//     ordered lane per channel (caller or agent leg), and their failures
//     come back as engine inputs.
//   - What the engine decided is persisted and published before the
//     telephony it implies is carried out (see apply), and after every
//     (re)connect the loop reconciles with what Asterisk lists, so a lost
//     event or a crash leaves no caller lost, none doubled, no agent
//     ringing and no bridge behind.
//   - It depends on Asterisk only through the ARI interface it declares.
//   - A call's recording (recording.go) and a supervisor's session on a
//     call (monitor.go) never cost the call: their failures are reported
//     and the call goes on; a supervisor's leg, snoop and listening bridge
//     go when the call or the session ends, and a later run hangs up what
//     an earlier one left.
package callflow
