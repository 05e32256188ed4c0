package ari

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestTimeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Time
		out  string
	}{
		{"asterisk utc", `"2026-11-20T10:11:12.345+0000"`, time.Date(2026, 11, 20, 10, 11, 12, 345e6, time.UTC), `"2026-11-20T10:11:12.345+0000"`},
		{"asterisk offset", `"2026-11-20T11:11:12.000+0100"`, time.Date(2026, 11, 20, 10, 11, 12, 0, time.UTC), `"2026-11-20T11:11:12.000+0100"`},
		{"rfc3339 accepted", `"2026-11-20T10:11:12.5Z"`, time.Date(2026, 11, 20, 10, 11, 12, 5e8, time.UTC), `"2026-11-20T10:11:12.500+0000"`},
		{"empty", `""`, time.Time{}, `""`},
		{"null", `null`, time.Time{}, `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Time
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("got=%v, want %v", got.Time, tt.want)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.out {
				t.Errorf("re-encoded got=%s, want %s", out, tt.out)
			}
		})
	}
	for _, bad := range []string{`"yesterday"`, `12`, `"2026-11-20 10:11:12"`} {
		var tm Time
		if err := json.Unmarshal([]byte(bad), &tm); err == nil {
			t.Errorf("Unmarshal(%s) got=nil error, want an error", bad)
		}
	}
}

// TestEventRoundTripEdgeCases covers fields the recorded transcripts do not
// exercise: channelvars, replace_channel, empty args, a hangup with and
// without cause, a global ChannelVarset, a zone other than UTC.
func TestEventRoundTripEdgeCases(t *testing.T) {
	channel := `{"id":"c1","name":"PJSIP/1001-00000001","state":"Up","protocol_id":"abc@10.0.0.1","caller":{"name":"A","number":"1"},` +
		`"connected":{"name":"","number":""},"accountcode":"acct","dialplan":{"context":"from-sip","exten":"100","priority":3,"app_name":"Stasis","app_data":"stasisq,support"},` +
		`"creationtime":"2026-11-20T11:11:12.345+0100","language":"fr","channelvars":{"QUEUE":"support","EMPTY":""},"caller_rdnis":"555","tenantid":"t1"}`
	tests := []struct {
		name  string
		line  string
		check func(t *testing.T, ev Event)
	}{
		{"StasisStart replace_channel channelvars", `{"type":"StasisStart","timestamp":"2026-11-20T11:11:12.345+0100","args":[],"channel":` + channel +
			`,"replace_channel":` + channel + `,"asterisk_id":"x","application":"stasisq"}`, func(t *testing.T, ev Event) {
			s := ev.(*StasisStart)
			if s.ReplaceChannel == nil || s.Channel.Channelvars["QUEUE"] != "support" || s.Args == nil || len(s.Args) != 0 {
				t.Errorf("got=%+v, want replace_channel, channelvars and empty non-nil args", s)
			}
			if s.Channel.Dialplan.Priority != 3 || s.Channel.TenantID != "t1" || s.Channel.Protocolid != "abc@10.0.0.1" {
				t.Errorf("channel got=%+v", s.Channel)
			}
		}},
		{"ChannelHangupRequest cause 0", `{"type":"ChannelHangupRequest","timestamp":"2026-11-20T10:11:12.345+0000","cause":0,"channel":` + channel + `,"application":"stasisq"}`,
			func(t *testing.T, ev Event) {
				if h := ev.(*ChannelHangupRequest); !h.HasCause || h.Cause != 0 {
					t.Errorf("got HasCause=%v Cause=%d, want true 0", h.HasCause, h.Cause)
				}
			}},
		{"ChannelHangupRequest no cause", `{"type":"ChannelHangupRequest","timestamp":"2026-11-20T10:11:12.345+0000","channel":` + channel + `,"application":"stasisq"}`,
			func(t *testing.T, ev Event) {
				if h := ev.(*ChannelHangupRequest); h.HasCause {
					t.Errorf("got HasCause=true, want false")
				}
			}},
		{"ChannelHangupRequest soft 32", `{"type":"ChannelHangupRequest","timestamp":"2026-11-20T10:11:12.345+0000","cause":32,"soft":true,"channel":` + channel + `,"application":"stasisq"}`,
			func(t *testing.T, ev Event) {
				if h := ev.(*ChannelHangupRequest); !h.HasCause || h.Cause != 32 || !h.Soft {
					t.Errorf("got=%+v, want cause 32 soft", h)
				}
			}},
		{"global ChannelVarset", `{"type":"ChannelVarset","timestamp":"2026-11-20T10:11:12.345+0000","variable":"G","value":"1","application":"stasisq"}`,
			func(t *testing.T, ev Event) {
				if v := ev.(*ChannelVarset); v.Channel != nil || v.Variable != "G" {
					t.Errorf("got=%+v, want no channel", v)
				}
			}},
		{"Dial forwarded", `{"type":"Dial","timestamp":"2026-11-20T10:11:12.345+0000","peer":` + channel + `,"forwarded":` + channel + `,"forward":"PJSIP/2","dialstring":"","dialstatus":"CANCEL","application":"stasisq"}`,
			func(t *testing.T, ev Event) {
				if d := ev.(*Dial); d.Forwarded == nil || d.Caller != nil || d.Forward != "PJSIP/2" {
					t.Errorf("got=%+v", d)
				}
			}},
		{"ChannelUserevent object", `{"type":"ChannelUserevent","timestamp":"2026-11-20T10:11:12.345+0000","eventname":"x","userevent":{"a":"b","n":1},"application":"stasisq"}`,
			func(t *testing.T, ev Event) {
				if u := ev.(*ChannelUserevent); u.Userevent["a"] != "b" {
					t.Errorf("got=%+v", u)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := DecodeEvent([]byte(tt.line))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, ev)
			again, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var want, got map[string]any
			_ = json.Unmarshal([]byte(tt.line), &want)
			_ = json.Unmarshal(again, &got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("re-encoded differs\n got=%s\nwant %s", again, tt.line)
			}
		})
	}
}

func TestMarshalSetsTypeFromGoType(t *testing.T) {
	ev := &StasisEnd{EventBase: EventBase{App: "stasisq", When: Time{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}, Channel: Channel{ID: "c1"}}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeEvent(data)
	if err != nil {
		t.Fatal(err)
	}
	end, ok := back.(*StasisEnd)
	if !ok || end.Channel.ID != "c1" || end.Type != "StasisEnd" || !end.Timestamp().Equal(ev.When.Time) {
		t.Errorf("got=%#v from %s, want the StasisEnd back", back, data)
	}
	hangup, _ := json.Marshal(ChannelHangupRequest{Cause: 16})
	var m map[string]any
	_ = json.Unmarshal(hangup, &m)
	if m["type"] != "ChannelHangupRequest" || m["cause"] != float64(16) {
		t.Errorf("got=%s, want type and cause 16", hangup)
	}
}

func TestDecodeEventErrors(t *testing.T) {
	tests := []struct {
		name      string
		line      string
		wantRaw   bool // a *RawEvent comes back
		wantErr   bool
		malformed bool // errors.Is ErrMalformedEvent
	}{
		{"truncated", `{"type":"StasisStart",`, false, true, true},
		{"not an object", `[1,2]`, false, true, true},
		{"truncated unknown type", `{"type":"Future",`, false, true, true},
		{"escaped type name", `{"type":"StasisEn\u0064","application":"a"}`, false, false, false},
		{"empty", ``, false, true, true},
		{"unknown type", `{"type":"Future","application":"a"}`, true, false, false},
		{"no type", `{"application":"a"}`, true, false, false},
		{"known type, wrong field type", `{"type":"ChannelDtmfReceived","digit":5,"application":"a"}`, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := DecodeEvent([]byte(tt.line))
			if (err != nil) != tt.wantErr {
				t.Errorf("err got=%v, want error %v", err, tt.wantErr)
			}
			if got := errors.Is(err, ErrMalformedEvent); got != tt.malformed {
				t.Errorf("errors.Is(ErrMalformedEvent) got=%v, want %v", got, tt.malformed)
			}
			raw, isRaw := ev.(*RawEvent)
			if isRaw != tt.wantRaw {
				t.Fatalf("event got=%T, want RawEvent %v", ev, tt.wantRaw)
			}
			if isRaw && string(raw.Data) != tt.line {
				t.Errorf("Data got=%s, want %s", raw.Data, tt.line)
			}
		})
	}
}

func TestBackoffGrowsWithJitterUpToCap(t *testing.T) {
	c, err := NewClient(Config{URL: "http://127.0.0.1:8088", App: "a", MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, ceiling := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		ceiling *= time.Millisecond
		seen := map[time.Duration]bool{}
		for range 50 {
			d := c.backoff(attempt)
			if d < ceiling/2 || d > ceiling {
				t.Fatalf("attempt %d: got=%v, want within [%v, %v]", attempt, d, ceiling/2, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("attempt %d: 50 draws gave %d distinct delays, want jitter", attempt, len(seen))
		}
	}
	if d := c.backoff(1000); d > time.Second {
		t.Errorf("huge attempt got=%v, want capped at 1s", d)
	}
}

func BenchmarkDecodeEventStasisStart(b *testing.B) {
	line := []byte(stasisStartLine("1795669180.3"))
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeEvent(line); err != nil {
			b.Fatal(err)
		}
	}
}
