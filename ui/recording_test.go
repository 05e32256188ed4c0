package ui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"stasisq/queue"
)

// fakeRecordings is Asterisk's stored recordings, by name.
type fakeRecordings struct {
	mu      sync.Mutex
	files   map[string]string
	deleted []string
}

func (f *fakeRecordings) OpenRecording(ctx context.Context, name string) (io.ReadCloser, string, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, ok := f.files[name]
	if !ok {
		return nil, "", 0, fmt.Errorf("recording %s: %w", name, queue.ErrNotFound)
	}
	return io.NopCloser(strings.NewReader(data)), "audio/wav", int64(len(data)), nil
}

func (f *fakeRecordings) DeleteRecording(ctx context.Context, caller queue.CallerID, record, name, by string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, record+" "+name+" by "+by)
	return nil
}

// The recording routes: who may download, delete and control a
// recording, and what each state of a call's recording answers.
func TestRecordingRoutes(t *testing.T) {
	recs := &fakeRecordings{files: map[string]string{"r-done": "RIFF-done-audio", "r-failed": "RIFF-part"}}
	env := MustTestEnv(t, func(o *Options) { o.Recordings = recs })
	ended := time.Now().Add(-time.Minute)
	env.dir.calls = []queue.CallRecord{
		{ID: "k-done", Caller: "c1", EndedAt: ended, Recording: &queue.CallRecording{Name: "r-done", Format: "wav", State: queue.RecordingDone}},
		{ID: "k-none", Caller: "c2", EndedAt: ended},
		{ID: "k-live", Caller: "c3", Recording: &queue.CallRecording{Name: "r-live", Format: "wav", State: queue.RecordingPaused}},
		{ID: "k-gone", Caller: "c4", EndedAt: ended, Recording: &queue.CallRecording{Name: "r-gone", Format: "gsm", State: queue.RecordingDeleted,
			DeletedBy: "ada", DeletedAt: ended}},
		{ID: "k-failed", Caller: "c5", EndedAt: ended, Recording: &queue.CallRecording{Name: "r-failed", Format: "wav", State: queue.RecordingFailure, Error: "disk full"}},
		{ID: "k-refused", Caller: "c6", EndedAt: ended, Recording: &queue.CallRecording{Name: "r-refused", Format: "wav", State: queue.RecordingFailure, Error: "no directory"}},
		{ID: "k-lost", Caller: "c7", EndedAt: ended, Recording: &queue.CallRecording{Name: "r-lost", Format: "wav", State: queue.RecordingDone}},
	}
	sue, alice, ada := env.MustLogin(t, "sue"), env.MustLogin(t, "alice"), env.MustLogin(t, "ada")
	for _, tc := range []struct {
		who    *apiClient
		id     string
		status int
		want   string // in the body
	}{
		{sue, "k-done", http.StatusOK, "RIFF-done-audio"},
		{ada, "k-done", http.StatusOK, "RIFF-done-audio"},
		{alice, "k-done", http.StatusForbidden, ""},
		{env.anonymous(t), "k-done", http.StatusUnauthorized, ""},
		{sue, "k-none", http.StatusNotFound, "was not recorded"},
		{sue, "k-live", http.StatusConflict, "still being recorded"},
		{sue, "k-gone", http.StatusNotFound, "deleted by ada"},
		{sue, "k-failed", http.StatusOK, "RIFF-part"}, // what was recorded before it broke off
		{sue, "k-refused", http.StatusNotFound, "failed: no directory"},
		{sue, "k-lost", http.StatusNotFound, "no longer has recording r-lost"},
		{sue, "nope", http.StatusNotFound, ""},
	} {
		status, body := tc.who.do("GET", "/api/calls/"+tc.id+"/recording", nil)
		if status != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET recording of %s: got=%d %q, want %d with %q", tc.id, status, body, tc.status, tc.want)
		}
	}

	if status, body := sue.do("DELETE", "/api/admin/calls/k-done/recording", nil); status != http.StatusForbidden {
		t.Errorf("a supervisor's delete: got=%d (%s), want 403", status, body)
	}
	if status, body := ada.do("DELETE", "/api/admin/calls/k-done/recording", nil); status != http.StatusNoContent {
		t.Errorf("an admin's delete: got=%d (%s), want 204", status, body)
	}
	if status, _ := ada.do("DELETE", "/api/admin/calls/k-gone/recording", nil); status != http.StatusNotFound {
		t.Errorf("delete of a deleted recording: got=%d, want 404", status)
	}
	recs.mu.Lock()
	if want := []string{"k-done r-done by ada"}; !reflect.DeepEqual(recs.deleted, want) {
		t.Errorf("deletes reaching Asterisk: %v, want %v", recs.deleted, want)
	}
	recs.mu.Unlock()

	if status, body := sue.do("POST", "/api/callers/c3/recording", map[string]any{"action": "pause"}); status != http.StatusNoContent {
		t.Errorf("supervisor's pause: got=%d (%s)", status, body)
	}
	if status, body := alice.do("POST", "/api/me/recording", map[string]any{"caller": "c1", "action": "resume"}); status != http.StatusNoContent {
		t.Errorf("agent's resume: got=%d (%s)", status, body)
	}
	for _, bad := range []map[string]any{{"action": "erase"}, {"caller": "c1"}, {}} {
		if status, body := alice.do("POST", "/api/me/recording", bad); status != http.StatusUnprocessableEntity {
			t.Errorf("agent's control %v: got=%d (%s), want 422", bad, status, body)
		}
	}
	if status, _ := alice.do("POST", "/api/callers/c3/recording", map[string]any{"action": "pause"}); status != http.StatusForbidden {
		t.Errorf("an agent on the supervisor's route: got=%d, want 403", status)
	}
	env.floor.mu.Lock()
	defer env.floor.mu.Unlock()
	var got []string
	for _, in := range env.floor.inputs {
		if rc, ok := in.(queue.RecordingControl); ok {
			got = append(got, fmt.Sprintf("%s %s agent=%s by=%s", rc.Caller, rc.Action, rc.Agent, rc.By))
		}
	}
	if want := []string{"c3 pause agent= by=sue", "c1 resume agent=alice by=alice"}; !reflect.DeepEqual(got, want) {
		t.Errorf("controls reaching the floor: %v, want %v", got, want)
	}
}

// The monitor routes: supervisors and admins only, a known mode, the
// supervisor being whoever is logged in.
func TestMonitorRoutes(t *testing.T) {
	env := MustTestEnv(t)
	sue, alice := env.MustLogin(t, "sue"), env.MustLogin(t, "alice")
	if status, body := sue.do("POST", "/api/callers/c3/monitor", map[string]any{"mode": "whisper"}); status != http.StatusOK || !strings.Contains(string(body), `"mode":"whisper"`) {
		t.Errorf("whisper: got=%d %s", status, body)
	}
	if status, body := sue.do("POST", "/api/callers/c3/monitor", map[string]any{"mode": "eavesdrop"}); status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown mode: got=%d %s, want 422", status, body)
	}
	if status, _ := alice.do("POST", "/api/callers/c3/monitor", map[string]any{"mode": "listen"}); status != http.StatusForbidden {
		t.Errorf("an agent listening: got=%d, want 403", status)
	}
	if status, body := sue.do("DELETE", "/api/callers/c3/monitor", nil); status != http.StatusNoContent {
		t.Errorf("leave: got=%d %s", status, body)
	}
	env.floor.mu.Lock()
	got := slices.Clone(env.floor.monitors)
	env.floor.doErr = fmt.Errorf("call c3 ended while your phone rang: %w", queue.ErrNotFound)
	env.floor.mu.Unlock()
	if want := []string{"sue whisper c3", "sue leaves c3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reaching the floor: %v, want %v", got, want)
	}
	if status, body := sue.do("POST", "/api/callers/c3/monitor", map[string]any{"mode": "listen"}); status != http.StatusNotFound || !strings.Contains(string(body), "ended while your phone rang") {
		t.Errorf("a call that ended while ringing: got=%d %s, want 404 saying so", status, body)
	}
}

// A supervisor limited to some queues may not listen to, or control the
// recording of, another queue's call; an admin may; a supervisor's list
// names known queues only, and only a supervisor has one.
func TestSupervisesQueues(t *testing.T) {
	env := MustTestEnv(t)
	ada := env.MustLogin(t, "ada")
	if status, body := ada.do("PUT", "/api/admin/users/sue", map[string]any{"name": "Sue", "role": "supervisor", "supervises": []string{"support"}}); status != http.StatusOK {
		t.Fatalf("limit sue to support: got=%d %s", status, body)
	}
	for _, bad := range []map[string]any{
		{"name": "Sue", "role": "supervisor", "supervises": []string{"nowhere"}},
		{"name": "Bob", "role": "agent", "supervises": []string{"sales"}, "agent": map[string]any{"device": "PJSIP/1002", "queues": []any{}}},
	} {
		if status, body := ada.do("PUT", "/api/admin/users/sue", bad); status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "supervises") {
			t.Errorf("%v: got=%d %s, want 422 on supervises", bad, status, body)
		}
	}
	snap := testFloorState()
	var sales, support queue.CallerID
	for _, a := range snap.Agents {
		if a.Caller != "" && a.Queue == "sales" {
			sales = a.Caller
		}
		if a.Caller != "" && a.Queue == "support" {
			support = a.Caller
		}
	}
	if sales == "" {
		t.Fatalf("the test floor has no sales caller with an agent: %+v", snap.Agents)
	}
	sue := env.MustLogin(t, "sue")
	if status, body := sue.do("POST", "/api/callers/"+string(sales)+"/monitor", map[string]any{"mode": "listen"}); status != http.StatusForbidden || !strings.Contains(string(body), "do not supervise queue sales") {
		t.Errorf("sue listening to sales: got=%d %s, want 403", status, body)
	}
	if status, body := sue.do("POST", "/api/callers/"+string(sales)+"/recording", map[string]any{"action": "pause"}); status != http.StatusForbidden {
		t.Errorf("sue pausing a sales recording: got=%d %s, want 403", status, body)
	}
	if status, body := ada.do("POST", "/api/callers/"+string(sales)+"/monitor", map[string]any{"mode": "listen"}); status != http.StatusOK {
		t.Errorf("ada listening to sales: got=%d %s", status, body)
	}
	if support != "" {
		if status, body := sue.do("POST", "/api/callers/"+string(support)+"/monitor", map[string]any{"mode": "listen"}); status != http.StatusOK {
			t.Errorf("sue listening to support: got=%d %s", status, body)
		}
	}
}
