package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/queue"
)

// The agents of the recording tests answer with a 440 Hz tone and keep
// it up: what the recording must hear.
const toneAgents = `
[toneagents]
exten => _X.,1,Answer()
 same => n,Playtones(440)
 same => n,Wait(300)
`

// recordedEnv is a queue "sales" with record=always (wav), agent alice
// answering with a tone, and supervisor sue, agent bob and admin ada logged
// in to the console.
type recordedEnv struct {
	*testEnv
	obs           *observer
	sue, bob, ada *consoleClient
}

// mustRecordedEnv: Asterisk has its recording directory (the observer
// makes it, as a packaged Asterisk has it), alice records every call.
func mustRecordedEnv(t *testing.T, edit func(*queue.QueueConfig)) *recordedEnv {
	t.Helper()
	e, obs := MustStartAsteriskEnv(t, map[string]string{"extensions.conf": asteriskDialplan + toneAgents})
	return mustRecordedSales(t, e, obs, edit)
}

// mustRecordedEnvNoDir is mustRecordedEnv with Asterisk's recording
// directory missing, so that every recording fails.
func mustRecordedEnvNoDir(t *testing.T, edit func(*queue.QueueConfig)) *recordedEnv {
	t.Helper()
	e, obs := MustStartAsteriskEnv(t, map[string]string{"extensions.conf": asteriskDialplan + toneAgents})
	if err := os.Remove(recordingDir(e.ast)); err != nil {
		t.Fatal(err)
	}
	return mustRecordedSales(t, e, obs, edit)
}

// mustRecordedSales sets up the sales queue that records, alice in it, and
// the console users of the recording tests.
func mustRecordedSales(t *testing.T, e *testEnv, obs *observer, edit func(*queue.QueueConfig)) *recordedEnv {
	t.Helper()
	e.asteriskQueue("sales", func(q *queue.QueueConfig) {
		q.Record, q.RecordFormat = queue.RecordAlways, "wav"
		if edit != nil {
			edit(q)
		}
	})
	e.MustAgent("alice", "Local/1001@toneagents", "sales")
	users := []queue.User{{ID: "sue", Name: "Sue", Role: queue.RoleSupervisor}, {ID: "ada", Name: "Ada", Role: queue.RoleAdmin},
		{ID: "bob", Name: "Bob", Role: queue.RoleAgent}}
	for _, u := range users {
		if err := e.main.DB.PutUser(e.ctx(), u, u.ID+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	r := &recordedEnv{testEnv: e, obs: obs}
	r.sue = MustConsoleLogin(t, e.main.URL(), "sue", "sue-password")
	r.ada = MustConsoleLogin(t, e.main.URL(), "ada", "ada-password")
	r.bob = MustConsoleLogin(t, e.main.URL(), "bob", "bob-password")
	return r
}

// finishedRecording waits until the caller's call record has its recording
// in a final state, as Asterisk reported it after the call.
func (r *recordedEnv) finishedRecording(t *testing.T, caller queue.CallerID) queue.CallRecord {
	t.Helper()
	var rec queue.CallRecord
	pollUntil(t, waitFor, "the recording of "+string(caller)+" finished in its call record", func() (bool, string) {
		var err error
		rec, err = r.main.DB.Call(r.ctx(), caller)
		if err != nil {
			return false, err.Error()
		}
		if rec.Recording == nil {
			return false, "no recording in the record"
		}
		return rec.Recording.State == queue.RecordingDone || rec.Recording.State == queue.RecordingFailure,
			fmt.Sprintf("%+v", *rec.Recording)
	})
	return rec
}

// deletedRecording waits until the call record says its recording was
// deleted (the store writes in batches, a moment later).
func (r *recordedEnv) deletedRecording(t *testing.T, id string) queue.CallRecord {
	t.Helper()
	var rec queue.CallRecord
	pollUntil(t, waitFor, "call "+id+"'s recording marked deleted", func() (bool, string) {
		var err error
		rec, err = r.main.DB.CallByID(r.ctx(), id)
		if err != nil {
			return false, err.Error()
		}
		return rec.Recording != nil && rec.Recording.State == queue.RecordingDeleted, fmt.Sprintf("%+v", rec.Recording)
	})
	return rec
}

// wavFile is what the tests measure in a downloaded recording.
type wavFile struct {
	rate     int
	duration time.Duration
	rms      float64 // of the 16-bit samples
}

// parseWAV reads a PCM 16-bit mono WAV as Asterisk's wav format writes it.
func parseWAV(data []byte) (wavFile, error) {
	if len(data) < 44 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return wavFile{}, errors.New("not a RIFF WAVE file")
	}
	var w wavFile
	var pcm []byte
	for off := 12; off+8 <= len(data); {
		id, size := string(data[off:off+4]), int(binary.LittleEndian.Uint32(data[off+4:off+8]))
		body := data[off+8 : min(off+8+size, len(data))]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return wavFile{}, errors.New("short fmt chunk")
			}
			if format, channels, bits := binary.LittleEndian.Uint16(body[0:2]), binary.LittleEndian.Uint16(body[2:4]),
				binary.LittleEndian.Uint16(body[14:16]); format != 1 || channels != 1 || bits != 16 {
				return wavFile{}, fmt.Errorf("format %d, %d channels, %d bits: want PCM mono 16-bit", format, channels, bits)
			}
			w.rate = int(binary.LittleEndian.Uint32(body[4:8]))
		case "data":
			pcm = body
		}
		off += 8 + size + size%2
	}
	if w.rate == 0 || pcm == nil {
		return wavFile{}, errors.New("no fmt or data chunk")
	}
	n := len(pcm) / 2
	var sum float64
	for i := range n {
		s := float64(int16(binary.LittleEndian.Uint16(pcm[2*i:])))
		sum += s * s
	}
	if n > 0 {
		w.rms = math.Sqrt(sum / float64(n))
	}
	w.duration = time.Duration(n) * time.Second / time.Duration(w.rate)
	return w, nil
}

// download fetches a call's recording through the console's API.
func download(t *testing.T, c *consoleClient, id string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+"/api/calls/"+id+"/recording?download=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("download recording of %s: %v", id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read recording of %s: %v", id, err)
	}
	return resp.StatusCode, body, resp.Header
}

// talkOf is the call's talk time as the engine measured it.
func talkOf(t *testing.T, e *testEnv, caller queue.CallerID) time.Duration {
	t.Helper()
	for _, ev := range e.events.all() {
		if c, ok := ev.(queue.CallCompleted); ok && c.Caller == caller {
			return c.Talk
		}
	}
	t.Fatalf("no call_completed for %s", caller)
	return 0
}

// An answered call of a record=always queue is recorded from its bridge:
// the file Asterisk stored has the call's length (± 0.5 s) and the agent's
// tone in it; the call record names it with Asterisk's duration; the
// console serves it to a supervisor, in ranges for the player, and not to
// an agent or anyone logged out; retention then deletes it from Asterisk
// and says so in the record.
func TestAsteriskRecordingAnsweredCall(t *testing.T) {
	r := mustRecordedEnv(t, func(q *queue.QueueConfig) { q.RecordRetention = 24 * time.Hour })
	r.obs.call("sales", "c01")
	r.waitEvent("c01", "call_connected")
	time.Sleep(4 * time.Second)
	r.obs.hangup("c01")
	rec := r.finishedRecording(t, "c01")
	got := rec.Recording
	if got.State != queue.RecordingDone {
		t.Fatalf("call record's recording: %+v, want done", *got)
	}
	talk := talkOf(t, r.testEnv, "c01")
	t.Logf("recording %s: state %s, Asterisk's duration %s, talk %s", got.Name, got.State, got.Duration, talk)
	if got.State != queue.RecordingDone || got.Format != "wav" || !strings.HasPrefix(got.Name, "stasisq-") {
		t.Fatalf("call record's recording: %+v, want a done wav", *got)
	}
	// Asterisk counts whole seconds and cuts the rest: a 3.96 s file is 3 s.
	if d := got.Duration - talk; d <= -1500*time.Millisecond || d > 500*time.Millisecond {
		t.Errorf("Asterisk's duration %s, talk %s: want the talk's whole seconds (Asterisk drops the fraction)", got.Duration, talk)
	}

	status, body, h := download(t, r.sue, rec.ID)
	if status != http.StatusOK {
		t.Fatalf("supervisor's download: status %d: %s", status, body)
	}
	w, err := parseWAV(body)
	if err != nil {
		t.Fatalf("downloaded recording (%d bytes, %s): %v", len(body), h.Get("Content-Type"), err)
	}
	t.Logf("file: %d bytes, %s, %d Hz, %s, RMS %.0f; Content-Disposition %q", len(body), h.Get("Content-Type"), w.rate, w.duration, w.rms,
		h.Get("Content-Disposition"))
	if d := w.duration - talk; d < -500*time.Millisecond || d > 500*time.Millisecond {
		t.Errorf("file lasts %s, the call talked %s: want within 0.5 s", w.duration, talk)
	}
	if w.rms < 1000 {
		t.Errorf("file RMS %.0f: want the agent's tone in it (silence is near 0)", w.rms)
	}
	if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, got.Name+".wav") {
		t.Errorf("Content-Disposition %q: want an attachment named %s.wav", cd, got.Name)
	}
	if cc := h.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q: want no-store for a call recording", cc)
	}

	// The player seeks: a range is answered with just that range.
	req, err := http.NewRequest(http.MethodGet, r.sue.base+"/api/calls/"+rec.ID+"/recording", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Range", "bytes=100-199")
	resp, err := r.sue.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusPartialContent || string(part) != string(body[100:200]) {
		t.Errorf("range 100-199: status %d, %d bytes (%v), want 206 and those bytes of the file", resp.StatusCode, len(part), err)
	}

	if status, body, _ := download(t, r.bob, rec.ID); status != http.StatusForbidden {
		t.Errorf("an agent's download: status %d (%s), want 403", status, body)
	}
	anon := &consoleClient{tb: t, base: r.sue.base, hc: &http.Client{Timeout: waitFor}}
	if status, body, _ := download(t, anon, rec.ID); status != http.StatusUnauthorized {
		t.Errorf("a download without a session: status %d (%s), want 401", status, body)
	}

	// Retention: a day later than a day's retention, the sweep deletes it.
	n, err := r.main.App.SweepRecordings(r.ctx(), r.main.DB, time.Now().Add(25*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("retention sweep: deleted %d (%v), want 1", n, err)
	}
	if _, err := r.obs.ari.GetStoredRecording(r.ctx(), got.Name); !errors.Is(err, ari.ErrNotFound) {
		t.Errorf("Asterisk's stored recording after retention: %v, want not found", err)
	}
	after := r.deletedRecording(t, rec.ID)
	if a := after.Recording; a.DeletedBy != "retention" || a.Duration != got.Duration {
		t.Errorf("call record after retention: %+v, want deleted by retention, its duration kept", *a)
	}
	if status, body, _ := download(t, r.sue, rec.ID); status != http.StatusNotFound || !strings.Contains(string(body), "retention") {
		t.Errorf("download after retention: status %d (%s), want 404 saying retention deleted it", status, body)
	}
	r.waitAsteriskClean(r.obs)
}

// A supervisor pauses the recording (a card number read out) and resumes
// it: the paused part is absent from the file, which is that much shorter
// than the call, and the call record says who paused it from when to when.
// An agent may not, where the queue does not let agents; an admin deletes
// the recording by hand.
func TestAsteriskRecordingPausedPartIsAbsent(t *testing.T) {
	r := mustRecordedEnv(t, nil)
	r.obs.call("sales", "c01")
	r.waitEvent("c01", "call_connected")
	time.Sleep(time.Second)
	r.bob.mustDo(http.MethodPost, "/api/me/recording", map[string]string{"caller": "c01", "action": "pause"}, http.StatusForbidden, nil)
	r.sue.mustDo(http.MethodPost, "/api/callers/c01/recording", map[string]string{"action": "pause"}, http.StatusNoContent, nil)
	r.sue.mustDo(http.MethodPost, "/api/callers/c01/recording", map[string]string{"action": "pause"}, http.StatusConflict, nil)
	const paused = 3 * time.Second
	time.Sleep(paused)
	r.sue.mustDo(http.MethodPost, "/api/callers/c01/recording", map[string]string{"action": "resume"}, http.StatusNoContent, nil)
	time.Sleep(2 * time.Second)
	r.obs.hangup("c01")
	rec := r.finishedRecording(t, "c01")
	got := rec.Recording
	talk := talkOf(t, r.testEnv, "c01")
	if got.State != queue.RecordingDone || len(got.Pauses) != 1 || got.Pauses[0].By != "sue" || got.Pauses[0].Until.IsZero() {
		t.Fatalf("call record's recording: %+v, want done with one pause by sue, ended", *got)
	}
	pause := got.Pauses[0].Until.Sub(got.Pauses[0].At)
	status, body, _ := download(t, r.sue, rec.ID)
	if status != http.StatusOK {
		t.Fatalf("download: status %d: %s", status, body)
	}
	w, err := parseWAV(body)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("talk %s, paused %s, file %s (RMS %.0f), Asterisk's duration %s", talk, pause, w.duration, w.rms, got.Duration)
	if want := talk - pause; w.duration < want-500*time.Millisecond || w.duration > want+500*time.Millisecond {
		t.Errorf("file lasts %s: want the talk %s less the pause %s = %s, ± 0.5 s", w.duration, talk, pause, want)
	}
	if w.rms < 1000 {
		t.Errorf("file RMS %.0f: want the agent's tone", w.rms)
	}

	r.sue.mustDo(http.MethodDelete, "/api/admin/calls/"+rec.ID+"/recording", nil, http.StatusForbidden, nil)
	r.ada.mustDo(http.MethodDelete, "/api/admin/calls/"+rec.ID+"/recording", nil, http.StatusNoContent, nil)
	if _, err := r.obs.ari.GetStoredRecording(r.ctx(), got.Name); !errors.Is(err, ari.ErrNotFound) {
		t.Errorf("Asterisk's stored recording after the admin's delete: %v, want not found", err)
	}
	if after := r.deletedRecording(t, rec.ID); after.Recording.DeletedBy != "ada" {
		t.Errorf("call record after the delete: %+v, want deleted by ada", *after.Recording)
	}
	r.waitAsteriskClean(r.obs)
}

// A recording Asterisk cannot make (here its recording directory is
// missing, as on a box set up by hand) never costs the call: the caller and
// agent stay bridged until the caller hangs up, the call record says why
// there is no recording, and the console refuses the download clearly.
func TestAsteriskRecordingFailureKeepsTheCall(t *testing.T) {
	r := mustRecordedEnvNoDir(t, nil)
	r.obs.call("sales", "c01")
	r.waitEvent("c01", "call_connected")
	rec := r.finishedRecording(t, "c01")
	if got := rec.Recording; got.State != queue.RecordingFailure || !strings.Contains(got.Error, "recording directory") {
		t.Fatalf("call record's recording: %+v, want failed, saying to check the recording directory", *got)
	}
	time.Sleep(2 * time.Second)
	if st := r.agentState("alice"); st != queue.AgentOnCall {
		t.Fatalf("alice is %s two seconds after the recording failed, want still on the call", st)
	}
	if bs := r.obs.bridges(); len(bs) != 1 || len(bs[0].Channels) != 2 {
		t.Fatalf("Asterisk's bridges: %v, want the call's, with both legs", bridgeMembers(bs))
	}
	r.obs.hangup("c01")
	r.waitEvent("c01", "call_completed")
	if talk := talkOf(t, r.testEnv, "c01"); talk < 2*time.Second {
		t.Errorf("talk %s: want the whole call, over 2 s", talk)
	}
	final := r.committedCall("c01")
	status, body, _ := download(t, r.sue, final.ID)
	if status != http.StatusNotFound || !strings.Contains(string(body), "failed: Asterisk could not write the file") {
		t.Errorf("download of a failed recording: status %d (%s), want 404 saying why it failed", status, body)
	}
	t.Logf("download of the failed recording: %d %s", status, body)
	r.waitAsteriskClean(r.obs)
}

// record_from=join (app_queue's monitor-join): the caller is recorded from
// joining the queue, hold music and all, through the call with the agent;
// the file lasts the wait and the talk, and the call record has it from
// the join.
func TestAsteriskRecordingFromJoin(t *testing.T) {
	r := mustRecordedEnv(t, func(q *queue.QueueConfig) { q.RecordFrom = queue.RecordFromJoin })
	r.mustDo(queue.AgentPause{Agent: "alice", Reason: "x"})
	r.obs.call("sales", "c01")
	r.waitEvent("c01", "caller_joined")
	time.Sleep(3 * time.Second) // waiting, with hold music
	r.mustDo(queue.AgentUnpause{Agent: "alice"})
	r.waitEvent("c01", "call_connected")
	time.Sleep(3 * time.Second)
	r.obs.hangup("c01")
	rec := r.finishedRecording(t, "c01")
	got := rec.Recording
	if got.State != queue.RecordingDone {
		t.Fatalf("call record's recording: %+v, want done", *got)
	}
	if !got.StartedAt.Equal(rec.JoinedAt) && got.StartedAt.Sub(rec.JoinedAt) > time.Second {
		t.Errorf("recording started %s, the caller joined %s: want from the join", got.StartedAt, rec.JoinedAt)
	}
	talk := talkOf(t, r.testEnv, "c01")
	status, body, _ := download(t, r.sue, rec.ID)
	if status != http.StatusOK {
		t.Fatalf("download: %d %s", status, body)
	}
	w, err := parseWAV(body)
	if err != nil {
		t.Fatal(err)
	}
	want := rec.Wait + talk
	t.Logf("wait %s + talk %s = %s; file %s, RMS %.0f; Asterisk's duration %s", rec.Wait, talk, want, w.duration, w.rms, got.Duration)
	if w.duration < want-time.Second || w.duration > want+500*time.Millisecond {
		t.Errorf("file lasts %s: want the wait and the talk, %s (up to a second less: the snoop starts after the answer)", w.duration, want)
	}
	if w.rms < 1000 {
		t.Errorf("file RMS %.0f: want hold music and the agent's tone in it", w.rms)
	}
	r.waitAsteriskClean(r.obs)
}
