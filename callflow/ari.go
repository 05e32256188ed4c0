package callflow

import (
	"context"

	"stasisq/ari"
)

// ARI is what the call flow needs of Asterisk: one events stream and the
// REST calls it makes. *ari.Client is the real one; the tests also drive the
// loop with a scripted fake that answers each call from a table, without a
// network.
type ARI interface {
	// Run keeps the events websocket up until ctx ends.
	Run(ctx context.Context) error
	// Events delivers every event, *ari.Connected after each (re)connect
	// and *ari.Disconnected when the socket drops.
	Events() <-chan ari.Event

	Answer(ctx context.Context, channel string) error
	Hangup(ctx context.Context, channel, reason string) error
	Continue(ctx context.Context, channel, dialplanContext, extension string, priority int, label string) error
	SetVariable(ctx context.Context, channel, name, value string) error
	StartMOH(ctx context.Context, channel, class string) error
	StopMOH(ctx context.Context, channel string) error
	Play(ctx context.Context, channel, playbackID string, media ...string) (*ari.Playback, error)
	StopPlayback(ctx context.Context, playbackID string) error
	Originate(ctx context.Context, req ari.OriginateRequest) (*ari.Channel, error)

	CreateBridge(ctx context.Context, id, bridgeType, name string) (*ari.Bridge, error)
	AddChannel(ctx context.Context, bridge, channels, role string) error
	RemoveChannel(ctx context.Context, bridge, channel string) error
	Snoop(ctx context.Context, channel string, req ari.SnoopRequest) (*ari.Channel, error)
	DestroyBridge(ctx context.Context, bridge string) error

	RecordBridge(ctx context.Context, bridge string, req ari.RecordRequest) (*ari.LiveRecording, error)
	RecordChannel(ctx context.Context, channel string, req ari.RecordRequest) (*ari.LiveRecording, error)
	PauseRecording(ctx context.Context, name string) error
	UnpauseRecording(ctx context.Context, name string) error
	StopRecording(ctx context.Context, name string) error
	StoredRecordingFile(ctx context.Context, name string) (*ari.RecordingFile, error)
	DeleteStoredRecording(ctx context.Context, name string) error

	Subscribe(ctx context.Context, app string, eventSource ...string) (*ari.Application, error)
	Unsubscribe(ctx context.Context, app string, eventSource ...string) (*ari.Application, error)
	SetEventFilter(ctx context.Context, app string, allowed ...string) (*ari.Application, error)
	GetApplication(ctx context.Context, app string) (*ari.Application, error)
	ListChannels(ctx context.Context) ([]ari.Channel, error)
	ListBridges(ctx context.Context) ([]ari.Bridge, error)
	ListDeviceStates(ctx context.Context) ([]ari.DeviceState, error)
	GetEndpoint(ctx context.Context, tech, resource string) (*ari.Endpoint, error)
	ListEndpoints(ctx context.Context) ([]ari.Endpoint, error)

	GetModule(ctx context.Context, name string) (*ari.Module, error)
	PutConfigObject(ctx context.Context, class, objectType, id string, fields []ari.ConfigTuple) ([]ari.ConfigTuple, error)
	DeleteConfigObject(ctx context.Context, class, objectType, id string) error
}

var _ ARI = (*ari.Client)(nil)
