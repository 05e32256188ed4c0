package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

func TestActionsReachFloor(t *testing.T) {
	tests := []struct {
		name  string
		login string
		route route
		want  queue.Input
	}{
		{"agent logs in", "alice", route{"POST", "/api/me/login", nil}, queue.AgentLogin{Agent: "alice"}},
		{"agent logs in paused", "alice", route{"POST", "/api/me/login", map[string]any{"paused": true, "reason": "Lunch"}}, queue.AgentLogin{Agent: "alice", Paused: true, Reason: "Lunch"}},
		{"agent logs out", "alice", route{"POST", "/api/me/logout", nil}, queue.AgentLogout{Agent: "alice"}},
		{"agent ready", "alice", route{"POST", "/api/me/ready", nil}, queue.AgentUnpause{Agent: "alice"}},
		{"agent pauses", "alice", route{"POST", "/api/me/pause", map[string]any{"reason": "Break"}}, queue.AgentPause{Agent: "alice", Reason: "Break"}},
		{"agent done", "alice", route{"POST", "/api/me/done", nil}, queue.AgentWrapUpDone{Agent: "alice"}},
		{"agent rejects", "alice", route{"POST", "/api/me/reject", nil}, queue.OfferFailed{Offer: "o-0001", Reason: queue.RingRejected}},
		{"agent rejects named offer", "alice", route{"POST", "/api/me/reject", map[string]any{"offer": "o-0001"}}, queue.OfferFailed{Offer: "o-0001", Reason: queue.RingRejected}},
		{"agent picks", "alice", route{"POST", "/api/me/pick", map[string]any{"caller": "c2"}}, queue.Pick{Agent: "alice", Caller: "c2"}},
		{"agent chooses queues", "alice", route{"PUT", "/api/me/queues", map[string]any{"queues": []string{"support"}}}, queue.SetAgentQueues{Agent: "alice", Queues: []queue.Membership{{Queue: "support", Penalty: 2}}}},
		{"agent leaves all queues", "alice", route{"PUT", "/api/me/queues", map[string]any{"queues": []string{}}}, queue.SetAgentQueues{Agent: "alice", Queues: []queue.Membership{}}},
		{"reorder", "sue", route{"POST", "/api/callers/c2/reorder", map[string]any{"position": 1}}, queue.Reorder{Queue: "sales", Caller: "c2", Position: 1}},
		{"reorder with queue", "sue", route{"POST", "/api/callers/c2/reorder", map[string]any{"position": 2, "queue": "sales"}}, queue.Reorder{Queue: "sales", Caller: "c2", Position: 2}},
		{"move keeps wait by default", "sue", route{"POST", "/api/callers/c2/move", map[string]any{"queue": "support"}}, queue.Move{Caller: "c2", ToQueue: "support", KeepWait: true}},
		{"move without wait", "sue", route{"POST", "/api/callers/c2/move", map[string]any{"queue": "support", "keep_wait": false}}, queue.Move{Caller: "c2", ToQueue: "support"}},
		{"priority", "sue", route{"POST", "/api/callers/c3/priority", map[string]any{"priority": 7}}, queue.SetPriority{Caller: "c3", Priority: 7}},
		{"supervisor logs agent in", "sue", route{"POST", "/api/agents/bob/login", nil}, queue.AgentLogin{Agent: "bob"}},
		{"supervisor pauses", "sue", route{"POST", "/api/agents/bob/pause", map[string]any{"reason": "Training"}}, queue.AgentPause{Agent: "bob", Reason: "Training"}},
		{"supervisor unpauses", "sue", route{"POST", "/api/agents/bob/unpause", nil}, queue.AgentUnpause{Agent: "bob"}},
		{"supervisor logs agent out", "sue", route{"POST", "/api/agents/bob/logout", nil}, queue.AgentLogout{Agent: "bob"}},
		{"supervisor sets queues", "sue", route{"PUT", "/api/agents/bob/queues", map[string]any{"queues": []map[string]any{{"queue": "sales", "penalty": 3}, {"queue": "support", "penalty": 0}}}},
			queue.SetAgentQueues{Agent: "bob", Queues: []queue.Membership{{Queue: "sales", Penalty: 3}, {Queue: "support", Penalty: 0}}}},
		{"admin acts as supervisor", "ada", route{"POST", "/api/agents/alice/unpause", nil}, queue.AgentUnpause{Agent: "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := MustTestEnv(t)
			c := env.MustLogin(t, tt.login)
			status, body := c.do(tt.route.method, tt.route.path, tt.route.body)
			if status != http.StatusNoContent {
				t.Fatalf("status got=%d, want 204 (%s)", status, body)
			}
			got := env.floor.takeInputs()
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Fatalf("inputs got=%#v, want [%#v]", got, tt.want)
			}
		})
	}
}

func TestHangupAndRedirectReachFloor(t *testing.T) {
	env := MustTestEnv(t)
	sue := env.MustLogin(t, "sue")
	if status, body := sue.do("POST", "/api/callers/c3/hangup", nil); status != http.StatusNoContent {
		t.Fatalf("hangup: got=%d (%s)", status, body)
	}
	// No list kept yet: no redirect reaches the floor.
	if status, body := sue.do("POST", "/api/callers/c2/redirect", map[string]any{"target": "2000"}); status != http.StatusForbidden {
		t.Fatalf("redirect without an allow-list: got=%d (%s), want 403", status, body)
	}
	ada := env.MustLogin(t, "ada")
	if status, body := ada.do("PUT", "/api/admin/redirect-targets", map[string]any{"targets": []string{"from-internal,2000", " ivr , _X. ", ""}}); status != http.StatusOK ||
		!strings.Contains(string(body), `"targets":["from-internal,2000","ivr,_X."]`) {
		t.Fatalf("save the allow-list: got=%d (%s)", status, body)
	}
	for _, target := range []string{"2000", "from-internal,2000,1"} {
		if status, body := sue.do("POST", "/api/callers/c2/redirect", map[string]any{"target": target}); status != http.StatusNoContent {
			t.Fatalf("redirect %q: got=%d (%s)", target, status, body)
		}
	}
	env.floor.mu.Lock()
	defer env.floor.mu.Unlock()
	if want := []queue.CallerID{"c3"}; !reflect.DeepEqual(env.floor.hangups, want) {
		t.Fatalf("hangups got=%v, want %v", env.floor.hangups, want)
	}
	want := []string{"c2->2000 allowed from-internal,2000 ivr,_X.", "c2->from-internal,2000,1 allowed from-internal,2000 ivr,_X."}
	if !reflect.DeepEqual(env.floor.redirects, want) {
		t.Fatalf("redirects got=%v, want %v", env.floor.redirects, want)
	}
}

func TestRedirectTargetsAdmin(t *testing.T) {
	env := MustTestEnv(t)
	ada, sue := env.MustLogin(t, "ada"), env.MustLogin(t, "sue")
	if status, body := ada.do("GET", "/api/admin/redirect-targets", nil); status != http.StatusOK || !strings.Contains(string(body), `"targets":[]`) {
		t.Fatalf("empty list: got=%d (%s)", status, body)
	}
	if status, _ := sue.do("PUT", "/api/admin/redirect-targets", map[string]any{"targets": []string{"x,1"}}); status != http.StatusForbidden {
		t.Fatalf("a supervisor keeping the list: got=%d, want 403", status)
	}
	status, body := ada.do("PUT", "/api/admin/redirect-targets", map[string]any{"targets": []string{"ok,2000", "no-comma", "ctx,_X[", "bad ctx,1", "ctx,1,2"}})
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("bad entries: got=%d (%s), want 422", status, body)
	}
	for _, field := range []string{"targets[1]", "targets[2]", "targets[3]", "targets[4]"} {
		if !strings.Contains(string(body), `"`+field+`"`) {
			t.Errorf("error %s does not name %s", body, field)
		}
	}
	if len(env.dir.redirectTo) != 0 {
		t.Fatalf("a refused list was stored: %v", env.dir.redirectTo)
	}
}

func TestBadInputFieldByField(t *testing.T) {
	tests := []struct {
		name       string
		login      string
		route      route
		wantStatus int
		wantFields map[string]string // field -> substring of its message
	}{
		{"reorder position zero", "sue", route{"POST", "/api/callers/c2/reorder", map[string]any{"position": 0}}, 422, map[string]string{"position": "1 or more"}},
		{"reorder position not a number", "sue", route{"POST", "/api/callers/c2/reorder", `{"position":"first"}`}, 422, map[string]string{"position": "whole number"}},
		{"unknown field", "sue", route{"POST", "/api/callers/c2/reorder", `{"position":1,"pos":2}`}, 422, map[string]string{"pos": "unknown field"}},
		{"broken JSON", "sue", route{"POST", "/api/callers/c2/reorder", `{"position":`}, 400, nil},
		{"move without queue", "sue", route{"POST", "/api/callers/c2/move", map[string]any{}}, 422, map[string]string{"queue": "required"}},
		{"priority missing", "sue", route{"POST", "/api/callers/c2/priority", map[string]any{}}, 422, map[string]string{"priority": "required"}},
		{"priority out of range", "sue", route{"POST", "/api/callers/c2/priority", map[string]any{"priority": -1}}, 422, map[string]string{"priority": "from 0"}},
		{"redirect with dialplan syntax", "sue", route{"POST", "/api/callers/c2/redirect", map[string]any{"target": "x,${EVIL},1"}}, 422, map[string]string{"target": "may not contain"}},
		{"redirect with two parts", "sue", route{"POST", "/api/callers/c2/redirect", map[string]any{"target": "ctx,2000"}}, 422, map[string]string{"target": "context,extension,priority"}},
		{"pause reason not in list", "alice", route{"POST", "/api/me/pause", map[string]any{"reason": "Nap"}}, 422, map[string]string{"reason": "Break, Lunch, Training"}},
		{"pick without caller", "alice", route{"POST", "/api/me/pick", map[string]any{}}, 422, map[string]string{"caller": "required"}},
		{"queue not configured for agent", "alice", route{"PUT", "/api/me/queues", map[string]any{"queues": []string{"vip"}}}, 422, map[string]string{"queues": `"vip" is not one of your queues`}},
		{"agent queues unknown and negative", "sue", route{"PUT", "/api/agents/bob/queues", map[string]any{"queues": []map[string]any{{"queue": "vip", "penalty": 0}, {"queue": "sales", "penalty": -1}}}}, 422,
			map[string]string{"queues[0].queue": `no queue called "vip"`, "queues[1].penalty": ">= 0"}},
		{"queue settings", "ada", route{"PUT", "/api/admin/queues/billing", map[string]any{"timeout": 0, "strategy": "fastest", "wrapuptime": -1, "exitkeys": "1a", "joinempty": []string{"paused", "asleep"}, "announce_holdtime": "maybe", "musicclass": ""}}, 422,
			map[string]string{"timeout": "must be > 0", "strategy": "one of", "wrapuptime": ">= 0", "exitkeys": "digits", "joinempty": `"asleep"`, "announce_holdtime": "once", "musicclass": "required"}},
		{"engine's own rule", "ada", route{"PUT", "/api/admin/queues/billing", map[string]any{"announce_round_seconds": 90}}, 422, map[string]string{"announce_round_seconds": "between 0 and 59"}},
		{"queue name mismatch", "ada", route{"PUT", "/api/admin/queues/billing", map[string]any{"name": "sales"}}, 422, map[string]string{"name": "must match"}},
		{"queue duration as text", "ada", route{"PUT", "/api/admin/queues/billing", `{"timeout":"15s"}`}, 422, map[string]string{"timeout": "number of seconds"}},
		{"queue duration too long", "ada", route{"PUT", "/api/admin/queues/billing", `{"timeout":1e300}`}, 422, map[string]string{"timeout": "under 9223372037 seconds"}},
		{"rule after as text", "ada", route{"PUT", "/api/admin/queues/billing", `{"rules":[{"after":"soon"}]}`}, 422, map[string]string{"rules.after": "number of seconds"}},
		{"new user without password", "ada", route{"PUT", "/api/admin/users/carl", map[string]any{"role": "supervisor"}}, 422, map[string]string{"password": "required"}},
		{"user bad role and short password", "ada", route{"PUT", "/api/admin/users/carl", map[string]any{"role": "boss", "password": "x"}}, 422, map[string]string{"role": "agent, supervisor or admin", "password": "at least 8"}},
		{"agent without device", "ada", route{"PUT", "/api/admin/users/carl", map[string]any{"role": "agent", "password": "longenough", "agent": map[string]any{"device": "1001", "queues": []map[string]any{{"queue": "nope"}}}}}, 422,
			map[string]string{"agent.device": "PJSIP/1001", "agent.queues[0].queue": `no queue called "nope"`}},
		{"agent skill level", "ada", route{"PUT", "/api/admin/users/carl", map[string]any{"role": "agent", "password": "longenough", "agent": map[string]any{"device": "PJSIP/1003", "skills": map[string]int{"french": 0}}}}, 422,
			map[string]string{"agent.skills.french": "1 to 100"}},
		{"calls limit", "sue", route{"GET", "/api/calls?limit=0", nil}, 400, map[string]string{"limit": "from 1 to 1000"}},
		{"stats bad date", "sue", route{"GET", "/api/stats/queues/sales?from=yesterday", nil}, 400, map[string]string{"from": "RFC 3339"}},
		{"lookup without number", "sue", route{"GET", "/api/lookup", nil}, 422, map[string]string{"number": "required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := MustTestEnv(t)
			c := env.MustLogin(t, tt.login)
			status, body := c.do(tt.route.method, tt.route.path, tt.route.body)
			if status != tt.wantStatus {
				t.Fatalf("status got=%d, want %d (%s)", status, tt.wantStatus, body)
			}
			var e Error
			if err := UnmarshalAPI(body, &e); err != nil || e.Message == "" {
				t.Fatalf("body got=%s, want {error, fields}", body)
			}
			for field, want := range tt.wantFields {
				if !strings.Contains(e.Fields[field], want) {
					t.Errorf("fields[%q] got=%q, want it to contain %q (all: %v)", field, e.Fields[field], want, e.Fields)
				}
			}
			if len(e.Fields) < len(tt.wantFields) {
				t.Errorf("fields got=%v, want at least %d", e.Fields, len(tt.wantFields))
			}
			if in := env.floor.takeInputs(); len(in) != 0 {
				t.Fatalf("refused input reached the floor: %#v", in)
			}
		})
	}
}

func TestEngineRefusalsMapToStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"unknown caller", fmt.Errorf("reorder: %w", queue.ErrUnknownCaller), http.StatusNotFound},
		{"not allowed", fmt.Errorf("pick: %w", queue.ErrNotAllowed), http.StatusConflict},
		{"validation", &queue.ValidationError{Fields: []queue.FieldError{{Field: "timeout", Message: "must be > 0"}}}, http.StatusUnprocessableEntity},
		{"app loop gone", errors.New("loop stopped"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := MustTestEnv(t)
			env.floor.doErr = tt.err
			status, body := env.MustLogin(t, "sue").do("POST", "/api/agents/bob/unpause", nil)
			if status != tt.want {
				t.Fatalf("status got=%d, want %d (%s)", status, tt.want, body)
			}
			if tt.want == http.StatusUnprocessableEntity && !strings.Contains(string(body), `"timeout":"must be \u003e 0"`) && !strings.Contains(string(body), `"timeout":"must be > 0"`) {
				t.Fatalf("engine field errors lost: %s", body)
			}
		})
	}
}

func TestRejectWhenNothingRings(t *testing.T) {
	env := MustTestEnv(t)
	if status, _ := env.MustLogin(t, "bob").do("POST", "/api/me/reject", nil); status != http.StatusConflict {
		t.Fatalf("bob has nothing ringing: got=%d, want 409", status)
	}
	if status, _ := env.MustLogin(t, "alice").do("POST", "/api/me/reject", map[string]any{"offer": "o-0000"}); status != http.StatusConflict {
		t.Fatalf("stale offer: got=%d, want 409", status)
	}
	if in := env.floor.takeInputs(); len(in) != 0 {
		t.Fatalf("inputs got=%v, want none", in)
	}
}

func TestAgentSnapshotIsFiltered(t *testing.T) {
	env := MustTestEnv(t)
	_, body := env.MustLogin(t, "bob").do("GET", "/api/snapshot", nil)
	var snap queue.Snapshot
	if err := UnmarshalAPI(body, &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Agents) != 1 || snap.Agents[0].Config.ID != "bob" {
		t.Fatalf("agents got=%v, want only bob", snap.Agents)
	}
	if len(snap.Queues) != 1 || snap.Queues[0].Config.Name != "support" {
		t.Fatalf("queues got=%d, want only support", len(snap.Queues))
	}
	_, body = env.MustLogin(t, "sue").do("GET", "/api/snapshot", nil)
	if err := UnmarshalAPI(body, &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Agents) != 2 || len(snap.Queues) != 2 {
		t.Fatalf("supervisor got %d agents %d queues, want 2 and 2", len(snap.Agents), len(snap.Queues))
	}
}

func TestAdminQueueAppliesThenPersists(t *testing.T) {
	env := MustTestEnv(t)
	ada := env.MustLogin(t, "ada")
	status, body := ada.do("PUT", "/api/admin/queues/billing", map[string]any{"strategy": "leastrecent", "timeout": 20, "allowpick": true})
	if status != http.StatusOK {
		t.Fatalf("put: got=%d (%s)", status, body)
	}
	want := queue.DefaultQueueConfig("billing")
	want.Strategy, want.Timeout, want.AllowPick = queue.LeastRecent, 20*time.Second, true
	in := env.floor.takeInputs()
	if len(in) != 1 || !reflect.DeepEqual(in[0], queue.ConfigureQueue{Config: want}) {
		t.Fatalf("floor got=%#v, want ConfigureQueue %+v", in, want)
	}
	if got := env.dir.queues["billing"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("stored got=%+v, want %+v", got, want)
	}

	env.floor.doErr = &queue.ValidationError{Fields: []queue.FieldError{{Field: "weight", Message: "engine says no"}}}
	status, body = ada.do("PUT", "/api/admin/queues/refused", map[string]any{})
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "engine says no") {
		t.Fatalf("engine refusal: got=%d %s, want 422 with its field", status, body)
	}
	if _, stored := env.dir.queues["refused"]; stored {
		t.Fatalf("a queue the engine refused was stored")
	}
	env.floor.doErr = nil

	if status, body := ada.do("DELETE", "/api/admin/queues/billing", nil); status != http.StatusNoContent {
		t.Fatalf("delete: got=%d (%s)", status, body)
	}
	if in := env.floor.takeInputs(); len(in) != 1 || in[0] != (queue.RemoveQueue{Queue: "billing"}) {
		t.Fatalf("floor got=%#v, want RemoveQueue billing", in)
	}
	if _, ok := env.dir.queues["billing"]; ok {
		t.Fatalf("billing still stored")
	}
}

func TestAdminUsers(t *testing.T) {
	env := MustTestEnv(t)
	ada := env.MustLogin(t, "ada")
	agent := map[string]any{"device": "PJSIP/1003", "queues": []map[string]any{{"queue": "sales", "penalty": 1}}}
	status, body := ada.do("PUT", "/api/admin/users/carl", map[string]any{"name": "Carl", "role": "agent", "password": testPassword, "agent": agent})
	if status != http.StatusOK {
		t.Fatalf("create: got=%d (%s)", status, body)
	}
	wantAgent := queue.AgentConfig{ID: "carl", Name: "Carl", Device: "PJSIP/1003", Queues: []queue.Membership{{Queue: "sales", Penalty: 1}}}
	if in := env.floor.takeInputs(); len(in) != 1 || !reflect.DeepEqual(in[0], queue.ConfigureAgent{Config: wantAgent}) {
		t.Fatalf("floor got=%#v, want ConfigureAgent %+v", in, wantAgent)
	}
	carl := env.MustLogin(t, "carl")
	if status, _ := carl.do("GET", "/api/me/stats", nil); status != http.StatusOK {
		t.Fatalf("carl's stats: got=%d", status)
	}

	// Carl becomes a supervisor who takes no calls: the agent goes, the password stays.
	status, body = ada.do("PUT", "/api/admin/users/carl", map[string]any{"name": "Carl", "role": "supervisor", "agent": nil})
	if status != http.StatusOK {
		t.Fatalf("update: got=%d (%s)", status, body)
	}
	if in := env.floor.takeInputs(); len(in) != 1 || in[0] != (queue.RemoveAgent{Agent: "carl"}) {
		t.Fatalf("floor got=%#v, want RemoveAgent carl", in)
	}
	// A role change ends the sessions (issue 14): carl logs in again, with
	// the password he had.
	if status, _ := carl.do("GET", "/api/queues", nil); status != http.StatusUnauthorized {
		t.Fatalf("carl's open session after promotion: got=%d, want 401", status)
	}
	carl = env.MustLogin(t, "carl")
	if status, _ := carl.do("GET", "/api/queues", nil); status != http.StatusOK {
		t.Fatalf("carl as supervisor: got=%d, want 200", status)
	}

	if status, _ := ada.do("DELETE", "/api/admin/users/ada", nil); status != http.StatusConflict {
		t.Fatalf("deleting yourself: got=%d, want 409", status)
	}
}

func TestReadsAndStats(t *testing.T) {
	env := MustTestEnv(t)
	day := startOfDay(time.Now())
	env.dir.queueStats["sales"] = []queue.QueueInterval{
		{Queue: "sales", Start: day, Offered: 3, Answered: 2, WaitMax: 5 * time.Second},
		{Queue: "sales", Start: day.Add(15 * time.Minute), Offered: 4, Answered: 4, Abandoned: 0, WaitMax: 9 * time.Second},
	}
	env.dir.calls = []queue.CallRecord{{ID: "k1", Queue: "sales", JoinedAt: time.Now().Add(-time.Minute), Outcome: "answered"}}
	sue := env.MustLogin(t, "sue")

	_, body := sue.do("GET", "/api/stats/queues/sales", nil)
	var st statsResponse[queue.QueueInterval]
	if err := UnmarshalAPI(body, &st); err != nil {
		t.Fatal(err)
	}
	if st.Total.Offered != 7 || st.Total.Answered != 6 || st.Total.WaitMax != 9*time.Second || len(st.Intervals) != 2 {
		t.Fatalf("total got=%+v, want offered 7 answered 6 waitmax 9s over 2 intervals", st.Total)
	}
	_, body = sue.do("GET", "/api/calls?queue=sales&limit=5", nil)
	var calls []queue.CallRecord
	if err := UnmarshalAPI(body, &calls); err != nil || len(calls) != 1 || calls[0].ID != "k1" {
		t.Fatalf("calls got=%s, want k1", body)
	}
	if env.dir.lastCalls.limit != 5 || env.dir.lastCalls.queue != "sales" || !env.dir.lastCalls.from.Equal(day) {
		t.Fatalf("calls query got=%+v, want today, sales, 5", env.dir.lastCalls)
	}
	status, body := sue.do("GET", "/api/queues/nope", nil)
	if status != http.StatusNotFound {
		t.Fatalf("unknown queue: got=%d %s, want 404", status, body)
	}
	_, body = sue.do("GET", "/api/agents/alice", nil)
	var a queue.AgentView
	if err := UnmarshalAPI(body, &a); err != nil || a.State != queue.AgentRinging {
		t.Fatalf("alice got=%s, want ringing", body)
	}
}

func TestLookup(t *testing.T) {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("number") {
		case "5551001":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"name":"Ann Smith","account":"A-17","recent_orders":["#12","#15"],"vip":true,"notes":null,"address":{"city":"Leeds"}}`)
		case "5551002":
			http.NotFound(w, r)
		case "5551003":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		case "+44 1":
			fmt.Fprint(w, `{"escaped":"yes"}`)
		default:
			fmt.Fprint(w, `{}`)
		}
	}))
	defer crm.Close()
	env := MustTestEnv(t, func(o *Options) {
		o.LookupURL = crm.URL + "/lookup?number={number}"
		o.LookupTimeout = 200 * time.Millisecond
	})
	tests := []struct {
		name, login, number string
		wantStatus          int
		want                LookupResult
	}{
		{"match in the CRM's order", "alice", "5551001", 200, LookupResult{Number: "5551001", Status: LookupMatch, Fields: []LookupField{
			{"name", "Name", "Ann Smith"}, {"account", "Account", "A-17"}, {"recent_orders", "Recent orders", "#12; #15"}, {"vip", "Vip", "yes"}, {"address", "Address", "city: Leeds"}}}},
		{"404 is no match", "alice", "5551002", 200, LookupResult{Number: "5551002", Status: LookupNoMatch, Fields: []LookupField{}}},
		{"slow CRM fails plainly", "sue", "5551003", 200, LookupResult{Number: "5551003", Status: LookupFailed, Fields: []LookupField{}}},
		{"empty object is no match", "sue", "999", 200, LookupResult{Number: "999", Status: LookupNoMatch, Fields: []LookupField{}}},
		{"number is escaped", "sue", "+44 1", 200, LookupResult{Number: "+44 1", Status: LookupMatch, Fields: []LookupField{{"escaped", "Escaped", "yes"}}}},
		{"agent may not look up strangers", "bob", "5551001", 403, LookupResult{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := env.MustLogin(t, tt.login).do("GET", "/api/lookup?number="+urlQueryEscape(tt.number), nil)
			if status != tt.wantStatus {
				t.Fatalf("status got=%d, want %d (%s)", status, tt.wantStatus, body)
			}
			if status != 200 {
				return
			}
			var got LookupResult
			if err := UnmarshalAPI(body, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got=%+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLookupDisabled(t *testing.T) {
	env := MustTestEnv(t)
	_, body := env.MustLogin(t, "alice").do("GET", "/api/lookup?number=5551001", nil)
	if !strings.Contains(string(body), `"status":"disabled"`) {
		t.Fatalf("got=%s, want status disabled", body)
	}
}

func TestMyQueues(t *testing.T) {
	env := MustTestEnv(t)
	status, body := env.MustLogin(t, "alice").do("GET", "/api/me/queues", nil)
	if status != http.StatusOK {
		t.Fatalf("status got=%d (%s)", status, body)
	}
	var got []MyQueue
	if err := UnmarshalAPI(body, &got); err != nil {
		t.Fatal(err)
	}
	want := []MyQueue{{Queue: "sales", Penalty: 0, Active: true, AllowPick: true}, {Queue: "support", Penalty: 2, Active: false}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got=%+v, want %+v", got, want)
	}
}

// Bounds on what a request may carry (issue 14): dates a report cannot be
// about, names that would break logs or snapshots.
func TestRequestBounds(t *testing.T) {
	env := MustTestEnv(t)
	ada := env.MustLogin(t, "ada")
	tests := []struct {
		name         string
		method, path string
		body         any
		want         int
		field        string
	}{
		{"year_9999", "GET", "/api/stats/queues/sales?from=9999-12-31", nil, 400, "from"},
		{"year_9999_to", "GET", "/api/calls?to=9999-12-31", nil, 400, "to"},
		{"year_1", "GET", "/api/stats/agents/alice?from=0001-01-01T00:00:00Z", nil, 400, "from"},
		{"a_real_range", "GET", "/api/stats/queues/sales?from=2026-01-01&to=2026-12-31", nil, 200, ""},
		{"user_name_with_newline", "PUT", "/api/admin/users/carl", map[string]any{"name": "Carl\nINJECTED", "role": "supervisor", "password": testPassword}, 422, "name"},
		{"user_name_with_nul", "PUT", "/api/admin/users/carl", map[string]any{"name": "Carl\x00", "role": "supervisor", "password": testPassword}, 422, "name"},
		{"queue_music_class_with_nul", "PUT", "/api/admin/queues/billing", map[string]any{"name": "billing", "strategy": "ringall", "timeout": 15, "musicclass": "default\x00"}, 422, "musicclass"},
		{"user_name_too_long", "PUT", "/api/admin/users/carl", map[string]any{"name": strings.Repeat("c", 129), "role": "supervisor", "password": testPassword}, 422, "name"},
		{"queue_music_class_900KB", "PUT", "/api/admin/queues/billing", func() map[string]any {
			q := queue.DefaultQueueConfig("billing")
			q.MusicClass = strings.Repeat("a", 900<<10) // under the 1 MB body limit
			b, _ := MarshalAPI(q)
			var m map[string]any
			_ = UnmarshalAPI(b, &m)
			return m
		}(), 422, "musicclass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := ada.do(tt.method, tt.path, tt.body)
			if status != tt.want {
				t.Fatalf("got=%d, want %d (%s)", status, tt.want, body)
			}
			if tt.field != "" && !strings.Contains(string(body), `"`+tt.field+`"`) {
				t.Fatalf("error %s does not name the field %s", body, tt.field)
			}
		})
	}
}

// Supervisors' and admins' actions land in the audit log with who, from
// where, to whom and how they ended, refused ones too; never a password;
// agents' own actions and reads are not audited; only admins read it.
func TestAuditLog(t *testing.T) {
	env := MustTestEnv(t)
	sue, ada, alice := env.MustLogin(t, "sue"), env.MustLogin(t, "ada"), env.MustLogin(t, "alice")
	sue.do("POST", "/api/agents/bob/pause", map[string]any{"reason": "Lunch"})
	sue.do("POST", "/api/callers/c2/redirect", map[string]any{"target": "outbound,900,1"}) // refused: no list
	sue.do("GET", "/api/queues", nil)
	alice.do("POST", "/api/me/ready", nil)
	ada.do("PUT", "/api/admin/users/carl", map[string]any{"name": "Carl", "role": "supervisor", "password": "secret-carl-pw"})

	if status, _ := sue.do("GET", "/api/admin/audit", nil); status != http.StatusForbidden {
		t.Fatalf("a supervisor reading the audit log: got=%d, want 403", status)
	}
	status, body := ada.do("GET", "/api/admin/audit", nil)
	if status != http.StatusOK {
		t.Fatalf("audit log: got=%d (%s)", status, body)
	}
	if strings.Contains(string(body), "secret-carl-pw") {
		t.Fatalf("a password in the audit log: %s", body)
	}
	var got struct{ Entries []queue.AuditEntry }
	if err := UnmarshalAPI(body, &got); err != nil {
		t.Fatal(err)
	}
	type line struct {
		user, action, target, detail string
		status                       int
	}
	var lines []line
	for _, e := range got.Entries {
		if e.From == "" || e.At.IsZero() || e.Role == "" {
			t.Errorf("entry without who, when or from where: %+v", e)
		}
		lines = append(lines, line{e.User, e.Action, e.Target, e.Detail, e.Status})
	}
	want := []line{ // newest first
		{"ada", "PUT /api/admin/users/:id", "id=carl", "role supervisor, password changed true, takes calls false", 200},
		{"sue", "POST /api/callers/:id/redirect", "id=c2", `to "outbound,900,1"`, 403},
		{"sue", "POST /api/agents/:id/pause", "id=bob", `reason "Lunch"`, 204},
	}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("audit log:\n got=%+v\nwant=%+v", lines, want)
	}
}
