package main

import (
	"slices"
	"testing"

	"stasisq/ari/aritest"
	"stasisq/queue"
	"stasisq/webphone"
)

// A browser-phone agent's endpoint, aor and auth are put on Asterisk when
// it is configured, put back after Asterisk forgot them and the websocket
// came back (a restart), and taken off when the agent gets a desk phone.
func TestBrowserPhoneProvisioning(t *testing.T) {
	e := MustStartEnv(t)
	e.MustQueue("support", nil)
	keys := []string{"res_pjsip/aor/stasisq-carol", "res_pjsip/auth/stasisq-carol", "res_pjsip/endpoint/stasisq-carol"}
	browser := queue.User{ID: "carol", Name: "Carol", Role: queue.RoleAgent, Agent: queue.AgentConfig{
		Device: queue.BrowserDevice("carol"), Phone: queue.PhoneBrowser, Queues: []queue.Membership{{Queue: "support"}}}}
	if err := e.main.configureUser(e.ctx(), browser, ""); err != nil {
		t.Fatal(err)
	}
	e.waitUntil("carol's phone on Asterisk", func() bool { return slices.Equal(e.fake.ConfigObjects(), keys) })
	secret, err := e.main.DB.PhoneSecret(e.ctx())
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := e.fake.ConfigObject("res_pjsip", "auth", "stasisq-carol")
	if auth["password"] != webphone.Password(secret, "carol") || auth["username"] != "stasisq-carol" {
		t.Errorf("auth got %v, want carol's derived password", auth)
	}
	ep, _ := e.fake.ConfigObject("res_pjsip", "endpoint", "stasisq-carol")
	if ep["webrtc"] != "yes" || ep["aors"] != "stasisq-carol" || ep["auth"] != "stasisq-carol" {
		t.Errorf("endpoint got %v", ep)
	}
	if ep["allow"] != webphone.G711Codecs {
		t.Errorf("endpoint allows %q on an Asterisk without codec_opus, want %q", ep["allow"], webphone.G711Codecs)
	}

	e.fake.ForgetConfigObjects()
	e.fake.DropWebsockets()
	e.waitUntil("carol's phone put back after the reconnect", func() bool { return slices.Equal(e.fake.ConfigObjects(), keys) })

	desk := browser
	desk.Agent.Device, desk.Agent.Phone = "PJSIP/1003", ""
	if err := e.main.configureUser(e.ctx(), desk, ""); err != nil {
		t.Fatal(err)
	}
	e.waitUntil("carol's browser phone taken off", func() bool { return len(e.fake.ConfigObjects()) == 0 })

	if err := e.main.configureUser(e.ctx(), queue.User{ID: "dave", Name: "Dave", Role: queue.RoleAgent, Agent: queue.AgentConfig{
		Device: "PJSIP/stasisq-someone", Phone: queue.PhoneBrowser}}, ""); err == nil {
		t.Error("a browser phone on another's device was accepted")
	}
}

// Opus where Asterisk has codec_opus, unless --phone-codecs says otherwise.
func TestBrowserPhoneCodecs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		modules []string
		flag    string
		want    string
	}{
		{"no codec_opus", nil, "", webphone.G711Codecs},
		{"codec_opus loaded", []string{"codec_opus"}, "", webphone.OpusCodecs},
		{"configured", []string{"codec_opus"}, "alaw", "alaw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustStartEnv(t, func(o *aritest.Options) { o.Modules = tc.modules })
			if tc.flag != "" { // --phone-codecs, on a second run
				if err := e.main.Close(); err != nil {
					t.Fatal(err)
				}
				e.MustRunMain(func(c *Config) { c.PhoneCodecs = tc.flag })
			}
			e.MustQueue("support", nil)
			carol := queue.User{ID: "carol", Name: "Carol", Role: queue.RoleAgent, Agent: queue.AgentConfig{
				Device: queue.BrowserDevice("carol"), Phone: queue.PhoneBrowser, Queues: []queue.Membership{{Queue: "support"}}}}
			if err := e.main.configureUser(e.ctx(), carol, ""); err != nil {
				t.Fatal(err)
			}
			var got string
			e.waitUntil("carol's endpoint on Asterisk", func() bool {
				ep, ok := e.fake.ConfigObject("res_pjsip", "endpoint", "stasisq-carol")
				got = ep["allow"]
				return ok
			})
			if got != tc.want {
				t.Errorf("endpoint allows %q, want %q", got, tc.want)
			}
		})
	}
}
