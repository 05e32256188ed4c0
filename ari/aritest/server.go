package aritest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a fake Asterisk.
type Options struct {
	// User and Password are required (HTTP basic auth) on every route and on
	// the events websocket.
	User, Password string
	Logger         *slog.Logger
	// PlaybackDuration says how long a media URI plays; default 2s for each.
	PlaybackDuration func(media string) time.Duration
	// AnswerDelay is how long a Local channel (or a device set to Answer with
	// no After) takes to answer; small by default.
	AnswerDelay time.Duration
	// HistoryLimit caps how many events and requests Events and Requests
	// keep (the oldest go first), for long runs such as the demo; 0 keeps all.
	HistoryLimit int
	// Modules are the modules GET /asterisk/modules/{name} finds loaded
	// (named without ".so"), beyond the fake's own (res_pjsip, res_ari,
	// app_stasis, codec_ulaw, codec_alaw: a build without codec_opus, as
	// ../shared/asterisk's).
	Modules []string
}

// Request is one REST request the fake served.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Status int
	At     time.Time
}

type failure struct {
	method, prefix string
	status         int
	message        string
}

// Server is a fake Asterisk. All state lives behind one mutex so the order of
// events on the websockets is the order in which things happened.
type Server struct {
	opts Options
	log  *slog.Logger
	hs   *httptest.Server

	mu               sync.Mutex
	closed           bool
	uniqueSeq        int
	nameSeq          int
	epoch            int64
	channels         map[string]*channel
	bridges          map[string]*bridge
	playbacks        map[string]*playback
	devices          map[string]DeviceBehavior
	deviceFuncs      map[string]func() DeviceBehavior
	deviceStates     map[string]string
	configObjects    map[string]map[string]string // class/type/id -> fields (config.go)
	liveRecordings   map[string]*liveRecording    // recording.go
	storedRecordings map[string]storedRecording
	stasisContexts   map[string]string
	localDials       map[string]localDial
	apps             map[string]*application
	conns            map[*wsConn]struct{}
	failures         []failure
	requests         []Request
	events           []json.RawMessage
	timers           map[*time.Timer]struct{}
	timerWG          sync.WaitGroup
	connWG           sync.WaitGroup
	// answerWait is the pause after Answer() in an agent's dialplan; the
	// replay tests stretch it so slow machines keep the recorded order.
	answerWait time.Duration
}

// NewServer starts a fake Asterisk on a loopback port; ARI lives under /ari.
func NewServer(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.PlaybackDuration == nil {
		opts.PlaybackDuration = func(string) time.Duration { return 2 * time.Second }
	}
	if opts.AnswerDelay == 0 {
		opts.AnswerDelay = 20 * time.Millisecond
	}
	s := &Server{
		opts:             opts,
		log:              opts.Logger,
		epoch:            time.Now().Unix(),
		channels:         map[string]*channel{},
		bridges:          map[string]*bridge{},
		playbacks:        map[string]*playback{},
		devices:          map[string]DeviceBehavior{},
		deviceFuncs:      map[string]func() DeviceBehavior{},
		deviceStates:     map[string]string{},
		configObjects:    map[string]map[string]string{},
		liveRecordings:   map[string]*liveRecording{},
		storedRecordings: map[string]storedRecording{},
		stasisContexts:   map[string]string{},
		localDials:       map[string]localDial{},
		apps:             map[string]*application{},
		conns:            map[*wsConn]struct{}{},
		timers:           map[*time.Timer]struct{}{},
		answerWait:       defaultAnswerWait,
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL is the base URL, e.g. "http://127.0.0.1:41234"; ARI routes are under /ari.
func (s *Server) URL() string { return s.hs.URL }

// Close stops every timer, closes every websocket and the HTTP server.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for t := range s.timers {
		if t.Stop() {
			s.timerWG.Done()
		}
	}
	s.timers = map[*time.Timer]struct{}{}
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.abort()
	}
	s.timerWG.Wait()
	s.hs.Close()
	s.connWG.Wait()
}

// after runs f under the server lock after d, unless the server closed first.
func (s *Server) after(d time.Duration, f func()) *time.Timer {
	if s.closed {
		return nil
	}
	s.timerWG.Add(1)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer s.timerWG.Done()
		s.mu.Lock()
		if _, live := s.timers[t]; !live || s.closed {
			// Stopped while this callback waited for the lock.
			s.mu.Unlock()
			return
		}
		delete(s.timers, t)
		f()
		s.mu.Unlock()
	})
	s.timers[t] = struct{}{}
	return t
}

func (s *Server) stopTimer(t *time.Timer) {
	if t == nil {
		return
	}
	if _, ok := s.timers[t]; ok {
		delete(s.timers, t)
		if t.Stop() {
			s.timerWG.Done()
		}
	}
}

// FailNext makes the next REST request whose method matches and whose path
// starts with pathPrefix (with or without the leading "/ari") fail with status
// and {"message": message}.
func (s *Server) FailNext(method, pathPrefix string, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{method: strings.ToUpper(method), prefix: pathPrefix, status: status, message: message})
}

// Requests returns every REST request served so far (the last
// Options.HistoryLimit when set).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), lastN(s.requests, s.opts.HistoryLimit)...)
}

// Events returns every event written to a websocket so far, in order (the
// last Options.HistoryLimit when set).
func (s *Server) Events() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), lastN(s.events, s.opts.HistoryLimit)...)
}

func lastN[T any](list []T, n int) []T {
	if n > 0 && len(list) > n {
		return list[len(list)-n:]
	}
	return list
}

// ChannelIDs lists the live channels' ids, sorted.
func (s *Server) ChannelIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.channels))
}

// BridgeIDs lists the live bridges' ids, sorted.
func (s *Server) BridgeIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.bridges))
}

// SetStasisContext makes a Local channel's ;2 half that runs the dialplan in
// context call Stasis(app, exten) there, as the recorded "from-callers"
// contexts do.
func (s *Server) SetStasisContext(context, app string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stasisContexts[context] = app
}

// newUniqueID returns an Asterisk-looking unique id ("1795669180.3").
func (s *Server) newUniqueID() string {
	s.uniqueSeq++
	return fmt.Sprintf("%d.%d", s.epoch, s.uniqueSeq)
}

func (s *Server) newUUID() string {
	s.uniqueSeq++
	n := s.uniqueSeq
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", s.epoch&0xffffffff, n&0xffff, n&0xfff, (n>>12)&0xfff, int64(n)*7919)
}

// params merges the query string and a JSON body, as Asterisk accepts both.
type params struct {
	v    url.Values
	vars map[string]string
	raw  map[string]json.RawMessage // the JSON body's fields as sent
}

func (p params) get(k string) string { return p.v.Get(k) }

func (p params) has(k string) bool { _, ok := p.v[k]; return ok }

// list reads a multi-valued parameter given comma separated, repeated, or both.
func (p params) list(k string) []string {
	var out []string
	for _, v := range p.v[k] {
		for _, one := range strings.Split(v, ",") {
			if one = strings.TrimSpace(one); one != "" {
				out = append(out, one)
			}
		}
	}
	return out
}

func (p params) int(k string, def int) (int, error) {
	s := p.v.Get(k)
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

func readParams(r *http.Request) (params, error) {
	p := params{v: url.Values{}, vars: map[string]string{}}
	for k, vs := range r.URL.Query() {
		p.v[k] = append([]string(nil), vs...)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return p, fmt.Errorf("read body: %w", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return p, fmt.Errorf("decode body: %w", err)
	}
	p.raw = m
	for k, raw := range m {
		if k == "variables" {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(raw, &obj); err == nil {
				// Asterisk accepts {"variables": {"k": "v"}} and the same one level deeper.
				if inner, ok := obj["variables"]; ok && len(obj) == 1 {
					_ = json.Unmarshal(inner, &obj)
				}
				for vk, vv := range obj {
					p.vars[vk] = rawString(vv)
				}
				continue
			}
		}
		p.v.Set(k, rawString(raw))
	}
	return p, nil
}

func rawString(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err == nil {
		parts := make([]string, len(arr))
		for i, a := range arr {
			parts[i] = rawString(a)
		}
		return strings.Join(parts, ",")
	}
	return strings.TrimSpace(string(raw))
}

// reply is what a route handler produces; the body is written after every
// event the request caused has been written to the websockets.
type reply struct {
	status int
	body   any
}

func errReply(status int, msg string) reply {
	return reply{status: status, body: errorJSON{Message: msg}}
}

var noContent = reply{status: http.StatusNoContent}

func okReply(body any) reply { return reply{status: http.StatusOK, body: body} }

func (s *Server) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		// Asterisk also takes ?api_key=user:password.
		if k := r.URL.Query().Get("api_key"); k != "" {
			u, p, ok = strings.Cut(k, ":")
		}
	}
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.User)) == 1 &&
		subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) == 1
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		writeJSON(w, http.StatusUnauthorized, errorJSON{Message: "Authentication required"})
		s.record(r, http.StatusUnauthorized)
		return
	}
	if r.URL.Path == "/ari/events" {
		s.serveEvents(w, r)
		return
	}
	rep := s.route(r)
	waits := func() []wsWait {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.flushMarksLocked()
	}()
	// Asterisk publishes the events a request causes before it answers it.
	waitFlushed(waits, 5*time.Second)
	if raw, ok := rep.body.(rawBody); ok {
		w.Header().Set("Content-Type", raw.contentType)
		w.WriteHeader(rep.status)
		if _, err := w.Write(raw.data); err != nil {
			s.log.Debug("aritest: write file", "err", err)
		}
	} else if rep.body == nil {
		w.WriteHeader(rep.status)
	} else {
		writeJSON(w, rep.status, rep.body)
	}
	s.record(r, rep.status)
}

func (s *Server) record(r *http.Request, status int) {
	s.log.Debug("aritest: request", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery, "status", status)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Status: status, At: time.Now()})
	if n := s.opts.HistoryLimit; n > 0 && len(s.requests) > 2*n {
		s.requests = append([]Request(nil), s.requests[len(s.requests)-n:]...)
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"message":"encode failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func (s *Server) takeFailure(method, path string) (failure, bool) {
	for i, f := range s.failures {
		if f.method != method {
			continue
		}
		if strings.HasPrefix(path, f.prefix) || strings.HasPrefix(path, "/ari"+f.prefix) {
			s.failures = append(s.failures[:i], s.failures[i+1:]...)
			return f, true
		}
	}
	return failure{}, false
}

// route dispatches one REST request under the lock.
func (s *Server) route(r *http.Request) reply {
	p, err := readParams(r)
	if err != nil {
		return errReply(http.StatusBadRequest, err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errReply(http.StatusServiceUnavailable, "Shutting down")
	}
	if f, ok := s.takeFailure(r.Method, r.URL.Path); ok {
		return errReply(f.status, f.message)
	}
	raw := r.URL.EscapedPath()
	path := strings.TrimPrefix(raw, "/ari")
	if path == raw {
		return errReply(http.StatusNotFound, "Not found")
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	for i, sg := range seg {
		if u, err := url.PathUnescape(sg); err == nil {
			seg[i] = u
		}
	}
	m := r.Method
	switch seg[0] {
	case "asterisk":
		if len(seg) == 2 && seg[1] == "info" && m == http.MethodGet {
			return okReply(s.asteriskInfo())
		}
		if len(seg) == 2 && seg[1] == "ping" && m == http.MethodGet {
			return okReply(map[string]string{"asterisk_id": asteriskID, "ping": "pong", "timestamp": stamp(time.Now())})
		}
		if len(seg) == 3 && seg[1] == "modules" && m == http.MethodGet {
			return s.module(seg[2])
		}
		if len(seg) >= 3 && seg[1] == "config" && seg[2] == "dynamic" {
			return s.routeConfig(m, seg[3:], p)
		}
	case "channels":
		return s.routeChannels(m, seg[1:], p)
	case "bridges":
		return s.routeBridges(m, seg[1:], p)
	case "playbacks":
		if len(seg) == 2 {
			switch m {
			case http.MethodGet:
				return s.getPlayback(seg[1])
			case http.MethodDelete:
				return s.stopPlayback(seg[1])
			}
		}
	case "applications":
		return s.routeApplications(m, seg[1:], p)
	case "recordings":
		return s.routeRecordings(m, seg[1:])
	case "deviceStates":
		if m == http.MethodGet && len(seg) == 1 {
			return okReply(s.listDeviceStates())
		}
		if m == http.MethodGet && len(seg) >= 2 {
			name := strings.Join(seg[1:], "/")
			return okReply(deviceStateJSON{Name: name, State: s.deviceStateLocked(name)})
		}
	case "endpoints":
		if m == http.MethodGet && len(seg) == 1 {
			return okReply(s.listEndpoints(""))
		}
		if m == http.MethodGet && len(seg) == 2 {
			return okReply(s.listEndpoints(seg[1]))
		}
		if m == http.MethodGet && len(seg) == 3 {
			return s.getEndpoint(seg[1], seg[2])
		}
	}
	return errReply(http.StatusNotFound, "Resource not found")
}

// module answers as Asterisk 22 does: a loaded module by its file name
// (codec_ulaw.so); the same name without ".so" is a 409, one not loaded a
// 404 (TestAsteriskModulesAsTheFakeAnswers).
func (s *Server) module(name string) reply {
	loaded := func(n string) bool {
		n = strings.TrimSuffix(n, ".so")
		return slices.Contains([]string{"res_pjsip", "res_ari", "app_stasis", "codec_ulaw", "codec_alaw"}, n) ||
			slices.Contains(s.opts.Modules, n)
	}
	switch {
	case !loaded(name):
		return errReply(http.StatusNotFound, "Module could not be found in running modules")
	case !strings.HasSuffix(name, ".so"):
		return errReply(http.StatusConflict, "Module information could not be retrieved")
	}
	return okReply(map[string]any{"name": name, "description": name, "use_count": 0,
		"status": "Running", "support_level": "core"})
}

func (s *Server) asteriskInfo() asteriskInfoJSON {
	var info asteriskInfoJSON
	info.Build.OS = "Linux"
	info.Build.Kernel = "6.1.0"
	info.Build.Machine = "x86_64"
	info.Build.Date = "2026-11-01 00:00:00 UTC"
	info.Build.User = "aritest"
	info.System.Version = "22.10.1"
	info.System.EntityID = asteriskID
	info.Config.Name = "aritest"
	info.Config.DefaultLanguage = "en"
	info.Status.StartupTime = stamp(time.Unix(s.epoch, 0))
	info.Status.LastReloadTime = stamp(time.Unix(s.epoch, 0))
	return info
}
