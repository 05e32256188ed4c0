package ari

import "encoding/json"

// The models below are Asterisk's (api-docs/*.json), field for field; json
// tags are Asterisk's names. Fields the api-docs mark optional carry
// omitempty so a decoded object re-encodes as Asterisk sent it.

// Channel is a channel as Asterisk describes it.
type Channel struct {
	ID           string            `json:"id"`
	Protocolid   string            `json:"protocol_id"`
	Name         string            `json:"name"`
	State        string            `json:"state"`
	Caller       CallerID          `json:"caller"`
	Connected    CallerID          `json:"connected"`
	Accountcode  string            `json:"accountcode"`
	Dialplan     DialplanCEP       `json:"dialplan"`
	Creationtime Time              `json:"creationtime"`
	Language     string            `json:"language"`
	Channelvars  map[string]string `json:"channelvars,omitempty"`
	CallerRdnis  string            `json:"caller_rdnis,omitempty"`
	TenantID     string            `json:"tenantid,omitempty"`
}

// CallerID is a name and number pair.
type CallerID struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

// DialplanCEP is a dialplan location: context, extension, priority.
type DialplanCEP struct {
	Context  string `json:"context"`
	Exten    string `json:"exten"`
	Priority int64  `json:"priority"`
	AppName  string `json:"app_name"`
	AppData  string `json:"app_data"`
}

// Bridge is a bridge as Asterisk describes it. Channels may list ids the
// application never saw (the hidden MOH announcer), so ignore unknown ones.
type Bridge struct {
	ID            string            `json:"id"`
	Technology    string            `json:"technology"`
	BridgeType    string            `json:"bridge_type"`
	BridgeClass   string            `json:"bridge_class"`
	Creator       string            `json:"creator"`
	Name          string            `json:"name"`
	Channels      []string          `json:"channels"`
	VideoMode     string            `json:"video_mode,omitempty"`
	VideoSourceID string            `json:"video_source_id,omitempty"`
	CreationTime  Time              `json:"creationtime"`
	Bridgevars    map[string]string `json:"bridgevars,omitempty"`
}

// Playback is a media playback on a channel or bridge. TargetURI is
// "channel:<id>" or "bridge:<id>".
type Playback struct {
	ID           string `json:"id"`
	MediaURI     string `json:"media_uri"`
	NextMediaURI string `json:"next_media_uri,omitempty"`
	TargetURI    string `json:"target_uri"`
	Language     string `json:"language,omitempty"`
	State        string `json:"state"`
}

// LiveRecording is a recording in progress.
type LiveRecording struct {
	Name            string `json:"name"`
	Format          string `json:"format"`
	TargetURI       string `json:"target_uri"`
	State           string `json:"state"`
	Duration        int    `json:"duration,omitempty"`
	TalkingDuration int    `json:"talking_duration,omitempty"`
	SilenceDuration int    `json:"silence_duration,omitempty"`
	Cause           string `json:"cause,omitempty"`
}

// Endpoint is a technology/resource pair such as PJSIP/1001.
type Endpoint struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state,omitempty"`
	ChannelIDs []string `json:"channel_ids"`
}

// DeviceState is a device's state: UNKNOWN, NOT_INUSE, INUSE, BUSY, INVALID,
// UNAVAILABLE, RINGING, RINGINUSE, ONHOLD.
type DeviceState struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// Application is a Stasis application and what it is subscribed to.
// ChannelIDs lists the channels still in the application, which is how an
// application resumes after a reconnect (Asterisk replays nothing).
type Application struct {
	Name             string            `json:"name"`
	ChannelIDs       []string          `json:"channel_ids"`
	BridgeIDs        []string          `json:"bridge_ids"`
	EndpointIDs      []string          `json:"endpoint_ids"`
	DeviceNames      []string          `json:"device_names"`
	EventsAllowed    []json.RawMessage `json:"events_allowed"`
	EventsDisallowed []json.RawMessage `json:"events_disallowed"`
}

// Module is GET /asterisk/modules/{moduleName}: a module Asterisk has
// loaded (one it has not is ErrNotFound).
type Module struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	UseCount     int    `json:"use_count"`
	Status       string `json:"status"` // "Running" once loaded
	SupportLevel string `json:"support_level"`
}

// AsteriskInfo is GET /asterisk/info.
type AsteriskInfo struct {
	Build  *BuildInfo  `json:"build,omitempty"`
	System *SystemInfo `json:"system,omitempty"`
	Config *ConfigInfo `json:"config,omitempty"`
	Status *StatusInfo `json:"status,omitempty"`
}

// BuildInfo says how Asterisk was built.
type BuildInfo struct {
	OS      string `json:"os"`
	Kernel  string `json:"kernel"`
	Options string `json:"options"`
	Machine string `json:"machine"`
	Date    string `json:"date"`
	User    string `json:"user"`
}

// SystemInfo holds the Asterisk version and entity id.
type SystemInfo struct {
	Version  string `json:"version"`
	EntityID string `json:"entity_id"`
}

// ConfigInfo is Asterisk's main configuration.
type ConfigInfo struct {
	Name            string  `json:"name"`
	DefaultLanguage string  `json:"default_language"`
	MaxChannels     int     `json:"max_channels,omitempty"`
	MaxOpenFiles    int     `json:"max_open_files,omitempty"`
	MaxLoad         float64 `json:"max_load,omitempty"`
	Setid           SetID   `json:"setid"`
}

// SetID is the user and group Asterisk runs as.
type SetID struct {
	User  string `json:"user"`
	Group string `json:"group"`
}

// StatusInfo says when Asterisk started and last reloaded.
type StatusInfo struct {
	StartupTime    Time `json:"startup_time"`
	LastReloadTime Time `json:"last_reload_time"`
}

// Variable is the reply of GET .../variable.
type Variable struct {
	Value string `json:"value"`
}

// TextMessage is an out-of-call text message.
type TextMessage struct {
	From      string            `json:"from"`
	To        string            `json:"to"`
	Body      string            `json:"body"`
	Variables map[string]string `json:"variables,omitempty"`
}

// ContactInfo describes a PJSIP contact.
type ContactInfo struct {
	URI           string `json:"uri"`
	ContactStatus string `json:"contact_status"`
	Aor           string `json:"aor"`
	RoundtripUsec string `json:"roundtrip_usec,omitempty"`
}

// Peer describes a peer's registration status.
type Peer struct {
	PeerStatus string `json:"peer_status"`
	Cause      string `json:"cause,omitempty"`
	Address    string `json:"address,omitempty"`
	Port       string `json:"port,omitempty"`
	Time       string `json:"time,omitempty"`
}

// ReferTo is the target of a REFER-style transfer.
type ReferTo struct {
	RequestedDestination RequiredDestination `json:"requested_destination"`
	DestinationChannel   *Channel            `json:"destination_channel,omitempty"`
	ConnectedChannel     *Channel            `json:"connected_channel,omitempty"`
	Bridge               *Bridge             `json:"bridge,omitempty"`
}

// ReferredBy is the source of a REFER-style transfer.
type ReferredBy struct {
	SourceChannel    Channel  `json:"source_channel"`
	ConnectedChannel *Channel `json:"connected_channel,omitempty"`
	Bridge           *Bridge  `json:"bridge,omitempty"`
}

// RequiredDestination is where a transfer was asked to go.
type RequiredDestination struct {
	ProtocolID               string            `json:"protocol_id,omitempty"`
	Destination              string            `json:"destination,omitempty"`
	AdditionalProtocolParams []AdditionalParam `json:"additional_protocol_params,omitempty"`
}

// AdditionalParam is a protocol parameter of a transfer.
type AdditionalParam struct {
	ParameterName  string `json:"parameter_name"`
	ParameterValue string `json:"parameter_value"`
}

// modelTypes maps api-docs model names to our Go types, for the conformance
// test that compares every field with the api-docs.
var modelTypes = map[string]any{
	"Channel":             Channel{},
	"CallerID":            CallerID{},
	"DialplanCEP":         DialplanCEP{},
	"Bridge":              Bridge{},
	"Playback":            Playback{},
	"LiveRecording":       LiveRecording{},
	"Endpoint":            Endpoint{},
	"DeviceState":         DeviceState{},
	"Application":         Application{},
	"AsteriskInfo":        AsteriskInfo{},
	"Module":              Module{},
	"BuildInfo":           BuildInfo{},
	"SystemInfo":          SystemInfo{},
	"ConfigInfo":          ConfigInfo{},
	"SetId":               SetID{},
	"StatusInfo":          StatusInfo{},
	"Variable":            Variable{},
	"TextMessage":         TextMessage{},
	"ContactInfo":         ContactInfo{},
	"Peer":                Peer{},
	"ReferTo":             ReferTo{},
	"ReferredBy":          ReferredBy{},
	"RequiredDestination": RequiredDestination{},
	"AdditionalParam":     AdditionalParam{},
}
