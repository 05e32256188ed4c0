package ari

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an httptest server that records every request and answers
// with an empty object or list of the right shape.
type recorder struct {
	mu   sync.Mutex
	reqs []recordedRequest
	errs []string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got := recordedRequest{Method: r.Method, RawPath: r.URL.EscapedPath(), Query: r.URL.Query()}
	body, _ := io.ReadAll(r.Body)
	var problem string
	if len(body) > 0 {
		if err := json.Unmarshal(body, &got.Body); err != nil {
			problem = "body is not a JSON object: " + string(body)
		} else if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			problem = "JSON body sent with Content-Type " + ct
		}
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != "asterisk" || pass != "secret" {
		problem = "missing or wrong basic auth"
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, got)
	if problem != "" {
		rec.errs = append(rec.errs, r.Method+" "+r.URL.Path+": "+problem)
	}
	rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && strings.Count(r.URL.Path, "/") == 2: // GET /ari/channels, /ari/bridges...
		io.WriteString(w, "[]")
	case strings.HasPrefix(r.URL.Path, "/ari/asterisk/config/dynamic/") && r.Method == http.MethodPut:
		io.WriteString(w, "[]") // List[ConfigTuple]
	case strings.HasSuffix(r.URL.Path, "/variable") && r.Method == http.MethodGet:
		io.WriteString(w, `{"value":"v"}`)
	case r.Method == http.MethodDelete && !strings.Contains(r.URL.Path, "/applications/"):
		w.WriteHeader(http.StatusNoContent)
	default:
		io.WriteString(w, "{}")
	}
}

// MustRecordingClient starts a recorder and a client that reports each
// call's route template.
func MustRecordingClient(tb testing.TB) (*Client, *recorder, *[]string) {
	tb.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	tb.Cleanup(srv.Close)
	var mu sync.Mutex
	routes := &[]string{}
	c, err := NewClient(Config{
		URL: srv.URL, User: "asterisk", Password: "secret", App: "stasisq",
		OnRequest: func(method, route string, status int, d time.Duration, err error) {
			mu.Lock()
			*routes = append(*routes, route)
			mu.Unlock()
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c, rec, routes
}

// restCalls calls every REST method of Client with every optional parameter
// set. Ids hold characters that need escaping to prove they survive.
var restCalls = map[string]func(ctx context.Context, c *Client) error{
	"AsteriskInfo": func(ctx context.Context, c *Client) error { _, err := c.AsteriskInfo(ctx); return err },
	"GetModule":    func(ctx context.Context, c *Client) error { _, err := c.GetModule(ctx, "codec_opus"); return err },
	"ListChannels": func(ctx context.Context, c *Client) error { _, err := c.ListChannels(ctx); return err },
	"GetChannel":   func(ctx context.Context, c *Client) error { _, err := c.GetChannel(ctx, "17956.3"); return err },
	"Originate": func(ctx context.Context, c *Client) error {
		req := OriginateRequest{
			OtherChannelID: "q-agent-2-phone", Endpoint: "Local/1001@agents", App: "stasisq",
			AppArgs: []string{"agent", "1001"}, CallerID: `"Queue" <100>`, Timeout: 15,
			Variables: map[string]string{"QUEUE": "support"}, Formats: "ulaw", Originator: "caller-1",
			Context: "agents", Extension: "1001", Priority: 1, Label: "start",
		}
		if _, err := c.Originate(ctx, req); err != nil {
			return err
		}
		req.ChannelID = "q-agent-2"
		_, err := c.Originate(ctx, req)
		return err
	},
	"CreateChannel": func(ctx context.Context, c *Client) error {
		_, err := c.CreateChannel(ctx, CreateChannelRequest{
			Endpoint: "Local/2106@agents-slow", App: "stasisq", AppArgs: []string{"agent", "2106"},
			ChannelID: "q-agent-3", OtherChannelID: "q-agent-3-phone", Originator: "caller-1",
			Formats: "ulaw", Variables: map[string]string{"A": "b"},
		})
		return err
	},
	"Dial":     func(ctx context.Context, c *Client) error { return c.Dial(ctx, "q-agent-3", "caller-1", 15) },
	"Answer":   func(ctx context.Context, c *Client) error { return c.Answer(ctx, "caller-1") },
	"Ring":     func(ctx context.Context, c *Client) error { return c.Ring(ctx, "caller-1") },
	"SendDTMF": func(ctx context.Context, c *Client) error { return c.SendDTMF(ctx, "caller-1", "0") },
	"RingStop": func(ctx context.Context, c *Client) error { return c.RingStop(ctx, "caller-1") },
	"Hangup":   func(ctx context.Context, c *Client) error { return c.Hangup(ctx, "caller-1", "answered_elsewhere") },
	"Continue": func(ctx context.Context, c *Client) error {
		return c.Continue(ctx, "caller-1", "from-callers", "100", 2, "after-queue")
	},
	"Redirect": func(ctx context.Context, c *Client) error { return c.Redirect(ctx, "caller-1", "PJSIP/1002") },
	"GetVariable": func(ctx context.Context, c *Client) error {
		_, err := c.GetVariable(ctx, "caller-1", "QUEUESTATUS")
		return err
	},
	"SetVariable": func(ctx context.Context, c *Client) error {
		return c.SetVariable(ctx, "caller-1", "QUEUESTATUS", "TIMEOUT")
	},
	"SetGlobalVariable": func(ctx context.Context, c *Client) error {
		return c.SetGlobalVariable(ctx, "SBS_TALK", "3.000")
	},
	"StartMOH": func(ctx context.Context, c *Client) error { return c.StartMOH(ctx, "caller-1", "default") },
	"StopMOH":  func(ctx context.Context, c *Client) error { return c.StopMOH(ctx, "caller-1") },
	"Play": func(ctx context.Context, c *Client) error {
		if _, err := c.Play(ctx, "caller-1", "", "sound:queue-thankyou", "sound:queue-youarenext"); err != nil {
			return err
		}
		_, err := c.Play(ctx, "caller-1", "pb-1", "sound:queue-thankyou")
		return err
	},
	"Snoop": func(ctx context.Context, c *Client) error {
		req := SnoopRequest{Spy: "both", Whisper: "out", App: "stasisq", AppArgs: []string{"snoop", "sup"}}
		if _, err := c.Snoop(ctx, "caller-1", req); err != nil {
			return err
		}
		req.SnoopID = "snoop-1"
		_, err := c.Snoop(ctx, "caller-1", req)
		return err
	},
	"CreateBridge": func(ctx context.Context, c *Client) error {
		if _, err := c.CreateBridge(ctx, "", "holding", "queue-support-hold"); err != nil {
			return err
		}
		_, err := c.CreateBridge(ctx, "call-1", "mixing", "call 1")
		return err
	},
	"GetBridge":   func(ctx context.Context, c *Client) error { _, err := c.GetBridge(ctx, "call-1"); return err },
	"ListBridges": func(ctx context.Context, c *Client) error { _, err := c.ListBridges(ctx); return err },
	"AddChannel": func(ctx context.Context, c *Client) error {
		return c.AddChannel(ctx, "call-1", "caller-1", "participant")
	},
	"RemoveChannel":  func(ctx context.Context, c *Client) error { return c.RemoveChannel(ctx, "call-1", "caller-1") },
	"DestroyBridge":  func(ctx context.Context, c *Client) error { return c.DestroyBridge(ctx, "call-1") },
	"StartBridgeMOH": func(ctx context.Context, c *Client) error { return c.StartBridgeMOH(ctx, "hold-1", "default") },
	"StopBridgeMOH":  func(ctx context.Context, c *Client) error { return c.StopBridgeMOH(ctx, "hold-1") },
	"PlayBridge": func(ctx context.Context, c *Client) error {
		if _, err := c.PlayBridge(ctx, "hold-1", "", "sound:a", "sound:b"); err != nil {
			return err
		}
		_, err := c.PlayBridge(ctx, "hold-1", "pb-2", "sound:a")
		return err
	},
	"GetPlayback":    func(ctx context.Context, c *Client) error { _, err := c.GetPlayback(ctx, "pb-1"); return err },
	"StopPlayback":   func(ctx context.Context, c *Client) error { return c.StopPlayback(ctx, "pb-1") },
	"GetApplication": func(ctx context.Context, c *Client) error { _, err := c.GetApplication(ctx, "stasisq"); return err },
	"Subscribe": func(ctx context.Context, c *Client) error {
		_, err := c.Subscribe(ctx, "stasisq", "deviceState:", "endpoint:PJSIP/agent-sip", "bridge:hold-1")
		return err
	},
	"Unsubscribe": func(ctx context.Context, c *Client) error {
		_, err := c.Unsubscribe(ctx, "stasisq", "deviceState:", "bridge:hold-1")
		return err
	},
	"PutConfigObject": func(ctx context.Context, c *Client) error {
		_, err := c.PutConfigObject(ctx, "res_pjsip", "endpoint", "stasisq-alice", []ConfigTuple{{Attribute: "webrtc", Value: "yes"}})
		return err
	},
	"DeleteConfigObject": func(ctx context.Context, c *Client) error {
		return c.DeleteConfigObject(ctx, "res_pjsip", "endpoint", "stasisq-alice")
	},
	"RecordBridge": func(ctx context.Context, c *Client) error {
		_, err := c.RecordBridge(ctx, "call-1", RecordRequest{Name: "q/2026/rec-1", Format: "wav", MaxDuration: 3600, IfExists: "fail", Beep: true})
		return err
	},
	"StartSilence": func(ctx context.Context, c *Client) error { return c.StartSilence(ctx, "caller-1") },
	"RecordChannel": func(ctx context.Context, c *Client) error {
		_, err := c.RecordChannel(ctx, "caller-1", RecordRequest{Name: "ear-1", Format: "wav", MaxDuration: 5})
		return err
	},
	"PauseRecording":        func(ctx context.Context, c *Client) error { return c.PauseRecording(ctx, "q/rec-1") },
	"UnpauseRecording":      func(ctx context.Context, c *Client) error { return c.UnpauseRecording(ctx, "q/rec-1") },
	"StopRecording":         func(ctx context.Context, c *Client) error { return c.StopRecording(ctx, "q/rec-1") },
	"DeleteStoredRecording": func(ctx context.Context, c *Client) error { return c.DeleteStoredRecording(ctx, "q/rec-1") },
	"GetStoredRecording": func(ctx context.Context, c *Client) error {
		_, err := c.GetStoredRecording(ctx, "q/rec-1")
		return err
	},
	"StoredRecordingFile": func(ctx context.Context, c *Client) error {
		f, err := c.StoredRecordingFile(ctx, "q/rec-1")
		if err != nil {
			return err
		}
		return f.Body.Close()
	},
	"SetEventFilter": func(ctx context.Context, c *Client) error {
		_, err := c.SetEventFilter(ctx, "stasisq", "StasisStart", "StasisEnd")
		return err
	},
	"GetDeviceState": func(ctx context.Context, c *Client) error {
		_, err := c.GetDeviceState(ctx, "PJSIP/agent-sip")
		return err
	},
	"ListDeviceStates": func(ctx context.Context, c *Client) error { _, err := c.ListDeviceStates(ctx); return err },
	"ListEndpoints":    func(ctx context.Context, c *Client) error { _, err := c.ListEndpoints(ctx); return err },
	"GetEndpoint": func(ctx context.Context, c *Client) error {
		_, err := c.GetEndpoint(ctx, "PJSIP", "agent-sip")
		return err
	},
}

// notREST are the Client methods that make no REST call.
var notREST = map[string]bool{
	"Run": true, "Events": true, "Connected": true, "MalformedFrames": true, "Reconnects": true,
	"SubscribeChannel": true, "SubscribeBridge": true,
}

func TestEveryRESTMethodIsCovered(t *testing.T) {
	typ := reflect.TypeFor[*Client]()
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if _, ok := restCalls[name]; !ok && !notREST[name] {
			t.Errorf("Client.%s is in neither restCalls nor notREST: add it to the conformance test", name)
		}
	}
	for name := range restCalls {
		if _, ok := typ.MethodByName(name); !ok {
			t.Errorf("restCalls has %s, which Client does not have", name)
		}
	}
}

func TestRESTConformsToAPIDocs(t *testing.T) {
	docs := MustAPIDocs(t)
	for name, callFn := range restCalls {
		t.Run(name, func(t *testing.T) {
			c, rec, routes := MustRecordingClient(t)
			if err := callFn(t.Context(), c); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(rec.errs) > 0 {
				t.Errorf("server saw problems: %v", rec.errs)
			}
			if len(rec.reqs) == 0 {
				t.Fatal("no request recorded")
			}
			if len(*routes) != len(rec.reqs) {
				t.Fatalf("OnRequest calls got=%d, want %d (one per request)", len(*routes), len(rec.reqs))
			}
			for i, req := range rec.reqs {
				tmpl, err := docs.check(req)
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					continue
				}
				if got, want := (*routes)[i], req.Method+" "+tmpl; got != want {
					t.Errorf("request %d: OnRequest route got=%q, want %q", i, got, want)
				}
			}
		})
	}
}

// TestAPIDocsChecker shows the checker used above rejects what Asterisk
// would not accept, so the conformance test can fail.
func TestAPIDocsChecker(t *testing.T) {
	docs := MustAPIDocs(t)
	q := func(pairs ...string) map[string][]string {
		out := map[string][]string{}
		for i := 0; i+1 < len(pairs); i += 2 {
			out[pairs[i]] = append(out[pairs[i]], pairs[i+1])
		}
		return out
	}
	tests := []struct {
		name    string
		req     recordedRequest
		wantErr string // "" = accepted
	}{
		{"answer", recordedRequest{Method: "POST", RawPath: "/ari/channels/c1/answer"}, ""},
		{"create is not originateWithId", recordedRequest{Method: "POST", RawPath: "/ari/channels/create", Query: q("endpoint", "Local/1@a", "app", "x")}, ""},
		{"escaped id", recordedRequest{Method: "GET", RawPath: "/ari/deviceStates/PJSIP%2Fagent"}, ""},
		{"originate variables body", recordedRequest{Method: "POST", RawPath: "/ari/channels", Query: q("endpoint", "Local/1@a"), Body: map[string]any{"variables": map[string]any{}}}, ""},
		{"misspelled route", recordedRequest{Method: "POST", RawPath: "/ari/channels/c1/answr"}, "no api-docs route"},
		{"not under /ari", recordedRequest{Method: "GET", RawPath: "/channels"}, "not under /ari"},
		{"wrong method", recordedRequest{Method: "GET", RawPath: "/ari/channels/c1/answer"}, "has no GET"},
		{"misspelled query parameter", recordedRequest{Method: "POST", RawPath: "/ari/channels/c1/moh", Query: q("mohclass", "default")}, `query parameter "mohclass" is not declared`},
		{"path parameter sent as query", recordedRequest{Method: "POST", RawPath: "/ari/channels/c1/answer", Query: q("channelId", "c1")}, `"channelId" is not declared`},
		{"missing required query parameter", recordedRequest{Method: "POST", RawPath: "/ari/channels", Query: q("app", "x")}, `required query parameter "endpoint" missing`},
		{"repeated single parameter", recordedRequest{Method: "DELETE", RawPath: "/ari/channels/c1", Query: q("reason", "busy", "reason", "normal")}, `sent 2 times`},
		{"undeclared body key", recordedRequest{Method: "POST", RawPath: "/ari/channels", Query: q("endpoint", "x"), Body: map[string]any{"vars": 1}}, `body parameter "vars" is not declared`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := docs.check(tt.req)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got=%v, want accepted", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("got accepted, want error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("got=%v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}
