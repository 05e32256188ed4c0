package queue

import (
	"flag"
	"fmt"
	"reflect"
	"sort"
	"stasisq/internal/scripttest"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the expected output of testdata/scenarios")

// TestScenarios replays each testdata/scenarios/*.txt script: blocks of one
// command, a "----" line and the effects expected, one per line, separated
// by blank lines (etcd-io/raft's interaction tests). Times print as offsets
// from the start. Run with -update to rewrite the expectations.
//
// Commands:
//
//	queue NAME key=value...         configure a queue (defaults + changes)
//	agent ID queues=Q:PEN,... [static] [skills=s:lvl,...]
//	login|logout|unpause|wrapdone AGENT
//	pause AGENT [REASON]
//	device AGENT STATE
//	join CALLER QUEUE [prio=N] [maxwait=D]
//	hangup|lost CALLER
//	dtmf CALLER DIGIT
//	announced CALLER                 (AnnouncementDone: its Announce is over)
//	answer AGENT / fail AGENT REASON  (its current offer)
//	end CALLER caller|agent|system
//	reorder QUEUE CALLER POS / move CALLER QUEUE [keepwait] / priority CALLER N
//	pick AGENT CALLER
//	advance DURATION                 (ticking at every deadline on the way)
//	order QUEUE                      (prints the queue's order)
func TestScenarios(t *testing.T) {
	scripttest.RunDir(t, "testdata/scenarios", *update, func(t *testing.T) func(string) []string {
		h := MustHarness(t, nil, nil)
		return func(cmd string) []string { return runCommand(t, h, cmd) }
	})
}

func runCommand(t *testing.T, h *harness, cmd string) []string {
	t.Helper()
	f := strings.Fields(cmd)
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		t.Fatalf("%q: missing argument %d", cmd, i)
		return ""
	}
	dur := func(s string) time.Duration {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("%q: %v", cmd, err)
		}
		return d
	}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%q: %v", cmd, err)
		}
		return n
	}
	var in Input
	switch f[0] {
	case "queue":
		c := DefaultQueueConfig(arg(1))
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			setQueueField(t, &c, k, v)
		}
		in = ConfigureQueue{Config: c}
	case "agent":
		a := AgentConfig{ID: arg(1), Device: "PJSIP/" + arg(1)}
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "static":
				a.Static = true
			case "queues":
				for _, m := range strings.Split(v, ",") {
					q, p, _ := strings.Cut(m, ":")
					a.Queues = append(a.Queues, Membership{Queue: q, Penalty: num(p)})
				}
			case "skills":
				a.Skills = map[string]int{}
				for _, s := range strings.Split(v, ",") {
					n, l, _ := strings.Cut(s, ":")
					a.Skills[n] = num(l)
				}
			default:
				t.Fatalf("%q: unknown agent field %q", cmd, k)
			}
		}
		in = ConfigureAgent{Config: a}
	case "login":
		in = AgentLogin{Agent: AgentID(arg(1))}
	case "logout":
		in = AgentLogout{Agent: AgentID(arg(1))}
	case "pause":
		in = AgentPause{Agent: AgentID(arg(1)), Reason: strings.Join(f[2:], " ")}
	case "unpause":
		in = AgentUnpause{Agent: AgentID(arg(1))}
	case "wrapdone":
		in = AgentWrapUpDone{Agent: AgentID(arg(1))}
	case "device":
		in = AgentDeviceState{Agent: AgentID(arg(1)), State: DeviceState(arg(2))}
	case "join":
		j := CallerJoin{Caller: CallerID(arg(1)), Queue: arg(2), JoinedAt: h.now}
		for _, kv := range f[3:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "prio":
				j.Priority = num(v)
			case "maxwait":
				j.MaxWait = dur(v)
			case "number":
				j.Number = v
			case "callback": // callback=NUMBER:ATTEMPTS: resumed as a callback
				n, a, _ := strings.Cut(v, ":")
				j.Resume, j.Callback = true, &CallbackResume{Number: n, Attempts: num(a)}
			default:
				t.Fatalf("%q: unknown join field %q", cmd, k)
			}
		}
		in = j
	case "hangup":
		in = CallerHangup{Caller: CallerID(arg(1))}
	case "lost":
		in = CallerLost{Caller: CallerID(arg(1))}
	case "dtmf":
		in = CallerDTMF{Caller: CallerID(arg(1)), Digit: arg(2)}
	case "announced":
		in = AnnouncementDone{Caller: CallerID(arg(1))}
	case "cbanswered": // cbanswered CALLER: the customer of a callback picked up
		in = CallbackAnswered{Caller: CallerID(arg(1))}
	case "cbfailed": // cbfailed CALLER REASON
		in = CallbackFailed{Caller: CallerID(arg(1)), Reason: RingFailure(arg(2))}
	case "callers": // callers QUEUE: the snapshot's callers, with their callbacks
		var out []string
		for _, q := range h.e.Snapshot(h.now).Queues {
			if q.Config.Name != arg(1) {
				continue
			}
			for _, c := range q.Callers {
				out = append(out, fmt.Sprintf("%d %s callback=%q number=%s attempts=%d", c.Position, c.ID, c.Callback, c.CallbackNumber, c.CallbackAttempts))
			}
		}
		return out
	case "answer":
		in = OfferAnswered{Offer: h.offerOf(arg(1))}
	case "fail":
		in = OfferFailed{Offer: h.offerOf(arg(1)), Reason: RingFailure(arg(2))}
	case "end":
		in = CallEnded{Caller: CallerID(arg(1)), By: Party(arg(2))}
	case "reorder":
		in = Reorder{Queue: arg(1), Caller: CallerID(arg(2)), Position: num(arg(3))}
	case "move":
		in = Move{Caller: CallerID(arg(1)), ToQueue: arg(2), KeepWait: len(f) > 3 && f[3] == "keepwait"}
	case "priority":
		in = SetPriority{Caller: CallerID(arg(1)), Priority: num(arg(2))}
	case "pick":
		in = Pick{Agent: AgentID(arg(1)), Caller: CallerID(arg(2))}
	case "record": // record CALLER start|pause|resume [agent=ID] [by=LOGIN]
		rc := RecordingControl{Caller: CallerID(arg(1)), Action: arg(2)}
		for _, kv := range f[3:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "agent":
				rc.Agent = AgentID(v)
			case "by":
				rc.By = v
			default:
				t.Fatalf("%q: unknown record field %q", cmd, k)
			}
		}
		in = rc
	case "recorded": // recorded CALLER NAME done|failed|deleted [duration] [reason...]
		rr := RecordingReport{Caller: CallerID(arg(1)), Name: arg(2), State: arg(3)}
		if len(f) > 4 {
			if d, err := time.ParseDuration(f[4]); err == nil {
				rr.Duration = d
				rr.Reason = strings.Join(f[5:], " ")
			} else {
				rr.Reason = strings.Join(f[4:], " ")
			}
		}
		in = rr
	case "monitor": // monitor CALLER SUPERVISOR [MODE]: no mode is leaving
		mc := MonitorChange{Caller: CallerID(arg(1)), Supervisor: arg(2)}
		if len(f) > 3 {
			mc.Mode = f[3]
		}
		in = mc
	case "advance":
		return formatEffects(h.advance(dur(arg(1))))
	case "visit": // visit CALLER QUEUE NUMBER PRIO JOINED-AGO WAIT LEFT-AGO: an abandon before a restart
		in = AbandonedVisit{Caller: CallerID(arg(1)), Queue: arg(2), Number: arg(3), Priority: num(arg(4)),
			JoinedAt: h.now.Add(-dur(arg(5))), Wait: dur(arg(6)), LeftAt: h.now.Add(-dur(arg(7)))}
	case "today": // today QUEUE: the queue's figures since midnight
		for _, q := range h.e.Snapshot(h.now).Queues {
			if q.Config.Name == arg(1) {
				d := q.RealTime.Today
				return []string{fmt.Sprintf("offered=%d answered=%d abandoned=%d short=%d abandon_wait=%s in_sl=%d wait=%s exited=%d callbacks=%d failed=%d",
					d.Offered, d.Answered, d.Abandoned, d.AbandonedShort, d.AbandonWaitSum, d.AnsweredInSL, d.WaitSum, d.Exited, d.Callbacks, d.CallbacksFailed)}
			}
		}
		t.Fatalf("%q: no queue %s", cmd, arg(1))
	case "order":
		var ids []string
		for _, c := range h.order(arg(1)) {
			ids = append(ids, string(c))
		}
		return []string{"[" + strings.Join(ids, " ") + "]"}
	default:
		t.Fatalf("unknown command %q", cmd)
	}
	ready, err := h.e.Apply(h.now, in)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	return formatEffects(ready.Effects())
}

// setQueueField sets the QueueConfig field whose json name is k.
func setQueueField(t *testing.T, c *QueueConfig, k, v string) {
	t.Helper()
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		if strings.Split(rt.Field(i).Tag.Get("json"), ",")[0] != k {
			continue
		}
		fv := rv.Field(i)
		switch fv.Interface().(type) {
		case time.Duration:
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("%s=%s: %v", k, v, err)
			}
			fv.SetInt(int64(d))
		case int:
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("%s=%s: %v", k, v, err)
			}
			fv.SetInt(int64(n))
		case bool:
			fv.SetBool(v == "yes" || v == "true")
		case string, Strategy, AutoPause:
			fv.SetString(v)
		case []EmptyCondition:
			var cs []EmptyCondition
			for _, s := range strings.Split(v, ",") {
				cs = append(cs, EmptyCondition(s))
			}
			fv.Set(reflect.ValueOf(cs))
		case []string:
			fv.Set(reflect.ValueOf(strings.Split(v, ",")))
		default:
			t.Fatalf("queue field %s: type %s not supported in scenarios", k, fv.Type())
		}
		return
	}
	t.Fatalf("unknown queue field %q", k)
}

// formatEffects prints each effect as its type and non-zero fields, times
// as offsets from t0, configurations left out.
func formatEffects(effs []Effect) []string {
	var out []string
	for _, e := range effs {
		v := reflect.ValueOf(e)
		var parts []string
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			fv := v.Field(i)
			if fv.IsZero() || name == "Config" || name == "At" || name == "PrevSince" {
				continue
			}
			parts = append(parts, name+"="+formatValue(fv.Interface()))
		}
		out = append(out, v.Type().Name()+" "+strings.Join(parts, " "))
	}
	return out
}

func formatValue(v any) string {
	switch v := v.(type) {
	case time.Time:
		return "+" + v.Sub(t0).String()
	case []string:
		return "[" + strings.Join(v, " ") + "]"
	case []CallerID:
		s := make([]string, len(v))
		for i, c := range v {
			s[i] = string(c)
		}
		return "[" + strings.Join(s, " ") + "]"
	case map[string]int:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var s []string
		for _, k := range keys {
			s = append(s, fmt.Sprintf("%s:%d", k, v[k]))
		}
		return "{" + strings.Join(s, ",") + "}"
	case *Recording:
		return "{" + v.Name + " " + v.Format + "}"
	case Recording:
		return "{" + v.Name + " " + v.Format + "}"
	}
	return fmt.Sprint(v)
}
