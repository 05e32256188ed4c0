package callflow

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/queue"
)

// Every event the loop reads names its channels, bridges, playbacks and
// devices qualified by the server it came from, and the event the client
// delivered is left as it was (its OnEvent hook has it too).
func TestQualifyEventNamesTheServer(t *testing.T) {
	ch := func(id string) string {
		return `{"id":"` + id + `","name":"PJSIP/x-1","creationtime":"2026-12-07T10:00:00.000+0000"}`
	}
	br := `{"id":"sqb-run-00000001","channels":["1.1","sqa-o1-1"],"creationtime":"2026-12-07T10:00:00.000+0000"}`
	frames := map[string]string{
		"StasisStart":            `{"channel":` + ch("1.1") + `,"replace_channel":` + ch("1.9") + `,"args":["support"]}`,
		"StasisEnd":              `{"channel":` + ch("1.1") + `}`,
		"ChannelDestroyed":       `{"channel":` + ch("1.1") + `,"cause":16}`,
		"Dial":                   `{"peer":` + ch("sqa-o1-2") + `,"caller":` + ch("sqa-o1-1") + `,"dialstatus":"ANSWER"}`,
		"BridgeBlindTransfer":    `{"channel":` + ch("1.2") + `,"replace_channel":` + ch("1.3") + `,"transferee":` + ch("1.1") + `,"bridge":` + br + `,"result":"Success","exten":"100","context":"x","is_external":false}`,
		"BridgeAttendedTransfer": `{"transferer_first_leg":` + ch("1.2") + `,"transferer_second_leg":` + ch("1.4") + `,"transferer_first_leg_bridge":` + br + `,"result":"Success","is_external":false,"destination_type":"threeway","destination_threeway_channel":` + ch("1.5") + `}`,
		"ChannelDtmfReceived":    `{"channel":` + ch("1.1") + `,"digit":"1","duration_ms":100}`,
		"PlaybackFinished":       `{"playback":{"id":"sqp-run-00000002","media_uri":"sound:x","target_uri":"channel:1.1","state":"done"}}`,
		"DeviceStateChanged":     `{"device_state":{"name":"PJSIP/2001","state":"NOT_INUSE"}}`,
		"RecordingFinished":      `{"recording":{"name":"stasisq-20261207-100000-b~1.1","format":"wav","target_uri":"bridge:sqb-run-00000001","state":"done"}}`,
		"RecordingFailed":        `{"recording":{"name":"stasisq-20261207-100000-b~1.1","format":"wav","target_uri":"bridge:sqb-run-00000001","state":"failed"}}`,
	}
	for _, typ := range EventTypes {
		if _, ok := frames[typ]; !ok {
			t.Errorf("handleEvent reads %s, which this test does not qualify: add a frame", typ)
		}
	}
	srv := &serverARI{name: "b"}
	for typ, body := range frames {
		t.Run(typ, func(t *testing.T) {
			frame := `{"type":"` + typ + `","application":"stasisq","timestamp":"2026-12-07T10:00:00.000+0000",` + body[1:]
			ev, err := ari.DecodeEvent([]byte(frame))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			before, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			out := srv.qualifyEvent(ev)
			after, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if string(before) != string(after) {
				t.Errorf("the delivered event was changed:\n%s\n%s", before, after)
			}
			raw, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			var tree any
			if err := json.Unmarshal(raw, &tree); err != nil {
				t.Fatal(err)
			}
			var ids []string
			collectIDs(tree, "", &ids)
			if len(ids) == 0 {
				t.Fatalf("no id found in %s", raw)
			}
			for _, id := range ids {
				if !strings.HasPrefix(id, "b~") && !strings.HasPrefix(id, "channel:b~") && !strings.HasPrefix(id, "bridge:b~") {
					t.Errorf("%s not qualified by b in %s", id, raw)
				}
			}
			if rec, ok := out.(*ari.RecordingFinished); ok && rec.Recording.Name != "stasisq-20261207-100000-b~1.1" {
				t.Errorf("a recording's name is a file's: %q must stay as it is", rec.Recording.Name)
			}
		})
	}
}

// collectIDs gathers the values that name something in Asterisk: "id" of
// an object, bridge "channels", "target_uri", a device state's "name".
func collectIDs(v any, key string, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch {
			case k == "id" || k == "target_uri":
				*out = append(*out, x.(string))
			case k == "channels":
				for _, c := range x.([]any) {
					*out = append(*out, c.(string))
				}
			case k == "name" && key == "device_state":
				*out = append(*out, x.(string))
			default:
				collectIDs(x, k, out)
			}
		}
	case []any:
		for _, x := range v {
			collectIDs(x, key, out)
		}
	}
}

func TestDialFrom(t *testing.T) {
	set, err := newServerSet([]Server{{Name: "a", ARI: newScriptARI()}, {Name: "b", ARI: newScriptARI(), Dial: "IAX2/trunk-{server}/{device}"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, device, want string }{
		{"a", "a~PJSIP/1001", "PJSIP/1001"},
		{"a", "b~PJSIP/2001", "PJSIP/2001@to-b"},
		{"b", "a~PJSIP/1001", "IAX2/trunk-a/1001"},
		{"b", "b~Local/2001@agents", "Local/2001@agents"},
	} {
		if got := set.dialFrom(tc.from, tc.device); got != tc.want {
			t.Errorf("dialFrom(%s, %s) = %q, want %q", tc.from, tc.device, got, tc.want)
		}
	}
	one, err := newServerSet([]Server{{ARI: newScriptARI()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := one.dialFrom("", "PJSIP/1001"); got != "PJSIP/1001" {
		t.Errorf("one server: dialFrom = %q, want the device", got)
	}
}

func TestServerSetRefusesBadNames(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"a", "a"}, "given twice"},
		{[]string{"a", "B"}, "want lower-case"},
		{[]string{"a", ""}, "want lower-case"},
		{[]string{"a", "x~y"}, "want lower-case"},
	} {
		var servers []Server
		for _, n := range tc.names {
			servers = append(servers, Server{Name: n, ARI: newScriptARI()})
		}
		_, err := newServerSet(servers, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("servers %q: err %v, want %q", tc.names, err, tc.want)
		}
	}
}

// Subscriptions go to the server their source names; one that names no
// server's id (every device state) goes to all.
func TestSubscriptionsGoToTheirServers(t *testing.T) {
	a, b := newScriptARI(), newScriptARI()
	a.allDevices, b.allDevices = true, true // so that unsubscribing every device state is taken
	set, err := newServerSet([]Server{{Name: "a", ARI: a}, {Name: "b", ARI: b}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := set.Subscribe(ctx, "stasisq", "deviceState:a~PJSIP/1001", "deviceState:b~PJSIP/2001", "deviceState:b~PJSIP/2002"); err != nil {
		t.Fatal(err)
	}
	if err := set.Unsubscribe(ctx, "stasisq", "deviceState:"); err != nil {
		t.Fatal(err)
	}
	want := map[*scriptARI][]string{
		a: {"subscribe deviceState:PJSIP/1001", "unsubscribe deviceState:"},
		b: {"subscribe deviceState:PJSIP/2001,deviceState:PJSIP/2002", "unsubscribe deviceState:"},
	}
	for srv, calls := range want {
		var got []string
		for _, c := range srv.take() {
			got = append(got, strings.TrimPrefix(c, "> "))
		}
		if !slices.Equal(got, calls) {
			t.Errorf("calls %q, want %q", got, calls)
		}
	}
	if err := set.Answer(ctx, "c~1.1"); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("a channel of no server: err %v, want one naming the server", err)
	}
}

// A recording's name gives its caller back whole, server and all, so its
// file is fetched from the server of its call.
func TestRecordingNameKeepsTheServer(t *testing.T) {
	name := queue.RecordingName(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), "b~1733570000.12")
	if got, ok := queue.RecordingCaller(name); !ok || got != "b~1733570000.12" {
		t.Fatalf("RecordingCaller(%q) = %q, %v", name, got, ok)
	}
}

// What qualifying costs per event (a JSON round trip and a walk), paid only
// with several servers: go test ./callflow -run '^$' -bench QualifyEvent.
func BenchmarkQualifyEvent(b *testing.B) {
	frame := `{"type":"StasisStart","application":"stasisq","timestamp":"2026-12-07T10:00:00.000+0000","args":["support"],` +
		`"channel":{"id":"1733570000.12","name":"PJSIP/trunk-00000001","state":"Up","caller":{"name":"A","number":"5551234"},` +
		`"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"callers","exten":"support","priority":2,` +
		`"app_name":"Stasis","app_data":"stasisq,support"},"creationtime":"2026-12-07T10:00:00.000+0000","language":"en"}}`
	ev, err := ari.DecodeEvent([]byte(frame))
	if err != nil {
		b.Fatal(err)
	}
	srv := &serverARI{name: "b"}
	b.ReportAllocs()
	for b.Loop() {
		if out := srv.qualifyEvent(ev); out == ev {
			b.Fatal("not copied")
		}
	}
}
