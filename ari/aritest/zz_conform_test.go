package aritest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// This file is named to sort last: Go runs a package's tests in file order,
// so TestZZEventsConformToAPIDocs sees the events of every test before it.

type swaggerModel struct {
	ID         string `json:"id"`
	Properties map[string]struct {
		Type string `json:"type"`
	} `json:"properties"`
}

func loadModels(tb testing.TB, dir string) map[string]swaggerModel {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "api-docs", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("api-docs in %s: %v", dir, err)
	}
	models := map[string]swaggerModel{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatalf("read %s: %v", f, err)
		}
		var doc struct {
			Models map[string]swaggerModel `json:"models"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			tb.Fatalf("decode %s: %v", f, err)
		}
		for name, m := range doc.Models {
			models[name] = m
		}
	}
	return models
}

// undeclared lists the keys of obj (recursively) that model does not declare.
func undeclared(models map[string]swaggerModel, at string, obj map[string]any, props map[string]string) []string {
	var bad []string
	for k, v := range obj {
		typ, ok := props[k]
		if !ok {
			bad = append(bad, at+"."+k)
			continue
		}
		typ = strings.TrimSuffix(strings.TrimPrefix(typ, "List["), "]")
		sub, isModel := models[typ]
		if !isModel {
			continue
		}
		subProps := map[string]string{}
		for name, p := range sub.Properties {
			subProps[name] = p.Type
		}
		switch vv := v.(type) {
		case map[string]any:
			bad = append(bad, undeclared(models, at+"."+k, vv, subProps)...)
		case []any:
			for _, e := range vv {
				if em, ok := e.(map[string]any); ok {
					bad = append(bad, undeclared(models, at+"."+k+"[]", em, subProps)...)
				}
			}
		}
	}
	return bad
}

func TestZZEventsConformToAPIDocs(t *testing.T) {
	dir := sharedDir(t)
	models := loadModels(t, dir)

	// Make sure there is something to check even when run alone.
	s := MustServer(t, Options{PlaybackDuration: func(string) time.Duration { return 10 * time.Millisecond }})
	s.SetDevice("PJSIP/c1", DeviceBehavior{Action: Answer, After: 10 * time.Millisecond})
	es := MustConnect(t, s, "queueapp", "")
	rc := newRESTClient(t, s)
	rc.do("POST", "/ari/applications/queueapp/subscription?eventSource=deviceState:,endpoint:PJSIP/c1", nil)
	call, _ := s.Call(context.Background(), CallSpec{App: "queueapp", Args: []string{"q"}, Number: "1", Name: "C"})
	rc.do("POST", "/ari/channels?endpoint=PJSIP/c1&app=queueapp&channelId=conf-agent&callerId=Q%20%3C100%3E", nil)
	es.waitFor(0, 5*time.Second, isTypeOn("StasisStart", "conf-agent"))
	rc.do("POST", "/ari/bridges/conf-mix?type=mixing", nil)
	rc.do("POST", "/ari/bridges/conf-mix/addChannel?channel="+call.ID()+",conf-agent", nil)
	rc.do("POST", "/ari/channels/"+call.ID()+"/play?media=sound:x", nil)
	call.SendDTMF("5")
	es.waitFor(0, 5*time.Second, isType("PlaybackFinished"))
	call.Hangup()
	rc.do("DELETE", "/ari/channels/conf-agent", nil)
	rc.do("DELETE", "/ari/bridges/conf-mix", nil)
	es.waitFor(0, 5*time.Second, isType("BridgeDestroyed"))
	allEvents.Lock()
	evs := append(append([]json.RawMessage(nil), allEvents.list...), s.Events()...)
	allEvents.Unlock()

	base := map[string]string{}
	for _, name := range []string{"Message", "Event"} {
		for k, p := range models[name].Properties {
			base[k] = p.Type
		}
	}
	seen := map[string]int{}
	problems := map[string]bool{}
	for _, raw := range evs {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("event is not JSON: %s", raw)
		}
		typ := str(m["type"])
		seen[typ]++
		model, ok := models[typ]
		if !ok {
			problems[typ+": not an event type in events.json"] = true
			continue
		}
		props := map[string]string{}
		for k, v := range base {
			props[k] = v
		}
		for k, p := range model.Properties {
			props[k] = p.Type
		}
		for _, bad := range undeclared(models, typ, m, props) {
			problems[bad+": not declared in api-docs"] = true
		}
		for _, k := range []string{"type", "timestamp", "application", "asterisk_id"} {
			if _, ok := m[k]; !ok {
				problems[typ+": missing "+k] = true
			}
		}
	}
	var list []string
	for p := range problems {
		list = append(list, p)
	}
	sort.Strings(list)
	for _, p := range list {
		t.Error(p)
	}
	for _, typ := range []string{"StasisStart", "StasisEnd", "Dial", "ChannelDestroyed", "ChannelHangupRequest", "ChannelEnteredBridge",
		"ChannelLeftBridge", "PlaybackStarted", "PlaybackFinished", "ChannelDtmfReceived", "DeviceStateChanged", "EndpointStateChange", "BridgeDestroyed"} {
		if seen[typ] == 0 {
			t.Errorf("no %s event was checked", typ)
		}
	}
	t.Logf("checked %d events of %d types", len(evs), len(seen))
}

func TestUndeclaredFindsUnknownFields(t *testing.T) {
	models := loadModels(t, sharedDir(t))
	props := map[string]string{"type": "string", "channel": "Channel"}
	ev := map[string]any{"type": "X", "bogus": 1, "channel": map[string]any{"id": "1", "caller": map[string]any{"name": "", "nickname": ""}}}
	got := undeclared(models, "X", ev, props)
	sort.Strings(got)
	want := []string{"X.bogus", "X.channel.caller.nickname"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("undeclared: got=%v, want %v", got, want)
	}
}
