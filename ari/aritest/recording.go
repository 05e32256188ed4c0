package aritest

import (
	"bytes"
	"encoding/binary"
	"math"
	"net/http"
	"slices"
	"time"
)

// Bridge recordings as Asterisk 22 makes them (res_ari_bridges,
// res_ari_recordings): one live recording per name, RecordingStarted to the
// bridge's applications, RecordingFinished with the length in whole
// seconds, paused time left out, when the bridge goes or the recording is
// stopped; the stored file is then served at /recordings/stored/{name}/file.
// The fake's file is a WAV of a 440 Hz tone of that length, whatever the
// format: enough for a player and a download.

type liveRecording struct {
	name, format, target string
	bridge               *bridge
	state                string // recording, paused
	started              time.Time
	pausedAt             time.Time
	paused               time.Duration
}

// storedRecording keeps a finished recording's length; its file is made
// when asked for, so that a demo running for days holds no audio.
type storedRecording struct {
	format string
	secs   int
}

type liveRecordingJSON struct {
	Name      string `json:"name"`
	Format    string `json:"format"`
	TargetURI string `json:"target_uri"`
	State     string `json:"state"`
	Duration  *int   `json:"duration,omitempty"`
	Cause     string `json:"cause,omitempty"`
}

type recordingEvent struct { // RecordingStarted, RecordingFinished, RecordingFailed
	eventBase
	Recording liveRecordingJSON `json:"recording"`
}

// rawBody is a reply that is not JSON (a recording's file).
type rawBody struct {
	contentType string
	data        []byte
}

var recordFormats = []string{"wav", "gsm", "wav49", "ulaw", "alaw", "sln", "g722"}

func (r *liveRecording) json() liveRecordingJSON {
	return liveRecordingJSON{Name: r.name, Format: r.format, TargetURI: r.target, State: r.state}
}

func (s *Server) recordBridge(b *bridge, p params) reply {
	name, format := p.get("name"), p.get("format")
	if name == "" || format == "" {
		return errReply(400, "Missing parameter name or format")
	}
	if !slices.Contains(recordFormats, format) {
		return errReply(422, "Unknown format: "+format)
	}
	ifExists := p.get("ifExists")
	if _, live := s.liveRecordings[name]; live {
		return errReply(409, "Recording with the same name is in progress")
	}
	if _, stored := s.storedRecordings[name]; stored && (ifExists == "" || ifExists == "fail") {
		return errReply(409, "Recording already exists")
	}
	r := &liveRecording{name: name, format: format, target: "bridge:" + b.id, bridge: b, state: "recording", started: time.Now()}
	s.liveRecordings[name] = r
	s.send(s.bridgeApps(b), &recordingEvent{eventBase: base("RecordingStarted", time.Now()), Recording: r.json()})
	out := r.json()
	out.State = "queued"
	return okReply(out)
}

// bridgeApps are the applications that hear about b: its channels', its
// subscribers, and those whose channel hung up in it (a real Asterisk 22
// still sends them the RecordingFinished of a recording stopped once the
// call's channels have gone: TestAsteriskRecordingAnsweredCall).
func (s *Server) bridgeApps(b *bridge) map[string]bool {
	apps := map[string]bool{}
	for a := range b.notify {
		apps[a] = true
	}
	for _, ch := range b.channels {
		for a := range s.channelApps(ch) {
			apps[a] = true
		}
	}
	for name, app := range s.apps {
		if app.bridges[b.id] {
			apps[name] = true
		}
	}
	return apps
}

// finishRecordings ends b's live recordings, as the bridge goes.
func (s *Server) finishRecordings(b *bridge, apps map[string]bool) {
	for _, r := range s.liveRecordings {
		if r.bridge == b {
			s.finishRecording(r, apps)
		}
	}
}

func (s *Server) finishRecording(r *liveRecording, apps map[string]bool) {
	now := time.Now()
	if r.state == "paused" {
		r.paused += now.Sub(r.pausedAt)
	}
	secs := int(math.Round((now.Sub(r.started) - r.paused).Seconds()))
	delete(s.liveRecordings, r.name)
	s.storedRecordings[r.name] = storedRecording{format: r.format, secs: secs}
	out := r.json()
	out.State, out.Duration = "done", &secs
	s.send(apps, &recordingEvent{eventBase: base("RecordingFinished", now), Recording: out})
}

func (s *Server) routeRecordings(m string, seg []string) reply {
	if len(seg) < 2 {
		return errReply(http.StatusNotFound, "Resource not found")
	}
	name := seg[1]
	switch seg[0] {
	case "live":
		r := s.liveRecordings[name]
		if r == nil {
			return errReply(404, "Recording not found")
		}
		op := ""
		if len(seg) == 3 {
			op = seg[2]
		}
		switch {
		case op == "" && m == http.MethodGet:
			return okReply(r.json())
		case op == "stop" && m == http.MethodPost:
			s.finishRecording(r, s.bridgeApps(r.bridge))
			return noContent
		case op == "pause" && m == http.MethodPost:
			if r.state == "recording" {
				r.state, r.pausedAt = "paused", time.Now()
			}
			return noContent
		case op == "pause" && m == http.MethodDelete:
			if r.state == "paused" {
				r.paused += time.Since(r.pausedAt)
				r.state = "recording"
			}
			return noContent
		}
	case "stored":
		st, ok := s.storedRecordings[name]
		if !ok {
			return errReply(404, "Recording not found")
		}
		switch {
		case len(seg) == 2 && m == http.MethodGet:
			return okReply(map[string]string{"name": name, "format": st.format})
		case len(seg) == 2 && m == http.MethodDelete:
			delete(s.storedRecordings, name)
			return noContent
		case len(seg) == 3 && seg[2] == "file" && m == http.MethodGet:
			return reply{status: http.StatusOK, body: rawBody{contentType: "audio/wav", data: toneWAV(st.secs)}}
		}
	}
	return errReply(http.StatusNotFound, "Resource not found")
}

// StoredRecordings lists the names of the finished recordings the fake
// keeps.
func (s *Server) StoredRecordings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.storedRecordings {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// toneWAV is secs seconds of a 440 Hz tone, 8 kHz 16-bit mono.
func toneWAV(secs int) []byte {
	const rate = 8000
	n := secs * rate
	var buf bytes.Buffer
	w := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) } // bytes.Buffer writes do not fail
	buf.WriteString("RIFF")
	w(uint32(36 + 2*n))
	buf.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1))
	w(uint16(1))
	w(uint32(rate))
	w(uint32(2 * rate))
	w(uint16(2))
	w(uint16(16))
	buf.WriteString("data")
	w(uint32(2 * n))
	for i := range n {
		w(int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	return buf.Bytes()
}
