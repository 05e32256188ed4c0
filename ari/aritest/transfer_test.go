package aritest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBlindTransferSwapsALocalChannelInForTheTransferer(t *testing.T) {
	s := MustServer(t, Options{})
	s.SetDevice("PJSIP/a1", DeviceBehavior{Action: Answer, After: 10 * time.Millisecond})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	call, err := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}, Number: "1", Name: "C"})
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	rc.do("POST", "/ari/channels?endpoint=PJSIP/a1&app=queueapp&channelId=xfer-agent", nil)
	es.waitFor(0, 5*time.Second, isTypeOn("StasisStart", "xfer-agent"))
	rc.do("POST", "/ari/bridges/xfer-mix?type=mixing", nil)
	rc.do("POST", "/ari/bridges/xfer-mix/addChannel?channel="+call.ID()+",xfer-agent", nil)
	start := len(es.snapshot())

	if _, err := s.BlindTransfer("nobody", "200", "internal"); err == nil {
		t.Fatal("blind transfer from an unknown channel: got no error")
	}
	local, err := s.BlindTransfer("xfer-agent", "200", "internal")
	if err != nil {
		t.Fatalf("BlindTransfer: %v", err)
	}
	es.waitFor(start, 5*time.Second, isTypeOn("ChannelDestroyed", "xfer-agent"))

	var got []string
	var bt, ss map[string]any
	for _, raw := range es.snapshot()[start:] {
		m := mustJSON(t, raw)
		typ := str(m["type"])
		ch, _ := m["channel"].(map[string]any)
		id := ""
		if ch != nil {
			id = str(ch["id"])
		}
		if bt == nil && typ != "BridgeBlindTransfer" {
			continue // the bridging's own events may still be arriving
		}
		switch {
		case typ == "BridgeBlindTransfer":
			bt = m
		case typ == "StasisStart" && id == local:
			ss = m
		}
		if typ == "ChannelVarset" || typ == "RTPstatistics" {
			continue
		}
		who := id
		switch id {
		case local:
			who = "local"
		case call.ID():
			who = "caller"
		case "xfer-agent":
			who = "agent"
		}
		got = append(got, typ+"("+who+")")
	}
	want := "BridgeBlindTransfer(agent) StasisStart(local) ChannelEnteredBridge(local) ChannelLeftBridge(agent) " +
		"ChannelHangupRequest(agent) StasisEnd(agent) ChannelDestroyed(agent)"
	if strings.Join(got, " ") != want {
		t.Fatalf("got events=\n  %s\nwant\n  %s", strings.Join(got, " "), want)
	}
	sub := func(m map[string]any, k string) string {
		v, _ := m[k].(map[string]any)
		return str(v["id"])
	}
	if sub(bt, "channel") != "xfer-agent" || sub(bt, "transferee") != call.ID() || sub(bt, "replace_channel") != local ||
		sub(bt, "bridge") != "xfer-mix" || bt["exten"] != "200" || bt["context"] != "internal" || bt["result"] != "Success" || bt["is_external"] != true {
		t.Fatalf("got BridgeBlindTransfer=%v", bt)
	}
	if sub(ss, "replace_channel") != "xfer-agent" {
		t.Fatalf("got StasisStart of the Local channel=%v, want replace_channel xfer-agent", ss)
	}
	if !strings.HasPrefix(str(ss["channel"].(map[string]any)["name"]), "Local/200@internal-") {
		t.Fatalf("got Local channel %v, want named Local/200@internal-...", ss["channel"])
	}
	// The caller stays, bridged with the Local channel.
	var b struct{ Channels []string }
	_, raw := rc.do("GET", "/ari/bridges/xfer-mix", nil)
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("decode bridge: %v", err)
	}
	if strings.Join(b.Channels, ",") != call.ID()+","+local {
		t.Fatalf("got bridge channels=%v, want the caller and %s", b.Channels, local)
	}

	// Every field emitted is declared in events.json.
	models := loadModels(t, sharedDir(t))
	for _, m := range []map[string]any{bt, ss} {
		props := map[string]string{}
		for _, name := range []string{"Message", "Event", str(m["type"])} {
			for k, p := range models[name].Properties {
				props[k] = p.Type
			}
		}
		if bad := undeclared(models, str(m["type"]), m, props); len(bad) > 0 {
			t.Errorf("undeclared fields: %v", bad)
		}
	}
}
