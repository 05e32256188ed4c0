package aritest

import (
	"encoding/json"
	"time"
)

// The JSON shapes below are written from Asterisk's api-docs and the recorded
// transcripts, deliberately not shared with package ari, so a disagreement
// between client and fake shows up in tests instead of being hidden.

// asteriskTimeLayout is how Asterisk prints every timestamp in ARI.
const asteriskTimeLayout = "2006-01-02T15:04:05.000-0700"

const asteriskID = "02:fc:00:00:00:01"

func stamp(t time.Time) string { return t.UTC().Format(asteriskTimeLayout) }

type callerIDJSON struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

type dialplanJSON struct {
	Context  string `json:"context"`
	Exten    string `json:"exten"`
	Priority int    `json:"priority"`
	AppName  string `json:"app_name"`
	AppData  string `json:"app_data"`
}

type channelJSON struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	State        string       `json:"state"`
	ProtocolID   string       `json:"protocol_id"`
	Caller       callerIDJSON `json:"caller"`
	Connected    callerIDJSON `json:"connected"`
	Accountcode  string       `json:"accountcode"`
	Dialplan     dialplanJSON `json:"dialplan"`
	Creationtime string       `json:"creationtime"`
	Language     string       `json:"language"`
}

type bridgeJSON struct {
	ID           string   `json:"id"`
	Technology   string   `json:"technology"`
	BridgeType   string   `json:"bridge_type"`
	BridgeClass  string   `json:"bridge_class"`
	Creator      string   `json:"creator"`
	Name         string   `json:"name"`
	Channels     []string `json:"channels"`
	Creationtime string   `json:"creationtime"`
	VideoMode    string   `json:"video_mode"`
}

type playbackJSON struct {
	ID           string `json:"id"`
	MediaURI     string `json:"media_uri"`
	NextMediaURI string `json:"next_media_uri,omitempty"`
	TargetURI    string `json:"target_uri"`
	Language     string `json:"language"`
	State        string `json:"state"`
}

type applicationJSON struct {
	Name             string            `json:"name"`
	ChannelIDs       []string          `json:"channel_ids"`
	BridgeIDs        []string          `json:"bridge_ids"`
	EndpointIDs      []string          `json:"endpoint_ids"`
	DeviceNames      []string          `json:"device_names"`
	EventsAllowed    []json.RawMessage `json:"events_allowed"`
	EventsDisallowed []json.RawMessage `json:"events_disallowed"`
}

type deviceStateJSON struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

type endpointJSON struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state"`
	ChannelIDs []string `json:"channel_ids"`
}

type variableJSON struct {
	Value string `json:"value"`
}

type errorJSON struct {
	Message string `json:"message"`
}

type asteriskInfoJSON struct {
	Build struct {
		OS      string `json:"os"`
		Kernel  string `json:"kernel"`
		Options string `json:"options"`
		Machine string `json:"machine"`
		Date    string `json:"date"`
		User    string `json:"user"`
	} `json:"build"`
	System struct {
		Version  string `json:"version"`
		EntityID string `json:"entity_id"`
	} `json:"system"`
	Config struct {
		Name            string `json:"name"`
		DefaultLanguage string `json:"default_language"`
		SetID           struct {
			User  string `json:"user"`
			Group string `json:"group"`
		} `json:"setid"`
	} `json:"config"`
	Status struct {
		StartupTime    string `json:"startup_time"`
		LastReloadTime string `json:"last_reload_time"`
	} `json:"status"`
}

// Events. Each carries the base fields of Message and Event from events.json.

type eventBase struct {
	Type        string `json:"type"`
	Timestamp   string `json:"timestamp"`
	AsteriskID  string `json:"asterisk_id"`
	Application string `json:"application"`
}

func (e *eventBase) setApp(app string) { e.Application = app }

func (e *eventBase) kind() string { return e.Type }

type appEvent interface {
	setApp(string)
	kind() string
}

type channelEvent struct { // StasisEnd, ChannelStateChange, ChannelConnectedLine, ChannelCreated
	eventBase
	Channel channelJSON `json:"channel"`
}

type stasisStartEvent struct {
	eventBase
	Args    []string    `json:"args"`
	Channel channelJSON `json:"channel"`
}

type hangupRequestEvent struct {
	eventBase
	Cause   *int        `json:"cause,omitempty"`
	Soft    bool        `json:"soft,omitempty"`
	Channel channelJSON `json:"channel"`
}

type channelDestroyedEvent struct {
	eventBase
	Cause    int         `json:"cause"`
	CauseTxt string      `json:"cause_txt"`
	Channel  channelJSON `json:"channel"`
}

type dialEvent struct {
	eventBase
	Caller     *channelJSON `json:"caller,omitempty"`
	Peer       channelJSON  `json:"peer"`
	Forward    string       `json:"forward"`
	Dialstring string       `json:"dialstring"`
	Dialstatus string       `json:"dialstatus"`
}

type varsetEvent struct {
	eventBase
	Variable string       `json:"variable"`
	Value    string       `json:"value"`
	Channel  *channelJSON `json:"channel,omitempty"`
}

type dialplanEvent struct {
	eventBase
	DialplanApp     string      `json:"dialplan_app"`
	DialplanAppData string      `json:"dialplan_app_data"`
	Channel         channelJSON `json:"channel"`
}

type callerIDEvent struct {
	eventBase
	CallerPresentation    int         `json:"caller_presentation"`
	CallerPresentationTxt string      `json:"caller_presentation_txt"`
	Channel               channelJSON `json:"channel"`
}

type dtmfEvent struct {
	eventBase
	Digit      string      `json:"digit"`
	DurationMs int         `json:"duration_ms"`
	Channel    channelJSON `json:"channel"`
}

type bridgeChannelEvent struct { // ChannelEnteredBridge, ChannelLeftBridge
	eventBase
	Bridge  bridgeJSON  `json:"bridge"`
	Channel channelJSON `json:"channel"`
}

type bridgeEvent struct { // BridgeDestroyed
	eventBase
	Bridge bridgeJSON `json:"bridge"`
}

type playbackEvent struct { // PlaybackStarted, PlaybackFinished
	eventBase
	Playback playbackJSON `json:"playback"`
}

type deviceStateEvent struct {
	eventBase
	DeviceState deviceStateJSON `json:"device_state"`
}

type endpointEvent struct {
	eventBase
	Endpoint endpointJSON `json:"endpoint"`
}

func base(typ string, now time.Time) eventBase {
	return eventBase{Type: typ, Timestamp: stamp(now), AsteriskID: asteriskID}
}

func intp(i int) *int { return &i }

// causeText is Asterisk's ast_cause2str for the causes the fake produces.
func causeText(cause int) string {
	switch cause {
	case 0:
		return "Unknown"
	case 1:
		return "Unallocated (unassigned) number"
	case 16:
		return "Normal Clearing"
	case 17:
		return "User busy"
	case 18:
		return "No user responding"
	case 19:
		return "User alerting, no answer"
	case 20:
		return "Subscriber absent"
	case 21:
		return "Call Rejected"
	case 26:
		return "Answered elsewhere"
	case 27:
		return "Destination out of order"
	case 28:
		return "Invalid number format (incomplete number)"
	case 31:
		return "Normal, unspecified"
	case 34:
		return "Circuit/channel congestion"
	case 38:
		return "Network out of order"
	case 58:
		return "Bearer capability not available"
	case 127:
		return "Interworking, unspecified"
	}
	return "Unknown"
}
