package callflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"stasisq/ari"
)

// Several Asterisk servers, one loop. Every id the loop holds that names
// something in Asterisk (a channel, a bridge, a playback, a device) is
// qualified by its server, "<server>~<id>", so that one table serves all of
// them: two servers give their channels ids of the same form (epoch.seq)
// and they may meet. The qualifier never reaches Asterisk: serverARI adds it
// to what comes from a server (events, replies) and takes it off what goes
// to one (REST paths and parameters). With one unnamed server (--ari-url)
// nothing is qualified and ids are Asterisk's own, as they always were.
//
// Recording names are the exception: they are file names on the server's
// disk, chosen by the engine from the caller's (qualified) id, and go to
// Asterisk as they are; their server is their caller's.

// Server is one Asterisk the loop drives.
type Server struct {
	// Name qualifies the server's ids and names it in logs, metrics and
	// the console; "" only when it is the only one.
	Name string
	ARI  ARI
	// Dial reaches, from this server, a device on another one (the agent
	// leg of a call is made on the caller's server): {device} is the
	// device's resource ("2001" of PJSIP/2001), {interface} the whole
	// device, {server} the device's server. "" is DefaultDial.
	Dial string
}

// DefaultDial is the dial template for a device on another server: a
// PJSIP trunk named after that server (asterisk-conf/pjsip-trunk.conf).
const DefaultDial = "PJSIP/{device}@to-{server}"

const serverSep = "~"

// ServerName is what a server's name may be: it becomes part of ids,
// endpoint names (to-<name>) and metric labels.
var ServerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// qualify is id on server ("" for the only one: id as it is).
func qualify(server, id string) string {
	if server == "" || id == "" {
		return id
	}
	return server + serverSep + id
}

// serverOf is the server an id qualified by qualify is on.
func serverOf(id string) string {
	s, _, ok := strings.Cut(id, serverSep)
	if !ok {
		return ""
	}
	return s
}

// localOf is id as its server knows it.
func localOf(id string) string {
	_, l, ok := strings.Cut(id, serverSep)
	if !ok {
		return id
	}
	return l
}

// serverEvent is an event and the server it came from.
type serverEvent struct {
	server string
	ev     ari.Event
}

// serverSet is the loop's Asterisk: the servers by name, their events
// merged, REST calls sent to the server of the id they name.
type serverSet struct {
	list   []*serverARI
	byName map[string]*serverARI
	events chan serverEvent
}

func newServerSet(servers []Server, log *slog.Logger) (*serverSet, error) {
	if len(servers) == 0 {
		return nil, errors.New("no Asterisk server")
	}
	s := &serverSet{byName: map[string]*serverARI{}, events: make(chan serverEvent, 256)}
	for _, srv := range servers {
		if srv.ARI == nil {
			return nil, fmt.Errorf("Asterisk server %q: no ARI client", srv.Name)
		}
		if len(servers) > 1 && !ServerName.MatchString(srv.Name) {
			return nil, fmt.Errorf("Asterisk server name %q: want lower-case letters, digits, - and _ (at most 32), starting with a letter or digit", srv.Name)
		}
		if _, dup := s.byName[srv.Name]; dup {
			return nil, fmt.Errorf("Asterisk server %q given twice", srv.Name)
		}
		dial := srv.Dial
		if dial == "" {
			dial = DefaultDial
		}
		one := &serverARI{name: srv.Name, ari: srv.ARI, dial: dial, log: log}
		s.list = append(s.list, one)
		s.byName[srv.Name] = one
	}
	return s, nil
}

// multi reports whether there is more than one server.
func (s *serverSet) multi() bool { return len(s.list) > 1 }

// first is the default server: where a device with no server of its own is.
func (s *serverSet) first() string { return s.list[0].name }

func (s *serverSet) names() []string {
	out := make([]string, len(s.list))
	for i, one := range s.list {
		out[i] = one.name
	}
	return out
}

// on is one server's ARI; an unknown name gives one whose every call fails.
func (s *serverSet) on(name string) *serverARI {
	if one, ok := s.byName[name]; ok {
		return one
	}
	return &serverARI{name: name, missing: true}
}

// of is the server of a qualified id; with one server, that one, whatever
// the id holds (an id of Asterisk's own with a "~" in it is no qualifier).
func (s *serverSet) of(id string) *serverARI {
	if !s.multi() {
		return s.list[0]
	}
	return s.on(serverOf(id))
}

// Connected reports whether server name's events websocket is up.
func (s *serverSet) connected(name string) bool {
	one, ok := s.byName[name]
	return ok && one.up.Load()
}

// run runs every server's websocket and forwards its events, qualified,
// until ctx ends; it returns when all have stopped.
func (s *serverSet) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, one := range s.list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			one.run(ctx, s.events)
		}()
	}
	wg.Wait()
}

// dialFrom is the endpoint that reaches device (qualified by its server)
// from server from.
func (s *serverSet) dialFrom(from, device string) string {
	on, local := serverOf(device), localOf(device)
	if on == from || !s.multi() {
		return local
	}
	tmpl := s.on(from).dial
	_, resource, _ := strings.Cut(local, "/")
	return strings.NewReplacer("{device}", resource, "{interface}", local, "{server}", on).Replace(tmpl)
}

// serverARI is one server, speaking qualified ids.
type serverARI struct {
	name    string
	ari     ARI
	dial    string
	log     *slog.Logger
	up      atomic.Bool
	missing bool // a name no server has
}

var errNoServer = errors.New("no such Asterisk server")

func (s *serverARI) check() error {
	if s.missing {
		return fmt.Errorf("Asterisk server %q: %w", s.name, errNoServer)
	}
	return nil
}

func (s *serverARI) run(ctx context.Context, out chan<- serverEvent) {
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		// Run returns only when ctx ends: it reconnects by itself.
		if err := s.ari.Run(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("ARI client stopped", "server", s.name, "err", err)
		}
	}()
	events := s.ari.Events()
	for {
		select {
		case ev := <-events:
			switch ev.(type) {
			case *ari.Connected:
				s.up.Store(true)
			case *ari.Disconnected:
				s.up.Store(false)
			}
			ev = s.qualifyEvent(ev)
			select {
			case out <- serverEvent{server: s.name, ev: ev}:
			case <-ctx.Done():
				// Stopping: the loop reads no more; keep draining so the
				// client's reader is never stuck.
			}
		case <-runDone:
			return
		}
	}
}

// The types whose ids an event carries, qualified by qualifyEvent.
var (
	channelType  = reflect.TypeFor[ari.Channel]()
	bridgeType   = reflect.TypeFor[ari.Bridge]()
	playbackType = reflect.TypeFor[ari.Playback]()
	deviceType   = reflect.TypeFor[ari.DeviceState]()
	endpointType = reflect.TypeFor[ari.Endpoint]()
	recordType   = reflect.TypeFor[ari.LiveRecording]()
)

// qualifyEvent is ev with every channel, bridge, playback, recording target
// and device it names qualified by the server. The event is copied first: the client's
// OnEvent hook has it too.
func (s *serverARI) qualifyEvent(ev ari.Event) ari.Event {
	if s.name == "" {
		return ev
	}
	switch ev.(type) {
	case *ari.Connected, *ari.Disconnected, *ari.RawEvent:
		return ev
	}
	v := reflect.ValueOf(ev)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return ev
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return ev // cannot happen for a decoded event; delivered as it came
	}
	cp := reflect.New(v.Elem().Type())
	if err := json.Unmarshal(raw, cp.Interface()); err != nil {
		return ev
	}
	s.qualifyValue(cp.Elem())
	if out, ok := cp.Interface().(ari.Event); ok {
		return out
	}
	return ev
}

func (s *serverARI) qualifyValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			s.qualifyValue(v.Elem())
		}
		return
	case reflect.Slice:
		for i := range v.Len() {
			s.qualifyValue(v.Index(i))
		}
		return
	case reflect.Struct:
	default:
		return
	}
	switch v.Type() {
	case channelType:
		ch := v.Addr().Interface().(*ari.Channel)
		*ch = s.channel(*ch)
		return
	case bridgeType:
		b := v.Addr().Interface().(*ari.Bridge)
		*b = s.bridge(*b)
		return
	case playbackType:
		p := v.Addr().Interface().(*ari.Playback)
		*p = s.playback(*p)
		return
	case deviceType:
		d := v.Addr().Interface().(*ari.DeviceState)
		d.Name = qualify(s.name, d.Name)
		return
	case endpointType:
		ep := v.Addr().Interface().(*ari.Endpoint)
		*ep = s.endpoint(*ep)
		return
	case recordType:
		s.recording(v.Addr().Interface().(*ari.LiveRecording))
		return
	}
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() {
			s.qualifyValue(v.Field(i))
		}
	}
}

func (s *serverARI) q(id string) string { return qualify(s.name, id) }

func (s *serverARI) channel(ch ari.Channel) ari.Channel { ch.ID = s.q(ch.ID); return ch }

func (s *serverARI) bridge(b ari.Bridge) ari.Bridge {
	b.ID = s.q(b.ID)
	chans := make([]string, len(b.Channels))
	for i, c := range b.Channels {
		chans[i] = s.q(c)
	}
	b.Channels = chans
	return b
}

func (s *serverARI) playback(p ari.Playback) ari.Playback {
	p.ID = s.q(p.ID)
	p.TargetURI = s.qualifyURI(p.TargetURI)
	return p
}

func (s *serverARI) endpoint(ep ari.Endpoint) ari.Endpoint {
	chans := make([]string, len(ep.ChannelIDs))
	for i, c := range ep.ChannelIDs {
		chans[i] = s.q(c)
	}
	ep.ChannelIDs = chans
	return ep
}

// qualifyURI qualifies the id of "channel:<id>" or "bridge:<id>".
func (s *serverARI) qualifyURI(uri string) string {
	kind, id, ok := strings.Cut(uri, ":")
	if !ok || s.name == "" {
		return uri
	}
	return kind + ":" + s.q(id)
}

// local is id as the server knows it: its qualifier taken off (the only
// server's ids have none, whatever they hold).
func (s *serverARI) local(id string) string {
	if s.name == "" {
		return id
	}
	return strings.TrimPrefix(id, s.name+serverSep)
}

// localSources takes the qualifier off event sources ("deviceState:b~PJSIP/1").
func (s *serverARI) localSources(sources []string) []string {
	out := make([]string, len(sources))
	for i, src := range sources {
		kind, id, ok := strings.Cut(src, ":")
		if ok {
			src = kind + ":" + s.local(id)
		}
		out[i] = src
	}
	return out
}

func (s *serverARI) localList(ids string) string {
	parts := strings.Split(ids, ",")
	for i, p := range parts {
		parts[i] = s.local(p)
	}
	return strings.Join(parts, ",")
}

// The REST calls of one server. Each takes qualified ids and returns
// qualified ones.

func (s *serverARI) Answer(ctx context.Context, channel string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.Answer(ctx, s.local(channel))
}

func (s *serverARI) Hangup(ctx context.Context, channel, reason string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.Hangup(ctx, s.local(channel), reason)
}

func (s *serverARI) Continue(ctx context.Context, channel, dialplanContext, extension string, priority int, label string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.Continue(ctx, s.local(channel), dialplanContext, extension, priority, label)
}

func (s *serverARI) SetVariable(ctx context.Context, channel, name, value string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.SetVariable(ctx, s.local(channel), name, value)
}

func (s *serverARI) StartMOH(ctx context.Context, channel, class string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.StartMOH(ctx, s.local(channel), class)
}

func (s *serverARI) StopMOH(ctx context.Context, channel string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.StopMOH(ctx, s.local(channel))
}

func (s *serverARI) Play(ctx context.Context, channel, playbackID string, media ...string) (*ari.Playback, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	p, err := s.ari.Play(ctx, s.local(channel), s.local(playbackID), media...)
	if p != nil {
		*p = s.playback(*p)
	}
	return p, err
}

func (s *serverARI) StopPlayback(ctx context.Context, playbackID string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.StopPlayback(ctx, s.local(playbackID))
}

func (s *serverARI) Originate(ctx context.Context, req ari.OriginateRequest) (*ari.Channel, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	req.ChannelID, req.OtherChannelID, req.Originator = s.local(req.ChannelID), s.local(req.OtherChannelID), s.local(req.Originator)
	ch, err := s.ari.Originate(ctx, req)
	if ch != nil {
		*ch = s.channel(*ch)
	}
	return ch, err
}

func (s *serverARI) CreateBridge(ctx context.Context, id, bridgeType, name string) (*ari.Bridge, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	b, err := s.ari.CreateBridge(ctx, s.local(id), bridgeType, name)
	if b != nil {
		*b = s.bridge(*b)
	}
	return b, err
}

func (s *serverARI) AddChannel(ctx context.Context, bridge, channels, role string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.AddChannel(ctx, s.local(bridge), s.localList(channels), role)
}

func (s *serverARI) RemoveChannel(ctx context.Context, bridge, channel string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.RemoveChannel(ctx, s.local(bridge), s.local(channel))
}

func (s *serverARI) Snoop(ctx context.Context, channel string, req ari.SnoopRequest) (*ari.Channel, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	req.SnoopID = s.local(req.SnoopID)
	ch, err := s.ari.Snoop(ctx, s.local(channel), req)
	if ch != nil {
		*ch = s.channel(*ch)
	}
	return ch, err
}

func (s *serverARI) DestroyBridge(ctx context.Context, bridge string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.DestroyBridge(ctx, s.local(bridge))
}

func (s *serverARI) recording(r *ari.LiveRecording) {
	if r != nil {
		r.TargetURI = s.qualifyURI(r.TargetURI)
	}
}

func (s *serverARI) RecordBridge(ctx context.Context, bridge string, req ari.RecordRequest) (*ari.LiveRecording, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	r, err := s.ari.RecordBridge(ctx, s.local(bridge), req)
	s.recording(r)
	return r, err
}

func (s *serverARI) RecordChannel(ctx context.Context, channel string, req ari.RecordRequest) (*ari.LiveRecording, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	r, err := s.ari.RecordChannel(ctx, s.local(channel), req)
	s.recording(r)
	return r, err
}

// Recording names are not qualified (see above).

func (s *serverARI) PauseRecording(ctx context.Context, name string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.PauseRecording(ctx, name)
}

func (s *serverARI) UnpauseRecording(ctx context.Context, name string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.UnpauseRecording(ctx, name)
}

func (s *serverARI) StopRecording(ctx context.Context, name string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.StopRecording(ctx, name)
}

func (s *serverARI) StoredRecordingFile(ctx context.Context, name string) (*ari.RecordingFile, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.ari.StoredRecordingFile(ctx, name)
}

func (s *serverARI) DeleteStoredRecording(ctx context.Context, name string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.DeleteStoredRecording(ctx, name)
}

func (s *serverARI) application(a *ari.Application) {
	if a == nil || s.name == "" {
		return
	}
	for i, id := range a.ChannelIDs {
		a.ChannelIDs[i] = s.q(id)
	}
	for i, id := range a.BridgeIDs {
		a.BridgeIDs[i] = s.q(id)
	}
	for i, id := range a.DeviceNames {
		a.DeviceNames[i] = s.q(id)
	}
}

func (s *serverARI) Subscribe(ctx context.Context, app string, eventSource ...string) (*ari.Application, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	a, err := s.ari.Subscribe(ctx, app, s.localSources(eventSource)...)
	s.application(a)
	return a, err
}

func (s *serverARI) Unsubscribe(ctx context.Context, app string, eventSource ...string) (*ari.Application, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	a, err := s.ari.Unsubscribe(ctx, app, s.localSources(eventSource)...)
	s.application(a)
	return a, err
}

func (s *serverARI) SetEventFilter(ctx context.Context, app string, allowed ...string) (*ari.Application, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	a, err := s.ari.SetEventFilter(ctx, app, allowed...)
	s.application(a)
	return a, err
}

func (s *serverARI) GetApplication(ctx context.Context, app string) (*ari.Application, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	a, err := s.ari.GetApplication(ctx, app)
	s.application(a)
	return a, err
}

func (s *serverARI) ListChannels(ctx context.Context) ([]ari.Channel, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	chans, err := s.ari.ListChannels(ctx)
	for i := range chans {
		chans[i] = s.channel(chans[i])
	}
	return chans, err
}

func (s *serverARI) ListBridges(ctx context.Context) ([]ari.Bridge, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	bridges, err := s.ari.ListBridges(ctx)
	for i := range bridges {
		bridges[i] = s.bridge(bridges[i])
	}
	return bridges, err
}

func (s *serverARI) ListDeviceStates(ctx context.Context) ([]ari.DeviceState, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	states, err := s.ari.ListDeviceStates(ctx)
	for i := range states {
		states[i].Name = s.q(states[i].Name)
	}
	return states, err
}

func (s *serverARI) GetEndpoint(ctx context.Context, tech, resource string) (*ari.Endpoint, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	ep, err := s.ari.GetEndpoint(ctx, tech, resource)
	if ep != nil {
		*ep = s.endpoint(*ep)
	}
	return ep, err
}

func (s *serverARI) ListEndpoints(ctx context.Context) ([]ari.Endpoint, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	eps, err := s.ari.ListEndpoints(ctx)
	for i := range eps {
		eps[i] = s.endpoint(eps[i])
	}
	return eps, err
}

func (s *serverARI) GetModule(ctx context.Context, name string) (*ari.Module, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.ari.GetModule(ctx, name)
}

func (s *serverARI) PutConfigObject(ctx context.Context, class, objectType, id string, fields []ari.ConfigTuple) ([]ari.ConfigTuple, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.ari.PutConfigObject(ctx, class, objectType, id, fields)
}

func (s *serverARI) DeleteConfigObject(ctx context.Context, class, objectType, id string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.ari.DeleteConfigObject(ctx, class, objectType, id)
}

// The set's REST calls that name an id go to its server.

func (s *serverSet) Answer(ctx context.Context, channel string) error {
	return s.of(channel).Answer(ctx, channel)
}

func (s *serverSet) Hangup(ctx context.Context, channel, reason string) error {
	return s.of(channel).Hangup(ctx, channel, reason)
}

func (s *serverSet) Continue(ctx context.Context, channel, dialplanContext, extension string, priority int, label string) error {
	return s.of(channel).Continue(ctx, channel, dialplanContext, extension, priority, label)
}

func (s *serverSet) SetVariable(ctx context.Context, channel, name, value string) error {
	return s.of(channel).SetVariable(ctx, channel, name, value)
}

func (s *serverSet) StartMOH(ctx context.Context, channel, class string) error {
	return s.of(channel).StartMOH(ctx, channel, class)
}

func (s *serverSet) StopMOH(ctx context.Context, channel string) error {
	return s.of(channel).StopMOH(ctx, channel)
}

func (s *serverSet) Play(ctx context.Context, channel, playbackID string, media ...string) (*ari.Playback, error) {
	return s.of(channel).Play(ctx, channel, playbackID, media...)
}

func (s *serverSet) StopPlayback(ctx context.Context, playbackID string) error {
	return s.of(playbackID).StopPlayback(ctx, playbackID)
}

func (s *serverSet) Originate(ctx context.Context, req ari.OriginateRequest) (*ari.Channel, error) {
	return s.of(req.ChannelID).Originate(ctx, req)
}

func (s *serverSet) CreateBridge(ctx context.Context, id, bridgeType, name string) (*ari.Bridge, error) {
	return s.of(id).CreateBridge(ctx, id, bridgeType, name)
}

func (s *serverSet) AddChannel(ctx context.Context, bridge, channels, role string) error {
	return s.of(bridge).AddChannel(ctx, bridge, channels, role)
}

func (s *serverSet) RemoveChannel(ctx context.Context, bridge, channel string) error {
	return s.of(bridge).RemoveChannel(ctx, bridge, channel)
}

func (s *serverSet) Snoop(ctx context.Context, channel string, req ari.SnoopRequest) (*ari.Channel, error) {
	return s.of(channel).Snoop(ctx, channel, req)
}

func (s *serverSet) DestroyBridge(ctx context.Context, bridge string) error {
	return s.of(bridge).DestroyBridge(ctx, bridge)
}

func (s *serverSet) RecordBridge(ctx context.Context, bridge string, req ari.RecordRequest) (*ari.LiveRecording, error) {
	return s.of(bridge).RecordBridge(ctx, bridge, req)
}

func (s *serverSet) RecordChannel(ctx context.Context, channel string, req ari.RecordRequest) (*ari.LiveRecording, error) {
	return s.of(channel).RecordChannel(ctx, channel, req)
}

// Subscribe subscribes each server to its sources; a source that names no
// server's id ("deviceState:") goes to every server.
func (s *serverSet) Subscribe(ctx context.Context, app string, eventSource ...string) error {
	return s.eachSource(eventSource, func(one *serverARI, srcs []string) error {
		_, err := one.Subscribe(ctx, app, srcs...)
		return err
	})
}

// Unsubscribe is Subscribe's undoing.
func (s *serverSet) Unsubscribe(ctx context.Context, app string, eventSource ...string) error {
	return s.eachSource(eventSource, func(one *serverARI, srcs []string) error {
		_, err := one.Unsubscribe(ctx, app, srcs...)
		return err
	})
}

func (s *serverSet) eachSource(sources []string, fn func(*serverARI, []string) error) error {
	by := map[string][]string{}
	var order []string
	for _, src := range sources {
		_, id, _ := strings.Cut(src, ":")
		targets := []string{serverOf(id)}
		if s.multi() && !strings.Contains(id, serverSep) {
			targets = s.names()
		}
		for _, t := range targets {
			if _, seen := by[t]; !seen {
				order = append(order, t)
			}
			by[t] = append(by[t], src)
		}
	}
	var errs []error
	for _, name := range order {
		if err := fn(s.on(name), by[name]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
