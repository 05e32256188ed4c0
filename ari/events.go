package ari

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

//go:generate go run ./internal/genevents -docs ../../shared/ari/api-docs -out events_gen.go

// Event is anything delivered on the events stream: one of Asterisk's event
// types (a pointer to the Go type of the same name, see events_gen.go), a
// *RawEvent for a type this package does not know, or the synthetic
// *Connected / *Disconnected.
type Event interface {
	EventType() string
	Application() string
	Timestamp() time.Time
}

// EventBase holds the fields every Asterisk event carries (api-docs Message
// and Event). DecodeEvent fills Type; encoding an event sets it from the Go
// type, so events built in code need not.
type EventBase struct {
	Type       string `json:"type"`
	AsteriskID string `json:"asterisk_id,omitempty"`
	App        string `json:"application"`
	When       Time   `json:"timestamp"`
}

// Application is the Stasis application the event was sent to.
func (b EventBase) Application() string { return b.App }

// Timestamp is when Asterisk raised the event. Events are not strictly
// ordered by it on the socket: order by arrival.
func (b EventBase) Timestamp() time.Time { return b.When.Time }

// RawEvent is an event whose type this package does not know (a newer
// Asterisk), or whose fields did not fit the known type. Data is the frame.
type RawEvent struct {
	Type string
	Data json.RawMessage
}

// EventType is the frame's "type".
func (e *RawEvent) EventType() string { return e.Type }

// Application is the frame's "application", if it has one.
func (e *RawEvent) Application() string { return e.base().App }

// Timestamp is the frame's "timestamp", if it has a readable one.
func (e *RawEvent) Timestamp() time.Time { return e.base().When.Time }

func (e *RawEvent) base() EventBase {
	var b struct {
		App  string          `json:"application"`
		When json.RawMessage `json:"timestamp"`
	}
	_ = json.Unmarshal(e.Data, &b) // best effort: a RawEvent is already odd
	out := EventBase{Type: e.Type, App: b.App}
	_ = out.When.UnmarshalJSON(b.When)
	return out
}

// MarshalJSON writes the frame as received.
func (e RawEvent) MarshalJSON() ([]byte, error) {
	if len(e.Data) == 0 {
		return json.Marshal(map[string]string{"type": e.Type})
	}
	return e.Data, nil
}

// Connected is delivered on the main stream after every successful
// (re)connect of the events websocket. Asterisk replays nothing that
// happened while disconnected, so an application resynchronises here
// (GET /applications/{app} lists the channels still in it).
type Connected struct {
	At time.Time
}

// EventType is "Connected" (not an Asterisk type).
func (*Connected) EventType() string { return "Connected" }

// Application is empty: the event comes from the client, not Asterisk.
func (*Connected) Application() string { return "" }

// Timestamp is when the websocket opened.
func (e *Connected) Timestamp() time.Time { return e.At }

// Disconnected is delivered on the main stream when the websocket drops;
// the client is reconnecting. Events Asterisk raises meanwhile are lost.
type Disconnected struct {
	Err error
	At  time.Time
}

// EventType is "Disconnected" (not an Asterisk type).
func (*Disconnected) EventType() string { return "Disconnected" }

// Application is empty: the event comes from the client, not Asterisk.
func (*Disconnected) Application() string { return "" }

// Timestamp is when the drop was noticed.
func (e *Disconnected) Timestamp() time.Time { return e.At }

// ErrMalformedEvent is wrapped by DecodeEvent when a frame is not a JSON
// object.
var ErrMalformedEvent = errors.New("ari: malformed event")

// DecodeEvent decodes one websocket frame. A known type gives a pointer to
// its Go type; an unknown type gives *RawEvent and no error. A frame that
// is not a JSON object gives ErrMalformedEvent. A known type whose fields
// do not fit (a string where a number was documented) gives *RawEvent AND an
// error, so the caller can log it and still deliver the event.
func DecodeEvent(data []byte) (Event, error) {
	typ, ok := leadingType(data)
	if !ok {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedEvent, err)
		}
		typ = head.Type
	}
	newEvent, known := eventTypes[typ]
	if !known {
		if ok && !json.Valid(data) { // the fast path read only the type
			return nil, fmt.Errorf("%w: not valid JSON", ErrMalformedEvent)
		}
		return &RawEvent{Type: typ, Data: append(json.RawMessage(nil), data...)}, nil
	}
	ev := newEvent()
	if err := json.Unmarshal(data, ev); err != nil {
		// json.Unmarshal checks the syntax before filling anything.
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, fmt.Errorf("%w: %v", ErrMalformedEvent, err)
		}
		raw := &RawEvent{Type: typ, Data: append(json.RawMessage(nil), data...)}
		return raw, fmt.Errorf("decode %s event: %w", typ, err)
	}
	return ev, nil
}

// leadingType reads "type" when it is the first key, as Asterisk writes it,
// saving a second full parse; data must already be valid JSON.
func leadingType(data []byte) (string, bool) {
	const prefix = `{"type":"`
	if !bytes.HasPrefix(data, []byte(prefix)) {
		return "", false
	}
	rest := data[len(prefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", false
	}
	return string(rest[:end]), true
}

// EventTypes lists every Asterisk event type this package decodes into its
// own Go type.
func EventTypes() []string {
	out := make([]string, 0, len(eventTypes))
	for name := range eventTypes {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

type resourceKind int

const (
	channelResource resourceKind = iota
	bridgeResource
)

// resourceEvent is implemented by every generated event type: it reports
// the channels and bridges the event is about, for per-resource
// subscriptions.
type resourceEvent interface {
	visitResources(visit func(kind resourceKind, id string))
}

// visitTarget reports the channel or bridge of a playback or recording
// target URI ("channel:<id>", "bridge:<id>").
func visitTarget(visit func(resourceKind, string), uri string) {
	if id, ok := strings.CutPrefix(uri, "channel:"); ok {
		visit(channelResource, id)
	} else if id, ok := strings.CutPrefix(uri, "bridge:"); ok {
		visit(bridgeResource, id)
	}
}
