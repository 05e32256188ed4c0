package ari

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Routes follow Asterisk's api-docs; list-valued parameters (media,
// eventSource, channel) are sent comma-separated, which is how Asterisk
// parses them (a repeated parameter keeps only the last value).

// variablesBody is the JSON body Asterisk reads channel variables from.
type variablesBody struct {
	Variables map[string]string `json:"variables"`
}

func varsBody(vars map[string]string) any {
	if len(vars) == 0 {
		return nil
	}
	return variablesBody{Variables: vars}
}

// send performs rc and returns the resource Asterisk replied with.
func send[T any](ctx context.Context, c *Client, rc call) (*T, error) {
	var out T
	if err := c.do(ctx, rc, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// get returns the resource at route (path is route with the ids filled in).
func get[T any](ctx context.Context, c *Client, route, path string) (*T, error) {
	return send[T](ctx, c, call{method: http.MethodGet, route: route, path: path})
}

// list returns every resource of one kind; list routes have no ids.
func list[T any](ctx context.Context, c *Client, route string) ([]T, error) {
	out, err := get[[]T](ctx, c, route, route)
	if err != nil {
		return nil, err
	}
	return *out, nil
}

// action performs a call Asterisk answers with no body; empty values in q
// are left out so Asterisk uses its defaults.
func (c *Client) action(ctx context.Context, method, route, path string, q map[string]string) error {
	rc := call{method: method, route: route, path: path}
	for name, value := range q {
		if value != "" {
			if rc.query == nil {
				rc.query = map[string][]string{}
			}
			rc.query.Set(name, value)
		}
	}
	return c.do(ctx, rc, nil)
}

// AsteriskInfo returns Asterisk's build, system, config and status.
func (c *Client) AsteriskInfo(ctx context.Context) (*AsteriskInfo, error) {
	return get[AsteriskInfo](ctx, c, "/asterisk/info", "/asterisk/info")
}

// GetModule returns a module Asterisk has loaded, named by its file
// (codec_opus.so: Asterisk 22 answers 409 for the bare name); ErrNotFound
// for one it has not.
func (c *Client) GetModule(ctx context.Context, name string) (*Module, error) {
	return get[Module](ctx, c, "/asterisk/modules/{moduleName}", "/asterisk/modules/"+seg(name))
}

// ListChannels lists every channel Asterisk has, in Stasis or not.
func (c *Client) ListChannels(ctx context.Context) ([]Channel, error) {
	return list[Channel](ctx, c, "/channels")
}

// GetChannel returns one channel; ErrNotFound once it has gone.
func (c *Client) GetChannel(ctx context.Context, id string) (*Channel, error) {
	return get[Channel](ctx, c, "/channels/{channelId}", "/channels/"+seg(id))
}

// OriginateRequest is POST /channels. Zero values are left out so Asterisk
// uses its defaults. Set ChannelID (and OtherChannelID for Local channels) to
// know the channel before its first event; no id may be a case-insensitive
// prefix of another live one. Set Formats (e.g. "ulaw") for Local channels.
type OriginateRequest struct {
	ChannelID, OtherChannelID string
	Endpoint                  string
	App                       string
	AppArgs                   []string // joined with ","
	CallerID                  string
	Timeout                   int // seconds; 0 = Asterisk's default (30)
	Variables                 map[string]string
	Formats                   string
	Originator                string
	Context, Extension        string
	Priority                  int
	Label                     string
}

// Originate creates a channel and dials it: into App, or into the dialplan
// at Context/Extension/Priority. It uses POST /channels/{channelId} when
// ChannelID is set.
func (c *Client) Originate(ctx context.Context, req OriginateRequest) (*Channel, error) {
	q := query(
		"endpoint", req.Endpoint,
		"extension", req.Extension,
		"context", req.Context,
		"priority", itoa(req.Priority),
		"label", req.Label,
		"app", req.App,
		"appArgs", strings.Join(req.AppArgs, ","),
		"callerId", req.CallerID,
		"timeout", itoa(req.Timeout),
		"otherChannelId", req.OtherChannelID,
		"originator", req.Originator,
		"formats", req.Formats,
	)
	rc := call{method: http.MethodPost, route: "/channels", path: "/channels", query: q, body: varsBody(req.Variables)}
	if req.ChannelID != "" {
		rc.route = "/channels/{channelId}"
		rc.path = "/channels/" + seg(req.ChannelID)
	}
	out, err := send[Channel](ctx, c, rc)
	if err != nil {
		return nil, fmt.Errorf("originate %s: %w", req.Endpoint, err)
	}
	return out, nil
}

// CreateChannelRequest is POST /channels/create: the channel enters App at
// once (StasisStart, state Down) and is dialled later with Dial.
type CreateChannelRequest struct {
	Endpoint       string
	App            string
	AppArgs        []string // joined with ","
	ChannelID      string
	OtherChannelID string
	Originator     string
	Formats        string
	Variables      map[string]string
}

// CreateChannel creates a channel without dialling it.
func (c *Client) CreateChannel(ctx context.Context, req CreateChannelRequest) (*Channel, error) {
	q := query(
		"endpoint", req.Endpoint,
		"app", req.App,
		"appArgs", strings.Join(req.AppArgs, ","),
		"channelId", req.ChannelID,
		"otherChannelId", req.OtherChannelID,
		"originator", req.Originator,
		"formats", req.Formats,
	)
	rc := call{method: http.MethodPost, route: "/channels/create", path: "/channels/create", query: q, body: varsBody(req.Variables)}
	out, err := send[Channel](ctx, c, rc)
	if err != nil {
		return nil, fmt.Errorf("create channel %s: %w", req.Endpoint, err)
	}
	return out, nil
}

func (c *Client) channelAction(ctx context.Context, method, action, id string, q map[string]string) error {
	return c.action(ctx, method, "/channels/{channelId}"+action, "/channels/"+seg(id)+action, q)
}

// Dial dials a channel made by CreateChannel. caller is the channel to take
// caller id from; timeout is in seconds (0 = Asterisk's default).
func (c *Client) Dial(ctx context.Context, id, caller string, timeout int) error {
	return c.channelAction(ctx, http.MethodPost, "/dial", id, map[string]string{"caller": caller, "timeout": itoa(timeout)})
}

// Answer answers a channel.
func (c *Client) Answer(ctx context.Context, id string) error {
	return c.channelAction(ctx, http.MethodPost, "/answer", id, nil)
}

// SendDTMF sends DTMF digits on a channel, as if its far end pressed them
// (tests' callers pressing an exit key).
func (c *Client) SendDTMF(ctx context.Context, id, digits string) error {
	return c.channelAction(ctx, http.MethodPost, "/dtmf", id, map[string]string{"dtmf": digits})
}

// Ring indicates ringing to a channel.
func (c *Client) Ring(ctx context.Context, id string) error {
	return c.channelAction(ctx, http.MethodPost, "/ring", id, nil)
}

// RingStop stops ringing indication on a channel.
func (c *Client) RingStop(ctx context.Context, id string) error {
	return c.channelAction(ctx, http.MethodDelete, "/ring", id, nil)
}

// Hangup hangs a channel up. reason is normal, busy, congestion, no_answer,
// answered_elsewhere, ...; "" lets Asterisk choose.
func (c *Client) Hangup(ctx context.Context, id, reason string) error {
	return c.channelAction(ctx, http.MethodDelete, "", id, map[string]string{"reason": reason})
}

// Continue sends a channel back to the dialplan; zero values mean "where it
// left". Asterisk sends StasisEnd and nothing more about a dialplan caller.
func (c *Client) Continue(ctx context.Context, id, context, extension string, priority int, label string) error {
	return c.channelAction(ctx, http.MethodPost, "/continue", id, map[string]string{
		"context": context, "extension": extension, "priority": itoa(priority), "label": label,
	})
}

// Redirect redirects a channel to another endpoint.
func (c *Client) Redirect(ctx context.Context, id, endpoint string) error {
	return c.channelAction(ctx, http.MethodPost, "/redirect", id, map[string]string{"endpoint": endpoint})
}

// GetVariable reads a channel variable or function.
func (c *Client) GetVariable(ctx context.Context, id, name string) (string, error) {
	rc := call{method: http.MethodGet, route: "/channels/{channelId}/variable", path: "/channels/" + seg(id) + "/variable", query: query("variable", name)}
	out, err := send[Variable](ctx, c, rc)
	if err != nil {
		return "", err
	}
	return out.Value, nil
}

// SetVariable sets a channel variable; value may be empty.
func (c *Client) SetVariable(ctx context.Context, id, name, value string) error {
	q := query("variable", name)
	q.Set("value", value)
	return c.do(ctx, call{method: http.MethodPost, route: "/channels/{channelId}/variable", path: "/channels/" + seg(id) + "/variable", query: q}, nil)
}

// SetGlobalVariable sets a dialplan global variable (POST
// /asterisk/variable), as "dialplan set global" does.
func (c *Client) SetGlobalVariable(ctx context.Context, name, value string) error {
	q := query("variable", name)
	q.Set("value", value)
	return c.do(ctx, call{method: http.MethodPost, route: "/asterisk/variable", path: "/asterisk/variable", query: q}, nil)
}

// StartMOH plays music on hold to a channel; class "" is the default class.
func (c *Client) StartMOH(ctx context.Context, id, class string) error {
	return c.channelAction(ctx, http.MethodPost, "/moh", id, map[string]string{"mohClass": class})
}

// StartSilence makes a channel send silence (a generator, like music on
// hold, that does not hold up the channel's other operations).
func (c *Client) StartSilence(ctx context.Context, id string) error {
	return c.channelAction(ctx, http.MethodPost, "/silence", id, nil)
}

// StopMOH stops a channel's music on hold.
func (c *Client) StopMOH(ctx context.Context, id string) error {
	return c.channelAction(ctx, http.MethodDelete, "/moh", id, nil)
}

// Play plays media ("sound:queue-thankyou", ...) to a channel, one after the
// other. With playbackID set it uses POST /channels/{id}/play/{playbackId}.
func (c *Client) Play(ctx context.Context, channelID, playbackID string, media ...string) (*Playback, error) {
	return c.play(ctx, "/channels/{channelId}/play", "/channels/"+seg(channelID)+"/play", playbackID, media)
}

// play plays media to the channel or bridge whose play route is route.
func (c *Client) play(ctx context.Context, route, path, playbackID string, media []string) (*Playback, error) {
	rc := call{method: http.MethodPost, route: route, path: path, query: query("media", strings.Join(media, ","))}
	if playbackID != "" {
		rc.route += "/{playbackId}"
		rc.path += "/" + seg(playbackID)
	}
	out, err := send[Playback](ctx, c, rc)
	if err != nil {
		return nil, fmt.Errorf("play %v: %w", media, err)
	}
	return out, nil
}

// SnoopRequest is POST /channels/{id}/snoop. Spy and Whisper are none,
// both, out or in.
type SnoopRequest struct {
	SnoopID string
	Spy     string
	Whisper string
	App     string
	AppArgs []string // joined with ","
}

// Snoop creates a channel that listens to and/or whispers into channel id.
func (c *Client) Snoop(ctx context.Context, id string, req SnoopRequest) (*Channel, error) {
	q := query("spy", req.Spy, "whisper", req.Whisper, "app", req.App, "appArgs", strings.Join(req.AppArgs, ","))
	rc := call{method: http.MethodPost, route: "/channels/{channelId}/snoop", path: "/channels/" + seg(id) + "/snoop", query: q}
	if req.SnoopID != "" {
		rc.route += "/{snoopId}"
		rc.path += "/" + seg(req.SnoopID)
	}
	return send[Channel](ctx, c, rc)
}

// CreateBridge creates a bridge of bridgeType ("mixing", "holding", or a
// comma-separated combination). With id set it uses POST /bridges/{bridgeId}.
func (c *Client) CreateBridge(ctx context.Context, id, bridgeType, name string) (*Bridge, error) {
	rc := call{method: http.MethodPost, route: "/bridges", path: "/bridges", query: query("type", bridgeType, "name", name)}
	if id != "" {
		rc.route = "/bridges/{bridgeId}"
		rc.path = "/bridges/" + seg(id)
	}
	out, err := send[Bridge](ctx, c, rc)
	if err != nil {
		return nil, fmt.Errorf("create bridge %s: %w", id, err)
	}
	return out, nil
}

// GetBridge returns one bridge.
func (c *Client) GetBridge(ctx context.Context, id string) (*Bridge, error) {
	return get[Bridge](ctx, c, "/bridges/{bridgeId}", "/bridges/"+seg(id))
}

// ListBridges lists every bridge.
func (c *Client) ListBridges(ctx context.Context) ([]Bridge, error) {
	return list[Bridge](ctx, c, "/bridges")
}

func (c *Client) bridgeAction(ctx context.Context, method, action, id string, q map[string]string) error {
	return c.action(ctx, method, "/bridges/{bridgeId}"+action, "/bridges/"+seg(id)+action, q)
}

// AddChannel puts a channel in a bridge, moving it out of any other bridge.
// role "" is no role.
func (c *Client) AddChannel(ctx context.Context, bridgeID, channelID, role string) error {
	return c.bridgeAction(ctx, http.MethodPost, "/addChannel", bridgeID, map[string]string{"channel": channelID, "role": role})
}

// RemoveChannel takes a channel out of a bridge.
func (c *Client) RemoveChannel(ctx context.Context, bridgeID, channelID string) error {
	return c.bridgeAction(ctx, http.MethodPost, "/removeChannel", bridgeID, map[string]string{"channel": channelID})
}

// DestroyBridge deletes a bridge; its channels stay.
func (c *Client) DestroyBridge(ctx context.Context, id string) error {
	return c.bridgeAction(ctx, http.MethodDelete, "", id, nil)
}

// StartBridgeMOH plays music on hold to a bridge. It stops for good when the
// bridge empties (see the package README).
func (c *Client) StartBridgeMOH(ctx context.Context, id, class string) error {
	return c.bridgeAction(ctx, http.MethodPost, "/moh", id, map[string]string{"mohClass": class})
}

// StopBridgeMOH stops a bridge's music on hold.
func (c *Client) StopBridgeMOH(ctx context.Context, id string) error {
	return c.bridgeAction(ctx, http.MethodDelete, "/moh", id, nil)
}

// PlayBridge plays media to a bridge. With playbackID set it uses
// POST /bridges/{bridgeId}/play/{playbackId}.
func (c *Client) PlayBridge(ctx context.Context, bridgeID, playbackID string, media ...string) (*Playback, error) {
	return c.play(ctx, "/bridges/{bridgeId}/play", "/bridges/"+seg(bridgeID)+"/play", playbackID, media)
}

// GetPlayback returns a playback's state.
func (c *Client) GetPlayback(ctx context.Context, id string) (*Playback, error) {
	return get[Playback](ctx, c, "/playbacks/{playbackId}", "/playbacks/"+seg(id))
}

// StopPlayback stops a playback; Asterisk then sends PlaybackFinished with
// state "done", as for a natural end.
func (c *Client) StopPlayback(ctx context.Context, id string) error {
	return c.do(ctx, call{method: http.MethodDelete, route: "/playbacks/{playbackId}", path: "/playbacks/" + seg(id)}, nil)
}

// GetApplication returns an application's subscriptions, including the
// channels still in it.
func (c *Client) GetApplication(ctx context.Context, name string) (*Application, error) {
	return get[Application](ctx, c, "/applications/{applicationName}", "/applications/"+seg(name))
}

// Subscribe subscribes app to event sources: "channel:<id>", "bridge:<id>",
// "endpoint:<tech>/<resource>", "deviceState:<name>" ("deviceState:" = all).
func (c *Client) Subscribe(ctx context.Context, app string, eventSource ...string) (*Application, error) {
	return c.subscription(ctx, http.MethodPost, app, eventSource)
}

// AllDeviceStates is the name an application's device_names lists while it
// is subscribed to every device state ("deviceState:"); unsubscribing that
// source when it is not there is refused with 422 (seen on Asterisk 22).
const AllDeviceStates = "__AST_DEVICE_STATE_ALL_TOPIC"

// Unsubscribe undoes Subscribe. Unsubscribe "deviceState:" before closing
// the websocket: Asterisk 22 can deadlock otherwise.
func (c *Client) Unsubscribe(ctx context.Context, app string, eventSource ...string) (*Application, error) {
	return c.subscription(ctx, http.MethodDelete, app, eventSource)
}

func (c *Client) subscription(ctx context.Context, method, app string, sources []string) (*Application, error) {
	rc := call{
		method: method,
		route:  "/applications/{applicationName}/subscription",
		path:   "/applications/" + seg(app) + "/subscription",
		query:  query("eventSource", strings.Join(sources, ",")),
	}
	out, err := send[Application](ctx, c, rc)
	if err != nil {
		return nil, fmt.Errorf("subscription %v: %w", sources, err)
	}
	return out, nil
}

// GetDeviceState returns a device's state, e.g. name "PJSIP/1001".
func (c *Client) GetDeviceState(ctx context.Context, name string) (*DeviceState, error) {
	return get[DeviceState](ctx, c, "/deviceStates/{deviceName}", "/deviceStates/"+seg(name))
}

// ListDeviceStates lists the device states ARI controls.
func (c *Client) ListDeviceStates(ctx context.Context) ([]DeviceState, error) {
	return list[DeviceState](ctx, c, "/deviceStates")
}

// ListEndpoints lists every endpoint.
func (c *Client) ListEndpoints(ctx context.Context) ([]Endpoint, error) {
	return list[Endpoint](ctx, c, "/endpoints")
}

// GetEndpoint returns one endpoint, e.g. tech "PJSIP", resource "1001".
func (c *Client) GetEndpoint(ctx context.Context, tech, resource string) (*Endpoint, error) {
	return get[Endpoint](ctx, c, "/endpoints/{tech}/{resource}", "/endpoints/"+seg(tech)+"/"+seg(resource))
}

type eventType struct {
	Type string `json:"type"`
}

type eventFilterBody struct {
	Allowed []eventType `json:"allowed"`
}

// SetEventFilter has Asterisk send app only events of the types named
// (PUT /applications/{app}/eventFilter); none named allows every event.
// Asterisk then builds and sends nothing else: most of what it would send
// a queue application is ChannelVarset it never reads.
func (c *Client) SetEventFilter(ctx context.Context, app string, allowed ...string) (*Application, error) {
	body := eventFilterBody{Allowed: []eventType{}}
	for _, t := range allowed {
		body.Allowed = append(body.Allowed, eventType{Type: t})
	}
	rc := call{method: http.MethodPut, route: "/applications/{applicationName}/eventFilter", path: "/applications/" + seg(app) + "/eventFilter", body: body}
	out, err := send[Application](ctx, c, rc)
	if err != nil {
		return nil, fmt.Errorf("event filter of %s: %w", app, err)
	}
	return out, nil
}

// ConfigTuple is one attribute of a dynamic configuration object
// (Asterisk's ConfigTuple).
type ConfigTuple struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

type configFields struct {
	Fields []ConfigTuple `json:"fields"`
}

func configPath(class, objectType, id string) string {
	return "/asterisk/config/dynamic/" + seg(class) + "/" + seg(objectType) + "/" + seg(id)
}

const configRoute = "/asterisk/config/dynamic/{configClass}/{objectType}/{id}"

// PutConfigObject creates or replaces a sorcery object over ARI (PUT
// /asterisk/config/dynamic/...), e.g. a res_pjsip endpoint, and returns
// every field Asterisk then holds. The object type needs a writable
// sorcery wizard (memory, astdb) in Asterisk's sorcery.conf; without one
// Asterisk answers 403.
func (c *Client) PutConfigObject(ctx context.Context, class, objectType, id string, fields []ConfigTuple) ([]ConfigTuple, error) {
	if fields == nil {
		fields = []ConfigTuple{}
	}
	rc := call{method: http.MethodPut, route: configRoute, path: configPath(class, objectType, id), body: configFields{Fields: fields}}
	out, err := send[[]ConfigTuple](ctx, c, rc)
	if err != nil {
		return nil, fmt.Errorf("put %s %s %s: %w", class, objectType, id, err)
	}
	return *out, nil
}

// DeleteConfigObject removes a sorcery object made over ARI; one that is
// not there is an error wrapping ErrNotFound.
func (c *Client) DeleteConfigObject(ctx context.Context, class, objectType, id string) error {
	if err := c.action(ctx, http.MethodDelete, configRoute, configPath(class, objectType, id), nil); err != nil {
		return fmt.Errorf("delete %s %s %s: %w", class, objectType, id, err)
	}
	return nil
}
