package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"stasisq/queue"
	"stasisq/webphone"
)

// GET /api/me/phone hands a browser-phone agent its own SIP account, never
// cached; anyone else hears why there is none; the page may reach the SIP
// websocket and nothing else besides itself.
func TestMePhone(t *testing.T) {
	secret := []byte("phone secret")
	env := MustTestEnv(t, func(o *Options) {
		o.Phone = PhoneConfig{WebsocketURL: "wss://pbx.example.com:8089/ws", Secret: secret}
	})
	carol := queue.User{ID: "carol", Name: "Carol", Role: queue.RoleAgent, Agent: queue.AgentConfig{ID: "carol", Name: "Carol",
		Device: queue.BrowserDevice("carol"), Phone: queue.PhoneBrowser, Queues: []queue.Membership{{Queue: "sales"}}}}
	if err := env.dir.PutUser(context.Background(), carol, testPassword); err != nil {
		t.Fatal(err)
	}
	get := func(login string) (int, PhoneInfo, http.Header) {
		t.Helper()
		c := env.MustLogin(t, login)
		req, _ := http.NewRequest("GET", c.base+"/api/me/phone", nil)
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p PhoneInfo
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, p, resp.Header
	}
	status, p, h := get("carol")
	want := PhoneInfo{Enabled: true, WebsocketURL: "wss://pbx.example.com:8089/ws", URI: "sip:stasisq-carol@pbx.example.com",
		Username: "stasisq-carol", Password: webphone.Password(secret, "carol"), DisplayName: "Carol"}
	if status != http.StatusOK || p != want {
		t.Fatalf("carol got %d %+v, want %+v", status, p, want)
	}
	if cc := h.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control got=%q, want no-store: a SIP password", cc)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' wss://pbx.example.com:8089;") {
		t.Errorf("CSP got=%q, want connect-src to allow the SIP websocket", csp)
	}
	if status, p, _ := get("alice"); status != http.StatusOK || p.Enabled || p.Password != "" || !strings.Contains(p.Reason, "PJSIP/1001") {
		t.Errorf("alice (a desk phone) got %d %+v, want no account and why", status, p)
	}
	anon := env.anonymous(t)
	if status, _ := anon.do("GET", "/api/me/phone", nil); status != http.StatusUnauthorized {
		t.Errorf("without a session got %d, want 401", status)
	}

	demo := MustTestEnv(t, func(o *Options) { o.Phone = PhoneConfig{NoPhoneReason: "the demo has no SIP server", Secret: secret} })
	if err := demo.dir.PutUser(context.Background(), carol, testPassword); err != nil {
		t.Fatal(err)
	}
	c := demo.MustLogin(t, "carol")
	status, body := c.do("GET", "/api/me/phone", nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"enabled":false`) || !strings.Contains(string(body), "the demo has no SIP server") {
		t.Errorf("in the demo got %d %s, want no account and the demo's reason", status, body)
	}
}
