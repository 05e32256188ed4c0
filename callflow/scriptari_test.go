package callflow

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"stasisq/ari"
)

// scriptARI is a scripted Asterisk for the call flow's scenario tests: no
// network, no timing of its own. The test sends the events (send) and reads
// back the REST calls the flow made (take); each call is answered from what
// the script has set up: channels it started, legs the flow originated,
// bridges the flow made, and failures it asked for (failNext).
type scriptARI struct {
	events chan ari.Event // unbuffered: a send returns once the loop took the event

	mu        sync.Mutex
	calls     []restCall
	channels  map[string]ari.Channel          // alive in Asterisk
	inApp     map[string]bool                 // in the Stasis application
	bridges   map[string][]string             // ours, with their channels
	legOf     map[string]string               // endpoint -> the last agent leg originated to it
	origin    map[string]ari.OriginateRequest // leg -> how it was originated
	playingOn map[string]string               // channel -> its last playback
	failures  map[string][]error              // operation -> errors for its next calls
	// lastRecording is the name of the last recording started.
	lastRecording string
	seq           int
	// allDevices: the application is subscribed to every device state (an
	// older stasisq's subscription, which Asterisk keeps).
	allDevices bool
	// held: the next call of the operation waits until released (holdNext).
	held map[string]*heldCall
}

type heldCall struct{ entered, release chan struct{} }

// holdNext makes the next call of op (only "application" so far) wait
// until release is called; entered is closed once it waits.
func (f *scriptARI) holdNext(op string) (entered <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held == nil {
		f.held = map[string]*heldCall{}
	}
	h := &heldCall{entered: make(chan struct{}), release: make(chan struct{})}
	f.held[op] = h
	return h.entered, func() { close(h.release) }
}

// waitIfHeld is where a held call waits, outside the lock.
func (f *scriptARI) waitIfHeld(op string) {
	f.mu.Lock()
	h := f.held[op]
	delete(f.held, op)
	f.mu.Unlock()
	if h != nil {
		close(h.entered)
		<-h.release
	}
}

type restCall struct {
	target string // the channel, bridge or playback it acts on ("" for Asterisk)
	text   string
}

func newScriptARI() *scriptARI {
	return &scriptARI{
		events:    make(chan ari.Event),
		channels:  map[string]ari.Channel{},
		inApp:     map[string]bool{},
		bridges:   map[string][]string{},
		legOf:     map[string]string{},
		origin:    map[string]ari.OriginateRequest{},
		playingOn: map[string]string{},
		failures:  map[string][]error{},
	}
}

func (f *scriptARI) Run(ctx context.Context) error {
	select {
	case f.events <- &ari.Connected{At: time.Now()}:
	case <-ctx.Done():
		return nil
	}
	<-ctx.Done()
	return nil
}

func (f *scriptARI) Events() <-chan ari.Event { return f.events }

// failNext makes the next call of op fail with an ARI error of status.
func (f *scriptARI) failNext(op string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[op] = append(f.failures[op], &ari.Error{Status: status, Message: fmt.Sprintf("scripted %d", status)})
}

// call records one REST call and returns its scripted failure, if any.
// Lock held.
func (f *scriptARI) call(op, target, format string, args ...any) error {
	f.calls = append(f.calls, restCall{target: target, text: op + " " + fmt.Sprintf(format, args...)})
	if errs := f.failures[op]; len(errs) > 0 {
		f.failures[op] = errs[1:]
		return errs[0]
	}
	return nil
}

// notFound answers for a channel Asterisk does not have (any more).
func (f *scriptARI) notFound(id string) error {
	if _, ok := f.channels[id]; ok {
		return nil
	}
	return &ari.Error{Status: http.StatusNotFound, Message: "Channel not found"}
}

// take returns the calls made since the last take, grouped by what they act
// on (in the order each was made): lanes run in parallel, so only the order
// per channel is the flow's to keep.
func (f *scriptARI) take() []string {
	f.mu.Lock()
	calls := f.calls
	f.calls = nil
	f.mu.Unlock()
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].target < calls[j].target })
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = "> " + c.text
	}
	return out
}

func (f *scriptARI) Answer(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("answer", id, "%s", id); err != nil {
		return err
	}
	return f.notFound(id)
}

func (f *scriptARI) Hangup(ctx context.Context, id, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("hangup", id, "%s %s", id, reason); err != nil {
		return err
	}
	if err := f.notFound(id); err != nil {
		return err
	}
	// The script sends the hangup's events (hungup, agent-gone); Asterisk
	// forgets the channel at once.
	delete(f.channels, id)
	return nil
}

func (f *scriptARI) Continue(ctx context.Context, id, dctx, exten string, prio int, label string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	where := "(next priority)"
	if dctx != "" || exten != "" {
		where = fmt.Sprintf("%s,%s,%d", dctx, exten, prio)
	}
	if err := f.call("continue", id, "%s %s", id, where); err != nil {
		return err
	}
	if err := f.notFound(id); err != nil {
		return err
	}
	// It leaves the application for the dialplan.
	delete(f.inApp, id)
	return nil
}

func (f *scriptARI) SetVariable(ctx context.Context, id, name, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("set", id, "%s %s=%s", id, name, value); err != nil {
		return err
	}
	return f.notFound(id)
}

func (f *scriptARI) StartMOH(ctx context.Context, id, class string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("moh", id, "%s %s", id, class); err != nil {
		return err
	}
	return f.notFound(id)
}

func (f *scriptARI) StopMOH(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("moh-stop", id, "%s", id); err != nil {
		return err
	}
	return f.notFound(id)
}

func (f *scriptARI) Play(ctx context.Context, id, pb string, media ...string) (*ari.Playback, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("play", id, "%s %s %s", id, pb, strings.Join(media, ",")); err != nil {
		return nil, err
	}
	if err := f.notFound(id); err != nil {
		return nil, err
	}
	f.playingOn[id] = pb
	return &ari.Playback{ID: pb}, nil
}

func (f *scriptARI) StopPlayback(ctx context.Context, pb string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.call("play-stop", pb, "%s", pb)
}

func (f *scriptARI) Originate(ctx context.Context, req ari.OriginateRequest) (*ari.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("originate", req.ChannelID, "%s %s args=%s timeout=%d", req.ChannelID, req.Endpoint, strings.Join(req.AppArgs, ","), req.Timeout); err != nil {
		return nil, err
	}
	ch := ari.Channel{ID: req.ChannelID, Name: "Local/" + req.Endpoint}
	f.channels[req.ChannelID] = ch
	f.channels[req.OtherChannelID] = ari.Channel{ID: req.OtherChannelID}
	f.legOf[req.Endpoint] = req.ChannelID
	f.origin[req.ChannelID] = req
	return &ch, nil
}

func (f *scriptARI) CreateBridge(ctx context.Context, id, typ, name string) (*ari.Bridge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("bridge", id, "%s %s", id, typ); err != nil {
		return nil, err
	}
	f.bridges[id] = nil
	return &ari.Bridge{ID: id}, nil
}

func (f *scriptARI) AddChannel(ctx context.Context, bridge, channels, role string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("bridge-add", bridge, "%s %s", bridge, channels); err != nil {
		return err
	}
	if _, ok := f.bridges[bridge]; !ok {
		return &ari.Error{Status: http.StatusNotFound, Message: "Bridge not found"}
	}
	for _, ch := range strings.Split(channels, ",") {
		if !f.inApp[ch] {
			return &ari.Error{Status: http.StatusUnprocessableEntity, Message: "Channel not in Stasis application"}
		}
	}
	f.bridges[bridge] = append(f.bridges[bridge], strings.Split(channels, ",")...)
	return nil
}

func (f *scriptARI) DestroyBridge(ctx context.Context, bridge string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("bridge-destroy", bridge, "%s", bridge); err != nil {
		return err
	}
	if _, ok := f.bridges[bridge]; !ok {
		return &ari.Error{Status: http.StatusNotFound, Message: "Bridge not found"}
	}
	delete(f.bridges, bridge)
	return nil
}

func (f *scriptARI) Subscribe(ctx context.Context, app string, src ...string) (*ari.Application, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &ari.Application{Name: app}, f.call("subscribe", "", "%s", strings.Join(src, ","))
}

func (f *scriptARI) SetEventFilter(ctx context.Context, app string, allowed ...string) (*ari.Application, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &ari.Application{Name: app}, f.call("event-filter", "", "%s", strings.Join(allowed, ","))
}

func (f *scriptARI) Unsubscribe(ctx context.Context, app string, src ...string) (*ari.Application, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("unsubscribe", "", "%s", strings.Join(src, ",")); err != nil {
		return nil, err
	}
	if slices.Contains(src, "deviceState:") {
		if !f.allDevices {
			return nil, &ari.Error{Status: http.StatusUnprocessableEntity, Message: "Event source was not subscribed to"}
		}
		f.allDevices = false
	}
	return &ari.Application{Name: app}, nil
}

func (f *scriptARI) GetApplication(ctx context.Context, app string) (*ari.Application, error) {
	f.waitIfHeld("application")
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("application", "", "%s", app); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(f.inApp))
	for id := range f.inApp {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	a := &ari.Application{Name: app, ChannelIDs: ids}
	if f.allDevices {
		a.DeviceNames = []string{ari.AllDeviceStates}
	}
	return a, nil
}

func (f *scriptARI) ListChannels(ctx context.Context) ([]ari.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("channels", "", "list"); err != nil {
		return nil, err
	}
	out := make([]ari.Channel, 0, len(f.channels))
	for _, ch := range f.channels {
		out = append(out, ch)
	}
	slices.SortFunc(out, func(a, b ari.Channel) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (f *scriptARI) ListBridges(ctx context.Context) ([]ari.Bridge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("bridges", "", "list"); err != nil {
		return nil, err
	}
	var out []ari.Bridge
	for id, chans := range f.bridges {
		out = append(out, ari.Bridge{ID: id, Channels: slices.Clone(chans)})
	}
	slices.SortFunc(out, func(a, b ari.Bridge) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (f *scriptARI) ListDeviceStates(ctx context.Context) ([]ari.DeviceState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return nil, f.call("devicestates", "", "list")
}

func (f *scriptARI) GetEndpoint(ctx context.Context, tech, resource string) (*ari.Endpoint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("endpoint", tech+"/"+resource, "%s/%s", tech, resource); err != nil {
		return nil, err
	}
	return &ari.Endpoint{Technology: tech, Resource: resource, State: "online"}, nil
}

func (f *scriptARI) ListEndpoints(ctx context.Context) ([]ari.Endpoint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return nil, f.call("endpoints", "", "list")
}

// Events the script sends, as Asterisk would raise them.

// callerArrives: channel id runs Stasis(app, args...) from from-callers.
func (f *scriptARI) callerArrives(id string, args []string) ari.Event {
	return f.callerArrivesIn(id, "Ring", args)
}

// callerArrivesIn: a caller enters Stasis with its channel in state (Up:
// the dialplan answered it first).
func (f *scriptARI) callerArrivesIn(id, state string, args []string) ari.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	ch := ari.Channel{ID: id, Name: "PJSIP/caller-" + id, State: state,
		Caller:       ari.CallerID{Number: "555" + id, Name: "Caller " + id},
		Dialplan:     ari.DialplanCEP{Context: "from-callers", Exten: "100", Priority: 2, AppName: "Stasis", AppData: "stasisq," + strings.Join(args, ",")},
		Creationtime: ari.Time{Time: time.Unix(1_800_000_000+int64(f.seq), 0)},
	}
	f.channels[id] = ch
	f.inApp[id] = true
	return &ari.StasisStart{EventBase: ari.EventBase{Type: "StasisStart", App: "stasisq", When: ari.Time{Time: time.Now()}}, Args: args, Channel: ch}
}

// agentAnswers: the agent leg last originated to endpoint enters Stasis.
func (f *scriptARI) agentAnswers(endpoint string) (ari.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	leg, ok := f.legOf[endpoint]
	if !ok {
		return nil, fmt.Errorf("nothing was originated to %s", endpoint)
	}
	f.inApp[leg] = true
	return &ari.StasisStart{EventBase: ari.EventBase{Type: "StasisStart", App: "stasisq"}, Args: f.origin[leg].AppArgs, Channel: f.channels[leg]}, nil
}

// legOfEndpoint is the leg last originated to endpoint and its other half.
func (f *scriptARI) legOfEndpoint(endpoint string) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	leg, ok := f.legOf[endpoint]
	if !ok {
		return "", "", fmt.Errorf("nothing was originated to %s", endpoint)
	}
	return leg, f.origin[leg].OtherChannelID, nil
}

// gone: channel id hangs up with cause (its StasisEnd when in the
// application, then its ChannelDestroyed).
func (f *scriptARI) gone(id string, cause int) []ari.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := ari.Channel{ID: id}
	var evs []ari.Event
	if f.inApp[id] {
		evs = append(evs, &ari.StasisEnd{EventBase: ari.EventBase{Type: "StasisEnd"}, Channel: ch})
	}
	delete(f.inApp, id)
	delete(f.channels, id)
	for b, chans := range f.bridges {
		f.bridges[b] = slices.DeleteFunc(chans, func(c string) bool { return c == id })
	}
	return append(evs, &ari.ChannelDestroyed{EventBase: ari.EventBase{Type: "ChannelDestroyed"}, Cause: cause, Channel: ch})
}

// bridgeOf is the bridge of ours channel id is in.
func (f *scriptARI) bridgeOf(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for b, chans := range f.bridges {
		if slices.Contains(chans, id) {
			return b
		}
	}
	return ""
}

// playing is the last playback started on channel id.
func (f *scriptARI) playing(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.playingOn[id]
}

// GetModule answers that no module is loaded (a build without codec_opus).
// Not recorded: every reconcile asks it, and the scripts are about calls.
func (f *scriptARI) GetModule(ctx context.Context, name string) (*ari.Module, error) {
	return nil, &ari.Error{Status: http.StatusNotFound, Message: "Module could not be found in running modules"}
}

func (f *scriptARI) PutConfigObject(ctx context.Context, class, typ, id string, fields []ari.ConfigTuple) ([]ari.ConfigTuple, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fields, f.call("put-config", id, "%s/%s/%s", class, typ, id)
}

func (f *scriptARI) DeleteConfigObject(ctx context.Context, class, typ, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.call("delete-config", id, "%s/%s/%s", class, typ, id)
}

func (f *scriptARI) RecordBridge(ctx context.Context, bridge string, req ari.RecordRequest) (*ari.LiveRecording, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// The name has the time in it: shown as T, for a stable script.
	if err := f.call("record", bridge, "%s %s %s", bridge, maskStamp(req.Name), req.Format); err != nil {
		return nil, err
	}
	if _, ok := f.bridges[bridge]; !ok {
		return nil, &ari.Error{Status: http.StatusNotFound, Message: "Bridge not found"}
	}
	f.lastRecording = req.Name
	return &ari.LiveRecording{Name: req.Name, Format: req.Format, State: "queued", TargetURI: "bridge:" + bridge}, nil
}

// maskStamp hides the date and time queue.RecordingName puts in a name.
func maskStamp(name string) string {
	rest, ok := strings.CutPrefix(name, "stasisq-")
	if !ok || len(rest) < 16 {
		return name
	}
	return "stasisq-T-" + rest[16:]
}

func (f *scriptARI) PauseRecording(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.call("record-pause", name, "%s", maskStamp(name))
}

func (f *scriptARI) UnpauseRecording(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.call("record-unpause", name, "%s", maskStamp(name))
}

func (f *scriptARI) StopRecording(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.call("record-stop", name, "%s", maskStamp(name))
}

func (f *scriptARI) StoredRecordingFile(ctx context.Context, name string) (*ari.RecordingFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return nil, f.call("recording-file", name, "%s", maskStamp(name))
}

func (f *scriptARI) DeleteStoredRecording(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.call("recording-delete", name, "%s", maskStamp(name))
}

func (f *scriptARI) RemoveChannel(ctx context.Context, bridge, channel string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("bridge-remove", bridge, "%s %s", bridge, channel); err != nil {
		return err
	}
	chans, ok := f.bridges[bridge]
	if !ok {
		return &ari.Error{Status: http.StatusNotFound, Message: "Bridge not found"}
	}
	f.bridges[bridge] = slices.DeleteFunc(chans, func(c string) bool { return c == channel })
	return nil
}

func (f *scriptARI) Snoop(ctx context.Context, channel string, req ari.SnoopRequest) (*ari.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("snoop", channel, "%s spy=%s whisper=%s", channel, req.Spy, req.Whisper); err != nil {
		return nil, err
	}
	if _, ok := f.channels[channel]; !ok {
		return nil, &ari.Error{Status: http.StatusNotFound, Message: "Channel not found"}
	}
	ch := ari.Channel{ID: req.SnoopID, Name: "Snoop/" + channel}
	f.channels[req.SnoopID] = ch
	return &ch, nil
}

func (f *scriptARI) RecordChannel(ctx context.Context, channel string, req ari.RecordRequest) (*ari.LiveRecording, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("record-channel", channel, "%s %s %s", channel, maskStamp(req.Name), req.Format); err != nil {
		return nil, err
	}
	f.lastRecording = req.Name
	return &ari.LiveRecording{Name: req.Name, Format: req.Format, State: "queued", TargetURI: "channel:" + channel}, nil
}
