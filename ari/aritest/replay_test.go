package aritest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// A replay takes a transcript recorded from a real Asterisk with its REST log,
// makes the same requests (ids mapped) against the fake and checks the fake
// says the same things in the same order.

type recordedRequest struct {
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response"`
	TS       time.Time       `json:"ts"`
}

type recordedEvent struct {
	raw json.RawMessage
	m   map[string]any
	ts  time.Time
}

func loadJSONL(tb testing.TB, path string) []json.RawMessage {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var out []json.RawMessage
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		out = append(out, json.RawMessage(append([]byte(nil), line...)))
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	return out
}

func loadFlow(tb testing.TB, name string) ([]recordedEvent, []recordedRequest) {
	tb.Helper()
	evs := loadEvents(tb, name)
	var reqs []recordedRequest
	for _, raw := range loadJSONL(tb, filepath.Join("..", "testdata", name+".rest.jsonl")) {
		var r recordedRequest
		if err := json.Unmarshal(raw, &r); err != nil {
			tb.Fatalf("decode request in %s: %v", name, err)
		}
		reqs = append(reqs, r)
	}
	return evs, reqs
}

func loadEvents(tb testing.TB, name string) []recordedEvent {
	tb.Helper()
	var evs []recordedEvent
	for _, raw := range loadJSONL(tb, filepath.Join("..", "testdata", name+".jsonl")) {
		m := mustJSON(tb, raw)
		ts, err := time.Parse(asteriskTimeLayout, str(m["timestamp"]))
		if err != nil {
			tb.Fatalf("timestamp in %s: %v", name, err)
		}
		evs = append(evs, recordedEvent{raw: raw, m: m, ts: ts})
	}
	return evs
}

type replayHarness struct {
	t      *testing.T
	s      *Server
	rest   *restClient
	socket *eventSocket
	// offset counts events received on sockets closed earlier in the flow.
	offset int
	old    []json.RawMessage
	call   *Call
}

func (h *replayHarness) received() []json.RawMessage {
	return append(append([]json.RawMessage(nil), h.old...), h.socket.snapshot()...)
}

func (h *replayHarness) waitReceived(n int) []json.RawMessage {
	h.t.Helper()
	h.socket.waitCount(n-h.offset, 15*time.Second)
	return h.received()
}

type replayFlow struct {
	name string
	// before runs ahead of request i (before its wait), for what the
	// recorder's dialplan did on its own (DTMF) or socket drops.
	before   map[int]func(h *replayHarness)
	playback func(media string) time.Duration
	// waitEvents overrides, for request i, how many recorded events must
	// have arrived first, where the recorder reacted to an event within the
	// same millisecond and timestamps cannot tell.
	waitEvents map[int]int
	// setup scripts what the recorder's Asterisk had configured beyond
	// the agent contexts agentDevice knows.
	setup func(s *Server)
}

// agentDevice maps the recorder's agent contexts to device behaviours.
func agentDevice(ctx string) (DeviceBehavior, bool) {
	switch ctx {
	case "agents":
		return DeviceBehavior{Action: Answer}, true
	case "agents-slow":
		// Long enough that the recorder's next requests come first even
		// on a loaded machine, as they did against Asterisk (3 s).
		return DeviceBehavior{Action: Answer, After: time.Second}, true
	case "agents-noanswer":
		return DeviceBehavior{Action: NoAnswer}, true
	case "agents-busy":
		return DeviceBehavior{Action: Busy}, true
	}
	return DeviceBehavior{}, false
}

var idKeys = []string{"channel", "peer", "caller", "bridge", "playback"}

// idsIn lists the resource ids an event mentions, by role.
func idsIn(m map[string]any) map[string]string {
	out := map[string]string{}
	for _, k := range idKeys {
		if o, ok := m[k].(map[string]any); ok {
			if id, ok := o["id"].(string); ok {
				out[k] = id
			}
		}
	}
	return out
}

func TestReplayTranscripts(t *testing.T) {
	flows := []replayFlow{
		{name: "basic-queue-flow"},
		{name: "agent-rejects"},
		{name: "announce-in-holding-bridge", playback: func(media string) time.Duration {
			if strings.Contains(media, "thankyou") {
				return 50 * time.Millisecond
			}
			return time.Minute
		}},
		{name: "caller-abandons-while-agent-rings"},
		{name: "continue-with-queuestatus"},
		{name: "create-dial-answer"},
		{name: "dtmf-exit-key", before: map[int]func(h *replayHarness){
			3: func(h *replayHarness) { h.s.SendDTMF("dtmfijb-caller", "5") },
		}},
		// The recorder hung up the loser as soon as the winner's StasisStart (event 22) came.
		{name: "ringall-two-agents", waitEvents: map[int]int{7: 23}},
		{name: "device-state", setup: func(s *Server) {
			// [agents-sip] 1108 runs Dial(PJSIP/agent-sip,15); the SIPp UAS
			// sent 180 and 200 at once.
			s.SetLocalDial("Local/1108@agents-sip", "PJSIP/agent-sip", 15*time.Second)
			s.SetDevice("PJSIP/agent-sip", DeviceBehavior{Action: Answer, After: 5 * time.Millisecond})
		}},
		{name: "sip-caller", before: map[int]func(h *replayHarness){
			// SIPp INVITEd 1110; from-callers ran Stasis(queueapp,1110).
			0: func(h *replayHarness) {
				c, err := h.s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"1110"}, Number: "sipp", Name: "sipp", SIP: true})
				if err != nil {
					h.t.Fatalf("call: %v", err)
				}
				h.call = c
			},
			// SIPp sent BYE two seconds after the 200 OK.
			1: func(h *replayHarness) { h.call.Hangup() },
		}},
		{name: "app-reconnect", before: map[int]func(h *replayHarness){
			// The recorder closed its websocket after the caller was answered…
			2: func(h *replayHarness) {
				h.waitReceived(2)
				h.old = h.received()
				h.offset = len(h.old)
				h.socket.close()
				waitUntil(h.t, 5*time.Second, "socket gone", func() bool {
					h.s.mu.Lock()
					defer h.s.mu.Unlock()
					return !h.s.appConnected("queueapp")
				})
			},
			// …the second caller's Stasis() failed and its dialplan hung up…
			5: func(h *replayHarness) {
				waitUntil(h.t, 5*time.Second, "failed caller gone", func() bool {
					h.s.mu.Lock()
					defer h.s.mu.Unlock()
					return h.s.channels["appijy-caller2"] == nil && h.s.channels["appijy-phone-caller2"] == nil
				})
			},
			// …and it reconnected before listing what it had.
			7: func(h *replayHarness) { h.socket = MustConnect(h.t, h.s, "queueapp", "") },
		}},
	}
	for _, fl := range flows {
		t.Run(fl.name, func(t *testing.T) {
			t.Parallel()
			replay(t, fl)
		})
	}
}

var localEndpoint = regexp.MustCompile(`^Local/[^@]+@([^/]+)$`)

func replay(t *testing.T, fl replayFlow) {
	recEvents, recReqs := loadFlow(t, fl.name)
	s := MustServer(t, Options{PlaybackDuration: fl.playback, AnswerDelay: 5 * time.Millisecond})
	s.SetStasisContext("from-callers", "queueapp")
	s.SetStasisContext("from-callers-continue", "queueapp")
	// Bridging after an agent's answer must finish before its dialplan moves
	// on, as it did in the recordings; keep that true under load.
	s.answerWait = 2 * time.Second
	if fl.setup != nil {
		fl.setup(s)
	}
	for _, r := range recReqs {
		u, err := url.Parse(r.Path)
		if err != nil {
			t.Fatalf("recorded path %q: %v", r.Path, err)
		}
		ep := u.Query().Get("endpoint")
		if m := localEndpoint.FindStringSubmatch(ep); m != nil {
			if b, ok := agentDevice(m[1]); ok {
				s.SetDevice(ep, b)
			}
		}
	}
	h := &replayHarness{t: t, s: s, rest: newRESTClient(t, s)}
	h.socket = MustConnect(t, s, "queueapp", "")

	idMap := map[string]string{}
	firstMention := map[string]int{}
	for i, ev := range recEvents {
		for _, id := range idsIn(ev.m) {
			if _, ok := firstMention[id]; !ok {
				firstMention[id] = i
			}
		}
	}
	learnFromEvents := func(got []json.RawMessage) {
		for i := 0; i < len(got) && i < len(recEvents); i++ {
			gm := mustJSON(t, got[i])
			if gm["type"] != recEvents[i].m["type"] {
				return // the diff is reported at the end
			}
			want, have := idsIn(recEvents[i].m), idsIn(gm)
			for k, id := range want {
				if _, ok := idMap[id]; !ok && have[k] != "" {
					idMap[id] = have[k]
				}
			}
		}
	}
	for i, r := range recReqs {
		if f := fl.before[i]; f != nil {
			f(h)
		}
		// Events stamped well before this request's reply happened before
		// the recorder sent it: wait for as many.
		cut := r.TS.Truncate(time.Millisecond).Add(-time.Millisecond)
		need := 0
		for j, ev := range recEvents {
			if ev.ts.Before(cut) {
				need = j + 1
			}
		}
		// And the recorder knew every id it used from an earlier event.
		for _, tok := range pathTokens(r.Path) {
			if j, ok := firstMention[tok]; ok && j+1 > need && !knownFromResponses(recReqs[:i], tok) {
				need = j + 1
			}
		}
		if n, ok := fl.waitEvents[i]; ok && n > need {
			need = n
		}
		if need > h.offset {
			learnFromEvents(h.waitReceived(need))
		}
		path := mapPath(t, r.Path, idMap)
		status, body := h.rest.do(r.Method, path, nil)
		if status != r.Status {
			t.Fatalf("request %d %s %s: got=%d %s, want %d", i, r.Method, path, status, body, r.Status)
		}
		if len(r.Response) > 0 && string(r.Response) != "null" {
			if err := sameShape(r.Response, body); err != nil {
				t.Errorf("request %d %s %s: response shape: %v\n got=%s\nwant %s", i, r.Method, path, err, body, r.Response)
			}
			learnIDs(r.Response, body, idMap)
		} else if len(body) > 0 {
			t.Errorf("request %d %s %s: got body %s, want none", i, r.Method, path, body)
		}
	}
	got := h.waitReceived(len(recEvents))
	// Give a straggler the chance to show itself before comparing counts.
	time.Sleep(100 * time.Millisecond)
	got = h.received()
	compareEvents(t, recEvents, got)
}

func knownFromResponses(reqs []recordedRequest, id string) bool {
	for _, r := range reqs {
		if strings.Contains(string(r.Response), `"id":"`+id+`"`) {
			return true
		}
	}
	return false
}

// pathTokens splits a recorded path into the ids it may carry.
func pathTokens(p string) []string {
	u, err := url.Parse(p)
	if err != nil {
		return nil
	}
	toks := strings.Split(strings.Trim(u.Path, "/"), "/")
	for k, vs := range u.Query() {
		switch k {
		case "channelId", "otherChannelId", "bridgeId", "playbackId", "snoopId":
			continue // ids being given, not used
		}
		for _, v := range vs {
			toks = append(toks, strings.Split(v, ",")...)
		}
	}
	return toks
}

func mapPath(tb testing.TB, p string, ids map[string]string) string {
	tb.Helper()
	u, err := url.Parse(p)
	if err != nil {
		tb.Fatalf("parse %q: %v", p, err)
	}
	segs := strings.Split(u.Path, "/")
	for i, sg := range segs {
		if m, ok := ids[sg]; ok {
			segs[i] = url.PathEscape(m)
		}
	}
	q := u.Query()
	for k, vs := range q {
		for i, v := range vs {
			parts := strings.Split(v, ",")
			for j, part := range parts {
				if m, ok := ids[part]; ok {
					parts[j] = m
				}
			}
			vs[i] = strings.Join(parts, ",")
		}
		q[k] = vs
	}
	out := strings.Join(segs, "/")
	if len(q) > 0 {
		out += "?" + q.Encode()
	}
	return out
}

func learnIDs(want, got json.RawMessage, ids map[string]string) {
	var w, g map[string]any
	if json.Unmarshal(want, &w) != nil || json.Unmarshal(got, &g) != nil {
		return
	}
	wid, ok1 := w["id"].(string)
	gid, ok2 := g["id"].(string)
	if ok1 && ok2 {
		if _, known := ids[wid]; !known {
			ids[wid] = gid
		}
	}
}

// sameShape compares the key sets of two JSON documents, recursively.
func sameShape(want, got json.RawMessage) error {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return fmt.Errorf("decode want: %w", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Errorf("decode got: %w", err)
	}
	return shapeDiff("$", w, g)
}

func shapeDiff(at string, w, g any) error {
	switch wv := w.(type) {
	case map[string]any:
		gv, ok := g.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got=%T, want object", at, g)
		}
		var wk, gk []string
		for k := range wv {
			wk = append(wk, k)
		}
		for k := range gv {
			gk = append(gk, k)
		}
		sort.Strings(wk)
		sort.Strings(gk)
		if strings.Join(wk, ",") != strings.Join(gk, ",") {
			return fmt.Errorf("%s: got keys %v, want %v", at, gk, wk)
		}
		for _, k := range wk {
			if err := shapeDiff(at+"."+k, wv[k], gv[k]); err != nil {
				return err
			}
		}
	case []any:
		gv, ok := g.([]any)
		if !ok {
			return fmt.Errorf("%s: got=%T, want array", at, g)
		}
		if len(wv) > 0 && len(gv) > 0 {
			return shapeDiff(at+"[0]", wv[0], gv[0])
		}
	default:
		if w != nil && g != nil && fmt.Sprintf("%T", w) != fmt.Sprintf("%T", g) {
			return fmt.Errorf("%s: got=%T, want %T", at, g, w)
		}
	}
	return nil
}

var nameCounter = regexp.MustCompile(`-[0-9a-f]{8}(;[12])?$`)

func normName(v any) string {
	s, _ := v.(string)
	return nameCounter.ReplaceAllString(s, "-N$1")
}

// keyFacts are the fields a flow must agree on event by event.
func keyFacts(m map[string]any) string {
	var b strings.Builder
	b.WriteString(str(m["type"]))
	for _, k := range []string{"dialstatus", "cause", "cause_txt", "soft", "variable", "digit", "dialplan_app"} {
		if v, ok := m[k]; ok {
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
	}
	switch v, _ := m["variable"].(string); v {
	case "":
	case "STASISSTATUS", "QUEUESTATUS", "DIALSTATUS", "DIALEDPEERNUMBER":
		fmt.Fprintf(&b, " value=%v", m["value"])
	case "BRIDGEPEER", "DIALEDPEERNAME":
		fmt.Fprintf(&b, " value=%s", normName(m["value"]))
	default:
		// Timings, statistics and call ids differ from run to run; whether
		// they are set does not.
		fmt.Fprintf(&b, " set=%v", m["value"] != "")
	}
	if v, ok := m["dialstring"]; ok {
		fmt.Fprintf(&b, " dialstring=%q", v)
	}
	for _, k := range []string{"channel", "peer"} {
		if o, ok := m[k].(map[string]any); ok {
			fmt.Fprintf(&b, " %s=%s/%v", k, normName(o["name"]), o["state"])
		}
	}
	if o, ok := m["playback"].(map[string]any); ok {
		fmt.Fprintf(&b, " playback=%v", o["state"])
	}
	if o, ok := m["bridge"].(map[string]any); ok {
		chans, _ := o["channels"].([]any)
		fmt.Fprintf(&b, " bridge=%v/%d", o["bridge_type"], len(chans))
	}
	if o, ok := m["caller"].(map[string]any); ok {
		fmt.Fprintf(&b, " caller=%s/%v", normName(o["name"]), o["state"])
	}
	if o, ok := m["device_state"].(map[string]any); ok {
		fmt.Fprintf(&b, " device=%v/%v", o["name"], o["state"])
	}
	if o, ok := m["endpoint"].(map[string]any); ok {
		chans, _ := o["channel_ids"].([]any)
		fmt.Fprintf(&b, " endpoint=%v/%v/%v/%d", o["technology"], o["resource"], o["state"], len(chans))
	}
	return b.String()
}

// inEitherOrder returns got with its events lo..hi-1 put in want's order
// when they are the same events in another order, for a window where
// Asterisk's own order is a race. Outside the window got is unchanged.
func inEitherOrder(t *testing.T, want []recordedEvent, got []json.RawMessage, lo, hi int) []json.RawMessage {
	t.Helper()
	if hi > len(want) || hi > len(got) {
		return got
	}
	out := append([]json.RawMessage(nil), got...)
	used := make([]bool, hi-lo)
	for i := lo; i < hi; i++ {
		w := keyFacts(want[i].m)
		found := false
		for j := lo; j < hi; j++ {
			if !used[j-lo] && keyFacts(mustJSON(t, got[j])) == w {
				used[j-lo], out[i], found = true, got[j], true
				break
			}
		}
		if !found {
			return got // not a reordering: let the comparison report it
		}
	}
	return out
}

func compareEvents(t *testing.T, want []recordedEvent, got []json.RawMessage) {
	t.Helper()
	n := int(math.Max(float64(len(want)), float64(len(got))))
	var diffs []string
	for i := 0; i < n; i++ {
		var w, g string
		var wm, gm map[string]any
		if i < len(want) {
			wm = want[i].m
			w = keyFacts(wm)
		}
		if i < len(got) {
			gm = mustJSON(t, got[i])
			g = keyFacts(gm)
		}
		mark := "  "
		if w != g {
			mark = "!!"
		} else if err := sameShape(want[i].raw, got[i]); err != nil {
			mark = "!!"
			g += " SHAPE: " + err.Error()
		}
		if mark == "!!" {
			diffs = append(diffs, fmt.Sprintf("%s %2d\n    want %s\n    got  %s", mark, i, w, g))
		}
	}
	if len(diffs) > 0 {
		t.Errorf("events differ from the transcript (%d recorded, %d got):\n%s", len(want), len(got), strings.Join(diffs, "\n"))
	}
}
