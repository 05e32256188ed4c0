package main

import (
	"slices"
	"testing"

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
