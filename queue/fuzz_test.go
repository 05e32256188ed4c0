package queue

import (
	"slices"
	"testing"
)

// fuzzMaxOps bounds one input so the fuzzer spends its time on variety, not
// on long scripts.
const fuzzMaxOps = 600

// scriptOf builds script bytes by hand: an op name becomes its byte, an int
// an argument byte.
func scriptOf(tb testing.TB, parts ...any) []byte {
	tb.Helper()
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			i := slices.Index(opWeights, p)
			if i < 0 {
				tb.Fatalf("scriptOf: unknown op %q", p)
			}
			b = append(b, byte(i))
		case int:
			b = append(b, byte(p))
		default:
			tb.Fatalf("scriptOf: %T is neither an op nor an argument", p)
		}
	}
	return b
}

// invScripts are hand-written scripts for the seed corpus, each with effects
// it must produce, so that a change in the decoder that made them hollow fails.
var invScripts = []struct {
	name  string
	parts []any
	want  []string
}{
	{
		name:  "call answered, talked, wrap-up ends",
		parts: []any{"login", 0, 0, "join", 0, 0, 0, "answer", 0, "callEnd", 0, 0, "tick", 0, "tick", 0},
		want:  []string{"Connect", "CallCompleted", "WrapUpEnded", "left:answered"},
	},
	{
		name:  "ring timeout, a no-answer, then an abandon",
		parts: []any{"login", 1, 0, "join", 1, 0, 0, "tick", 0, "tick", 0, "fail", 0, 0, "tick", 0, "hangup", 0, 0},
		want:  []string{"CancelRing", "OfferEnded", "left:abandoned"},
	},
	{
		name: "supervisor actions, an answer racing a cancel",
		parts: []any{"join", 0, 0, 1, "join", 0, 0, 0, "join", 0, 0, 2, "reorder", 2, 1, "move", 1, 2, 0,
			"priority", 0, 3, "remove", 0, 1, "login", 0, 0, "hangup", 0, 0, "race", 0, 0, "answer", 0},
		want: []string{"CallerMoved", "CallerPriorityChanged", "left:continued", "HangupAgent", "Connect"},
	},
	{
		name:  "exit key, leave when empty",
		parts: []any{"join", 1, 0, 0, "dtmf", 0, 1, "join", 2, 0, 0, "logout", 5, "advance", 39, "tick", 0},
		want:  []string{"left:exit", "left:leaveempty"},
	},
}

func TestInvariantScripts(t *testing.T) {
	for _, sc := range invScripts {
		t.Run(sc.name, func(t *testing.T) {
			counts := runScript(t, 0, scriptOf(t, sc.parts...))
			for _, k := range sc.want {
				if counts[k] == 0 {
					t.Errorf("no %s; got %v", k, counts)
				}
			}
		})
	}
}

// FuzzEngine runs the invariant harness on arbitrary scripts. The first byte
// chooses the seed (queue strategies and the engine's randomness), the rest
// are operations, decoded as TestEngineInvariantsRandomized decodes them.
func FuzzEngine(f *testing.F) {
	for _, sc := range invScripts {
		f.Add(append([]byte{0}, scriptOf(f, sc.parts...)...))
	}
	for s := range int64(6) {
		f.Add(append([]byte{byte(s)}, randomScript(s, 400)...))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		ops := in[1:]
		if len(ops) > fuzzMaxOps {
			ops = ops[:fuzzMaxOps]
		}
		runScript(t, int64(in[0]), ops)
	})
}
