package aritest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"
)

func TestAuthRequired(t *testing.T) {
	s := MustServer(t, Options{})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	for _, tc := range []struct {
		name       string
		user, pass string
		want       int
	}{
		{"none", "", "", 401},
		{"wrong password", testUser, "nope", 401},
		{"right", testUser, testPass, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.URL()+"/ari/asterisk/info", nil)
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status: got=%d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(s.URL(), "http") + "/ari/events?app=queueapp"
	c, resp, err := websocket.Dial(ctx, u, nil)
	if err == nil {
		c.CloseNow()
		t.Fatalf("websocket without credentials: got a connection, want 401")
	}
	if resp == nil || resp.StatusCode != 401 {
		t.Errorf("websocket without credentials: got=%v, want 401", resp)
	}
}

// originateAgent originates endpoint into app "queueapp" with a fixed id.
func originateAgent(t *testing.T, rc *restClient, endpoint, id string, timeout int) map[string]any {
	t.Helper()
	status, body := rc.do("POST", "/ari/channels", map[string]any{
		"endpoint": endpoint, "app": "queueapp", "appArgs": "agent,1001", "channelId": id,
		"callerId": `"Queue support" <100>`, "timeout": timeout, "formats": "ulaw",
	})
	if status != 200 {
		t.Fatalf("originate %s: got=%d %s, want 200", endpoint, status, body)
	}
	return mustJSON(t, body)
}

func factsOf(t *testing.T, evs []json.RawMessage, id string) []string {
	t.Helper()
	var out []string
	for _, e := range evs {
		m := mustJSON(t, e)
		for _, k := range []string{"channel", "peer"} {
			if o, ok := m[k].(map[string]any); ok && strings.HasPrefix(str(o["id"]), id) {
				out = append(out, keyFacts(m))
				break
			}
		}
	}
	return out
}

func containsInOrder(got []string, want ...string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && strings.Contains(g, want[i]) {
			i++
		}
	}
	return i == len(want)
}

func TestDeviceBehaviours(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		device   *DeviceBehavior
		timeout  int
		until    func(map[string]any) bool
		want     []string
		notWant  string
		minTime  time.Duration
		state    string // device state once settled
	}{
		{name: "PJSIP answers after ring", endpoint: "PJSIP/1001", device: &DeviceBehavior{Action: Answer, After: 100 * time.Millisecond},
			until: isType("StasisStart"), minTime: 100 * time.Millisecond,
			want:  []string{"Dial dialstatus= ", "Dial dialstatus=RINGING", "ChannelStateChange channel=PJSIP/1001-N/Ringing", "ChannelStateChange channel=PJSIP/1001-N/Up", "Dial dialstatus=ANSWER", "StasisStart"},
			state: "INUSE"},
		{name: "Local answers at once", endpoint: "Local/1001@agents", device: &DeviceBehavior{Action: Answer},
			until: isType("StasisStart"),
			want:  []string{"Dial dialstatus= ", "dialplan_app=Answer", "Dial dialstatus=ANSWER", "ChannelVarset variable=STASISSTATUS value= ", "StasisStart"},
			state: "INUSE"},
		{name: "Local without device answers after AnswerDelay", endpoint: "Local/1002@agents",
			until: isType("StasisStart"), want: []string{"Dial dialstatus=ANSWER", "StasisStart"}},
		{name: "Local busy", endpoint: "Local/1001@agents-busy", device: &DeviceBehavior{Action: Busy},
			until: isType("ChannelDestroyed"), notWant: "StasisStart",
			want: []string{"Dial dialstatus=BUSY", "ChannelDestroyed cause=0"}},
		{name: "PJSIP busy", endpoint: "PJSIP/1001", device: &DeviceBehavior{Action: Busy},
			until: isType("ChannelDestroyed"), notWant: "StasisStart",
			want: []string{"Dial dialstatus=BUSY", "ChannelDestroyed cause=17 cause_txt=User busy"}},
		{name: "no answer until timeout", endpoint: "Local/1001@agents", device: &DeviceBehavior{Action: NoAnswer}, timeout: 1,
			until: isType("ChannelDestroyed"), minTime: time.Second, notWant: "NOANSWER",
			want: []string{"Dial dialstatus=RINGING", "ChannelHangupRequest cause=19", "ChannelDestroyed cause=19 cause_txt=User alerting, no answer"}},
		{name: "PJSIP no answer until timeout", endpoint: "PJSIP/1001", device: &DeviceBehavior{Action: NoAnswer}, timeout: 1,
			until: isType("ChannelDestroyed"), minTime: time.Second, notWant: "StasisStart",
			want: []string{"Dial dialstatus=RINGING", "ChannelDestroyed cause=19"}, state: "NOT_INUSE"},
		{name: "reject after ringing", endpoint: "Local/1001@agents", device: &DeviceBehavior{Action: Reject, After: 100 * time.Millisecond},
			until: isType("ChannelDestroyed"), minTime: 100 * time.Millisecond, notWant: "StasisStart",
			want: []string{"Dial dialstatus=RINGING", "Dial dialstatus=BUSY", "ChannelHangupRequest cause=17", "ChannelDestroyed cause=17 cause_txt=User busy"}},
		{name: "unavailable", endpoint: "PJSIP/1001", device: &DeviceBehavior{Action: Unavailable},
			until: isType("ChannelDestroyed"), notWant: "RINGING",
			want:  []string{"Dial dialstatus=CHANUNAVAIL", "ChannelDestroyed cause=20 cause_txt=Subscriber absent"},
			state: "UNAVAILABLE"},
		{name: "unknown PJSIP endpoint is unavailable", endpoint: "PJSIP/nobody",
			until: isType("ChannelDestroyed"), want: []string{"Dial dialstatus=CHANUNAVAIL", "ChannelDestroyed cause=20"}},
		{name: "congestion", endpoint: "Local/1001@agents", device: &DeviceBehavior{Action: Congestion},
			until: isType("ChannelDestroyed"), want: []string{"Dial dialstatus=CONGESTION", "ChannelDestroyed cause=34"}},
		{name: "answer then hang up after TalkFor", endpoint: "PJSIP/1001", device: &DeviceBehavior{Action: Answer, TalkFor: 100 * time.Millisecond},
			until: isType("ChannelDestroyed"), minTime: 100 * time.Millisecond,
			want:  []string{"StasisStart", "ChannelHangupRequest", "StasisEnd", "ChannelVarset variable=STASISSTATUS value=SUCCESS", "ChannelDestroyed cause=16"},
			state: "NOT_INUSE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := MustServer(t, Options{AnswerDelay: 10 * time.Millisecond})
			if tc.device != nil {
				s.SetDevice(tc.endpoint, *tc.device)
			}
			es := MustConnect(t, s, "queueapp", "")
			rc := newRESTClient(t, s)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 15
			}
			start := time.Now()
			ch := originateAgent(t, rc, tc.endpoint, "dev-agent", timeout)
			if ch["state"] != "Down" {
				t.Errorf("originate reply state: got=%v, want Down", ch["state"])
			}
			es.waitFor(0, 10*time.Second, tc.until)
			elapsed := time.Since(start)
			got := factsOf(t, settle(es, nil), "dev-agent")
			if !containsInOrder(got, tc.want...) {
				t.Errorf("events: got=%q\nwant in order %q", got, tc.want)
			}
			if tc.notWant != "" && strings.Contains(strings.Join(got, "\n"), tc.notWant) {
				t.Errorf("events: got %q, want no %q", got, tc.notWant)
			}
			if elapsed < tc.minTime {
				t.Errorf("took %v, want at least %v", elapsed, tc.minTime)
			}
			if tc.state != "" {
				waitUntil(t, 5*time.Second, "device state "+tc.state, func() bool { return s.DeviceStateOf(tc.endpoint) == tc.state })
			}
		})
	}
}

func TestHangupRingingAgentReasons(t *testing.T) {
	for _, tc := range []struct {
		reason, dialstatus string
		cause              int
	}{
		{"normal", "NOANSWER", 16},
		{"busy", "BUSY", 17},
		{"answered_elsewhere", "NOANSWER", 26},
		{"no_answer", "NOANSWER", 19},
		{"congestion", "CONGESTION", 34},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			s := MustServer(t, Options{})
			s.SetDevice("Local/2105@agents-noanswer", DeviceBehavior{Action: NoAnswer})
			es := MustConnect(t, s, "queueapp", "")
			rc := newRESTClient(t, s)
			originateAgent(t, rc, "Local/2105@agents-noanswer", "rsn-agent", 15)
			es.waitFor(0, 5*time.Second, func(m map[string]any) bool { return m["type"] == "Dial" && m["dialstatus"] == "RINGING" })
			if status, body := rc.do("DELETE", "/ari/channels/rsn-agent?reason="+tc.reason, nil); status != 204 {
				t.Fatalf("hangup: got=%d %s, want 204", status, body)
			}
			// Asterisk writes these before the 204: no waiting needed beyond the socket read.
			es.waitFor(0, 5*time.Second, isTypeOn("ChannelDestroyed", "rsn-agent;2"))
			got := factsOf(t, es.snapshot(), "rsn-agent")
			want := []string{
				"ChannelHangupRequest cause=32 soft=true channel=Local/2105@agents-noanswer-N;1/Ringing",
				"Dial dialstatus=" + tc.dialstatus,
				"ChannelHangupRequest cause=" + str(tc.cause) + " channel=Local/2105@agents-noanswer-N;2",
				"ChannelDestroyed cause=" + str(tc.cause) + " cause_txt=" + causeText(tc.cause) + " channel=Local/2105@agents-noanswer-N;1",
				"ChannelHangupRequest cause=16 soft=true channel=Local/2105@agents-noanswer-N;2",
				"ChannelDestroyed cause=" + str(tc.cause),
			}
			if !containsInOrder(got, want...) {
				t.Errorf("events: got=%q\nwant in order %q", got, want)
			}
		})
	}
	s := MustServer(t, Options{})
	rc := newRESTClient(t, s)
	MustConnect(t, s, "queueapp", "")
	originateAgent(t, rc, "Local/1@agents", "bad-reason", 15)
	if status, body := rc.do("DELETE", "/ari/channels/bad-reason?reason=bored", nil); status != 400 || !strings.Contains(string(body), "Invalid reason") {
		t.Errorf("bad reason: got=%d %s, want 400 Invalid reason", status, body)
	}
}

func TestDropWebsockets(t *testing.T) {
	s := MustServer(t, Options{})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	old, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"support"}, Number: "5551234", Name: "Alice"})
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	es.waitFor(0, 5*time.Second, isTypeOn("StasisStart", old.ID()))

	s.DropWebsockets()
	waitUntil(t, 5*time.Second, "socket closed at the client", func() bool {
		es.mu.Lock()
		defer es.mu.Unlock()
		return es.err != nil
	})
	before := len(s.Events())

	// The app keeps its channel and REST still works.
	status, body := rc.do("GET", "/ari/applications/queueapp", nil)
	if status != 200 || !strings.Contains(string(body), old.ID()) {
		t.Fatalf("GET application while disconnected: got=%d %s, want 200 listing %s", status, body, old.ID())
	}
	if status, _ := rc.do("POST", "/ari/channels/"+old.ID()+"/variable?variable=QUEUE_POSITION&value=1", nil); status != 204 {
		t.Fatalf("set variable while disconnected: got=%d, want 204", status)
	}
	// A new caller cannot enter: Stasis() fails and the dialplan goes on.
	fresh, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"support"}, Number: "5559999"})
	if err != nil {
		t.Fatalf("call while disconnected: %v", err)
	}
	select {
	case <-fresh.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("a caller with no app connected is still waiting")
	}
	r := fresh.Result()
	if r.Vars["STASISSTATUS"] != "FAILED" || !r.Continued || r.HungUp {
		t.Errorf("failed caller result: got=%+v, want STASISSTATUS=FAILED, continued", r)
	}
	if n := len(s.Events()); n != before {
		t.Errorf("events while disconnected: got=%d new, want 0", n-before)
	}

	// After a reconnect nothing is replayed, but the old call is still there.
	es2 := MustConnect(t, s, "queueapp", "")
	status, body = rc.do("GET", "/ari/channels/"+old.ID(), nil)
	if status != 200 {
		t.Fatalf("old caller after reconnect: got=%d %s, want 200", status, body)
	}
	old.Hangup()
	_, end := es2.waitFor(0, 5*time.Second, isTypeOn("StasisEnd", old.ID()))
	if end == nil {
		t.Fatal("no StasisEnd")
	}
	for _, typ := range eventTypes(es2.snapshot()) {
		if typ == "StasisStart" || typ == "ChannelVarset" {
			t.Errorf("after reconnect: got a %s, want nothing replayed", typ)
		}
	}
	if got := old.Result(); !got.HungUp || got.Vars["QUEUE_POSITION"] != "1" {
		t.Errorf("old caller result: got=%+v, want hung up with QUEUE_POSITION=1", got)
	}
}

func TestFailNext(t *testing.T) {
	s := MustServer(t, Options{})
	MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	s.FailNext("POST", "/channels", 500, "Allocation failed")
	s.FailNext("get", "/ari/bridges", 503, "busy")
	status, body := rc.do("POST", "/ari/channels?endpoint=Local/1@agents&app=queueapp", nil)
	if status != 500 || mustJSON(t, body)["message"] != "Allocation failed" {
		t.Fatalf("first originate: got=%d %s, want 500 Allocation failed", status, body)
	}
	if status, body := rc.do("POST", "/ari/channels?endpoint=Local/1@agents&app=queueapp", nil); status != 200 {
		t.Fatalf("second originate: got=%d %s, want 200 (one failure only)", status, body)
	}
	if status, _ := rc.do("GET", "/ari/channels", nil); status != 200 {
		t.Errorf("GET /channels: got=%d, want 200 (failure was for GET /bridges)", status)
	}
	if status, body := rc.do("GET", "/ari/bridges", nil); status != 503 || mustJSON(t, body)["message"] != "busy" {
		t.Errorf("GET /bridges: got=%d %s, want 503 busy", status, body)
	}
	reqs := s.Requests()
	var statuses []int
	for _, r := range reqs {
		if r.Path == "/ari/channels" || r.Path == "/ari/bridges" {
			statuses = append(statuses, r.Status)
		}
	}
	if len(statuses) != 4 || statuses[0] != 500 || statuses[1] != 200 || statuses[3] != 503 {
		t.Errorf("Requests statuses: got=%v, want [500 200 200 503]", statuses)
	}
}

func TestContinue(t *testing.T) {
	for _, tc := range []struct {
		name               string
		query              string
		wantCtx, wantExten string
		wantPri            int
	}{
		{"next priority", "", "from-callers", "support", 3},
		{"explicit", "?context=queue-fallback&extension=timeout&priority=5", "queue-fallback", "timeout", 5},
		{"context only", "?context=queue-fallback", "queue-fallback", "s", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := MustServer(t, Options{})
			es := MustConnect(t, s, "queueapp", "")
			rc := newRESTClient(t, s)
			call, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"support"}, Number: "5551234", Name: "Bob"})
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			id := call.ID()
			for _, p := range []string{"/ari/channels/" + id + "/answer", "/ari/channels/" + id + "/variable?variable=QUEUESTATUS&value=TIMEOUT", "/ari/channels/" + id + "/continue" + tc.query} {
				if status, body := rc.do("POST", p, nil); status != 204 {
					t.Fatalf("POST %s: got=%d %s, want 204", p, status, body)
				}
			}
			select {
			case <-call.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("call not done after continue")
			}
			es.waitFor(0, 5*time.Second, isTypeOn("StasisEnd", id))
			got := eventTypes(settle(es, nil))
			want := []string{"StasisStart", "ChannelStateChange", "ChannelVarset", "StasisEnd"}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("events: got=%v, want %v (nothing after StasisEnd)", got, want)
			}
			r := call.Result()
			if !r.Continued || r.HungUp || r.Vars["QUEUESTATUS"] != "TIMEOUT" || r.Vars["STASISSTATUS"] != "SUCCESS" {
				t.Errorf("result: got=%+v, want continued with QUEUESTATUS=TIMEOUT STASISSTATUS=SUCCESS", r)
			}
			if r.Context != tc.wantCtx || r.Extension != tc.wantExten || r.Priority != tc.wantPri {
				t.Errorf("continued at: got=%s,%s,%d, want %s,%s,%d", r.Context, r.Extension, r.Priority, tc.wantCtx, tc.wantExten, tc.wantPri)
			}
			if status, _ := rc.do("GET", "/ari/channels/"+id, nil); status != 404 {
				t.Errorf("GET after continue: got=%d, want 404", status)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	s := MustServer(t, Options{})
	s.SetDevice("Local/9@agents-noanswer", DeviceBehavior{Action: NoAnswer})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	call, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}})
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	originateAgent(t, rc, "Local/9@agents-noanswer", "err-ringing", 15)
	es.waitFor(0, 5*time.Second, func(m map[string]any) bool { return m["type"] == "Dial" && m["dialstatus"] == "RINGING" })
	if status, body := rc.do("POST", "/ari/channels/create?endpoint=Local/8@agents&app=queueapp&channelId=err-created", nil); status != 200 {
		t.Fatalf("create: got=%d %s", status, body)
	}
	id := call.ID()
	tests := []struct {
		method, path string
		status       int
		message      string
	}{
		{"GET", "/ari/channels/nope", 404, "Channel not found"},
		{"POST", "/ari/channels/nope/answer", 404, "Channel not found"},
		{"DELETE", "/ari/channels/nope", 404, "Channel not found"},
		{"GET", "/ari/bridges/nope", 404, "Bridge not found"},
		{"GET", "/ari/playbacks/nope", 404, "Playback not found"},
		{"DELETE", "/ari/playbacks/nope", 404, "Playback not found"},
		{"GET", "/ari/applications/nope", 404, "Application not found"},
		{"GET", "/ari/endpoints/PJSIP/nope", 404, "Endpoint not found"},
		{"POST", "/ari/channels?app=queueapp", 400, "Endpoint must be specified"},
		{"POST", "/ari/channels?endpoint=Local/1@agents", 400, "Application or extension must be specified"},
		{"POST", "/ari/channels/" + id + "/variable?value=1", 400, "Variable name is required"},
		{"GET", "/ari/channels/" + id + "/variable?variable=NOPE", 404, "Provided variable was not found"},
		{"POST", "/ari/channels/err-created/answer", 412, "Channel in invalid state"},
		{"POST", "/ari/channels/err-ringing/answer", 409, "Channel not in Stasis application"},
		{"POST", "/ari/channels/" + id + "/continue?label=nolabel", 404, "Requested label can not be found"},
		{"POST", "/ari/bridges/nope/addChannel?channel=" + id, 404, "Bridge not found"},
		{"POST", "/ari/channels/" + id + "/play", 400, "Missing parameter media"},
		{"POST", "/ari/applications/queueapp/subscription", 400, "Missing parameter eventSource"},
		{"POST", "/ari/applications/queueapp/subscription?eventSource=nonsense:x", 400, "Invalid event source URI scheme"},
		{"GET", "/ari/nothing", 404, "Resource not found"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			status, body := rc.do(tc.method, tc.path, nil)
			if status != tc.status {
				t.Fatalf("status: got=%d %s, want %d", status, body, tc.status)
			}
			if msg := mustJSON(t, body)["message"]; msg != tc.message {
				t.Errorf("message: got=%q, want %q", msg, tc.message)
			}
		})
	}
	// A bridge of our own, to add a channel that is not in Stasis.
	if status, _ := rc.do("POST", "/ari/bridges/err-b?type=mixing", nil); status != 200 {
		t.Fatalf("create bridge: got=%d", status)
	}
	if status, _ := rc.do("POST", "/ari/bridges/err-b?type=mixing", nil); status != 409 {
		t.Errorf("duplicate bridge id: got=%d, want 409", status)
	}
	if status, body := rc.do("POST", "/ari/bridges/err-b/addChannel?channel=err-ringing%3B2", nil); status != 422 {
		t.Errorf("add channel not in Stasis: got=%d %s, want 422", status, body)
	}
	if status, body := rc.do("POST", "/ari/bridges/err-b/removeChannel?channel="+id, nil); status != 422 {
		t.Errorf("remove channel not in bridge: got=%d %s, want 422", status, body)
	}
}

func TestChannelIDPrefixClash(t *testing.T) {
	s := MustServer(t, Options{})
	MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	orig := func(id, other string) int {
		q := "/ari/channels?endpoint=Local/1@agents-noanswer&app=queueapp&channelId=" + id
		if other != "" {
			q += "&otherChannelId=" + other
		}
		status, _ := rc.do("POST", q, nil)
		return status
	}
	s.SetDevice("Local/1@agents-noanswer", DeviceBehavior{Action: NoAnswer})
	if got := orig("pfxtest-phone", "pfxtest-phone-other"); got != 200 {
		t.Fatalf("first originate: got=%d, want 200", got)
	}
	for _, tc := range []struct {
		id, other string
		want      int
	}{
		{"pfxtest", "zz-1", 409},
		{"PFXTEST-PH", "zz-2", 409},
		{"pfxtest-phone-longer", "zz-3", 200},
		{"x-caller-phone", "x-caller", 409}, // the ;1 exists before the ;2 is named
		{"y-caller-a", "y-caller-b", 200},
	} {
		if got := orig(tc.id, tc.other); got != tc.want {
			t.Errorf("channelId=%s otherChannelId=%s: got=%d, want %d", tc.id, tc.other, got, tc.want)
		}
	}
}

func TestJSONBodyAndVariables(t *testing.T) {
	s := MustServer(t, Options{})
	s.SetDevice("PJSIP/1001", DeviceBehavior{Action: NoAnswer})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	status, body := rc.do("POST", "/ari/channels", map[string]any{
		"endpoint": "PJSIP/1001", "app": "queueapp", "appArgs": "agent,1001", "channelId": "json-1",
		"variables": map[string]any{"variables": map[string]string{"QUEUE": "support"}},
	})
	if status != 200 {
		t.Fatalf("originate: got=%d %s, want 200", status, body)
	}
	s.SetDevice("PJSIP/1002", DeviceBehavior{Action: Answer})
	status, body = rc.do("POST", "/ari/channels/json-2", map[string]any{"endpoint": "PJSIP/1002", "app": "queueapp", "appArgs": "agent,1002"})
	if status != 200 || mustJSON(t, body)["id"] != "json-2" {
		t.Fatalf("originate with id in path: got=%d %s, want 200 id json-2", status, body)
	}
	_, start := es.waitFor(0, 5*time.Second, isTypeOn("StasisStart", "json-2"))
	if args := start["args"].([]any); len(args) != 2 || args[0] != "agent" || args[1] != "1002" {
		t.Errorf("StasisStart args: got=%v, want [agent 1002]", args)
	}
	status, body = rc.do("GET", "/ari/channels/json-1/variable?variable=QUEUE", nil)
	if status != 200 || mustJSON(t, body)["value"] != "support" {
		t.Errorf("variable from body: got=%d %s, want support", status, body)
	}
	if status, _ := rc.do("POST", "/ari/channels/json-2/variable", map[string]string{"variable": "X", "value": "1"}); status != 204 {
		t.Errorf("set variable by body: got=%d, want 204", status)
	}
	_, vs := es.waitFor(0, 5*time.Second, func(m map[string]any) bool { return isTypeOn("ChannelVarset", "json-2")(m) && m["variable"] == "X" })
	if vs["variable"] != "X" || vs["value"] != "1" {
		t.Errorf("ChannelVarset: got=%v, want X=1", vs)
	}
}

func TestEventsWrittenBeforeReply(t *testing.T) {
	s := MustServer(t, Options{})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	call, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}})
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	if status, _ := rc.do("POST", "/ari/bridges/ebr?type=holding", nil); status != 200 {
		t.Fatalf("bridge: got=%d", status)
	}
	for i := 0; i < 20; i++ {
		path := "/ari/bridges/ebr/addChannel?channel=" + call.ID()
		if i%2 == 1 {
			path = "/ari/bridges/ebr/removeChannel?channel=" + call.ID()
		}
		if status, _ := rc.do("POST", path, nil); status != 204 {
			t.Fatalf("%s: got=%d", path, status)
		}
		// Nothing of ours is still queued once the reply is in.
		s.mu.Lock()
		for c := range s.conns {
			c.mu.Lock()
			pending := c.enqueued - c.written
			c.mu.Unlock()
			if pending != 0 {
				t.Errorf("step %d: %d events still unwritten when the reply arrived", i, pending)
			}
		}
		s.mu.Unlock()
	}
	es.waitCount(21, 5*time.Second)
}

func TestCreateDialAndSnoop(t *testing.T) {
	s := MustServer(t, Options{})
	s.SetDevice("Local/2106@agents-slow", DeviceBehavior{Action: Answer, After: 50 * time.Millisecond})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	status, body := rc.do("POST", "/ari/channels/create?endpoint=Local/2106@agents-slow&app=queueapp&appArgs=agent,2106&channelId=cda-agent&otherChannelId=cda-agent-2", nil)
	if status != 200 || mustJSON(t, body)["state"] != "Down" {
		t.Fatalf("create: got=%d %s, want 200 Down", status, body)
	}
	es.waitFor(0, 5*time.Second, isTypeOn("StasisStart", "cda-agent"))
	if status, _ := rc.do("POST", "/ari/channels/cda-agent/dial?timeout=15", nil); status != 204 {
		t.Fatalf("dial: got=%d, want 204", status)
	}
	if status, _ := rc.do("POST", "/ari/channels/cda-agent/dial", nil); status != 409 {
		t.Errorf("second dial: got=%d, want 409", status)
	}
	es.waitFor(0, 5*time.Second, func(m map[string]any) bool { return m["type"] == "Dial" && m["dialstatus"] == "ANSWER" })
	got := factsOf(t, es.snapshot(), "cda-agent")
	want := []string{"ChannelDialplan dialplan_app=Stasis", "ChannelVarset variable=STASISSTATUS value= ", "StasisStart", "Dial dialstatus= ",
		"ChannelStateChange", "Dial dialstatus=RINGING", "ChannelStateChange", "Dial dialstatus=ANSWER"}
	if !containsInOrder(got, want...) {
		t.Errorf("events: got=%q, want in order %q", got, want)
	}
	for _, g := range got {
		if strings.Contains(g, ";2") {
			t.Errorf("got an event from the ;2 half: %s", g)
		}
	}
	status, body = rc.do("POST", "/ari/channels/cda-agent/snoop?spy=both&app=queueapp&appArgs=snoop&snoopId=cda-snoop", nil)
	if status != 200 {
		t.Fatalf("snoop: got=%d %s, want 200", status, body)
	}
	es.waitFor(0, 5*time.Second, isTypeOn("StasisStart", "cda-snoop"))
	if status, _ := rc.do("DELETE", "/ari/channels/cda-agent", nil); status != 204 {
		t.Fatalf("hangup: got=%d", status)
	}
	_, d := es.waitFor(0, 5*time.Second, isTypeOn("ChannelDestroyed", "cda-agent"))
	if d["cause"] != float64(16) {
		t.Errorf("destroyed cause: got=%v, want 16", d["cause"])
	}
}

func TestPlaybacks(t *testing.T) {
	s := MustServer(t, Options{PlaybackDuration: func(m string) time.Duration {
		if m == "sound:long" {
			return time.Minute
		}
		return 50 * time.Millisecond
	}})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	call, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}})
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	id := call.ID()
	rc.do("POST", "/ari/channels/"+id+"/answer", nil)
	rc.do("POST", "/ari/bridges/pb-b?type=holding", nil)
	rc.do("POST", "/ari/bridges/pb-b/addChannel?channel="+id, nil)
	status, body := rc.do("POST", "/ari/channels/"+id+"/play/pb-1?media=sound:short", nil)
	if status != 201 || mustJSON(t, body)["state"] != "queued" || mustJSON(t, body)["target_uri"] != "channel:"+id {
		t.Fatalf("play: got=%d %s, want 201 queued on channel:%s", status, body, id)
	}
	_, fin := es.waitFor(0, 5*time.Second, isType("PlaybackFinished"))
	if pb := fin["playback"].(map[string]any); pb["state"] != "done" || pb["id"] != "pb-1" {
		t.Errorf("finished: got=%v, want pb-1 done", pb)
	}
	status, body = rc.do("POST", "/ari/bridges/pb-b/play?media=sound:long&playbackId=pb-2", nil)
	if status != 201 || mustJSON(t, body)["target_uri"] != "bridge:pb-b" {
		t.Fatalf("bridge play: got=%d %s", status, body)
	}
	status, body = rc.do("GET", "/ari/playbacks/pb-2", nil)
	if status != 200 || mustJSON(t, body)["state"] != "playing" {
		t.Errorf("GET playback: got=%d %s, want playing", status, body)
	}
	if status, _ := rc.do("POST", "/ari/bridges/pb-b/play?media=sound:long&playbackId=pb-2", nil); status != 409 {
		t.Errorf("duplicate playback id: got=%d, want 409", status)
	}
	if status, _ := rc.do("DELETE", "/ari/playbacks/pb-2", nil); status != 204 {
		t.Errorf("stop playback: got=%d, want 204", status)
	}
	_, fin = es.waitFor(0, 5*time.Second, func(m map[string]any) bool {
		pb, _ := m["playback"].(map[string]any)
		return m["type"] == "PlaybackFinished" && pb["id"] == "pb-2"
	})
	if fin["playback"].(map[string]any)["state"] != "done" {
		t.Errorf("stopped playback: got=%v, want done", fin["playback"])
	}
	if status, _ := rc.do("GET", "/ari/playbacks/pb-2", nil); status != 404 {
		t.Errorf("GET stopped playback: got=%d, want 404", status)
	}
}

func TestBridgeAddMovesAndPeers(t *testing.T) {
	s := MustServer(t, Options{})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	caller, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}, Number: "100", Name: "Caller"})
	agent, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"agent"}, Number: "200", Name: "Agent"})
	rc.do("POST", "/ari/bridges/mv-hold?type=holding", nil)
	rc.do("POST", "/ari/bridges/mv-mix?type=mixing&name=call", nil)
	rc.do("POST", "/ari/bridges/mv-hold/addChannel?channel="+caller.ID(), nil)
	n := len(es.waitCount(3, 5*time.Second))
	if status, _ := rc.do("POST", "/ari/bridges/mv-mix/addChannel?channel="+caller.ID()+","+agent.ID(), nil); status != 204 {
		t.Fatalf("addChannel: got=%d", status)
	}
	evs := es.waitCount(n+7, 5*time.Second)[n:]
	want := []string{"ChannelLeftBridge", "ChannelEnteredBridge", "ChannelEnteredBridge", "ChannelVarset", "ChannelVarset", "ChannelConnectedLine", "ChannelConnectedLine"}
	if got := eventTypes(evs); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("move: got=%v, want %v", got, want)
	}
	status, body := rc.do("GET", "/ari/bridges/mv-mix", nil)
	if status != 200 || len(mustJSON(t, body)["channels"].([]any)) != 2 {
		t.Errorf("GET bridge: got=%d %s, want two channels", status, body)
	}
	status, body = rc.do("GET", "/ari/bridges/mv-hold", nil)
	if status != 200 || len(mustJSON(t, body)["channels"].([]any)) != 0 {
		t.Errorf("GET holding bridge: got=%d %s, want empty", status, body)
	}
	caller.Hangup()
	if r := caller.Result(); len(r.BridgedWith) != 1 || r.BridgedWith[0] != agent.ID() {
		t.Errorf("BridgedWith: got=%v, want [%s]", r.BridgedWith, agent.ID())
	}
	// The mixing bridge is the caller's last bridge: its destruction is told;
	// the holding one was left by a move and is not.
	rc.do("DELETE", "/ari/bridges/mv-hold", nil)
	rc.do("DELETE", "/ari/bridges/mv-mix", nil)
	_, bd := es.waitFor(0, 5*time.Second, isType("BridgeDestroyed"))
	if bd["bridge"].(map[string]any)["id"] != "mv-mix" {
		t.Errorf("BridgeDestroyed: got=%v, want mv-mix", bd["bridge"])
	}
	for _, e := range settle(es, nil) {
		m := mustJSON(t, e)
		if m["type"] == "BridgeDestroyed" && m["bridge"].(map[string]any)["id"] == "mv-hold" {
			t.Errorf("got BridgeDestroyed for the holding bridge left by a move")
		}
	}
	status, body = rc.do("GET", "/ari/bridges", nil)
	if status != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("bridges after delete: got=%d %s, want []", status, body)
	}
}

func TestDeviceStateEvents(t *testing.T) {
	s := MustServer(t, Options{})
	s.SetDevice("PJSIP/agent-sip", DeviceBehavior{Action: Answer, After: 30 * time.Millisecond})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	status, body := rc.do("POST", "/ari/applications/queueapp/subscription?eventSource=deviceState:", nil)
	if status != 200 {
		t.Fatalf("subscribe: got=%d %s", status, body)
	}
	if names := mustJSON(t, body)["device_names"].([]any); len(names) != 1 || names[0] != "__AST_DEVICE_STATE_ALL_TOPIC" {
		t.Errorf("device_names: got=%v, want [__AST_DEVICE_STATE_ALL_TOPIC]", names)
	}
	status, body = rc.do("POST", "/ari/applications/queueapp/subscription?eventSource=endpoint:PJSIP/agent-sip", nil)
	if status != 200 || !strings.Contains(string(body), `"endpoint_ids":["PJSIP/agent-sip"]`) {
		t.Fatalf("subscribe endpoint: got=%d %s", status, body)
	}
	originateAgent(t, rc, "PJSIP/agent-sip", "ds-agent", 15)
	es.waitFor(0, 5*time.Second, isTypeOn("StasisStart", "ds-agent"))
	rc.do("DELETE", "/ari/channels/ds-agent", nil)
	es.waitFor(0, 5*time.Second, func(m map[string]any) bool {
		ds, _ := m["device_state"].(map[string]any)
		return m["type"] == "DeviceStateChanged" && ds["state"] == "NOT_INUSE"
	})
	var states []string
	var endpointEvents, created int
	for _, e := range settle(es, nil) {
		m := mustJSON(t, e)
		switch m["type"] {
		case "DeviceStateChanged":
			ds := m["device_state"].(map[string]any)
			if ds["name"] == "PJSIP/agent-sip" {
				states = append(states, str(ds["state"]))
			}
		case "EndpointStateChange":
			endpointEvents++
		case "ChannelCreated":
			created++
		}
	}
	if strings.Join(states, ",") != "RINGING,INUSE,NOT_INUSE" {
		t.Errorf("device states: got=%v, want RINGING,INUSE,NOT_INUSE", states)
	}
	if endpointEvents != 2 || created != 1 {
		t.Errorf("endpoint events: got=%d EndpointStateChange %d ChannelCreated, want 2 and 1", endpointEvents, created)
	}
	status, body = rc.do("GET", "/ari/deviceStates/PJSIP/agent-sip", nil)
	if status != 200 || mustJSON(t, body)["state"] != "NOT_INUSE" {
		t.Errorf("GET device state: got=%d %s", status, body)
	}
	status, body = rc.do("GET", "/ari/endpoints/PJSIP/agent-sip", nil)
	if status != 200 || mustJSON(t, body)["state"] != "online" {
		t.Errorf("GET endpoint: got=%d %s", status, body)
	}
	if status, _ := rc.do("DELETE", "/ari/applications/queueapp/subscription?eventSource=deviceState:", nil); status != 200 {
		t.Errorf("unsubscribe: got=%d, want 200", status)
	}
	if status, _ := rc.do("DELETE", "/ari/applications/queueapp/subscription?eventSource=deviceState:", nil); status != 422 {
		t.Errorf("unsubscribe twice: got=%d, want 422 (Asterisk 22's answer)", status)
	}
}

func TestCloseStopsTimersAndSockets(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := NewServer(Options{User: testUser, Password: testPass, PlaybackDuration: func(string) time.Duration { return time.Hour }})
	s.SetDevice("PJSIP/1", DeviceBehavior{Action: NoAnswer})
	es := MustConnect(t, s, "queueapp", "")
	tr := &http.Transport{}
	rc := &restClient{tb: t, base: s.URL(), hc: &http.Client{Transport: tr}}
	rc.do("POST", "/ari/channels?endpoint=PJSIP/1&app=queueapp&timeout=3600", nil)
	call, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}})
	rc.do("POST", "/ari/channels/"+call.ID()+"/answer", nil)
	rc.do("POST", "/ari/channels/"+call.ID()+"/play?media=sound:x", nil)
	es.waitFor(0, 5*time.Second, isType("PlaybackStarted"))
	s.Close()
	tr.CloseIdleConnections()
	es.close()
}

func TestListParamsRepeatedOrCommas(t *testing.T) {
	s := MustServer(t, Options{})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	a, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}})
	b, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}})
	rc.do("POST", "/ari/bridges/lp?type=mixing", nil)
	if status, body := rc.do("POST", "/ari/bridges/lp/addChannel?channel="+a.ID()+"&channel="+b.ID(), nil); status != 204 {
		t.Fatalf("addChannel with repeated channel: got=%d %s", status, body)
	}
	status, body := rc.do("GET", "/ari/bridges/lp", nil)
	if n := len(mustJSON(t, body)["channels"].([]any)); status != 200 || n != 2 {
		t.Errorf("bridge channels: got=%d %d, want 200 2", status, n)
	}
	status, body = rc.do("POST", "/ari/applications/queueapp/subscription?eventSource=bridge:lp&eventSource=channel:"+a.ID(), nil)
	if status != 200 || !strings.Contains(string(body), `"bridge_ids":["lp"]`) {
		t.Errorf("subscribe repeated: got=%d %s", status, body)
	}
	es.waitCount(2, 5*time.Second)
}

func TestAgentAnsweringWhileAppGone(t *testing.T) {
	s := MustServer(t, Options{})
	s.SetDevice("PJSIP/7", DeviceBehavior{Action: Answer, After: 50 * time.Millisecond})
	MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	originateAgent(t, rc, "PJSIP/7", "gone-agent", 15)
	s.DropWebsockets()
	waitUntil(t, 5*time.Second, "agent hung up after Stasis() failed", func() bool {
		for _, id := range s.ChannelIDs() {
			if id == "gone-agent" {
				return false
			}
		}
		return true
	})
	if st := s.DeviceStateOf("PJSIP/7"); st != "NOT_INUSE" {
		t.Errorf("device state: got=%s, want NOT_INUSE", st)
	}
}

func TestSecondWebsocketTakesOver(t *testing.T) {
	s := MustServer(t, Options{})
	first := MustConnect(t, s, "queueapp", "")
	second := MustConnect(t, s, "queueapp", "")
	waitUntil(t, 5*time.Second, "second websocket registered", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conns) == 2
	})
	call, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}})
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	second.waitFor(0, 5*time.Second, isTypeOn("StasisStart", call.ID()))
	if n := len(settle(first, nil)); n != 0 {
		t.Errorf("older websocket: got=%d events, want 0", n)
	}
}

func TestMOHAndBridgeDestroyWithChannels(t *testing.T) {
	s := MustServer(t, Options{})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	call, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}})
	id := call.ID()
	rc.do("POST", "/ari/channels/"+id+"/answer", nil)
	rc.do("POST", "/ari/bridges/moh-b?type=holding", nil)
	rc.do("POST", "/ari/bridges/moh-b/addChannel?channel="+id, nil)
	if got := s.MOHClass(id); got != "" {
		t.Errorf("before MOH: got=%q, want none", got)
	}
	rc.do("POST", "/ari/bridges/moh-b/moh?mohClass=queue", nil)
	if got := s.MOHClass(id); got != "queue" {
		t.Errorf("bridge MOH: got=%q, want queue", got)
	}
	rc.do("POST", "/ari/bridges/moh-b/removeChannel?channel="+id, nil)
	rc.do("POST", "/ari/bridges/moh-b/addChannel?channel="+id, nil)
	if got := s.MOHClass(id); got != "" {
		t.Errorf("after the holding bridge emptied: got=%q, want none (Asterisk drops its MOH)", got)
	}
	rc.do("POST", "/ari/channels/"+id+"/moh?mohClass=default", nil)
	if got := s.MOHClass(id); got != "default" {
		t.Errorf("channel MOH: got=%q, want default", got)
	}
	// StasisStart, ChannelStateChange, Entered, Left, Entered.
	n := len(es.waitCount(5, 5*time.Second))
	if status, _ := rc.do("DELETE", "/ari/bridges/moh-b", nil); status != 204 {
		t.Fatalf("delete bridge: got=%d", status)
	}
	evs := es.waitCount(n+2, 5*time.Second)[n:]
	if got := eventTypes(evs); strings.Join(got, ",") != "ChannelLeftBridge,BridgeDestroyed" {
		t.Errorf("delete bridge with a channel: got=%v, want ChannelLeftBridge, BridgeDestroyed", got)
	}
}

func TestHistoryLimit(t *testing.T) {
	s := MustServer(t, Options{HistoryLimit: 3})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	call, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}})
	for i := 0; i < 10; i++ {
		rc.do("POST", "/ari/channels/"+call.ID()+"/variable?variable=N&value="+str(i), nil)
	}
	es.waitCount(11, 5*time.Second)
	evs := s.Events()
	if len(evs) != 3 {
		t.Fatalf("events kept: got=%d, want 3", len(evs))
	}
	if last := mustJSON(t, evs[2]); last["value"] != "9" {
		t.Errorf("last kept event: got=%v, want value 9", last["value"])
	}
	if reqs := s.Requests(); len(reqs) != 3 || reqs[2].Query.Get("value") != "9" {
		t.Errorf("requests kept: got=%d, want the last 3", len(reqs))
	}
}
