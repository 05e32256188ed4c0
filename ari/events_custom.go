package ari

import "encoding/json"

// MarshalJSON sets "type" and writes "cause" when it was received or is not
// zero, so a decoded event re-encodes as Asterisk sent it.
func (e ChannelHangupRequest) MarshalJSON() ([]byte, error) {
	type plain ChannelHangupRequest
	e.Type = "ChannelHangupRequest"
	wire := struct {
		plain
		Cause *int `json:"cause,omitempty"`
	}{plain: plain(e)}
	if e.HasCause || e.Cause != 0 {
		cause := e.Cause
		wire.Cause = &cause
	}
	return json.Marshal(wire)
}

// UnmarshalJSON records whether "cause" was present.
func (e *ChannelHangupRequest) UnmarshalJSON(data []byte) error {
	type plain ChannelHangupRequest
	var wire struct {
		plain
		Cause *int `json:"cause"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*e = ChannelHangupRequest(wire.plain)
	e.Cause, e.HasCause = 0, wire.Cause != nil
	if wire.Cause != nil {
		e.Cause = *wire.Cause
	}
	return nil
}
